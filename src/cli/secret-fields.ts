/**
 * The property values diff must not print: a channel's URL (a Slack or webhook URL carries its
 * token), an external monitor's header values (`ExternalHttpHeader.secretValue`) and the userinfo
 * of its URL (`https://user:password@host/`). The handler
 * masks every one of them in its logs (`addSecret` in channel.ts and monitor.ts), as it cannot
 * tell a secret from plain text once CloudFormation has resolved it; nor can the CLI, as a
 * `secretValue` and a plain `value` are written alike. Diff output often ends up in CI logs.
 */
import type { _Stack } from './assembly';
import type { _FieldChange } from './changes';
import { _sameJson } from './plan';
import type { _StateFile } from './state';
import { _isObject } from '../_json';
import { _MASKED, _maskedUserinfo } from '../_text';
import { _RESOURCE_TYPES } from '../provider/_properties';
import { hasDynamicReference } from '../provider/handler/dynamic-reference';

/** A change as diff may print it: each secret value masked, and whether masking hid that the values differ. @internal */
export interface _ShownChange extends _FieldChange {
  /** The values differ only in what is masked: the line says so, or it would read as no change. */
  readonly secretChanged: boolean;
}

/** A field change of an object of `type` with its secret values masked. @internal */
export function _maskSecrets(type: string, change: _FieldChange): _ShownChange {
  const mask = maskerOf(type, change.field);
  if (mask === undefined) return { ...change, secretChanged: false };
  const shown = { ...change, old: mask(change.old), new: mask(change.new) };
  return { ...shown, secretChanged: change.old !== undefined && change.new !== undefined && _sameJson(shown.old, shown.new) };
}

/** How the values of one field of `type` are masked; undefined when the field holds no secret. */
function maskerOf(type: string, field: string): ((value: unknown) => unknown) | undefined {
  if (type === _RESOURCE_TYPES.CHANNEL && field === 'url') return masked;
  // An external monitor's URL may carry Basic authentication (`https://user:password@host/`, which the
  // construct warns about): shown with its userinfo masked, as the construct's messages show it.
  if (type === _RESOURCE_TYPES.MONITOR && field === 'url') return (url) => (typeof url === 'string' ? _maskedUserinfo(url) : url);
  if (type === _RESOURCE_TYPES.MONITOR && field === 'headers') {
    return (headers) => (Array.isArray(headers) ? headers.map((h) => (_isObject(h) && 'value' in h ? { ...h, value: masked(h.value) } : h)) : headers);
  }
  return undefined;
}

/**
 * A secret value masked as the handler masks it; an empty one (no secret) is shown, and so is one
 * holding a dynamic reference, which names the secret rather than being it (the construct warns
 * about plain text only when the value holds none), so a reference changed is seen.
 */
function masked(value: unknown): unknown {
  return typeof value === 'string' && value !== '' && !hasDynamicReference(value) ? _MASKED : value;
}

/**
 * Every channel URL the run knows as text, to be scrubbed from every line the CLI prints, as the
 * handler registers each one it sends as a secret (`addSecret` in channel.ts): the template's
 * (given as plain text) and the state's (as last applied, resolved), the old channels of
 * replacements still to delete among them (`pendingDeletes`). Mackerel may echo one in an
 * error body, which a failed GET prints whole. One holding a dynamic reference names its secret
 * rather than being it. A URL given through a NoEcho parameter is scrubbed as that parameter.
 * @internal
 */
export function _channelUrls(stacks: readonly _Stack[], state: _StateFile): string[] {
  const fromTemplates = stacks.flatMap((stack) => Object.values(stack.template.Resources ?? {})
    .filter((r) => r.Type === _RESOURCE_TYPES.CHANNEL).map((r) => r.Properties?.url));
  const fromState = Object.values(state.stacks).flatMap((stack) => Object.values(stack.resources)
    .filter((r) => r.type === _RESOURCE_TYPES.CHANNEL).map((r) => r.properties.url));
  const pending = state.pendingDeletes.map((p) => p.url);
  return [...new Set([...fromTemplates, ...fromState, ...pending])].filter((url): url is string => typeof url === 'string' && masked(url) === _MASKED);
}
