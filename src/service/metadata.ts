import { Stack, Token } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { _describeProblem, _fail } from '../_validation';
import { _knownRoleFullName, _knownServiceName } from './_known-name';
import { _dependOnNamed } from './_named-dependency';
import { IMackerelRole, MackerelRole } from './role';
import { IMackerelService, MackerelService } from './service';
import { _METADATA_LIMITS, _OWNERSHIP_NAMESPACE, _RESOURCE_TYPES, _RoleMetadataProperties, _ServiceMetadataProperties } from '../provider/_properties';
import { _createMackerelResource } from '../provider/_resource';
import { MackerelProvider } from '../provider/provider';
import { MackerelResourceOptions } from '../provider/resource-options';

/**
 * Options of metadata added with `addMetadata` (and of the metadata constructs).
 */
export interface MackerelMetadataOptions extends MackerelResourceOptions {}

/**
 * Properties shared by `MackerelServiceMetadata` and `MackerelRoleMetadata`.
 */
export interface MackerelMetadataProps extends MackerelMetadataOptions {
  /**
   * The metadata namespace: letters, digits, `-` or `_`. Namespaces starting with `mackerel`
   * are Mackerel's, and `cdk-mackerel` holds this library's ownership mark: both are refused.
   *
   * Changing it replaces the metadata (the old namespace is deleted).
   */
  readonly namespace: string;

  /**
   * The metadata value: any JSON value (object, array, string, number, boolean or null), at most
   * 100 KB as JSON. It may hold tokens (such as an ARN), resolved at deploy time. NaN and
   * Infinity, which JSON has no text for, are refused.
   *
   * Changing it writes the new value in place.
   */
  readonly metadata: any;
}

/**
 * Properties of a `MackerelServiceMetadata`.
 */
export interface MackerelServiceMetadataProps extends MackerelMetadataProps {
  /**
   * The service the metadata belongs to. Changing it replaces the metadata.
   */
  readonly service: IMackerelService;
}

/**
 * Properties of a `MackerelRoleMetadata`.
 */
export interface MackerelRoleMetadataProps extends MackerelMetadataProps {
  /**
   * The role the metadata belongs to. Changing it replaces the metadata.
   */
  readonly role: IMackerelRole;
}

const NAMESPACE = /^[-a-zA-Z0-9_]+$/;

/** What the namespace checks need of a metadata construct. */
interface MetadataTarget {
  /** `service "shop"` or `role "shop:web"`, for messages. */
  readonly label: string;
  /** The service or role name when known at synth: metadata of the same key share Mackerel's namespace limit. */
  readonly key: string | undefined;
  /** The service or role construct of this app, whose mark takes one namespace, if any. */
  readonly created: boolean;
  readonly limit: number;
}

/** The checks and the resource shared by both metadata constructs. */
function checkAndCreate(construct: Construct, props: MackerelMetadataProps, kind: 'service' | 'role', target: MetadataTarget, type: string,
  properties: (metadata: string) => { [key: string]: unknown }): void {
  const namespace = props.namespace;
  REGISTERED.set(construct, { kind, target, namespace });
  if (!Token.isUnresolved(namespace)) {
    if (!NAMESPACE.test(namespace)) {
      _fail(construct, 'namespace', namespace, 'is not a valid metadata namespace', 'letters, digits, - or _ (at least one)');
    }
    if (namespace === _OWNERSHIP_NAMESPACE) {
      _fail(construct, 'namespace', namespace, 'holds the ownership mark cdk-mackerel writes on services and roles', `a namespace other than ${_OWNERSHIP_NAMESPACE}`);
    }
    if (namespace.startsWith('mackerel')) {
      _fail(construct, 'namespace', namespace, 'is reserved for Mackerel', 'a namespace not starting with mackerel');
    }
  }
  if (props.metadata === undefined) {
    _fail(construct, 'metadata', undefined, 'is undefined', 'a JSON value (object, array, string, number, boolean or null)');
  }
  const nonFinite = nonFiniteNumber(props.metadata, 'metadata');
  if (nonFinite) {
    // JSON has no NaN or Infinity: JSON.stringify would send null in its place.
    _fail(construct, nonFinite.path, String(nonFinite.value), 'is not a finite number, which JSON cannot hold', 'a finite number, or null written as null');
  }
  const literal = JSON.stringify(props.metadata);
  if (!Token.isUnresolved(literal)) {
    const bytes = Buffer.byteLength(literal, 'utf8');
    if (bytes > _METADATA_LIMITS.bytes) {
      _fail(construct, 'metadata', `${literal.slice(0, 40)}...`, `is ${bytes} bytes as JSON`, `at most ${_METADATA_LIMITS.bytes} bytes (100 KB)`);
    }
  }
  construct.node.addValidation({ validate: () => namespaceProblems(construct) });
  // One JSON string: CloudFormation would turn every nested scalar into a string.
  _createMackerelResource(construct, type, properties(Stack.of(construct).toJsonString(props.metadata)), props.removalPolicy);
}

/** The first NaN or Infinity in a metadata value, with where it is (`metadata.a[0]`). */
function nonFiniteNumber(value: unknown, path: string): { path: string; value: number } | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : { path, value };
  if (value === null || typeof value !== 'object' || Token.isUnresolved(value)) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nonFiniteNumber(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, child] of Object.entries(value)) {
    const found = nonFiniteNumber(child, `${path}.${key}`);
    if (found) return found;
  }
  return undefined;
}

