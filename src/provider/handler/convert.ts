/**
 * CloudFormation hands custom resources every scalar as a string, at any depth. One converter,
 * driven by a field-type table per resource type, turns them back into what the Mackerel API
 * takes. The tables mirror the `_XxxProperties` interfaces of `../_properties.ts`.
 */

/** A scalar field: `string[]` is a list of strings (scopes, emails, IDs). */
export type ScalarType = 'string' | 'number' | 'boolean' | 'string[]';

/** An object field, a list of objects, or a map whose keys are free (AWS integration services). */
export type FieldType = ScalarType | ObjectSchema | { readonly listOf: ObjectSchema } | { readonly mapOf: ObjectSchema };

/** The fields of one object and their types. */
export interface ObjectSchema {
  readonly [field: string]: FieldType;
}

export type Props = { readonly [field: string]: unknown };

/** A property CloudFormation sent that does not fit its table. */
export class PropertyError extends Error {
  constructor(path: string, value: unknown, problem: string, expected: string) {
    super(`property ${path} ${JSON.stringify(value)} ${problem}; expected ${expected}`);
    this.name = 'PropertyError';
  }
}

/**
 * Converts CloudFormation's properties by `schema`. Unknown fields fail: the constructs and this
 * handler ship together, so an unknown field is a bug worth stopping on, not data to pass on.
 */
export function convert(schema: ObjectSchema, raw: unknown, path = ''): Props {
  if (!isPlainObject(raw)) throw new PropertyError(path || 'ResourceProperties', raw, 'is not an object', 'an object');
  const out: { [field: string]: unknown } = {};
  for (const [field, value] of Object.entries(raw)) {
    const where = path ? `${path}.${field}` : field;
    if (!Object.prototype.hasOwnProperty.call(schema, field)) {
      throw new PropertyError(where, value, 'is not a known field', `one of ${Object.keys(schema).join(', ')}`);
    }
    out[field] = convertField(schema[field], value, where);
  }
  return out;
}

/**
 * Converts the properties an update replaces (`OldResourceProperties`), keeping only the fields
 * that still fit `schema`. They were written by the release before this one, which may have had
 * a field this one dropped or retyped; they are only compared with the new ones, so a field that
 * no longer fits counts as changed, instead of failing every update of the resource (and the
 * update a rollback sends, which would leave the stack in UPDATE_ROLLBACK_FAILED).
 */
export function convertOld(schema: ObjectSchema, raw: unknown): Props {
  if (!isPlainObject(raw)) return {};
  const out: { [field: string]: unknown } = {};
  for (const [field, value] of Object.entries(raw)) {
    if (!Object.prototype.hasOwnProperty.call(schema, field)) continue;
    try {
      out[field] = convertField(schema[field], value, field);
    } catch (e) {
      if (!(e instanceof PropertyError)) throw e;
    }
  }
  return out;
}

function convertField(type: FieldType, value: unknown, path: string): unknown {
  if (type === 'string') return toStringValue(value, path);
  if (type === 'number') return toNumber(value, path);
  if (type === 'boolean') return toBoolean(value, path);
  if (type === 'string[]') return toList(value, path).map((v, i) => toStringValue(v, `${path}[${i}]`));
  if ('listOf' in type) return toList(value, path).map((v, i) => convert(type.listOf as ObjectSchema, v, `${path}[${i}]`));
  if ('mapOf' in type) {
    if (!isPlainObject(value)) throw new PropertyError(path, value, 'is not an object', 'an object');
    const out: { [key: string]: unknown } = {};
    for (const [key, v] of Object.entries(value)) out[key] = convert(type.mapOf as ObjectSchema, v, `${path}[${JSON.stringify(key)}]`);
    return out;
  }
  return convert(type as ObjectSchema, value, path);
}

function toStringValue(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  // CloudFormation never sends these for a string field, but a number given by a token may.
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new PropertyError(path, value, 'is not a string', 'a string');
}

function toNumber(value: unknown, path: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    if (Number.isFinite(n)) return n;
  }
  throw new PropertyError(path, value, 'is not a number', 'a number such as "80" or "1.5"');
}

function toBoolean(value: unknown, path: string): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new PropertyError(path, value, 'is not a boolean', '"true" or "false"');
}

function toList(value: unknown, path: string): unknown[] {
  if (Array.isArray(value)) return value;
  throw new PropertyError(path, value, 'is not a list', 'a list');
}

/** A JSON object: not null, not a list. */
export function isPlainObject(value: unknown): value is { [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Structural equality of converted properties (plain JSON values only). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
}

/** The names of the fields whose values differ between two converted property sets. */
export function changedFields(before: Props, after: Props): string[] {
  const fields = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...fields].filter((f) => !deepEqual(before[f], after[f])).sort();
}
