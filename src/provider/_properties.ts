/**
 * The contract between the constructs and the provider handler: the ResourceProperties of
 * every `Custom::Mackerel*` type (besides `ServiceToken`), with the Mackerel API's own field
 * names. Constructs build these objects; CloudFormation turns every scalar into a string on
 * the way; the handler converts each field back by the types written here.
 *
 * Rules shared by every type:
 * - optional fields are omitted, never `null` (CloudFormation drops nulls unpredictably);
 * - the physical resource ID is the Mackerel ID (monitor, channel, group, setting, downtime,
 *   integration, external ID) or name (service name, `service:role` for a role);
 * - `Ref` of each resource is therefore that ID, and `Data` carries the attributes below.
 *
 * @internal
 */

/**
 * The two metadata types, as names of their own so that `_METADATA_TYPES` is made of plain
 * values: a bundler leaves an unused constant out only when building it cannot have side effects,
 * which reading a property of `_RESOURCE_TYPES` might have, so the handler bundle would carry it.
 */
const SERVICE_METADATA = 'Custom::MackerelServiceMetadata';
const ROLE_METADATA = 'Custom::MackerelRoleMetadata';

/** The resource types the handler serves. @internal */
export const _RESOURCE_TYPES = {
  SERVICE: 'Custom::MackerelService',
  ROLE: 'Custom::MackerelRole',
  MONITOR: 'Custom::MackerelMonitor',
  CHANNEL: 'Custom::MackerelChannel',
  NOTIFICATION_GROUP: 'Custom::MackerelNotificationGroup',
  ALERT_GROUP_SETTING: 'Custom::MackerelAlertGroupSetting',
  DOWNTIME: 'Custom::MackerelDowntime',
  AWS_INTEGRATION_EXTERNAL_ID: 'Custom::MackerelAwsIntegrationExternalId',
  AWS_INTEGRATION: 'Custom::MackerelAwsIntegration',
  GRAPH_ANNOTATION: 'Custom::MackerelGraphAnnotation',
  DASHBOARD: 'Custom::MackerelDashboard',
  DEPLOYMENT_DOWNTIME: 'Custom::MackerelDeploymentDowntime',
  SERVICE_METADATA,
  ROLE_METADATA,
} as const;

/** The two metadata types, which share their physical IDs' shape and the namespace rules. @internal */
export const _METADATA_TYPES: readonly string[] = [SERVICE_METADATA, ROLE_METADATA];

/**
 * `Custom::MackerelService`. Physical ID: the name. Data: `{ Name }`.
 * The handler marks what it creates with service metadata namespace `cdk-mackerel`
 * (`{ stackId, logicalResourceId }`) and deletes only services that carry its own mark.
 * `memo` has no update API: a change of memo alone is a no-op (reported in Data `MemoIgnored`).
 * A change of name replaces the service.
 */
export interface _ServiceProperties {
  readonly name: string;
  readonly memo?: string;
}

/**
 * `Custom::MackerelRole`. Physical ID: `service:role`. Data: `{ FullName, ServiceName, RoleName }`.
 * Same ownership mark as services (role metadata). A change of service or name replaces it.
 */
export interface _RoleProperties {
  readonly service: string;
  readonly name: string;
  readonly memo?: string;
}

/**
 * One HTTP header of an external monitor. `value` may be a dynamic reference (the secret of
 * `ExternalHttpHeader.secretValue`), which the handler resolves as it does a channel's `url`.
 */
export interface _HeaderProperty {
  readonly name: string;
  readonly value: string;
}

/**
 * `Custom::MackerelMonitor`: the monitor body of POST /api/v0/monitors, any of the seven
 * types. Physical ID: the monitor ID. Data: `{ MonitorId }`.
 * Numbers: notificationInterval, warning, critical, duration, maxCheckAttempts,
 * missingDurationWarning, missingDurationCritical, responseTimeWarning, responseTimeCritical,
 * responseTimeDuration, certificationExpirationWarning, certificationExpirationCritical,
 * expectedStatusCode, evaluateBackwardMinutes, trainingPeriodFrom.
 * Booleans: isMute, skipCertificateVerification, followRedirect.
 * Replaced (new ID) when `type` changes, when `metric` of a host or service monitor changes,
 * when `service` of a service monitor changes, and when `query` of a query monitor changes.
 */
