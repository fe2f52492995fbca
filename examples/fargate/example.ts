import { App, Duration, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BatchStack } from './batch-stack';
import { ServiceStack } from './service-stack';

/** The stacks of the example app. */
export interface ExampleStacks {
  readonly service: ServiceStack;
  readonly batch: BatchStack;
}

/**
 * Knobs of the example that change its Mackerel side, so that a second run shows an update. The
 * command line sets them as context: `cdk synth -c integrateLoadBalancer=false`.
 */
export interface ExampleOptions {
  /**
   * Whether the AWS integration covers the load balancer as well as the cluster.
   * @default true
   */
  readonly integrateLoadBalancer?: boolean;

  /**
   * How long the weekly maintenance downtime lasts, in minutes.
   * @default 60
   */
  readonly maintenanceMinutes?: number;
}

/** The options given as context values on the command line (`-c name=value`). */
export function optionsFromContext(app: App): ExampleOptions {
  const flag = (name: string): boolean | undefined => {
    const value = app.node.tryGetContext(name);
    return value === undefined ? undefined : String(value) !== 'false';
  };
  const minutes = app.node.tryGetContext('maintenanceMinutes');
  return {
    integrateLoadBalancer: flag('integrateLoadBalancer'),
    maintenanceMinutes: minutes === undefined ? undefined : Number(minutes),
  };
}

/**
 * Builds the example into `app`: cdk-nag's AwsSolutions checks on everything, then the stacks.
 * `app.ts` calls it for `cdk synth`; the tests call it on an in-process App.
 */
export function buildExample(app: App, options: ExampleOptions = {}): ExampleStacks {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const service = new ServiceStack(app, 'CdkMackerelFargateExample', {
    integrateLoadBalancer: options.integrateLoadBalancer,
    maintenance: options.maintenanceMinutes === undefined ? undefined : Duration.minutes(options.maintenanceMinutes),
  });
  // The batch stack runs in the service stack's cluster and deploys after it, so the shop's
  // Mackerel roles exist before a batch task registers a host in them. `node.addDependency` rather
  // than `Stack#addDependency`, which aws-cdk-lib deprecates after 2.261 without a replacement there.
  const batch = new BatchStack(app, 'CdkMackerelBatchExample', { vpc: service.vpc });
  batch.node.addDependency(service);
  return { service, batch };
}
