/**
 * Whether two sets of agent options are the same: the same values, or lists with the same items.
 * A second `MackerelAgentExtension` or `MackerelInstrumentation` with the same options reaching a
 * task definition that already has its agent changes nothing, so it says nothing; one with other
 * options would be dropped unseen, so it warns.
 * @internal
 */
export function _sameOptions<T extends object>(a: T, b: T): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof T>;
  return [...keys].every((key) => {
    const [x, y] = [a[key], b[key]];
    if (x === y) return true;
    return Array.isArray(x) && Array.isArray(y) && x.length === y.length && x.every((item, i) => item === y[i]);
  });
}
