import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { _holdsUncachedLazy, _holdsValueNotFinalYet } from '../_lazy';
import { _fail, _Problem, _refuseOnceFinal } from '../_validation';
import { _knownRoleFullName, _knownServiceName } from '../service/_known-name';
import { IMackerelRole } from '../service/role';
import { IMackerelService, MackerelService } from '../service/service';

/**
 * The names of an annotation's roles within its service, which must be their service; a role
 * named twice is refused, as it is surely a slip (a role meant for the second place).
 * @internal
 */
export function _annotationRoleNames(scope: IConstruct, roles: IMackerelRole[], service: IMackerelService): string[] {
  const problem = () => roles.map((role, i) => serviceProblem(`roles[${i}]`, role, service)).find((p) => p !== undefined) ?? repeatProblem(roles);
  const names = [service.name, ...roles.flatMap((role) => [role.fullName, role.name, role.service.name])];
  // An uncached Lazy reads anew at each resolution: what it reads now need not be the name synthesis writes.
  const changing = names.some((name) => _holdsUncachedLazy(scope, name));
  const now = changing ? undefined : problem();
  if (now) _fail(scope, ...now);
  // A Lazy name is unknown while the app is built (`_knownServiceName`): the names it ends with are compared once final.
  if (changing || names.some((name) => _holdsValueNotFinalYet(scope, name))) _refuseOnceFinal(scope, problem);
  return roles.map((role) => role.name);
}

/**
 * A role of another service than `service`. Services are compared by name when both are known at
 * synth; one known only at deploy time (an import, a parameter) is not checked. Two services this
 * app creates are two services, whatever their names.
 */
function serviceProblem(property: string, role: IMackerelRole, service: IMackerelService): _Problem | undefined {
  if (role.service === service) return undefined;
  // A role imported by a full name that is a token names its service by a part of it (`Fn.select`), known by the full name.
  const theirs = _knownServiceName(role.service) ?? _knownRoleFullName(role)?.split(':')[0];
  const ours = _knownServiceName(service);
  const bothCreated = role.service instanceof MackerelService && service instanceof MackerelService;
  if (!bothCreated && (theirs === undefined || ours === undefined || theirs === ours)) return undefined;
  return [property, role.node.path, `is a role of service ${theirs ?? role.service.node.path}, not of ${ours ?? service.node.path}`,
    'roles of the annotation\'s service'];
}

/** The first role named again, by its name within the service when known at synth. */
function repeatProblem(roles: IMackerelRole[]): _Problem | undefined {
  const names = roles.map((role) => (Token.isUnresolved(role.name) ? _knownRoleFullName(role)?.split(':')[1] : role.name));
  for (const [i, name] of names.entries()) {
    const first = names.indexOf(name);
    if (name !== undefined && first < i) return [`roles[${i}]`, name, `names the same role as roles[${first}]`, 'each role of the service once'];
  }
  return undefined;
}
