/**
 * The emulator `--emulator` starts for one command. Its objects are kept in a file between runs,
 * so that a second apply updates what the first created and `--destroy` empties it, as against a
 * long-running emulator or a real organization.
 */
import { mkdirSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { _CliError, _EmulatorSaveError, _NotEmulatorStateError } from './errors';
import { _Holds } from './live';
import { _writeTarget } from '../_json';
import { EmulatorState, isEmptyState, MackerelEmulator, NotEmulatorStateError, readEmulatorState, startEmulator, writeEmulatorState } from '../emulator';
import { _RESOURCE_TYPES } from '../provider/_properties';

/** A running emulator and the file its objects are saved to. @internal */
export interface _LocalEmulator {
  readonly emulator: MackerelEmulator;
  readonly file: string;
  /** Whether it started with objects of an earlier run. */
  readonly resumed: boolean;
  /** Writes its objects to the file; fails with an error naming the file. */
  save(): void;
}

/** The default file of the emulator's objects: beside the state file, `<state>.data.json`. @internal */
export function _emulatorDataFile(stateFile: string): string {
  return join(dirname(stateFile), `${basename(stateFile, '.json')}.data.json`);
}

/**
 * What the state file records as the place of its objects: the emulator's file, since its
 * URL has a new port every run. A state applied to another API base is then refused as usual.
 * @internal
 */
export function _emulatorBase(stateFile: string, dataFile: string): string {
  return `emulator:${relative(dirname(stateFile), dataFile)}`;
}

/**
 * Starts an emulator holding the objects saved in `file` (empty when there is none): for one
 * command on a free port by default, or as `cdk-mackerel emulator --emulator-state` on its own.
 * `saves` false (diff, which only reads them) makes no directory for the file.
 * @internal
 */
export async function _startLocalEmulator(
  file: string, listen: { readonly port?: number; readonly host?: string } = { port: 0 }, saves = true,
): Promise<_LocalEmulator> {
  let state;
  try {
    state = readEmulatorState(file);
  } catch (e) {
    if (e instanceof NotEmulatorStateError) throw new _NotEmulatorStateError(`${e.message} (check --emulator-state)`);
    throw new _CliError((e as Error).message);
  }
  // Fail before applying anything, not when the objects are first saved (through a link, where they are written).
  try {
    // Links that lead to one another are refused by diff too, rather than read as an empty emulator.
    const target = _writeTarget(file);
    if (saves) mkdirSync(dirname(target), { recursive: true });
  } catch (e) {
    throw new _CliError(`cannot keep the emulator's objects in ${file} (${(e as Error).message}); check --emulator-state`);
  }
  const emulator = await startEmulator({ ...listen, state });
  return {
    emulator,
    file,
    resumed: state !== undefined && !isEmptyState(state),
    save: () => {
      try {
        writeEmulatorState(file, emulator.state());
      } catch (e) {
        throw new _EmulatorSaveError(file, (e as Error).message);
      }
    },
  };
}

/**
 * What the emulator holds of the objects the API has no read for: an issued external ID (until
 * every integration that used it is deleted) and a graph annotation (read only by service and
 * period, which the state does not record). Undefined for other types, which are read. Asked once
 * the run's writes are done (diff writes nothing), it copies the emulator's objects once, at the
 * first question, not for each object asked of.
 * @internal
 */
export function _emulatorHolds(emulator: MackerelEmulator): _Holds {
  let held: EmulatorState | undefined;
  return (type, physicalId) => {
    if (type === _RESOURCE_TYPES.AWS_INTEGRATION_EXTERNAL_ID) return (held ??= emulator.state()).externalIds.includes(physicalId);
    if (type === _RESOURCE_TYPES.GRAPH_ANNOTATION) return (held ??= emulator.state()).graphAnnotations.some((a) => a.id === physicalId);
    return undefined;
  };
}
