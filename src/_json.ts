import { renameSync, writeFileSync } from 'node:fs';

/** A plain JSON object (not null, not an array). @internal */
export function _isObject(value: unknown): value is { [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Writes a value as indented JSON through a temp file and a rename, so that a run killed
 * mid-write leaves the previous file whole. @internal
 */
export function _writeJsonFile(file: string, value: unknown): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, undefined, 2)}\n`);
  renameSync(tmp, file);
}
