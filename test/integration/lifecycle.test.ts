import { Stack } from 'aws-cdk-lib';
import { describe, expect, test } from 'vitest';
import { integrationStack, logicalIds, resourceOf } from './_fixture';
import { AwsIntegrationService, MackerelAwsIntegration } from '../../src/integration';
import { _RESOURCE_TYPES } from '../../src/provider/_properties';
import { api, FakeResource, useEmulator } from '../provider/handler/_harness';

const env = useEmulator();
const ROLE_ARN = 'arn:aws:iam::123456789012:role/Stack-AwsRole';

/**
 * The integration's properties as CloudFormation would pass them: the role's ARN and the
 * external ID resolved, the service token left out.
 */
function deployedProperties(aws: MackerelAwsIntegration, externalId: string): { [key: string]: unknown } {
  const stack = Stack.of(aws);
  const ids = logicalIds(aws);
  const { ServiceToken: _token, ...props } = resourceOf(stack, ids.integration).Properties;
  expect(props.roleArn).toEqual({ 'Fn::GetAtt': [ids.role, 'Arn'] });
  expect(props.externalId).toEqual({ Ref: ids.externalId });
  return { ...props, roleArn: ROLE_ARN, externalId };
}

function integration(configure: (aws: MackerelAwsIntegration) => void) {
  const { stack } = integrationStack();
  const aws = new MackerelAwsIntegration(stack, 'Aws', {
    name: 'prod', memo: 'managed by CDK', includedTags: [{ key: 'service:role', value: 'foo,bar' }],
  });
  configure(aws);
  return aws;
}

describe('MackerelAwsIntegration against the emulator', () => {
  test('creates, replaces the services map whole on update, and deletes', async () => {
    const externalId = new FakeResource(_RESOURCE_TYPES.AWS_INTEGRATION_EXTERNAL_ID, 'AwsExternalId');
    await externalId.create({});
    const resource = new FakeResource(_RESOURCE_TYPES.AWS_INTEGRATION, 'Aws');

    const v1 = integration((aws) => {
      aws.addService(AwsIntegrationService.ECS_CLUSTER, { role: 'shop:ecs' });
      aws.addService(AwsIntegrationService.ALB, { role: 'shop:lb', retireAutomatically: true });
    });
    await resource.create(deployedProperties(v1, externalId.physicalId!));
    const created = await api(env.emulator, 'GET', `/api/v0/aws-integrations/${resource.physicalId}`);
    expect(created.body).toMatchObject({
      name: 'prod',
      memo: 'managed by CDK',
      region: 'ap-northeast-1',
      roleArn: ROLE_ARN,
      externalId: externalId.physicalId,
      includedTags: '"service:role":"foo,bar"',
      services: {
        ECSCluster: { enable: true, role: 'shop:ecs' },
        ALB: { enable: true, role: 'shop:lb', retireAutomatically: true },
      },
    });

    const v2 = integration((aws) => aws.addService(AwsIntegrationService.ECS_CLUSTER, { role: 'shop:cluster', excludedMetrics: ['ecs.running_task.#.count'] }));
    const updated = await resource.update(deployedProperties(v2, externalId.physicalId!));
    expect(updated.replaced).toBe(false);
    const after = await api(env.emulator, 'GET', `/api/v0/aws-integrations/${resource.physicalId}`);
    expect(Object.keys(after.body.services)).toEqual(['ECSCluster']);
    expect(after.body.services.ECSCluster).toMatchObject({ enable: true, role: 'shop:cluster', excludedMetrics: ['ecs.running_task.#.count'] });
    // Credentials are kept when omitted: the unchanged role is not sent again, and stays.
    const put = env.emulator.requests().find((r) => r.method === 'PUT' && r.path.endsWith(`/aws-integrations/${resource.physicalId}`));
    expect(put?.body).toMatchObject({ name: 'prod', services: { ECSCluster: expect.anything() } });
    expect(put?.body).not.toHaveProperty('roleArn');
    expect(after.body).toMatchObject({ roleArn: ROLE_ARN, externalId: externalId.physicalId });

    await resource.delete();
    expect((await api(env.emulator, 'GET', `/api/v0/aws-integrations/${resource.physicalId}`)).status).toBe(404);
    await externalId.delete();
    expect((await api(env.emulator, 'GET', '/api/v0/aws-integrations')).body.aws_integrations).toEqual([]);
  });

  test('every service constant with its documented flags is accepted by the emulator in one integration', async () => {
    const externalId = new FakeResource(_RESOURCE_TYPES.AWS_INTEGRATION_EXTERNAL_ID, 'AwsExternalId');
    await externalId.create({});
    const all = integration((aws) => {
      for (const service of AwsIntegrationService._all()) {
        aws.addService(service, { role: 'shop:aws', retireAutomatically: service.supportsRetireAutomatically || undefined });
      }
    });
    const resource = new FakeResource(_RESOURCE_TYPES.AWS_INTEGRATION, 'Aws');
    await resource.create(deployedProperties(all, externalId.physicalId!));
    const stored = await api(env.emulator, 'GET', `/api/v0/aws-integrations/${resource.physicalId}`);
    expect(Object.keys(stored.body.services)).toEqual(AwsIntegrationService._all().map((s) => s.id));
  });
});
