import { createRequire } from 'module';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { rejectionOf } from './_capture';
import { fakeAws, fakeSqs } from './_fake-aws';
import { api, lambdaContext, useEmulator, writes } from './_harness';
import { startScriptedServer } from './_scripted-server';
import { useAwsClients } from '../../../src/provider/handler/aws';
import { handler } from '../../../src/provider/handler/index';
import { _useSqsSdk } from '../../../src/provider/handler/queue';
import { TaskStateDetail, TaskStoppedInput } from '../../../src/provider/handler/task-stop';

const env = useEmulator();

beforeEach(async () => {
  expect((await api(env.emulator, 'POST', '/api/v0/services', { name: 'shop' })).status).toBe(200);
  expect((await api(env.emulator, 'POST', '/api/v0/services/shop/roles', { name: 'web' })).status).toBe(200);
});

function installed(id: string): boolean {
  try {
    createRequire(__filename).resolve(id);
    return true;
  } catch {
    return false;
  }
}

const T0 = Date.parse('2026-11-24T03:00:00Z') / 1000;

/** An ECS "Task State Change" detail for a stopped task of the `api` service, `seconds` after T0. */
function stopped(task: string, seconds = 0, extra: Partial<TaskStateDetail> = {}): TaskStateDetail {
  return {
    taskArn: `arn:aws:ecs:ap-northeast-1:123456789012:task/prod/${task}`,
    group: 'service:api',
    lastStatus: 'STOPPED',
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
    stoppedAt: new Date((T0 + seconds) * 1000 + 123).toISOString(),
    containers: [
      { name: 'web', exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' },
      { name: 'mackerel-container-agent', exitCode: 0 },
    ],
    ...extra,
  };
}

/** The input a TaskStopAnnotations rule sends: its settings beside the event's detail. */
function input(detail: TaskStateDetail, settings: Partial<TaskStoppedInput> = {}): TaskStoppedInput {
  return { cdkMackerel: 'EcsTaskStopped', service: 'shop', roles: ['web'], mergeWindowSeconds: 600, detail, ...settings };
}

/** What a failure says after Mackerel's words when Mackerel refused the API key. */
const KEY_REFUSED = 'Mackerel refused the API key: check that the key the provider reads (MackerelProvider\'s apiKey, its secret or parameter) is valid '
  + 'and has Write permission, and that the organization\'s API IP restriction, if it has one, allows the addresses the provider\'s Lambda calls from';

const annotations = () => env.emulator.state().graphAnnotations as any[];

describe('ECS task stops on the graphs', () => {
  test('a stop posts an annotation at the stop\'s time naming the task, the cause and the failing container', async () => {
    await expect(handler(input(stopped('aaa111')), lambdaContext())).resolves.toBeUndefined();

    expect(annotations()).toEqual([{
      id: expect.any(String),
      title: 'ECS task stopped in service:api: web exited 137 (OutOfMemoryError: Container killed due to memory usage)',
      description: '2026-11-24T03:00:00Z task aaa111; EssentialContainerExited: Essential container in task exited; '
        + 'web exited 137 (OutOfMemoryError: Container killed due to memory usage)',
      from: T0,
      to: T0,
      service: 'shop',
      roles: ['web'],
    }]);
  });

  test('stops of one ECS service within the window join one annotation: count, time span and list of tasks', async () => {
    await handler(input(stopped('aaa111')), lambdaContext());
    await handler(input(stopped('bbb222', 120)), lambdaContext());
    await handler(input(stopped('ccc333', 300, { stopCode: 'TaskFailedToStart', stoppedReason: 'CannotPullContainerError: pull image manifest has been retried', containers: [{ name: 'web' }] })), lambdaContext());

    const [only, ...others] = annotations();
    expect(others).toEqual([]);
    expect(only.title).toBe('3 ECS tasks stopped in service:api: CannotPullContainerError: pull image manifest has been retried');
    expect(only.from).toBe(T0);
    expect(only.to).toBe(T0 + 300);
    expect((only.description as string).split('\n')).toEqual([
      expect.stringMatching(/^2026-11-24T03:00:00Z task aaa111; /),
      expect.stringMatching(/^2026-11-24T03:02:00Z task bbb222; /),
      '2026-11-24T03:05:00Z task ccc333; TaskFailedToStart: CannotPullContainerError: pull image manifest has been retried',
    ]);
  });

  test('a stop that arrives after a later one (EventBridge keeps no order, a retry comes minutes late) takes its place by time', async () => {
    await handler(input(stopped('bbb222', 120)), lambdaContext());
    await handler(input(stopped('ccc333', 300)), lambdaContext());
    await handler(input(stopped('aaa111', 60, { containers: [{ name: 'web', exitCode: 2, reason: 'late' }] })), lambdaContext());

    const [only, ...others] = annotations();
    expect(others).toEqual([]);
    // the title tells the newest stop's cause, the span covers them all
    expect(only.title).toBe('3 ECS tasks stopped in service:api: web exited 137 (OutOfMemoryError: Container killed due to memory usage)');
    expect([only.from, only.to]).toEqual([T0 + 60, T0 + 300]);
    expect((only.description as string).split('\n').map((line) => / task (\w+);/.exec(line)?.[1])).toEqual(['aaa111', 'bbb222', 'ccc333']);
  });

  test('a stop after the window, of another ECS service, or for other roles makes an annotation of its own', async () => {
    await handler(input(stopped('aaa111')), lambdaContext());
    await handler(input(stopped('bbb222', 601)), lambdaContext());
    await handler(input(stopped('ccc333', 10, { group: 'service:worker' })), lambdaContext());
    await handler(input(stopped('ddd444', 20), { roles: undefined }), lambdaContext());

    expect(annotations().map((a) => [a.title.replace(/:.*/, ''), a.roles, a.from])).toEqual([
      ['ECS task stopped in service', ['web'], T0],
      ['ECS task stopped in service', ['web'], T0 + 601],
      ['ECS task stopped in service', ['web'], T0 + 10],
      ['ECS task stopped in service', undefined, T0 + 20],
    ]);
    expect(annotations().map((a) => /in (\S+):/.exec(a.title)![1])).toEqual(['service:api', 'service:api', 'service:worker', 'service:api']);
  });

  test('a window of 0 marks every stop on its own', async () => {
    await handler(input(stopped('aaa111'), { mergeWindowSeconds: 0 }), lambdaContext());
    await handler(input(stopped('bbb222'), { mergeWindowSeconds: 0 }), lambdaContext());
    expect(annotations()).toHaveLength(2);
  });

  test('a stop delivered again (EventBridge delivers at least once, Lambda repeats a failure) is not marked twice', async () => {
    await handler(input(stopped('aaa111')), lambdaContext());
    await handler(input(stopped('bbb222', 60)), lambdaContext());
    const from = env.emulator.requests().length;
    await handler(input(stopped('aaa111')), lambdaContext());
    await handler(input(stopped('bbb222', 60), { mergeWindowSeconds: 0 }), lambdaContext());
    expect(writes(env.emulator, from)).toEqual([]);
    expect(annotations()[0].title).toMatch(/^2 ECS tasks stopped/);
  });

  test('stops without a task ARN are each counted, not taken for a repeat of the first; a task ID within another is no repeat either', async () => {
    const { taskArn: _none, ...noArn } = stopped('unused');
    await handler(input(noArn), lambdaContext());
    await handler(input({ ...noArn, stoppedAt: new Date((T0 + 30) * 1000).toISOString() }), lambdaContext());
    await handler(input(stopped('aaa111', 40)), lambdaContext());
    await handler(input(stopped('aaa11', 50)), lambdaContext());
    expect(annotations()).toHaveLength(1);
    expect(annotations()[0].title).toMatch(/^4 ECS tasks stopped in service:api: /);
    expect(annotations()[0].description.split('\n').map((line: string) => line.split(';')[0])).toEqual([
      '2026-11-24T03:00:00Z task unknown', '2026-11-24T03:00:30Z task unknown', '2026-11-24T03:00:40Z task aaa111', '2026-11-24T03:00:50Z task aaa11',
    ]);
  });

  test('an ECS service name too long for the title (ECS allows 255 characters) is cut, and its stops still merge', async () => {
    const group = `service:${'a'.repeat(240)}`;
    await handler(input(stopped('aaa111', 0, { group })), lambdaContext());
    await handler(input(stopped('bbb222', 60, { group })), lambdaContext());
    // names alike in the part the title shows cannot be told apart: they share annotations
    await handler(input(stopped('ccc333', 90, { group: `${group}b` })), lambdaContext());
    expect(annotations()).toHaveLength(1);
    const [first] = annotations();
    expect([...first.title].length).toBeLessThanOrEqual(250);
    expect(first.title).toMatch(/^3 ECS tasks stopped in service:a{171}…: web exited 137 \(OutOfMemoryError/);
    expect(first.description.split('\n')).toHaveLength(3);
  });

  test('annotations the stops did not make are left alone, though they overlap', async () => {
    const deploy = { title: 'deploy Shop', description: 'Shop, revision abc', from: T0, to: T0, service: 'shop', roles: ['web'] };
    expect((await api(env.emulator, 'POST', '/api/v0/graph-annotations', deploy)).status).toBe(200);
    await handler(input(stopped('aaa111', 30)), lambdaContext());
    expect(annotations()).toEqual([{ id: expect.any(String), ...deploy }, expect.objectContaining({ title: expect.stringMatching(/^ECS task stopped/) })]);
  });

  test('a long crash loop keeps the newest stops within Mackerel\'s 1024 characters and counts the rest', async () => {
    for (let i = 0; i < 12; i++) await handler(input(stopped(`task${String(i).padStart(3, '0')}`, i * 30)), lambdaContext());

    const [only] = annotations();
    expect(only.title).toMatch(/^12 ECS tasks stopped in service:api: /);
    const description = only.description as string;
    expect([...description].length).toBeLessThanOrEqual(1024);
    const lines = description.split('\n');
    const listed = lines.slice(1);
    expect(lines[0]).toBe(`(${12 - listed.length} earlier stops not listed)`);
    expect(listed[listed.length - 1]).toMatch(/ task task011; /);
    expect(listed.length).toBeGreaterThan(1);
  });

  test('one stop not listed is counted in the singular, and read back as one when the next stop pushes out another', async () => {
    const long = (task: string, seconds: number) => input(stopped(task, seconds, { containers: [{ name: 'web', exitCode: 1, reason: 'x'.repeat(200) }] }));
    for (let i = 0; i < 4; i++) await handler(long(`task${i}`, i * 10), lambdaContext());
    expect((annotations()[0].description as string).split('\n')[0]).toBe('(1 earlier stop not listed)');

    await handler(long('task4', 40), lambdaContext());
    const lines = (annotations()[0].description as string).split('\n');
    expect(lines[0]).toBe('(2 earlier stops not listed)');
    expect(lines.slice(1).map((l) => / task (task\d);/.exec(l)?.[1])).toEqual(['task2', 'task3', 'task4']);
  });

  test('a line a person added to the annotation is kept as written, not read as the count of stops not listed', async () => {
    await handler(input(stopped('aaa111')), lambdaContext());
    const { id, ...first } = annotations()[0];
    const note = '(2 of us looked into it: see INC-42)';
    expect((await api(env.emulator, 'PUT', `/api/v0/graph-annotations/${id}`, { ...first, description: `${first.description}\n${note}` })).status).toBe(200);

    await handler(input(stopped('bbb222', 60)), lambdaContext());

    const lines = (annotations()[0].description as string).split('\n');
    expect(lines).toEqual([expect.stringMatching(/ task aaa111; /), note, expect.stringMatching(/ task bbb222; /)]);
  });

  test('a reason over several lines is written on one, so each stop stays one line of the description', async () => {
    const reason = 'CannotStartContainerError: Error response from daemon:\r\n  failed to create shim task\n(exit status 1)';
    await handler(input(stopped('aaa111', 0, { containers: [{ name: 'web', exitCode: 1, reason }] })), lambdaContext());
    await handler(input(stopped('bbb222', 60)), lambdaContext());

    const [only] = annotations();
    expect(only.title).toBe('2 ECS tasks stopped in service:api: web exited 137 (OutOfMemoryError: Container killed due to memory usage)');
    expect((only.description as string).split('\n')).toEqual([
      '2026-11-24T03:00:00Z task aaa111; EssentialContainerExited: Essential container in task exited; '
        + 'web exited 1 (CannotStartContainerError: Error response from daemon: failed to create shim task (exit status 1))',
      expect.stringMatching(/ task bbb222; /),
    ]);
  });

  test('a long reason is cut to Mackerel\'s 250-character title, counting characters, not UTF-16 units', async () => {
    const reason = '🚨'.repeat(300);
    await handler(input(stopped('aaa111', 0, { containers: [{ name: 'web', exitCode: 1, reason }] })), lambdaContext());
    const [only] = annotations();
    expect([...(only.title)].length).toBe(250);
    expect(only.title.endsWith('…')).toBe(true);
  });

  test('a stop with fields missing is marked with what there is: stoppingAt for a missing stoppedAt, no stop code, no containers', async () => {
    const detail: TaskStateDetail = { taskArn: 'arn:aws:ecs:ap-northeast-1:123456789012:task/prod/aaa111', group: 'service:api', lastStatus: 'STOPPED', stoppingAt: new Date((T0 + 5) * 1000).toISOString() };
    await handler(input(detail), lambdaContext());
    expect(annotations()).toEqual([expect.objectContaining({
      title: 'ECS task stopped in service:api: stopped',
      description: '2026-11-24T03:00:05Z task aaa111; no stop code: stopped',
      from: T0 + 5,
    })]);
    await handler(input({ ...stopped('bbb222', 10, { stoppingAt: new Date((T0 + 1) * 1000).toISOString() }), containers: [{ name: 'web', exitCode: null as unknown as number, reason: 'CannotPullContainerError: pull access denied' }] }), lambdaContext());
    expect(annotations()[0]).toMatchObject({ title: '2 ECS tasks stopped in service:api: web stopped (CannotPullContainerError: pull access denied)', to: T0 + 10 });
  });

  test('a task that has not stopped is not marked', async () => {
    const from = env.emulator.requests().length;
    await handler(input(stopped('aaa111', 0, { lastStatus: 'RUNNING' })), lambdaContext());
    expect(env.emulator.requests().slice(from)).toEqual([]);
  });

  test('an annotation deleted in Mackerel between the read and the merge: the stop is marked on its own', async () => {
    await handler(input(stopped('aaa111')), lambdaContext());
    env.emulator.injectFault({ method: 'PUT', path: '/api/v0/graph-annotations/*', status: 404, body: { error: { message: 'graph annotation is not found.' } } });
    await handler(input(stopped('bbb222', 60)), lambdaContext());
    expect(annotations().map((a) => a.title.slice(0, 16))).toEqual(['ECS task stopped', 'ECS task stopped']);
  });

  test('a merge whose PUT a proxy answers with its own 404 page fails (the stop is handed back), rather than marking the stop on its own', async () => {
    // GIVEN the first stop marked, and the annotation as a listing through a proxy shows it, whose PUT the proxy answers itself
    await handler(input(stopped('aaa111')), lambdaContext());
    const proxy = await startScriptedServer([
      { status: 200, body: JSON.stringify({ graphAnnotations: annotations() }) },
      { status: 404, body: '<html><head><title>404 Not Found</title></head><body>nginx</body></html>', headers: { 'Content-Type': 'text/html' } },
      { status: 200, body: '{"id":"second"}' },
    ]);
    process.env.MACKEREL_APIBASE = proxy.url;

    const error = await rejectionOf(handler(input(stopped('bbb222', 60)), lambdaContext())).finally(() => proxy.close());

    expect(error.message).toMatch(/^annotating an ECS task stop on service "shop" failed: PUT \/api\/v0\/graph-annotations\/\w+: HTTP 404: .*; the answer is a page titled "404 Not Found", so something other than Mackerel's API answered/);
    expect(proxy.requests.map((r) => r.method)).toEqual(['GET', 'PUT']);
  });

  test('a post whose answer was lost is not sent again: the handler fails, and Lambda\'s retry finds the stop marked', async () => {
    env.emulator.injectFault({ method: 'POST', path: '/api/v0/graph-annotations', dropResponse: true });
    const error = await rejectionOf(handler(input(stopped('aaa111')), lambdaContext()));
    expect(error.message).toMatch(/POST \/api\/v0\/graph-annotations: no response: .*outcome unknown/);
    expect(annotations()).toHaveLength(1);

    const from = env.emulator.requests().length;
    await handler(input(stopped('aaa111')), lambdaContext());
    expect(writes(env.emulator, from)).toEqual([]);
    expect(annotations()).toHaveLength(1);
  });

  test('Mackerel\'s own message is logged and thrown (so Lambda calls again), without the key', async () => {
    const error = await rejectionOf(handler(input(stopped('aaa111'), { roles: ['batch'] }), lambdaContext()));
    expect(error.message).toMatch(/^annotating an ECS task stop on service "shop" failed: POST \/api\/v0\/graph-annotations: HTTP 404: .*role/);
    expect(env.logs.lines().some((line) => line.includes('"level":"error"') && line.includes('HTTP 404'))).toBe(true);
  });

  test.each([401, 403])('a key Mackerel refuses (HTTP %i) is said to be the key, with what to check, in the log line and the error', async (status) => {
    env.emulator.injectFault({ method: 'POST', path: '/api/v0/graph-annotations', status, body: { error: { message: 'permission denied' } } });

    const error = await rejectionOf(handler(input(stopped('aaa111')), lambdaContext()));

    const said = `annotating an ECS task stop on service "shop" failed: POST /api/v0/graph-annotations: HTTP ${status}: permission denied; ${KEY_REFUSED}`;
    expect(error.message).toBe(said);
    expect(env.logs.lines().filter((line) => line.includes('"level":"error"')).map((line) => JSON.parse(line).error)).toEqual([said]);
  });

  describe('from the queue', () => {
    const batch = (...bodies: unknown[]) => received(1, ...bodies);
    /** A batch of messages each handed over for the `count`th time, as the SQS event source sends them. */
    const received = (count: number, ...bodies: unknown[]) => ({
      Records: bodies.map((body, i) => ({
        messageId: `m${i}`,
        receiptHandle: `receipt-m${i}`,
        body: typeof body === 'string' ? body : JSON.stringify(body),
        attributes: { ApproximateReceiveCount: String(count) },
        eventSource: 'aws:sqs',
        eventSourceARN: QUEUE_ARN,
      })),
    });
    const QUEUE_ARN = 'arn:aws:sqs:ap-northeast-1:123456789012:Shop-StopsQueue.fifo';
    const QUEUE_URL = 'https://sqs.ap-northeast-1.amazonaws.com/123456789012/Shop-StopsQueue.fifo';
    /** A stop as the rule sends it to the queue, naming the queue. */
    const queued = (detail: TaskStateDetail) => input(detail, { queueUrl: QUEUE_URL });
    afterEach(() => _useSqsSdk());

    test('a burst of stops in one batch is marked one after another, so it merges into one annotation', async () => {
      const result = await handler(batch(input(stopped('aaa111')), input(stopped('bbb222', 1)), input(stopped('ccc333', 1))), lambdaContext());
      expect(result).toEqual({ batchItemFailures: [] });
      expect(annotations()).toHaveLength(1);
      expect(annotations()[0].title).toMatch(/^3 ECS tasks stopped in service:api: /);
    });

    test('a stop that fails is handed back to the queue alone; the stops after it are marked meanwhile, and it joins them in time order later', async () => {
      const tasks = () => annotations().map((a) => (a.description as string).split('\n').map((l) => / task (\w+);/.exec(l)?.[1]));
      // Mackerel refuses the second stop's merge once (the PUT after the first stop's POST)
      env.emulator.injectFault({ method: 'PUT', path: '/api/v0/graph-annotations/*', status: 400, body: { error: { message: 'invalid' } } });
      const second = input(stopped('bbb222', 1));
      const result = await handler(batch(input(stopped('aaa111')), second, input(stopped('ccc333', 2))), lambdaContext());
      expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
      expect(tasks()).toEqual([['aaa111', 'ccc333']]);

      // the queue hands it over again
      await expect(handler(batch(second), lambdaContext())).resolves.toEqual({ batchItemFailures: [] });
      expect(tasks()).toEqual([['aaa111', 'bbb222', 'ccc333']]);
    });

    test('the key is read once for a batch, not once for each stop', async () => {
      const arn = 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:mackerel-AbCdEf';
      const aws = fakeAws({ secrets: { [arn]: env.emulator.apiKey } });
      useAwsClients(aws);
      const { MACKEREL_APIKEY: key } = process.env;
      delete process.env.MACKEREL_APIKEY;
      process.env.MACKEREL_APIKEY_SECRET_ARN = arn;
      try {
        const result = await handler(batch(input(stopped('aaa111')), input(stopped('bbb222', 1)), input(stopped('ccc333', 2))), lambdaContext());
        expect(result).toEqual({ batchItemFailures: [] });
      } finally {
        process.env.MACKEREL_APIKEY = key;
        delete process.env.MACKEREL_APIKEY_SECRET_ARN;
        useAwsClients();
      }
      expect(aws.commands.map((c) => c.name)).toEqual(['GetSecretValue']);
      expect(annotations()[0].title).toMatch(/^3 ECS tasks stopped/);
    });

    test('a message that is no task stop is dropped with an error in the log, not handed back (it would hold up its group)', async () => {
      const result = await handler(batch('not json', { hello: 'world' }, input(stopped('aaa111'))), lambdaContext());
      expect(result).toEqual({ batchItemFailures: [] });
      expect(annotations()).toHaveLength(1);
      expect(env.logs.lines().filter((line) => line.includes('dropped: the message is not a task stop'))).toHaveLength(2);
    });

    describe('a stop that fails comes back sooner than the queue\'s 15-minute visibility timeout', () => {
      test.each([[1, 30], [2, 60], [3, 120], [4, 240], [5, 300], [8, 300]])(
        'failed at its receipt %i (Mackerel answered 500), it is hidden for %i seconds, then reported as failed', async (count, seconds) => {
          const sqs = fakeSqs();
          env.emulator.injectFault({ method: 'POST', path: '/api/v0/graph-annotations', status: 500, body: { error: { message: 'internal error' } } });
          const result = await handler(received(count, queued(stopped('aaa111'))), lambdaContext());
          expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
          expect(sqs.changes).toEqual([{ QueueUrl: QUEUE_URL, ReceiptHandle: 'receipt-m0', VisibilityTimeout: seconds }]);
        });

      test.each([8, 9])(
        'failed at receipt %i, at or past the maxReceiveCount (8) the rule gives, a stop that failed and one refused are made visible at once, to go to the dead-letter queue', async (count) => {
          const sqs = fakeSqs();
          env.emulator.injectFault({ method: 'POST', path: '/api/v0/graph-annotations', status: 500, body: { error: { message: 'internal error' } } });
          const result = await handler(received(count, { ...queued(stopped('aaa111')), maxReceiveCount: 8 }, { ...queued(stopped('bbb222', 1)), maxReceiveCount: 8, roles: ['batch'] }),
            lambdaContext());
          expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }, { itemIdentifier: 'm1' }] });
          expect(sqs.changes).toEqual([
            { QueueUrl: QUEUE_URL, ReceiptHandle: 'receipt-m0', VisibilityTimeout: 0 }, { QueueUrl: QUEUE_URL, ReceiptHandle: 'receipt-m1', VisibilityTimeout: 0 },
          ]);
          expect(env.logs.lines().filter((line) => line.includes('"level":"warn"') && line.includes('last receipt: it goes to the dead-letter queue'))).toHaveLength(2);
        });

      test('before the last receipt, or with no valid count (a stop queued by an earlier release), the stop waits its backoff', async () => {
        const sqs = fakeSqs();
        env.emulator.injectFault({ method: 'POST', path: '/api/v0/graph-annotations', status: 500, body: { error: { message: 'internal error' } }, times: 3 });
        const result = await handler(received(7, { ...queued(stopped('aaa111')), maxReceiveCount: 8 }, { ...queued(stopped('bbb222', 1)), maxReceiveCount: 'eight' },
          { ...queued(stopped('ccc333', 2)), maxReceiveCount: 0 }), lambdaContext());
        expect(result.batchItemFailures).toHaveLength(3);
        expect(sqs.changes.map((c) => c.VisibilityTimeout)).toEqual([300, 300, 300]);
      });

      test.each([
        ['throttled (429 until the handler gave up)', { method: 'GET', path: '/api/v0/graph-annotations', status: 429, body: { error: { message: 'too many requests' } }, times: 100 }],
        ['timed out (408)', { method: 'POST', path: '/api/v0/graph-annotations', status: 408, body: { error: { message: 'request timeout' } } }],
        ['without an answer', { method: 'POST', path: '/api/v0/graph-annotations', dropResponse: true }],
        // Not Mackerel refusing the key: no JSON error of Mackerel's, so something on the way answered, which may let it through later.
        ['refused by a proxy (403 with its own body, not Mackerel\'s JSON error)', { method: 'POST', path: '/api/v0/graph-annotations', status: 403, body: { message: 'Forbidden' } }],
        ['refused by a load balancer (405 with its own body)', { method: 'POST', path: '/api/v0/graph-annotations', status: 405, body: 'Method Not Allowed' }],
        ['refused by a WAF (413 with its own body)', { method: 'POST', path: '/api/v0/graph-annotations', status: 413, body: { message: 'Request Entity Too Large' } }],
      ])('%s, it is retried as soon as after a 500', async (_what, fault) => {
        const sqs = fakeSqs();
        env.emulator.injectFault(fault);
        expect(await handler(received(2, queued(stopped('aaa111'))), lambdaContext())).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
        expect(sqs.changes.map((c) => c.VisibilityTimeout)).toEqual([60]);
      });

      test('a receive count that is no number counts as the first', async () => {
        const sqs = fakeSqs();
        env.emulator.injectFault({ method: 'POST', path: '/api/v0/graph-annotations', status: 500, body: { error: { message: 'internal error' } } });
        const odd = received(1, queued(stopped('aaa111')));
        (odd.Records[0].attributes as { ApproximateReceiveCount: string }).ApproximateReceiveCount = 'many';
        expect(await handler(odd, lambdaContext())).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
        expect(sqs.changes.map((c) => c.VisibilityTimeout)).toEqual([30]);
      });

      test('refused by Mackerel (a 4xx other than 408 and 429), which the same request gets again, it waits the longest step, 5 minutes, from its first failure', async () => {
        const sqs = fakeSqs();
        const result = await handler(received(1, queued(stopped('aaa111')), { ...queued(stopped('bbb222', 1)), roles: ['batch'] }), lambdaContext());
        expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
        expect(sqs.changes).toEqual([{ QueueUrl: QUEUE_URL, ReceiptHandle: 'receipt-m1', VisibilityTimeout: 300 }]);
      });

      test('each failed stop of a batch is hidden once the batch is done; the stops marked are not touched', async () => {
        const order: string[] = [];
        const sqs = fakeSqs((change) => void order.push(`hide ${change.ReceiptHandle} at ${env.emulator.requests().length} requests`));
        env.emulator.injectFault({ method: 'POST', path: '/api/v0/graph-annotations', status: 503, body: { error: { message: 'unavailable' } } });
        env.emulator.injectFault({ method: 'PUT', path: '/api/v0/graph-annotations/*', status: 400, body: { error: { message: 'invalid' } } });
        const result = await handler(batch(queued(stopped('aaa111')), queued(stopped('bbb222', 1)), queued(stopped('ccc333', 2)), queued(stopped('ddd444', 3))), lambdaContext());
        expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }, { itemIdentifier: 'm2' }] });
        expect(sqs.changes.map((c) => [c.ReceiptHandle, c.VisibilityTimeout])).toEqual([['receipt-m0', 30], ['receipt-m2', 300]]);
        const requests = env.emulator.requests().length;
        expect(order).toEqual([`hide receipt-m0 at ${requests} requests`, `hide receipt-m2 at ${requests} requests`]);
      });

      test('when ChangeMessageVisibility fails, the stop is still reported as failed (it comes back after the visibility timeout), with a warning', async () => {
        fakeSqs(() => Object.assign(new Error('Value receipt-m0 for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.'), { name: 'ReceiptHandleIsInvalid' }));
        env.emulator.injectFault({ method: 'POST', path: '/api/v0/graph-annotations', status: 500, body: { error: { message: 'internal error' } } });
        const result = await handler(batch(queued(stopped('aaa111'))), lambdaContext());
        expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
        expect(env.logs.lines().some((line) => line.includes('"level":"warn"') && line.includes('ChangeMessageVisibility failed')
          && line.includes('The receipt handle has expired'))).toBe(true);
      });

      test('with no time left in the invocation, the stop is not handed back (the handler must answer in time) but still reported as failed', async () => {
        const sqs = fakeSqs();
        const result = await handler(batch(queued(stopped('aaa111'))), lambdaContext(500));
        expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
        expect(sqs.changes).toEqual([]);
        expect(env.logs.lines().some((line) => line.includes('not handed back sooner: no time left'))).toBe(true);
      });

      test('with a remaining time that has a fraction of a millisecond, the stop is still handed back (the wait is cut in whole milliseconds)', async () => {
        const sqs = fakeSqs();
        env.emulator.injectFault({ method: 'POST', path: '/api/v0/graph-annotations', status: 500, body: { error: { message: 'internal error' } } });
        const result = await handler(batch(queued(stopped('aaa111'))), lambdaContext(60_000.5));
        expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
        expect(sqs.changes).toEqual([{ QueueUrl: QUEUE_URL, ReceiptHandle: 'receipt-m0', VisibilityTimeout: 30 }]);
      });

      test('a stop whose message names another queue than the one it came from is marked, but never handed back to that queue', async () => {
        // GIVEN a body naming another queue (copied or redriven from elsewhere, or written by hand): one stop that fails, one that succeeds
        const sqs = fakeSqs();
        const elsewhere = 'https://sqs.ap-northeast-1.amazonaws.com/123456789012/Cart-StopsQueue.fifo';
        env.emulator.injectFault({ method: 'POST', path: '/api/v0/graph-annotations', status: 500, body: { error: { message: 'internal error' } } });

        // WHEN
        const result = await handler(batch({ ...queued(stopped('aaa111')), queueUrl: elsewhere, maxReceiveCount: 8 },
          input(stopped('bbb222', 1), { queueUrl: elsewhere })), lambdaContext());

        // THEN the failed one comes back after the visibility timeout, and the mismatch fails nothing by itself
        expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
        expect(sqs.changes).toEqual([]);
        expect(annotations()).toHaveLength(1);
        const warning = env.logs.lines().map((l) => JSON.parse(l)).find((l) => l.message.includes('not the one it came from'));
        expect(warning).toMatchObject({ level: 'warn', messageId: 'm0', eventSourceARN: QUEUE_ARN });
        expect(warning.message).toContain(elsewhere);
      });

      test('the SQS client sends to SQS\'s endpoint for the region, never to the host of the URL a message names', async () => {
        const sqs = fakeSqs();
        expect(sqs.configs).toEqual([{ useQueueUrlAsEndpoint: false }]);
      });

      test('a stop queued without its queue\'s URL (by an earlier release) is reported as failed and left to the visibility timeout', async () => {
        const sqs = fakeSqs();
        env.emulator.injectFault({ method: 'POST', path: '/api/v0/graph-annotations', status: 500, body: { error: { message: 'internal error' } } });
        const result = await handler(batch(input(stopped('aaa111'))), lambdaContext());
        expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
        expect(sqs.changes).toEqual([]);
        expect(env.logs.lines().some((line) => line.includes('does not name its queue'))).toBe(true);
      });

      // The package does not install the client (the Lambda runtime has it), so this is what a local run meets.
      test.skipIf(installed('@aws-sdk/client-sqs'))('without @aws-sdk/client-sqs (a local run), the stop is still reported as failed, with a warning saying which module', async () => {
        env.emulator.injectFault({ method: 'POST', path: '/api/v0/graph-annotations', status: 500, body: { error: { message: 'internal error' } } });
        const result = await handler(batch(queued(stopped('aaa111'))), lambdaContext());
        expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
        expect(env.logs.lines().some((line) => line.includes('ChangeMessageVisibility failed') && line.includes('@aws-sdk/client-sqs is not installed'))).toBe(true);
      });
    });
  });
});
