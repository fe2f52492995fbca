import { afterEach, describe, expect, test } from 'vitest';
import { MackerelApiError } from '../../../../src/provider/handler/client';
import { awsIntegration } from '../../../../src/provider/handler/resources/aws-integration';
import { resetSettings, settings } from '../../../../src/provider/handler/settings';
import { captureLogs } from '../_capture';
import { fakeContext } from '../_fake-client';

captureLogs();
afterEach(resetSettings);

const props = { name: 'prod', roleArn: 'arn:aws:iam::1:role/m', externalId: 'e1', region: 'ap-northeast-1', services: {} };

describe('AWS integration body', () => {
  test('leaves the credentials out of a PUT when they did not change', async () => {
    const { ctx, bodies } = fakeContext({ 'PUT /api/v0/aws-integrations/i1': {} });

    await awsIntegration.update(ctx, 'i1', { ...props, memo: 'new' }, props);

    expect(bodies[0]).toEqual({ name: 'prod', region: 'ap-northeast-1', services: {}, memo: 'new', includedTags: '', excludedTags: '' });
  });

  test.each(['roleArn', 'externalId'])('sends both credentials when %s changed', async (field) => {
    const { ctx, bodies } = fakeContext({ 'PUT /api/v0/aws-integrations/i1': {} });

    await awsIntegration.update(ctx, 'i1', { ...props, [field]: 'changed' }, props);

    expect(bodies[0]).toMatchObject({ roleArn: field === 'roleArn' ? 'changed' : props.roleArn, externalId: field === 'externalId' ? 'changed' : 'e1' });
  });

  test('retries the PUT while Mackerel cannot assume the role', async () => {
    settings.iamPropagationIntervalMs = 1;
    let failures = 2;
    const { ctx, calls } = fakeContext({
      'PUT /api/v0/aws-integrations/i1': () => {
        if (failures-- > 0) throw new MackerelApiError('PUT', '/api/v0/aws-integrations/i1', 400, 'could not assume role');
        return {};
      },
    });

    await awsIntegration.update(ctx, 'i1', { ...props, roleArn: 'arn:aws:iam::1:role/new' }, props);

    expect(calls).toEqual(Array(3).fill('PUT /api/v0/aws-integrations/i1'));
  });
});
