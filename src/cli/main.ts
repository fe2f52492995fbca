/**
 * The `cdk-mackerel` command: apply, diff and emulator. Errors are one line on stderr with exit
 * code 2; every line printed has the API key and the values of NoEcho parameters scrubbed out.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DEFAULT_EMULATOR_API_KEY, isEmptyState, MackerelEmulator, startEmulator } from '../emulator';
import { _CHECK_THE_WAY, _createGet, _Get, _preflight, _scrubber } from './api';
import { _ResourceEvent, _apply, _goneUnchanged } from './apply';
import { _Args, _DEFAULT_API_BASE, _USAGE, _parseArgs } from './args';
import { _App, _checkRunStacks, _loadApp, _unappliedDependencies } from './assembly';
import { _ANOMALY_OUTSIDE_ADVICE, _ANOMALY_ROLE_ADVICE, _anomalyRoleHeld, _anomalyRoleWatchedOutside, _diff } from './diff';
import { _CliError, _EmulatorSaveError, _NotEmulatorStateError, _StateSaveError } from './errors';
import { _Interrupts, _handleInterrupts, _interruptedExitCode } from './interrupt';
import { _badRequest, _failsAgain, _handlerInvoke, _refusedOnTheWay } from './invoke';
import { _LocalEmulator, _emulatorBase, _emulatorDataFile, _emulatorHolds, _startLocalEmulator } from './local-emulator';
import { _Environment, _checkGivenParameters, _noEchoValues } from './plan';
import { _diffExitCode, _formatApplySummary, _formatInventory, _formatDiff, _formatOutcome, _formatWaiting } from './printer';
import { _channelUrls } from './secret-fields';
import { _StateStore, _checkStateDirectory, _fileStore, _holdsObjects, _lockState, _stateStackView } from './state';
import { _maskedApiBase } from '../_text';
import { RESOURCE_MODULES } from '../provider/handler';
import { keyRefusal } from '../provider/handler/client';
import { leftIn } from '../provider/handler/resource';

/** Where the command reads and writes. @internal */
export interface _Io {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Stops `emulator` (it otherwise runs until SIGINT or SIGTERM). */
  readonly signal?: AbortSignal;
  /** How often an operation still running prints a progress line. @default 15 s */
  readonly progressEveryMs?: number;
}

