import { strings } from './_check';
import { badRequest, Json } from './_http';
import { findService, scopeExists, Store } from './_state';

export type ScopeKind = 'service' | 'role' | 'monitor';

/** Checks one scope list of alert group settings and downtimes: every entry exists, none twice. */
export function scopeList(store: Store, o: Json, field: string, kind: ScopeKind): string[] {
  const list = strings(o, field) ?? [];
  for (const [at, value] of list.entries()) {
    if (list.indexOf(value) !== at) throw badRequest(`${field}: ${JSON.stringify(value)} is given twice`);
    if (!exists(store, kind, value)) throw badRequest(`${field}: ${kind} ${JSON.stringify(value)} is not found`);
  }
  return list;
}

function exists(store: Store, kind: ScopeKind, value: string): boolean {
  if (kind === 'service') return findService(store.state, value) !== undefined;
  if (kind === 'role') return value.split(':').length === 2 && scopeExists(store.state, value);
  return store.state.monitors.some((m) => m.id === value);
}
