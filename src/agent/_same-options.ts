import { Duration } from 'aws-cdk-lib';
import { MackerelApiKey } from '../api-key';
import { MackerelAgentImage } from './image';

/**
 * Whether two sets of agent options are the same. A second `MackerelAgentExtension` or
 * `MackerelInstrumentation` with the same options reaching a task definition that already has its
 * agent changes nothing, so it says nothing; one with other options would be dropped unseen, so
 * it warns. Options are often built afresh for each call (by a helper), so values are compared by
 * what they say where that is known: lists item by item, API keys by the secret or parameter and
 * field, durations by their length, images by their name. Anything else is compared by identity.
 * @internal
 */
export function _sameOptions<T extends object>(a: T, b: T): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof T>;
  return [...keys].every((key) => sameValue(a[key], b[key]));
}

function sameValue(x: unknown, y: unknown): boolean {
  if (x === y) return true;
  if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((item, i) => sameValue(item, y[i]));
  if (x instanceof MackerelApiKey && y instanceof MackerelApiKey) {
    return x._resource() === y._resource() && x._location().field === y._location().field;
  }
  if (x instanceof Duration && y instanceof Duration) {
    return !x.isUnresolved() && !y.isUnresolved() && x.toMilliseconds({ integral: false }) === y.toMilliseconds({ integral: false });
  }
  if (x instanceof MackerelAgentImage && y instanceof MackerelAgentImage) return x.imageName === y.imageName;
  return false;
}