/** Runs one command; resolves to the exit code. @internal */
export async function _main(argv: readonly string[], io: _Io): Promise<number> {
  let key = '';
  // NoEcho parameters' values, which CloudFormation would mask, and channel URLs, which the handler masks:
  // a diff or an error would show them.
  let hidden: string[] = [];
  // Built once per change of key or hidden, not for every line printed (a diff prints one per object, hidden may hold every channel URL).
  let built: { readonly key: string; readonly hidden: string[]; readonly scrub: (line: string) => string } | undefined;
  const scrub = (line: string) => {
    if (built?.key !== key || built.hidden !== hidden) built = { key, hidden, scrub: _scrubber([key, ...hidden]) };
    return built.scrub(line);
  };
  const out = (line: string) => io.out(scrub(line));
  const err = (line: string) => io.err(scrub(line));
  let local: _LocalEmulator | undefined;
  let unlock: (() => void) | undefined;
  let interrupts: _Interrupts | undefined;
  try {
    const args = _parseArgs(argv);
    if (args.command === 'help') {
      // Asked for, help is the answer; with no command at all it is a usage error, as a script calling it wrongly should see.
      if (argv.length > 0) {
        out(_USAGE);
        return 0;
      }
      err(_USAGE);
      return 2;
    }
    if (args.command === 'emulator') return await runEmulator(args, io, out, err);
    const app = _loadApp(resolve(io.cwd, args.path!), args.stack, args.stage, true, (m) => err(`notice: ${m}`));
    _checkGivenParameters(args.parameters, app.allStacks ?? app.stacks, args.path!);
    hidden = _noEchoValues(args.parameters, app.allStacks ?? app.stacks);
    const file = stateFile(args, app, io.cwd);
    notDirectory(file, 'state file', '--state');
    // Before an --emulator's file is made beside it.
    if (args.command === 'diff') _checkStateDirectory(file, 'read');
    // Before anything is read: the state, and an --emulator's objects, which apply saves too.
    if (args.command === 'apply') {
      unlock = _lockState(file);
      interrupts = _handleInterrupts(err);
    }
    // A template whose last Mackerel resource was removed, or a stack the app no longer has, still has objects to delete.
    const store = _fileStore(file);
    hidden = [...hidden, ..._channelUrls(app.allStacks ?? app.stacks, store.state)];
    _checkRunStacks(app, args.path!, store.state, args, file);
    if (args.emulator) {
      const dataFile = args.emulatorState ? resolve(io.cwd, args.emulatorState) : _emulatorDataFile(file);
      notDirectory(dataFile, 'emulator state', '--emulator-state');
      local = await startForRun(dataFile, file, store, args.command === 'apply');
      const holding = local.resumed ? `with the objects in ${local.file}` : `empty (no objects yet in ${local.file})`;
      // diff's standard output is the diff alone, for a script or a file to read.
      (args.command === 'diff' ? err : out)(`Started an emulator for this run at ${local.emulator.url}, ${holding}.`);
      const named = namedIn(store, file, local.file);
      // Only the emulator's file was removed (or lost): its objects now read as gone, which apply never makes again.
      if (!local.resumed && named > 0) {
        err(`warning: the state file ${file} names ${named} object(s) in the emulator, which starts empty: diff shows them as gone and apply `
          + `does not create them again; to start over, remove ${file} too`);
      }
    }
    const apiBase = local ? withSlash(local.emulator.url) : args.apiBase ?? _DEFAULT_API_BASE;
    key = local?.emulator.apiKey ?? apiKeyFor(apiBase, io.env);
    const target: Target = { apiBase, key, file, store, recordedBase: local ? _emulatorBase(file, local.file) : apiBase, local, interrupts };
    const print = { out, err, progressEveryMs: io.progressEveryMs };
    return args.command === 'apply' ? await apply(args, app, target, print) : await diff(args, app, target, print);
  } catch (e) {
    const message = e instanceof _CliError ? e.message : `${(e as Error).message ?? String(e)}`;
    err(`cdk-mackerel: ${message.split('\n')[0]}`);
    return e instanceof _CliError ? e.exitCode : 2;
  } finally {
    interrupts?.dispose();
    await local?.emulator.close();
    unlock?.();
  }
}

/**
 * Refuses a file the run reads and writes that is a directory (`--state .`): read, it is no
 * readable JSON, whose advice to fix or remove it would name the directory.
 */
function notDirectory(file: string, what: string, option: string): void {
  if (existsSync(file) && statSync(file).isDirectory()) throw new _CliError(`${what} ${file} is a directory; expected a JSON file (give ${option} a file's path)`);
}

/**
 * The emulator of an --emulator run. When its file is refused while the state names objects in
 * it, removing the file alone would leave the state naming objects the new emulator lacks (gone,
 * which apply never re-creates): the advice names the state file too.
 */
async function startForRun(dataFile: string, file: string, store: _StateStore, saves: boolean): Promise<_LocalEmulator> {
  try {
    return await _startLocalEmulator(dataFile, { port: 0 }, saves);
  } catch (e) {
    // A file that is no emulator state at all was named by mistake: it holds no objects to lose, and removing it is no advice.
    if (!(e instanceof _CliError) || e instanceof _NotEmulatorStateError || !existsSync(dataFile) || namedIn(store, file, dataFile) === 0) throw e;
    throw new _CliError(`${e.message}; removing it empties the emulator, so remove the state file ${file} with it, `
      + 'which names the objects it held (apply would find them gone and not create them again)');
  }
}

/** How many objects the state names in the emulator of `dataFile` (none when it records another API base, which is refused later). */
function namedIn(store: _StateStore, file: string, dataFile: string): number {
  if (store.state.apiBase !== _emulatorBase(file, dataFile)) return 0;
  return Object.values(store.state.stacks).reduce((n, stack) => n + Object.keys(stack.resources).length, 0);
}

interface Print {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly progressEveryMs?: number;
}

