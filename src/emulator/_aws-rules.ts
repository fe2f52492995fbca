import { bool, given, object, onlyFields, strings } from './_check';
import { badRequest, Json } from './_http';

/**
 * The documented service identifiers (mackerel-api.md section 4.3). `Route53` is accepted too:
 * the docs spell it `Route 53`, but Terraform sends `Route53` against the live API successfully,
 * so both are taken as the same service (never both in one integration).
 */
export const AWS_SERVICE_IDS = ['EC2', 'ELB', 'ALB', 'NLB', 'RDS', 'Redshift', 'ElastiCache', 'SQS', 'Lambda', 'DynamoDB',
  'CloudFront', 'APIGateway', 'Kinesis', 'S3', 'ES', 'ECSCluster', 'SES', 'States', 'EFS', 'Firehose', 'Batch', 'WAF',
  'Billing', 'Route 53', 'Connect', 'DocDB', 'CodeBuild', 'Athena'];
const ROUTE53_ALIAS = 'Route53';

/** The union of the docs (EC2, RDS, ElastiCache) and Terraform (ALB, NLB, Lambda, ECSCluster). */
export const RETIRE_AUTOMATICALLY = ['EC2', 'RDS', 'ElastiCache', 'ALB', 'NLB', 'Lambda', 'ECSCluster'];

/**
 * The services whose answers always carry `retireAutomatically` ("With EC2 and RDS, the following
 * additional keys are configured"), `false` when it was not given ("treated as disabled").
 */
const RETIRE_AUTOMATICALLY_ANSWERED = ['EC2', 'RDS'];

const ROLE_FULL_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{1,62}:[A-Za-z0-9][A-Za-z0-9_-]{1,62}$/;

/**
 * `GET /aws-integrations-excludable-metrics`: the ECS names are documented (the cluster's 12 and
 * the 7 per ECS service of the ECS page); other lists are left empty.
 */
export function excludableMetrics(): Json {
  const map: Json = Object.fromEntries(AWS_SERVICE_IDS.map((id) => [id, []]));
  const stats = (metric: string) => ['minimum', 'average', 'maximum'].map((stat) => `${metric}.${stat}`);
  map.ECSCluster = [
    ...['cpu_utilization', 'memory_utilization', 'cpu_reservation', 'memory_reservation'].flatMap((metric) => stats(`ecs.${metric}`)),
    'ecs.running_task.#.count', ...stats('ecs.service_cpu_utilization.#'), ...stats('ecs.service_memory_utilization.#'),
  ];
  return map;
}

function serviceSetting(id: string, value: unknown): Json {
  const s = object(value, `services.${id}`);
  onlyFields(s, ['enable', 'role', 'excludedMetrics', 'includedMetrics', 'retireAutomatically'], `services.${id}`);
  if (typeof s.enable !== 'boolean') throw badRequest(`services.${id}.enable must be a boolean`);
  // The reference lists role as required, "set to null" when there is none; leaving it out is not documented.
  if (s.role === undefined) throw badRequest(`services.${id}.role is required: a service:role full name, or null for no role`);
  const role = s.role;
  if (role !== null && (typeof role !== 'string' || !ROLE_FULL_NAME.test(role))) {
    throw badRequest(`services.${id}.role ${JSON.stringify(role)} must be a service:role full name or null`);
  }
  const out: Json = { enable: s.enable, role };
  if (given(s, 'excludedMetrics') && given(s, 'includedMetrics')) throw badRequest(`services.${id}: give excludedMetrics or includedMetrics, not both`);
  if (given(s, 'includedMetrics')) out.includedMetrics = strings(s, 'includedMetrics', false, `services.${id}.includedMetrics`);
  else out.excludedMetrics = strings(s, 'excludedMetrics', false, `services.${id}.excludedMetrics`) ?? [];
  const retire = bool(s, 'retireAutomatically', `services.${id}.retireAutomatically`);
  if (retire !== undefined) {
    // Only `true` is refused elsewhere: the docs list the key per service but document no 400 for
    // it, and a `false` turns nothing on (the constructs do not send it there; other clients may).
    if (retire && !RETIRE_AUTOMATICALLY.includes(id)) throw badRequest(`services.${id}.retireAutomatically is not supported; only ${RETIRE_AUTOMATICALLY.join(', ')}`);
    out.retireAutomatically = retire;
  } else if (RETIRE_AUTOMATICALLY_ANSWERED.includes(id)) {
    out.retireAutomatically = false;
  }
  return out;
}

/** Checks the `services` map: known identifiers, and one metric-list kind across all services. */
export function servicesMap(o: Json): Json {
  if (!given(o, 'services')) return {};
  const map = object(o.services, 'services');
  const out: Json = {};
  for (const [id, value] of Object.entries(map)) {
    if (!AWS_SERVICE_IDS.includes(id) && id !== ROUTE53_ALIAS) throw badRequest(`services: ${JSON.stringify(id)} is not an AWS service identifier`);
    out[id] = serviceSetting(id, value);
  }
  if (ROUTE53_ALIAS in out && 'Route 53' in out) throw badRequest('services: Route 53 is given twice (as "Route 53" and "Route53")');
  const giving = (kind: string) => Object.keys(map).filter((id) => given(map[id] as Json, kind));
  const included = giving('includedMetrics');
  if (included.length > 0 && giving('excludedMetrics').length > 0) {
    throw badRequest('services: use excludedMetrics or includedMetrics in all services of an integration, not both kinds');
  }
  // Without a list a service gets every metric, new ones added automatically: the excludedMetrics kind.
  const unlisted = Object.keys(map).find((id) => !included.includes(id));
  if (included.length > 0 && unlisted !== undefined) {
    throw badRequest(`services.${unlisted}: give includedMetrics, as ${included[0]} does; a service without a metric list `
      + 'gets every metric, new ones added automatically (the excludedMetrics kind), and an integration uses one kind');
  }
  return out;
}
