import { Props } from '../convert';
import { idResource } from '../id-resource';
import { DOWNTIME_SCHEMA } from './downtime';

const { start: _start, recurrence: _recurrence, ...FIELDS } = DOWNTIME_SCHEMA;

/**
 * `_DeploymentDowntimeProperties`: the downtime of `downtime.ts`, started by the deploy itself.
 * A create, and an update that changes `revision` (a new deploy), send `start` = now, so the
 * downtime covers the rollout that follows. An update that changes only the other properties
 * (its name, memo, duration or scopes) keeps the start Mackerel has, as no rollout follows it:
 * a longer duration lengthens the downtime under way, it does not mute a deploy-free hour. An
 * update that changes nothing leaves it alone. A rollback that sends an older revision back
 * starts it again, for the ECS services rolling back. An update of a downtime deleted in
 * Mackerel re-creates it: started now for a new revision, and otherwise as already over (its
 * start is lost, and without a new revision no rollout follows: it must not mute alerts for a
 * deploy that is not happening). The API has no `revision`: it stays in CloudFormation.
 */
export const deploymentDowntime = idResource({
  path: '/api/v0/downtimes',
  noun: 'downtime',
  dataKey: 'DowntimeId',
  schema: { ...FIELDS, revision: 'string' },
  listKey: 'downtimes',
  body: async (props: Props, oldProps?: Props, live?: () => Promise<Props | undefined>) => {
    const { revision, ...downtime } = props;
    const kept = oldProps !== undefined && oldProps.revision === revision ? (await live?.())?.start : undefined;
    return { ...downtime, start: typeof kept === 'number' ? kept : Math.floor(Date.now() / 1000) };
  },
  recreateBody: (props: Props, oldProps: Props) => {
    const { revision, ...downtime } = props;
    const now = Math.floor(Date.now() / 1000);
    const over = oldProps.revision === revision && typeof downtime.duration === 'number' ? Math.max(0, now - downtime.duration * 60) : now;
    return { ...downtime, start: over };
  },
});
