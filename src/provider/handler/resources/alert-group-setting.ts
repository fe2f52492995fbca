import { ObjectSchema } from '../convert';
import { idResource } from '../id-resource';

/** `_AlertGroupSettingProperties`. */
export const ALERT_GROUP_SETTING_SCHEMA: ObjectSchema = {
  name: 'string',
  memo: 'string',
  serviceScopes: 'string[]',
  roleScopes: 'string[]',
  monitorScopes: 'string[]',
  notificationInterval: 'number',
};

export const alertGroupSetting = idResource({
  path: '/api/v0/alert-group-settings',
  noun: 'alert group setting',
  dataKey: 'AlertGroupSettingId',
  schema: ALERT_GROUP_SETTING_SCHEMA,
});
