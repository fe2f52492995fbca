import { badRequest, Json } from './_http';
import { _characterCount } from '../_text';

/** The body must be a JSON object. */
export function object(value: unknown, what = 'the request body'): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badRequest(`${what} must be a JSON object`);
  return value as Json;
}

/** Rejects fields the API does not document for this object (see the emulator's README notes). */
export function onlyFields(o: Json, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) throw badRequest(`${key} is not a field of ${what}`);
  }
}

/** Present and not `null` (the official client sends `null` for unset optional numbers). */
export function given(o: Json, field: string): boolean {
  return o[field] !== undefined && o[field] !== null;
}

export interface StringRule {
  readonly required?: boolean;
  readonly nonEmpty?: boolean;
  readonly maxLength?: number;
  readonly values?: readonly string[];
}

export function str(o: Json, field: string, rule: StringRule = {}): string | undefined {
  if (!given(o, field)) {
    if (rule.required) throw badRequest(`${field} is required`);
    return undefined;
  }
  const value = o[field];
  if (typeof value !== 'string') throw badRequest(`${field} must be a string`);
  if ((rule.required || rule.nonEmpty) && value === '') throw badRequest(`${field} must not be empty`);
  if (rule.maxLength !== undefined && _characterCount(value) > rule.maxLength) {
    throw badRequest(`${field} must be at most ${rule.maxLength} characters`);
  }
  if (rule.values && !rule.values.includes(value)) throw badRequest(`${field} must be one of ${rule.values.join(', ')}`);
  return value;
}

export interface NumberRule {
  readonly required?: boolean;
  readonly integer?: boolean;
  readonly min?: number;
  readonly max?: number;
}

export function num(o: Json, field: string, rule: NumberRule = {}): number | undefined {
  if (!given(o, field)) {
    if (rule.required) throw badRequest(`${field} is required`);
    return undefined;
  }
  const value = o[field];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw badRequest(`${field} must be a number`);
  if (rule.integer && !Number.isInteger(value)) throw badRequest(`${field} must be an integer`);
  if (rule.min !== undefined && value < rule.min) throw badRequest(`${field} must be at least ${rule.min}`);
  if (rule.max !== undefined && value > rule.max) throw badRequest(`${field} must be at most ${rule.max}`);
  return value;
}

/** `label` names the field in the error, e.g. with the path of the object that holds it. */
export function bool(o: Json, field: string, label = field): boolean | undefined {
  if (!given(o, field)) return undefined;
  if (typeof o[field] !== 'boolean') throw badRequest(`${label} must be a boolean`);
  return o[field] as boolean;
}

export function strings(o: Json, field: string, required = false, label = field): string[] | undefined {
  if (!given(o, field)) {
    if (required) throw badRequest(`${label} is required`);
    return undefined;
  }
  const value = o[field];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw badRequest(`${label} must be an array of strings`);
  return [...value] as string[];
}

export function array(o: Json, field: string): unknown[] | undefined {
  if (!given(o, field)) return undefined;
  if (!Array.isArray(o[field])) throw badRequest(`${field} must be an array`);
  return [...(o[field] as unknown[])];
}

/** Copies the fields that are given (not absent, not null). */
export function pick(o: Json, fields: readonly string[]): Json {
  const out: Json = {};
  for (const field of fields) if (given(o, field)) out[field] = o[field];
  return out;
}
