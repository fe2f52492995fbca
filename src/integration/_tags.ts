import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import type { AwsIntegrationTag } from './aws-integration';
import { _fail } from '../_validation';

/** Characters that make Mackerel read a key or value as more than one part. */
const NEEDS_QUOTES = /[:,"']|^\s|\s$/;

/**
 * Quotes a key or value by Mackerel's rule ("Filter by tag": a key or value containing `:` or
 * `,` is enclosed in `"` or `'`). Quote characters and edge spaces are quoted too, so that they
 * are read as text. A part containing both quote characters cannot be written.
 *
 * A token (a CloudFormation parameter, say) is always enclosed in `"`: its value is known only at
 * deploy time, when nothing can quote it, and a `:` or `,` in it, as in a role tag's
 * `shop:web`, would otherwise split the tag. Its value must then hold no `"`.
 */
function quote(scope: IConstruct, property: string, part: string): string {
  if (Token.isUnresolved(part)) return `"${part}"`;
  if (!NEEDS_QUOTES.test(part)) return part;
  if (!part.includes('"')) return `"${part}"`;
  if (!part.includes("'")) return `'${part}'`;
  return _fail(scope, property, part, 'contains both quote characters', 'a key or value with at most one of " and \'',
    'Mackerel has no escape for a quote inside a quoted tag');
}

/**
 * Renders one tag as `key:value`, quoting the key and value when they need it. `property` names
 * the tag as the user wrote it (`includedTags[1]`, `filterTag`).
 * @internal
 */
export function _renderTag(scope: IConstruct, property: string, tag: AwsIntegrationTag): string {
  if (!Token.isUnresolved(tag.key) && tag.key.length === 0) {
    _fail(scope, `${property}.key`, tag.key, 'is empty', 'an AWS tag key of 1-128 characters');
  }
  return `${quote(scope, `${property}.key`, tag.key)}:${quote(scope, `${property}.value`, tag.value)}`;
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
