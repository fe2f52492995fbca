import { beforeEach, describe, expect, test } from 'vitest';
import { expectError, ok, useEmulator } from './_emulator';

const env = useEmulator();
type Body = { [field: string]: unknown };

const ROLE_ARN = 'arn:aws:iam::123456789012:role/mackerel';
let externalId: string;
beforeEach(async () => {
  externalId = ok(await env.call('POST', '/api/v0/aws-integrations-external-id')).externalId;
});

function integration(change: Body = {}): Body {
  const out: Body = {
    name: 'prod',
    memo: 'main account',
    roleArn: ROLE_ARN,
    externalId,
    region: 'ap-northeast-1',
    includedTags: 'service:shop',
    excludedTags: '',
    services: {
      ECSCluster: { enable: true, role: 'shop:ecs', excludedMetrics: [] },
      ALB: { enable: true, role: null, excludedMetrics: ['alb.request.count'], retireAutomatically: true },
    },
    ...change,
  };
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out;
}

describe('external IDs', () => {
  test('POST issues a new ID each time and records it', async () => {
    const second = ok(await env.call('POST', '/api/v0/aws-integrations-external-id')).externalId;
    expect(second).not.toBe(externalId);
    expect(externalId).toMatch(/^\w{30}$/);
    expect(env.emulator.state().externalIds).toEqual([externalId, second]);
  });

  test('an external ID stops being usable once every integration that used it is deleted', async () => {
    const first = ok(await env.call('POST', '/api/v0/aws-integrations', integration()));
    const second = ok(await env.call('POST', '/api/v0/aws-integrations', integration({ name: 'second' })));
    ok(await env.call('DELETE', `/api/v0/aws-integrations/${first.id}`));
    // still used by the second: reusable
    const third = ok(await env.call('POST', '/api/v0/aws-integrations', integration({ name: 'third' })));
    ok(await env.call('DELETE', `/api/v0/aws-integrations/${second.id}`));
    ok(await env.call('DELETE', `/api/v0/aws-integrations/${third.id}`));
    expectError(await env.call('POST', '/api/v0/aws-integrations', integration()), 400, /every integration that used it was deleted/);
    expect(env.emulator.state().externalIds).toEqual([]);
  });

  test('an ID a PUT moved away from stays reusable while its integration exists, and is retired with it', async () => {
    // GIVEN an integration that used externalId, then moved to another ID
    const first = ok(await env.call('POST', '/api/v0/aws-integrations', integration()));
    const next = ok(await env.call('POST', '/api/v0/aws-integrations-external-id')).externalId;
    ok(await env.call('PUT', `/api/v0/aws-integrations/${first.id}`, integration({ externalId: next })));
    // WHEN another integration uses the first ID and is deleted
    const second = ok(await env.call('POST', '/api/v0/aws-integrations', integration({ name: 'second' })));
    ok(await env.call('DELETE', `/api/v0/aws-integrations/${second.id}`));
    // THEN the first ID is still reusable: the first integration used it
    const third = ok(await env.call('POST', '/api/v0/aws-integrations', integration({ name: 'third' })));
    ok(await env.call('DELETE', `/api/v0/aws-integrations/${third.id}`));
    // AND once the first integration is deleted too, neither ID is
    ok(await env.call('DELETE', `/api/v0/aws-integrations/${first.id}`));
    expectError(await env.call('POST', '/api/v0/aws-integrations', integration()), 400, /every integration that used it was deleted/);
    expectError(await env.call('POST', '/api/v0/aws-integrations', integration({ externalId: next })), 400, /every integration that used it was deleted/);
    expect(env.emulator.state()).toMatchObject({ externalIds: [], externalIdsUsedBy: {} });
  });

  test('an ID left for an access key is retired when the integration is deleted', async () => {
    const { id } = ok(await env.call('POST', '/api/v0/aws-integrations', integration()));
    ok(await env.call('PUT', `/api/v0/aws-integrations/${id}`, integration({ roleArn: null, externalId: null, key: 'AKIA', secretKey: 's' })));
    // still reusable while the integration that used it exists, after another user of it is deleted
    const other = ok(await env.call('POST', '/api/v0/aws-integrations', integration({ name: 'other' })));
    ok(await env.call('DELETE', `/api/v0/aws-integrations/${other.id}`));
    const again = ok(await env.call('POST', '/api/v0/aws-integrations', integration({ name: 'again' })));
    ok(await env.call('DELETE', `/api/v0/aws-integrations/${again.id}`));

    ok(await env.call('DELETE', `/api/v0/aws-integrations/${id}`));

    expectError(await env.call('POST', '/api/v0/aws-integrations', integration()), 400, /every integration that used it was deleted/);
    expect(env.emulator.state().externalIds).toEqual([]);
  });

  test('a read key cannot issue one: a 401, as the AWS integration page documents', async () => {
    expectError(await env.read('POST', '/api/v0/aws-integrations-external-id'), 401, /read-only/);
    expectError(await env.read('POST', '/api/v0/aws-integrations', {}), 401, /read-only/);
  });
});

