/**
 * Services and roles: named objects with no update API, which may exist before the stack and
 * must then never be deleted by it. The handler marks what it creates with the metadata
 * namespace `cdk-mackerel` = `{ stackId, logicalResourceId }` and deletes only what carries this
 * stack's mark. Creating one that exists fails, unless it already carries this very resource's
 * mark (a create CloudFormation retried), another resource of the same stack's mark, or the mark
 * of an earlier stack of the same name, account and region.
 *
 * The last case is a construct that moved (a new logical ID): CloudFormation creates the new
 * resource, then deletes the old one in its cleanup, or, when the update rolls back, deletes the
 * new one. So the new resource takes the object over with `handedOverFrom` = the old logical ID;
 * the old resource's cleanup then only clears `handedOverFrom` (the object is no longer its own),
 * and a rollback's delete of the new resource hands the object back instead of deleting it.
 * An old resource that left the stack keeping the object (a DeletionPolicy that retains) sends no
 * delete at all, as when a retained service is added back under another construct id, and neither
 * does one whose replacement kept it (an UpdateReplacePolicy that retains), as when two services of
 * the stack swap names: the new resource's delete then asks the stack (`stack.ts`) whether the old
 * one is still in it with this object's physical ID or the stack is rolling back, and otherwise
 * deletes the object as its own.
 * Two resources of one stack cannot name the same object at once: synthesis rejects that.
 *
 * CloudFormation has one stack of a name at a time, so a mark of an earlier stack of this name
 * (another stack ID) is that of a deleted stack, which kept the object (a retaining DeletionPolicy,
 * or a service left for what it still held). The stack deployed again takes the object over as
 * from a moved construct, with `handedOverFromStack` too: a rollback of that deploy hands it back to
 * the deleted stack's mark, and any other delete deletes it.
 *
 * A create whose answer was lost (`create.ts`) is resolved by name: an unmarked object of that
 * name with the memo sent (and, for a service, no roles yet) is the one it made, and gets marked.
 */
import { alsoFailed, isNotFound, isOutcomeUnknown } from './client';
import { changedFields, ObjectSchema, Props } from './convert';
import { createNamed } from './create';
import { leaveIn, Outcome, RequestContext, ResourceModule, TakenError, unlessNotFound } from './resource';
import { stackView } from './stack';
import { _OWNERSHIP_NAMESPACE, _readsByExpression } from '../_properties';

/** Where one service or role lives in the API. */
export interface OwnedObject {
  /** `service "shop"` or `role "shop:web"`, for messages. */
  readonly label: string;
  readonly physicalResourceId: string;
  /** The list to look the object up in, and the key of its array. */
  readonly listPath: string;
  readonly listKey: string;
  readonly name: string;
  /** The object's own path (DELETE, and `/metadata/<namespace>` under it). */
  readonly path: string;
  readonly data: { readonly [attribute: string]: string };
}

export interface OwnedSpec {
  readonly schema: ObjectSchema;
  /** The fields whose change makes a different object (a new physical ID). */
  readonly identityFields: readonly string[];
  /** A hint for the "already exists" failure. */
  readonly existsHint: string;
  /** The object the properties describe. */
  fromProps(props: Props): OwnedObject;
  /** The object a physical ID names, or undefined when it is not a valid name. */
  fromPhysicalId(id: string): OwnedObject | undefined;
  /**
   * The objects deleted with this one that are not its own (a service's roles), or undefined when
   * deleting it deletes nothing else. Each as the object it is, to read its mark.
   */
  contents?(object: OwnedObject, listed: ListedObject): OwnedObject[];
  /**
   * The monitors deleting the object deletes with it (a service's service metric monitors and the
   * external monitors posting their response times to it), as labels; undefined when deleting it
   * deletes no monitor. Monitors carry no mark.
   */
  monitors?(ctx: RequestContext, object: OwnedObject): Promise<string[]>;
  /**
   * The monitors, downtimes and alert group settings whose scopes name the object (a service or role), as
   * labels, which deleting it would delete (a monitor scoped to it alone) or change (any other
   * scope list drops it); undefined when nothing is scoped to it by name. None of them carries a mark.
   */
  scopedBy?(ctx: RequestContext, object: OwnedObject): Promise<string[]>;
}

