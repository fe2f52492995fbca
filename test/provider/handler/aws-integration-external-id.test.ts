import { describe, expect, test } from 'vitest';
import { FakeResource, useEmulator, writes } from './_harness';
import { _RESOURCE_TYPES } from '../../../src/provider/_properties';

const env = useEmulator();

describe('Custom::MackerelAwsIntegrationExternalId', () => {
  test('create issues an external ID; update keeps it; delete calls nothing', async () => {
    const externalId = new FakeResource(_RESOURCE_TYPES.AWS_INTEGRATION_EXTERNAL_ID, 'ExternalId');
    const from = env.emulator.requests().length;

    const created = await externalId.create({});

    expect(writes(env.emulator, from).map((w) => `${w.method} ${w.path}`)).toEqual(['POST /api/v0/aws-integrations-external-id']);
    expect(created.PhysicalResourceId).toMatch(/.+/);
    expect(created.Data).toEqual({ ExternalId: created.PhysicalResourceId });

    const afterCreate = env.emulator.requests().length;
    await expect(externalId.update({})).resolves.toMatchObject({ PhysicalResourceId: created.PhysicalResourceId, replaced: false });
    await externalId.delete();
    expect(env.emulator.requests().slice(afterCreate)).toEqual([]);
  });
});
