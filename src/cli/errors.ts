/** An error the CLI reports as one line (no stack trace), with exit code 2 unless it says otherwise. @internal */
export class _CliError extends Error {
  /** @param exitCode the command's exit code: 2, or 128 + the signal's number for a run stopped by one */
  constructor(message: string, public readonly exitCode = 2) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * The state file could not be written after an operation: the file holds the run up to its last
 * save, not that operation, so apply must not say that what succeeded is saved. @internal
 */
export class _StateSaveError extends _CliError {
  constructor(file: string, reason: string) {
    super(`could not save the state file ${file} (${reason})`);
    this.name = 'StateSaveError';
  }
}

/**
 * The emulator's objects of an `--emulator` run could not be written to their file: each save
 * writes them before the state file, so neither file has what the run did since its last save,
 * and the emulator, which stops with the run, loses it. @internal
 */
export class _EmulatorSaveError extends _CliError {
  constructor(file: string, reason: string) {
    super(`could not save the emulator's objects to ${file} (${reason})`);
    this.name = 'EmulatorSaveError';
  }
}

/**
 * The emulator's file of an `--emulator` run is not an emulator state at all (another file named
 * by mistake, such as cdk.out/manifest.json): no advice to remove it, or the state file with it. @internal
 */
export class _NotEmulatorStateError extends _CliError {
  constructor(message: string) {
    super(message);
    this.name = 'NotEmulatorStateError';
  }
}
