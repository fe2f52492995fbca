/**
 * Dependency order between the Mackerel resources of a stack: Ref, Fn::GetAtt, Fn::Sub
 * references and DependsOn, like CloudFormation's own graph (restricted to Mackerel resources).
 */
import { _TemplateResource, _isMackerelType } from './assembly';
import { _CliError } from './errors';
import { _references } from '../_template-references';

/** The resources of the template one resource refers to or names in DependsOn, itself left out. @internal */
export function _directDependencies(resources: { readonly [id: string]: _TemplateResource }, id: string): Set<string> {
  const r = resources[id];
  const deps = _references(r.Properties ?? {});
  const dependsOn = r.DependsOn === undefined ? [] : Array.isArray(r.DependsOn) ? r.DependsOn : [r.DependsOn];
  dependsOn.forEach((d) => deps.add(d));
  deps.delete(id);
  return new Set([...deps].filter((d) => resources[d] !== undefined));
}

/** For each Mackerel resource, the Mackerel resources it depends on (directly or through other resources). @internal */
export function _dependencies(resources: { readonly [id: string]: _TemplateResource }): Map<string, Set<string>> {
  const direct = (id: string): Set<string> => _directDependencies(resources, id);
  const result = new Map<string, Set<string>>();
  for (const id of Object.keys(resources).filter((i) => _isMackerelType(resources[i].Type))) {
    // Walk through non-Mackerel resources so that A -> IAM role -> B still orders B before A.
    const found = new Set<string>();
    const seen = new Set<string>([id]);
    const queue = [...direct(id)];
    while (queue.length > 0) {
      const next = queue.shift()!;
      if (seen.has(next)) continue;
      seen.add(next);
      if (_isMackerelType(resources[next].Type)) found.add(next);
      else queue.push(...direct(next));
    }
    result.set(id, found);
  }
  return result;
}

/** Topological order (dependencies first, ties by logical ID); a cycle is an error naming it. @internal */
export function _topologicalOrder(deps: Map<string, Set<string>>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(id)), id];
      throw new _CliError(`the Mackerel resources depend on each other in a cycle: ${cycle.join(' -> ')}`);
    }
    state.set(id, 'visiting');
    for (const d of [...(deps.get(id) ?? [])].sort()) if (deps.has(d)) visit(d, [...path, id]);
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of [...deps.keys()].sort()) visit(id, []);
  return order;
}
