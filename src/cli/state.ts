/**
 * The local state file: per stack and logical ID, the resource type, physical ID, the
 * properties last applied (as the handler received them, strings) and the Data it returned.
 * Saved after every successful operation, so a failed apply leaves what a second apply needs.
 */
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { _CliError, _StateSaveError } from './errors';
import { _RetainPolicy, _SUPPORTED_POLICIES } from './policy';
import { _absent, _isObject, _nameWithSuffix, _newerVersion, _readJsonFile, _writeJsonFile, _writeTarget } from '../_json';
import { _RESOURCE_TYPES, _serviceOfScopes } from '../provider/_properties';
import type { StackView } from '../provider/handler/stack';

/** One applied resource. @internal */
export interface _StateResource {
  readonly type: string;
  readonly physicalId: string;
  readonly properties: { readonly [key: string]: unknown };
  readonly data: { readonly [attribute: string]: string };
  /** Logical IDs this resource depended on when applied (for reverse-order deletes). */
  readonly dependsOn?: string[];
  /**
   * Fields of `properties` the handler left as Mackerel had them (Data `MemoIgnored`: a memo has
   * no update API). Mackerel's value is then unknown to the state, so diff compares the live
   * value with the template's instead of reporting it as drift.
   */
  readonly unapplied?: string[];
  /**
   * The DeletionPolicy it was last applied with, when it keeps the object: the template it is
   * removed from no longer says, and CloudFormation acts on the one it deployed last. Absent for
   * Delete, and in files written before it was recorded.
   */
  readonly deletionPolicy?: _RetainPolicy;
}

/** One applied stack. @internal */
export interface _StateStack {
  stackId: string;
  resources: { [logicalId: string]: _StateResource };
  /**
   * Export name to exporting stack, for each Fn::ImportValue of the stack when it was last applied:
   * the exports it holds in use, even once its template no longer imports them. Absent in state
   * files written before it was recorded, and when the stack imports nothing.
   */
  imports?: { [exportName: string]: string };
}

/**
 * The fields of a resource an apply left as Mackerel had them. A state written before they were
 * recorded says so only in the handler's Data: `MemoIgnored` of the last operation.
 * @internal
 */
export function _unappliedFields(resource: _StateResource): readonly string[] {
  return resource.unapplied ?? (resource.data.MemoIgnored === 'true' ? ['memo'] : []);
}

/** The whole file. @internal */
export interface _StateFile {
  readonly version: 1;
  /** Where it was applied (never the key). */
  apiBase?: string;
  /**
   * The organization it was applied to, as `GET /api/v0/org` names it for the key: a key of another
   * one at the same API base is refused. Absent in files written before it was recorded.
   */
  organization?: string;
  readonly stacks: { [stackName: string]: _StateStack };
  /**
   * Old physical IDs of replaced resources still to delete (cleanup phase interrupted), with the
   * logical IDs the resource depended on before its replacement (absent in files written before
   * it was recorded): the cleanup deletes the old object before them. With `updateReplacePolicy`,
   * the UpdateReplacePolicy of the template that replaced it, written only when it keeps the object
   * (so absent in older files: delete), the cleanup drops the entry and leaves the object. With
   * `url`, the URL of an old channel as last applied: the state's resource now holds the new
   * object's properties, and the URL is still a secret to scrub from what a later run prints
   * (Mackerel may quote it in the error of the delete). Absent for other types, and in files
   * written before it was recorded. With `roles`, the roles an old anomaly detection monitor
   * watches until the cleanup deletes it, for apply to say why a create that meets one of them is
   * refused; absent for other monitors and types, and in files written before it was recorded.
   * With `namedElsewhere`, the roles (full names) and services of other stacks of the state that
   * the old object named by a literal name when it was replaced: the state no longer holds its
   * properties, and a later run's cleanup must still delete it before those stacks delete them
   * (absent when it named none, and in files written before it was recorded, where `_readState`
   * derives it from an old anomaly detection monitor's `roles`).
   */
  readonly pendingDeletes: {
    stackName: string;
    logicalId: string;
    type: string;
    physicalId: string;
    dependsOn?: string[];
    updateReplacePolicy?: _RetainPolicy;
    url?: string;
    roles?: string[];
    namedElsewhere?: string[];
  }[];
}

