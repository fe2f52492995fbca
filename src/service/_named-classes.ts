import type { MackerelRole } from './role';
import type { MackerelService } from './service';

/**
 * The service and role construct classes, set by their own modules as they load. The name
 * lookups (`_known-name`) test against these instead of importing the classes: the agent reads
 * its roles' names, and importing the classes for that would load every Mackerel object
 * construct, the provider and aws-cdk-lib's Lambda and custom resources into an app that has
 * none of them. Unset, no construct of that class can exist yet.
 * @internal
 */
export const _NAMED_CLASSES: { service?: typeof MackerelService; role?: typeof MackerelRole } = {};