/** Two constructs writing one namespace, and more namespaces than Mackerel holds for one service or role. */
function namespaceProblems(construct: IConstruct): string[] {
  const { kind, target, namespace } = REGISTERED.get(construct)!;
  if (target.key === undefined) return [];
  const same = construct.node.root.node.findAll().filter((c) => {
    const other = REGISTERED.get(c);
    return other?.kind === kind && other.target.key === target.key && sameOrganization(c, construct);
  });
  const index = same.indexOf(construct);
  if (!Token.isUnresolved(namespace)) {
    const first = same.find((c) => REGISTERED.get(c)?.namespace === namespace);
    if (first && first !== construct) {
      return [_describeProblem('namespace', namespace, `is also written to ${target.label} by ${first.node.path}`, 'each namespace of a service or role once')];
    }
  }
  const room = target.limit - (target.created ? 1 : 0);
  if (index >= room) {
    return [_describeProblem('namespace', namespace, `is namespace ${index + 1} of ${target.label}`,
      `at most ${target.limit} metadata namespaces per ${kind}${target.created ? `, one of which is cdk-mackerel's ownership mark (${_OWNERSHIP_NAMESPACE})` : ''}`)];
  }
  return [];
}

function sameOrganization(a: IConstruct, b: IConstruct): boolean {
  const providerA = MackerelProvider._tryFind(a);
  const providerB = MackerelProvider._tryFind(b);
  return !providerA || !providerB || providerA._sameOrganization(providerB);
}

/** What the checks across an app need of each metadata construct (jsii takes no unexported base class). */
interface Registered {
  readonly kind: 'service' | 'role';
  readonly target: MetadataTarget;
  readonly namespace: string;
}

const REGISTERED = new WeakMap<IConstruct, Registered>();

/**
 * One namespace of a Mackerel service's metadata (`Custom::MackerelServiceMetadata`): any JSON
 * value, written with `PUT /api/v0/services/<service>/metadata/<namespace>` and deleted with the
 * resource. A namespace that already holds another value fails the deploy rather than
 * being overwritten (deleting the construct would delete that value); the same value is taken.
 *
 * Mackerel holds at most 50 namespaces per service, one of which is the ownership mark on a
 * service this library creates.
 *
 * A construct moved to a new id (a new logical ID) keeps the namespace: the old resource's delete
 * leaves a namespace another resource of the stack holds (the provider may list the stack's
 * resources for this).
 *
 * @see https://mackerel.io/api-docs/entry/metadata
 *
 * @example
 * new MackerelServiceMetadata(this, 'Owner', { service: shop, namespace: 'owner', metadata: { team: 'payments' } });
 */
export class MackerelServiceMetadata extends Construct {
  /** The namespace as given. */
  public readonly namespace: string;

  constructor(scope: Construct, id: string, props: MackerelServiceMetadataProps) {
    super(scope, id);
    const name = _knownServiceName(props.service);
    const target = { label: `service ${JSON.stringify(name ?? props.service.node.path)}`, key: name, created: props.service instanceof MackerelService, limit: _METADATA_LIMITS.perService };
    checkAndCreate(this, props, 'service', target, _RESOURCE_TYPES.SERVICE_METADATA, (metadata) => {
      const properties: _ServiceMetadataProperties = { service: props.service.name, namespace: props.namespace, metadata };
      return { ...properties };
    });
    this.namespace = props.namespace;
    // A service given by literal name waits for the MackerelService of this stack that creates it.
    _dependOnNamed(this, props.service.name, false);
  }
}

/**
 * One namespace of a Mackerel role's metadata (`Custom::MackerelRoleMetadata`): any JSON value,
 * written with `PUT /api/v0/services/<service>/roles/<role>/metadata/<namespace>` and deleted
 * with the resource. A namespace that already holds another value fails the deploy rather
 * than being overwritten (deleting the construct would delete that value); the same value is taken.
 *
 * Mackerel holds at most 10 namespaces per role, one of which is the ownership mark on a role
 * this library creates: such a role takes at most 9.
 *
 * A construct moved to a new id keeps the namespace, as for `MackerelServiceMetadata`.
 *
 * @see https://mackerel.io/api-docs/entry/metadata
 *
 * @example
 * new MackerelRoleMetadata(this, 'Runbook', { role: web, namespace: 'runbook', metadata: { url: 'https://wiki.example.com/web' } });
 */
export class MackerelRoleMetadata extends Construct {
  /** The namespace as given. */
  public readonly namespace: string;

  constructor(scope: Construct, id: string, props: MackerelRoleMetadataProps) {
    super(scope, id);
    const fullName = _knownRoleFullName(props.role);
    const target = { label: `role ${JSON.stringify(fullName ?? props.role.node.path)}`, key: fullName, created: props.role instanceof MackerelRole, limit: _METADATA_LIMITS.perRole };
    checkAndCreate(this, props, 'role', target, _RESOURCE_TYPES.ROLE_METADATA, (metadata) => {
      const properties: _RoleMetadataProperties = { role: props.role.fullName, namespace: props.namespace, metadata };
      return { ...properties };
    });
    this.namespace = props.namespace;
    // A role given by literal full name waits for the MackerelRole of this stack that creates it.
    _dependOnNamed(this, props.role.fullName, true);
  }
}
