import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, test } from 'vitest';
import { expectError, ok, Reply, useEmulator } from './_emulator';
import { readEmulatorState, startEmulator, writeEmulatorState } from '../../src/emulator';

const env = useEmulator();
type Body = { [field: string]: unknown };

const PATH = '/api/v0/graph-annotations';
const DEPLOY = { title: 'deploy application', description: 'link: https://example.com/', from: 1484000000, to: 1484000030, service: 'shop', roles: ['web', 'db'] };

function variant(base: Body, change: Body): Body {
  const out: Body = { ...base, ...change };
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out;
}

const list = (service: string, from: number | string, to: number | string) => env.call('GET', `${PATH}?service=${service}&from=${from}&to=${to}`);
const titles = (reply: Reply) => ok(reply).graphAnnotations.map((a: Body) => a.title);

beforeEach(async () => {
  ok(await env.call('POST', '/api/v0/services', { name: 'shop' }));
  ok(await env.call('POST', '/api/v0/services/shop/roles', { name: 'web' }));
  ok(await env.call('POST', '/api/v0/services/shop/roles', { name: 'db' }));
  ok(await env.call('POST', '/api/v0/services', { name: 'other' }));
  ok(await env.call('POST', '/api/v0/services/other/roles', { name: 'batch' }));
});

describe('POST', () => {
  test('returns the input with an ID, which GET lists', async () => {
    const created = ok(await env.call('POST', PATH, DEPLOY));
    expect(created).toEqual({ id: expect.stringMatching(/^\w{11}$/), ...DEPLOY });
    expect(ok(await list('shop', DEPLOY.from, DEPLOY.to))).toEqual({ graphAnnotations: [created] });
    expect(env.emulator.state().graphAnnotations).toEqual([created]);
  });

  test('without roles annotates the whole service: no roles key, and an omitted description reads as empty', async () => {
    const created = ok(await env.call('POST', PATH, variant(DEPLOY, { roles: undefined, description: undefined })));
    expect(created).toEqual({ id: created.id, title: DEPLOY.title, description: '', from: DEPLOY.from, to: DEPLOY.to, service: 'shop' });
    expect(ok(await list('shop', DEPLOY.from, DEPLOY.to)).graphAnnotations).toEqual([created]);
  });

  test('an empty roles list is a whole-service annotation too', async () => {
    const created = ok(await env.call('POST', PATH, variant(DEPLOY, { roles: [] })));
    expect(created).not.toHaveProperty('roles');
    expect(ok(await list('shop', DEPLOY.from, DEPLOY.to)).graphAnnotations[0]).not.toHaveProperty('roles');
  });

  test('an ID is not taken', async () => {
    expectError(await env.call('POST', PATH, variant(DEPLOY, { id: 'abc' })), 400, /^id must not be given when creating a graph annotation$/);
    expect(env.emulator.state().graphAnnotations).toEqual([]);
  });

  test('needs a write key', async () => {
    expectError(await env.read('POST', PATH, DEPLOY), 403, /read-only/);
  });
});

