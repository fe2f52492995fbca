import { onTestFinished, vi } from 'vitest';

/**
 * A clock that only the test moves, for the deadline tests of calls that involve no socket (fake
 * AWS clients): `Date`, `setTimeout` and `clearTimeout` are faked, and `AbortSignal.timeout`,
 * which vitest does not fake, is made of the faked `setTimeout`. A test asserts the times the code
 * asked for and the clock at its outcome, which are the same on any machine, instead of how long
 * the run took on this one. Mackerel's HTTP client is not run under it: undici times its sockets
 * with the global timers.
 */
export function useVirtualClock(): {
  /** Each `AbortSignal.timeout` asked for, in milliseconds, in order. */
  readonly timeouts: number[];
  /** What `promise` settled with, and the clock then, the clock run until no timer is left. */
  readonly run: <T>(promise: Promise<T>) => Promise<{ value?: T; error?: Error & { message: string }; at: number }>;
} {
  const timeouts: number[] = [];
  vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
  const timeout = vi.spyOn(AbortSignal, 'timeout').mockImplementation((ms: number) => {
    timeouts.push(ms);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
    return controller.signal;
  });
  onTestFinished(() => {
    timeout.mockRestore();
    vi.useRealTimers();
  });
  const run = async <T>(promise: Promise<T>) => {
    let settled: { value?: T; error?: Error; at: number } | undefined;
    void promise.then((value) => { settled = { value, at: Date.now() }; }, (error: Error) => { settled = { error, at: Date.now() }; });
    // Timer by timer, so that the clock is read when the promise settles, not after timers left behind.
    for (;;) {
      // setImmediate is real: every promise callback due has run by then.
      await new Promise((resolve) => setImmediate(resolve));
      if (settled) return settled;
      if (vi.getTimerCount() === 0) throw new Error('the call neither settled nor left a timer to run: it hangs');
      await vi.advanceTimersToNextTimerAsync();
    }
  };
  return { timeouts, run };
}
