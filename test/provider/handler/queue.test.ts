import { afterEach, describe, expect, test } from 'vitest';
import { useVirtualClock } from './_virtual-clock';
import { createLogger } from '../../../src/provider/handler/log';
import { handBack, namesQueue, SqsSdk, _useSqsSdk } from '../../../src/provider/handler/queue';

const ARN = 'arn:aws:sqs:ap-northeast-1:123456789012:Shop-StopsQueue.fifo';

describe('namesQueue', () => {
  test.each([
    ['the URL CloudFormation gives the queue', 'https://sqs.ap-northeast-1.amazonaws.com/123456789012/Shop-StopsQueue.fifo', ARN],
    ['the legacy host', 'https://ap-northeast-1.queue.amazonaws.com/123456789012/Shop-StopsQueue.fifo', ARN],
    ['the legacy host of us-east-1, which names no region', 'https://queue.amazonaws.com/123456789012/Shop-StopsQueue.fifo',
      'arn:aws:sqs:us-east-1:123456789012:Shop-StopsQueue.fifo'],
    ['another partition', 'https://sqs.cn-north-1.amazonaws.com.cn/123456789012/Shop-StopsQueue.fifo', 'arn:aws-cn:sqs:cn-north-1:123456789012:Shop-StopsQueue.fifo'],
  ])('is true for %s', (_what, url, arn) => {
    expect(namesQueue(url, arn)).toBe(true);
  });

  test.each([
    ['another name', 'https://sqs.ap-northeast-1.amazonaws.com/123456789012/Cart-StopsQueue.fifo', ARN],
    ['another account', 'https://sqs.ap-northeast-1.amazonaws.com/210987654321/Shop-StopsQueue.fifo', ARN],
    ['another region', 'https://sqs.us-east-1.amazonaws.com/123456789012/Shop-StopsQueue.fifo', ARN],
    ['another host', 'https://attacker.example/123456789012/Shop-StopsQueue.fifo', ARN],
    ['the legacy host of us-east-1 for another region', 'https://queue.amazonaws.com/123456789012/Shop-StopsQueue.fifo', ARN],
    ['a host behind user info', 'https://sqs.ap-northeast-1.amazonaws.com@attacker.example/123456789012/Shop-StopsQueue.fifo', ARN],
    ['plain http', 'http://sqs.ap-northeast-1.amazonaws.com/123456789012/Shop-StopsQueue.fifo', ARN],
    ['a longer path', 'https://sqs.ap-northeast-1.amazonaws.com/123456789012/Shop-StopsQueue.fifo/x', ARN],
    ['a query', 'https://sqs.ap-northeast-1.amazonaws.com/123456789012/Shop-StopsQueue.fifo?x=1', ARN],
    ['a text that is no URL', 'Shop-StopsQueue.fifo', ARN],
    ['a record without its queue', 'https://sqs.ap-northeast-1.amazonaws.com/123456789012/Shop-StopsQueue.fifo', undefined],
    ['an ARN of another service', 'https://sqs.ap-northeast-1.amazonaws.com/123456789012/Shop-StopsQueue.fifo', 'arn:aws:sns:ap-northeast-1:123456789012:Shop-StopsQueue.fifo'],
  ])('is false for %s', (_what, url, arn) => {
    expect(namesQueue(url, arn)).toBe(false);
  });
});

