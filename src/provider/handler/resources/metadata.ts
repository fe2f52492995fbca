/**
 * `_ServiceMetadataProperties` and `_RoleMetadataProperties`: one namespace of a service's or a
 * role's metadata. Mackerel keys metadata by its path, so the physical ID is that path's
 * `service[:role]/namespace`: PUT writes (creates or overwrites) the value, DELETE removes it.
 */
import { _OWNERSHIP_NAMESPACE, _RESOURCE_TYPES } from '../../_properties';
import { isNotFound } from '../client';
import { deepEqual, ObjectSchema, Props } from '../convert';
import { deleteAt, Outcome, RequestContext, ResourceModule, segment, TakenError, unlessNotFound } from '../resource';
import { stackView } from '../stack';

export const SERVICE_METADATA_SCHEMA: ObjectSchema = { service: 'string', namespace: 'string', metadata: 'string' };
export const ROLE_METADATA_SCHEMA: ObjectSchema = { role: 'string', namespace: 'string', metadata: 'string' };

/** Where one namespace lives: its service or role, its name, its physical ID, its API path and what messages call it. */
interface Target {
  readonly owner: string;
  readonly namespace: string;
  readonly physicalId: string;
  readonly path: string;
  readonly label: string;
}

interface MetadataSpec {
  readonly resourceType: string;
  readonly schema: ObjectSchema;
  /** The property naming the service or the role (`service:role`). */
  readonly ownerField: string;
  readonly noun: string;
  /** The object's own path (under which `/metadata/<namespace>` is), or undefined when the name is not one. */
  ownerPath(owner: string): string | undefined;
}

function target(spec: MetadataSpec, owner: string, namespace: string): Target | undefined {
  const base = spec.ownerPath(owner);
  if (base === undefined || namespace === '') return undefined;
  return { owner, namespace, physicalId: `${owner}/${namespace}`, path: `${base}/metadata/${segment(namespace)}`, label: `${spec.noun} ${JSON.stringify(owner)} metadata ${JSON.stringify(namespace)}` };
}

/** The target a physical ID names: the namespace follows the last `/` (names and namespaces hold none). */
function fromPhysicalId(spec: MetadataSpec, id: string): Target | undefined {
  const slash = id.lastIndexOf('/');
  return slash < 0 ? undefined : target(spec, id.slice(0, slash), id.slice(slash + 1));
}

function fromProps(spec: MetadataSpec, props: Props): Target {
  const owner = String(props[spec.ownerField] ?? '');
  const namespace = String(props.namespace ?? '');
  // The handler's own mark lives in this namespace (owned.ts): a value written there would take
  // the service or role over, or lose it, so it is never the user's.
  if (namespace === _OWNERSHIP_NAMESPACE) {
    throw new Error(`namespace ${JSON.stringify(namespace)} is the ownership mark of cdk-mackerel; choose another namespace`);
  }
  const found = target(spec, owner, namespace);
  if (!found) throw new Error(`property ${spec.ownerField} ${JSON.stringify(owner)} with namespace ${JSON.stringify(namespace)} does not name a ${spec.noun}'s metadata`);
  return found;
}

/** The value to send: the JSON text the construct wrote, parsed. */
function valueOf(props: Props): unknown {
  const text = props.metadata;
  if (typeof text !== 'string') throw new Error('property metadata is missing; expected the JSON text of the metadata value');
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`property metadata is not JSON text (${text.length} characters); expected the JSON text of the metadata value`);
  }
}

function outcome(where: Target): Outcome {
  return { physicalResourceId: where.physicalId, data: { Namespace: where.namespace } };
}

/** Why a delete leaves the namespace (Data `LeftInMackerel`), which the CLI's diff predicts in the same words. */
export const HELD_BY_ANOTHER = 'another resource holds this namespace (a moved construct)';

