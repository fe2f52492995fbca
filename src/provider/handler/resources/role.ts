import { ownedResource } from '../owned';
import { NAME, roleObject } from './service';

/** What to do instead of creating a role that exists (also said by cdk-mackerel diff). */
export const ROLE_EXISTS_HINT = 'Refer to an existing role with MackerelRole.fromFullName() instead of creating it.';

/** `_RoleProperties`. Physical ID: `service:role`. */
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
});
