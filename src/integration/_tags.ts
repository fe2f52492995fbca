import { Reference, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import type { AwsIntegrationTag } from './aws-integration';
import { _resolveEachToken } from '../_lazy';
import { _subText } from '../_template-references';
import { _fail, _Problem } from '../_validation';

/** Characters that make Mackerel read a key or value as more than one part. */
const NEEDS_QUOTES = /[:,"']|^\s|\s$/;

/**
 * Quotes a key or value by Mackerel's rule ("Filter by tag": a key or value containing `:` or
 * `,` is enclosed in `"` or `'`). Quote characters and edge spaces are quoted too, so that they
 * are read as text. A part containing both quote characters cannot be written (`_tagProblem`).
 *
 * A token (a CloudFormation parameter, say) is always enclosed in `"`: its value is known only at
 * deploy time, when nothing can quote it, and a `:` or `,` in it, as in a role tag's
 * `shop:web`, would otherwise split the tag. Its value must then hold no `"`.
 */
function quote(part: string): string {
  if (Token.isUnresolved(part)) return `"${part}"`;
  if (!NEEDS_QUOTES.test(part)) return part;
  return part.includes('"') ? `'${part}'` : `"${part}"`;
}

/** The problem of a literal key or value that no quote can hold. */
function quoteProblem(property: string, part: string): _Problem | undefined {
  if (Token.isUnresolved(part) || !part.includes('"') || !part.includes("'")) return undefined;
  return [property, part, 'contains both quote characters', 'a key or value with at most one of " and \'',
    'Mackerel has no escape for a quote inside a quoted tag'];
}

/**
 * Renders one tag as `key:value`, quoting the key and value when they need it. `property` names
 * the tag as the user wrote it (`includedTags[1]`, `filterTag`).
 * @internal
 */
export function _renderTag(scope: IConstruct, property: string, tag: AwsIntegrationTag): string {
  const problem = _tagProblem(property, tag);
  if (problem) _fail(scope, ...problem);
  return `${quote(tag.key)}:${quote(tag.value)}`;
}

/**
 * What `_renderTag` refuses in a tag's literal key and value: an empty key, and a part no quote
 * can hold. Tokens pass.
 * @internal
 */
export function _tagProblem(property: string, tag: AwsIntegrationTag): _Problem | undefined {
  if (!Token.isUnresolved(tag.key) && tag.key.length === 0) return [`${property}.key`, tag.key, 'is empty', 'an AWS tag key of 1-128 characters'];
  return quoteProblem(`${property}.key`, tag.key) ?? quoteProblem(`${property}.value`, tag.value);
}

/**
 * Renders a tag filter as Mackerel's one string, `key:value,key:value`, quoting keys and values
 * that need it.
 * @internal
 */
export function _renderTags(scope: IConstruct, property: string, tags: AwsIntegrationTag[] | undefined): string | undefined {
  if (tags === undefined) return undefined;
  return tags.map((tag, i) => _renderTag(scope, `${property}[${i}]`, tag)).join(',');
}

/**
 * The problem of a key or value given as a token (a Lazy) whose text, read once final, holds a
 * `"`: `quote` encloses a token in `"` whatever it ends with, and Mackerel would read that `"` as
 * the end of the quote. A literal of the same text is enclosed in `'` instead. What a reference or
 * an import makes is known only at deploy time and is not read; the literal text of an `Fn::Sub`
 * or `Fn::Join` is (`literalText`).
 * @internal
 */
export function _tokenQuoteProblem(scope: IConstruct, property: string, part: string): _Problem | undefined {
  if (!Token.isUnresolved(part)) return undefined;
  const text = _resolveEachToken(scope, part, (token, resolve) => {
    if (Reference.isReference(token)) return '';
    // An intrinsic (Fn.sub, or a Lazy.any resolving to one) counts as the literal text it writes into the value.
    const value = resolve();
    return typeof value === 'string' ? value : literalText(value);
  });
  if (typeof text !== 'string' || !text.includes('"')) return undefined;
  return [property, Stack.of(scope).resolve(part), 'holds " while given as a token, which is always enclosed in " (its value may be known '
    + 'only at deploy time, when nothing can quote it), so Mackerel would read that " as the end of the quote', 'a key or value given as a token with no "',
  'Give it as a literal, which is enclosed in \' when it holds "'];
}

/**
 * The literal text an intrinsic writes into the value it makes, known at synth: the pieces of an
 * `Fn::Join` and its delimiter, an `Fn::Sub`'s text without its variables and the values it gives
 * them. What a reference or another function makes is known only at deploy time: no text.
 */
function literalText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return '';
  const entries = Object.entries(value);
  if (entries.length !== 1) return '';
  const [[fn, args]] = entries;
  if (fn === 'Fn::Join' && Array.isArray(args) && Array.isArray(args[1])) {
    return (args[1] as unknown[]).map(literalText).join(typeof args[0] === 'string' ? args[0] : '');
  }
  if (fn === 'Fn::Sub') return _subText(args, literalText, () => '') ?? '';
  return '';
}

/** What ECS and Elastic Load Balancing take in a tag key or value (their CloudFormation Tag pattern). */
const AWS_TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const AWS_TAG_RULE = 'letters, digits, spaces and _ . : / = + - @';

/**
 * Checks a filter tag that the resource it is given with (an ECS cluster or a load balancer) must
 * carry: ECS and Elastic Load Balancing refuse at deploy time what their tags cannot hold, such as
 * the quotes or commas Mackerel's filter could otherwise quote, and the reserved `aws:` prefix.
 * `target` is the resource's path.
 * @internal
 */
export function _checkResourceTag(scope: IConstruct, property: string, tag: AwsIntegrationTag, target: string): void {
  const problem = _resourceTagProblem(property, tag, target);
  if (problem) _fail(scope, ...problem);
}

/** What `_checkResourceTag` refuses, as a problem. @internal */
export function _resourceTagProblem(property: string, tag: AwsIntegrationTag, target: string): _Problem | undefined {
  const why = `ECS clusters and load balancers cannot carry such a tag (the deploy fails), and this one is for ${target}`;
  const parts: Array<[string, string, number, number]> = [['key', tag.key, 1, 128], ['value', tag.value, 0, 256]];
  for (const [name, part, min, max] of parts) {
    if (Token.isUnresolved(part)) continue;
    const length = [...part].length;
    if (!AWS_TAG_TEXT.test(part) || length < min || length > max || /^aws:/i.test(part)) {
      return [`${property}.${name}`, part, 'is not an AWS tag ' + name, `${min}-${max} characters: ${AWS_TAG_RULE}, not starting with aws:`, why];
    }
  }
  return undefined;
}
