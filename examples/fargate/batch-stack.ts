import { Aspects, Duration, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as applicationautoscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { fullName, ROLE, SHOP_CLUSTER_NAME } from './roles';
import {
  IMackerelRoleResolver, MackerelApiKey, MackerelInstrumentation, MackerelPluginCommand, MackerelReadinessProbe,
} from '../../src';

const IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1.27');

/** Properties of the example's batch stack. */
export interface BatchStackProps extends StackProps {
  /** The VPC of the cluster the workloads run in (the service stack's). */
  readonly vpc: ec2.IVpc;

  /**
   * Name of the Secrets Manager secret that holds the Mackerel API key.
   * @default 'mackerel/api-key'
   */
  readonly apiKeySecretName?: string;
}

/**
 * Several kinds of ECS workload, none of which mentions Mackerel where it is defined: one
 * `MackerelInstrumentation` Aspect on the stack adds the agent to every task definition, the
 * way a sidecar injector does for pods.
 *
 * - `Api`: a plain Fargate service; `MackerelInstrumentation.configure` gives it plugins and a
 *   readiness probe on its own port (its "pod annotation").
 * - `Worker`: an ecs-patterns queue processing service.
 * - `Nightly`: an ecs-patterns scheduled Fargate task.
 * - `Migrate`: a Fargate task definition started only by RunTask.
 * - `Report`: an EC2 task definition (bridge network) started only by RunTask.
 */
export class BatchStack extends Stack {
  public readonly api: ecs.FargateService;
  public readonly worker: ecsPatterns.QueueProcessingFargateService;
  public readonly nightly: ecsPatterns.ScheduledFargateTask;
  public readonly migrate: ecs.FargateTaskDefinition;
  public readonly report: ecs.Ec2TaskDefinition;

  constructor(scope: Construct, id: string, props: BatchStackProps) {
    super(scope, id, props);
    // The cluster by its fixed name: its IAM statements (the scheduled task's events role) then
    // name it literally, so the cdk-nag finding below can be acknowledged by its exact ID.
    const cluster = ecs.Cluster.fromClusterAttributes(this, 'Cluster', { clusterName: SHOP_CLUSTER_NAME, vpc: props.vpc });

    const apiTask = new ecs.FargateTaskDefinition(this, 'ApiTask', { cpu: 256, memoryLimitMiB: 512 });
    const api = apiTask.addContainer('api', {
      image: IMAGE,
      portMappings: [{ containerPort: 80 }],
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'api' }),
    });
    this.api = new ecs.FargateService(this, 'Api', {
      cluster, taskDefinition: apiTask, desiredCount: 1, minHealthyPercent: 100, circuitBreaker: { rollback: true },
    });

    const queue = new sqs.Queue(this, 'Jobs', {
      enforceSSL: true,
      deadLetterQueue: { queue: new sqs.Queue(this, 'JobsDeadLetter', { enforceSSL: true }), maxReceiveCount: 5 },
    });
    this.worker = new ecsPatterns.QueueProcessingFargateService(this, 'Worker', {
      cluster,
      queue,
      image: IMAGE,
      cpu: 256,
      memoryLimitMiB: 512,
      minScalingCapacity: 0,
      maxScalingCapacity: 2,
      minHealthyPercent: 100,
      circuitBreaker: { rollback: true },
    });

    this.nightly = new ecsPatterns.ScheduledFargateTask(this, 'Nightly', {
      cluster,
      schedule: applicationautoscaling.Schedule.cron({ hour: '18', minute: '0' }),
      scheduledFargateTaskImageOptions: { image: IMAGE, cpu: 256, memoryLimitMiB: 512 },
    });

    this.migrate = new ecs.FargateTaskDefinition(this, 'Migrate', { cpu: 256, memoryLimitMiB: 512 });
    this.migrate.addContainer('migrate', { image: IMAGE, logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'migrate' }) });

    this.report = new ecs.Ec2TaskDefinition(this, 'Report', { networkMode: ecs.NetworkMode.BRIDGE });
    this.report.addContainer('report', {
      image: IMAGE, memoryLimitMiB: 256, logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'report' }),
    });

    // The API's own agent settings: a plugin for its metrics, a check, and a readiness probe on
    // its port, so its host is registered only once nginx answers.
    MackerelInstrumentation.configure(apiTask, {
      roles: [fullName(ROLE.API)],
      config: {
        metricPlugins: {
          'linux-tcp': { command: MackerelPluginCommand.exec('mackerel-plugin-linux', '-type=tcp'), timeout: Duration.seconds(30) },
        },
        checkPlugins: {
          'api-http': { command: MackerelPluginCommand.exec('check-http', '-u', 'http://localhost/'), memo: 'the API answers on its port' },
        },
        readinessProbe: MackerelReadinessProbe.httpToContainer(api, '/', { initialDelay: Duration.seconds(5) }),
      },
    });

    const apiKey = MackerelApiKey.fromSecretsManager(
      secretsmanager.Secret.fromSecretNameV2(this, 'MackerelApiKeySecret', props.apiKeySecretName ?? 'mackerel/api-key'));
    Aspects.of(this).add(new MackerelInstrumentation({ apiKey, roleResolver: new ByWorkload(this) }),
      { priority: MackerelInstrumentation.PRIORITY });

    this.acknowledgeFindings();
  }

  /** cdk-nag findings that are deliberate in this stack, each with the reason it is fine. */
  private acknowledgeFindings(): void {
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason: 'The plain environment of every task holds only non-secret settings (MACKEREL_CONTAINER_PLATFORM, MACKEREL_ROLES, the agent config location); the Mackerel API key is an ECS secret from Secrets Manager',
    });
    // Validations.acknowledge refuses IDs containing '::', which granular findings have; this is
    // the metadata entry it writes and cdk-nag reads.
    this.nightly.taskDefinition.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, {
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:*:task/${SHOP_CLUSTER_NAME}/*]`]:
        'aws-cdk-lib\'s scheduled task lets EventBridge tag the tasks it starts in this cluster; task IDs are not known in advance',
    });
  }
}

/** The role of each workload of the batch stack: the worker's own, `shop:batch` for the rest. */
class ByWorkload implements IMackerelRoleResolver {
  constructor(private readonly stack: BatchStack) {}

  public rolesFor(taskDefinition: ecs.TaskDefinition): string[] {
    if (taskDefinition === this.stack.worker.taskDefinition) return [fullName(ROLE.WORKER)];
    return [fullName(ROLE.BATCH)];
  }
}
