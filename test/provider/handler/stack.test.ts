import { afterEach, describe, expect, test, vi } from 'vitest';
import { rejectionOf } from './_capture';
import { useVirtualClock } from './_virtual-clock';
import { resetSettings, settings } from '../../../src/provider/handler/settings';
import { CloudFormationSdk, StackView, _cloudFormationView } from '../../../src/provider/handler/stack';

const STACK_ID = 'arn:aws:cloudformation:ap-northeast-1:123456789012:stack/shop/0a1b2c3d';
/** The invocation's deadline: a minute from now. */
const later = () => Date.now() + 60_000;

/** An SDK whose commands record their input, and a client answering each command with `answer`. */
function fakeCloudFormation(answer: (command: { name: string; input: unknown }) => unknown) {
  const sent: Array<{ name: string; input: unknown }> = [];
  const command = (name: string) => class {
    public readonly name = name;
    constructor(public readonly input: unknown) {}
  };
  const sdk = {
    CloudFormationClient: class {
      async send(c: { name: string; input: unknown }) {
        sent.push({ name: c.name, input: c.input });
        const out = answer(c);
        if (out instanceof Error) throw out;
        return out;
      }
    },
    DescribeStacksCommand: command('DescribeStacks'),
    DescribeStackResourceCommand: command('DescribeStackResource'),
    ListStackResourcesCommand: command('ListStackResources'),
  } as unknown as CloudFormationSdk;
  const view = _cloudFormationView(() => ({ sdk, client: new sdk.CloudFormationClient({}) }));
  return { view, sent };
}

/** An error as the SDK throws it: CloudFormation's code as its name. */
function sdkError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

