import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { MackerelApiKey } from '../../src/api-key';

/** An app container image for tests (never pulled). */
export const APP_IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1.27');

/** A stack with an API key in Secrets Manager. */
export function agentStack() {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'ap-northeast-1' } });
  const secret = new secretsmanager.Secret(stack, 'ApiKey');
  const apiKey = MackerelApiKey.fromSecretsManager(secret);
  return { app, stack, secret, apiKey };
}

/** A Fargate task (512 MiB, 256 CPU) with one essential app container `app`. */
export function fargateTask(props: Partial<ecs.FargateTaskDefinitionProps> = {}) {
  const fixture = agentStack();
  const taskDefinition = new ecs.FargateTaskDefinition(fixture.stack, 'Task', { memoryLimitMiB: 512, cpu: 256, ...props });
  const appContainer = taskDefinition.addContainer('app', { image: APP_IMAGE });
  return { ...fixture, taskDefinition, appContainer };
}

/** The rendered container definitions of a task definition, as in the template. */
export function containerDefinitions(taskDefinition: ecs.TaskDefinition): Array<{ [key: string]: any }> {
  const stack = Stack.of(taskDefinition);
  const template = Template.fromStack(stack).toJSON();
  const logicalId = stack.getLogicalId(taskDefinition.node.defaultChild as ecs.CfnTaskDefinition);
  return template.Resources[logicalId].Properties.ContainerDefinitions;
}

/** One rendered container definition by its name. */
export function containerNamed(taskDefinition: ecs.TaskDefinition, name: string): { [key: string]: any } {
  const found = containerDefinitions(taskDefinition).find((c) => c.Name === name);
  if (!found) throw new Error(`no container named ${name}`);
  return found;
}

/** The agent's environment as a name -> value map. */
export function environmentOf(container: { [key: string]: any }): { [name: string]: string } {
  return Object.fromEntries((container.Environment ?? []).map((e: { Name: string; Value: string }) => [e.Name, e.Value]));
}
