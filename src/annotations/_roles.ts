import { IConstruct } from 'constructs';
import { _fail } from '../_validation';
import { _knownServiceName } from '../service/_known-name';
import { IMackerelRole } from '../service/role';
import { IMackerelService, MackerelService } from '../service/service';

/**
 * A role's name within `service`, which must be its service. Services are compared by name when
 * both are known at synth; one known only at deploy time (an import, a parameter) is not checked.
 * Two services this app creates are two services, whatever their names.
 * @internal
 */
export function _annotationRoleName(scope: IConstruct, property: string, role: IMackerelRole, service: IMackerelService): string {
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