describe('the view of CloudFormation the Lambda asks', () => {
  test('a resource the stack has, with this physical ID', async () => {
    const { view, sent } = fakeCloudFormation(() => ({ StackResourceDetail: { LogicalResourceId: 'Shop', PhysicalResourceId: 'shop' } }));
    await expect(view.holds(STACK_ID, 'Shop', 'shop', later())).resolves.toBe(true);
    expect(sent).toEqual([{ name: 'DescribeStackResource', input: { StackName: STACK_ID, LogicalResourceId: 'Shop' } }]);
  });

  test('a resource the stack has with another physical ID (it let go of this object, as an UpdateReplacePolicy that retains does)', async () => {
    const { view } = fakeCloudFormation(() => ({ StackResourceDetail: { LogicalResourceId: 'Shop', PhysicalResourceId: 'cart' } }));
    await expect(view.holds(STACK_ID, 'Shop', 'shop', later())).resolves.toBe(false);
  });

  test('a resource the stack does not have, as CloudFormation says so', async () => {
    const { view } = fakeCloudFormation(() => sdkError('ValidationError', `Resource Shop does not exist for stack ${STACK_ID}`));
    await expect(view.holds(STACK_ID, 'Shop', 'shop', later())).resolves.toBe(false);
  });

  test('any other failure is not taken as an answer', async () => {
    const { view } = fakeCloudFormation(() => sdkError('AccessDenied', 'not authorized to perform: cloudformation:DescribeStackResource'));
    await expect(view.holds(STACK_ID, 'Shop', 'shop', later())).rejects.toThrow('not authorized');
  });

  test.each([
    ['UPDATE_ROLLBACK_IN_PROGRESS', true],
    ['UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', true],
    ['ROLLBACK_IN_PROGRESS', true],
    ['IMPORT_ROLLBACK_IN_PROGRESS', true],
    ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', false],
    ['UPDATE_IN_PROGRESS', false],
    ['DELETE_IN_PROGRESS', false],
    ['UPDATE_ROLLBACK_COMPLETE', false],
  ])('a stack in %s is rolling back: %s', async (status, rollingBack) => {
    const { view, sent } = fakeCloudFormation(() => ({ Stacks: [{ StackStatus: status }] }));
    await expect(view.isRollingBack(STACK_ID, later())).resolves.toBe(rollingBack);
    expect(sent).toEqual([{ name: 'DescribeStacks', input: { StackName: STACK_ID } }]);
  });

  test('an answer without a status is not taken as one', async () => {
    const { view } = fakeCloudFormation(() => ({ Stacks: [] }));
    await expect(view.isRollingBack(STACK_ID, later())).rejects.toThrow(`DescribeStacks gave no status for stack ${STACK_ID}`);
  });

  describe('a read CloudFormation refuses names the call and CloudFormation\'s error code, and what to check for a denial', () => {
    const DENIED = 'the provider\'s Lambda role may not read its own stack: check that its policy still allows '
      + 'cloudformation:DescribeStackResource and cloudformation:DescribeStacks on the stack, which the provider grants it';
    const NOT_AUTHORIZED = 'User: arn:aws:sts::123456789012:assumed-role/Shop-MackerelRole/fn is not authorized to perform: cloudformation:';

    test.each([
      ['DescribeStackResource', (view: StackView) => view.holds(STACK_ID, 'Shop', 'shop', later())],
      ['DescribeStacks', (view: StackView) => view.isRollingBack(STACK_ID, later())],
    ])('%s denied', async (operation, ask) => {
      const denial = sdkError('AccessDenied', `${NOT_AUTHORIZED}${operation}`);
      const { view } = fakeCloudFormation(() => denial);

      const error = await rejectionOf(ask(view));

      expect(error.message).toBe(`CloudFormation ${operation} failed: AccessDenied: ${NOT_AUTHORIZED}${operation} (${DENIED})`);
      // still named as CloudFormation named it, for the callers that tell one code from another
      expect({ name: error.name, cause: error.cause }).toEqual({ name: 'AccessDenied', cause: denial });
    });

    test.each([
      ['a stack that does not exist', sdkError('ValidationError', `Stack with id ${STACK_ID} does not exist`),
        `CloudFormation ListStackResources failed: ValidationError: Stack with id ${STACK_ID} does not exist`],
      ['a code without a message', sdkError('ExpiredTokenException', 'UnknownError'), 'CloudFormation ListStackResources failed: ExpiredTokenException'],
    ])('%s', async (_what, refusal, said) => {
      const { view } = fakeCloudFormation(() => refusal);

      const error = await rejectionOf(view.heldByAnother(STACK_ID, 'Owner', 'Custom::MackerelServiceMetadata', 'shop/owner', later()));

      expect(error.message).toBe(said);
    });
  });

  describe('whether another resource holds a physical ID', () => {
    const TYPE = 'Custom::MackerelServiceMetadata';
    const summary = (logicalId: string, status: string, physicalId = 'shop/owner', type = TYPE) =>
      ({ LogicalResourceId: logicalId, ResourceType: type, PhysicalResourceId: physicalId, ResourceStatus: status });

    test('reads every page, and counts another logical ID of the same type and physical ID not being deleted', async () => {
      const pages: { [token: string]: unknown } = {
        first: { StackResourceSummaries: [summary('Owner', 'DELETE_IN_PROGRESS'), summary('Other', 'CREATE_COMPLETE', 'cart/owner')], NextToken: 'two' },
        two: { StackResourceSummaries: [summary('Moved', 'CREATE_COMPLETE')] },
      };
      const { view, sent } = fakeCloudFormation((c) => pages[(c.input as { NextToken?: string }).NextToken ?? 'first']);
      await expect(view.heldByAnother(STACK_ID, 'Owner', TYPE, 'shop/owner', later())).resolves.toBe(true);
      expect(sent).toEqual([
        { name: 'ListStackResources', input: { StackName: STACK_ID } },
        { name: 'ListStackResources', input: { StackName: STACK_ID, NextToken: 'two' } },
      ]);
    });

    test.each([
      ['only the asking resource', [summary('Owner', 'UPDATE_COMPLETE')]],
      ['another one being deleted', [summary('Owner', 'CREATE_COMPLETE'), summary('Moved', 'DELETE_IN_PROGRESS')]],
      ['another type', [summary('Moved', 'CREATE_COMPLETE', 'shop/owner', 'Custom::MackerelRoleMetadata')]],
      ['another physical ID', [summary('Moved', 'CREATE_COMPLETE', 'shop/team')]],
    ])('not held: %s', async (_what, summaries) => {
      const { view } = fakeCloudFormation(() => ({ StackResourceSummaries: summaries }));
      await expect(view.heldByAnother(STACK_ID, 'Owner', TYPE, 'shop/owner', later())).resolves.toBe(false);
    });

    test('not held when the handler may not list the stack: the template no longer has metadata (the last removed, or a rollback of the first)', async () => {
      // The grant leaves with the stack's last metadata construct, in the update phase, before the cleanup deletes its resource.
      const { view } = fakeCloudFormation(() => sdkError('AccessDenied', 'User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform: cloudformation:ListStackResources'));
      await expect(view.heldByAnother(STACK_ID, 'Owner', TYPE, 'shop/owner', later())).resolves.toBe(false);
    });

    test('another error of ListStackResources fails the request', async () => {
      const { view, sent } = fakeCloudFormation(() => sdkError('ValidationError', `Stack with id ${STACK_ID} does not exist`));
      await expect(view.heldByAnother(STACK_ID, 'Owner', TYPE, 'shop/owner', later())).rejects.toThrow(/does not exist/);
      expect(sent).toHaveLength(1);
    });
  });

  describe('a throttled or failing read is sent again within the invocation\'s time', () => {
    const TYPE = 'Custom::MackerelServiceMetadata';
    afterEach(() => {
      resetSettings();
      vi.restoreAllMocks();
    });

    test.each([
      ['Throttling', sdkError('Throttling', 'Rate exceeded')],
      ['a 503', Object.assign(sdkError('ServiceUnavailable', 'unavailable'), { $metadata: { httpStatusCode: 503 } })],
      ['what the SDK marks retryable', Object.assign(sdkError('TimeoutError', 'socket hang up'), { $retryable: {} })],
    ])('%s, then the answer', async (_what, error) => {
      Object.assign(settings, { baseDelayMs: 1, maxDelayMs: 2 });
      let calls = 0;
      const { view, sent } = fakeCloudFormation((c) => (++calls <= 2 ? error
        : c.name === 'ListStackResources' ? { StackResourceSummaries: [{ LogicalResourceId: 'Moved', ResourceType: TYPE, PhysicalResourceId: 'shop/owner' }] }
          : c.name === 'DescribeStacks' ? { Stacks: [{ StackStatus: 'UPDATE_ROLLBACK_IN_PROGRESS' }] }
            : { StackResourceDetail: { LogicalResourceId: 'Shop', PhysicalResourceId: 'shop' } }));
      await expect(view.heldByAnother(STACK_ID, 'Owner', TYPE, 'shop/owner', later())).resolves.toBe(true);
      expect(sent.map((c) => c.name)).toEqual(['ListStackResources', 'ListStackResources', 'ListStackResources']);
      calls = 0;
      await expect(view.isRollingBack(STACK_ID, later())).resolves.toBe(true);
      calls = 0;
      await expect(view.holds(STACK_ID, 'Shop', 'shop', later())).resolves.toBe(true);
      expect(sent).toHaveLength(9);
    });

    test('a read that gets no answer is given up before the invocation\'s time runs out, naming the call', async () => {
      // GIVEN CloudFormation never answers; 2 s left, of which 1 s is kept to answer, 100 ms per attempt, waits of 10 ms
      // between them, and no attempt limit to stop sooner
      Object.assign(settings, {
        requestTimeoutMs: 100, safetyMarginMs: 1_000, baseDelayMs: 10, maxDelayMs: 20, minAttemptMs: 10, maxAttempts: 1_000,
      });
      vi.spyOn(Math, 'random').mockReturnValue(0);
      const clock = useVirtualClock();
      const { view, sent } = fakeCloudFormation(() => new Promise(() => {}));
      const deadline = Date.now() + 2_000;

      // WHEN
      const { error, at } = await clock.run(view.holds(STACK_ID, 'Shop', 'shop', deadline));

      // THEN it failed by the time kept to answer, the deadline having stopped it, and no attempt was given more than its 100 ms
      expect(error?.message).toMatch(/^CloudFormation DescribeStackResource failed: no answer within \d+ ms \(gave up after \d+ attempts: no time left to retry\)$/);
      expect(at).toBeLessThanOrEqual(deadline - settings.safetyMarginMs);
      expect(sent.length).toBeGreaterThan(1);
      expect(clock.timeouts).toHaveLength(sent.length);
      expect(clock.timeouts.every((ms) => ms > 0 && ms <= 100)).toBe(true);
    }, 20_000);

    test('gives up at the attempt limit, saying so', async () => {
      Object.assign(settings, { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 4 });
      const { view, sent } = fakeCloudFormation(() => sdkError('Throttling', 'Rate exceeded'));
      const failed = view.heldByAnother(STACK_ID, 'Owner', TYPE, 'shop/owner', later());
      await expect(failed).rejects.toThrow('CloudFormation ListStackResources failed: Throttling: Rate exceeded (gave up after 4 attempts: attempt limit reached)');
      expect(sent).toHaveLength(4);
    });

    test('gives up when the invocation has no time left for a wait and one more attempt', async () => {
      Object.assign(settings, { baseDelayMs: 1_000, safetyMarginMs: 5_000, minAttemptMs: 1_000 });
      const { view, sent } = fakeCloudFormation(() => sdkError('Throttling', 'Rate exceeded'));
      await expect(view.heldByAnother(STACK_ID, 'Owner', TYPE, 'shop/owner', Date.now() + 6_500)).rejects.toThrow(/gave up after 1 attempt: no time left to retry\)$/);
      expect(sent).toHaveLength(1);
    });
  });
});
