/**
 * The lifecycle shared by every Mackerel object that has an ID (monitors, channels, notification
 * groups, alert group settings, downtimes, AWS integrations): POST to create, PUT to update in
 * place, DELETE to delete. Each type is a table (`IdResourceSpec`) over this one implementation.
 */
import { isNotFound, isOutcomeUnknown } from './client';
import { changedFields, deepEqual, ObjectSchema, Props } from './convert';
import { createNamed, createOutcomeUnknown } from './create';
import { deleteAt, isMackerelId, Outcome, RequestContext, ResourceModule, segment, unlessNotFound } from './resource';

/** An object as Mackerel returns it: its ID and its fields. */
export interface FoundObject {
  readonly id: string;
  readonly [field: string]: unknown;
}

/**
 * For types whose names are unique in the organization: how to find the object a create made
 * when its answer was lost (`create.ts`).
 */
export interface UniqueName {
  /** The object with the name in `payload`, as Mackerel has it now. */
  find(ctx: RequestContext, payload: Props): Promise<FoundObject | undefined>;
  /** Why `found` is not what `payload` creates, or undefined when it looks like it. */
  mismatch(found: FoundObject, payload: Props): string | undefined;
}

export interface IdResourceSpec {
  /** The collection path, such as `/api/v0/monitors`. */
  readonly path: string;
  /** What one object is called in messages, such as `monitor`. */
  readonly noun: string;
  /** The `Data` attribute holding the ID, such as `MonitorId`. */
  readonly dataKey: string;
  readonly schema: ObjectSchema;
  /**
   * How to tell that an object still exists: GET by ID, or find it in the list under this key
   * (for types the API has no get-one endpoint for).
   */
  readonly listKey?: string;
  /**
   * The key that wraps the object in a GET by ID answer, such as `monitor` (`{"monitor": {...}}`).
   * @default the answer is the object
   */
  readonly getKey?: string;
  /**
   * The fields whose change the API cannot apply in place, given the new and old properties.
   * @default none: always updated in place
   */
  readonly replacedOn?: (props: Props, oldProps: Props) => readonly string[];
  /**
   * The request body. `oldProps` is given for a PUT that updates in place, and with it `live`,
   * which reads the object as Mackerel has it now (undefined when it is gone), for a body that
   * keeps a field the properties do not hold. `deadline` is the invocation's, for a body that
   * reads from AWS (a secret it resolves); `ctx`, the request's, for a body that asks about the stack.
   * @default the properties as they are
   */
  readonly body?: (props: Props, oldProps: Props | undefined, live: (() => Promise<Props | undefined>) | undefined, deadline: number,
    ctx: RequestContext) => Promise<Props> | Props;
  /**
   * The request body of a create that stands in for an update of an object deleted outside the
   * stack, given the properties the object had: for a body that depends on what the update meant.
   * @default the body of any create
   */
  readonly recreateBody?: (props: Props, oldProps: Props) => Promise<Props> | Props;
  /**
   * Wraps each POST and PUT, for types whose writes must be retried beyond the client's rules.
   * @default the call as it is
   */
  readonly write?: <T>(ctx: RequestContext, call: () => Promise<T>) => Promise<T>;
  /**
   * Set for types unique by name: a create whose outcome is unknown is then resolved by name.
   * @default - not unique by name: such a create fails, saying that it may have been carried out
   */
  readonly uniqueName?: UniqueName;
  /**
   * How messages about a create name the object, for types without a `name` field.
   * @default the noun and the `name` field, such as `monitor "load"`
   */
  readonly label?: (payload: Props) => string;
}

/**
 * The object in the answer of a successful GET by ID (`getKey` as in `IdResourceSpec`). A GET that
 * succeeds without the object in its answer (JSON without its key, or `null`) still says the object
 * exists: it counts as one without fields, and is never taken for one deleted (only a 404 says
 * that). The CLI's diff reads live objects with it, so that it sees what the handler will.
 */
export function objectInGetAnswer(answer: unknown, getKey: string | undefined): Props {
  const found = getKey ? (answer as { [key: string]: unknown } | null | undefined)?.[getKey] : answer;
  return (found ?? {}) as Props;
}

