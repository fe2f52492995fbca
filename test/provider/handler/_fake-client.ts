import { MackerelApiError, MackerelClient, Method } from '../../../src/provider/handler/client';
import { createLogger } from '../../../src/provider/handler/log';
import { RequestContext } from '../../../src/provider/handler/resource';

type Answer = unknown | ((body: unknown) => unknown);

/**
 * A client that answers from a table of `"METHOD /path"` → value (or a function of the body);
 * a number answer is an HTTP error status. Records every call. For the lifecycle logic's unit
 * tests; the emulator tests cover the same paths over HTTP.
 */
export function fakeContext(answers: { [call: string]: Answer }, logicalResourceId = 'Resource') {
  const calls: string[] = [];
  const bodies: unknown[] = [];
  const client: MackerelClient = {
    deadline: Date.now() + 60_000,
    request: async <T>(method: Method, path: string, body?: unknown): Promise<T> => {
      const call = `${method} ${path}`;
      calls.push(call);
      bodies.push(body);
      // Mackerel's own answers, as its JSON error: only its 404 says an object is gone.
      if (!(call in answers)) throw new MackerelApiError(method, path, 404, 'not found', { mackerelBody: true });
      const answer = answers[call];
      const value = typeof answer === 'function' ? (answer as (b: unknown) => unknown)(body) : answer;
      if (typeof value === 'number') throw new MackerelApiError(method, path, value, `status ${value}`, { mackerelBody: true });
      return value as T;
    },
  };
  const ctx: RequestContext = { client, log: createLogger(), stackId: 'stack-1', logicalResourceId };
  return { ctx, calls, bodies };
}
