import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ServiceStack } from './service-stack';

/** The stacks of the example app, for later parts (monitors, alerting, AWS integration) to use. */
export interface ExampleStacks {
  readonly service: ServiceStack;
}

/**
 * Builds the example into `app`: cdk-nag's AwsSolutions checks on everything, then the stacks.
 * `app.ts` calls it for `cdk synth`; the tests call it on an in-process App.
 */
export function buildExample(app: App): ExampleStacks {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const service = new ServiceStack(app, 'CdkMackerelFargateExample');
  return { service };
}
