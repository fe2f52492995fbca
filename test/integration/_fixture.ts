import { App, CfnResource, Stack, StackProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { MackerelApiKey } from '../../src/api-key';
import { MackerelAwsIntegration } from '../../src/integration';
import { MackerelProvider } from '../../src/provider/provider';

/** A stack in ap-northeast-1 (or the given env) with its MackerelProvider. */
export function integrationStack(props: StackProps = { env: { account: '123456789012', region: 'ap-northeast-1' } }) {
  const app = new App();
  return { app, stack: stackWithProvider(app, 'Stack', props) };
}

/** Another stack of the app, in the same env by default, with its own MackerelProvider. */
export function stackWithProvider(app: App, id: string, props: StackProps = { env: { account: '123456789012', region: 'ap-northeast-1' } }) {
  const stack = new Stack(app, id, props);
  new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'ApiKey')) });
  return stack;
}

/** The logical IDs of what an integration creates, through its constructs. */
export function logicalIds(integration: MackerelAwsIntegration) {
  const stack = Stack.of(integration);
  const cfn = (c: CfnResource) => stack.resolve(c.logicalId) as string;
  return {
    externalId: cfn(integration.node.findChild('ExternalId').node.findChild('Resource').node.defaultChild as CfnResource),
    role: cfn(integration.role.node.defaultChild as CfnResource),
    policy: cfn(integration.policy.node.defaultChild as CfnResource),
    integration: cfn(integration.node.findChild('Resource').node.defaultChild as CfnResource),
  };
}

/** The template resource of a logical ID. */
export function resourceOf(stack: Stack, logicalId: string): { Type: string; Properties: any; DependsOn?: string[] } {
  return Template.fromStack(stack).toJSON().Resources[logicalId];
}

/** Verbs that change something; none may appear in Mackerel's role. */
export const WRITE_VERB = /:(\*|Create|Delete|Put|Update|Modify|Attach|Detach|Run|Start|Stop|Terminate|Tag|Untag|Set|Add|Remove|Associate|Disassociate|Reboot|Invoke|Send|Publish|Enable|Disable|Register|Deregister|Execute|Reset|Restore|Revoke|Authorize|Import|Export|Copy|Purge|Receive|Change|POST|PUT|PATCH|DELETE)/;
