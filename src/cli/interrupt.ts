/**
 * Ctrl-C (SIGINT) and SIGTERM during an apply: the first lets the operation in flight finish and
 * be recorded in the state, then the run stops (also when nothing was left to send); a second
 * exits at once. Either way the exit code is `_interruptedExitCode`.
 */
import { _ResourceEvent } from './apply';
import { _operationLabel } from './printer';

/** What the signals of one run asked for. @internal */
export interface _Interrupts {
  /** The signal that asked the run to stop, if any: no operation is to be sent after it. */
  readonly requested: () => NodeJS.Signals | undefined;
  /** Runs one operation, named in the warning of a second signal while it runs. */
  during<T>(event: _ResourceEvent, operation: () => Promise<T>): Promise<T>;
  /** Removes the handlers (at the end of the run). */
  dispose(): void;
}

/**
 * Exit code of a run a signal stopped, however it ended: 128 + the signal's number (130 for
 * Ctrl-C, 143 for SIGTERM), as a shell reports a command killed by it, so that a script or CI step
 * running apply stops too rather than going on as after a success or an ordinary failure.
 * @internal
 */
export function _interruptedExitCode(signal: string): number {
  return signal === 'SIGTERM' ? 143 : 130;
}

/**
 * Handles SIGINT and SIGTERM of `proc` until `dispose`. `err` prints a line; a second signal
 * calls `proc.exit`.
 * @internal
 */
export function _handleInterrupts(err: (line: string) => void, proc: Pick<NodeJS.Process, 'on' | 'off' | 'exit'> = process): _Interrupts {
  let requested: NodeJS.Signals | undefined;
  let inFlight: string | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (requested === undefined) {
      requested = signal;
      // Between operations, or before the first (while the run reads Mackerel and plans), there is none to wait for.
      err(`cdk-mackerel: ${signal} received: ${inFlight
        ? `stopping after the operation in flight (${inFlight}) finishes, which is recorded in the state`
        : 'stopping before the next operation is sent (none is in flight)'}; send it again to stop at once`);
      return;
    }
    err(`cdk-mackerel: ${signal} received again: stopping at once. ${inFlight
      ? `The operation in flight (${inFlight}) may have made or changed its object in Mackerel without the state recording it: `
        + 'check Mackerel for it before the next apply, which would make it again'
      : 'No operation was in flight; run apply again to finish'}`);
    proc.exit(_interruptedExitCode(signal));
  };
  proc.on('SIGINT', handler);
  proc.on('SIGTERM', handler);
  return {
    requested: () => requested,
    during: async (event, operation) => {
      inFlight = _operationLabel(event, stackName(event.StackId));
      try {
        return await operation();
      } finally {
        inFlight = undefined;
      }
    },
    dispose: () => {
      proc.off('SIGINT', handler);
      proc.off('SIGTERM', handler);
    },
  };
}

/** The stack name in a stack ID (`arn:aws:cloudformation:<region>:<account>:stack/<name>/<id>`). */
function stackName(stackId: string): string {
  return stackId.split(':stack/')[1]?.split('/')[0] ?? stackId;
}
