import { Fn, RemovalPolicy, Token } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { _checkName, _checkRoleFullName } from '../_names';
import { _warnImportedByLiteralName } from './_imported-by-name';
import { _warnKeptWithDeletedService } from './_kept-with-service';
import { _knownRoleFullName, _refuseKnownInvalidName, _ROLES_BY_FULL_NAME } from './_known-name';
import { _NAMED_CLASSES } from './_named-classes';
import { _dependOnNamed } from './_named-dependency';
import { _checkUniqueInApp, _keyedConstructAdded } from './_unique';
import { MackerelMetadataOptions, MackerelRoleMetadata } from './metadata';
import type { IMackerelService, MackerelRoleOptions } from './service';
import { MackerelService } from './service';
import { _RESOURCE_TYPES, _RoleProperties } from '../provider/_properties';
import { _createMackerelResource } from '../provider/_resource';

/**
 * A Mackerel role, created by this stack or referenced by its full name.
 */
export interface IMackerelRole extends IConstruct {
  /**
   * The role full name, `service:role`: the string used in monitor scopes, downtime and alert
   * group scopes, AWS integration roles and the agent's `MACKEREL_ROLES`.
   *
   * For a `MackerelRole` this is a reference to the resource, so whatever uses it is created
   * after the role.
   */
  readonly fullName: string;

  /** The role name, without the service. */
  readonly name: string;

  /** The service the role belongs to. */
  readonly service: IMackerelService;
}

/**
 * Properties of a `MackerelRole`.
 */
export interface MackerelRoleProps extends MackerelRoleOptions {
  /**
   * The service the role belongs to.
   *
   * Changing it replaces the role. A service referenced by name (`MackerelService.fromName`)
   * that a `MackerelService` of the same stack creates is created before the role.
   */
  readonly service: IMackerelService;

  /**
   * The role name: 2-63 letters, digits, `-` or `_`, not starting with `-` or `_`.
   *
   * Unique within its service. Changing it replaces the role (the old role is deleted in
   * Mackerel).
   *
   * @see https://mackerel.io/api-docs/entry/services
   */
  readonly name: string;
}

/**
 * A Mackerel role (`Custom::MackerelRole`) of a service, served by the stack's
 * `MackerelProvider`.
 *
 * Usually created with `MackerelService.addRole`. The role is marked as created by this stack,
 * and only a role carrying that mark is ever deleted; reference an existing role with
 * `MackerelRole.fromFullName`, which creates nothing.
 *
 * @example
 * const web = new MackerelRole(this, 'Web', { service: shop, name: 'web' });
 */
export class MackerelRole extends Construct implements IMackerelRole {
  /**
   * References a role that already exists in Mackerel: creates no resource, and the role is
   * never deleted by this stack.
   *
   * For a role a `MackerelRole` of another stack creates, pass its `fullName`
   * (`fromFullName(scope, id, web.fullName)`): the reference makes this stack depend on that one.
   * A literal full name orders nothing, and gets the warning `cdk-mackerel:importedByLiteralName`
   * unless this stack depends on that one already. A full name built of a `MackerelService`'s
   * name (`` `${shop.name}:web` ``) is known as that service's role.
   *
   * @param scope the scope of the reference
   * @param id the id of the reference
   * @param fullName the role full name, `service:role`
   */
  public static fromFullName(scope: Construct, id: string, fullName: string): IMackerelRole {
    return new ImportedMackerelRole(scope, id, fullName);
  }

  /** The role full name, `service:role`: a reference to the resource (its `Ref`). */
  public readonly fullName: string;

  /** The role name, without the service. */
  public readonly name: string;

  /** The service the role belongs to. */
  public readonly service: IMackerelService;

  private readonly removalPolicy?: RemovalPolicy;

  constructor(scope: Construct, id: string, props: MackerelRoleProps) {
    super(scope, id);
    this.removalPolicy = props.removalPolicy;
    _checkName(this, 'name', props.name, 'role name');
    _refuseKnownInvalidName(this, 'name', props.name, 'role name');
    this.name = props.name;
    this.service = props.service;
    // A service created in this app names itself with a token, which never equals the literal
    // name a reference to the same service gives; compare the names, when known at synth.
    // Read at validation: a service imported by a Lazy name is known only once the Lazy is final.
    _checkUniqueInApp(this, 'name', props.name, () => _knownRoleFullName(this), _ROLES_BY_FULL_NAME, 'role');
    _keyedConstructAdded();
    const properties: _RoleProperties = { service: props.service.name, name: props.name, memo: props.memo };
    this.fullName = _createMackerelResource(this, _RESOURCE_TYPES.ROLE, { ...properties }, props.removalPolicy).ref;
    // Mackerel creates a role only in a service that exists (404 otherwise): a service given by
    // its literal name waits for the MackerelService of this stack that creates it.
    _dependOnNamed(this, props.service.name, false);
    _warnKeptWithDeletedService(this, props.service, 'role');
  }

  /**
   * Adds one namespace of metadata to this role (a `MackerelRoleMetadata` child).
   *
   * @param id the construct id of the metadata
   * @param namespace the metadata namespace: letters, digits, `-` or `_`, not starting with `mackerel`
   * @param metadata any JSON value, at most 100 KB as JSON
   * @param options the metadata's other settings (its removal policy defaults to the role's)
   * @returns the new metadata
   */
  public addMetadata(id: string, namespace: string, metadata: any, options: MackerelMetadataOptions = {}): MackerelRoleMetadata {
    // Metadata of a kept role stays with it unless it says otherwise.
    return new MackerelRoleMetadata(this, id, { role: this, namespace, metadata, removalPolicy: options.removalPolicy ?? this.removalPolicy });
  }
}
_NAMED_CLASSES.role = MackerelRole;

class ImportedMackerelRole extends Construct implements IMackerelRole {
  public readonly fullName: string;
  public readonly name: string;
  public readonly service: IMackerelService;

  constructor(scope: Construct, id: string, fullName: string) {
    super(scope, id);
    _checkRoleFullName(this, 'fullName', fullName);
    _refuseKnownInvalidName(this, 'fullName', fullName, 'role full name');
    this.fullName = fullName;
    const [serviceName, roleName] = Token.isUnresolved(fullName)
      ? [Fn.select(0, Fn.split(':', fullName)), Fn.select(1, Fn.split(':', fullName))]
      : fullName.split(':');
    this.name = roleName;
    this.service = MackerelService.fromName(this, 'Service', serviceName);
    _warnImportedByLiteralName(this, fullName, true);
  }
}
