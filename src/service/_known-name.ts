import { Reference, Stack, Token, Tokenization } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { _notFinalYet, _readingFinal, _readingWithoutKeeping, _resolveEachToken } from '../_lazy';
import { _isMackerelName, _isRoleFullName, _NAME_RULE } from '../_names';
import { _refuseOnceFinal } from '../_validation';
import { _NAMED_CLASSES } from './_named-classes';
import type { _KeyedKind } from './_unique';
import type { IMackerelRole, MackerelRole } from './role';
import type { IMackerelService, MackerelService } from './service';

/** True for a `MackerelService`; see `_NAMED_CLASSES` for why the class is not imported. */
function isService(construct: unknown): construct is MackerelService {
  return _NAMED_CLASSES.service !== undefined && construct instanceof _NAMED_CLASSES.service;
}

/** True for a `MackerelRole`; see `_NAMED_CLASSES`. */
function isRole(construct: unknown): construct is MackerelRole {
  return _NAMED_CLASSES.role !== undefined && construct instanceof _NAMED_CLASSES.role;
}

/**
 * The service's name when it is known at synth, else undefined. A `MackerelService` exposes its
 * `Ref`, a token, so two forms of one service (the construct, its literal name) would never
 * compare equal without the name it was created with. A service imported by the `name` of a
 * `MackerelService` of this app (`MackerelService.fromName(scope, id, shop.name)`) is that
 * service, known by the name it was created with (`_knownServiceNameOf`).
 * @internal
 */
export function _knownServiceName(service: IMackerelService): string | undefined {
  if (!isService(service)) return _knownServiceNameOf(service.name);
  return knownGivenName(service._givenName);
}

/**
 * The name a `MackerelService` of this app was created with (`_givenName`), which its `name` (a `Ref`)
 * does not show; none for an import, whose name is its `name`.
 * @internal
 */
export function _namesCreatedWith(service: IMackerelService): string[] {
  return isService(service) ? [service._givenName] : [];
}

/**
 * The name a `MackerelService` or `MackerelRole` was created with, when known at synth: a literal,
 * or a token known at synth (a Lazy, a name built of this app's names) once final, at validation or
 * in an Aspect (`_readingFinalValues`). Read while the app is built, a token is unknown: a Lazy
 * would keep its value of that moment, and an uncached one reads anew each time.
 */
function knownGivenName(given: string): string | undefined {
  if (!Token.isUnresolved(given)) return given;
  // Read by every lookup of the app's names, in an Aspect too: a Lazy kept there would be written as it is then, though an
  // Aspect of the app that runs later may still give it its value. Produced anew, it is written as it ends.
  return _readingFinal() ? _readingWithoutKeeping(() => _knownServiceNameOf(given)) : undefined;
}

/**
 * The `MackerelService`s of the app by their known name (`_knownServiceName`).
 * @internal
 */
export const _SERVICES_BY_NAME: _KeyedKind = {
  keysOf: (construct) => knownKeys(isService(construct) ? _knownServiceName(construct) : undefined),
};

/**
 * The name a service string stands for when it is known at synth: the string itself, or, for
 * the `name` of a `MackerelService` of this app (its `Ref`, a token), the name it was created
 * with; also a string built of those and literals (`Fn.join`, a template string) that is a valid
 * service name. Undefined for anything else known only at deploy time (a parameter, an import,
 * Fn.select).
 * @internal
 */
export function _knownServiceNameOf(value: string): string | undefined {
  if (!Token.isUnresolved(value)) return value;
  // Built of names checked where they were made, but not itself checked (`${web.fullName}x`): known only when it is one.
  const known = knownString(value);
  return known !== undefined && _isMackerelName(known) ? known : undefined;
}

/**
 * The role's full name (`service:role`) when it is known at synth, else undefined; see
 * `_knownServiceName` for why a role of this app needs it. A role imported by the `fullName` of a
 * `MackerelRole` of this app (`MackerelRole.fromFullName(scope, id, web.fullName)`) is that role,
 * known by the name it was created with (`_knownRoleFullNameOf`).
 * @internal
 */
export function _knownRoleFullName(role: IMackerelRole): string | undefined {
  if (!isRole(role)) return _knownRoleFullNameOf(role.fullName);
  const service = _knownServiceName(role.service);
  const name = knownGivenName(role.name);
  return service === undefined || name === undefined ? undefined : `${service}:${name}`;
}

/**
 * The `MackerelRole`s of the app by their known full name (`_knownRoleFullName`).
 * @internal
 */
export const _ROLES_BY_FULL_NAME: _KeyedKind = {
  keysOf: (construct) => knownKeys(isRole(construct) ? _knownRoleFullName(construct) : undefined),
};