/** What POST and PUT both check: `path()` is where the body goes (PUT onto an existing annotation). */
describe.each([
  ['POST', async () => PATH],
  ['PUT', async () => `${PATH}/${ok(await env.call('POST', PATH, DEPLOY)).id}`],
])('%s checks the body', (method, path) => {
  const held = () => env.emulator.state().graphAnnotations;
  /** The state before the rejected call, to see that nothing changed. */
  const refused = async (body: unknown, status: number, message: RegExp) => {
    const at = await path();
    const before = held();
    expectError(await env.call(method, at, body), status, message);
    expect(held()).toEqual(before);
  };
  const accepted = async (body: Body) => {
    expect(ok(await env.call(method, await path(), body))).toMatchObject(body);
  };

  test('a title of 250 characters is accepted, 251 refused', async () => {
    await accepted(variant(DEPLOY, { title: 'a'.repeat(250) }));
    await refused(variant(DEPLOY, { title: 'a'.repeat(251) }), 400, /^title must be at most 250 characters$/);
  });

  test('characters are counted as code points: 250 emoji are 250 characters', async () => {
    await accepted(variant(DEPLOY, { title: '🐟'.repeat(250) }));
    await refused(variant(DEPLOY, { title: '🐟'.repeat(251) }), 400, /^title must be at most 250 characters$/);
  });

  test('a description of 1024 characters is accepted, 1025 refused', async () => {
    await accepted(variant(DEPLOY, { description: 'd'.repeat(1024) }));
    await refused(variant(DEPLOY, { description: 'd'.repeat(1025) }), 400, /^description must be at most 1024 characters$/);
  });

  test('from == to is accepted, from > to refused', async () => {
    await accepted(variant(DEPLOY, { from: 1484000000, to: 1484000000 }));
    await refused(variant(DEPLOY, { from: 1484000001, to: 1484000000 }), 400, /^from must not exceed to$/);
  });

  const MALFORMED: Array<[string, unknown, RegExp]> = [
    ['a body that is not an object', [DEPLOY], /^the request body must be a JSON object$/],
    ['a missing title', variant(DEPLOY, { title: undefined }), /^title is required$/],
    ['an empty title', variant(DEPLOY, { title: '' }), /^title must not be empty$/],
    ['a missing from', variant(DEPLOY, { from: undefined }), /^from is required$/],
    ['a missing to', variant(DEPLOY, { to: undefined }), /^to is required$/],
    ['a missing service', variant(DEPLOY, { service: undefined }), /^service is required$/],
    ['a title that is not a string', variant(DEPLOY, { title: 1 }), /^title must be a string$/],
    ['a description that is not a string', variant(DEPLOY, { description: ['x'] }), /^description must be a string$/],
    ['a from given as a string', variant(DEPLOY, { from: '1484000000' }), /^from must be a number$/],
    ['a fractional to', variant(DEPLOY, { to: 1484000030.5 }), /^to must be an integer$/],
    ['roles that are not a list', variant(DEPLOY, { roles: 'web' }), /^roles must be an array of strings$/],
    ['roles that are not strings', variant(DEPLOY, { roles: [1] }), /^roles must be an array of strings$/],
    ['a field annotations do not have', variant(DEPLOY, { scopes: ['shop'] }), /^scopes is not a field of a graph annotation$/],
    // Checked before the service is looked up: the body is at fault whatever it names.
    ['a too long title naming an unknown service', variant(DEPLOY, { title: 'a'.repeat(251), service: 'nope' }), /^title must be at most 250/],
  ];
  test.each(MALFORMED)('%s is refused', async (_what, body, message) => {
    await refused(body, 400, message);
  });

  test('an unknown service is a 404', async () => {
    await refused(variant(DEPLOY, { service: 'nope', roles: undefined }), 404, /^service is not found\.$/);
  });

  test('an unknown role is a 404, also one of another service, or one named with its service', async () => {
    await refused(variant(DEPLOY, { roles: ['web', 'api'] }), 404, /^role is not found\.$/);
    await refused(variant(DEPLOY, { roles: ['batch'] }), 404, /^role is not found\.$/);
    await refused(variant(DEPLOY, { roles: ['shop:web'] }), 404, /^role is not found\.$/);
  });
});

describe('GET', () => {
  /** Each annotation's title is its interval. */
  async function annotate(service: string, from: number, to: number): Promise<void> {
    ok(await env.call('POST', PATH, { title: `${from}-${to}`, from, to, service }));
  }

  beforeEach(async () => {
    await annotate('shop', 10, 20);
    await annotate('shop', 100, 200);
    await annotate('shop', 150, 350);
    await annotate('shop', 220, 230);
    await annotate('shop', 300, 400);
    await annotate('shop', 401, 500);
    await annotate('other', 0, 1000);
  });

  test('lists the service\'s annotations that intersect the period, touching ends included', async () => {
    expect(titles(await list('shop', 200, 300))).toEqual(['100-200', '150-350', '220-230', '300-400']);
  });

  test('an annotation one second before or after the period is left out', async () => {
    expect(titles(await list('shop', 201, 299))).toEqual(['150-350', '220-230']);
  });

  test('a period of one instant finds the annotations around it', async () => {
    expect(titles(await list('shop', 225, 225))).toEqual(['150-350', '220-230']);
  });

  test('the annotations of other services are left out', async () => {
    expect(titles(await list('other', 0, 1000))).toEqual(['0-1000']);
    expect(titles(await list('shop', 0, 5))).toEqual([]);
  });

  test('a read-only key may list', async () => {
    expect(ok(await env.read('GET', `${PATH}?service=shop&from=10&to=10`)).graphAnnotations).toHaveLength(1);
  });

  test.each([
    ['service', 'from=0&to=1', /^service is required$/],
    ['service', 'service=&from=0&to=1', /^service is required$/],
    ['from', 'service=shop&to=1', /^from is required$/],
    ['to', 'service=shop&from=0', /^to is required$/],
  ])('a missing %s is a 400 (%s)', async (_param, query, message) => {
    expectError(await env.call('GET', `${PATH}?${query}`), 400, message);
  });

  test('with no query at all is a 400', async () => {
    expectError(await env.call('GET', PATH), 400, /is required$/);
  });

  test.each([['from', 'abc', '1'], ['to', '0', 'soon'], ['from', '', '1'], ['to', '0', '1.5']])('a %s that is not an integer is a 400', async (param, from, to) => {
    expectError(await list('shop', from, to), 400, new RegExp(`^${param} must be an integer$`));
  });

  test('an unknown service is a 404', async () => {
    expectError(await list('nope', 0, 1000), 404, /^service is not found\.$/);
  });
});