function metadataResource(spec: MetadataSpec): ResourceModule {
  const write = async (ctx: RequestContext, where: Target, value: unknown): Promise<Outcome> => {
    // PUT replaces the whole value, so writing it again (a retried create, an update) is harmless.
    await ctx.client.request('PUT', where.path, value);
    ctx.log.info('written', { id: where.physicalId });
    return outcome(where);
  };

  /** Whether Mackerel holds a value in the namespace. */
  const exists = async (ctx: RequestContext, where: Target): Promise<boolean> =>
    (await unlessNotFound(() => ctx.client.request('GET', where.path).then(() => true))) ?? false;

  /** Whether another resource of the stack holds the namespace; when that cannot be read, the request fails saying so. */
  const heldByAnother = async (ctx: RequestContext, where: Target): Promise<boolean> => {
    try {
      return await stackView().heldByAnother(ctx.stackId, ctx.logicalResourceId, spec.resourceType, where.physicalId, ctx.client.deadline);
    } catch (e) {
      throw new Error(`could not read whether another resource of the stack holds ${where.label}, so it was left as it is: ${(e as Error).message}`);
    }
  };

  const remove = async (ctx: RequestContext, id: string): Promise<string | void> => {
    const where = fromPhysicalId(spec, id);
    if (!where) {
      ctx.log.warn(`the physical ID does not name a ${spec.noun}'s metadata, so there is nothing to delete`, { id });
      return;
    }
    // A construct moved to a new logical ID names the same namespace: its new resource wrote the
    // value before CloudFormation deletes the old one, so the old one's delete leaves it (as does the
    // rollback's delete of the new one, the old one holding it again).
    if (await heldByAnother(ctx, where)) {
      ctx.log.info('not deleted: another resource of the stack holds this namespace (a moved construct)', { id });
      return HELD_BY_ANOTHER;
    }
    // A 404: the namespace, or the service or role holding it, is gone already.
    await deleteAt(ctx, where.path, id);
  };

  /**
   * A create never writes over a value it did not write: its delete would later remove a value
   * someone else keeps there (Mackerel's metadata holds no mark of who wrote it). The same value is
   * taken as this resource's (a retried create), and so is a namespace another resource of the
   * stack holds (a construct moved to a new logical ID, whose old resource is deleted afterwards).
   */
  const create = async (ctx: RequestContext, where: Target, value: unknown): Promise<Outcome> => {
    let existing: unknown;
    try {
      existing = await ctx.client.request('GET', where.path);
    } catch (e) {
      // A namespace that is free, or a service or role that does not exist (the PUT reports that).
      if (!isNotFound(e)) throw e;
      return write(ctx, where, value);
    }
    if (!deepEqual(existing, value) && !(await heldByAnother(ctx, where))) {
      throw new TakenError(`${where.label} already exists in Mackerel with another value, which this stack did not write; expected a namespace that is free `
        + '(writing it would overwrite that value, and deleting the construct would delete it). Choose another namespace, or remove it in Mackerel first');
    }
    return write(ctx, where, value);
  };

  return {
    schema: spec.schema,
    create: (ctx, props) => create(ctx, fromProps(spec, props), valueOf(props)),
    update: async (ctx, id, props, oldProps) => {
      // A new service, role or namespace is a new physical ID (CloudFormation then deletes the old
      // namespace), written as a create is: a namespace holding a value the stack did not write is
      // refused, or the cleanup of a later change would delete it. (A rollback's way back finds the
      // old namespace with the value the stack wrote, which the cleanup has not deleted yet.)
      // Otherwise the value is written in place, which also restores one deleted outside the stack.
      // An update that changes no property (only the ServiceToken: the provider's function was
      // replaced) writes nothing, as no other resource does: the value is only written back when it
      // was deleted outside the stack, as an object of another type is made again then.
      const where = fromProps(spec, props);
      const value = valueOf(props);
      if (where.physicalId !== id) return create(ctx, where, value);
      if (deepEqual(props, oldProps) && await exists(ctx, where)) {
        ctx.log.info('no property changed (only the ServiceToken): the value is left as it is', { id });
        return outcome(where);
      }
      return write(ctx, where, value);
    },
    delete: remove,
  };
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

// The types are written out, held to the contract by their type: reading them from
// `_RESOURCE_TYPES` would bring that whole table into the handler bundle for these two.
const SERVICE_METADATA: MetadataSpec = {
  resourceType: 'Custom::MackerelServiceMetadata' satisfies typeof _RESOURCE_TYPES.SERVICE_METADATA,
  schema: SERVICE_METADATA_SCHEMA,
  ownerField: 'service',
  noun: 'service',
  ownerPath: (service) => (NAME.test(service) ? `/api/v0/services/${segment(service)}` : undefined),
};

const ROLE_METADATA: MetadataSpec = {
  resourceType: 'Custom::MackerelRoleMetadata' satisfies typeof _RESOURCE_TYPES.ROLE_METADATA,
  schema: ROLE_METADATA_SCHEMA,
  ownerField: 'role',
  noun: 'role',
  ownerPath: (fullName) => {
    const parts = fullName.split(':');
    if (parts.length !== 2 || !parts.every((p) => NAME.test(p))) return undefined;
    return `/api/v0/services/${segment(parts[0])}/roles/${segment(parts[1])}`;
  },
};

export const serviceMetadata = metadataResource(SERVICE_METADATA);
export const roleMetadata = metadataResource(ROLE_METADATA);

/**
 * The service or role, namespace and API path that the physical ID of a metadata resource names
 * (the CLI reads the live value there), or undefined when it names none.
 */
export function metadataAt(resourceType: string, physicalId: string): Pick<Target, 'owner' | 'namespace' | 'path'> | undefined {
  const spec = [SERVICE_METADATA, ROLE_METADATA].find((s) => s.resourceType === resourceType);
  return spec && fromPhysicalId(spec, physicalId);
}

/**
 * The physical ID a metadata resource of these properties gets (`owner/namespace`), known before
 * it is applied (the CLI's diff tells a moved construct by it), or undefined when they name none.
 */
export function metadataPhysicalId(resourceType: string, props: { readonly [key: string]: unknown }): string | undefined {
  const spec = [SERVICE_METADATA, ROLE_METADATA].find((s) => s.resourceType === resourceType);
  const owner = spec && props[spec.ownerField];
  return spec && typeof owner === 'string' && typeof props.namespace === 'string' ? target(spec, owner, props.namespace)?.physicalId : undefined;
}