export interface _MonitorProperties {
  readonly type: string;
  readonly name?: string;
  readonly memo?: string;
  readonly notificationInterval?: number;
  readonly isMute?: boolean;
  // host, service, expression, query
  readonly metric?: string;
  readonly operator?: string;
  readonly warning?: number;
  readonly critical?: number;
  readonly duration?: number;
  readonly maxCheckAttempts?: number;
  // host, connectivity, anomalyDetection
  readonly scopes?: string[];
  readonly excludeScopes?: string[];
  // connectivity
  readonly alertStatusOnGone?: string;
  // service (and external, for response time)
  readonly service?: string;
  readonly missingDurationWarning?: number;
  readonly missingDurationCritical?: number;
  // external
  readonly url?: string;
  readonly method?: string;
  readonly responseTimeWarning?: number;
  readonly responseTimeCritical?: number;
  readonly responseTimeDuration?: number;
  readonly containsString?: string;
  readonly certificationExpirationWarning?: number;
  readonly certificationExpirationCritical?: number;
  readonly skipCertificateVerification?: boolean;
  readonly expectedStatusCode?: number;
  readonly headers?: _HeaderProperty[];
  readonly requestBody?: string;
  readonly followRedirect?: boolean;
  readonly dualstack?: string;
  // expression
  readonly expression?: string;
  readonly evaluateBackwardMinutes?: number;
  // anomalyDetection
  readonly warningSensitivity?: string;
  readonly criticalSensitivity?: string;
  readonly trainingPeriodFrom?: number;
  // query
  readonly query?: string;
  readonly legend?: string;
}

/**
 * `Custom::MackerelChannel` (email, slack, webhook). Physical ID: the channel ID.
 * Data: `{ ChannelId }`. `url` may be a CloudFormation dynamic reference
 * (`{{resolve:secretsmanager:...}}`, `{{cdk-mackerel:ssm-secure:...}}` (the library's spelling of
 * `{{resolve:ssm-secure:...}}`, which CloudFormation refuses here) or `{{resolve:ssm:...}}`), which
 * CloudFormation does not resolve for custom resources: the handler resolves it itself
 * with the provider Lambda's role, so the URL never appears in the template.
 * Replaced when `type` changes; updated in place (PUT) otherwise.
 * Booleans: enabledGraphImage. `addToDefaultNotificationGroup` is always sent as false.
 */
export interface _ChannelProperties {
  readonly type: string;
  readonly name: string;
  readonly emails?: string[];
  readonly userIds?: string[];
  readonly url?: string;
  readonly mentions?: { readonly ok?: string; readonly warning?: string; readonly critical?: string };
  readonly enabledGraphImage?: boolean;
  readonly events?: string[];
}

/**
 * `Custom::MackerelNotificationGroup`. Physical ID: the group ID. Data: `{ NotificationGroupId }`.
 * Updated in place. Booleans: monitors[].skipDefault.
 */
export interface _NotificationGroupProperties {
  readonly name: string;
  readonly notificationLevel: string;
  readonly childNotificationGroupIds?: string[];
  readonly childChannelIds?: string[];
  readonly monitors?: { readonly id: string; readonly skipDefault: boolean }[];
  readonly services?: { readonly name: string }[];
}

/**
 * `Custom::MackerelAlertGroupSetting`. Physical ID: the setting ID. Data: `{ AlertGroupSettingId }`.
 * Updated in place. Numbers: notificationInterval.
 */
export interface _AlertGroupSettingProperties {
  readonly name: string;
  readonly memo?: string;
  readonly serviceScopes?: string[];
  readonly roleScopes?: string[];
  readonly monitorScopes?: string[];
  readonly notificationInterval?: number;
}

/**
 * `Custom::MackerelDowntime`. Physical ID: the downtime ID. Data: `{ DowntimeId }`.
 * Updated in place. Numbers: start (epoch seconds), duration (minutes), recurrence.interval,
 * recurrence.until (epoch seconds).
 */
export interface _DowntimeProperties extends _DowntimeScopeProperties {
  readonly name: string;
  readonly memo?: string;
  readonly start: number;
  readonly duration: number;
  readonly recurrence?: {
    readonly type: string;
    readonly interval: number;
    readonly weekdays?: string[];
    readonly until?: number;
  };
}

/** What a downtime mutes (and leaves out): services, roles (`service:role`) and monitor IDs. */
export interface _DowntimeScopeProperties {
  readonly serviceScopes?: string[];
  readonly serviceExcludeScopes?: string[];
  readonly roleScopes?: string[];
  readonly roleExcludeScopes?: string[];
  readonly monitorScopes?: string[];
  readonly monitorExcludeScopes?: string[];
}