describe('PUT', () => {
  test('replaces the annotation, keeps its ID and returns the input with it', async () => {
    const { id } = ok(await env.call('POST', PATH, DEPLOY));
    const change = { title: 'rollback', from: 1484000100, to: 1484000200, service: 'other', roles: ['batch'] };
    expect(ok(await env.call('PUT', `${PATH}/${id}`, change))).toEqual({ id, description: '', ...change });
    expect(env.emulator.state().graphAnnotations).toEqual([{ id, description: '', ...change }]);
  });

  test('without roles makes the annotation service-wide', async () => {
    const { id } = ok(await env.call('POST', PATH, DEPLOY));
    ok(await env.call('PUT', `${PATH}/${id}`, variant(DEPLOY, { roles: undefined })));
    expect(env.emulator.state().graphAnnotations[0]).not.toHaveProperty('roles');
  });

  test('may carry the annotation\'s own ID, not another', async () => {
    const created = ok(await env.call('POST', PATH, DEPLOY));
    expect(ok(await env.call('PUT', `${PATH}/${created.id}`, created))).toEqual(created);
    expectError(await env.call('PUT', `${PATH}/${created.id}`, variant(DEPLOY, { id: 'other' })), 400, /does not match the graph annotation ID/);
  });

  test('of an unknown ID is a 404', async () => {
    expectError(await env.call('PUT', `${PATH}/nope`, DEPLOY), 404, /^graph annotation is not found\.$/);
  });
});

describe('DELETE', () => {
  test('returns the annotation as it was; a second time is a 404', async () => {
    const created = ok(await env.call('POST', PATH, DEPLOY));
    const kept = ok(await env.call('POST', PATH, variant(DEPLOY, { title: 'kept' })));
    expect(ok(await env.call('DELETE', `${PATH}/${created.id}`))).toEqual(created);
    expect(env.emulator.state().graphAnnotations).toEqual([kept]);
    expectError(await env.call('DELETE', `${PATH}/${created.id}`), 404, /^graph annotation is not found\.$/);
  });

  test('of an unknown ID is a 404', async () => {
    expectError(await env.call('DELETE', `${PATH}/nope`), 404, /^graph annotation is not found\.$/);
  });
});

describe('with services and roles', () => {
  test('deleting a service deletes its annotations, not those of other services', async () => {
    ok(await env.call('POST', PATH, DEPLOY));
    ok(await env.call('POST', PATH, variant(DEPLOY, { roles: undefined })));
    const elsewhere = ok(await env.call('POST', PATH, variant(DEPLOY, { service: 'other', roles: ['batch'] })));
    ok(await env.call('DELETE', '/api/v0/services/shop'));
    expect(env.emulator.state().graphAnnotations).toEqual([elsewhere]);
  });

  test('deleting a role leaves the annotations that name it (undocumented)', async () => {
    const created = ok(await env.call('POST', PATH, DEPLOY));
    ok(await env.call('DELETE', '/api/v0/services/shop/roles/db'));
    expect(env.emulator.state().graphAnnotations).toEqual([created]);
  });
});

test('annotations are saved with the state and served again from it', async () => {
  const created = ok(await env.call('POST', PATH, DEPLOY));
  const file = join(mkdtempSync(join(tmpdir(), 'cdk-mackerel-emulator-')), 'emulator.json');
  writeEmulatorState(file, env.emulator.state());
  const restarted = await startEmulator({ state: readEmulatorState(file) });
  try {
    const url = new URL(`api/v0/graph-annotations?service=shop&from=${DEPLOY.from}&to=${DEPLOY.to}`, restarted.url);
    const response = await fetch(url, { headers: { 'X-Api-Key': restarted.apiKey } });
    expect(await response.json()).toEqual({ graphAnnotations: [created] });
  } finally {
    await restarted.close();
  }
});
