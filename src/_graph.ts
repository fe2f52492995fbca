/**
 * Whether `to` is reached from `from` by one or more steps along `edges`, depth first in the
 * order `edges` gives, each node's edges read once. The synth-time checks (stacks and resources
 * that depend on others) and the CLI (resources and stacks that apply after others) ask this of
 * their own graphs.
 * @internal
 */
export function _reaches<T>(from: T, to: T, edges: (node: T) => Iterable<T>, seen = new Set<T>()): boolean {
  if (seen.has(from)) return false;
  seen.add(from);
  for (const next of edges(from)) {
    if (next === to || _reaches(next, to, edges, seen)) return true;
  }
  return false;
}
