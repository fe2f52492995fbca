import { ObjectSchema } from '../convert';
import { idResource } from '../id-resource';

/** `_DowntimeProperties`: times in epoch seconds, duration in minutes. */
export const DOWNTIME_SCHEMA: ObjectSchema = {
  name: 'string',
  memo: 'string',
  start: 'number',
  duration: 'number',
  recurrence: { type: 'string', interval: 'number', weekdays: 'string[]', until: 'number' },
  serviceScopes: 'string[]',
  serviceExcludeScopes: 'string[]',
  roleScopes: 'string[]',
  roleExcludeScopes: 'string[]',
  monitorScopes: 'string[]',
  monitorExcludeScopes: 'string[]',
};

export const downtime = idResource({
  path: '/api/v0/downtimes',
  noun: 'downtime',
  dataKey: 'DowntimeId',
  schema: DOWNTIME_SCHEMA,
  listKey: 'downtimes',
});