function knownKeys(name: string | undefined): string[] {
  return name === undefined ? [] : [name];
}

/**
 * The full name a role string stands for when it is known at synth: the string itself, or, for
 * the `fullName` of a `MackerelRole` of this app (its `Ref`, a token), the name it was created
 * with; also a string built of those, a `MackerelService`'s `name` and literals
 * (`` `${shop.name}:web` ``, `Fn.join(':', [shop.name, 'web'])`), which deploys as the same name
 * and so is the same role, when it is a valid full name. Undefined for anything else known only
 * at deploy time (a parameter, an import, Fn.split).
 * @internal
 */
export function _knownRoleFullNameOf(value: string): string | undefined {
  if (!Token.isUnresolved(value)) return value;
  // A service's name alone, or a full name with more after it (`${web.fullName}:x`), is no role.
  const known = knownString(value);
  return known !== undefined && _isRoleFullName(known) ? known : undefined;
}

/**
 * Refuses, at validation, a name given as a token that is known at synth all the same (built of the
 * names of this app's services and roles and literals, `` `${shop.name}:we b` ``) and is not
 * `what`: it deploys as that string, which Mackerel refuses. The plain checks (`_checkName`, `_checkRoleFullName`) pass every token. Read once final,
 * as a Lazy is known only then.
 * @internal
 */
export function _refuseKnownInvalidName(scope: IConstruct, property: string, value: string, what: 'service name' | 'role name' | 'role full name'): void {
  if (!Token.isUnresolved(value)) return;
  _refuseOnceFinal(scope, () => {
    const known = knownString(value);
    if (known === undefined) return undefined;
    return what === 'role full name'
      ? (_isRoleFullName(known) ? undefined : [property, known, 'is not a Mackerel role full name', `service:role, each part ${_NAME_RULE}`])
      : (_isMackerelName(known) ? undefined : [property, known, `is not a valid Mackerel ${what}`, _NAME_RULE]);
  });
}

/**
 * `value` with every `Ref` of a `MackerelService` or `MackerelRole` of this app replaced by the
 * name it was created with, when all of it is then known: literals, those references, and
 * intrinsics of them that CDK folds into a string at synth (`Fn.join`). Any other reference (a
 * parameter, `Aws.REGION`, another resource's attribute) or an intrinsic left for deploy time
 * (`Fn.select`) makes it unknown, and so does a Lazy while the app is being built (`_notFinalYet`).
 */
function knownString(value: string): string | undefined {
  if (!Token.isUnresolved(value)) return value;
  let unknown = false;
  let resolved: unknown;
  try {
    resolved = _resolveEachToken(resolveScope(), value, (token, resolve) => {
      if (unknown) return '';
      // A Lazy read while the app is built would keep the value of that moment: known only later.
      if (_notFinalYet(token)) {
        unknown = true;
        return '';
      }
      if (Reference.isReference(token)) {
        const known = knownRef(token);
        // Left unresolved: resolving another stack's or a pseudo reference needs a scope this has not.
        if (known === undefined) unknown = true;
        return known ?? '';
      }
      const result = resolve();
      // An intrinsic CDK cannot fold (Fn.select) stays an object, which a string would only show as [object Object].
      if (typeof result !== 'string') unknown = true;
      return result;
    });
  } catch {
    return undefined;
  }
  return !unknown && typeof resolved === 'string' && !Token.isUnresolved(resolved) ? resolved : undefined;
}

/** The known name a reference stands for: the `Ref` of a `MackerelService` or `MackerelRole` of this app, named by a literal. */
function knownRef(ref: Reference): string | undefined {
  // The Ref targets the CfnResource, two levels below the MackerelService or MackerelRole.
  for (let node: IConstruct | undefined = ref.target; node !== undefined; node = node.node.scope) {
    if (isService(node)) return isRefOf(ref, node.name) ? _knownServiceName(node) : undefined;
    if (isRole(node)) return isRefOf(ref, node.fullName) ? _knownRoleFullName(node) : undefined;
  }
  return undefined;
}

/** True when `ref` is the one token `value` (a construct's `Ref`) is made of: not another attribute of the same resource. */
function isRefOf(ref: Reference, value: string | undefined): boolean {
  // The role's fullName is set after its resource, which a reference may already target.
  return value !== undefined && Tokenization.reverseString(value).firstToken === ref;
}

let scopeForResolving: Stack | undefined;

/**
 * A stack of its own to resolve in: no reference is resolved with it (those are looked up, or
 * make the value unknown), only the intrinsics around them, which need a scope all the same.
 */
function resolveScope(): Stack {
  scopeForResolving ??= new Stack(undefined, 'CdkMackerelKnownNames');
  return scopeForResolving;
}
