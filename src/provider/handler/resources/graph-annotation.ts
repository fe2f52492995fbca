import { Props } from '../convert';
import { RequestContext, ResourceModule } from '../resource';

/**
 * `_GraphAnnotationProperties`. Every create or update posts a new annotation at the moment the
 * resource is reached, so each deploy that changes the properties (`revision` above all) marks
 * the graphs once; the new annotation's ID is the new physical ID. A delete is a no-op: the
 * annotations are the deploy history, and Mackerel deletes them with their service.
 */
/** Why a delete leaves the annotation, as `LeftInMackerel` says (and `cdk-mackerel diff` predicts). */
export const KEPT_AS_HISTORY = 'a graph annotation is part of the deploy history, so it is kept';

export const graphAnnotation: ResourceModule = {
  schema: { title: 'string', description: 'string', service: 'string', roles: 'string[]', revision: 'string' },
  create: (ctx, props) => post(ctx, props),
  update: (ctx, _id, props) => post(ctx, props),
  delete: async () => KEPT_AS_HISTORY,
};

async function post(ctx: RequestContext, props: Props) {
  const now = Math.floor(Date.now() / 1000);
  // `revision` only makes CloudFormation send an update; it is not a field of the API.
  const body = {
    title: props.title,
    ...(props.description === undefined ? {} : { description: props.description }),
    from: now,
    to: now,
    service: props.service,
    ...(props.roles === undefined ? {} : { roles: props.roles }),
  };
  // Repeatable: a repeat after a lost answer at worst marks the deploy twice, where failing would roll the deploy back.
  const out = await ctx.client.request<{ id?: unknown }>('POST', '/api/v0/graph-annotations', body, { repeatable: true });
  if (typeof out?.id !== 'string') throw new Error('POST /api/v0/graph-annotations: the response has no id');
  ctx.log.info('graph annotation posted', { id: out.id, service: props.service });
  return { physicalResourceId: out.id, data: { GraphAnnotationId: out.id } };
}
