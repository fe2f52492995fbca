/**
 * What the handler asks about the stack a request comes from, which a CloudFormation event does
 * not say: whether a resource is still in it with a given physical ID, and whether it is rolling
 * back. `owned.ts` needs both to tell a rolled-back move of a service or role (hand the object
 * back) from a take-over of an object whose old resource let go of it keeping it, with a
 * `DeletionPolicy` or `UpdateReplacePolicy` of `Retain` (the object is then the new resource's
 * alone, to delete when it goes).
 *
 * In the Lambda these are CloudFormation's answers (the provider lets its handler describe its own
 * stack). `cdk-mackerel apply`, which is no CloudFormation, answers from its state file instead.
 */
import { AwsClient, _loadSdk, _readFailure, _sendRead } from './aws';

/**
 * Each question takes the time by which its answer is needed (the invocation's deadline, as the
 * Mackerel client has it): CloudFormation's throttled answers are asked again until then.
 */
export interface StackView {
  /**
   * Whether the stack still has a resource of this logical ID, and its physical ID is this one: a
   * resource that let go of an object, keeping it (an UpdateReplacePolicy that retains sends no
   * Delete), may hold another one since (two services that swap names).
   */
  holds(stackId: string, logicalResourceId: string, physicalResourceId: string, deadline: number): Promise<boolean>;
  /** Whether the stack is rolling back an operation that failed (its rollback's cleanup included). */
  isRollingBack(stackId: string, deadline: number): Promise<boolean>;
  /**
   * Whether a resource of the stack other than `logicalResourceId`, and not being deleted, has this
   * type and physical ID: metadata (`resources/metadata.ts`) whose construct moved, which the old
   * resource's delete must leave.
   */
  heldByAnother(stackId: string, logicalResourceId: string, resourceType: string, physicalResourceId: string, deadline: number): Promise<boolean>;
}

let replaced: StackView | undefined;

/** Replaces the view of CloudFormation (the CLI, tests), or goes back to it when called with nothing. */
export function useStackView(view?: StackView): void {
  replaced = view;
}

/** The view a request is answered with. */
export function stackView(): StackView {
  return replaced ?? cloudFormation;
}

/**
 * The parts of `@aws-sdk/client-cloudformation` used here. The Lambda runtime ships the module,
 * and nothing else loads it (`cdk-mackerel apply` answers from its state), so the package does
 * not depend on it. @internal
 */
export interface CloudFormationSdk {
  readonly CloudFormationClient: new (config: object) => AwsClient;
  readonly DescribeStacksCommand: new (input: { StackName: string }) => unknown;
  readonly DescribeStackResourceCommand: new (input: { StackName: string; LogicalResourceId: string }) => unknown;
  readonly ListStackResourcesCommand: new (input: { StackName: string; NextToken?: string }) => unknown;
}

type CloudFormation = { readonly sdk: CloudFormationSdk; readonly client: AwsClient };

let loaded: CloudFormation | undefined;

function loadCloudFormation(): CloudFormation {
  if (!loaded) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
    const sdk = _loadSdk('@aws-sdk/client-cloudformation', (): CloudFormationSdk => require('@aws-sdk/client-cloudformation'));
    // One attempt per send: `send` below retries, within the invocation's time, which the SDK's own retries do not know.
    loaded = { sdk, client: new sdk.CloudFormationClient({ maxAttempts: 1 }) };
  }
  return loaded;
}

/**
 * Sends a read within the invocation's time (`_sendRead`): again after a backoff while CloudFormation
 * throttles it, fails transiently or does not answer (a stack's many custom resources ask at once in
 * a large deploy); never past the time kept to answer CloudFormation.
 */
async function send(client: AwsClient, command: unknown, operation: string, deadline: number): Promise<unknown> {
  try {
    return await _sendRead(client, command, `CloudFormation ${operation}`, deadline);
  } catch (e) {
    // Said with CloudFormation's error code, as a secret's or parameter's read says its own: the SDK's
    // message alone ("User: ... is not authorized to perform: ...") does not say what to change.
    throw _readFailure(e, `CloudFormation ${operation}`, WHAT_TO_CHECK);
  }
}

/**
 * What the user checks when CloudFormation refuses a read, by its error code. ListStackResources'
 * denial is an answer (see `heldByAnother`): only the other two reach the user.
 */
