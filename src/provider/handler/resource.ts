import { causeChain, isNotFound, MackerelClient } from './client';
import { ObjectSchema, Props } from './convert';
import { Logger } from './log';

/** What every per-type function gets: the client and who is asking. */
export interface RequestContext {
  readonly client: MackerelClient;
  readonly log: Logger;
  /** The CloudFormation stack ID (an ARN), part of the ownership mark. */
  readonly stackId: string;
  /** The resource's logical ID in its stack, part of the ownership mark. */
  readonly logicalResourceId: string;
}

/** What CloudFormation gets back: the physical ID and the attributes `Fn::GetAtt` reads. */
export interface Outcome {
  readonly physicalResourceId: string;
  readonly data: { readonly [attribute: string]: string };
}

/**
 * One `Custom::Mackerel*` type: its field table and what create, update and delete do.
 * Properties arrive already converted by `schema`.
 */
export interface ResourceModule {
  readonly schema: ObjectSchema;
  create(ctx: RequestContext, props: Props): Promise<Outcome>;
  /**
   * Updates in place, or creates a replacement (a new physical ID; CloudFormation then deletes
   * the old one), or re-creates an object deleted outside the stack. `oldProps` are the previous
   * properties, converted.
   */
  update(ctx: RequestContext, physicalResourceId: string, props: Props, oldProps: Props): Promise<Outcome>;
  /**
   * Deletes the object, or leaves it in Mackerel where deleting it would delete what is not the
   * resource's; then resolves to why, which the handler returns as `Data.LeftInMackerel` (the
   * CLI prints it; CloudFormation ignores data on delete).
   */
  delete(ctx: RequestContext, physicalResourceId: string): Promise<string | void>;
}

/**
 * Mackerel IDs are short strings of letters and digits. A physical ID that is not one (such as
 * the provider framework's `AWSCDK::CustomResourceProviderFramework::CREATE_FAILED` marker) was
 * never a Mackerel object, so there is nothing to delete or update.
 */
export function isMackerelId(id: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(id);
}

/** What `call` resolves to, or undefined when Mackerel answers that the object does not exist (`isNotFound`). */
export async function unlessNotFound<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Deletes the object at `path`, logged by `id`; Mackerel's 404 means it is deleted already. */
export async function deleteAt(ctx: RequestContext, path: string, id: string): Promise<void> {
  try {
    await ctx.client.request('DELETE', path);
    ctx.log.info('deleted', { id });
  } catch (e) {
    if (!isNotFound(e)) throw e;
    ctx.log.info('already deleted', { id });
  }
}

/** A path segment (IDs, service and role names) made safe for a URL. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

/** The object a failed create made and left in Mackerel, by the error it failed with (`leaveIn`). */
const LEFT = new WeakMap<Error, string>();

/**
 * Records that the create failing with `error` made `label` (`service "shop"`) and left it in
 * Mackerel: its failure gives CloudFormation no physical ID, and cdk-mackerel apply's state no
 * entry, so neither deletes it. The CLI says so (`leftIn`) rather than that nothing was changed.
 */
export function leaveIn(error: Error, label: string): void {
  LEFT.set(error, label);
}

/** The object `leaveIn` recorded for `error` or the causes it carries, if any. */
export function leftIn(error: unknown): string | undefined {
  return causeChain(error).map((e) => LEFT.get(e)).find((label) => label !== undefined);
}

/**
 * A create refused because Mackerel already has the object, under a name or namespace the stack may
 * not take (made outside cdk-mackerel, another stack's, another value): every run refuses it the same
 * way until the template or Mackerel changes, which cdk-mackerel apply tells from a failure another
 * run may get past.
 */
export class TakenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TakenError';
  }
}
