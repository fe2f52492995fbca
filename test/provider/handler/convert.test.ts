import { describe, expect, test } from 'vitest';
import { asCloudFormationSends } from './_harness';
import {
  _AlertGroupSettingProperties, _AwsIntegrationProperties, _ChannelProperties, _DowntimeProperties, _MonitorProperties,
  _NotificationGroupProperties, _RESOURCE_TYPES, _RoleProperties, _ServiceProperties,
} from '../../../src/provider/_properties';
import { changedFields, convert, deepEqual } from '../../../src/provider/handler/convert';
import { RESOURCE_MODULES } from '../../../src/provider/handler/index';

/** Every field of the contract, typed by its interface so that the compiler keeps this in step. */
const MONITOR: Required<_MonitorProperties> = {
  type: 'external',
  name: 'every field',
  memo: 'memo',
  notificationInterval: 60,
  isMute: false,
  metric: 'cpu%',
  operator: '>',
  warning: 80.5,
  critical: 90,
  duration: 3,
  maxCheckAttempts: 2,
  scopes: ['shop', 'shop:web'],
  excludeScopes: ['shop:batch'],
  alertStatusOnGone: 'WARNING',
  service: 'shop',
  missingDurationWarning: 30,
  missingDurationCritical: 10080,
  url: 'https://shop.example.com/',
  method: 'POST',
  responseTimeWarning: 1500,
  responseTimeCritical: 3000,
  responseTimeDuration: 3,
  containsString: 'ok',
  certificationExpirationWarning: 30,
  certificationExpirationCritical: 7,
  skipCertificateVerification: true,
  expectedStatusCode: 204,
  headers: [{ name: 'Cache-Control', value: 'no-cache' }],
  requestBody: '{"a":1}',
  followRedirect: true,
  dualstack: 'auto',
  expression: 'avg(roleSlots("shop:web","loadavg5"))',
  evaluateBackwardMinutes: 2,
  warningSensitivity: 'normal',
  criticalSensitivity: 'insensitive',
  trainingPeriodFrom: 1767225600,
  query: 'container.cpu.utilization{service="shop"}',
  legend: '{{container}}',
};

const SERVICE: Required<_ServiceProperties> = { name: 'shop', memo: 'the shop' };
const ROLE: Required<_RoleProperties> = { service: 'shop', name: 'web', memo: 'web tier' };
const CHANNEL: Required<_ChannelProperties> = {
  type: 'slack',
  name: 'ops',
  emails: ['a@example.com'],
  userIds: ['u1'],
  url: 'https://hooks.slack.com/services/T/B/X',
  mentions: { ok: 'ok', warning: '@here', critical: '@channel' },
  enabledGraphImage: true,
  events: ['alert', 'alertGroup'],
};
const NOTIFICATION_GROUP: Required<_NotificationGroupProperties> = {
  name: 'ops',
  notificationLevel: 'critical',
  childNotificationGroupIds: ['g1'],
  childChannelIds: ['c1', 'c2'],
  monitors: [{ id: 'm1', skipDefault: true }, { id: 'm2', skipDefault: false }],
  services: [{ name: 'shop' }],
};
const ALERT_GROUP_SETTING: Required<_AlertGroupSettingProperties> = {
  name: 'web',
  memo: 'memo',
  serviceScopes: ['shop'],
  roleScopes: ['shop:web'],
  monitorScopes: ['m1'],
  notificationInterval: 30,
};
const DOWNTIME: Required<_DowntimeProperties> = {
  name: 'weekly',
  memo: 'memo',
  start: 1796518800,
  duration: 120,
  recurrence: { type: 'weekly', interval: 1, weekdays: ['Sunday', 'Saturday'], until: 1830000000 },
  serviceScopes: ['shop'],
  serviceExcludeScopes: ['other'],
  roleScopes: ['shop:web'],
  roleExcludeScopes: ['shop:batch'],
  monitorScopes: ['m1'],
  monitorExcludeScopes: ['m2'],
};
const AWS_INTEGRATION: Required<_AwsIntegrationProperties> = {
  name: 'prod',
  memo: 'memo',
  roleArn: 'arn:aws:iam::123456789012:role/mackerel',
  externalId: 'ext-123',
  region: 'ap-northeast-1',
  includedTags: 'env:prod,"a:b":c',
  excludedTags: 'team:x',
  services: {
    'ECSCluster': { enable: true, role: 'shop:ecs', excludedMetrics: ['ecs.cpu'], includedMetrics: [], retireAutomatically: true },
    'Route 53': { enable: false },
  },
};