const WHAT_TO_CHECK: { readonly [name: string]: string } = {
  AccessDenied: 'the provider\'s Lambda role may not read its own stack: check that its policy still allows '
    + 'cloudformation:DescribeStackResource and cloudformation:DescribeStacks on the stack, which the provider grants it',
};

/** The view of CloudFormation's API, through the SDK `load` gives. @internal */
export function _cloudFormationView(load: () => CloudFormation): StackView {
  return {
    holds: async (stackId, logicalResourceId, physicalResourceId, deadline) => {
      const { sdk, client } = load();
      try {
        const command = new sdk.DescribeStackResourceCommand({ StackName: stackId, LogicalResourceId: logicalResourceId });
        const out = await send(client, command, 'DescribeStackResource', deadline) as { StackResourceDetail?: { PhysicalResourceId?: string } };
        return out?.StackResourceDetail?.PhysicalResourceId === physicalResourceId;
      } catch (e) {
        // CloudFormation's answer for a logical ID the stack does not have.
        if ((e as Error).name === 'ValidationError' && /does not exist/i.test((e as Error).message)) return false;
        throw e;
      }
    },
    isRollingBack: async (stackId, deadline) => {
      const { sdk, client } = load();
      const out = await send(client, new sdk.DescribeStacksCommand({ StackName: stackId }), 'DescribeStacks', deadline) as { Stacks?: Array<{ StackStatus?: string }> };
      const status = out?.Stacks?.[0]?.StackStatus;
      if (typeof status !== 'string') throw new Error(`DescribeStacks gave no status for stack ${stackId}`);
      // ROLLBACK_IN_PROGRESS, UPDATE_ROLLBACK_IN_PROGRESS, IMPORT_ROLLBACK_IN_PROGRESS, and
      // UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS, in which the rollback deletes what the failed update created.
      return /ROLLBACK.*IN_PROGRESS$/.test(status);
    },
    heldByAnother: async (stackId, logicalResourceId, resourceType, physicalResourceId, deadline) => {
      const { sdk, client } = load();
      let nextToken: string | undefined;
      do {
        let out: {
          StackResourceSummaries?: Array<{ LogicalResourceId?: string; ResourceType?: string; PhysicalResourceId?: string; ResourceStatus?: string }>;
          NextToken?: string;
        };
        try {
          const command = new sdk.ListStackResourcesCommand({ StackName: stackId, ...(nextToken ? { NextToken: nextToken } : {}) });
          out = await send(client, command, 'ListStackResources', deadline) as typeof out;
        } catch (e) {
          // The provider may list its stack while the template has metadata (_allowStackResourceList).
          // The grant leaves with the last metadata construct in the update phase (or the rollback's),
          // before the cleanup deletes that construct's resource: no resource of the template holds
          // the namespace then, and refusing would leave it in Mackerel.
          if (/^AccessDenied/.test((e as Error).name)) return false;
          throw e;
        }
        // A resource being deleted (the old one of a move, in the cleanup) no longer holds the object.
        if ((out?.StackResourceSummaries ?? []).some((r) => r.LogicalResourceId !== logicalResourceId && r.ResourceType === resourceType
          && r.PhysicalResourceId === physicalResourceId && !String(r.ResourceStatus ?? '').startsWith('DELETE_'))) return true;
        nextToken = out?.NextToken;
      } while (nextToken);
      return false;
    },
  };
}

const cloudFormation = _cloudFormationView(loadCloudFormation);

/**
 * Refuses a value found faulty (`refusal`, the error's message), unless the stack is rolling back
 * to it: then it is sent all the same, with `warning` in the log. A rollback goes back to
 * properties the stack had, whose secret may have got the fault since (or held it before the
 * check existed): refused, the rollback would fail and leave the stack in UPDATE_ROLLBACK_FAILED.
 * The stack is asked only here, once a value is found faulty; one that cannot be read counts as
 * not rolling back, so the value is refused as outside a rollback.
 */
export async function refuseUnlessRollingBack(ctx: { readonly stackId: string; readonly log: { warn(message: string): void } }, deadline: number,
  refusal: string, warning: string): Promise<void> {
  if (!(await stackView().isRollingBack(ctx.stackId, deadline).catch(() => false))) throw new Error(refusal);
  ctx.log.warn(warning);
}
