import { Props } from '../convert';
import { idResource } from '../id-resource';
import { DOWNTIME_SCHEMA } from './downtime';

const { start: _start, recurrence: _recurrence, ...FIELDS } = DOWNTIME_SCHEMA;

/**
 * `_DeploymentDowntimeProperties`: the downtime of `downtime.ts`, started by the deploy itself.
 * Each create and each update that changes a property (a new `revision` is a new deploy) sends
 * `start` = now, so the downtime covers the rollout that follows; an update that changes nothing
 * leaves it alone. A rollback sends the old properties back, which starts it again for the way
 * back. The API has no `revision`: it stays in CloudFormation.
 */
export const deploymentDowntime = idResource({
  path: '/api/v0/downtimes',
  noun: 'downtime',
  dataKey: 'DowntimeId',
  schema: { ...FIELDS, revision: 'string' },
  listKey: 'downtimes',
  body: (props: Props) => {
    const { revision: _revision, ...downtime } = props;
    return { ...downtime, start: Math.floor(Date.now() / 1000) };
  },
});
