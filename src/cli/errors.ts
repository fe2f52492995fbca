/** An error the CLI reports as one line (no stack trace), with exit code 2 unless it says otherwise. @internal */
export class _CliError extends Error {
  /** @param exitCode the command's exit code: 2, or 128 + the signal's number for a run stopped by one */
  constructor(message: string, public readonly exitCode = 2) {
    super(message);
    this.name = 'CliError';
  }
}
