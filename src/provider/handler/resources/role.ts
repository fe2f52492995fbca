import { ownedResource } from '../owned';
import { RequestContext } from '../resource';
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
  scopedBy: async (ctx, object) => objectsScopingRole(await readScoped(ctx), object.physicalResourceId).map((o) => o.label),
});

/** The lists of the objects that name roles in their scopes, as the API gives them. */
export interface ScopedLists {
  readonly monitors?: unknown;
  readonly downtimes?: unknown;
  readonly alertGroupSettings?: unknown;
}

async function readScoped(ctx: RequestContext): Promise<ScopedLists> {
  const list = async (path: string, key: string) => (await ctx.client.request<{ [key: string]: unknown }>('GET', path))?.[key];
  return {
    monitors: await list('/api/v0/monitors', 'monitors'),
    downtimes: await list('/api/v0/downtimes', 'downtimes'),
    alertGroupSettings: await list('/api/v0/alert-group-settings', 'alertGroupSettings'),
  };
}

/** Each kind, with the fields naming roles (`service:role`) in its scopes. */
const SCOPING: ReadonlyArray<{ readonly list: keyof ScopedLists; readonly noun: string; readonly fields: readonly string[] }> = [
  { list: 'monitors', noun: 'monitor', fields: ['scopes', 'excludeScopes'] },
  { list: 'downtimes', noun: 'downtime', fields: ['roleScopes', 'roleExcludeScopes'] },
  { list: 'alertGroupSettings', noun: 'alert group setting', fields: ['roleScopes'] },
];

/**
 * The monitors, downtimes and alert group settings whose scopes name the role `fullName`
 * (`service:role`), with the label the handler names them by. The API reads a monitor's role scope
 * back as `Service: role`, which names the same role.
 */
export function objectsScopingRole(lists: ScopedLists, fullName: string): Array<{ readonly id: string; readonly label: string }> {
  const asSent = (scope: unknown) => (typeof scope === 'string' ? scope.replace(/^([^:]+):\s+/, '$1:') : scope);
  return SCOPING.flatMap(({ list, noun, fields }) => (Array.isArray(lists[list]) ? lists[list] as Array<{ [field: string]: unknown }> : [])
    .filter((o) => fields.some((f) => Array.isArray(o[f]) && (o[f] as unknown[]).some((s) => asSent(s) === fullName)))
    .map((o) => ({ id: String(o.id), label: `${noun} ${JSON.stringify(o.name ?? '')} (${String(o.id)})` })));
}
