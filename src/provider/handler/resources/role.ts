import { ownedResource } from '../owned';
import { segment } from '../resource';
import { NAME } from './service';

function roleObject(serviceName: string, roleName: string) {
  const fullName = `${serviceName}:${roleName}`;
  return {
    label: `role ${JSON.stringify(fullName)}`,
    physicalResourceId: fullName,
    listPath: `/api/v0/services/${segment(serviceName)}/roles`,
    listKey: 'roles',
    name: roleName,
    path: `/api/v0/services/${segment(serviceName)}/roles/${segment(roleName)}`,
    data: { FullName: fullName, ServiceName: serviceName, RoleName: roleName },
  };
}

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
  existsHint: 'Refer to an existing role with MackerelRole.fromFullName() instead of creating it.',
});
