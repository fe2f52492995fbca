import { Stack, Token } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { _describeProblem, _fail, _Problem, _refuseOnceFinal } from '../_validation';
import { _warnMetadataKeptWithDeletedOwner } from './_kept-with-service';
import { _knownRoleFullName, _knownServiceName, _ROLES_BY_FULL_NAME, _SERVICES_BY_NAME } from './_known-name';
import { _dependOnNamed } from './_named-dependency';
import { _addLookupValidation, _allInOrganization, _keyedConstructAdded, _KeyedKind } from './_unique';
import { IMackerelRole, MackerelRole } from './role';
import { IMackerelService, MackerelService } from './service';
import { _METADATA_LIMITS, _OWNERSHIP_NAMESPACE, _RESOURCE_TYPES, _RoleMetadataProperties, _ServiceMetadataProperties } from '../provider/_properties';
import { _createMackerelResource } from '../provider/_resource';
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
   * With the service's name (or the role's `service:role`) and a `/`, it must fit the 1,024 bytes
   * CloudFormation allows a physical ID.
   *
   * Changing it replaces the metadata (the old namespace is deleted).
   */
  readonly namespace: string;

  /**
   * The metadata value: any JSON value (object, array, string, number, boolean or null), at most
   * 100 KB as JSON (tokens, such as an ARN, resolved at deploy time, are not counted at synth). NaN
   * and Infinity, a BigInt, a function or symbol, a Map or Set (which JSON writes as `{}`), an
   * undefined array element (which the template drops) and a cycle are refused; an object key
   * holding undefined is left out, as JSON.stringify leaves it out.
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

/**
 * CloudFormation's limit on a custom resource's physical ID ("up to 1 KB", the custom resource
 * response objects page), which the handler makes `owner/namespace`: a longer one fails the deploy
 * after the namespace is written, which the stack then cannot delete.
 */
const MAX_PHYSICAL_ID_BYTES = 1024;

/** The shortest service name and role full name Mackerel allows (2 characters a name), for an owner unknown at synth. */
const SHORTEST_OWNER = { service: 'xx', role: 'xx:xx' } as const;

/** What the namespace checks need of a metadata construct. */
interface MetadataTarget {
  /** `service "shop"` or `role "shop:web"`, for messages. */
  readonly label: string;
  /**
   * The service or role name when known at synth, else its token (the construct's `Ref`, or the
   * name a reference was given): metadata of the same key write to one service or role, and share
   * Mackerel's namespace limit. A token equals only itself, so metadata of one construct (from
   * any stack) is compared, while two tokens of one name are not (cdk-mackerel apply compares
   * them once resolved). Read only by lookup validations, where a Lazy name is final.
   */
  readonly key: string;
  /** The service or role construct of this app, whose mark takes one namespace, if any. */
  readonly created: boolean;
  readonly limit: number;
}

/** The checks and the resource shared by both metadata constructs. */
function checkAndCreate(construct: Construct, props: MackerelMetadataProps, kind: 'service' | 'role', target: MetadataTarget, type: string,
  properties: (metadata: string) => { [key: string]: unknown }, owner: () => string | undefined): void {
  const namespace = props.namespace;
  REGISTERED.set(construct, { kind, target, namespace });
  _keyedConstructAdded();
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
    // Letters, digits, - and _ (checked above): a character is a byte. An owner unknown at synth is taken
    // at its shortest, so that only a namespace too long for every name is refused.
    const tooLong = (known: string | undefined): _Problem | undefined => {
      const room = MAX_PHYSICAL_ID_BYTES - Buffer.byteLength(`${known ?? SHORTEST_OWNER[kind]}/`, 'utf8');
      if (namespace.length <= room) return undefined;
      const format = kind === 'service' ? 'service/namespace' : 'service:role/namespace';
      const forWhom = known === undefined ? `for any ${kind} (with the shortest name Mackerel allows)` : `for ${kind} ${JSON.stringify(known)}`;
      return ['namespace', `${namespace.slice(0, 40)}...`, `is ${namespace.length} characters long, which makes the physical ID `
        + `the handler gives it (${format}) longer than CloudFormation's ${MAX_PHYSICAL_ID_BYTES} bytes ${forWhom}`, `at most ${room} characters`];
    };
    const known = owner();
    const problem = tooLong(known);
    if (problem) _fail(construct, ...problem);
    // A service or role created with a Lazy name is known by name only once final: measured again with it then.
    if (known === undefined) _refuseOnceFinal(construct, () => tooLong(owner()));
  }
  if (props.metadata === undefined) {
    _fail(construct, 'metadata', undefined, 'is undefined', 'a JSON value (object, array, string, number, boolean or null)');
  }
  const unsendable = unsendablePart(props.metadata, 'metadata', []);
  if (unsendable) {
    _fail(construct, unsendable.path, unsendable.shown, unsendable.problem, 'a JSON value: object, array, string, finite number, boolean or null');
  }
  // Tokens count as nothing (they resolve at deploy time): a value over the limit without them is over it with them.
  const bytes = Buffer.byteLength(JSON.stringify(props.metadata, (_key, value) => (Token.isUnresolved(value) ? null : value)), 'utf8');
  if (bytes > _METADATA_LIMITS.bytes) {
    const literal = JSON.stringify(props.metadata);
    const tokens = Token.isUnresolved(literal) ? ' without its tokens' : '';
    _fail(construct, 'metadata', `${literal.slice(0, 40)}...`, `is ${bytes} bytes as JSON${tokens}`, `at most ${_METADATA_LIMITS.bytes} bytes (100 KB)`);
  }
  _addLookupValidation(construct, () => namespaceProblems(construct));
  // One JSON string: CloudFormation would turn every nested scalar into a string.
  _createMackerelResource(construct, type, properties(Stack.of(construct).toJsonString(props.metadata)), props.removalPolicy);
}