/**
 * `Custom::MackerelDeploymentDowntime`: a downtime that starts whenever a deploy changes its
 * `revision`, not at a fixed time. Physical ID: the downtime ID. Data: `{ DowntimeId }`.
 * A create, and an update that changes `revision`, send the downtime with `start` = the moment
 * the handler runs; an update that changes only other properties keeps the start Mackerel has.
 * An update changes it in place, so one downtime moves from deploy to deploy. `revision` is not
 * a field of the API. Numbers: duration (minutes).
 */
export interface _DeploymentDowntimeProperties extends _DowntimeScopeProperties {
  readonly name: string;
  readonly memo?: string;
  readonly duration: number;
  readonly revision: string;
}

/**
 * `Custom::MackerelAwsIntegrationExternalId`: no properties. Physical ID: the external ID.
 * Data: `{ ExternalId }`. The API has no delete: delete is a no-op; update keeps the ID.
 */
export interface _AwsIntegrationExternalIdProperties {
  readonly [key: string]: never;
}

/** One enabled AWS service of an integration. Booleans: enable, retireAutomatically. */
export interface _AwsIntegrationServiceProperties {
  readonly enable: boolean;
  readonly role?: string;
  readonly excludedMetrics?: string[];
  readonly includedMetrics?: string[];
  readonly retireAutomatically?: boolean;
}

/**
 * `Custom::MackerelAwsIntegration`. Physical ID: the integration ID. Data: `{ AwsIntegrationId }`.
 * Updated in place (PUT); the services map is sent whole. Because the IAM role may not be
 * assumable yet right after it is created, the handler retries the create and update calls
 * while Mackerel rejects the role (IAM propagation), within the Lambda's remaining time.
 */
export interface _AwsIntegrationProperties {
  readonly name: string;
  readonly memo?: string;
  readonly roleArn: string;
  readonly externalId: string;
  readonly region: string;
  readonly includedTags?: string;
  readonly excludedTags?: string;
  readonly services: { readonly [serviceId: string]: _AwsIntegrationServiceProperties };
}

/** Mackerel's limits on a graph annotation's title and description, in characters (the API answers 400 beyond them). @internal */
export const _GRAPH_ANNOTATION_LIMITS = { title: 250, description: 1024 } as const;

/**
 * `Custom::MackerelGraphAnnotation`. Physical ID: the ID of the latest annotation posted.
 * Data: `{ GraphAnnotationId }`. Every create, and every update that changes these properties,
 * posts a new annotation (from = to = the time it is posted); an update of the ServiceToken alone
 * keeps the annotation; delete is a no-op. `roles` are role names within `service`. `revision` is
 * not sent: it changes when the deploy should be marked.
 */
export interface _GraphAnnotationProperties {
  readonly title: string;
  readonly description?: string;
  /**
   * Whether a description longer than Mackerel's limit is cut to it (with an ellipsis) instead of
   * refused: set for a default description that holds values known only at deploy time (the
   * template parameters of a deploy revision), which synth cannot check. Not sent.
   */
  readonly cutDescription?: boolean;
  readonly service: string;
  readonly roles?: string[];
  readonly revision: string;
}

/**
 * `Custom::MackerelDashboard`. Physical ID: the dashboard ID. Data: `{ DashboardId }`. Updated in
 * place (PUT with the whole body). `widgets` are the API's widget objects; numbers: layout x, y,
 * width, height, fractionSize, range period/offset/start/end, referenceLines value, formatRules
 * threshold; booleans: graph isStacked.
 */
export interface _DashboardProperties {
  readonly title: string;
  readonly memo: string;
  readonly urlPath: string;
  readonly widgets: Array<{ readonly [field: string]: unknown }>;
}

/**
 * `Custom::MackerelServiceMetadata`: one namespace of a service's metadata. Physical ID:
 * `service/namespace`. Data: `{ Namespace }`. `metadata` is the JSON text of the value (sent as
 * one string, so that CloudFormation's conversion of scalars to strings cannot change its types),
 * parsed by the handler and sent as the body of `PUT .../metadata/<namespace>`. A change of
 * `metadata` is a PUT in place; a change of `service` or `namespace` replaces it.
 */
export interface _ServiceMetadataProperties {
  readonly service: string;
  readonly namespace: string;
  readonly metadata: string;
}