/**
 * The resource of the state that holds an object (the same type and physical ID), as
 * `stack/logicalId`, if any. A replacement's old object comes back into use when a later template
 * names it again (a rename reverted after a failed apply): deleting it then would delete the
 * object of a resource the template still has.
 * @internal
 */
export function _holderOf(state: _StateFile, type: string, physicalId: string): string | undefined {
  for (const [stackName, stack] of Object.entries(state.stacks)) {
    const [found] = _holding(stack.resources, type, physicalId);
    if (found !== undefined) return `${stackName}/${found}`;
  }
  return undefined;
}

/** The logical IDs of one stack's resources that hold an object: the same type and physical ID. @internal */
export function _holding(resources: { readonly [logicalId: string]: _StateResource }, type: string, physicalId: string): string[] {
  return Object.keys(resources).filter((id) => resources[id].type === type && resources[id].physicalId === physicalId);
}

/**
 * The state records something of the organization it was applied to: a stack, or an old object
 * still to delete (what an `apply --destroy` stopped half-way, or deletes that failed, leave alone).
 * Such a state is of that API base and organization only: sent elsewhere, a delete gets a 404, is
 * taken for done and dropped, and the object stays in the organization the state was of, orphaned.
 * @internal
 */
export function _holdsObjects(state: _StateFile): boolean {
  return Object.keys(state.stacks).length > 0 || state.pendingDeletes.length > 0;
}

/** An empty state. @internal */
export function _emptyState(): _StateFile {
  return { version: 1, stacks: {}, pendingDeletes: [] };
}

/** Reads the state file, or an empty state when there is none. @internal */
export function _readState(file: string): _StateFile {
  if (_absent(file, `state file ${file}`)) return _emptyState();
  const parsed = _readJsonFile(file, `state file ${file}`, '; fix or remove it') as _StateFile;
  // What it records is whole for the version that wrote it: a newer cdk-mackerel reads it.
  const newer = _newerVersion(parsed, `state file ${file}`, 'use that version with it (removing it forgets what was applied)');
  if (newer) throw new _CliError(newer);
  if (parsed?.version !== 1 || !_isObject(parsed.stacks)) throw new _CliError(`state file ${file} is not a cdk-mackerel state (version 1)`);
  const problem = stateProblem(parsed);
  if (problem) throw new _CliError(`state file ${file} is damaged: ${problem}; fix or remove it (removing it forgets what was applied)`);
  return { ...parsed, pendingDeletes: (parsed.pendingDeletes ?? []).map((p) => withNamedElsewhere(parsed, p)) };
}

/**
 * A pending delete with `namedElsewhere`, derived, in a file written before it was recorded, from
 * what it kept of the old object's properties: an old anomaly detection monitor's `roles`, those
 * another stack of the state holds (or has an old one of still to delete), and the service they
 * all lie in when another stack holds it. Of other old objects the state kept no properties, and
 * their cleanup cannot be ordered across stacks.
 */
function withNamedElsewhere(state: _StateFile, pending: _StateFile['pendingDeletes'][number]): _StateFile['pendingDeletes'][number] {
  if (pending.namedElsewhere !== undefined || pending.roles === undefined) return pending;
  // As apply records it (`_namesRoleOrService`): the roles its scopes name, and the service they all lie in, which the
  // handler leaves while a monitor is tied to it.
  const service = _serviceOfScopes(pending.roles);
  const named = [
    ...Object.entries(state.stacks).filter(([name]) => name !== pending.stackName).flatMap(([, s]) => Object.values(s.resources)),
    ...(state.pendingDeletes ?? []).filter((p) => p.stackName !== pending.stackName),
  ].filter((r) => (r.type === _RESOURCE_TYPES.ROLE && pending.roles!.includes(r.physicalId))
    || (r.type === _RESOURCE_TYPES.SERVICE && r.physicalId === service)).map((r) => r.physicalId);
  return named.length > 0 ? { ...pending, namedElsewhere: [...new Set(named)].sort() } : pending;
}

/**
 * The first thing in a parsed state that apply could not use, checked whole before anything is
 * sent: a damaged file found halfway would fail after changing Mackerel, and fail again the same
 * way on every run.
 */
