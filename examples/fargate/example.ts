import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BatchStack } from './batch-stack';
import { ServiceStack } from './service-stack';

/** The stacks of the example app. */
export interface ExampleStacks {
  readonly service: ServiceStack;
  readonly batch: BatchStack;
}

/**
 * Builds the example into `app`: cdk-nag's AwsSolutions checks on everything, then the stacks.
 * `app.ts` calls it for `cdk synth`; the tests call it on an in-process App.
 */
export function buildExample(app: App): ExampleStacks {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const service = new ServiceStack(app, 'CdkMackerelFargateExample');
  // The batch stack runs in the service stack's cluster and deploys after it, so the shop's
  // Mackerel roles exist before a batch task registers a host in them.
  const batch = new BatchStack(app, 'CdkMackerelBatchExample', { vpc: service.vpc });
  batch.addDependency(service, 'the cluster and the Mackerel roles come from the service stack');
  return { service, batch };
}
