import { _shortened } from '../../../_text';
import { _GRAPH_ANNOTATION_LIMITS } from '../../_properties';
import { deepEqual, Props } from '../convert';
import { RequestContext, ResourceModule } from '../resource';

/**
 * `_GraphAnnotationProperties`. Every create, and every update that changes the properties, posts
 * a new annotation at the moment the resource is reached, so each deploy that changes them
 * (`revision` above all) marks the graphs once; the new annotation's ID is the new physical ID. An
 * update that changes nothing of them (only the ServiceToken: the provider's function was replaced)
 * marks no deploy and keeps the annotation. A delete is a no-op: the annotations are the deploy
 * history, and Mackerel deletes them with their service.
 */
/** Why a delete leaves the annotation, as `LeftInMackerel` says (and `cdk-mackerel diff` predicts). */
export const KEPT_AS_HISTORY = 'a graph annotation is part of the deploy history, so it is kept until its service is deleted';

export const graphAnnotation: ResourceModule = {
  schema: { title: 'string', description: 'string', cutDescription: 'boolean', service: 'string', roles: 'string[]', revision: 'string' },
  create: (ctx, props) => post(ctx, props),
  update: async (ctx, id, props, oldProps) => {
    if (!deepEqual(props, oldProps)) return post(ctx, props);
    ctx.log.info('no property changed (only the ServiceToken): no deploy to mark, the annotation is kept', { id });
    return { physicalResourceId: id, data: { GraphAnnotationId: id } };
  },
  delete: async () => KEPT_AS_HISTORY,
};

async function post(ctx: RequestContext, props: Props) {
  const now = Math.floor(Date.now() / 1000);
  // A default description joined at deploy (a revision's parameter values) may run past the limit,
  // which synth could not check: cut, so that marking a deploy never rolls the deploy back.
  const description = props.cutDescription === true && typeof props.description === 'string'
    ? _shortened(props.description, _GRAPH_ANNOTATION_LIMITS.description) : props.description;
  if (description !== props.description) ctx.log.info('the default description is cut to Mackerel\'s limit', { limit: _GRAPH_ANNOTATION_LIMITS.description });
  // `revision` and `cutDescription` only shape the request; they are not fields of the API.
  const body = {
    title: props.title,
    ...(description === undefined ? {} : { description }),
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