/** The API a command talks to and the state file of what it made there. */
interface Target {
  readonly apiBase: string;
  readonly key: string;
  readonly file: string;
  /** The state file, read once for the run. */
  readonly store: _StateStore;
  /** Where the state says its objects are: the API base, or the file of an --emulator's objects. */
  readonly recordedBase: string;
  readonly local?: _LocalEmulator;
  /** Ctrl-C and SIGTERM during an apply. */
  readonly interrupts?: _Interrupts;
}

async function apply(args: _Args, app: _App, target: Target, io: Print): Promise<number> {
  const { apiBase, key, file, local } = target;
  const store = stateStore(target.store, local);
  const { get, org } = await connect(args, target, io);
  io.out(`${args.destroy ? 'Destroying' : 'Applying'} ${app.stacks.map((s) => s.stackName).join(', ')} against ${apiBase} (organization ${org}), state ${file}`);
  store.state.apiBase = target.recordedBase;
  const recordedOrganization = store.state.organization;
  store.state.organization = org;
  // A state written before the organization was recorded gets it at once, also for a run that changes nothing.
  if (recordedOrganization === undefined && _holdsObjects(store.state)) {
    try {
      store.save();
    } catch (e) {
      throw new _CliError(`${(e as Error).message}; nothing was changed`);
    }
  }
  const notice = noticeOnce(io);
  let failed = false;
  let savesFailed = false;
  let sent = false;
  let succeeded = false;
  // The operation sent last: the one that failed, when the run fails on Mackerel's refusal.
  let last: _ResourceEvent | undefined;
  const interrupts = target.interrupts;
  const invoke = _handlerInvoke({
    apiBase,
    apiKey: key,
    timeoutMs: args.timeoutSeconds * 1000,
    log: args.verbose ? io.err : undefined,
    placeholderSecrets: isLocal(apiBase) ? notice : undefined,
    stackView: _stateStackView(store),
  });
  try {
    const outcomes = await _apply({
      app,
      store,
      env: environment(args, apiBase),
      destroy: args.destroy,
      invoke: async (event) => {
        sent = true;
        last = event;
        const result = await (interrupts ? interrupts.during(event, () => invoke(event)) : invoke(event));
        succeeded = true;
        return result;
      },
      stopRequested: interrupts?.requested,
      report: (o, i, n) => io.out(_formatOutcome(o, i, n)),
      waiting: (w, i, n) => io.out(_formatWaiting(w, i, n)),
      waitingEveryMs: io.progressEveryMs,
      notice,
    });
    const gone = await _goneUnchanged(outcomes, get, local && _emulatorHolds(local.emulator),
      (o) => store.state.stacks[o.stackName]?.resources[o.logicalId]?.properties);
    io.out(_formatApplySummary(outcomes, gone));
    const inventory = args.destroy ? undefined : _formatInventory(outcomes, gone);
    if (inventory) io.out(inventory);
    if (local) io.out(`The emulator's objects are saved in ${local.file}; ${isEmptyState(local.emulator.state()) ? 'it holds none now' : 'the next --emulator run continues from them'}.`);
    // A signal during the last operation (or the closing reads) left nothing to stop: the apply is
    // whole, but the run was still interrupted, and a script running it must stop as it asked.
    const stoppedBy = interrupts?.requested();
    if (stoppedBy) {
      // A signal while the run read Mackerel, when the template asked for no operation at all, comes after none.
      const when = sent ? 'after the last operation: none was left to send' : 'with no operation to send';
      io.err(`cdk-mackerel: stopped by ${stoppedBy} ${when}, so the apply finished, and ${file} holds all of it`);
      return _interruptedExitCode(stoppedBy);
    }
    return 0;
  } catch (e) {
    failed = true;
    savesFailed = e instanceof _EmulatorSaveError;
    const message = (e as Error).message.split('\n')[0];
    // A run a signal asked to stop exits as interrupted however it ended, also when the operation
    // in flight then failed: a script running it must stop as asked, not go on as after a failure.
    const stoppedBy = interrupts?.requested();
    const exitCode = stoppedBy ? _interruptedExitCode(stoppedBy) : e instanceof _CliError ? e.exitCode : 2;
    // Refused before the first operation (the app or the state is wrong): another run would fail the same way.
    if (!sent) throw new _CliError(`${message}; nothing was changed`, exitCode);
    // The state file lacks what the run did since its last save: saying that what succeeded is saved would be false.
    if (e instanceof _StateSaveError) {
      throw new _CliError(`${message}; it holds what this run did up to its last save, not what it did since: the next apply may not know `
        + 'objects this run created, and would create them again (check Mackerel for them first)', exitCode);
    }
    // Written first, the emulator's file keeps both files at that save; the emulator loses the rest as it stops.
    if (e instanceof _EmulatorSaveError) {
      throw new _CliError(`${message}; it and the state file ${file} both hold what this run did up to its last save, not what it did since, `
        + 'which the emulator loses as it stops: the next apply does that again', exitCode);
    }
    // A create that failed after making its object, and could not delete it again, left it in Mackerel
    // (`leftIn`), where no state holds it: another apply fails on its name until it is deleted there.
    const left = leftIn(e);
    const unchanged = left ? 'nothing else was changed' : 'nothing was changed';
    const deleteLeft = (why = '') => (left ? `delete ${left} in Mackerel (it is left there, in no state file${why}), ` : '');
    // Something on the way (a proxy's page), or an --api-base that is not Mackerel's API (a 404 page), refused or answered the call,
    // not Mackerel: neither the key nor the template is the fix.
    const onTheWay = _refusedOnTheWay(e, new URL(apiBase).host);
    if (onTheWay) {
      throw new _CliError(`${message}; ${succeeded ? `what succeeded is saved in ${file}` : unchanged}; ${onTheWay}: ${_CHECK_THE_WAY}, `
        + `${deleteLeft()}then apply again`, exitCode);
    }
    // Mackerel (or the handler) refused the request: running again sends it again, so the advice is to fix what it was sent.
    const again = _failsAgain(e);
    if (again) {
      const done = succeeded ? `what succeeded is saved in ${file}` : unchanged;
      // diff's notice, as the state shows the refused monitor's role watched by another: the template is right, the order is not.
      const anomaly = again === 'input' && last && _badRequest(e) ? last : undefined;
      // A watcher made outside cdk-mackerel, read live, first: no apply deletes it, so the fix is in Mackerel or leaving the role
      // out, whatever the state says (its monitor of the role may be gone from Mackerel). A read that fails only loses this advice.
      const outside = anomaly && await _anomalyRoleWatchedOutside(get, store.state, anomaly).catch(() => undefined);
      if (outside) throw new _CliError(`${message}; ${done}; ${outside}: ${_ANOMALY_OUTSIDE_ADVICE}, then apply again (as it is, another run fails the same way)`, exitCode);
      const watched = anomaly && _anomalyRoleHeld(store.state, anomaly);
      if (watched) throw new _CliError(`${message}; ${done}; ${watched}: ${_ANOMALY_ROLE_ADVICE} (as it is, another run fails the same way)`, exitCode);
      const fix = again === 'key' ? 'use a MACKEREL_APIKEY with write permission'
        : again === 'taken' ? 'give it another name in the template, or free that one in Mackerel' : 'fix the template';
      throw new _CliError(`${message}; ${done}; ${fix}, ${deleteLeft()}then apply again (as it is, another run fails the same way)`, exitCode);
    }
    // Deleting it again refused for the key (the handler's `alsoFailed`), as the handler's advice says it: the failure itself may pass.
    const keyOnDelete = left && keyRefusal(e) ? '; Mackerel refused MACKEREL_APIKEY deleting it: check that it has write permission '
      + 'and that the organization\'s API IP restriction, if it has one, allows this machine' : '';
    throw new _CliError(`${message}; what succeeded is saved in ${file}, ${left ? `${deleteLeft(keyOnDelete)}then ` : ''}run apply again to finish`, exitCode);
  } finally {
    // Also what a failed operation left in the emulator, as a real organization would keep it.
    // A save that fails must not hide why the apply failed; after a good apply it is the error.
    // A run a signal stopped still exits as interrupted (130, 143), the failed save said on stderr:
    // a script running it must stop as it asked. After a save of the run that failed, the emulator's
    // file stays as the state file is, at their last save, rather than get ahead of it.
    try {
      if (!savesFailed) local?.save();
    } catch (e) {
      if (!failed && !interrupts?.requested()) throw e;
      io.err(`cdk-mackerel: ${(e as Error).message}`);
    }
  }
}

