import { ResourceModule } from '../resource';

/**
 * `Custom::MackerelAwsIntegrationExternalId`: no properties. The API issues an ID and has no
 * update or delete: an update keeps the ID, a delete is a no-op (the ID simply stops being
 * reusable once no integration uses it).
 */
export const awsIntegrationExternalId: ResourceModule = {
  schema: {},
  create: async (ctx) => {
    // Repeatable: a repeat after a lost answer only issues one more ID, which nothing uses.
    const out = await ctx.client.request<{ externalId?: unknown }>('POST', '/api/v0/aws-integrations-external-id', undefined, { repeatable: true });
    if (typeof out?.externalId !== 'string') throw new Error('POST /api/v0/aws-integrations-external-id: the response has no externalId');
    return { physicalResourceId: out.externalId, data: { ExternalId: out.externalId } };
  },
  update: async (_ctx, id) => ({ physicalResourceId: id, data: { ExternalId: id } }),
  delete: async (ctx, id) => ctx.log.info('external IDs cannot be deleted; nothing to do', { id }),
};
