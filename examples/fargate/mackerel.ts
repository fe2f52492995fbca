import { CfnElement, Duration, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { ROLE, SHOP_SERVICE } from './roles';
import {
  Dashboard, DashboardWidget, DeploymentAnnotation, Downtime, DowntimeRecurrence, EmailChannel, HostMetricMonitor, MackerelApiKey,
  MackerelAwsIntegration, MackerelMonitoring, MackerelProvider, MackerelRole, MackerelService, MonitorOperator, MonitorScope,
  NotificationGroup, NotificationLevel, SlackChannel, TaskStopAnnotations, Weekday, DeploymentDowntime,
} from '../../src';

/**
 * The AWS tag that marks the resources the AWS integration may read. Not Mackerel's
 * `mackerel-integration` key: that one assigns roles, in place of each service's `role`.
 */
const INTEGRATION_TAG = { key: 'mackerel-service', value: SHOP_SERVICE };

/** Properties of the shop's Mackerel side. */
export interface ShopMackerelProps {
  /** The Mackerel API key the provider's Lambda uses. */
  readonly apiKey: MackerelApiKey;
}

/** How the shop is alerted. */
export interface ShopAlertingOptions {
  /**
   * Name of the Secrets Manager secret holding the Slack Incoming Webhook URL (under the JSON key
   * `url`). Only the reference is written into the template; the provider's Lambda reads it.
   */
  readonly slackWebhookSecretName: string;

  /** How long the weekly maintenance window lasts. */
  readonly maintenance: Duration;
}

/** The shop's roles, one construct each. */
export interface ShopRoles {
  readonly web: MackerelRole;
  readonly ecs: MackerelRole;
  readonly alb: MackerelRole;
  readonly api: MackerelRole;
  readonly worker: MackerelRole;
  readonly batch: MackerelRole;
}

/**
 * The Mackerel side of the shop: the stack's provider, the service `shop` and every role its
 * hosts join. Monitors, alerting and the AWS integration are added by the stack, which knows the
 * cluster and the load balancer.
 */
export class ShopMackerel extends Construct {
  public readonly provider: MackerelProvider;
  public readonly service: MackerelService;
  public readonly roles: ShopRoles;

  constructor(scope: Construct, id: string, props: ShopMackerelProps) {
    super(scope, id);
    this.provider = new MackerelProvider(this, 'Provider', { apiKey: props.apiKey });
    this.service = new MackerelService(this, 'Shop', { name: SHOP_SERVICE, memo: 'cdk-mackerel example shop' });
    this.roles = {
      web: this.service.addRole(ROLE.WEB, { memo: 'web tasks (ALB Fargate service)' }),
      ecs: this.service.addRole(ROLE.ECS, { memo: 'the ECS cluster (AWS integration)' }),
      alb: this.service.addRole(ROLE.ALB, { memo: 'the load balancer (AWS integration)' }),
      api: this.service.addRole(ROLE.API, { memo: 'internal API tasks' }),
      worker: this.service.addRole(ROLE.WORKER, { memo: 'queue worker tasks' }),
      batch: this.service.addRole(ROLE.BATCH, { memo: 'scheduled and run-once tasks' }),
    };
    this.acknowledgeProviderFindings();
  }

  /**
   * Alerting: a Slack channel whose URL stays in Secrets Manager, an on-call mail channel, one
   * notification group routing the shop's alerts to both, and a weekly maintenance downtime.
   */
  public addAlerting(options: ShopAlertingOptions): NotificationGroup {
    const slack = new SlackChannel(this, 'Slack', {
      name: 'shop-ops',
      url: SecretValue.secretsManager(options.slackWebhookSecretName, { jsonField: 'url' }),
      mentions: { critical: '<!here>' },
    });
    const oncall = new EmailChannel(this, 'Oncall', { name: 'shop-oncall', emails: ['oncall@example.com'] });
    const ops = new NotificationGroup(this, 'Ops', {
      name: 'shop-ops',
      notificationLevel: NotificationLevel.ALL,
      channels: [slack, oncall],
      services: [this.service],
    });
    // Sundays 18:00 UTC (Monday 03:00 in Tokyo), the shop's quietest hour.
    new Downtime(this, 'WeeklyMaintenance', {
      name: 'shop weekly maintenance',
      memo: 'deployments and database maintenance',
      start: new Date('2026-12-06T18:00:00Z'),
      duration: options.maintenance,
      recurrence: DowntimeRecurrence.weekly({ weekdays: [Weekday.SUNDAY] }),
      scopes: [MonitorScope.fromService(this.service)],
    });
    return ops;
  }

  /**
   * The default alerts of the web tasks (connectivity, container CPU and memory) plus the shop's
   * front page through the load balancer, all routed to the shop's notification group.
   */
  public addWebAlerts(loadBalancer: elbv2.ApplicationLoadBalancer, notificationGroup: NotificationGroup): MackerelMonitoring {
    return MackerelMonitoring.forRole(this, 'WebAlerts', {
      role: this.roles.web,
      notify: { notificationGroup },
      containerCpu: { warning: 75, critical: 90 },
      url: { url: `http://${loadBalancer.loadBalancerDnsName}/`, expectedStatusCode: 200 },
    });
  }

  /**
   * Capacity of the web service as the ECS cluster's host (the AWS integration, role `shop:ecs`)
   * sees it: fewer running tasks than desired for 10 minutes. Mackerel posts no
   * `ecs.running_task` value while no task runs, so "none at all" is the web role's
   * connectivity monitor's job, not this one's.
   */
  public addClusterAlerts(serviceName: string, desiredCount: number, notificationGroup: NotificationGroup): HostMetricMonitor {
    const running = new HostMetricMonitor(this, 'WebRunningTasks', {
      name: `${serviceName} running tasks`,
      metric: `ecs.running_task.${serviceName}.count`,
      operator: MonitorOperator.LESS_THAN,
      warning: desiredCount,
      duration: Duration.minutes(10),
      scopes: [MonitorScope.fromRole(this.roles.ecs)],
      memo: `ECS keeps ${desiredCount} tasks of ${serviceName}; fewer for 10 minutes means tasks fail to start or stay up`,
    });
    notificationGroup.addMonitor(running);
    return running;
  }

  /**
   * One dashboard for the shop's on-call: the web service's running tasks as the ECS cluster's
   * integration host reports them (with the desired count drawn in), and the open alerts of the
   * web tasks and of the cluster.
   */
  public addDashboard(serviceName: string, desiredCount: number): Dashboard {
    const dashboard = new Dashboard(this, 'Dashboard', { title: 'shop', urlPath: SHOP_SERVICE, memo: 'cdk-mackerel example shop' });
    dashboard.addWidgets(
      DashboardWidget.expressionGraph({
        title: `${serviceName} running tasks`,
        expression: `role(${this.roles.ecs.fullName}, ecs.running_task.${serviceName}.count)`,
        referenceLine: { label: 'desired', value: desiredCount },
        width: 12,
      }),
      DashboardWidget.alertStatus({ title: 'web tasks', role: this.roles.web, height: 6 }),
      DashboardWidget.alertStatus({ title: 'ECS cluster', role: this.roles.ecs, height: 6 }),
    );
    return dashboard;
  }

  /**
   * Marks each deploy that changes the stack's task definitions (a new image, say) on the web
   * role's graphs, once the stack's ECS services have rolled out.
   */
  public markDeploys(): DeploymentAnnotation {
    return new DeploymentAnnotation(this, 'Deploys', { service: this.service, roles: [this.roles.web] });
  }

  /**
   * Mutes the running-tasks alert for 20 minutes from the start of each deploy that changes the
   * task definitions: ECS replaces the tasks then, and a dip below the desired count is expected.
   */
  public quietDeploys(runningTasks: HostMetricMonitor): DeploymentDowntime {
    return new DeploymentDowntime(this, 'QuietDeploys', { monitors: [runningTasks], duration: Duration.minutes(20) });
  }

  /**
   * Marks the web tasks that crash, fail to start or fail the load balancer's health checks on
   * the web role's graphs, next to the deploys.
   */
  public markTaskStops(ecsService: ecs.IBaseService): TaskStopAnnotations {
    return new TaskStopAnnotations(this, 'TaskStops', { service: this.service, roles: [this.roles.web], ecsServices: [ecsService] });
  }

  /**
   * Integrates the cluster and the load balancer agentlessly, each as a host of its own role,
   * and limits the integration to resources tagged for the shop.
   */
  public addAwsIntegration(cluster: ecs.ICluster, loadBalancer?: elbv2.ApplicationLoadBalancer): MackerelAwsIntegration {
    const aws = new MackerelAwsIntegration(this, 'Aws', {
      name: `${SHOP_SERVICE}-aws`,
      memo: 'cdk-mackerel example: ECS cluster and ALB of the shop',
    });
    // filterTag tags each resource and includes only tagged resources in the integration.
    aws.addEcsCluster(cluster, { role: this.roles.ecs.fullName, filterTag: INTEGRATION_TAG });
    if (loadBalancer) {
      aws.addLoadBalancer(loadBalancer, { role: this.roles.alb.fullName, retireAutomatically: true, filterTag: INTEGRATION_TAG });
    }
    // Each finding is acknowledged by its exact ID, so enabling another service raises its own
    // finding for review instead of passing silently.
    const reason = 'Mackerel\'s documented read-only actions for the enabled services, on all resources: these Describe/List calls take no resource ARN; '
      + 'the role holds no write action and only Mackerel\'s account can assume it, with the external ID';
    const findings = ['Action::cloudwatch:Get*', 'Action::cloudwatch:List*', 'Action::ecs:List*', 'Resource::*',
      ...(loadBalancer ? ['Action::elasticloadbalancing:Describe*'] : [])];
    for (const finding of findings) {
      acknowledgeFinding(aws, `AwsSolutions-IAM5[${finding}]`, reason);
    }
    return aws;
  }

  /** cdk-nag findings on the provider's Lambdas, which come from aws-cdk-lib's Lambda and Provider defaults. */
  private acknowledgeProviderFindings(): void {
    const handler = Stack.of(this).getLogicalId(this.provider.handler.node.defaultChild as CfnElement);
    acknowledgeFinding(this.provider, `AwsSolutions-IAM5[Resource::<${handler}.Arn>:*]`,
      'aws-cdk-lib\'s custom-resource framework may invoke any version of the provider\'s own handler Lambda, and nothing else');
  }
}

/**
 * Acknowledges one granular cdk-nag finding (`Rule[Kind::detail]`) on a construct and its children.
 * `Validations.acknowledge` refuses IDs that contain `::`, which every granular finding does, so the
 * acknowledgement is recorded in the same metadata entry that it writes and cdk-nag reads.
 */
function acknowledgeFinding(scope: Construct, id: string, reason: string): void {
  scope.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, { [id]: reason });
}
