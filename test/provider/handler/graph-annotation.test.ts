import { beforeEach, describe, expect, test } from 'vitest';
import { rejectionOf } from './_capture';
import { api, FakeResource, useEmulator, writes } from './_harness';
import { _RESOURCE_TYPES } from '../../../src/provider/_properties';

const env = useEmulator();

function bodyOf(request: { body?: unknown }) {
  return typeof request.body === 'string' ? JSON.parse(request.body) : request.body;
}

beforeEach(async () => {
  expect((await api(env.emulator, 'POST', '/api/v0/services', { name: 'shop' })).status).toBe(200);
  expect((await api(env.emulator, 'POST', '/api/v0/services/shop/roles', { name: 'web' })).status).toBe(200);
});

describe('Custom::MackerelGraphAnnotation', () => {
  const deploy = { title: 'deploy Shop', description: 'Shop, revision abc', service: 'shop', roles: ['web'], revision: 'abc' };

  test('create posts an annotation at this moment, without the revision, and returns its ID', async () => {
    const annotation = new FakeResource(_RESOURCE_TYPES.GRAPH_ANNOTATION, 'Deploys');
    const from = env.emulator.requests().length;
    const before = Math.floor(Date.now() / 1000);

    const { PhysicalResourceId: id, Data } = await annotation.create(deploy);

    const after = Math.floor(Date.now() / 1000);
    expect(Data).toEqual({ GraphAnnotationId: id });
    const [sent] = writes(env.emulator, from);
    const body = bodyOf(sent);
    expect(body).toEqual({ title: 'deploy Shop', description: 'Shop, revision abc', service: 'shop', roles: ['web'], from: body.from, to: body.from });
    expect(body.from).toBeGreaterThanOrEqual(before);
    expect(body.from).toBeLessThanOrEqual(after);
    expect(env.emulator.state().graphAnnotations).toEqual([{ id, ...body }]);
  });

  test('each update posts a new annotation and the cleanup keeps the earlier one as history; delete keeps the last', async () => {
    const annotation = new FakeResource(_RESOURCE_TYPES.GRAPH_ANNOTATION, 'Deploys');
    const { PhysicalResourceId: first } = await annotation.create(deploy);

    const next = await annotation.update({ ...deploy, revision: 'def', description: 'Shop, revision def' });

    expect(next.replaced).toBe(true);
    expect(next.PhysicalResourceId).not.toBe(first);
    expect(env.emulator.state().graphAnnotations.map((a) => a.id)).toEqual([first, next.PhysicalResourceId]);
    await expect(annotation.delete()).resolves.toMatchObject({ Data: { LeftInMackerel: 'a graph annotation is part of the deploy history, so it is kept until its service is deleted' } });
    expect(env.emulator.state().graphAnnotations).toHaveLength(2);
  });

  test('a service-wide annotation sends no roles and no description when none is given', async () => {
    const annotation = new FakeResource(_RESOURCE_TYPES.GRAPH_ANNOTATION, 'Deploys');
    const from = env.emulator.requests().length;
    await annotation.create({ title: 'release', service: 'shop', revision: '1' });
    expect(Object.keys(bodyOf(writes(env.emulator, from)[0])).sort()).toEqual(['from', 'service', 'title', 'to']);
  });

  test('a default description with values joined at deploy (cutDescription) is cut to 1024 characters; any other is Mackerel\'s to refuse', async () => {
    const annotation = new FakeResource(_RESOURCE_TYPES.GRAPH_ANNOTATION, 'Deploys');
    // a revision's parameter value (an SSM parameter holding a JSON document, say) of 1100 characters, with an emoji at the cut
    const long = `Shop, revision abc ${'x'.repeat(1003)}😀${'y'.repeat(100)}`;
    const from = env.emulator.requests().length;

    await annotation.create({ ...deploy, description: long, cutDescription: 'true' });

    const body = bodyOf(writes(env.emulator, from)[0]);
    expect([...body.description]).toHaveLength(1024);
    expect(body.description).toBe(`${[...long].slice(0, 1023).join('')}…`);
    expect(body).not.toHaveProperty('cutDescription');
    const other = new FakeResource(_RESOURCE_TYPES.GRAPH_ANNOTATION, 'Other');
    expect((await rejectionOf(other.create({ ...deploy, description: long }))).message).toMatch(/HTTP 400: .*description must be at most 1024 characters/);
  });

  test('Mackerel\'s own message reaches CloudFormation: an unknown role', async () => {
    const annotation = new FakeResource(_RESOURCE_TYPES.GRAPH_ANNOTATION, 'Deploys');
    const error = await rejectionOf(annotation.create({ ...deploy, roles: ['batch'] }));
    expect(error.message).toMatch(/POST \/api\/v0\/graph-annotations: HTTP 404: .*role/);
    expect(env.emulator.state().graphAnnotations).toEqual([]);
  });
});