function stateProblem(state: _StateFile): string | undefined {
  for (const [stackName, stack] of Object.entries(state.stacks as unknown as { [name: string]: unknown })) {
    if (!_isObject(stack) || typeof stack.stackId !== 'string' || !_isObject(stack.resources)) {
      return `stacks.${stackName} needs a stackId string and a resources object`;
    }
    if (stack.imports !== undefined && !(_isObject(stack.imports) && Object.values(stack.imports).every((s) => typeof s === 'string'))) {
      return `stacks.${stackName}.imports is not an object of export names to stack names`;
    }
    for (const [logicalId, resource] of Object.entries(stack.resources)) {
      const where = `stacks.${stackName}.resources.${logicalId}`;
      if (!_isObject(resource)) return `${where} is not an object`;
      if (typeof resource.type !== 'string' || typeof resource.physicalId !== 'string') return `${where} needs type and physicalId strings`;
      if (!MACKEREL_TYPES.includes(resource.type)) return `${where}.type ${JSON.stringify(resource.type)} is not a type the handler serves (${MACKEREL_TYPES.join(', ')})`;
      if (!_isObject(resource.properties) || !_isObject(resource.data)) return `${where} needs properties and data objects`;
      if (resource.dependsOn !== undefined && !(Array.isArray(resource.dependsOn) && resource.dependsOn.every((d) => typeof d === 'string'))) {
        return `${where}.dependsOn is not a list of logical IDs`;
      }
      if (resource.unapplied !== undefined && !(Array.isArray(resource.unapplied) && resource.unapplied.every((d) => typeof d === 'string'))) {
        return `${where}.unapplied is not a list of property names`;
      }
      if (!policyRecord(resource.deletionPolicy)) return `${where}.deletionPolicy is not one of ${_SUPPORTED_POLICIES.join(', ')}`;
    }
  }
  if (state.organization !== undefined && typeof state.organization !== 'string') return 'organization is not a string';
  const pending = (state as { pendingDeletes?: unknown }).pendingDeletes;
  if (pending !== undefined && !(Array.isArray(pending) && pending.every((p) => _isObject(p)
    && ['stackName', 'logicalId', 'type', 'physicalId'].every((field) => typeof p[field] === 'string')
    && MACKEREL_TYPES.includes(p.type as string)
    && (p.dependsOn === undefined || (Array.isArray(p.dependsOn) && p.dependsOn.every((d) => typeof d === 'string')))
    && policyRecord(p.updateReplacePolicy)
    && (p.url === undefined || typeof p.url === 'string')
    && (p.roles === undefined || (Array.isArray(p.roles) && p.roles.every((r) => typeof r === 'string')))
    && (p.namedElsewhere === undefined || (Array.isArray(p.namedElsewhere) && p.namedElsewhere.every((r) => typeof r === 'string')))))) {
    return `pendingDeletes is not a list of {stackName, logicalId, type (a Custom::Mackerel* type), physicalId, dependsOn?: logical IDs, updateReplacePolicy?: ${_SUPPORTED_POLICIES.join(' | ')}, url?: string, `
      + 'roles?: strings, namedElsewhere?: strings}';
  }
  return undefined;
}

// A resource of another type could never be deleted: diff would list it, and every apply would fail on it.
const MACKEREL_TYPES: readonly string[] = Object.values(_RESOURCE_TYPES);

/** A recorded policy apply can act on: absent, or a value a template may hold (Delete, written by hand, deletes). */
function policyRecord(value: unknown): boolean {
  return value === undefined || (typeof value === 'string' && _SUPPORTED_POLICIES.includes(value));
}

/** Where state is kept: a file, or memory (the apply tests). @internal */
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
      try {
        _writeJsonFile(file, state);
      } catch (e) {
        throw new _StateSaveError(file, (e as Error).message);
      }
    },
  };
}

/** A store that keeps state in memory only. @internal */
export function _memoryStore(state: _StateFile = _emptyState()): _StateStore {
  return { state, save: () => undefined };
}

/**
 * What the handler would ask CloudFormation about a stack, answered from the state as the run
 * changes it: a resource is in its stack while the state holds it (until its delete is done, or
 * its DeletionPolicy retains it), with the physical ID the state has for it, and apply never rolls back.
 * @internal
 */
