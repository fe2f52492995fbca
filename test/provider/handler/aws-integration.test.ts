import { beforeEach, describe, expect, test } from 'vitest';
import { rejectionOf } from './_capture';
import { api, apiSnapshot, FakeResource, useEmulator, writes } from './_harness';
import { _RESOURCE_TYPES } from '../../../src/provider/_properties';
import { MackerelApiError } from '../../../src/provider/handler/client';
import { isUnassumableRole } from '../../../src/provider/handler/resources/aws-integration';
import { settings } from '../../../src/provider/handler/settings';

const env = useEmulator();
const NOT_ASSUMABLE = 'Failed to assume the IAM role arn:aws:iam::123456789012:role/mackerel: check the trust policy and the external ID';

function bodyOf(request: { body?: unknown }) {
  return typeof request.body === 'string' ? JSON.parse(request.body) : request.body;
}

async function integrationInMackerel(id: string) {
  const got = await api(env.emulator, 'GET', `/api/v0/aws-integrations/${id}`);
  return got.status === 200 ? got.body : got.status;
}

let baseline: Awaited<ReturnType<typeof apiSnapshot>>;
let externalId: string;
let props: { [field: string]: unknown };
beforeEach(async () => {
  expect((await api(env.emulator, 'POST', '/api/v0/services', { name: 'shop' })).status).toBe(200);
  for (const role of ['ecs', 'db']) await api(env.emulator, 'POST', '/api/v0/services/shop/roles', { name: role });
  externalId = (await api(env.emulator, 'POST', '/api/v0/aws-integrations-external-id')).body.externalId;
  props = {
    name: 'prod',
    roleArn: 'arn:aws:iam::123456789012:role/mackerel',
    externalId,
    region: 'ap-northeast-1',
    includedTags: 'env:prod',
    services: { ECSCluster: { enable: true, role: 'shop:ecs', excludedMetrics: [] } },
  };
  baseline = await apiSnapshot(env.emulator);
});

