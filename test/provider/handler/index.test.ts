import { describe, expect, test } from 'vitest';
import { rejectionOf } from './_capture';
import { cfnEvent, lambdaContext, useEmulator } from './_harness';
import { _RESOURCE_TYPES } from '../../../src/provider/_properties';
import { handler } from '../../../src/provider/handler/index';

const env = useEmulator();

describe('handler', () => {
  test('routes by resource type and returns the onEvent shape', async () => {
    const result = await handler(cfnEvent('Create', _RESOURCE_TYPES.AWS_INTEGRATION_EXTERNAL_ID, 'ExternalId', {}), lambdaContext());

    expect(Object.keys(result).sort()).toEqual(['Data', 'PhysicalResourceId']);
    expect(result.Data).toEqual({ ExternalId: result.PhysicalResourceId });
  });

  test('fails a type it does not serve, listing the ones it does', async () => {
    const error = await rejectionOf(handler(cfnEvent('Create', 'Custom::MackerelHost', 'Host', {}), lambdaContext()));

    expect(error.message).toMatch(/^Custom::MackerelHost Host: Create failed: the resource type is not one this handler serves; expected one of Custom::MackerelService, Custom::MackerelRole, /);
  });

  test('fails a property that does not fit its type before calling Mackerel', async () => {
    const from = env.emulator.requests().length;

    const error = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'host', warning: 'eighty' }), lambdaContext()));

    expect(error.message).toBe('Custom::MackerelMonitor Cpu: Create failed: property warning "eighty" is not a number; expected a number such as "80" or "1.5"');
    expect(env.emulator.requests().slice(from)).toEqual([]);
  });

  test('a long failure is cut, and carries no stack, so CloudFormation\'s 4096-byte response still holds Mackerel\'s words', async () => {
    const long = `bad query: ${'x'.repeat(3500)}`;
    env.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', status: 400, body: { error: { message: long } } });

    const error = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'connectivity', name: 'alive' }), lambdaContext()));

    expect(error.message).toMatch(/^Custom::MackerelMonitor Cpu: Create failed: .*HTTP 400: bad query: x+\.\.\. \(\d+ more characters in the handler's log\)$/);
    expect(error.message.length).toBeLessThan(1600);
    expect(error.stack).toBe('');
  });

  test('deletes by physical ID even when the properties no longer convert', async () => {
    const event = cfnEvent('Delete', _RESOURCE_TYPES.MONITOR, 'Cpu', { unknownField: 'x' }, { physicalId: 'abcDEF123' });

    await expect(handler(event, lambdaContext())).resolves.toEqual({ PhysicalResourceId: 'abcDEF123', Data: {} });
  });

  test('logs one JSON line per step, naming the request', async () => {
    await handler(cfnEvent('Create', _RESOURCE_TYPES.AWS_INTEGRATION_EXTERNAL_ID, 'ExternalId', {}), lambdaContext());

    const lines = env.logs.lines().map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ level: 'info', message: 'request', requestType: 'Create', resourceType: _RESOURCE_TYPES.AWS_INTEGRATION_EXTERNAL_ID, logicalResourceId: 'ExternalId' });
    expect(lines.at(-1)).toMatchObject({ message: 'done' });
  });

  test('fails clearly when the environment has no API key location', async () => {
    delete process.env.MACKEREL_APIKEY;

    const error = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'host' }), lambdaContext()));

    expect(error.message).toMatch(/^Custom::MackerelMonitor Cpu: Create failed: the handler does not know where the Mackerel API key is/);
  });
});