export function _stateStackView(store: _StateStore): StackView {
  return {
    holds: async (stackId, logicalResourceId, physicalId) => Object.values(store.state.stacks)
      .some((stack) => stack.stackId === stackId && stack.resources[logicalResourceId]?.physicalId === physicalId),
    isRollingBack: async () => false,
    // Any stack of the state: metadata moved to another stack of the app is written by its new
    // resource before the old stack's cleanup deletes the old one (one organization, one state),
    // where CloudFormation can only answer for the stack itself.
    heldByAnother: async (stackId, logicalResourceId, type, physicalId) => Object.values(store.state.stacks)
      .some((stack) => _holding(stack.resources, type, physicalId).some((id) => stack.stackId !== stackId || id !== logicalResourceId)),
  };
}

/**
 * Refuses a state file whose directory is not there: the directory of the file it names, or,
 * through a symbolic link, of the file the link leads to, which the saves write (a link into a
 * place not mounted would fail the first save, after the first object was made). The directory is
 * not made: a mistyped path would leave the state where no later run looks for it. diff refuses it
 * too: read as a first run, it would show everything as to create, as if nothing were applied.
 * Returns the file the saves write (`_writeTarget`).
 * @internal
 */
export function _checkStateDirectory(file: string, verb: 'read' | 'write'): string {
  const target = _writeTarget(file);
  const dir = dirname(target);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    const link = target === file ? '' : ` (a link to ${target})`;
    throw new _CliError(`cannot ${verb} state file ${file}${link}: ${existsSync(dir) ? `${dir} is not a directory` : `its directory ${dir} does not exist`}; `
      + 'create the directory, or pass --state with a file in an existing one');
  }
  return target;
}

/**
 * Takes the lock of a state file, `<file>.lock` (cut short with a hash near the 255-byte limit;
 * created exclusively, holding the pid, host and time; through a symbolic link, beside the file it leads to), so that a second apply on the same state refuses at once instead of making every object
 * twice and orphaning one set. Returns the release, to call in `finally`: it removes the lock only
 * if this run still holds it.
 * @internal
 */
export function _lockState(file: string): () => void {
  // The lock is apply's first write: a --state in a directory that is not there (a typo, or one not
  // made yet) is said so, not as ENOENT of a lock file the user never named.
  // Beside the file the saves write: two links to one state are one state, whose two applies would each make every object.
  const target = _checkStateDirectory(file, 'write');
  // A name near the 255-byte limit is cut short as its temp file's is: `<file>.lock` would be refused (ENAMETOOLONG) before anything was done.
  const lock = join(dirname(target), _nameWithSuffix(basename(target), '.lock'));
  const holder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  let fd: number;
  try {
    fd = openSync(lock, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new _CliError(`cannot lock state file ${file}: ${(e as Error).message}`);
    throw lockedError(file, lock);
  }
  try {
    writeSync(fd, `${JSON.stringify(holder)}\n`);
  } finally {
    closeSync(fd);
  }
  const release = () => {
    try {
      const held = JSON.parse(readFileSync(lock, 'utf8')) as typeof holder;
      if (held.pid === holder.pid && held.since === holder.since && held.host === holder.host) rmSync(lock);
    } catch {
      // removed by hand meanwhile (or unreadable): nothing of ours to remove
    }
  };
  // Also when the process exits at once (a second Ctrl-C).
  process.once('exit', release);
  return () => {
    process.off('exit', release);
    release();
  };
}

function lockedError(file: string, lock: string): _CliError {
  let held: { pid?: unknown; host?: unknown; since?: unknown } = {};
  try {
    held = JSON.parse(readFileSync(lock, 'utf8'));
  } catch {
    // written by hand, or by a run killed while it wrote the lock
  }
  const pid = typeof held.pid === 'number' ? held.pid : undefined;
  const who = pid !== undefined ? `pid ${pid}${typeof held.host === 'string' && held.host !== hostname() ? ` on ${held.host}` : ''}` : 'an unknown process';
  const since = typeof held.since === 'string' ? ` since ${held.since}` : '';
  const locked = `state file ${file} is locked by ${who}${since}`;
  if (pid !== undefined && held.host === hostname() && !running(pid)) {
    return new _CliError(`${locked}, but no process ${pid} runs on this machine: the lock is stale, left by a run that was killed; `
      + `remove ${lock} and run apply again (diff shows what that run left to do)`);
  }
  return new _CliError(`${locked}: another apply on it is running; wait for it to end, or, if no such run is left, remove ${lock}`);
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it runs, as another user
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
