import { describe, expect, test } from 'vitest';
import { namesQueue } from '../../../src/provider/handler/queue';

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
