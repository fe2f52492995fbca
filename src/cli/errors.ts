/** An error the CLI reports as one line with exit code 2 (no stack trace). @internal */
export class _CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}
