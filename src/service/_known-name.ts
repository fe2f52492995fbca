import { Reference, Token, Tokenization } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import type { IMackerelRole } from './role';
import { MackerelRole } from './role';
import type { IMackerelService } from './service';
import { MackerelService } from './service';

/**
 * The service's name when it is known at synth, else undefined. A `MackerelService` exposes its
 * `Ref`, a token, so two forms of one service (the construct, its literal name) would never
 * compare equal without the name it was created with.
 * @internal
 */
export function _knownServiceName(service: IMackerelService): string | undefined {
  const name = service instanceof MackerelService ? service._givenName : service.name;
  return Token.isUnresolved(name) ? undefined : name;
}

/**
 * The role's full name (`service:role`) when it is known at synth, else undefined; see
 * `_knownServiceName` for why a role of this app needs it. A role imported by the `fullName` of a
 * `MackerelRole` of this app (`MackerelRole.fromFullName(scope, id, web.fullName)`) is that role,
 * known by the name it was created with (`_knownRoleFullNameOf`).
 * @internal
 */
export function _knownRoleFullName(role: IMackerelRole): string | undefined {
  if (!(role instanceof MackerelRole)) return _knownRoleFullNameOf(role.fullName);
  const service = _knownServiceName(role.service);
  return service === undefined || Token.isUnresolved(role.name) ? undefined : `${service}:${role.name}`;
}

/**
 * The full name a role string stands for when it is known at synth: the string itself, or, for
 * the `fullName` of a `MackerelRole` of this app (its `Ref`, a token), the name it was created
 * with. Undefined for anything else known only at deploy time (a parameter, an import, Fn.split).
 * @internal
 */
export function _knownRoleFullNameOf(value: string): string | undefined {
  if (!Token.isUnresolved(value)) return value;
  const fragments = Tokenization.reverseString(value);
  const token = fragments.firstToken;
  if (fragments.length !== 1 || !token || !Reference.isReference(token)) return undefined;
  // The Ref targets the role's CfnResource, two levels below the MackerelRole.
  for (let node: IConstruct | undefined = token.target; node !== undefined; node = node.node.scope) {
    if (node instanceof MackerelRole) return node.fullName === value ? _knownRoleFullName(node) : undefined;
  }
  return undefined;
}
