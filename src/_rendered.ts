import { CfnResource, Stack } from 'aws-cdk-lib';

/** One resource's entry of a template. @internal */
export interface _RenderedResource {
  readonly Properties?: { readonly [key: string]: unknown };
  readonly DependsOn?: unknown;
  readonly [key: string]: unknown;
}

/**
 * A resource as the template gets it, resolved in its stack: escape hatches (`addOverride`,
 * `addPropertyOverride`) merged, which its L1 properties do not show. Resolving freezes what a
 * PolicyDocument holds, so this is read where nothing changes any more (at validation).
 * @internal
 */
export function _rendered(resource: CfnResource): _RenderedResource {
  const template = Stack.of(resource).resolve(resource._toCloudFormation()) as { Resources?: { [id: string]: _RenderedResource } };
  return Object.values(template?.Resources ?? {})[0] ?? {};
}
