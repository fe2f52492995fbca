import { Reference, Token, Tokenization } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import type { IMackerelRole } from './role';
import { MackerelRole } from './role';
import type { IMackerelService } from './service';
import { MackerelService } from './service';

/**
 * The service's name when it is known at synth, else undefined. A `MackerelService` exposes its
 * `Ref`, a token, so two forms of one service (the construct, its literal name) would never
 * compare equal without the name it was created with. A service imported by the `name` of a
 * `MackerelService` of this app (`MackerelService.fromName(scope, id, shop.name)`) is that
 * service, known by the name it was created with (`_knownServiceNameOf`).
 * @internal
 */
export function _knownServiceName(service: IMackerelService): string | undefined {
  if (!(service instanceof MackerelService)) return _knownServiceNameOf(service.name);
  return Token.isUnresolved(service._givenName) ? undefined : service._givenName;
}

/**
 * The name a service string stands for when it is known at synth: the string itself, or, for
 * the `name` of a `MackerelService` of this app (its `Ref`, a token), the name it was created
 * with. Undefined for anything else known only at deploy time (a parameter, an import, Fn.select).
 * @internal
 */
export function _knownServiceNameOf(value: string): string | undefined {
  if (!Token.isUnresolved(value)) return value;
  const creator = refCreator(value, MackerelService);
  return creator && creator.name === value ? _knownServiceName(creator) : undefined;
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
  const creator = refCreator(value, MackerelRole);
  return creator && creator.fullName === value ? _knownRoleFullName(creator) : undefined;
}

/**
 * The nearest construct of the given class above the target of a value that is one reference and
 * nothing else (the caller checks that it is the construct's own `Ref`), else undefined.
 */
function refCreator<T extends IConstruct>(value: string, type: abstract new (...args: any[]) => T): T | undefined {
  const fragments = Tokenization.reverseString(value);
  const token = fragments.firstToken;
  if (fragments.length !== 1 || !token || !Reference.isReference(token)) return undefined;
  // The Ref targets the CfnResource, two levels below the MackerelService or MackerelRole.
  for (let node: IConstruct | undefined = token.target; node !== undefined; node = node.node.scope) {
    if (node instanceof type) return node;
  }
  return undefined;
}