/** A service or role as `GET /services` or `GET /services/<s>/roles` lists it. */
export interface ListedObject {
  readonly name?: unknown;
  readonly memo?: unknown;
  readonly roles?: unknown;
}

/** The memo the template gives, as Mackerel reads an absent one back: "". */
function memoOf(props: Props): string {
  return typeof props.memo === 'string' ? props.memo : '';
}

/** What CloudFormation gets for `object`, with whether the memo sent is ignored (`MemoIgnored`). */
function outcome(object: OwnedObject, memoIgnored: boolean): Outcome {
  return { physicalResourceId: object.physicalResourceId, data: { ...object.data, MemoIgnored: String(memoIgnored) } };
}

/** Whether Mackerel's memo differs from the template's: the object keeps it (no update API). */
function keepsOtherMemo(listed: ListedObject, props: Props): boolean {
  return (listed.memo ?? '') !== memoOf(props);
}

interface Mark {
  readonly stackId?: unknown;
  readonly logicalResourceId?: unknown;
  /** The logical ID the object was taken over from, until that resource's cleanup delete. */
  readonly handedOverFrom?: unknown;
  /** With `handedOverFrom`: the deleted stack, of this stack's name, that resource was in. */
  readonly handedOverFromStack?: unknown;
}

/**
 * A stack ID CloudFormation issued, without the UUID it gives each stack: its partition, region,
 * account and name. Undefined for any other ID, such as the fixed one of `cdk-mackerel apply`,
 * which no CloudFormation stack of that name excludes.
 */
function stackName(stackId: unknown): string | undefined {
  if (typeof stackId !== 'string') return undefined;
  return /^(arn:[^:]+:cloudformation:[^:]*:[^:]*:stack\/[^/]+)\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.exec(stackId)?.[1];
}