/**
 * The state file; with an --emulator, each save writes the emulator's objects first, so the
 * files never name an object the emulator lacks, even when the run is killed between the two.
 */
function stateStore(store: _StateStore, local: _LocalEmulator | undefined): _StateStore {
  if (!local) return store;
  return {
    state: store.state,
    save: () => {
      local.save();
      store.save();
    },
  };
}

async function diff(args: _Args, app: _App, target: Target, io: Print): Promise<number> {
  const { apiBase, store } = target;
  const { get } = await connect(args, target, io);
  const knownFields = (type: string) => Object.keys(RESOURCE_MODULES[type]?.schema ?? {});
  const notice = noticeOnce(io);
  const holds = target.local && _emulatorHolds(target.local.emulator);
  const entries = await _diff(app, store.state, get, environment(args, apiBase), notice, knownFields, holds);
  // After the refusals of the run (an import of a stack not applied yet says more).
  for (const m of _unappliedDependencies(app, store.state)) notice(m);
  for (const line of _formatDiff(entries)) io.out(line);
  return _diffExitCode(entries, app.byStack === true);
}

async function runEmulator(args: _Args, io: _Io, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const file = args.emulatorState ? resolve(io.cwd, args.emulatorState) : undefined;
  const listen = { port: args.port, host: args.host };
  let local: _LocalEmulator | undefined;
  let emulator: MackerelEmulator;
  try {
    if (file) notDirectory(file, 'emulator state', '--emulator-state');
    local = file ? await _startLocalEmulator(file, listen) : undefined;
    emulator = local?.emulator ?? await startEmulator(listen);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new _CliError(`port ${args.port} on ${args.host ?? '127.0.0.1'} is in use; pick another with --port (0 picks a free one)`);
    if (code === 'ENOTFOUND' || code === 'EADDRNOTAVAIL') throw new _CliError(`--host ${args.host} is not an address of this machine; expected e.g. 127.0.0.1`);
    throw e;
  }
  // The emulator's own fake key: printing it is harmless and lets apply and diff call it.
  out(`Mackerel API emulator listening on ${emulator.url}`);
  out(`API key (read+write): ${emulator.apiKey}`);
  if (local) out(`Objects: ${local.resumed ? `those saved in ${local.file}` : 'none yet'}; saved to ${local.file} when stopped.`);
  const base = connectable(emulator.url);
  out(`Apply to it with: cdk-mackerel apply cdk.out${base === _DEFAULT_API_BASE ? '' : ` --api-base ${base}`}`);
  const stoppedBy = await stopped(io.signal);
  // Stopped by a signal, it exits as a shell reports a command that signal ended (130, 143), also when the save fails (said on stderr).
  const code = stoppedBy ? _interruptedExitCode(stoppedBy) : 0;
  try {
    local?.save();
    if (local) out(`Saved the emulator's objects to ${local.file}.`);
  } catch (e) {
    if (!stoppedBy) throw e;
    err(`cdk-mackerel: ${(e as Error).message}`);
  } finally {
    await emulator.close();
  }
  return code;
}

