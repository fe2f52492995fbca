/**
 * The local state file: per stack and logical ID, the resource type, physical ID, the
 * properties last applied (as the handler received them, strings) and the Data it returned.
 * Saved after every successful operation, so a failed apply leaves what a second apply needs.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { _CliError } from './errors';

/** One applied resource. @internal */
export interface _StateResource {
  readonly type: string;
  readonly physicalId: string;
  readonly properties: { readonly [key: string]: unknown };
  readonly data: { readonly [attribute: string]: string };
  /** Logical IDs this resource depended on when applied (for reverse-order deletes). */
  readonly dependsOn?: string[];
}

/** The whole file. @internal */
export interface _StateFile {
  readonly version: 1;
  /** Where it was applied (never the key). */
  apiBase?: string;
  readonly stacks: { [stackName: string]: { stackId: string; resources: { [logicalId: string]: _StateResource } } };
  /** Old physical IDs of replaced resources still to delete (cleanup phase interrupted). */
  readonly pendingDeletes: { stackName: string; logicalId: string; type: string; physicalId: string }[];
}

/** An empty state. @internal */
export function _emptyState(): _StateFile {
  return { version: 1, stacks: {}, pendingDeletes: [] };
}

/** Reads the state file, or an empty state when there is none. @internal */
export function _readState(file: string): _StateFile {
  if (!existsSync(file)) return _emptyState();
  let parsed: _StateFile;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new _CliError(`state file ${file} is not readable JSON (${(e as Error).message}); fix or remove it`);
  }
  if (parsed?.version !== 1 || typeof parsed.stacks !== 'object') throw new _CliError(`state file ${file} is not a cdk-mackerel state (version 1)`);
  return { ...parsed, pendingDeletes: parsed.pendingDeletes ?? [] };
}

/** Where state is kept: a file, or nowhere (a throwaway emulator). @internal */
export interface _StateStore {
  readonly state: _StateFile;
  save(): void;
}

/** A store backed by a file, written atomically (temp file + rename). @internal */
export function _fileStore(file: string): _StateStore {
  const state = _readState(file);
  return {
    state,
    save: () => {
      const tmp = `${file}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(state, undefined, 2)}\n`);
      renameSync(tmp, file);
    },
  };
}

/** A store that keeps state in memory only. @internal */
export function _memoryStore(state: _StateFile = _emptyState()): _StateStore {
  return { state, save: () => undefined };
}
