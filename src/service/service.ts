import { RemovalPolicy, Token } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { _checkName } from '../_names';
import { _fail } from '../_validation';
import { _warnImportedByLiteralName } from './_imported-by-name';
import { _knownServiceName, _refuseKnownInvalidName, _SERVICES_BY_NAME } from './_known-name';
import { _NAMED_CLASSES } from './_named-classes';
import { _checkUniqueInApp, _keyedConstructAdded } from './_unique';
import { MackerelMetadataOptions, MackerelServiceMetadata } from './metadata';
import { MackerelRole } from './role';
import { _RESOURCE_TYPES, _ServiceProperties } from '../provider/_properties';
import { _createMackerelResource } from '../provider/_resource';
import { MackerelResourceOptions } from '../provider/resource-options';

/**
 * A Mackerel service, created by this stack or referenced by name.
 */
export interface IMackerelService extends IConstruct {
  /**
   * The service name, as used in monitor scopes, notification groups and the agent's
   * `MACKEREL_ROLES`.
   *
   * For a `MackerelService` this is a reference to the resource, so whatever uses it is created
   * after the service.
   */
  readonly name: string;
}

/**
 * Options of a role added with `MackerelService.addRole`.
 */
export interface MackerelRoleOptions extends MackerelResourceOptions {
  /**
   * A note shown on the role in Mackerel.
   *
   * Set on create only: the Mackerel API cannot update a memo, so a later change has no effect
   * in Mackerel (edit it in the web UI instead).
   *
   * @default - no memo
   */
  readonly memo?: string;
}

/**
 * Properties of a `MackerelService`.
 */
export interface MackerelServiceProps extends MackerelResourceOptions {
  /**
   * The service name: 2-63 letters, digits, `-` or `_`, not starting with `-` or `_`.
   *
   * Unique in the Mackerel organization. Changing it replaces the service: a new service is
   * created and the old one is deleted, and Mackerel deletes a service together with its roles,
   * service metrics, monitors and graph annotations.
   *
   * @see https://mackerel.io/api-docs/entry/services
   */
  readonly name: string;

  /**
   * A note shown on the service in Mackerel.
   *
   * Set on create only: the Mackerel API cannot update a memo, so a later change has no effect
   * in Mackerel (edit it in the web UI instead).
   *
   * @default - no memo
   */
  readonly memo?: string;
}

/**
 * Child ids `addRole` does not give a role: `Resource` is the service's own custom resource, and
 * CDK takes `Resource` or `Default` as a construct's default child (a child `Default` is also left
 * out of logical IDs, so the role's would be the service's). Roles of these names never worked
 * with their name as id, so mapping them changes no existing role's logical ID.
 */
const RESERVED_CHILD_IDS = ['Resource', 'Default'];

/**
 * A Mackerel service (`Custom::MackerelService`), served by the stack's `MackerelProvider`.
 *
 * The service is marked as created by this stack, and only a service carrying that mark is
 * ever deleted. To use a service that already exists, reference it with
 * `MackerelService.fromName`, which creates nothing.
 *
 * Deleting or renaming the service deletes it in Mackerel, and Mackerel then deletes its roles,
 * service metrics, monitors and graph annotations with it.
 *
 * A second service of the same name fails synthesis unless the two stacks' providers are known to
 * reach different organizations (another API base, or a key known to be another, such as a
 * secret of its own in each stage of a pipeline).
 *
 * @example
 * const shop = new MackerelService(this, 'Shop', { name: 'shop' });
 * const web = shop.addRole('web'); // web.fullName: a reference that deploys as 'shop:web'
 */
export class MackerelService extends Construct implements IMackerelService {
  /**
   * References a service that already exists in Mackerel: creates no resource, and the service
   * is never deleted by this stack.
   *
   * For a service a `MackerelService` of another stack creates, pass its `name`
   * (`fromName(scope, id, shop.name)`): the reference makes this stack depend on that one. A
   * literal name orders nothing, and gets the warning `cdk-mackerel:importedByLiteralName` unless
   * this stack depends on that one already.
   *
   * @param scope the scope of the reference
   * @param id the id of the reference
   * @param name the service name
   */
  public static fromName(scope: Construct, id: string, name: string): IMackerelService {
    return new ImportedMackerelService(scope, id, name);
  }

