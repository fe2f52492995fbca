import { RemovalPolicy } from 'aws-cdk-lib';

/**
 * Options every construct that creates a Mackerel object takes (services, roles, their metadata,
 * monitors, channels, notification groups, alert group settings, downtimes and deployment
 * downtimes, AWS integrations and dashboards).
 */
export interface MackerelResourceOptions {
  /**
   * What happens to the Mackerel object when the resource is removed from the stack, the stack
   * is deleted, or an update replaces the object with a new one.
   *
   * `RemovalPolicy.RETAIN` leaves it in Mackerel (CloudFormation sends no delete), as
   * `RETAIN_ON_UPDATE_OR_DELETE` does for objects created successfully: keep a service this way
   * to keep its metrics. A retained service or role keeps its ownership mark: added back to the
   * same stack, under the same construct id or another, or to the stack deployed again after it
   * was deleted (the same stack name, account and region), it is taken back and then follows its
   * new resource's policy, while another stack is refused it (reference it with `fromName`).
   * Objects known by ID (monitors, channels, ...) are created anew when added back; an AWS
   * integration or a dashboard added back needs another name or URL path, as Mackerel keeps those
   * unique and the retained one holds it. Mackerel deletes a service's roles and its service
   * and external monitors with the service, so a service whose resource is deleted while it still
   * has any is left in Mackerel: retain those together with their service (a synth warning names
   * any retained without it).
   * `SNAPSHOT` is refused: a custom resource has no snapshot.
   *
   * @default RemovalPolicy.DESTROY - the object is deleted in Mackerel (only ever one this stack
   *   created); a role added with `MackerelService.addRole`, and metadata added with `addMetadata`,
   *   take the policy of the service or role they are added to
   */
  readonly removalPolicy?: RemovalPolicy;
}