test('GET /aws-integrations-excludable-metrics returns a map of every service', async () => {
  const map = ok(await env.call('GET', '/api/v0/aws-integrations-excludable-metrics'));
  expect(map).toHaveProperty('EC2');
  expect(map['Route 53']).toEqual([]);
  expect(map.ECSCluster).toContain('ecs.running_task.#.count');
});

test('the ECSCluster list holds all 19 metric names Mackerel documents for ECS: 12 of the cluster, 7 per ECS service', async () => {
  const map = ok(await env.call('GET', '/api/v0/aws-integrations-excludable-metrics'));
  const stats = ['minimum', 'average', 'maximum'];
  const cluster = ['cpu_utilization', 'memory_utilization', 'cpu_reservation', 'memory_reservation']
    .flatMap((metric) => stats.map((stat) => `ecs.${metric}.${stat}`));
  const perService = ['ecs.running_task.#.count', ...['service_cpu_utilization', 'service_memory_utilization']
    .flatMap((metric) => stats.map((stat) => `ecs.${metric}.#.${stat}`))];
  expect([...map.ECSCluster].sort()).toEqual([...cluster, ...perService].sort());
});

describe('create and read', () => {
  test('POST creates; GET by id and list return it without secretKey', async () => {
    const created = ok(await env.call('POST', '/api/v0/aws-integrations', integration()));
    expect(created).toEqual({ id: expect.stringMatching(/^\w{11}$/), key: null, secretKey: undefined, ...integration() });
    expect(ok(await env.call('GET', `/api/v0/aws-integrations/${created.id}`))).toEqual(created);
    expect(ok(await env.call('GET', '/api/v0/aws-integrations'))).toEqual({ aws_integrations: [created] });
  });

  test('the access-key method stores the secret but never returns it', async () => {
    const body = integration({ roleArn: undefined, externalId: undefined, key: 'AKIAEXAMPLE', secretKey: 'shh' });
    const created = ok(await env.call('POST', '/api/v0/aws-integrations', body));
    expect(created).toMatchObject({ key: 'AKIAEXAMPLE', roleArn: null, externalId: null });
    expect(created).not.toHaveProperty('secretKey');
    expect(JSON.stringify(ok(await env.call('GET', '/api/v0/aws-integrations')))).not.toContain('shh');
    expect(env.emulator.state().awsIntegrations[0].secretKey).toBe('shh');
  });

  test('"Route 53" and "Route53" are both accepted', async () => {
    ok(await env.call('POST', '/api/v0/aws-integrations', integration({ services: { 'Route 53': { enable: true, role: null } } })));
    ok(await env.call('POST', '/api/v0/aws-integrations', integration({ name: 'other', services: { Route53: { enable: true, role: null } } })));
  });

  test('includedMetrics alone is accepted', async () => {
    ok(await env.call('POST', '/api/v0/aws-integrations', integration({ services: { EC2: { enable: true, role: null, includedMetrics: ['ec2.cpu.used'] } } })));
  });

  test('includedMetrics on every service is stored as given, without an excludedMetrics filled in', async () => {
    const services = { EC2: { enable: true, role: null, includedMetrics: ['ec2.cpu.used'] }, SQS: { enable: true, role: null, includedMetrics: [] } };
    const created = ok(await env.call('POST', '/api/v0/aws-integrations', integration({ services })));
    expect(created.services).toEqual({ ...services, EC2: { ...services.EC2, retireAutomatically: false } });
  });

  // The list's answer: "With EC2 and RDS, the following additional keys are configured" (retireAutomatically),
  // and one not given "will be treated as disabled".
  test('EC2 and RDS are answered with retireAutomatically: false when it was not given; other services without the key', async () => {
    const created = ok(await env.call('POST', '/api/v0/aws-integrations', integration({
      services: { EC2: { enable: true, role: null }, RDS: { enable: false, role: null }, ALB: { enable: true, role: null } },
    })));
    const expected = {
      EC2: { enable: true, role: null, excludedMetrics: [], retireAutomatically: false },
      RDS: { enable: false, role: null, excludedMetrics: [], retireAutomatically: false },
      ALB: { enable: true, role: null, excludedMetrics: [] },
    };
    expect(created.services).toEqual(expected);
    expect(ok(await env.call('GET', `/api/v0/aws-integrations/${created.id}`)).services).toEqual(expected);
  });

  test('a service without a metric list next to excludedMetrics is stored with an empty excludedMetrics', async () => {
    const created = ok(await env.call('POST', '/api/v0/aws-integrations', integration({
      services: { EC2: { enable: true, role: null }, RDS: { enable: true, role: null, excludedMetrics: ['rds.cpu.used'] } },
    })));
    expect(created.services).toEqual({
      EC2: { enable: true, role: null, excludedMetrics: [], retireAutomatically: false },
      RDS: { enable: true, role: null, excludedMetrics: ['rds.cpu.used'], retireAutomatically: false },
    });
  });

  test('a 404 for an unknown ID', async () => {
    expectError(await env.call('GET', '/api/v0/aws-integrations/nope'), 404, /aws integration is not found/);
  });
});

