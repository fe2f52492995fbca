import { Duration, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ShopMackerel } from './mackerel';
import { SHOP_CLUSTER_NAME, SHOP_WEB_SERVICE_NAME } from './roles';
import { HostMetricMonitor, MackerelAgentExtension, MackerelApiKey, MackerelAwsIntegration, MackerelMonitoring, NotificationGroup } from '../../src';

/** Web tasks ECS keeps running. */
const WEB_DESIRED_COUNT = 2;

/** Properties of the example's service stack. */
export interface ServiceStackProps extends StackProps {
  /**
   * Name of the Secrets Manager secret that holds the Mackerel API key (created outside the app,
   * so the key never passes through CDK).
   * @default 'mackerel/api-key'
   */
  readonly apiKeySecretName?: string;

  /**
   * Whether the AWS integration covers the load balancer as well as the cluster.
   * @default true
   */
  readonly integrateLoadBalancer?: boolean;

  /**
   * How long the weekly maintenance downtime lasts.
   * @default Duration.hours(1)
   */
  readonly maintenance?: Duration;

  /**
   * Name of the Secrets Manager secret holding the Slack webhook URL (JSON key `url`).
   * @default 'mackerel/slack-webhook'
   */
  readonly slackWebhookSecretName?: string;
}

/**
 * A VPC, an ECS cluster and a public web service on Fargate behind an ALB, every task of it
 * monitored by the Mackerel container agent as a host of role `shop:web`; and the shop's
 * Mackerel side: its service and roles, the AWS integration of the cluster and the load
 * balancer, monitors and alerting.
 */
export class ServiceStack extends Stack {
  public readonly vpc: ec2.Vpc;
  public readonly cluster: ecs.Cluster;
  /** Fewer web tasks than desired, seen from the ECS cluster's integration host. */
  public readonly clusterAlert: HostMetricMonitor;
  public readonly service: ecsPatterns.ApplicationLoadBalancedFargateService;
  public readonly apiKey: MackerelApiKey;
  public readonly mackerel: ShopMackerel;
  public readonly awsIntegration: MackerelAwsIntegration;
  public readonly notificationGroup: NotificationGroup;
  public readonly webAlerts: MackerelMonitoring;

  constructor(scope: Construct, id: string, props: ServiceStackProps = {}) {
    super(scope, id, props);

    this.vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2, natGateways: 1 });
    this.vpc.addFlowLog('FlowLog');

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      clusterName: SHOP_CLUSTER_NAME,
      vpc: this.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });

    const secret = secretsmanager.Secret.fromSecretNameV2(this, 'MackerelApiKeySecret',
      props.apiKeySecretName ?? 'mackerel/api-key');
    this.apiKey = MackerelApiKey.fromSecretsManager(secret);

    // The Mackerel side comes first: the agent's roles refer to the role resources, so the
    // roles exist (created and owned by this stack) before a task registers a host in them.
    // Hosts would otherwise create them implicitly and the stack could not own them.
    this.mackerel = new ShopMackerel(this, 'Mackerel', { apiKey: this.apiKey });

    this.service = new ecsPatterns.ApplicationLoadBalancedFargateService(this, 'Web', {
      cluster: this.cluster,
      serviceName: SHOP_WEB_SERVICE_NAME,
      cpu: 256,
      memoryLimitMiB: 512,
      desiredCount: WEB_DESIRED_COUNT,
      minHealthyPercent: 100,
      circuitBreaker: { rollback: true },
      taskImageOptions: {
        image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1.27'),
        containerPort: 80,
      },
    });
    this.service.taskDefinition.addExtension(new MackerelAgentExtension({
      apiKey: this.apiKey,
      roles: [this.mackerel.roles.web.fullName],
    }));
    this.awsIntegration = this.mackerel.addAwsIntegration(this.cluster,
      props.integrateLoadBalancer === false ? undefined : this.service.loadBalancer);
    this.notificationGroup = this.mackerel.addAlerting({
      slackWebhookSecretName: props.slackWebhookSecretName ?? 'mackerel/slack-webhook',
      maintenance: props.maintenance ?? Duration.hours(1),
    });
    this.webAlerts = this.mackerel.addWebAlerts(this.service.loadBalancer, this.notificationGroup);
    this.clusterAlert = this.mackerel.addClusterAlerts(SHOP_WEB_SERVICE_NAME, WEB_DESIRED_COUNT, this.notificationGroup);
    this.mackerel.addDashboard(SHOP_WEB_SERVICE_NAME, WEB_DESIRED_COUNT);
    this.mackerel.markDeploys();
    this.mackerel.quietDeploys(this.clusterAlert);
    this.mackerel.markTaskStops(this.service.service);

    this.acknowledgeFindings();
  }

  /** cdk-nag findings that are deliberate in this example, each with the reason it is fine. */
  private acknowledgeFindings(): void {
    const lb = this.service.loadBalancer;
    Validations.of(lb).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason: 'ALB access logs need an S3 bucket with a region-specific bucket policy; the example stays region-agnostic and relies on the VPC flow log and Container Insights',
    });
    Validations.of(lb).acknowledge({
      id: 'AwsSolutions-EC23',
      reason: 'The ALB serves a public web site: inbound 0.0.0.0/0 on port 80 of the load balancer only is the point; the tasks accept traffic from the ALB security group alone',
    });
    Validations.of(this.service.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason: 'The plain environment holds only non-secret settings (MACKEREL_CONTAINER_PLATFORM, MACKEREL_ROLES, ...); the Mackerel API key is passed as an ECS secret from Secrets Manager',
    });
  }
}