describe('Custom::MackerelAwsIntegration', () => {
  test('create, update in place (services replaced whole, credentials left out), no-op, delete', async () => {
    const integration = new FakeResource(_RESOURCE_TYPES.AWS_INTEGRATION, 'Aws');

    const { PhysicalResourceId: id, Data } = await integration.create(props);
    expect(Data).toEqual({ AwsIntegrationId: id });
    expect(await integrationInMackerel(id)).toMatchObject({ name: 'prod', region: 'ap-northeast-1', roleArn: props.roleArn, services: { ECSCluster: { enable: true, role: 'shop:ecs' } } });

    const from = env.emulator.requests().length;
    const rdsOnly = { ...props, services: { RDS: { enable: true, role: 'shop:db', retireAutomatically: true, excludedMetrics: [] } } };
    await expect(integration.update(rdsOnly)).resolves.toMatchObject({ PhysicalResourceId: id, replaced: false });
    const [put] = writes(env.emulator, from);
    expect(put.method).toBe('PUT');
    expect(bodyOf(put)).not.toHaveProperty('roleArn');
    expect(bodyOf(put)).not.toHaveProperty('externalId');
    const stored = await integrationInMackerel(id);
    expect(stored.services.RDS).toMatchObject({ enable: true, role: 'shop:db', retireAutomatically: true });
    expect(stored.services.ECSCluster?.enable ?? false).toBe(false);
    expect(stored.roleArn).toBe(props.roleArn);

    const afterUpdate = env.emulator.requests().length;
    await integration.update({ ...rdsOnly });
    expect(writes(env.emulator, afterUpdate)).toEqual([]);

    await integration.delete();
    expect(await apiSnapshot(env.emulator)).toEqual(baseline);
  });

  test('a new name is a PUT on the same integration, not a replacement', async () => {
    const integration = new FakeResource(_RESOURCE_TYPES.AWS_INTEGRATION, 'Aws');
    const { PhysicalResourceId: id } = await integration.create(props);
    const from = env.emulator.requests().length;

    const result = await integration.update({ ...props, name: 'production' });

    expect(result).toMatchObject({ PhysicalResourceId: id, replaced: false });
    expect(writes(env.emulator, from).map((w) => `${w.method} ${w.path}`)).toEqual([`PUT /api/v0/aws-integrations/${id}`]);
    expect(await integrationInMackerel(id)).toMatchObject({ name: 'production', roleArn: props.roleArn });
  });

  test('a new role ARN is sent in the PUT', async () => {
    const integration = new FakeResource(_RESOURCE_TYPES.AWS_INTEGRATION, 'Aws');
    await integration.create(props);
    const from = env.emulator.requests().length;

    await integration.update({ ...props, roleArn: 'arn:aws:iam::123456789012:role/mackerel2' });

    expect(bodyOf(writes(env.emulator, from)[0])).toMatchObject({ roleArn: 'arn:aws:iam::123456789012:role/mackerel2', externalId });
  });

  test('create sends role null for a service without a role, and memo and both tag filters even when unset', async () => {
    const { memo: _memo, includedTags: _included, ...bare } = props;
    const from = env.emulator.requests().length;

    await new FakeResource(_RESOURCE_TYPES.AWS_INTEGRATION, 'Aws').create({ ...bare, services: { RDS: { enable: true, excludedMetrics: [] } } });

    const [post] = writes(env.emulator, from);
    expect(bodyOf(post)).toMatchObject({ memo: '', includedTags: '', excludedTags: '', services: { RDS: { enable: true, role: null, excludedMetrics: [] } } });
  });

  test('removing the tag filters and the memo sends them as "" and clears them in Mackerel', async () => {
    const integration = new FakeResource(_RESOURCE_TYPES.AWS_INTEGRATION, 'Aws');
    const { PhysicalResourceId: id } = await integration.create({ ...props, memo: 'managed by CDK', excludedTags: 'env:dev' });
    const { memo: _memo, includedTags: _included, ...untagged } = props;
    const from = env.emulator.requests().length;

    await integration.update(untagged);

    const [put] = writes(env.emulator, from);
    expect(put.method).toBe('PUT');
    expect(bodyOf(put)).toMatchObject({ memo: '', includedTags: '', excludedTags: '' });
    expect(await integrationInMackerel(id)).toMatchObject({ memo: '', includedTags: '', excludedTags: '' });
  });

  test('an integration deleted outside the stack is re-created by the next update while its external ID is still in use', async () => {
    const integration = new FakeResource(_RESOURCE_TYPES.AWS_INTEGRATION, 'Aws');
    const { PhysicalResourceId: id } = await integration.create(props);
    // another integration of the organization keeps the external ID usable
    await new FakeResource(_RESOURCE_TYPES.AWS_INTEGRATION, 'Other').create({ ...props, name: 'other' });
    await api(env.emulator, 'DELETE', `/api/v0/aws-integrations/${id}`);

    const result = await integration.update({ ...props, memo: 'back' });

    expect(result.PhysicalResourceId).not.toBe(id);
    expect(await integrationInMackerel(result.PhysicalResourceId)).toMatchObject({ memo: 'back', roleArn: props.roleArn });
  });

  test('once the last integration using the external ID is deleted outside the stack, the update fails with Mackerel\'s message', async () => {
    const integration = new FakeResource(_RESOURCE_TYPES.AWS_INTEGRATION, 'Aws');
    const { PhysicalResourceId: id } = await integration.create(props);
    await api(env.emulator, 'DELETE', `/api/v0/aws-integrations/${id}`);

    await expect(integration.update({ ...props, memo: 'back' })).rejects.toThrow(/every integration that used it was deleted/);
  });

  test('after a lost create answer, another integration of that name is not taken: the create fails naming what differs', async () => {
    const theirs = { ...props, region: 'us-east-1', memo: 'theirs' };
    expect((await api(env.emulator, 'POST', '/api/v0/aws-integrations', theirs)).status).toBe(200);
    env.emulator.injectFault({ method: 'POST', path: '/api/v0/aws-integrations', status: 502, dropResponse: true });

    const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.AWS_INTEGRATION, 'Aws').create(props));

    expect(error.message).toMatch(/^Custom::MackerelAwsIntegration Aws: Create failed: POST \/api\/v0\/aws-integrations: no response: .+; AWS integration "prod" exists in Mackerel now, but its memo, region are not what was sent, so it was not taken as the one this create made$/);
    expect(env.emulator.state().awsIntegrations).toHaveLength(1);
  });

  describe('a role IAM has not propagated yet', () => {
    test('create is retried while Mackerel cannot assume the role, then succeeds', async () => {
      env.emulator.injectFault({ method: 'POST', path: '/api/v0/aws-integrations', status: 400, body: { error: { message: NOT_ASSUMABLE } }, times: 3 });
      const from = env.emulator.requests().length;

      const result = await new FakeResource(_RESOURCE_TYPES.AWS_INTEGRATION, 'Aws').create(props);

      expect(writes(env.emulator, from).filter((w) => w.path === '/api/v0/aws-integrations')).toHaveLength(4);
      expect(await integrationInMackerel(result.PhysicalResourceId)).toMatchObject({ name: 'prod' });
      expect(env.logs.lines().join('\n')).toMatch(/Mackerel cannot use the IAM role yet/);
    });

    test('create fails with Mackerel\'s message once the bounded wait is over', async () => {
      settings.iamPropagationMaxMs = 200;
      env.emulator.injectFault({ method: 'POST', path: '/api/v0/aws-integrations', status: 400, body: { error: { message: NOT_ASSUMABLE } }, times: 1000 });

      const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.AWS_INTEGRATION, 'Aws').create(props));

      expect(error.message).toMatch(new RegExp(`^Custom::MackerelAwsIntegration Aws: Create failed: POST /api/v0/aws-integrations: HTTP 400: ${NOT_ASSUMABLE} \\(Mackerel still could not use the IAM role after \\d+ attempts; expected IAM to propagate the new role within \\d+ s\\)$`));
    });

    test('a 403 refusing the API key, as the organization\'s IP restriction does, fails at once with Mackerel\'s message', async () => {
      env.emulator.injectFault({ method: 'POST', path: '/api/v0/aws-integrations', status: 403, body: { error: { message: 'Access denied' } }, times: 5 });
      const from = env.emulator.requests().length;

      const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.AWS_INTEGRATION, 'Aws').create(props));

      expect(error.message).toMatch(/^Custom::MackerelAwsIntegration Aws: Create failed: POST \/api\/v0\/aws-integrations: HTTP 403: Access denied; Mackerel refused the API key: .*API IP restriction/);
      expect(writes(env.emulator, from)).toHaveLength(1);
      expect(env.logs.lines().join('\n')).not.toMatch(/IAM role/);
    });

    test('an unrelated 400 fails at once', async () => {
      env.emulator.injectFault({ method: 'POST', path: '/api/v0/aws-integrations', status: 400, body: { error: { message: 'name is already used' } }, times: 5 });
      const from = env.emulator.requests().length;

      const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.AWS_INTEGRATION, 'Aws').create(props));

      expect(error.message).toBe('Custom::MackerelAwsIntegration Aws: Create failed: POST /api/v0/aws-integrations: HTTP 400: name is already used');
      expect(writes(env.emulator, from)).toHaveLength(1);
    });
  });
});