const REJECTED: Array<[string, Body, RegExp]> = [
  ['a missing name', { name: undefined }, /^name is required$/],
  ['a missing region', { region: undefined }, /^region is required$/],
  ['a region that is not a region name', { region: 'tokyo' }, /region "tokyo" is not an AWS region name/],
  ['no credentials', { roleArn: undefined, externalId: undefined }, /credentials are required/],
  ['both authentication methods', { key: 'AKIA', secretKey: 's' }, /not both/],
  ['a key without secretKey', { roleArn: undefined, externalId: undefined, key: 'AKIA' }, /key and secretKey must be given together/],
  ['a roleArn without externalId', { externalId: undefined }, /roleArn and externalId must be given together/],
  ['a roleArn that is not an IAM role ARN', { roleArn: 'arn:aws:iam::123456789012:user/me' }, /is not an ARN of an IAM role/],
  ['an externalId this org did not issue', { externalId: 'made-up' }, /was not issued for this organization/],
  ['an unknown service identifier', { services: { EKS: { enable: true, role: null } } }, /"EKS" is not an AWS service identifier/],
  ['Route 53 under both spellings', { services: { 'Route53': { enable: true, role: null }, 'Route 53': { enable: true, role: null } } }, /Route 53 is given twice/],
  ['a service without enable', { services: { EC2: { role: null } } }, /services.EC2.enable must be a boolean/],
  ['a service without the role key', { services: { EC2: { enable: true, excludedMetrics: [] } } }, /^services.EC2.role is required: a service:role full name, or null for no role$/],
  ['a role that is not service:role', { services: { EC2: { enable: true, role: 'shop' } } }, /services.EC2.role "shop" must be a service:role full name or null/],
  ['both metric lists in one service', { services: { EC2: { enable: true, role: null, excludedMetrics: [], includedMetrics: [] } } }, /give excludedMetrics or includedMetrics, not both/],
  ['both metric-list kinds across services', { services: { EC2: { enable: true, role: null, excludedMetrics: [] }, RDS: { enable: true, role: null, includedMetrics: [] } } }, /not both kinds/],
  ['includedMetrics next to a service without a metric list', { services: { EC2: { enable: true, role: null, includedMetrics: ['ec2.cpu.used'] }, RDS: { enable: true, role: null } } },
    /^services.RDS: give includedMetrics, as EC2 does; a service without a metric list gets every metric, new ones added automatically \(the excludedMetrics kind\)/],
  ['a service without a metric list before one with includedMetrics', { services: { ECSCluster: { enable: false, role: null }, EC2: { enable: true, role: null, includedMetrics: [] } } },
    /^services.ECSCluster: give includedMetrics, as EC2 does/],
  // Type errors name the field with its service, as the other per-service errors do.
  ['an excludedMetrics that is not a list of strings', { services: { EC2: { enable: true, role: null, excludedMetrics: 'ec2.cpu' } } },
    /^services\.EC2\.excludedMetrics must be an array of strings$/],
  ['an includedMetrics that is not a list of strings', { services: { EC2: { enable: true, role: null, includedMetrics: [1] } } },
    /^services\.EC2\.includedMetrics must be an array of strings$/],
  ['a retireAutomatically that is not a boolean', { services: { RDS: { enable: true, role: null, retireAutomatically: 'yes' } } },
    /^services\.RDS\.retireAutomatically must be a boolean$/],
  ['retireAutomatically on a service that does not support it', { services: { SQS: { enable: true, role: null, retireAutomatically: true } } }, /services.SQS.retireAutomatically is not supported/],
  ['an unknown field in a service', { services: { EC2: { enable: true, role: null, tags: 'x' } } }, /tags is not a field of services.EC2/],
  ['tags that are not a string', { includedTags: ['service:shop'] }, /includedTags must be a string/],
];