export function ownedResource(spec: OwnedSpec): ResourceModule {
  /** The object as its list shows it (`name`, `memo`, and a service's `roles`), or undefined. */
  const find = async (ctx: RequestContext, object: OwnedObject): Promise<ListedObject | undefined> => {
    // Undefined on a 404 too: the role's service is gone.
    const list = await unlessNotFound(() => ctx.client.request<{ [key: string]: ListedObject[] }>('GET', object.listPath));
    return (list?.[object.listKey] ?? []).find((item) => item.name === object.name);
  };

  const readMark = (ctx: RequestContext, object: OwnedObject): Promise<Mark | undefined> =>
    unlessNotFound(() => ctx.client.request<Mark>('GET', `${object.path}/metadata/${_OWNERSHIP_NAMESPACE}`));

  const isOurs = (ctx: RequestContext, mark: Mark | undefined) =>
    mark?.stackId === ctx.stackId && mark?.logicalResourceId === ctx.logicalResourceId;

  const writeMark = (ctx: RequestContext, object: OwnedObject, mark: Mark) =>
    ctx.client.request('PUT', `${object.path}/metadata/${_OWNERSHIP_NAMESPACE}`, mark);

  /** Whether the mark is another resource's of this stack, or any resource's of a deleted stack of this name. */
  const isTakenOver = (ctx: RequestContext, mark: Mark | undefined): mark is Mark => !isOurs(ctx, mark) && createKeeps(mark, ctx.stackId);

  /** This resource moved there (a new logical ID), or its stack was deleted keeping the object and is deployed again. */
  const takeOver = async (ctx: RequestContext, object: OwnedObject, mark: Mark, memoIgnored: boolean): Promise<Outcome> => {
    const earlierStack = mark.stackId === ctx.stackId ? {} : { handedOverFromStack: mark.stackId };
    const handedOverFrom = mark.logicalResourceId;
    await writeMark(ctx, object, { stackId: ctx.stackId, logicalResourceId: ctx.logicalResourceId, handedOverFrom, ...earlierStack });
    ctx.log.info(mark.stackId === ctx.stackId ? 'taken over from another resource of this stack (a moved construct)'
      : 'taken over from a deleted stack of this name, which kept it', { object: object.label, from: mark.logicalResourceId, ...earlierStack });
    return outcome(object, memoIgnored);
  };

  /**
   * Why an object found after a create whose answer was lost is not the one sent: another memo,
   * roles already (a new service has none), or another resource's mark.
   */
  const mismatch = async (ctx: RequestContext, object: OwnedObject, found: ListedObject, props: Props): Promise<string | undefined> => {
    if (keepsOtherMemo(found, props)) return `its memo ${JSON.stringify(found.memo ?? '')} is not the one sent (${JSON.stringify(memoOf(props))})`;
    if (Array.isArray(found.roles) && found.roles.length > 0) return `it already has roles (${found.roles.join(', ')})`;
    const mark = await readMark(ctx, object);
    if (mark !== undefined && !isOurs(ctx, mark)) return `it is marked as ${describeOwner(mark)}`;
    return undefined;
  };

  const createNew = async (ctx: RequestContext, object: OwnedObject, props: Props): Promise<Outcome> => {
    const body = { name: object.name, ...(props.memo === undefined ? {} : { memo: props.memo }) };
    // A lost answer is resolved by name: Mackerel refuses a second service or role of one name.
    await createNamed(ctx, {
      label: object.label,
      post: () => ctx.client.request('POST', object.listPath, body),
      find: () => find(ctx, object),
      mismatch: (found) => mismatch(ctx, object, found, props),
    });
    try {
      await writeMark(ctx, object, { stackId: ctx.stackId, logicalResourceId: ctx.logicalResourceId });
    } catch (e) {
      // Unmarked, it could never be deleted by the stack; take it back before failing.
      const left = await ctx.client.request('DELETE', object.path).then(() => undefined, (cleanup: Error) => (isNotFound(cleanup) ? undefined : cleanup));
      if (left && e instanceof Error) {
        ctx.log.error('could not delete the unmarked object', { error: left.message });
        // CloudFormation's failure ignores the object (its delete gets the framework's marker), so the reason
        // says it is there, first, where no cut reaches. The error itself is kept: its status is what the advice
        // and cdk-mackerel apply read.
        // A mark that got no answer may have been written all the same, as may one answered with a 5xx or 408 (a proxy's,
        // after passing it on; a 500 after part of the work), or whose earlier attempt was: the reason says it may be marked.
        const marking = !isOutcomeUnknown(e) ? 'could not be marked'
          : e.status === undefined ? 'its mark got no answer, so it may or may not be marked'
            : `its mark's outcome is unknown (its last answer HTTP ${e.status}), so it may or may not be marked`;
        e.message = `${object.label} was created but ${marking}, and deleting it again failed too, so it is left in Mackerel: `
          + `delete it there before deploying again, or the next create may fail on its name. Marking it: ${e.message}. Deleting it: ${left.message}`;
        leaveIn(e, object.label);
        // A delete refused for the key (a 403) is told with the same advice as a mark refused for it.
        alsoFailed(e, left);
      }
      throw e;
    }
    ctx.log.info('created and marked', { object: object.label });
    return outcome(object, false);
  };

  const create = async (ctx: RequestContext, props: Props): Promise<Outcome> => {
    const object = spec.fromProps(props);
    const listed = await find(ctx, object);
    if (listed !== undefined) {
      const mark = await readMark(ctx, object);
      // An object kept rather than created keeps its memo: there is no API to change it.
      const memoIgnored = keepsOtherMemo(listed, props);
      if (memoIgnored) ctx.log.warn('memo has no update API; the object keeps its memo (edit it in the Mackerel web UI)', { object: object.label });
      if (isTakenOver(ctx, mark)) return takeOver(ctx, object, mark, memoIgnored);
      if (!isOurs(ctx, mark)) throw new TakenError(alreadyExists(object.label, mark, spec.existsHint));
      ctx.log.info('already created by this resource (a retried create)', { object: object.label });
      return outcome(object, memoIgnored);
    }
    return createNew(ctx, object, props);
  };

  const update = async (ctx: RequestContext, _id: string, props: Props, oldProps: Props): Promise<Outcome> => {
    const changed = changedFields(oldProps, props);
    if (changed.some((f) => spec.identityFields.includes(f))) {
      ctx.log.info('replacing: a different name is a different object', { fields: changed });
      return create(ctx, props);
    }
    const object = spec.fromProps(props);
    const listed = await find(ctx, object);
    if (listed === undefined) {
      ctx.log.warn('the object was deleted outside the stack; re-creating it', { object: object.label });
      return createNew(ctx, object, props);
    }
    // Measured against the memo Mackerel has, as on create: it may already be the new one (edited in the web UI).
    const memoIgnored = changed.includes('memo') && keepsOtherMemo(listed, props);
    if (memoIgnored) ctx.log.warn('memo has no update API; the new memo is ignored (edit it in the Mackerel web UI)', { object: object.label });
    return outcome(object, memoIgnored);
  };

  /**
   * Whether the object is left because deleting it would delete objects that are not its own: a
   * service's roles, and the monitors tied to it by their `service` field (mackerel-api.md section
   * 3). The stack's own roles and monitors on it are deleted before it (they refer to it), so one
   * still there at this point is someone else's: another stack's or another resource's (a role's
   * mark says whose), or made outside cdk-mackerel (the web UI, mkr, Terraform, or a host
   * registered with a role that did not exist). Either way, deleting the service would delete it,
   * with a role's hosts' assignments and the monitors scoped to it, so the service is left, with a
   * log line naming them. It can be deleted by hand once they are gone.
   */
  const keptForContents = async (ctx: RequestContext, object: OwnedObject, listed: ListedObject): Promise<string | undefined> => {
    const contents = spec.contents?.(object, listed) ?? [];
    const monitors = (await spec.monitors?.(ctx, object)) ?? [];
    if (contents.length === 0 && monitors.length === 0) return undefined;
    const marked: { [label: string]: string } = {};
    const unmarked: string[] = [];
    for (const content of contents) {
      const mark = await readMark(ctx, content);
      if (mark === undefined) unmarked.push(content.label);
      else marked[content.label] = describeOwner(mark);
    }
    ctx.log.warn('left in Mackerel: it still has roles or monitors that are not this resource\'s, which deleting it would delete', {
      object: object.label,
      ...(Object.keys(marked).length > 0 ? { rolesOfOthers: marked } : {}),
      ...(unmarked.length > 0 ? { unmarkedRoles: unmarked } : {}),
      ...(monitors.length > 0 ? { monitors } : {}),
    });
    return leftForContents(contents.map((c) => c.label), monitors);
  };

  /**
   * Whether the object is left because monitors, downtimes or alert group settings still name it in
   * their scopes, as for a service's monitors (`keptForContents`): the stack's own are deleted or
   * updated before it (they refer to it), so one still naming it is someone else's (another stack's,
   * or made outside cdk-mackerel), whose monitor deleting it would delete with it (scoped to it
   * alone) or whose scopes it would change. Left, with a log line naming them; it can be deleted by
   * hand once they no longer name it.
   */
  const keptForScopes = async (ctx: RequestContext, object: OwnedObject): Promise<string | undefined> => {
    const scopedBy = (await spec.scopedBy?.(ctx, object)) ?? [];
    if (scopedBy.length === 0) return undefined;
    ctx.log.warn('left in Mackerel: monitors, downtimes or alert group settings that are not this resource\'s still name it in their scopes '
      + '(or an expression monitor reads it by role(...), roleSlots(...) or service(...)), which deleting it would delete or change (or leave alerting Unknown)', { object: object.label, scopedBy });
    return leftForScopes(scopedBy);
  };

  /**
   * The delete of a resource that took the object over from resource `from`, whose delete has not
   * let go of it. While `from` is still in the stack with this object's physical ID, this is a move
   * being rolled back: the object goes back to `from`. When `from` has left the stack (or was in a
   * deleted stack of this name, `fromStack`), or holds another object now, it let go of this one
   * keeping it, as a policy that retains sends no delete (a DeletionPolicy; or an
   * UpdateReplacePolicy, as when two services swap names): while the stack rolls back, that is the
   * failed deploy that took the object over, and the object goes back to being kept; otherwise it is
   * this resource's alone and is deleted with it (resolves to undefined). When the stack cannot be
   * read, the object goes back too: keeping one is undone by hand, deleting one is not.
   */
  const handBack = async (ctx: RequestContext, object: OwnedObject, from: string, fromStack: string | undefined): Promise<string | undefined> => {
    let why: string;
    try {
      const stack = stackView();
      if (fromStack === undefined && await stack.holds(ctx.stackId, from, object.physicalResourceId, ctx.client.deadline)) {
        why = 'a move being rolled back';
      } else if (await stack.isRollingBack(ctx.stackId, ctx.client.deadline)) {
        why = `${fromStack === undefined ? 'it left the stack or holds another object now, keeping this one' : 'that stack was deleted keeping the object'}, `
          + 'and the deploy that took it over is being rolled back';
      } else {
        ctx.log.info(`${fromStack === undefined
          ? 'the resource it was taken from left the stack or holds another object now, keeping it (a DeletionPolicy or UpdateReplacePolicy that retains)'
          : 'the stack it was taken from was deleted keeping it (a DeletionPolicy that retains)'}: it is this resource's alone`,
        { object: object.label, from, ...(fromStack === undefined ? {} : { fromStack }) });
        return undefined;
      }
    } catch (e) {
      ctx.log.warn('could not read whether the resource it was taken from is still in the stack; handing the object back rather than deleting it',
        { object: object.label, from, error: (e as Error).message });
      why = `whether that resource is still in the stack could not be read: ${(e as Error).message}`;
    }
    await writeMark(ctx, object, { stackId: fromStack ?? ctx.stackId, logicalResourceId: from });
    ctx.log.info('handed back to the resource it was taken from', { object: object.label, to: from, why });
    return `it was handed back to resource ${from}${fromStack === undefined ? '' : ` of the deleted stack ${fromStack}`}, which it was taken from (${why})`;
  };

  /** Resolves to why the object was left in Mackerel when this resource meant to delete it. */
  const remove = async (ctx: RequestContext, id: string): Promise<string | undefined> => {
    const object = spec.fromPhysicalId(id);
    if (!object) {
      ctx.log.warn('the physical ID is not a Mackerel name, so there is nothing to delete', { id });
      return;
    }
    const listed = await find(ctx, object);
    if (listed === undefined) {
      ctx.log.info('already deleted', { object: object.label });
      return;
    }
    const mark = await readMark(ctx, object);
    if (mark?.stackId === ctx.stackId && mark.handedOverFrom === ctx.logicalResourceId && mark.handedOverFromStack === undefined) {
      await writeMark(ctx, object, { stackId: mark.stackId, logicalResourceId: mark.logicalResourceId });
      ctx.log.info('left in Mackerel: handed over to another resource of this stack', { object: object.label, to: mark.logicalResourceId });
      return;
    }
    if (!isOurs(ctx, mark)) {
      ctx.log.warn('left in Mackerel: not created by this resource', { object: object.label, mark: mark ?? null });
      return 'it was not created by this resource';
    }
    if (typeof mark?.handedOverFrom === 'string') {
      const fromStack = typeof mark.handedOverFromStack === 'string' ? mark.handedOverFromStack : undefined;
      const handedBack = await handBack(ctx, object, mark.handedOverFrom, fromStack);
      if (handedBack !== undefined) return handedBack;
    }
    const kept = await keptForContents(ctx, object, listed) ?? await keptForScopes(ctx, object);
    if (kept) return kept;
    try {
      await ctx.client.request('DELETE', object.path);
      ctx.log.info('deleted', { object: object.label });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    return undefined;
  };

  return { schema: spec.schema, create, update, delete: remove };
}

/** Who created an object, from its mark, for the "already exists" failure. */
/**
 * Whether a create that finds its object in Mackerel with this mark keeps it as its stack's (`create`):
 * its own (a retried create), or another resource's of the stack, or of a deleted stack of the same name
 * (a moved construct, a retained object added back), which it takes over. Under any other mark, or
 * none, the create fails (`alreadyExists`). For cdk-mackerel diff, which says so before apply.
 */
export function createKeeps(mark: unknown, stackId: string): boolean {
  const m = mark as Mark | undefined;
  if (typeof m?.logicalResourceId !== 'string') return false;
  return m.stackId === stackId || (stackName(m.stackId) !== undefined && stackName(m.stackId) === stackName(stackId));
}

/** Why a create fails on an object of that name that Mackerel already has, under a mark `createKeeps` refuses. */
export function alreadyExists(label: string, mark: unknown, existsHint: string): string {
  const m = mark as Mark | undefined;
  return `${label} already exists in Mackerel (${describeOwner(m)}); expected a name that is free. ${existsHint}`
    + `${m === undefined ? ' If a stopped create left it, delete it in Mackerel and deploy again.' : ''}`;
}

function describeOwner(mark: Mark | undefined): string {
  // No mark is also what a create stopped between its POST and its mark leaves (a killed apply, a
  // Lambda that timed out): the message says so, since that object is the app's own to delete.
  if (typeof mark?.stackId !== 'string' || typeof mark?.logicalResourceId !== 'string') {
    return 'with no cdk-mackerel mark: made outside cdk-mackerel, or left by a create stopped before it could mark it';
  }
  return `created by resource ${mark.logicalResourceId} of stack ${mark.stackId}`;
}

/**
 * Why a delete leaves an object that still has `roles` and `monitors` (labels: `role "shop:web"`,
 * `monitor "api" (<id>)`), as the handler returns it in `LeftInMackerel`; `cdk-mackerel diff`
 * predicts it in the same words. Each kind in the order of its labels, not of Mackerel's lists:
 * diff names what the run is still to create or update, whose place in them it cannot know.
 */
export function leftForContents(roles: readonly string[], monitors: readonly string[]): string {
  const others = [...[...roles].sort(), ...[...monitors].sort()];
  return `it still has ${others.join(', ')}, not this resource's, which deleting it would delete`;
}

/**
 * Why a delete leaves an object that monitors, downtimes or alert group settings not its own still
 * name in their scopes (labels: `monitor "cpu" (<id>)`, `downtime "night" (<id>)`), as the handler
 * returns it in `LeftInMackerel`.
 */
export function leftForScopes(labels: readonly string[]): string {
  const scoping = labels.filter((l) => !READ_BY_EXPRESSION.test(l)).sort();
  // By the function reading the object, as `role(...) of the expression of monitor "a" (<id>), monitor "b" (<id>)`.
  const reading = new Map<string, string[]>();
  for (const label of labels) {
    const how = READ_BY_EXPRESSION.exec(label)?.[0];
    if (how !== undefined) reading.set(how, [...reading.get(how) ?? [], label.slice(how.length)]);
  }
  const where = [
    ...scoping.length > 0 ? [`in the scopes of ${scoping.join(', ')}`] : [],
    ...[...reading].sort(([a], [b]) => a.localeCompare(b)).map(([how, read]) => `in ${how}${read.sort().join(', ')}`),
  ].join(' and ');
  const harm = reading.size === 0 ? 'delete or change' : scoping.length === 0 ? 'leave alerting Unknown' : 'delete, change or leave alerting Unknown';
  return `it is still named ${where}, not this resource's, which deleting it would ${harm}`;
}

/**
 * How a label of `expressionsReading` starts: an expression monitor reading a role or service by
 * `role(...)`, `roleSlots(...)` or `service(...)`, rather than naming it in its scopes.
 */
const READ_BY_EXPRESSION = /^(?:role|roleSlots|service)\(\.\.\.\) of the expression of /;

/**
 * The expression monitors of a monitor list whose expression reads the role `name` (`service:role`)
 * or the service `name` (`_readsByExpression`), with the label the handler names them by. Deleting
 * the role or service leaves such an expression as it is, but unable to read its metric, which
 * Mackerel's expression monitoring guide says raises an Unknown alert: as good as deleting the
 * monitor.
 */
export function expressionsReading(monitors: unknown, kind: 'role' | 'service', name: string): Array<{ readonly id: string; readonly label: string }> {
  // The label names the first function of the expression that reads it.
  const reader = (expression: string) => _readsByExpression(expression, kind).find((read) => read.name === name)?.by;
  return (Array.isArray(monitors) ? monitors as Array<{ [field: string]: unknown }> : []).flatMap((o) => {
    const by = o.type === 'expression' && typeof o.expression === 'string' ? reader(o.expression) : undefined;
    return by === undefined ? [] : [{ id: String(o.id), label: `${by}(...) of the expression of monitor ${JSON.stringify(o.name ?? '')} (${String(o.id)})` }];
  });
}

/** The lists of the objects that name services or roles in their scopes, as the API gives them. */
export interface ScopedLists {
  readonly monitors?: unknown;
  readonly downtimes?: unknown;
  readonly alertGroupSettings?: unknown;
}

/** Where the API lists each of `ScopedLists`. */
export const SCOPED_PATHS: { readonly [list in keyof ScopedLists]-?: string } = {
  monitors: '/api/v0/monitors', downtimes: '/api/v0/downtimes', alertGroupSettings: '/api/v0/alert-group-settings',
};

/** Reads these lists, in order; a list Mackerel refuses fails with its words. */
export async function readScoped(ctx: RequestContext, lists: ReadonlyArray<keyof ScopedLists>): Promise<ScopedLists> {
  const read: { [list: string]: unknown } = {};
  for (const list of lists) read[list] = (await ctx.client.request<{ [key: string]: unknown }>('GET', SCOPED_PATHS[list]))?.[list];
  return read;
}

/** Each kind of `ScopedLists`, with the noun the handler names it by and the fields naming a service or role in its scopes. */
export type Scoping = ReadonlyArray<{ readonly list: keyof ScopedLists; readonly noun: string; readonly fields: readonly string[] }>;

/**
 * The objects of `lists` whose `scoping` fields name `name` (a service, or a role as `service:role`),
 * with the label the handler names them by. The API reads a monitor's role scope back as
 * `Service: role`, which names the same role.
 */
export function objectsScoping(lists: ScopedLists, name: string, scoping: Scoping): Array<{ readonly id: string; readonly label: string }> {
  const asSent = (scope: unknown) => (typeof scope === 'string' ? scope.replace(/^([^:]+):\s+/, '$1:') : scope);
  return scoping.flatMap(({ list, noun, fields }) => (Array.isArray(lists[list]) ? lists[list] as Array<{ [field: string]: unknown }> : [])
    .filter((o) => fields.some((f) => Array.isArray(o[f]) && (o[f] as unknown[]).some((s) => asSent(s) === name)))
    .map((o) => ({ id: String(o.id), label: `${noun} ${JSON.stringify(o.name ?? '')} (${String(o.id)})` })));
}