describe('isUnassumableRole', () => {
  test.each([
    [400, 'Failed to assume role'],
    [400, 'User: arn:aws:sts::217452466226:assumed-role/x is not authorized to perform: sts:AssumeRole'],
    [403, 'AccessDenied when calling AssumeRole'],
    // The role assumed, its policy not yet in force.
    [400, 'User: arn:aws:sts::123456789012:assumed-role/mackerel/x is not authorized to perform: ec2:DescribeInstances'],
  ])('matches %i %s', (status, message) => {
    expect(isUnassumableRole(new MackerelApiError('POST', '/api/v0/aws-integrations', status, message))).toBe(true);
  });

  test.each([
    [400, 'name is already used'],
    [400, 'invalid externalId'],
    [400, 'externalId "x" was not issued for this organization'],
    [400, 'roleArn "arn:aws:iam::1:user/x" is not an ARN of an IAM role'],
    [400, 'role shop:nothere is not found'],
    [500, 'Failed to assume role'],
    [401, 'Authentication failed'],
    // Mackerel refusing the API key (its IP restriction or permission), not the integration's role.
    [403, 'Access denied'],
    [403, 'access denied: the source IP address is not allowed to use the API of this organization'],
    [403, 'Forbidden'],
    [403, 'not authorized'],
    [400, 'AccessDenied'],
  ])('does not match %i %s', (status, message) => {
    expect(isUnassumableRole(new MackerelApiError('POST', '/api/v0/aws-integrations', status, message))).toBe(false);
  });
});
