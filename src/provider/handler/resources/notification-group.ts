import { ObjectSchema } from '../convert';
import { idResource } from '../id-resource';

/** `_NotificationGroupProperties`. */
export const NOTIFICATION_GROUP_SCHEMA: ObjectSchema = {
  name: 'string',
  notificationLevel: 'string',
  childNotificationGroupIds: 'string[]',
  childChannelIds: 'string[]',
  monitors: { listOf: { id: 'string', skipDefault: 'boolean' } },
  services: { listOf: { name: 'string' } },
};

/** PUT takes the whole body; an omitted list is an empty one, so send it as one. */
export const notificationGroup = idResource({
  path: '/api/v0/notification-groups',
  noun: 'notification group',
  dataKey: 'NotificationGroupId',
  schema: NOTIFICATION_GROUP_SCHEMA,
  listKey: 'notificationGroups',
  body: (props) => ({ childNotificationGroupIds: [], childChannelIds: [], monitors: [], services: [], ...props }),
});
