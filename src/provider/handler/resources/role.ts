import { expressionsReading, objectsScoping, ownedResource, readScoped, Scoping, ScopedLists } from '../owned';
import { NAME, roleObject } from './service';

/** What to do instead of creating a role that exists (also said by cdk-mackerel diff). */
export const ROLE_EXISTS_HINT = 'Refer to an existing role with MackerelRole.fromFullName() instead of creating it.';

/**
 * `_RoleProperties`. Physical ID: `service:role`. Deleting a role deletes the monitors scoped to it
 * alone and drops it from every other scope list, so a role that monitors, downtimes or alert group
 * settings still name when its resource is deleted is left in Mackerel (`owned.ts`), as a service
 * is for its monitors.
 */
export const role = ownedResource({
  schema: { service: 'string', name: 'string', memo: 'string' },
  identityFields: ['service', 'name'],
  fromProps: (props) => roleObject(String(props.service ?? ''), String(props.name ?? '')),
  fromPhysicalId: (id) => {
    const [serviceName, roleName, ...rest] = id.split(':');
    const valid = rest.length === 0 && NAME.test(serviceName) && roleName !== undefined && NAME.test(roleName);
    return valid ? roleObject(serviceName, roleName) : undefined;
  },
  existsHint: ROLE_EXISTS_HINT,
  scopedBy: async (ctx, object) => objectsScopingRole(await readScoped(ctx, ['monitors', 'downtimes', 'alertGroupSettings']), object.physicalResourceId).map((o) => o.label),
});

/** Each kind, with the fields naming roles (`service:role`) in its scopes. */
const ROLE_SCOPING: Scoping = [
  { list: 'monitors', noun: 'monitor', fields: ['scopes', 'excludeScopes'] },
  { list: 'downtimes', noun: 'downtime', fields: ['roleScopes', 'roleExcludeScopes'] },
  { list: 'alertGroupSettings', noun: 'alert group setting', fields: ['roleScopes'] },
];

/**
 * The monitors, downtimes and alert group settings whose scopes name the role `fullName`
 * (`service:role`), and the expression monitors whose expression reads it by `role(...)` or
 * `roleSlots(...)` (`expressionsReading`), with the label the handler names them by.
 */
export function objectsScopingRole(lists: ScopedLists, fullName: string): Array<{ readonly id: string; readonly label: string }> {
  return [...objectsScoping(lists, fullName, ROLE_SCOPING), ...expressionsReading(lists.monitors, 'role', fullName)];
}
