import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { _fail } from '../_validation';
import { _knownServiceName } from '../service/_known-name';
import { IMackerelRole } from '../service/role';
import { IMackerelService, MackerelService } from '../service/service';

/**
 * The names of an annotation's roles within its service (see `_annotationRoleName`); a role named
 * twice is refused, as it is surely a slip (a role meant for the second place).
 * @internal
 */
export function _annotationRoleNames(scope: IConstruct, roles: IMackerelRole[], service: IMackerelService): string[] {
  const names = roles.map((role, i) => _annotationRoleName(scope, `roles[${i}]`, role, service));
  names.forEach((name, i) => {
    const first = names.indexOf(name);
    if (first < i && !Token.isUnresolved(name)) {
      _fail(scope, `roles[${i}]`, name, `names the same role as roles[${first}]`, 'each role of the service once');
    }
  });
  return names;
}

/**
 * A role's name within `service`, which must be its service. Services are compared by name when
 * both are known at synth; one known only at deploy time (an import, a parameter) is not checked.
 * Two services this app creates are two services, whatever their names.
 */
function _annotationRoleName(scope: IConstruct, property: string, role: IMackerelRole, service: IMackerelService): string {
  if (role.service === service) return role.name;
  const theirs = _knownServiceName(role.service);
  const ours = _knownServiceName(service);
  const bothCreated = role.service instanceof MackerelService && service instanceof MackerelService;
  if (bothCreated || (theirs !== undefined && ours !== undefined && theirs !== ours)) {
    _fail(scope, property, role.node.path, `is a role of service ${theirs ?? role.service.node.path}, not of ${ours ?? service.node.path}`,
      'roles of the annotation\'s service');
  }
  return role.name;
}