test.each(REJECTED)('POST rejects %s', async (_what, change, message) => {
  expectError(await env.call('POST', '/api/v0/aws-integrations', integration(change)), 400, message);
  expect(env.emulator.state().awsIntegrations).toEqual([]);
});

test.each(['us-gov-west-1', 'cn-north-1', 'eusc-de-east-1'])('POST accepts the region %s', async (region) => {
  expect(ok(await env.call('POST', '/api/v0/aws-integrations', integration({ region }))).region).toBe(region);
});

test('POST rejects a name already used in the org', async () => {
  ok(await env.call('POST', '/api/v0/aws-integrations', integration()));
  expectError(await env.call('POST', '/api/v0/aws-integrations', integration()), 400, /named "prod" already exists/);
});

test('retireAutomatically: false is accepted on any service: the docs document no 400 for it, and it turns nothing on', async () => {
  ok(await env.call('POST', '/api/v0/aws-integrations', integration({ services: { SQS: { enable: true, role: null, retireAutomatically: false } } })));
});

test.each(['EC2', 'RDS', 'ElastiCache', 'ALB', 'NLB', 'Lambda', 'ECSCluster'])('retireAutomatically is accepted on %s', async (service) => {
  ok(await env.call('POST', '/api/v0/aws-integrations', integration({ services: { [service]: { enable: true, role: null, retireAutomatically: true } } })));
  ok(await env.call('POST', '/api/v0/aws-integrations', integration({ name: 'off', services: { [service]: { enable: true, role: null, retireAutomatically: false } } })));
});

describe('PUT', () => {
  let id: string;
  beforeEach(async () => {
    id = ok(await env.call('POST', '/api/v0/aws-integrations', integration())).id;
  });

  test('keeps credentials when omitted and overwrites everything else, the services map whole', async () => {
    const updated = ok(await env.call('PUT', `/api/v0/aws-integrations/${id}`, {
      name: 'prod2', region: 'us-east-1', services: { EC2: { enable: true, role: 'shop:ec2' } },
    }));
    expect(updated).toEqual({
      id,
      name: 'prod2',
      memo: '',
      key: null,
      roleArn: ROLE_ARN,
      externalId,
      region: 'us-east-1',
      includedTags: '',
      excludedTags: '',
      services: { EC2: { enable: true, role: 'shop:ec2', excludedMetrics: [], retireAutomatically: false } },
    });
  });

  test('null credentials switch the method', async () => {
    const updated = ok(await env.call('PUT', `/api/v0/aws-integrations/${id}`, integration({ roleArn: null, externalId: null, key: 'AKIA', secretKey: 's' })));
    expect(updated).toMatchObject({ roleArn: null, externalId: null, key: 'AKIA' });
  });

  test('new credentials without nulling the old ones are rejected', async () => {
    expectError(await env.call('PUT', `/api/v0/aws-integrations/${id}`, integration({ roleArn: undefined, externalId: undefined, key: 'AKIA', secretKey: 's' })), 400, /not both/);
  });

  test('keeping its own name is fine; taking another integration\'s name is not', async () => {
    ok(await env.call('PUT', `/api/v0/aws-integrations/${id}`, integration()));
    ok(await env.call('POST', '/api/v0/aws-integrations', integration({ name: 'staging' })));
    expectError(await env.call('PUT', `/api/v0/aws-integrations/${id}`, integration({ name: 'staging' })), 400, /named "staging" already exists/);
  });

  test('PUT of an unknown ID is a 404', async () => {
    expectError(await env.call('PUT', '/api/v0/aws-integrations/nope', integration()), 404, /aws integration is not found/);
  });

  test('DELETE returns the integration without secretKey; then it is gone', async () => {
    const before = ok(await env.call('GET', `/api/v0/aws-integrations/${id}`));
    expect(ok(await env.call('DELETE', `/api/v0/aws-integrations/${id}`))).toEqual(before);
    expectError(await env.call('DELETE', `/api/v0/aws-integrations/${id}`), 404, /aws integration is not found/);
  });
});
