import { Aspects, CfnResource, Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { _readingFinalValues, _readingWithoutKeeping } from '../_lazy';
import { _referenceTargets } from '../_references';
import { _knownRoleFullNameOf, _knownServiceNameOf, _ROLES_BY_FULL_NAME, _SERVICES_BY_NAME } from './_known-name';
import { _keyedInApp } from './_unique';
import { IMackerelRole, MackerelRole } from './role';
import { IMackerelService, MackerelService } from './service';

/**
 * Orders `consumer` after the `MackerelService` (or, when `isRole`, the `MackerelRole`) of its own
 * stack that a literal name refers to. A service or role passed as a construct is referred to by
 * its `Ref`, which orders creation; a literal name (`MackerelService.fromName`, `MonitorScope.of`)
 * does not, so CloudFormation could create the consumer first, and Mackerel refuses what names a
 * service or role that does not exist yet. The creator may be declared after the consumer, so it
 * is looked up when aspects run, before dependencies become `DependsOn`.
 *
 * The dependency is on the creator's own resource, not on the construct with its children.
 * @internal
 */
export function _dependOnNamed(consumer: IConstruct, name: string, isRole: boolean): void {
  Aspects.of(consumer).add({
    // Read once the app's code has run: a Lazy name read as the consumer is made would keep the value of that moment.
    visit: (node) => {
      if (node === consumer) _readingFinalValues(() => _dependOnNamedNow(consumer, name, isRole));
    },
  });
  // An Aspect of the app visiting the creator after this one may still give its Lazy name the value the template writes
  // (the name is read there without keeping it, `_readingWithoutKeeping`): the creator found with the final names is
  // waited for all the same, on the resources themselves, as synthesis has turned dependencies into `DependsOn` by then.
  consumer.node.addValidation({
    validate: () => {
      const resource = _readingFinalValues(() => namedCreatorResource(consumer, name, isRole));
      if (resource !== undefined && !consumer.node.dependencies.includes(resource)) {
        const sources = consumer.node.findAll().filter(CfnResource.isCfnResource);
        for (const target of resource.node.findAll().filter(CfnResource.isCfnResource)) sources.forEach((source) => source.addDependency(target));
      }
      return [];
    },
  });
}

/**
 * `_dependOnNamed` read now, for a name found only once the app's code has run (in an expression
 * given as a Lazy): an Aspect added from an Aspect is not run without @aws-cdk/core:aspectStabilization.
 * Only in an Aspect, before dependencies become `DependsOn`.
 * @internal
 */
export function _dependOnNamedNow(consumer: IConstruct, name: string, isRole: boolean): void {
  const resource = namedCreatorResource(consumer, name, isRole);
  if (resource !== undefined) consumer.node.addDependency(resource);
}

/** The resource of the creator `_dependOnNamedNow` orders `consumer` after, if any. */
function namedCreatorResource(consumer: IConstruct, name: string, isRole: boolean): IConstruct | undefined {
  // A name built of a service's name (`${shop.name}:web`) refers to the service alone, not to the
  // role it names: known, it waits for the role too. The construct's own reference is ordered already.
  const known = Token.isUnresolved(name) ? (isRole ? _knownRoleFullNameOf(name) : _knownServiceNameOf(name)) : name;
  // A name known only at deploy time (of a service named by a parameter) is still the creator's
  // when it is written the same way: `${shop.name}:web` for a role `web` of that service.
  const creator = known === undefined ? creatorWrittenAlike(consumer, name, isRole) : _creatorInStack(consumer, known, isRole);
  if (!creator) return undefined;
  // On its own resource only: the construct's children (a service's roles, or whatever the
  // user put under it) may depend on the consumer, which would make a cycle.
  const resource = creator.node.defaultChild ?? creator;
  if (Token.isUnresolved(name) && _referenceTargets(consumer, name).some((t) => t.node.scopes.includes(resource))) return undefined;
  return resource;
}

/**
 * The `MackerelService` or `MackerelRole` of the consumer's stack that creates what the name names.
 * @internal
 */
export function _creatorInStack(consumer: IConstruct, name: string, isRole: boolean): IConstruct | undefined {
  const stack = Stack.of(consumer);
  // The app's index of names (`_unique`), not a walk of the stack for each consumer, which made synth quadratic.
  return _keyedInApp(consumer, isRole ? _ROLES_BY_FULL_NAME : _SERVICES_BY_NAME, name).find((c) => c !== consumer && Stack.of(c) === stack);
}

/**
 * The `MackerelService` or `MackerelRole` of the consumer's stack whose name, unknown at synth, the
 * template writes as it writes `name`: the same intrinsic of the same references deploys as the same
 * name, when they refer to the same constructs. A role's name is written as its service's name, `:`
 * and its own name, as a full name built of the service's name is.
 */
function creatorWrittenAlike(consumer: IConstruct, name: string, isRole: boolean): IConstruct | undefined {
  const stack = Stack.of(consumer);
  // Written as the template writes it, and what its references refer to: a reference to another
  // stack resolves here to a plain Ref of its logical ID, which a resource of this stack made alike
  // (the same construct path in a stack of the same class) also has.
  const text = (value: string): string | undefined => {
    try {
      return JSON.stringify(stack.resolve(value));
    } catch {
      // A token that cannot be resolved here names nothing this can match.
      return undefined;
    }
  };
  // Read without keeping (`_readingWithoutKeeping`): another construct's Lazy name resolved here, in an Aspect, would be
  // written as it is now, though an Aspect of the app that runs later may still give it its value.
  const targetsOf = (value: string): IConstruct[] | undefined => {
    try {
      return _readingWithoutKeeping(() => _referenceTargets(stack, value));
    } catch {
      return undefined;
    }
  };
  const wantedText = text(name);
  const wantedTargets = targetsOf(name);
  if (wantedText === undefined || wantedTargets === undefined) return undefined;
  const alike = (value: string) => {
    // By its references first: a name of other references is not resolved (and so not kept) at all.
    const targets = targetsOf(value);
    return targets !== undefined && targets.length === wantedTargets.length && targets.every((target, i) => target === wantedTargets[i])
      && text(value) === wantedText;
  };
  return stack.node.findAll().find((c) => c !== consumer && Stack.of(c) === stack && (isRole
    ? c instanceof MackerelRole && alike(`${c.service.name}:${c.name}`)
    : c instanceof MackerelService && alike(c._givenName)));
}

/**
 * Orders `consumer` after the service and roles it names by name (a graph annotation's, which
 * Mackerel refuses for a service or role that does not exist yet): a `MackerelRole` by its own
 * resource, a service or role given by name through `_dependOnNamed`. A `MackerelService` passed
 * as a construct is named by its `Ref`, which orders creation already.
 * @internal
 */
export function _dependOnServiceAndRoles(consumer: IConstruct, service: IMackerelService, roles: IMackerelRole[]): void {
  _dependOnNamed(consumer, service.name, false);
  for (const role of roles) {
    if (role instanceof MackerelRole) consumer.node.addDependency(role.node.defaultChild ?? role);
    else _dependOnNamed(consumer, role.fullName, true);
  }
}
