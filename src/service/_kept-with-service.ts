import { IConstruct } from 'constructs';
import { _warnLate } from '../_validation';
import { _knownServiceName } from './_known-name';
import { _creatorInStack } from './_named-dependency';
import type { IMackerelService } from './service';
import { MackerelService } from './service';
import { _retainsObject } from '../provider/_resource';

/**
 * Warns, at synth, when `scope` keeps its Mackerel object (`removalPolicy: RETAIN`) but the
 * service it belongs to is deleted. Mackerel would delete a service's roles, service monitors and
 * external monitors with it, so the handler leaves a service that still has one (`owned.ts`): the
 * object stays, and so does the service, which nothing deletes afterwards. Read at synth, as an
 * escape hatch may set either policy after construction.
 * @internal
 */
export function _warnKeptWithDeletedService(scope: IConstruct, service: IMackerelService | undefined, what: string): void {
  if (service === undefined) return;
  scope.node.addValidation({
    validate: () => {
      // A service given by name (or by a MackerelService's name) may be one a MackerelService of this stack creates, deleted all the same.
      const creator = service instanceof MackerelService ? service : _creatorInStack(scope, _knownServiceName(service) ?? service.name, false);
      if (creator && _retainsObject(scope) && !_retainsObject(creator)) {
        _warnLate(scope, 'cdk-mackerel:retainedDeletedWithService',
          `This ${what} is retained (removalPolicy), but its service ${creator.node.path} is not. Mackerel would delete the ${what} with the service, `
          + 'so when the service\'s resource is deleted the handler leaves the service in Mackerel too, and nothing deletes it afterwards. '
          + 'Give the service the same removalPolicy');
      }
      return [];
    },
  });
}
