// The Mackerel names of the example, declared once. The service stack creates the service and
// its roles; the agent writes the role full names into MACKEREL_ROLES, and monitors, downtimes,
// alert groups and the AWS integration scope by the same roles.

/** The Mackerel service every host of the shop belongs to. */
export const SHOP_SERVICE = 'shop';

/** The role names of the shop, as `MackerelService.addRole` takes them. */
export const ROLE = {
  /** Every task of the public web service (the ALB Fargate service). */
  WEB: 'web',
  /** The ECS cluster, through the AWS integration. */
  ECS: 'ecs',
  /** The load balancer, through the AWS integration. */
  ALB: 'alb',
  /** The internal API service of the batch stack (plugins and a readiness probe). */
  API: 'api',
  /** The queue worker of the batch stack. */
  WORKER: 'worker',
  /** Scheduled and run-once tasks of the batch stack. */
  BATCH: 'batch',
} as const;

/** A role's full name, `service:role`, as the agent and monitors write it. */
export function fullName(role: string): string {
  return `${SHOP_SERVICE}:${role}`;
}

/** The role every task of the web service joins. */
export const SHOP_WEB_ROLE = fullName(ROLE.WEB);

/** The ECS cluster's name, fixed so that the batch stack can refer to it without an export. */
export const SHOP_CLUSTER_NAME = 'shop';

/** The web service's ECS service name, fixed so that its cluster metrics have a known name. */
export const SHOP_WEB_SERVICE_NAME = 'shop-web';
