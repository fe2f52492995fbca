import { CfnDeletionPolicy, CfnResource, CustomResource, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { _RESOURCE_TYPES } from './_properties';
import { MackerelProvider } from './provider';
import { _fail } from '../_validation';

/**
 * Creates the one custom resource behind a Mackerel construct, served by the stack's
 * `MackerelProvider`. The provider is looked up late, so a stack may declare its provider after
 * its monitors; a stack without one fails synthesis with a message that says how to fix it.
 *
 * @param scope the Mackerel construct (the resource is created as its child `Resource`)
 * @param resourceType one of `_RESOURCE_TYPES`
 * @param properties the API body, in the shape of the matching `_XxxProperties` interface
 * @param removalPolicy the construct's `removalPolicy` prop
 * @internal
 */
export function _createMackerelResource(scope: Construct, resourceType: string, properties: { [key: string]: unknown },
  removalPolicy?: RemovalPolicy): CustomResource {
  _checkRemovalPolicy(scope, removalPolicy);
  const resource = new CustomResource(scope, 'Resource', {
    resourceType,
    serviceToken: Lazy.string({ produce: () => MackerelProvider._tryFind(scope)?.serviceToken ?? 'MISSING-MACKEREL-PROVIDER' }),
    properties: _withoutUndefined(properties),
    removalPolicy,
  });
  // The handler may be invoked only once it may read the API key, and the resources it reaches.
  MackerelProvider._withProvider(scope, (provider) => resource.node.addDependency(provider._grantPolicies));
  if (resourceType === _RESOURCE_TYPES.SERVICE || resourceType === _RESOURCE_TYPES.ROLE) {
    MackerelProvider._withProvider(scope, (provider) => provider._allowStackReads());
  }
  if (resourceType === _RESOURCE_TYPES.SERVICE_METADATA || resourceType === _RESOURCE_TYPES.ROLE_METADATA) {
    MackerelProvider._withProvider(scope, (provider) => provider._allowStackResourceList());
  }
  _requireProvider(scope, resourceType, '; expected one per stack');
  return resource;
}

/**
 * Fails synthesis when the stack of `scope` has no `MackerelProvider`, which may be declared after
 * `scope`: `what` needs one, `why` says what for (appended to the message).
 * @internal
 */
export function _requireProvider(scope: IConstruct, what: string, why: string): void {
  scope.node.addValidation({
    validate: () => MackerelProvider._tryFind(scope)
      ? []
      : [`${what} needs a MackerelProvider in stack ${JSON.stringify(Stack.of(scope).node.path)}${why}. Add new MackerelProvider(stack, 'Mackerel', { apiKey }) to that stack`],
  });
}

/**
 * Refuses `RemovalPolicy.SNAPSHOT`, which no Mackerel object has; called by each construct that
 * takes a `removalPolicy`, so the error names the construct the user made.
 * @internal
 */
export function _checkRemovalPolicy(scope: IConstruct, removalPolicy: RemovalPolicy | undefined): void {
  if (removalPolicy === RemovalPolicy.SNAPSHOT) {
    _fail(scope, 'removalPolicy', removalPolicy, 'is not supported: a Mackerel object has no snapshot',
      'RemovalPolicy.DESTROY, RETAIN or RETAIN_ON_UPDATE_OR_DELETE');
  }
}

/** Drops undefined members at any depth: the contract says optional fields are omitted. @internal */
export function _withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) {
    return value.map((v) => _withoutUndefined(v)) as unknown as T;
  }
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: { [key: string]: unknown } = {};
    for (const [k, v] of Object.entries(value as { [key: string]: unknown })) {
      if (v !== undefined) out[k] = _withoutUndefined(v);
    }
    return out as T;
  }
  return value;
}

/**
 * Whether CloudFormation leaves the Mackerel object of a construct when its resource is deleted
 * (the construct's `removalPolicy`, or an escape hatch on its resource); false for a construct
 * that creates nothing.
 * @internal
 */
export function _retainsObject(construct: IConstruct): boolean {
  const resource = construct.node.tryFindChild('Resource');
  const cfn = resource instanceof CustomResource ? resource.node.defaultChild : undefined;
  const policy = cfn instanceof CfnResource ? cfn.cfnOptions.deletionPolicy : undefined;
  return policy === CfnDeletionPolicy.RETAIN || policy === CfnDeletionPolicy.RETAIN_EXCEPT_ON_CREATE;
}
