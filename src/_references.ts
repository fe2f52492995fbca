import { DefaultTokenResolver, IPostProcessor, IResolvable, IResolveContext, Reference, StringConcat, Tokenization } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * The targets of every reference (`Ref`, `Fn::GetAtt`) that resolving `value` in `scope` goes
 * through, tokens inside strings included. Comparing resolved values cannot tell them apart: a
 * reference to another stack resolves to a plain `{ Ref }` of a logical ID this stack may also
 * use, and an export or an ARN taken apart hides the resource behind it.
 * @internal
 */
export function _referenceTargets(scope: IConstruct, value: unknown): IConstruct[] {
  const targets: IConstruct[] = [];
  const resolver = new class extends DefaultTokenResolver {
    public resolveToken(t: IResolvable, context: IResolveContext, postProcessor: IPostProcessor): unknown {
      if (Reference.isReference(t)) targets.push(t.target);
      return super.resolveToken(t, context, postProcessor);
    }
  }(new StringConcat());
  Tokenization.resolve(value, { scope, resolver });
  return targets;
}
