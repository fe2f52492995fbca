import { _serviceOfScopes } from '../../_properties';
import { expressionsReading, objectsScoping, ownedResource, readScoped, ScopedLists, Scoping } from '../owned';
import { segment } from '../resource';

/** Service names (mackerel-api.md section 3); anything else was never a service of ours. */
export const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{1,62}$/;

/** A service, by its name. */
export function serviceObject(name: string) {
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

/** A role, by its service's name and its own. */
export function roleObject(serviceName: string, roleName: string) {
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

/** What to do instead of creating a service that exists (also said by cdk-mackerel diff). */
export const SERVICE_EXISTS_HINT = 'Refer to an existing service with MackerelService.fromName() instead of creating it.';

/**
 * `_ServiceProperties`. Physical ID: the name. Deleting a service deletes its roles and the
 * monitors tied to it (`monitorsOfService`: service metric monitors, external monitors posting
 * response times, monitors scoped to it alone), so a service that still has either when its
 * resource is deleted is left in Mackerel (`owned.ts`), as is one that downtimes or alert group
 * settings still name in their scopes, or an expression monitor reads by `service(...)`.
 */
export const service = ownedResource({
  schema: { name: 'string', memo: 'string' },
  identityFields: ['name'],
  fromProps: (props) => serviceObject(String(props.name ?? '')),
  fromPhysicalId: (id) => (NAME.test(id) ? serviceObject(id) : undefined),
  existsHint: SERVICE_EXISTS_HINT,
  contents: (object, listed) => (Array.isArray(listed.roles) ? listed.roles : [])
    .filter((name): name is string => typeof name === 'string')
    .map((name) => roleObject(object.name, name)),
  monitors: async (ctx, object) => {
    const list = await ctx.client.request<{ monitors?: unknown }>('GET', '/api/v0/monitors');
    return monitorsOfService(list?.monitors, object.name).map((m) => m.label);
  },
  // Deleting a service drops it from every downtime and alert group setting, deleting one whose
  // services were all it, as for a role: one still naming it is someone else's. An expression
  // monitor reading it by service(...) is someone else's too, left alerting Unknown.
  scopedBy: async (ctx, object) => objectsScopingService(await readScoped(ctx, ['monitors', 'downtimes', 'alertGroupSettings']), object.name)
    .map((o) => o.label),
});

/** Each kind, with the fields naming services in its scopes. */
const SERVICE_SCOPING: Scoping = [
  { list: 'downtimes', noun: 'downtime', fields: ['serviceScopes', 'serviceExcludeScopes'] },
  { list: 'alertGroupSettings', noun: 'alert group setting', fields: ['serviceScopes'] },
];

/**
 * The downtimes and alert group settings of `lists` whose scopes name the service `name`, and the
 * expression monitors whose expression reads it by `service(...)` (`expressionsReading`), with the
 * label the handler names them by. A monitor scoped to the service is tied to it (`monitorsOfService`).
 */
export function objectsScopingService(lists: ScopedLists, name: string): Array<{ readonly id: string; readonly label: string }> {
  return [...objectsScoping(lists, name, SERVICE_SCOPING), ...expressionsReading(lists.monitors, 'service', name)];
}

/**
 * The monitors of a monitor list (GET /api/v0/monitors) tied to a service, which deleting the
 * service would delete: by their `service` field, or by scopes that all lie in it
 * (`_serviceOfScopes`), with the label the handler names them by. Also read by cdk-mackerel diff, to
 * say which removed service the handler will leave.
 */
export function monitorsOfService(monitors: unknown, serviceName: string): Array<{ readonly id: string; readonly label: string }> {
  return (Array.isArray(monitors) ? monitors as Array<{ id?: unknown; name?: unknown; service?: unknown; scopes?: unknown }> : [])
    .filter((m) => m.service === serviceName || _serviceOfScopes(m.scopes) === serviceName)
    .map((m) => ({ id: String(m.id), label: `monitor ${JSON.stringify(m.name ?? '')} (${String(m.id)})` }));
}
