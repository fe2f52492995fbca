import { Reference } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { _notFinalYet, _resolveEachToken } from './_lazy';

/**
 * The targets of every reference (`Ref`, `Fn::GetAtt`) that resolving `value` in `scope` goes
 * through, tokens inside strings included. Comparing resolved values cannot tell them apart: a
 * reference to another stack resolves to a plain `{ Ref }` of a logical ID this stack may also
 * use, and an export or an ARN taken apart hides the resource behind it. While the app is being
 * built, a Lazy is not looked into (`_notFinalYet`): its references are known only later.
 * @internal
 */
export function _referenceTargets(scope: IConstruct, value: unknown): IConstruct[] {
  const targets: IConstruct[] = [];
  _resolveEachToken(scope, value, (token, resolve) => {
    // Left unresolved: resolving a Lazy while the app is built would keep the value of that moment.
    if (_notFinalYet(token)) return '';
    if (Reference.isReference(token)) targets.push(token.target);
    return resolve();
  });
  return targets;
}
