import { MackerelApiError } from '../client';
import { ObjectSchema, Props } from '../convert';
import { FoundObject, idResource, UniqueName } from '../id-resource';
import { RequestContext } from '../resource';
import { settings, sleep } from '../settings';

/** `_AwsIntegrationProperties`. */
export const AWS_INTEGRATION_SCHEMA: ObjectSchema = {
  name: 'string',
  memo: 'string',
  roleArn: 'string',
  externalId: 'string',
  region: 'string',
  includedTags: 'string',
  excludedTags: 'string',
  services: {
    mapOf: {
      enable: 'boolean',
      role: 'string',
      excludedMetrics: 'string[]',
      includedMetrics: 'string[]',
      retireAutomatically: 'boolean',
    },
  },
};

/**
 * The statuses and messages with which Mackerel rejects an IAM role it cannot assume yet. A role
 * created in the same stack takes a while to become assumable (IAM is eventually consistent),
 * so the create or update is retried for up to `settings.iamPropagationMaxMs` (3 minutes by
 * default, always within the Lambda's remaining time) while the answer matches.
 */
export const UNASSUMABLE_ROLE_STATUSES: readonly number[] = [400, 403];
// Only a message about assuming the role (`AssumeRole`, `assume role`, an `assumed-role/...`
// principal lacking a permission of the policy): a malformed ARN or an external ID this
// organization never issued is a permanent input error, and waiting minutes on it would only
// delay the failure. "Access denied" or "not authorized" alone is not enough: Mackerel's own 403
// is an API key refused, by its permission or by the organization's IP restriction of the API
// (`POST /api/v0/settings/ip-restriction/api`), which no wait mends and which IAM is not to blame for.
export const UNASSUMABLE_ROLE_MESSAGE = /assume/i;

export function isUnassumableRole(error: unknown): boolean {
  return error instanceof MackerelApiError
    && error.status !== undefined
    && UNASSUMABLE_ROLE_STATUSES.includes(error.status)
    && UNASSUMABLE_ROLE_MESSAGE.test(error.apiMessage);
}

async function whileRoleIsNotAssumable<T>(ctx: RequestContext, call: () => Promise<T>): Promise<T> {
  const giveUpAt = Math.min(Date.now() + settings.iamPropagationMaxMs, ctx.client.deadline - settings.safetyMarginMs);
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      const waitMs = settings.iamPropagationIntervalMs;
      if (!isUnassumableRole(e)) throw e;
      if (Date.now() + waitMs >= giveUpAt) {
        throw new Error(`${(e as Error).message} (Mackerel still could not use the IAM role after ${attempt} attempts; expected IAM to propagate the new role within ${Math.ceil(settings.iamPropagationMaxMs / 1000)} s)`);
      }
      ctx.log.warn('Mackerel cannot use the IAM role yet; waiting for IAM to propagate it', { attempt, waitMs, error: (e as MackerelApiError).apiMessage });
      await sleep(waitMs);
    }
  }
}

/**
 * Every field Mackerel's Go client always sends. The API reference makes a service's `role`
 * required (`null` for none), and a PUT overwrites the other fields without saying what becomes
 * of one left out, so a memo or tag filter removed from the stack is sent as "" to clear it.
 */
function withEveryField(props: Props): Props {
  const services = (props.services ?? {}) as { [serviceId: string]: Props };
  return {
    ...props,
    memo: props.memo ?? '',
    includedTags: props.includedTags ?? '',
    excludedTags: props.excludedTags ?? '',
    services: Object.fromEntries(Object.entries(services).map(([id, service]) => [id, { ...service, role: service.role ?? null }])),
  };
}

/** Credentials stay unchanged when omitted from a PUT, so send them only when they change. */
function integrationBody(props: Props, oldProps?: Props): Props {
  const body = withEveryField(props);
  if (!oldProps || props.roleArn !== oldProps.roleArn || props.externalId !== oldProps.externalId) return body;
  const { roleArn: _roleArn, externalId: _externalId, ...rest } = body;
  return rest;
}

/** The fields a create sends that Mackerel returns as sent (not `services`, which it fills in). */
const COMPARED_FIELDS: ReadonlyArray<{ readonly field: string; readonly absent: unknown }> = [
  { field: 'memo', absent: '' },
  { field: 'region', absent: '' },
  { field: 'roleArn', absent: null },
  { field: 'externalId', absent: null },
  { field: 'key', absent: null },
  { field: 'includedTags', absent: '' },
  { field: 'excludedTags', absent: '' },
];

/**
 * Names are unique in the organization, so a create whose answer was lost is found by name. It
 * is the one sent when its region, credentials (the external ID is issued to this stack), memo
 * and tags are those sent.
 */
const BY_NAME: UniqueName = {
  find: async (ctx, payload) => {
    const list = await ctx.client.request<{ aws_integrations?: FoundObject[] }>('GET', '/api/v0/aws-integrations');
    return (list?.aws_integrations ?? []).find((integration) => integration.name === payload.name);
  },
  mismatch: (found, payload) => {
    const differs = COMPARED_FIELDS.filter(({ field, absent }) => (found[field] ?? absent) !== (payload[field] ?? absent)).map(({ field }) => field);
    return differs.length > 0 ? `its ${differs.join(', ')} ${differs.length > 1 ? 'are' : 'is'} not what was sent` : undefined;
  },
};

export const awsIntegration = idResource({
  path: '/api/v0/aws-integrations',
  noun: 'AWS integration',
  dataKey: 'AwsIntegrationId',
  schema: AWS_INTEGRATION_SCHEMA,
  body: integrationBody,
  write: whileRoleIsNotAssumable,
  uniqueName: BY_NAME,
});