/**
 * The first part of a metadata value that JSON cannot hold as given, with where it is
 * (`metadata.a[0]`) and why: JSON.stringify would write NaN and Infinity as null and a Map or Set as
 * {}, CloudFormation's resolution drops an undefined array element (shifting the ones after it), and
 * a function, symbol, BigInt or cycle fails with no word of the construct. `ancestors` finds cycles.
 */
function unsendablePart(value: unknown, path: string, ancestors: object[]): { path: string; shown: string; problem: string } | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? undefined : { path, shown: String(value), problem: 'is not a finite number, which JSON cannot hold' };
  }
  if (typeof value === 'bigint') return { path, shown: `${value}n`, problem: 'is a BigInt, which JSON cannot hold (write it as a number or a string)' };
  if (typeof value === 'function' || typeof value === 'symbol') return { path, shown: String(value).slice(0, 40), problem: `is a ${typeof value}, which JSON cannot hold` };
  if (value === null || typeof value !== 'object' || Token.isUnresolved(value)) return undefined;
  if (ancestors.includes(value)) return { path, shown: '[Circular]', problem: 'refers back to an object holding it, which JSON cannot hold' };
  if (value instanceof Map || value instanceof Set) {
    return {
      path,
      shown: `[${value.constructor.name}]`,
      problem: `is a ${value.constructor.name}, which JSON writes as {} (its entries lost)`
      + `; write ${value instanceof Map ? 'an object (Object.fromEntries)' : 'an array (Array.from)'} instead`,
    };
  }
  const inside = [...ancestors, value];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (value[i] === undefined) return { path: `${path}[${i}]`, shown: 'undefined', problem: 'is an undefined array element, which the template drops (moving the ones after it)' };
      const found = unsendablePart(value[i], `${path}[${i}]`, inside);
      if (found) return found;
    }
    return undefined;
  }
  // A key whose value is undefined is left out, as JSON.stringify leaves it out.
  for (const [key, child] of Object.entries(value)) {
    const found = child === undefined ? undefined : unsendablePart(child, `${path}.${key}`, inside);
    if (found) return found;
  }
  return undefined;
}