/**
 * Resolves when the emulator is to stop: on SIGINT or SIGTERM, to that signal, or when `signal`
 * (given in place of them, as by the tests) aborts, to undefined.
 */
function stopped(signal: AbortSignal | undefined): Promise<NodeJS.Signals | undefined> {
  return new Promise((done) => {
    if (signal) {
      signal.addEventListener('abort', () => done(undefined), { once: true });
      return;
    }
    const stop = (received: NodeJS.Signals) => {
      // A second signal, while the objects are saved, ends the process as it would have by default.
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done(received);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/**
 * The base to apply to an emulator listening on every address (`--host 0.0.0.0`) from this
 * machine: its loopback address, which apply and diff know as local (the emulator's own key,
 * placeholders), where http://0.0.0.0/ would be taken for a real organization.
 */
function connectable(url: string): string {
  const parsed = new URL(url);
  if (parsed.hostname === '0.0.0.0') parsed.hostname = '127.0.0.1';
  else if (parsed.hostname === '[::]') parsed.hostname = '[::1]';
  return parsed.href;
}

/** The emulator's URL as a base, ending in `/` (as --api-base is, args.ts). */
function withSlash(base: string): string {
  const href = new URL(base).href;
  return href.endsWith('/') ? href : `${href}/`;
}

/** A base on this machine: the emulator, never a real organization. */
function isLocal(apiBase: string): boolean {
  const host = new URL(apiBase).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

function apiKeyFor(apiBase: string, env: NodeJS.ProcessEnv): string {
  if (env.MACKEREL_APIKEY) return env.MACKEREL_APIKEY;
  if (isLocal(apiBase)) return DEFAULT_EMULATOR_API_KEY;
  throw new _CliError(`MACKEREL_APIKEY is not set; expected the API key of the organization at ${apiBase} in that environment variable`);
}

/**
 * Beside the cdk.out directory (so a fresh synth keeps it), or beside the template; a file of
 * its own for --emulator, which never mixes with the state of a real organization.
 */
function stateFile(args: _Args, app: _App, cwd: string): string {
  if (args.state) return resolve(cwd, args.state);
  const base = existsSync(app.baseDir) && statSync(app.baseDir).isDirectory() && existsSync(join(app.baseDir, 'manifest.json')) ? dirname(app.baseDir) : app.baseDir;
  // Each stage usually deploys to an organization of its own, so it keeps a state of its own.
  // Named after the stage the run covers, whether --stage or --stack chose it, so both find the same state.
  const stage = app.stage ? `.${app.stage.replace(/[^A-Za-z0-9_-]+/g, '-')}` : '';
  return join(base, args.emulator ? `.mackerel-state${stage}.emulator.json` : `.mackerel-state${stage}.json`);
}

/** Prints a notice the first time the run gives it: the same notice from every stack or resource is said once. */
function noticeOnce(io: Print): (message: string) => void {
  const notices = new Set<string>();
  return (m) => {
    if (!notices.has(m)) io.err(`notice: ${m}`);
    notices.add(m);
  };
}

/**
 * The run's API and the organization of its key, once the state is known to be of both: apply
 * and diff refuse a state of another API base before asking, and of another organization after.
 */
async function connect(args: _Args, target: Target, io: Print): Promise<{ get: _Get; org: string }> {
  const { apiBase, key, file, store } = target;
  checkStateBase(store, target.recordedBase, file);
  const get = _createGet({ apiBase, apiKey: key, timeoutMs: args.timeoutSeconds * 1000, log: args.verbose ? io.err : undefined });
  const org = await _preflight(get);
  checkStateOrganization(store, org, file);
  return { get, org };
}

function checkStateBase(store: _StateStore, apiBase: string, file: string): void {
  const applied = store.state.apiBase;
  if (applied && applied !== apiBase && _holdsObjects(store.state)) {
    // Shown as an API base error shows one: a CLI before --api-base refused a query recorded its token here.
    throw new _CliError(`state file ${file} belongs to ${_maskedApiBase(applied)}, not ${apiBase}; pass --state with another file for another organization; nothing was changed`);
  }
}

/**
 * A key of another organization at the same API base (a real organization's, or an emulator's
 * file): the state's objects are not in it, and its services and roles of the same names, made by
 * the same app, carry the same marks, so that a delete would take them for the state's own.
 */
function checkStateOrganization(store: _StateStore, org: string, file: string): void {
  const applied = store.state.organization;
  if (applied !== undefined && applied !== org && _holdsObjects(store.state)) {
    throw new _CliError(`state file ${file} belongs to organization ${JSON.stringify(applied)}, not ${JSON.stringify(org)}, the organization of the API key; `
      + `use a key of ${JSON.stringify(applied)}, or pass --state with another file for ${JSON.stringify(org)}; nothing was changed`);
  }
}

function environment(args: _Args, apiBase: string): _Environment {
  return { region: args.region, account: args.account, placeholders: isLocal(apiBase), parameters: args.parameters };
}

/** The entry point of bin/cdk-mackerel. @internal */
export function _cli(argv: readonly string[]): void {
  _main(argv, {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
    cwd: process.cwd(),
  }).then((code) => {
    process.exitCode = code;
  }, (e: unknown) => {
    process.stderr.write(`cdk-mackerel: ${(e as Error).message}\n`);
    process.exitCode = 2;
  });
}