/**
 * `Custom::MackerelRoleMetadata`: as `_ServiceMetadataProperties`, for a role given by its full
 * name `service:role`. Physical ID: `service:role/namespace`. A change of `role` replaces it.
 */
export interface _RoleMetadataProperties {
  readonly role: string;
  readonly namespace: string;
  readonly metadata: string;
}

/**
 * The metadata namespace in which the handler marks the services and roles it creates: the
 * constructs refuse it to users, and the handler reads and writes its mark there. @internal
 */
export const _OWNERSHIP_NAMESPACE = 'cdk-mackerel';

/**
 * Mackerel's metadata limits: serialized value size (100 KB, written as one number: a product
 * would keep this constant in the handler bundle, which does not use it), namespaces per service
 * and per role. @internal
 */
export const _METADATA_LIMITS = { bytes: 102400, perService: 50, perRole: 10 } as const;

/**
 * The input of a `TaskStopAnnotations` rule's target (the provider handler), beside the ECS
 * event's `detail`, which the rule adds: `cdkMackerel` tells it from a custom-resource event.
 * @internal
 */
export const _TASK_STOPPED_EVENT = 'EcsTaskStopped';

/** @internal */
export interface _TaskStoppedSettings {
  readonly cdkMackerel: typeof _TASK_STOPPED_EVENT;
  /** The Mackerel service whose graphs show the stops. */
  readonly service: string;
  /** Roles of that service (names within it); absent for the whole service. */
  readonly roles?: string[];
  /** Stops of one ECS service within this many seconds of an annotation's ends join it; 0 never merges. */
  readonly mergeWindowSeconds: number;
  /**
   * The URL of the queue the rule sends the stop to, for the handler to hand a failed stop back
   * sooner (SQS ChangeMessageVisibility takes the queue's URL, which the event's record does not
   * give); absent in a stop queued by an earlier release, which then waits the visibility timeout.
   */
  readonly queueUrl?: string;
  /**
   * The queue's maxReceiveCount (its redrive policy): a stop that fails at that receipt is made
   * visible at once, so that SQS moves it to the dead-letter queue at the next receive rather than
   * after a wait that would hold the message group back. Absent in a stop queued by an earlier
   * release, whose last failure then waits its backoff.
   */
  readonly maxReceiveCount?: number;
}

/**
 * The service every one of a monitor's `scopes` lies in (the service itself, or a `service:role`
 * of it), or undefined when it has none or they lie in several. Deleting that service deletes the
 * monitor with it, as the emulator does: the docs say a service's monitors go with it, and one
 * left without scopes would watch every host (or, for anomaly detection, no role). Read by the
 * handler's service delete and by cdk-mackerel (`_tiedService`).
 * @internal
 */
export function _serviceOfScopes(scopes: unknown): string | undefined {
  if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((s): s is string => typeof s === 'string')) return undefined;
  const services = new Set(scopes.map((scope) => scope.split(':')[0]));
  return services.size === 1 ? [...services][0] : undefined;
}

/**
 * The functions of Mackerel's expanded graph permalinks, which expression monitors take, that read
 * a role's or a service's metrics by its name, each as its first argument, quoted or not:
 * `role(roleFullname, metricName)` and `roleSlots(roleFullname, metricName)` (metrics of hosts that
 * were once in the role too), and `service(serviceName, metricName)`. A longer name ending alike
 * (`myservice(`) or a method-like `x.role(` is none of them.
 */
const READING_FUNCTIONS: { readonly [kind in 'role' | 'service']: RegExp } = {
  role: /(?<![\w.])(role(?:Slots)?)\(\s*(['"]?)([^,'"()]+?)\2\s*,/g,
  service: /(?<![\w.])(service)\(\s*(['"]?)([^,'"()]+?)\2\s*,/g,
};

/**
 * The roles (full names) or services an expression reads by name (`READING_FUNCTIONS`), each with
 * the function reading it (`roleSlots`): the handler leaves a role or service one of them reads, and
 * an `ExpressionMonitor` orders itself after the creator in its stack of each.
 * @internal
 */
export function _readsByExpression(expression: string, kind: 'role' | 'service'): Array<{ readonly name: string; readonly by: string }> {
  return [...expression.matchAll(READING_FUNCTIONS[kind])].map((m) => ({ name: m[3].trim().replace(/\s*:\s*/, ':'), by: m[1] }));
}

