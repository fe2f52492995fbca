import { ownedResource } from '../owned';
import { segment } from '../resource';

/** Service names (mackerel-api.md section 3); anything else was never a service of ours. */
export const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{1,62}$/;

function serviceObject(name: string) {
  return {
    label: `service ${JSON.stringify(name)}`,
    physicalResourceId: name,
    listPath: '/api/v0/services',
    listKey: 'services',
    name,
    path: `/api/v0/services/${segment(name)}`,
    data: { Name: name },
  };
}

/** `_ServiceProperties`. Physical ID: the name. */
export const service = ownedResource({
  schema: { name: 'string', memo: 'string' },
  identityFields: ['name'],
  fromProps: (props) => serviceObject(String(props.name ?? '')),
  fromPhysicalId: (id) => (NAME.test(id) ? serviceObject(id) : undefined),
  existsHint: 'Refer to an existing service with MackerelService.fromName() instead of creating it.',
});
