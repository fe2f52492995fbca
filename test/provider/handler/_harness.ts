import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { captureLogs } from './_capture';
import { startEmulator } from '../../../src/emulator';
import { handler, HandlerResult } from '../../../src/provider/handler/index';
import { resetSettings, settings } from '../../../src/provider/handler/settings';
import type { StackView } from '../../../src/provider/handler/stack';

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;

export const STACK_ID = 'arn:aws:cloudformation:ap-northeast-1:123456789012:stack/shop/0a1b2c3d-0000-1111-2222-333344445555';

/** What CloudFormation does to custom-resource properties: every scalar becomes a string. */
export function asCloudFormationSends(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asCloudFormationSends);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asCloudFormationSends(v)]));
  }
  return String(value);
}

type Props = { [field: string]: unknown };

/** A Lambda context with plenty of time left, or the given time. */
export function lambdaContext(remainingMs = 60_000) {
  const deadline = Date.now() + remainingMs;
  return { getRemainingTimeInMillis: () => deadline - Date.now() };
}

/** A CloudFormation event as the provider framework passes it to `onEvent`. */
export function cfnEvent(
  requestType: 'Create' | 'Update' | 'Delete',
  resourceType: string,
  logicalId: string,
  props: Props,
  extra: { physicalId?: string; oldProps?: Props; stackId?: string } = {},
): CloudFormationCustomResourceEvent {
  const base = {
    ServiceToken: 'arn:aws:lambda:ap-northeast-1:123456789012:function:framework-onEvent',
    ResponseURL: '...',
    StackId: extra.stackId ?? STACK_ID,
    RequestId: `req-${Math.random().toString(36).slice(2)}`,
    LogicalResourceId: logicalId,
    ResourceType: resourceType,
    ResourceProperties: { ServiceToken: 'token', ...(asCloudFormationSends(props) as Props) },
  };
  if (requestType === 'Create') return { ...base, RequestType: 'Create' };
  if (requestType === 'Update') {
    return {
      ...base,
      RequestType: 'Update',
      PhysicalResourceId: extra.physicalId ?? '',
      OldResourceProperties: { ServiceToken: 'token', ...(asCloudFormationSends(extra.oldProps ?? {}) as Props) },
    };
  }
  return { ...base, RequestType: 'Delete', PhysicalResourceId: extra.physicalId ?? '' };
}

/**
 * One custom resource driven the way CloudFormation drives it: create, update (with the cleanup
 * Delete of the old physical ID when the update replaced it), delete.
 */
export class FakeResource {
  public physicalId?: string;
  public data: { [key: string]: string } = {};
  private props?: Props;

  constructor(private readonly resourceType: string, private readonly logicalId: string, private readonly stackId = STACK_ID) {}

  async create(props: Props): Promise<HandlerResult> {
    const result = await handler(cfnEvent('Create', this.resourceType, this.logicalId, props, { stackId: this.stackId }), lambdaContext());
    this.remember(result, props);
    return result;
  }

  /**
   * With `retained` (an `UpdateReplacePolicy` that retains), a replacement's old physical ID gets
   * no cleanup Delete, as CloudFormation sends none.
   */
  async update(props: Props, options: { retained?: boolean } = {}): Promise<HandlerResult & { replaced: boolean }> {
    const oldId = this.physicalId;
    const event = cfnEvent('Update', this.resourceType, this.logicalId, props, { physicalId: oldId, oldProps: this.props, stackId: this.stackId });
    const result = await handler(event, lambdaContext());
    const oldProps = this.props ?? {};
    this.remember(result, props);
    const replaced = result.PhysicalResourceId !== oldId;
    if (replaced && !options.retained) {
      // CloudFormation's cleanup phase: Delete of the old physical ID with the old properties.
      await handler(cfnEvent('Delete', this.resourceType, this.logicalId, oldProps, { physicalId: oldId, stackId: this.stackId }), lambdaContext());
    }
    return { ...result, replaced };
  }

  /**
   * CloudFormation's rollback after an update to `failedProps` failed: an Update back to the
   * properties this resource still has, with the failed ones as old, on the same physical ID.
   */
  async rollback(failedProps: Props): Promise<HandlerResult & { replaced: boolean }> {
    const oldId = this.physicalId;
    const event = cfnEvent('Update', this.resourceType, this.logicalId, this.props ?? {}, { physicalId: oldId, oldProps: failedProps, stackId: this.stackId });
    const result = await handler(event, lambdaContext());
    const replaced = result.PhysicalResourceId !== oldId;
    if (replaced) await handler(cfnEvent('Delete', this.resourceType, this.logicalId, failedProps, { physicalId: oldId, stackId: this.stackId }), lambdaContext());
    this.remember(result, this.props ?? {});
    return { ...result, replaced };
  }

