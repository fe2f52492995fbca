import { excludableMetrics, servicesMap } from './_aws-rules';
import { object, onlyFields, str } from './_check';
import { badRequest, Json, route, Route } from './_http';
import { byId, newId, replaceIn, Store, uniqueId } from './_state';

const CREDENTIALS = ['key', 'secretKey', 'roleArn', 'externalId'];
const FIELDS = ['id', 'name', 'memo', ...CREDENTIALS, 'region', 'includedTags', 'excludedTags', 'services'];
/** Not documented; a shape check so that a malformed value is caught. */
const REGION = /^[a-z]{2,4}(-[a-z]+)+-\d+$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

/** Responses never include `secretKey`. */
function view(integration: Json): Json {
  const rest: Json = { ...integration };
  delete rest.secretKey;
  return rest;
}

/**
 * Exactly one authentication method: `roleArn` + `externalId` (an ID this org issued), or
 * `key` + `secretKey`.
 */
function checkCredentials(store: Store, c: Json): void {
  const has = (field: string) => c[field] !== null && c[field] !== undefined;
  for (const field of CREDENTIALS) if (has(field) && typeof c[field] !== 'string') throw badRequest(`${field} must be a string or null`);
  const byRole = has('roleArn') || has('externalId');
  const byKey = has('key') || has('secretKey');
  if (byRole && byKey) throw badRequest('give either roleArn and externalId, or key and secretKey, not both');
  if (!byRole && !byKey) throw badRequest('credentials are required: roleArn and externalId, or key and secretKey');
  if (byKey && !(has('key') && has('secretKey'))) throw badRequest('key and secretKey must be given together');
  if (!byRole) return;
  if (!(has('roleArn') && has('externalId'))) throw badRequest('roleArn and externalId must be given together');
  if (!ROLE_ARN.test(c.roleArn as string)) throw badRequest(`roleArn ${JSON.stringify(c.roleArn)} is not an ARN of an IAM role`);
  if (!store.state.externalIds.includes(c.externalId as string)) throw badRequest(`externalId ${JSON.stringify(c.externalId)} was not issued for this organization, or every integration that used it was deleted`);
}

/** Validates a body; `old` is the integration a PUT updates (its credentials stay when omitted). */
function validateIntegration(store: Store, body: unknown, old?: Json): Json {
  const o = object(body);
  onlyFields(o, FIELDS, 'an AWS integration');
  const name = str(o, 'name', { required: true }) as string;
  if (store.state.awsIntegrations.some((i) => i.name === name && i !== old)) {
    // The docs say names are unique in the org but give no status; 400 like other conflicts.
    throw badRequest(`an AWS integration named ${JSON.stringify(name)} already exists`);
  }
  const region = str(o, 'region', { required: true }) as string;
  if (!REGION.test(region)) throw badRequest(`region ${JSON.stringify(region)} is not an AWS region name`);
  const credentials: Json = {};
  for (const field of CREDENTIALS) credentials[field] = o[field] === undefined ? (old?.[field] ?? null) : o[field];
  checkCredentials(store, credentials);
  return {
    name,
    memo: str(o, 'memo') ?? '',
    ...credentials,
    region,
    includedTags: str(o, 'includedTags') ?? '',
    excludedTags: str(o, 'excludedTags') ?? '',
    services: servicesMap(o),
  };
}

/** `used` with the integration's current external ID, if it has one. */
function withCurrent(used: string[], integration: Json): string[] {
  const current = integration.externalId;
  return typeof current === 'string' && !used.includes(current) ? [...used, current] : used;
}

/**
 * Every external ID an integration has used. Its current one is added, as a state saved before
 * the record was kept does not list it.
 */
function externalIdsUsedBy(store: Store, integration: Json): string[] {
  return withCurrent(store.state.externalIdsUsedBy[integration.id as string] ?? [], integration);
}

/** Records the external ID `next` uses, keeping those its previous version used. */
function recordExternalId(store: Store, next: Json, previous?: Json): void {
  store.state.externalIdsUsedBy[next.id as string] = withCurrent(previous ? externalIdsUsedBy(store, previous) : [], next);
}

/**
 * An external ID stops being reusable once every integration that used it is deleted, including
 * one that moved to another ID (or to an access key) by a PUT.
 */
function retireExternalIds(store: Store, deleted: Json): void {
  const used = externalIdsUsedBy(store, deleted);
  delete store.state.externalIdsUsedBy[deleted.id as string];
  const issued = store.state.externalIds;
  for (const externalId of used) {
    const stillUsed = store.state.awsIntegrations.some((other) => externalIdsUsedBy(store, other).includes(externalId));
    if (!stillUsed && issued.includes(externalId)) issued.splice(issued.indexOf(externalId), 1);
  }
}

function integrationOf(store: Store, id: string): Json {
  return byId(store.state.awsIntegrations, id, 'aws integration');
}

export function awsIntegrationRoutes(store: Store): Route[] {
  const list = () => store.state.awsIntegrations;
  return [
    route('GET', '/aws-integrations', () => ({ aws_integrations: list().map(view) })),
    route('GET', '/aws-integrations/:id', ({ params }) => view(integrationOf(store, params.id))),
    route('POST', '/aws-integrations', ({ body }) => {
      if (object(body).id !== undefined) throw badRequest('id must not be given when creating an AWS integration');
      const integration = { id: uniqueId(store.state), ...validateIntegration(store, body) };
      list().push(integration);
      recordExternalId(store, integration);
      return view(integration);
    }),
    route('PUT', '/aws-integrations/:id', ({ params, body }) => {
      const old = integrationOf(store, params.id);
      const next = { id: params.id, ...validateIntegration(store, body, old) };
      recordExternalId(store, next, old);
      replaceIn(list(), old, next);
      return view(next);
    }),
    route('DELETE', '/aws-integrations/:id', ({ params }) => {
      const integration = integrationOf(store, params.id);
      replaceIn(list(), integration);
      retireExternalIds(store, integration);
      return view(integration);
    }),
    route('POST', '/aws-integrations-external-id', () => {
      const externalId = newId(30);
      store.state.externalIds.push(externalId);
      return { externalId };
    }),
    route('GET', '/aws-integrations-excludable-metrics', () => excludableMetrics()),
  ];
}
