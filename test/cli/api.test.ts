import { afterEach, describe, expect, test, vi } from 'vitest';
import { _CHECK_THE_WAY, _createGet } from '../../src/cli/api';
import { resetSettings, settings } from '../../src/provider/handler/settings';

/** A fetch that fails to connect as Node's does: a TypeError whose cause is the network error. */
function failing(cause: object) {
  return vi.fn(async () => {
    throw new TypeError('fetch failed', { cause: Object.assign(new Error(String((cause as { message?: string }).message ?? 'failed')), cause) });
  });
}

async function messageOf(apiBase: string, cause: object): Promise<string> {
  vi.stubGlobal('fetch', failing(cause));
  const get = _createGet({ apiBase, apiKey: 'key-of-the-organization-0123456789', timeoutMs: 5000 });
  return get('/api/v0/org').then(() => 'no error', (e: Error) => e.message);
}

describe('an API the CLI cannot reach is said with the host that failed, which behind a proxy is the proxy\'s', () => {
  afterEach(() => vi.unstubAllGlobals());

  test.each([
    ['a name DNS does not know, the API base\'s', 'https://mackerel.internal/', { code: 'ENOTFOUND', hostname: 'mackerel.internal' }, 'ENOTFOUND mackerel.internal'],
    ['a proxy\'s name DNS does not know (fetch under NODE_USE_ENV_PROXY)', 'https://api.mackerelio.com/',
      { code: 'ENOTFOUND', hostname: 'proxy.corp.internal', message: 'getaddrinfo ENOTFOUND proxy.corp.internal' },
      'ENOTFOUND proxy.corp.internal, not --api-base\'s host: a proxy\'s?'],
    ['DNS failing for now', 'https://api.mackerelio.com/', { code: 'EAI_AGAIN', hostname: 'api.mackerelio.com' }, 'EAI_AGAIN api.mackerelio.com'],
    ['a connection refused', 'https://api.mackerelio.com/', { code: 'ECONNREFUSED', address: '10.0.0.8', port: 3128 }, 'ECONNREFUSED 10.0.0.8:3128'],
    ['a connection refused at an IPv6 address', 'http://[::1]:8080/', { code: 'ECONNREFUSED', address: '::1', port: 8080 }, 'ECONNREFUSED [::1]:8080'],
    ['an address unreachable', 'https://api.mackerelio.com/', { code: 'EHOSTUNREACH', address: '10.0.0.8', port: 3128 }, 'EHOSTUNREACH 10.0.0.8:3128'],
    ['a connection not made in time', 'https://api.mackerelio.com/',
      { code: 'UND_ERR_CONNECT_TIMEOUT', message: 'Connect Timeout Error (attempted address: proxy.corp.internal:3128, timeout: 10000ms)' },
      'UND_ERR_CONNECT_TIMEOUT proxy.corp.internal:3128'],
    ['a connection not made in time to any of a name\'s addresses', 'https://api.mackerelio.com/',
      { code: 'UND_ERR_CONNECT_TIMEOUT', message: 'Connect Timeout Error (attempted addresses: 10.0.0.8:443, 10.0.0.9:443, timeout: 10000ms)' },
      'UND_ERR_CONNECT_TIMEOUT 10.0.0.8:443'],
    ['a connection error that names no host', 'https://api.mackerelio.com/', { code: 'ENETUNREACH' }, 'ENETUNREACH'],
  ])('%s', async (_what, apiBase, cause, why) => {
    expect(await messageOf(apiBase, cause)).toBe(`cannot reach the Mackerel API at ${apiBase} (${why}); start one with \`cdk-mackerel emulator\`, `
      + 'pass --emulator, or check --api-base');
  });

  test('never with a proxy URL\'s user name and password, which the network error\'s own text may quote', async () => {
    const message = await messageOf('https://api.mackerelio.com/',
      { code: 'ECONNREFUSED', address: '10.0.0.8', port: 3128, message: 'connect ECONNREFUSED http://proxyuser:s3cret@10.0.0.8:3128' });
    expect(message).toContain('(ECONNREFUSED 10.0.0.8:3128)');
    expect(message).not.toContain('s3cret');
    expect(message).not.toContain('proxyuser');
  });
});

describe('a proxy that does not open the tunnel to an https API is said to have answered, as the handler reads it', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    resetSettings();
  });
  const connect = (status: number) => ({ name: 'AbortError', code: 'UND_ERR_ABORTED', message: `Proxy response (${status}) !== 200 when HTTP Tunneling` });

  test.each([407, 403])('a %i is final: the proxy refused the call, not Mackerel, so the key is not blamed', async (status) => {
    const fetch = failing(connect(status));
    vi.stubGlobal('fetch', fetch);
    const get = _createGet({ apiBase: 'https://api.mackerelio.com/', apiKey: 'key-of-the-organization-0123456789', timeoutMs: 5000 });

    const message = await get('/api/v0/org').then(() => 'no error', (e: Error) => e.message);

    expect(message).toBe(`GET /api/v0/org failed: HTTP ${status}: the proxy's answer to CONNECT; nothing reached Mackerel; the answer is `
      + `${status === 407 ? 'a proxy\'s HTTP 407' : 'not Mackerel\'s JSON error'}, so something between this machine and Mackerel `
      + `(a proxy, a load balancer, a firewall) refused the call, not Mackerel: ${_CHECK_THE_WAY}`);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  test.each([408, 429, 502])('a %i is sent again, as the handler sends it, then said as the proxy\'s answer', async (status) => {
    Object.assign(settings, { baseDelayMs: 1, maxDelayMs: 1, maxAttempts: 3 });
    const fetch = failing(connect(status));
    vi.stubGlobal('fetch', fetch);
    const get = _createGet({ apiBase: 'https://api.mackerelio.com/', apiKey: 'key-of-the-organization-0123456789', timeoutMs: 5000 });

    const message = await get('/api/v0/org').then(() => 'no error', (e: Error) => e.message);

    expect(message).toBe(`GET /api/v0/org failed: HTTP ${status}: the proxy's answer to CONNECT; nothing reached Mackerel (gave up after 3 attempts: attempt limit reached)`);
    expect(fetch).toHaveBeenCalledTimes(3);
  });
});