/** Two constructs writing one namespace, and more namespaces than Mackerel holds for one service or role. */
function namespaceProblems(construct: IConstruct): string[] {
  const { kind, target, namespace } = REGISTERED.get(construct)!;
  const same = _allInOrganization(construct, METADATA_BY_TARGET[kind], target.key);
  const index = same.indexOf(construct);
  if (!Token.isUnresolved(namespace)) {
    const first = same.find((c) => REGISTERED.get(c)?.namespace === namespace);
    if (first && first !== construct) {
      return [_describeProblem('namespace', namespace, `is also written to ${target.label} by ${first.node.path}`, 'each namespace of a service or role once')];
    }
  }
  // The app's MackerelService or MackerelRole marks it, also when this metadata names it by name
  // (another stack's, or `fromName` beside it).
  const created = target.created
    || _allInOrganization(construct, kind === 'role' ? _ROLES_BY_FULL_NAME : _SERVICES_BY_NAME, target.key).length > 0;
  const room = target.limit - (created ? 1 : 0);
  if (index >= room) {
    return [_describeProblem('namespace', namespace, `is namespace ${index + 1} of ${target.label}`,
      `at most ${target.limit} metadata namespaces per ${kind}${created ? `, one of which is cdk-mackerel's ownership mark (${_OWNERSHIP_NAMESPACE})` : ''}`)];
  }
  return [];
}

/** What the checks across an app need of each metadata construct (jsii takes no unexported base class). */
interface Registered {
  readonly kind: 'service' | 'role';
  readonly target: MetadataTarget;
  readonly namespace: string;
}

const REGISTERED = new WeakMap<IConstruct, Registered>();

/** The metadata constructs of the app by the service or role they write to (`MetadataTarget.key`), for each kind. */
const METADATA_BY_TARGET: Record<Registered['kind'], _KeyedKind> = { service: metadataOf('service'), role: metadataOf('role') };

function metadataOf(kind: Registered['kind']): _KeyedKind {
  return {
    keysOf: (construct) => {
      const registered = REGISTERED.get(construct);
      return registered?.kind === kind ? [registered.target.key] : [];
    },
  };
}

/**
 * One namespace of a Mackerel service's metadata (`Custom::MackerelServiceMetadata`): any JSON
 * value, written with `PUT /api/v0/services/<service>/metadata/<namespace>` and deleted with the
 * resource. A namespace that already holds another value fails the deploy rather than
 * being overwritten (deleting the construct would delete that value); the same value is taken.
 *
 * Mackerel holds at most 50 namespaces per service, one of which is the ownership mark on a
 * service this library creates. It deletes them with the service: metadata retained
 * (`removalPolicy`) on a service of the app that is not gets a warning.
 *
 * A construct moved to a new id (a new logical ID) keeps the namespace: the old resource's delete
 * leaves a namespace another resource of the stack holds (the provider may list the stack's
 * resources for this). A construct moved to another stack keeps it only under `cdk-mackerel
 * apply`, whose state holds every stack: CloudFormation lists the old stack alone, so its cleanup
 * deletes the namespace (deploy the old stack without the construct first).
 *
 * Two constructs writing one namespace fail synthesis when it can tell they name one service: by
 * its name, or, when that is a token, through one construct or one name token (with providers of
 * one API key). `cdk-mackerel apply` refuses them once the names are resolved.
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
    // Read by the lookup validation: a service imported by a Lazy name is known once the Lazy is final.
    const target = {
      get label() { return `service ${JSON.stringify(_knownServiceName(props.service) ?? props.service.node.path)}`; },
      get key() { return _knownServiceName(props.service) ?? props.service.name; },
      created: props.service instanceof MackerelService,
      limit: _METADATA_LIMITS.perService,
    };
    checkAndCreate(this, props, 'service', target, _RESOURCE_TYPES.SERVICE_METADATA, (metadata) => {
      const properties: _ServiceMetadataProperties = { service: props.service.name, namespace: props.namespace, metadata };
      return { ...properties };
    }, () => _knownServiceName(props.service));
    this.namespace = props.namespace;
    // A service given by literal name waits for the MackerelService of this stack that creates it.
    _dependOnNamed(this, props.service.name, false);
    _warnMetadataKeptWithDeletedOwner(this, props.service, 'service');
  }
}

/**
 * One namespace of a Mackerel role's metadata (`Custom::MackerelRoleMetadata`): any JSON value,
 * written with `PUT /api/v0/services/<service>/roles/<role>/metadata/<namespace>` and deleted
 * with the resource. A namespace that already holds another value fails the deploy rather
 * than being overwritten (deleting the construct would delete that value); the same value is taken.
 *
 * Mackerel holds at most 10 namespaces per role, one of which is the ownership mark on a role
 * this library creates: such a role takes at most 9. It deletes them with the role: metadata
 * retained (`removalPolicy`) on a role of the app that is not gets a warning.
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
    // Read by the lookup validation: a role imported by a Lazy full name is known once the Lazy is final.
    const target = {
      get label() { return `role ${JSON.stringify(_knownRoleFullName(props.role) ?? props.role.node.path)}`; },
      get key() { return _knownRoleFullName(props.role) ?? props.role.fullName; },
      created: props.role instanceof MackerelRole,
      limit: _METADATA_LIMITS.perRole,
    };
    checkAndCreate(this, props, 'role', target, _RESOURCE_TYPES.ROLE_METADATA, (metadata) => {
      const properties: _RoleMetadataProperties = { role: props.role.fullName, namespace: props.namespace, metadata };
      return { ...properties };
    }, () => _knownRoleFullName(props.role));
    this.namespace = props.namespace;
    // A role given by literal full name waits for the MackerelRole of this stack that creates it.
    _dependOnNamed(this, props.role.fullName, true);
    _warnMetadataKeptWithDeletedOwner(this, props.role, 'role');
  }
}