  async delete(): Promise<HandlerResult> {
    return handler(cfnEvent('Delete', this.resourceType, this.logicalId, this.props ?? {}, { physicalId: this.physicalId, stackId: this.stackId }), lambdaContext());
  }

  private remember(result: HandlerResult, props: Props) {
    this.physicalId = result.PhysicalResourceId;
    this.data = { ...result.Data };
    this.props = props;
  }
}

/**
 * The stack as CloudFormation describes it to the handler (`StackView`): each resource's current
 * physical ID, which a test sets as CloudFormation would after each answer, and the stack status.
 * A resource stays listed until the test removes it (CloudFormation keeps describing a deleted
 * resource while its stack is being deleted).
 */
export class StackTable {
  public status = 'UPDATE_COMPLETE';
  public readonly resources = new Map<string, string>();

  public readonly view: StackView = {
    holds: async (stackId, logicalResourceId, physicalResourceId) =>
      stackId === STACK_ID && this.resources.get(logicalResourceId) === physicalResourceId,
    isRollingBack: async (stackId) => stackId === STACK_ID && /ROLLBACK.*IN_PROGRESS$/.test(this.status),
    heldByAnother: async () => { throw new Error('not asked'); },
  };

  /** Records the physical IDs the resources have now. */
  track(resources: { readonly [logicalId: string]: FakeResource }): void {
    for (const [id, resource] of Object.entries(resources)) this.resources.set(id, resource.physicalId!);
  }
}

/** The Mackerel objects visible through the API (what a stack could have left behind). */
export async function apiSnapshot(emulator: Emulator) {
  const get = async (path: string): Promise<any> => {
    const response = await fetch(`${emulator.url.replace(/\/+$/, '')}${path}`, { headers: { 'X-Api-Key': emulator.apiKey } });
    expect(response.status, `GET ${path}`).toBe(200);
    return response.json();
  };
  const services = (await get('/api/v0/services')).services as Array<{ name: string; roles: string[] }>;
  return {
    services,
    monitors: (await get('/api/v0/monitors')).monitors,
    channels: (await get('/api/v0/channels')).channels,
    notificationGroups: (await get('/api/v0/notification-groups')).notificationGroups,
    alertGroupSettings: (await get('/api/v0/alert-group-settings')).alertGroupSettings,
    downtimes: (await get('/api/v0/downtimes')).downtimes,
    awsIntegrations: (await get('/api/v0/aws-integrations')).aws_integrations,
  };
}

/** Calls that change something in Mackerel, since `from` (an index into `requests()`). */
export function writes(emulator: Emulator, from = 0) {
  return emulator.requests().slice(from).filter((r) => r.method !== 'GET');
}

/**
 * One emulator for a test file, the handler pointed at it through its environment, fast
 * backoff, captured logs, and after each test: the key never appeared in any log line.
 */
export function useEmulator() {
  const logs = captureLogs();
  const state: { emulator?: Emulator; baseline?: Awaited<ReturnType<typeof apiSnapshot>> } = {};
  beforeAll(async () => {
    state.emulator = await startEmulator({ port: 0 });
  });
  afterAll(async () => {
    await state.emulator?.close();
  });
  beforeEach(async () => {
    state.emulator!.reset();
    state.emulator!.clearFaults();
    process.env.MACKEREL_APIBASE = state.emulator!.url;
    process.env.MACKEREL_APIKEY = state.emulator!.apiKey;
    Object.assign(settings, { baseDelayMs: 5, maxDelayMs: 20, minAttemptMs: 50, safetyMarginMs: 1_000, iamPropagationIntervalMs: 20 });
  });
  afterEach(() => {
    const key = state.emulator!.apiKey;
    for (const line of logs.lines()) expect(line).not.toContain(key);
    delete process.env.MACKEREL_APIBASE;
    delete process.env.MACKEREL_APIKEY;
    resetSettings();
  });
  return {
    get emulator(): Emulator {
      return state.emulator!;
    },
    logs,
  };
}

/** A direct call to the emulator, as someone working outside the stack would make. */
export async function api(emulator: Emulator, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${emulator.url.replace(/\/+$/, '')}${path}`, {
    method,
    headers: { 'X-Api-Key': emulator.apiKey, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/**
 * Mackerel reads role scopes back as `Service: role` (with a space); the handler sends
 * `service:role`. Tests compare what they sent with what is stored after undoing that.
 */
export function normalizeScopes<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v.replace(/: /, ':') : normalizeScopes(v))) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, /scopes$/i.test(k) ? normalizeScopes(v) : v])) as T;
  }
  return value;
}
