import { Token } from 'aws-cdk-lib';
import { _describeProblem } from '../_validation';
import { _knownRoleFullName, _knownServiceName, _namesCreatedWith } from '../service/_known-name';
import type { IMackerelRole } from '../service/role';
import type { IMackerelService } from '../service/service';

/**
 * What a monitor (or a downtime, or an alert group setting) applies to: a Mackerel service or a
 * role, written `service` or `service:role`.
 *
 * @example
 * MonitorScope.fromRole(web);        // the role's full name, a reference to the role
 * MonitorScope.fromService(shop);    // the service name
 * MonitorScope.of('shop:web');       // a role or service that exists outside this app
 */
export class MonitorScope {
  /**
   * A scope written as a string: a service name (`shop`) or a role full name (`shop:web`).
   *
   * The string must be literal, because whether it is a service or a role decides where it
   * goes in downtimes and alert group settings. For a value known only at deploy time, use
   * `fromRole(MackerelRole.fromFullName(...))` or `fromService(MackerelService.fromName(...))`.
   *
   * When it names a `MackerelService` or `MackerelRole` of the same stack, whatever uses the
   * scope is created after it, as with `fromService` or `fromRole`. One of another stack is not:
   * unless this stack depends on that one already, whatever uses the scope gets the warning
   * `cdk-mackerel:importedByLiteralName`; pass the construct instead.
   *
   * A value that is not a valid service name or role full name is reported by the monitor,
   * downtime or alert group setting given the scope, with its construct path and property
   * (`Stack/Cpu: scopes[0] "shop web" is not a Mackerel service name or role full name; ...`).
   *
   * @param value `service` or `service:role`
   * @throws when the value is a token
   */
  public static of(value: string): MonitorScope {
    if (Token.isUnresolved(value)) {
      throw new Error(`MonitorScope.of: ${_describeProblem('value', value, 'is a token, so it cannot tell a service from a role', 'a literal service or service:role',
        'Use MonitorScope.fromRole(MackerelRole.fromFullName(...)) or MonitorScope.fromService(MackerelService.fromName(...))')}`);
    }
    // Checked where the scope is used, which knows the construct path and the property.
    return new MonitorScope(value, value.includes(':'), () => value, true);
  }

  /**
   * The scope of a role: its full name, `service:role`.
   *
   * For a `MackerelRole` created in this app, the scope refers to the resource, so whatever
   * uses the scope is created after the role.
   */
  public static fromRole(role: IMackerelRole): MonitorScope {
    return new MonitorScope(role.fullName, true, () => _knownRoleFullName(role), false, [role.name, ..._namesCreatedWith(role.service)]);
  }

  /**
   * The scope of a whole service: its name.
   *
   * For a `MackerelService` created in this app, the scope refers to the resource, so whatever
   * uses the scope is created after the service.
   */
  public static fromService(service: IMackerelService): MonitorScope {
    return new MonitorScope(service.name, false, () => _knownServiceName(service), false, _namesCreatedWith(service));
  }

  /** The scope as Mackerel writes it: `service` or `service:role` (possibly a token). */
  public readonly value: string;

  /** True when the scope is a role (`service:role`), false when it is a whole service. */
  public readonly isRole: boolean;

  /**
   * The name when it is known at synth, even if `value` is a token (a service or role created in
   * this app with a literal name), so that a scope given both as a construct and as a literal is
   * recognized as the same one. Read anew each time: a name imported by a Lazy is known only
   * once the Lazy is final (at validation).
   * @internal
   */
  public get _knownName(): string | undefined {
    return this.knownName();
  }

  private readonly knownName: () => string | undefined;

  /**
   * True for a scope given as a string (`of`), which orders nothing, unlike one of a construct.
   * @internal
   */
  public readonly _literal: boolean;

  /**
   * The value, and the names a service or role of this app was created with, which its value (a
   * `Ref`) does not show: a check of a scope whose name holds a Lazy not final yet is made once final.
   * @internal
   */
  public readonly _givenNames: readonly string[];

  private constructor(value: string, isRole: boolean, knownName: () => string | undefined, literal = false, givenNames: string[] = []) {
    this.value = value;
    this.isRole = isRole;
    this.knownName = knownName;
    this._literal = literal;
    this._givenNames = [value, ...givenNames];
  }

  /** The scope as Mackerel writes it. */
  public toString(): string {
    return this.value;
  }
}
