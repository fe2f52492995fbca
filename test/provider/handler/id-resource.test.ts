import { describe, expect, test } from 'vitest';
import { captureLogs } from './_capture';
import { fakeContext } from './_fake-client';
import { idResource } from '../../../src/provider/handler/id-resource';

const logs = captureLogs();

/** The handler's log lines since the test began, parsed. */
const logged = () => logs.lines().map((l) => JSON.parse(l));

const byId = idResource({
  path: '/api/v0/things',
  noun: 'thing',
  dataKey: 'ThingId',
  schema: { type: 'string', name: 'string' },
  replacedOn: (props, old) => (props.type !== old.type ? ['type'] : []),
});
const byList = idResource({ path: '/api/v0/items', noun: 'item', dataKey: 'ItemId', schema: { name: 'string' }, listKey: 'items' });

describe('idResource', () => {
  test('create POSTs and returns the ID as physical ID and Data', async () => {
    const { ctx, calls, bodies } = fakeContext({ 'POST /api/v0/things': { id: 'new1' } });

    await expect(byId.create(ctx, { type: 'a', name: 'x' })).resolves.toEqual({ physicalResourceId: 'new1', data: { ThingId: 'new1' } });
    expect(calls).toEqual(['POST /api/v0/things']);
    expect(bodies).toEqual([{ type: 'a', name: 'x' }]);
  });

  test('create fails when the answer has no id', async () => {
    const { ctx } = fakeContext({ 'POST /api/v0/things': {} });

    await expect(byId.create(ctx, { name: 'x' })).rejects.toThrow('POST /api/v0/things: the response has no id');
  });

  test('update PUTs in place; a 404 from PUT re-creates under a new ID', async () => {
    const inPlace = fakeContext({ 'PUT /api/v0/things/id1': {} });
    await expect(byId.update(inPlace.ctx, 'id1', { type: 'a', name: 'y' }, { type: 'a', name: 'x' })).resolves.toMatchObject({ physicalResourceId: 'id1' });
    expect(inPlace.calls).toEqual(['PUT /api/v0/things/id1']);

    const gone = fakeContext({ 'POST /api/v0/things': { id: 'id2' } });
    await expect(byId.update(gone.ctx, 'id1', { type: 'a', name: 'y' }, { type: 'a', name: 'x' })).resolves.toMatchObject({ physicalResourceId: 'id2' });
    expect(gone.calls).toEqual(['PUT /api/v0/things/id1', 'POST /api/v0/things']);
  });

  test('update of a field the API cannot change creates a replacement without touching the old one', async () => {
    const { ctx, calls } = fakeContext({ 'GET /api/v0/things/id1': { id: 'id1', type: 'a', name: 'x' }, 'POST /api/v0/things': { id: 'id2' } });

    await expect(byId.update(ctx, 'id1', { type: 'b', name: 'x' }, { type: 'a', name: 'x' })).resolves.toMatchObject({ physicalResourceId: 'id2' });
    expect(calls).toEqual(['GET /api/v0/things/id1', 'POST /api/v0/things']);
  });

  test('an object that already has the new value of such a field (a rollback of a failed replacement) is updated in place', async () => {
    const { ctx, calls } = fakeContext({ 'GET /api/v0/things/id1': { id: 'id1', type: 'a', name: 'x' }, 'PUT /api/v0/things/id1': {} });

    await expect(byId.update(ctx, 'id1', { type: 'a', name: 'x' }, { type: 'b', name: 'y' })).resolves.toMatchObject({ physicalResourceId: 'id1' });
    expect(calls).toEqual(['GET /api/v0/things/id1', 'PUT /api/v0/things/id1']);
  });

  test('a no-op update only reads: GET by ID, or the list', async () => {
    const one = fakeContext({ 'GET /api/v0/things/id1': { thing: {} } });
    await expect(byId.update(one.ctx, 'id1', { name: 'x' }, { name: 'x' })).resolves.toMatchObject({ physicalResourceId: 'id1' });
    expect(one.calls).toEqual(['GET /api/v0/things/id1']);

    const list = fakeContext({ 'GET /api/v0/items': { items: [{ id: 'other' }, { id: 'id1' }] } });
    await expect(byList.update(list.ctx, 'id1', { name: 'x' }, { name: 'x' })).resolves.toMatchObject({ physicalResourceId: 'id1' });
    expect(list.calls).toEqual(['GET /api/v0/items']);
  });

  test('a no-op update of an object gone from the list re-creates it', async () => {
    const { ctx, calls } = fakeContext({ 'GET /api/v0/items': { items: [] }, 'POST /api/v0/items': { id: 'id9' } });

    await expect(byList.update(ctx, 'id1', { name: 'x' }, { name: 'x' })).resolves.toMatchObject({ physicalResourceId: 'id9' });
    expect(calls).toEqual(['GET /api/v0/items', 'POST /api/v0/items']);
  });

  test('an error other than 404 from PUT fails the update', async () => {
    const { ctx } = fakeContext({ 'PUT /api/v0/things/id1': 400 });

    await expect(byId.update(ctx, 'id1', { name: 'y' }, { name: 'x' })).rejects.toThrow('PUT /api/v0/things/id1: HTTP 400: status 400');
  });

  test('delete treats 404 as success and skips physical IDs that are not Mackerel IDs', async () => {
    const { ctx, calls } = fakeContext({});

    await byId.delete(ctx, 'id1');
    await byId.delete(ctx, 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED');
    await byId.delete(ctx, '');

    expect(calls).toEqual(['DELETE /api/v0/things/id1']);
  });

  test('a no-op update of an object whose GET by ID is Mackerel\'s 404 re-creates it, with one warning naming the old ID', async () => {
    const { ctx, calls, bodies } = fakeContext({ 'POST /api/v0/things': { id: 'id2' } });

    await expect(byId.update(ctx, 'id1', { type: 'a', name: 'x' }, { type: 'a', name: 'x' })).resolves.toEqual({ physicalResourceId: 'id2', data: { ThingId: 'id2' } });
    expect(calls).toEqual(['GET /api/v0/things/id1', 'POST /api/v0/things']);
    expect(bodies[1]).toEqual({ type: 'a', name: 'x' });
    expect(logged().filter((l) => l.level === 'warn')).toEqual([{ level: 'warn', message: 'the object was deleted outside the stack; re-creating it', id: 'id1' }]);
  });

  test('a no-op update whose GET by ID fails otherwise fails, creating nothing', async () => {
    const { ctx, calls } = fakeContext({ 'GET /api/v0/things/id1': 500, 'POST /api/v0/things': { id: 'id2' } });

    await expect(byId.update(ctx, 'id1', { name: 'x' }, { name: 'x' })).rejects.toThrow('GET /api/v0/things/id1: HTTP 500: status 500');
    expect(calls).toEqual(['GET /api/v0/things/id1']);
  });

  test('an update whose PUT is Mackerel\'s 404 warns once, naming the old ID, before re-creating', async () => {
    const { ctx } = fakeContext({ 'POST /api/v0/things': { id: 'id2' } });

    await byId.update(ctx, 'id1', { type: 'a', name: 'y' }, { type: 'a', name: 'x' });
    expect(logged().filter((l) => l.level === 'warn')).toEqual([{ level: 'warn', message: 'the object was deleted outside the stack; re-creating it', id: 'id1' }]);
  });

  test('delete logs the ID deleted, or already deleted on Mackerel\'s 404', async () => {
    await byId.delete(fakeContext({ 'DELETE /api/v0/things/id1': {} }).ctx, 'id1');
    await byId.delete(fakeContext({}).ctx, 'id2');

    expect(logged()).toEqual([{ level: 'info', message: 'deleted', id: 'id1' }, { level: 'info', message: 'already deleted', id: 'id2' }]);
  });

  test('delete fails on any other error', async () => {
    const { ctx } = fakeContext({ 'DELETE /api/v0/things/id1': 403 });

    await expect(byId.delete(ctx, 'id1')).rejects.toThrow('DELETE /api/v0/things/id1: HTTP 403');
  });
});
