import { describe, expect, test } from 'vitest';
import { useEmulatorPerFile } from './_fixture';
import { _ResourceEvent } from '../../src/cli/apply';
import { _failsAgain, _handlerInvoke, _refusedOnTheWay } from '../../src/cli/invoke';
import { MackerelApiError } from '../../src/provider/handler/client';
import { api } from '../provider/handler/_harness';

const shared = useEmulatorPerFile();

function create(logicalId: string, resourceType: string, properties: { [key: string]: unknown }): _ResourceEvent {
  return {
    RequestType: 'Create',
    ResourceType: resourceType,
    LogicalResourceId: logicalId,
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/Shop/1',
    RequestId: `request-${logicalId}`,
    ResourceProperties: properties,
  };
}

describe('_handlerInvoke', () => {
  test('two calls at once (two applies in one process) run one after the other, each with its own log, and leave the console as it was', async () => {
    // GIVEN two invokers, as two runs of cdk-mackerel apply in one process make them; the second call is the slower
    const { log, error } = console;
    expect((await api(shared.emulator, 'POST', '/api/v0/services', { name: 'shop' })).status).toBe(200);
    const lines: { [run: string]: string[] } = { a: [], b: [] };
    const invoker = (run: 'a' | 'b') => _handlerInvoke({
      apiBase: shared.emulator.url, apiKey: shared.emulator.apiKey, timeoutMs: 10_000, log: (line) => lines[run].push(line),
    });
    shared.emulator.injectFault({ method: 'POST', path: '/api/v0/services/shop/roles', delayMs: 300 });
    // WHEN both are called before either is done
    await Promise.all([
      invoker('a')(create('Alpha', 'Custom::MackerelService', { name: 'alpha' })),
      invoker('b')(create('Beta', 'Custom::MackerelRole', { service: 'shop', name: 'beta' })),
    ]);
    // THEN each call's log lines went to its own run (the handler's globals, the console among them, are one
    // call's at a time), and the console is the one before
    const done = (run: string) => lines[run].filter((line) => line.includes('"message":"done"')).map((line) => JSON.parse(line).logicalResourceId);
    expect(done('a')).toEqual(['Alpha']);
    expect(done('b')).toEqual(['Beta']);
    expect(console.log).toBe(log);
    expect(console.error).toBe(error);
  });
});

describe('a 4xx that is not Mackerel\'s JSON error, or a proxy\'s 407, as the cause of the handler\'s failure', () => {
  const proxyPage = new MackerelApiError('POST', '/api/v0/monitors', 403, 'an HTML page', { mackerelBody: false, pageTitle: 'Access denied' });
  const mackerels = new MackerelApiError('POST', '/api/v0/monitors', 403, 'permission denied', { mackerelBody: true });
  const failure = (cause: unknown) => new Error('Custom::MackerelMonitor Cpu: Create failed', { cause });

  test('is said in the handler\'s words, also when it caused a failure that says what it was doing (a read before a write)', () => {
    const said = 'the answer is a page titled "Access denied", so something between this machine and Mackerel (a proxy, a load balancer, a firewall) '
      + 'refused the call, not Mackerel';
    expect(_refusedOnTheWay(failure(proxyPage))).toBe(said);
    expect(_refusedOnTheWay(failure(new Error('reading the monitor failed', { cause: proxyPage })))).toBe(said);
  });

  test('is neither the key nor the template; Mackerel\'s own refusal is the key', () => {
    expect(_failsAgain(failure(proxyPage))).toBeUndefined();
    expect(_failsAgain(failure(mackerels))).toBe('key');
    expect(_refusedOnTheWay(failure(mackerels))).toBeUndefined();
  });

  test('is not the template whatever the status (a load balancer\'s or WAF\'s 405, 413, 414, 431); Mackerel\'s own 4xx JSON errors are', () => {
    for (const status of [400, 405, 409, 413, 414, 431]) {
      const page = new MackerelApiError('POST', '/api/v0/monitors', status, 'Request Header Fields Too Large', { mackerelBody: false });
      expect(_failsAgain(failure(page))).toBeUndefined();
      expect(_refusedOnTheWay(failure(page))).toBe('the answer is not Mackerel\'s JSON error, so something between this machine and Mackerel '
        + '(a proxy, a load balancer, a firewall) refused the call, not Mackerel');
      expect(_failsAgain(failure(new MackerelApiError('POST', '/api/v0/monitors', status, 'invalid', { mackerelBody: true })))).toBe('input');
    }
  });

  test('a 404 is no refusal but an answer of something other than Mackerel\'s API, named by --api-base\'s host; Mackerel\'s own 404 is the template', () => {
    const page = new MackerelApiError('DELETE', '/api/v0/monitors/abc', 404, 'an HTML page', { mackerelBody: false, pageTitle: '404 Not Found' });
    expect(_failsAgain(failure(page))).toBeUndefined();
    expect(_refusedOnTheWay(failure(page), 'example.com')).toBe('the answer is a page titled "404 Not Found", so something other than Mackerel\'s API answered '
      + '(a proxy or load balancer between this machine and example.com, or example.com itself if the API base\'s host or path is not Mackerel\'s), '
      + 'which says nothing of whether the object exists in Mackerel');
    expect(_failsAgain(failure(new MackerelApiError('POST', '/api/v0/monitors', 404, 'service is not found.', { mackerelBody: true })))).toBe('input');
  });

  test('a 407 is a proxy asking for its own credentials, whatever its body: Mackerel asks for none', () => {
    const proxy = new MackerelApiError('POST', '/api/v0/monitors', 407, 'proxy authentication required', { mackerelBody: true });
    expect(_failsAgain(failure(proxy))).toBeUndefined();
    expect(_refusedOnTheWay(failure(proxy))).toBe('the answer is a proxy\'s HTTP 407, so something between this machine and Mackerel '
      + '(a proxy, a load balancer, a firewall) refused the call, not Mackerel');
  });
});