  /** The service name: a reference to the resource (its `Ref`). */
  public readonly name: string;

  /**
   * The name as given (a literal unless the user passed a token), to find two constructs
   * creating the same service and scopes naming it twice; `name` is always a token.
   * @internal
   */
  public readonly _givenName: string;

  private readonly removalPolicy?: RemovalPolicy;

  constructor(scope: Construct, id: string, props: MackerelServiceProps) {
    super(scope, id);
    _checkName(this, 'name', props.name);
    _refuseKnownInvalidName(this, 'name', props.name, 'service name');
    this._givenName = props.name;
    // A token known at synth (a Lazy) is compared by the name it ends with, read at validation.
    _checkUniqueInApp(this, 'name', props.name, Token.isUnresolved(props.name) ? () => _knownServiceName(this) : props.name, _SERVICES_BY_NAME, 'service');
    _keyedConstructAdded();
    const properties: _ServiceProperties = { name: props.name, memo: props.memo };
    this.name = _createMackerelResource(this, _RESOURCE_TYPES.SERVICE, { ...properties }, props.removalPolicy).ref;
    this.removalPolicy = props.removalPolicy;
  }

  /**
   * Adds a role to this service.
   *
   * The role's construct id is its name, except for `Resource` and `Default`, which CDK keeps
   * for the service's own resource: those roles get the id `Role:Resource` and `Role:Default`
   * (no role name holds a `:`, so no other role can take these ids).
   *
   * @param name the role name: 2-63 letters, digits, `-` or `_`, not starting with `-` or `_`
   * @param options the role's other settings
   * @returns the new role; its `fullName` is `service:role`
   */
  public addRole(name: string, options: MackerelRoleOptions = {}): MackerelRole {
    if (Token.isUnresolved(name)) {
      _fail(this, 'addRole(name)', name, 'is a token and cannot name a construct', 'a literal role name', 'Use new MackerelRole(scope, id, { service, name }) instead');
    }
    // No construct takes an empty id, and constructs says so naming neither this service nor the role.
    if (name === '') _checkName(this, 'addRole(name)', name, 'role name');
    const id = RESERVED_CHILD_IDS.includes(name) ? `Role:${name}` : name;
    if (this.node.tryFindChild(id) !== undefined) {
      _fail(this, 'addRole(name)', name, `names a child this service already has (${this.node.path}/${id})`, 'a role name not yet added to this service',
        'Add each role once and reuse the returned MackerelRole');
    }
    // Mackerel deletes a service's roles with it, so a role of a kept service is kept too unless it says otherwise.
    return new MackerelRole(this, id, { service: this, name, memo: options.memo, removalPolicy: options.removalPolicy ?? this.removalPolicy });
  }

  /**
   * Adds one namespace of metadata to this service (a `MackerelServiceMetadata` child).
   *
   * @param id the construct id of the metadata
   * @param namespace the metadata namespace: letters, digits, `-` or `_`, not starting with `mackerel`
   * @param metadata any JSON value, at most 100 KB as JSON
   * @param options the metadata's other settings (its removal policy defaults to the service's)
   * @returns the new metadata
   */
  public addMetadata(id: string, namespace: string, metadata: any, options: MackerelMetadataOptions = {}): MackerelServiceMetadata {
    // Metadata of a kept service stays with it unless it says otherwise, as its roles do.
    return new MackerelServiceMetadata(this, id, { service: this, namespace, metadata, removalPolicy: options.removalPolicy ?? this.removalPolicy });
  }
}
_NAMED_CLASSES.service = MackerelService;

class ImportedMackerelService extends Construct implements IMackerelService {
  public readonly name: string;

  constructor(scope: Construct, id: string, name: string) {
    super(scope, id);
    _checkName(this, 'name', name);
    _refuseKnownInvalidName(this, 'name', name, 'service name');
    this.name = name;
    _warnImportedByLiteralName(this, name, false);
  }
}