describe('each type\'s field table', () => {
  test.each([
    [_RESOURCE_TYPES.SERVICE, SERVICE],
    [_RESOURCE_TYPES.ROLE, ROLE],
    [_RESOURCE_TYPES.MONITOR, MONITOR],
    [_RESOURCE_TYPES.CHANNEL, CHANNEL],
    [_RESOURCE_TYPES.NOTIFICATION_GROUP, NOTIFICATION_GROUP],
    [_RESOURCE_TYPES.ALERT_GROUP_SETTING, ALERT_GROUP_SETTING],
    [_RESOURCE_TYPES.DOWNTIME, DOWNTIME],
    [_RESOURCE_TYPES.AWS_INTEGRATION, AWS_INTEGRATION],
    [_RESOURCE_TYPES.AWS_INTEGRATION_EXTERNAL_ID, {}],
  ])('%s: every contract field comes back from CloudFormation strings with its type', (type, typed) => {
    const sent = asCloudFormationSends(typed);

    expect(convert(RESOURCE_MODULES[type].schema, sent)).toEqual(typed);
  });

  test('serves every type of the contract, and only those', () => {
    expect(Object.keys(RESOURCE_MODULES).sort()).toEqual(Object.values(_RESOURCE_TYPES).sort());
  });

  test('the monitor table types every number and boolean the contract lists', () => {
    const typed = convert(RESOURCE_MODULES[_RESOURCE_TYPES.MONITOR].schema, asCloudFormationSends(MONITOR));
    const numbers = Object.keys(typed).filter((k) => typeof typed[k] === 'number').sort();
    const booleans = Object.keys(typed).filter((k) => typeof typed[k] === 'boolean').sort();

    expect(numbers).toEqual([
      'certificationExpirationCritical', 'certificationExpirationWarning', 'critical', 'duration', 'evaluateBackwardMinutes',
      'expectedStatusCode', 'maxCheckAttempts', 'missingDurationCritical', 'missingDurationWarning', 'notificationInterval',
      'responseTimeCritical', 'responseTimeDuration', 'responseTimeWarning', 'trainingPeriodFrom', 'warning',
    ]);
    expect(booleans).toEqual(['followRedirect', 'isMute', 'skipCertificateVerification']);
  });
});

describe('convert', () => {
  const schema = { n: 'number', b: 'boolean', s: 'string', l: 'string[]', o: { x: 'number' }, lo: { listOf: { y: 'boolean' } }, m: { mapOf: { z: 'number' } } } as const;

  test('accepts values that are already typed', () => {
    expect(convert(schema, { n: 1.5, b: true, s: 's' })).toEqual({ n: 1.5, b: true, s: 's' });
  });

  test('converts at every depth', () => {
    expect(convert(schema, { o: { x: '3' }, lo: [{ y: 'false' }], m: { 'Route 53': { z: '0' } } }))
      .toEqual({ o: { x: 3 }, lo: [{ y: false }], m: { 'Route 53': { z: 0 } } });
  });

  test('rejects an unknown field, naming it and the known ones', () => {
    expect(() => convert(schema, { warn: '80' })).toThrow('property warn "80" is not a known field; expected one of n, b, s, l, o, lo, m');
  });

  test('rejects a field that only exists on Object.prototype', () => {
    expect(() => convert(schema, { constructor: 'x' })).toThrow(/property constructor "x" is not a known field/);
  });

  test('rejects a number that is not one, with its path', () => {
    expect(() => convert(schema, { o: { x: 'eighty' } })).toThrow('property o.x "eighty" is not a number; expected a number such as "80" or "1.5"');
    expect(() => convert(schema, { n: '' })).toThrow('property n "" is not a number');
  });

  test('rejects a boolean that is not "true" or "false"', () => {
    expect(() => convert(schema, { lo: [{ y: 'yes' }] })).toThrow('property lo[0].y "yes" is not a boolean; expected "true" or "false"');
  });

  test('rejects a list that is not one', () => {
    expect(() => convert(schema, { l: 'shop' })).toThrow('property l "shop" is not a list; expected a list');
  });

  test('rejects properties that are not an object', () => {
    expect(() => convert(schema, 'x')).toThrow('property ResourceProperties "x" is not an object; expected an object');
  });
});

describe('deepEqual and changedFields', () => {
  test('compare converted properties structurally', () => {
    expect(deepEqual({ a: [1, { b: true }] }, { a: [1, { b: true }] })).toBe(true);
    expect(deepEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(deepEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(changedFields({ name: 'a', warning: 80, scopes: ['x'] }, { name: 'a', warning: 85, memo: 'm', scopes: ['x'] })).toEqual(['memo', 'warning']);
  });
});
