/**
 * Field-by-field change lists: what differs between two JSON values, as the diff shows it
 * (a dashboard's widgets widget by widget).
 */
import { _sameJson } from './plan';
import { _isObject } from '../_json';

/** One field that differs; `old`/`new` undefined means absent. @internal */
export interface _FieldChange {
  readonly field: string;
  readonly old?: unknown;
  readonly new?: unknown;
}

/** Field-by-field changes between two JSON values; objects are walked, lists compared whole. @internal */
export function _fieldChanges(old: unknown, now: unknown, prefix = ''): _FieldChange[] {
  if (_isObject(old) && _isObject(now)) {
    const keys = [...new Set([...Object.keys(old), ...Object.keys(now)])].sort();
    return keys.flatMap((k) => _fieldChanges(old[k], now[k], prefix ? `${prefix}.${k}` : k));
  }
  return _sameJson(old, now) ? [] : [{ field: prefix || '(value)', old, new: now }];
}

/**
 * The changes of a dashboard's widget list, widget by widget instead of the whole list on both
 * sides: a widget of the new list is paired with an old one equal to it, else equal but for its
 * layout, else the first old one of the same type and title not yet paired (so a widget removed,
 * added or moved leaves the others paired), and
 * each pair shows its own changed fields. A pair is named `widgets[i]` by its new position, or
 * `widgets[old -> new]` when it moved; a widget removed is `widgets[old]: {...} -> (absent)`, an
 * added one `widgets[new]: (absent) -> {...}`.
 * @internal
 */
export function _widgetChanges(old: readonly unknown[], now: readonly unknown[], field = 'widgets'): _FieldChange[] {
  const key = (w: unknown) => (_isObject(w) ? JSON.stringify([w.type, w.title]) : JSON.stringify(w));
  const unmoved = (w: unknown) => (_isObject(w) ? { ...w, layout: undefined } : w);
  const unpaired = old.map((w, i) => ({ w, i }));
  // Of several old widgets of one type and title (untitled ones), the one equal to the new widget
  // comes first, then one equal but for its place: pairing with the first not yet paired, one
  // removed showed as each one after it changed into the next.
  const pairs: Array<{ w: unknown; i: number } | undefined> = now.map(() => undefined);
  for (const same of [_sameJson, (a: unknown, b: unknown) => _sameJson(unmoved(a), unmoved(b)), (a: unknown, b: unknown) => key(a) === key(b)]) {
    now.forEach((w, n) => {
      const at = pairs[n] ? -1 : unpaired.findIndex((o) => same(o.w, w));
      if (at >= 0) pairs[n] = unpaired.splice(at, 1)[0];
    });
  }
  const removedFirst: _FieldChange[] = [];
  const rest: _FieldChange[] = [];
  now.forEach((w, n) => {
    const pair = pairs[n];
    if (!pair) {
      rest.push({ field: `${field}[${n}]`, new: w });
      return;
    }
    const { w: before, i } = pair;
    rest.push(..._fieldChanges(before, w, `${field}[${i === n ? n : `${i} -> ${n}`}]`));
  });
  for (const { w, i } of unpaired) removedFirst.push({ field: `${field}[${i}]`, old: w });
  return [...removedFirst, ...rest];
}

/** Field changes, with a dashboard's widgets widget by widget (`_widgetChanges`). @internal */
export function _readableChanges(type: string, old: { readonly [key: string]: unknown }, now: { readonly [key: string]: unknown }): _FieldChange[] {
  const changes = _fieldChanges(old, now);
  if (type !== 'Custom::MackerelDashboard' || !Array.isArray(old.widgets) || !Array.isArray(now.widgets)) return changes;
  // Widgets that only changed places, each the same, pair with no field changed: the list whole then says what the update sends.
  return changes.flatMap((c) => {
    if (c.field !== 'widgets') return [c];
    const widgets = _widgetChanges(old.widgets as unknown[], now.widgets as unknown[]);
    return widgets.length > 0 ? widgets : [c];
  });
}
