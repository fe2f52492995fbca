import { IFragmentConcatenator, IResolvable, Intrinsic, Reference, Stack, Tokenization } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** A token as a message shows it. */
interface Shown {
  readonly shown: string;
}

/** Collects a string's fragments in order: its literals, and its tokens as `Shown`. */
class Parts implements IFragmentConcatenator {
  public join(left: unknown, right: unknown): unknown {
    const parts = (x: unknown) => (Array.isArray(x) ? x : [x]);
    return [...parts(left), ...parts(right)];
  }
}

/**
 * A token as a user can read it. A reference to a resource, a parameter or an attribute (`Ref`,
 * `Fn::GetAtt`) is written as the CloudFormation it resolves to (`{"Ref":"Role"}`): resolving one
 * caches nothing, its logical ID being an uncached value. Any other token is not resolved, as a
 * `Lazy` caches the first value it gives, which must be the template's: a CloudFormation function
 * (an import, `Fn.split`) is known at deploy time, and any other (a `Lazy`) is told as such.
 */
function showToken(scope: IConstruct | undefined, token: IResolvable): string {
  // With no construct at hand (a constructor's check), the reference is resolved in the stack of what it refers to.
  if (token instanceof Reference) return JSON.stringify(Stack.of(scope ?? token.target).resolve(token));
  return token instanceof Intrinsic ? '(known at deploy time)' : '(a value resolved later, such as a Lazy)';
}

/**
 * A string of the app as a message shows it: JSON-quoted when it holds no token, a token alone as
 * `showToken` writes it, and one built around tokens as its parts joined with ` + `
 * (`{"Ref":"Service"} + ":web"`), never the `${Token[...]}` text CDK holds it as.
 * @internal
 */
export function _shownString(scope: IConstruct | undefined, value: string): string {
  const fragments = Tokenization.reverseString(value);
  if (fragments.tokens.length === 0) return JSON.stringify(value);
  const joined = fragments.mapTokens({ mapToken: (token: IResolvable): Shown => ({ shown: showToken(scope, token) }) }).join(new Parts());
  return (Array.isArray(joined) ? joined : [joined])
    .map((part: unknown) => (typeof part === 'string' ? JSON.stringify(part) : (part as Shown).shown))
    .join(' + ');
}

/**
 * A list of strings of the app as a message shows it (`["shop:web", {"Ref":"Role"}]`): each as
 * `_shownString` writes it, or the whole as a token when the list is one (`Fn.split`, a
 * `CommaDelimitedList` parameter).
 * @internal
 */
export function _shownList(scope: IConstruct | undefined, list: readonly string[]): string {
  const token = Tokenization.reverseList([...list]);
  if (token) return showToken(scope, token);
  return `[${list.map((item) => _shownString(scope, item)).join(', ')}]`;
}