describe('handBack', () => {
  afterEach(() => _useSqsSdk());

  test.each(['hang', 'abortable'] as const)(
    'a ChangeMessageVisibility that gets no answer (%s) is given up by the deadline, with a warning, having aborted its signal', async (kind) => {
      // GIVEN an SQS client whose call never answers: one that does not heed its signal (as a step of the SDK before
      // the request, such as resolving credentials, may not), or one that fails only once the signal is aborted
      const signals: Array<AbortSignal | undefined> = [];
      const sdk: SqsSdk = {
        SQSClient: class {
          send(_command: unknown, options?: { readonly abortSignal?: AbortSignal }) {
            signals.push(options?.abortSignal);
            return new Promise((_resolve, reject) => {
              if (kind === 'abortable') options?.abortSignal?.addEventListener('abort', () => reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' })));
            });
          }
        },
        ChangeMessageVisibilityCommand: class {
          constructor(public readonly input: unknown) {}
        },
      };
      _useSqsSdk(sdk);
      const lines: string[] = [];
      const log = createLogger({}, (_level, line) => void lines.push(line));
      const clock = useVirtualClock();
      const deadline = Date.now() + 1_300;

      // WHEN it is handed back with 300 ms left before the time kept to return to Lambda (1 s)
      const { error, at } = await clock.run(handBack(
        { messageId: 'm0', body: '', receiptHandle: 'receipt-m0', eventSourceARN: ARN, attributes: { ApproximateReceiveCount: '1' } },
        { queueUrl: 'https://sqs.ap-northeast-1.amazonaws.com/123456789012/Shop-StopsQueue.fifo' }, false, deadline, log));

      // THEN the call was given those 300 ms and it returned then, saying the stop comes back after the visibility timeout,
      // and the call's signal was aborted
      expect(error).toBeUndefined();
      expect(clock.timeouts).toEqual([300]);
      expect(at).toBe(deadline - 1_000);
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0])).toMatchObject({ level: 'warn', messageId: 'm0', error: expect.stringMatching(/^no answer within \d+ ms$/) });
      expect(JSON.parse(lines[0]).message).toContain('ChangeMessageVisibility failed');
      expect(signals).toHaveLength(1);
      expect(signals[0]?.aborted).toBe(true);
    }, 20_000);
});

describe('handBack without a call to SQS', () => {
  afterEach(() => _useSqsSdk());
  const URL_OF_ARN = 'https://sqs.ap-northeast-1.amazonaws.com/123456789012/Shop-StopsQueue.fifo';
  const LATER = 'the queue hands it over again after its visibility timeout';

  test.each([
    ['a record without its receipt', {}, URL_OF_ARN, Date.now() + 60_000,
      { message: `the stop is not handed back sooner: the message does not name its queue or its receipt; ${LATER}` }],
    ['a message that does not name its queue', { receiptHandle: 'receipt-m0' }, undefined, Date.now() + 60_000,
      { message: `the stop is not handed back sooner: the message does not name its queue or its receipt; ${LATER}` }],
    ['a message naming another queue', { receiptHandle: 'receipt-m0', eventSourceARN: ARN }, URL_OF_ARN.replace('Shop', 'Cart'), Date.now() + 60_000,
      { message: `the stop is not handed back sooner: the message names queue "${URL_OF_ARN.replace('Shop', 'Cart')}", not the one it came from; ${LATER}`, eventSourceARN: ARN }],
    ['a record that names no queue it came from', { receiptHandle: 'receipt-m0' }, URL_OF_ARN, Date.now() + 60_000,
      { message: `the stop is not handed back sooner: the message names queue "${URL_OF_ARN}", not the one it came from; ${LATER}`, eventSourceARN: null }],
    ['no time left', { receiptHandle: 'receipt-m0', eventSourceARN: ARN }, URL_OF_ARN, 0,
      { message: `the stop is not handed back sooner: no time left; ${LATER}` }],
  ])('%s: one warning, with the message\'s ID and receive count', async (_what, record, queueUrl, deadline, said) => {
    _useSqsSdk({
      SQSClient: class {
        send(): Promise<unknown> {
          throw new Error('not called');
        }
      },
      ChangeMessageVisibilityCommand: class {
        constructor(public readonly input: unknown) {}
      },
    });
    const lines: string[] = [];
    const log = createLogger({}, (_level, line) => void lines.push(line));

    await handBack({ messageId: 'm0', body: '', ...record, attributes: { ApproximateReceiveCount: '2' } }, { queueUrl }, false, deadline, log);

    expect(lines.map((l) => JSON.parse(l))).toEqual([{ level: 'warn', messageId: 'm0', receiveCount: '2', ...said }]);
  });
});
