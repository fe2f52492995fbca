import { CfnElement, CfnParameter, CfnResource, Reference, Stack, Tokenization } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { _notFinalYet, _readingFinal, _resolveEachToken } from './_lazy';
import { _subVariables } from './_template-references';

/**
 * The targets of every reference (`Ref`, `Fn::GetAtt`) that resolving `value` in `scope` goes
 * through, tokens inside strings included. Comparing resolved values cannot tell them apart: a
 * reference to another stack resolves to a plain `{ Ref }` of a logical ID this stack may also
 * use, and an export or an ARN taken apart hides the resource behind it. While the app is being
 * built, a Lazy is not looked into (`_notFinalYet`): its references are known only later. A
 * variable of an `Fn::Sub` that names a resource of the stack by its logical ID refers to it as
 * CloudFormation reads it (`_subVariableReference`), read once final.
 * @internal
 */
export function _referenceTargets(scope: IConstruct, value: unknown): IConstruct[] {
  const targets: IConstruct[] = [];
  const resolved = _resolveEachToken(scope, value, (token, resolve) => {
    // Left unresolved: resolving a Lazy while the app is built would keep the value of that moment.
    if (_notFinalYet(token)) return '';
    if (Reference.isReference(token)) targets.push(token.target);
    return resolve();
  });
  const variableReference = _subVariableReference(scope);
  forEachSub(resolved, (variable) => {
    const reference = variableReference(variable);
    if (reference) targets.push(reference.target);
  });
  return targets;
}

/** Calls `visit` with each variable of no given value of each `Fn::Sub` in a resolved value, nested ones included. */
function forEachSub(value: unknown, visit: (variable: string) => void): void {
  if (Array.isArray(value)) {
    value.forEach((v) => forEachSub(v, visit));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'Fn::Sub') _subVariables(v).forEach(visit);
      forEachSub(v, visit);
    }
  }
}

/**
 * Looks up the reference a variable of an `Fn::Sub` written in `scope`'s stack makes when it names a
 * resource of that stack by its logical ID, as CloudFormation reads it (which orders the resource
 * after that one): `${Shop}` is its `Ref`, `${Shop.Arn}` its attribute. Undefined for a pseudo
 * parameter, a parameter or a name of no resource. A logical ID is final only once the app's code
 * has run (`overrideLogicalId`): read while the app is built (outside `_readingFinalValues`), a
 * variable names nothing. The stack's logical IDs are read at the first lookup, not before, and read anew when they no longer hold.
 * @internal
 */
export function _subVariableReference(scope: IConstruct): (variable: string) => Reference | undefined {
  return (variable) => {
    if (!_readingFinal() || variable.startsWith('AWS::')) return undefined;
    const dot = variable.indexOf('.');
    const logicalId = dot < 0 ? variable : variable.slice(0, dot);
    const resource = elementWithLogicalId(Stack.of(scope), logicalId);
    if (!(resource instanceof CfnResource)) return undefined;
    if (dot >= 0) return resource.getAtt(variable.slice(dot + 1));
    const ref = Tokenization.reverseString(resource.ref).firstToken;
    return ref !== undefined && Reference.isReference(ref) ? ref : undefined;
  };
}

/**
 * The elements of each stack itself (not of its nested stacks), by the logical ID the template gives
 * them, as last read. Reading every logical ID anew at each lookup made a stack of many monitors
 * given as Fn.sub take time growing with the square of its size.
 */
const ELEMENTS = new WeakMap<Stack, Map<string, CfnElement>>();

/**
 * The element (a resource, a parameter) of `stack` itself whose logical ID is now `logicalId`. What
 * was read is checked before it is used, and read anew when it no longer holds, or names nothing:
 * a logical ID may change (`overrideLogicalId`) and an element be added or removed
 * (`node.tryRemoveChild`, perhaps for another of the same logical ID) between two reads.
 */
function elementWithLogicalId(stack: Stack, logicalId: string): CfnElement | undefined {
  const known = ELEMENTS.get(stack)?.get(logicalId);
  if (known !== undefined && _inTree(known) && stack.resolve(known.logicalId) === logicalId) return known;
  const elements = new Map<string, CfnElement>();
  for (const c of stack.node.findAll()) {
    // Only what a Ref names: an output, condition, mapping or rule may share a resource's logical ID (another section of the template).
    if ((c instanceof CfnResource || c instanceof CfnParameter) && Stack.of(c) === stack) elements.set(stack.resolve(c.logicalId) as string, c);
  }
  ELEMENTS.set(stack, elements);
  return elements.get(logicalId);
}

/**
 * Whether `construct` is still a child of its scope, and that of its own, up to the root: a construct
 * removed with `node.tryRemoveChild` keeps its scope but is no child of it.
 * @internal
 */
export function _inTree(construct: IConstruct): boolean {
  for (let node = construct; node.node.scope; node = node.node.scope) {
    if (node.node.scope.node.tryFindChild(node.node.id) !== node) return false;
  }
  return true;
}
