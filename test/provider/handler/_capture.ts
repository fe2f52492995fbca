import { afterEach, beforeEach, vi } from 'vitest';

/**
 * Captures every console line the handler writes during a test, so that tests can assert on
 * the log and that the API key never appears in it.
 */
export function captureLogs(): { lines: () => string[] } {
  let lines: string[] = [];
  beforeEach(() => {
    lines = [];
    const record = (...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    };
    vi.spyOn(console, 'log').mockImplementation(record);
    vi.spyOn(console, 'error').mockImplementation(record);
    vi.spyOn(console, 'warn').mockImplementation(record);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  return { lines: () => lines };
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejectionOf<E extends Error = Error & { status?: number }>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (e) {
    return e as E;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