export function idResource(spec: IdResourceSpec): ResourceModule {
  const body = spec.body ?? ((props: Props) => props);
  const write = spec.write ?? (<T>(_ctx: RequestContext, call: () => Promise<T>) => call());
  const outcome = (id: string): Outcome => ({ physicalResourceId: id, data: { [spec.dataKey]: id } });

  /** The ID of the object made by one POST, which is never repeated blindly (`create.ts`). */
  const post = async (ctx: RequestContext, payload: Props): Promise<unknown> => {
    const send = () => write(ctx, () => ctx.client.request<{ id?: unknown }>('POST', spec.path, payload));
    const what = spec.label?.(payload) ?? `${spec.noun} ${JSON.stringify(payload.name ?? '')}`;
    const unique = spec.uniqueName;
    if (unique) {
      const result = await createNamed(ctx, {
        label: what,
        post: send,
        find: () => unique.find(ctx, payload),
        mismatch: (found) => unique.mismatch(found, payload),
      });
      return 'created' in result ? result.created?.id : result.found.id;
    }
    try {
      return (await send())?.id;
    } catch (e) {
      throw isOutcomeUnknown(e) ? createOutcomeUnknown(e, what) : e;
    }
  };

  const create = async (ctx: RequestContext, props: Props, goneWith?: Props): Promise<Outcome> => {
    const payload = goneWith !== undefined && spec.recreateBody
      ? spec.recreateBody(props, goneWith) : body(props, undefined, undefined, ctx.client.deadline, ctx);
    const id = await post(ctx, await payload);
    if (typeof id !== 'string') throw new Error(`POST ${spec.path}: the response has no id`);
    ctx.log.info('created', { id });
    return outcome(id);
  };

  /**
   * The object as Mackerel has it, or undefined when it is gone (`objectInGetAnswer`). One answered
   * with an empty body fails in the client (`EMPTY_GET_ANSWER`).
   */
  const current = async (ctx: RequestContext, id: string): Promise<Props | undefined> => {
    if (spec.listKey) {
      const list = await ctx.client.request<{ [key: string]: Array<Props> }>('GET', spec.path);
      return (list?.[spec.listKey] ?? []).find((item) => item.id === id);
    }
    return unlessNotFound(async () => objectInGetAnswer(await ctx.client.request('GET', `${spec.path}/${segment(id)}`), spec.getKey));
  };

  const exists = async (ctx: RequestContext, id: string): Promise<boolean> => (await current(ctx, id)) !== undefined;

  /**
   * Whether the object must be replaced: the old properties say so, unless the object already
   * has the new values. That is the rollback of a replacement that failed: CloudFormation sends
   * the old properties back as new for the same, unchanged object, and replacing it then would
   * swap a good object for a copy (and a channel would drop out of its notification groups).
   */
  const mustReplace = async (ctx: RequestContext, id: string, props: Props, oldProps: Props): Promise<readonly string[]> => {
    const replaced = spec.replacedOn?.(props, oldProps) ?? [];
    if (replaced.length === 0 || !isMackerelId(id)) return replaced;
    const found = await current(ctx, id);
    if (found && (spec.replacedOn?.(props, found) ?? []).length === 0) {
      ctx.log.info('not replacing: the object already has the new values of the fields that need a replacement (a rollback)', { id, fields: replaced });
      return [];
    }
    return replaced;
  };

  const update = async (ctx: RequestContext, id: string, props: Props, oldProps: Props): Promise<Outcome> => {
    const replaced = await mustReplace(ctx, id, props, oldProps);
    if (replaced.length > 0) {
      ctx.log.info('replacing: the API cannot change these fields in place', { id, fields: replaced });
      return create(ctx, props);
    }
    if (!isMackerelId(id)) {
      ctx.log.warn('the physical ID is not a Mackerel ID; creating the object', { id });
      return create(ctx, props);
    }
    const recreate = (): Promise<Outcome> => {
      ctx.log.warn('the object was deleted outside the stack; re-creating it', { id });
      return create(ctx, props, oldProps);
    };
    if (deepEqual(props, oldProps)) return (await exists(ctx, id)) ? outcome(id) : recreate();
    const payload = await body(props, oldProps, () => current(ctx, id), ctx.client.deadline, ctx);
    try {
      await write(ctx, () => ctx.client.request('PUT', `${spec.path}/${segment(id)}`, payload));
    } catch (e) {
      if (!isNotFound(e)) throw e;
      return recreate();
    }
    ctx.log.info('updated in place', { id, fields: changedFields(oldProps, props) });
    return outcome(id);
  };

  const remove = async (ctx: RequestContext, id: string): Promise<void> => {
    if (!isMackerelId(id)) {
      ctx.log.warn('the physical ID is not a Mackerel ID, so there is nothing to delete', { id });
      return;
    }
    await deleteAt(ctx, `${spec.path}/${segment(id)}`, id);
  };

  return { schema: spec.schema, create, update, delete: remove };
}
