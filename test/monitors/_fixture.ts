import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import { MackerelApiKey } from '../../src/api-key';
import { MackerelProvider } from '../../src/provider/provider';
import { MackerelService } from '../../src/service/service';

/** A stack with its MackerelProvider, a service `shop` and its role `shop:web`. */
export function mackerelStack() {
  const app = new App();
  const stack = new Stack(app, 'Stack');
  const secret = new secretsmanager.Secret(stack, 'ApiKey');
  const provider = new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(secret) });
  const shop = new MackerelService(stack, 'Shop', { name: 'shop' });
  const web = shop.addRole('web');
  return { app, stack, provider, shop, web };
}

/** The logical ID of a Mackerel construct's custom resource. */
export function logicalIdOf(construct: IConstruct): string {
  const resource = construct.node.findChild('Resource').node.defaultChild as CfnResource;
  return Stack.of(construct).resolve(resource.logicalId);
}

/** The resource properties of a Mackerel construct's custom resource, as in the template. */
export function propertiesOf(construct: IConstruct): { [key: string]: unknown } {
  const template = Template.fromStack(Stack.of(construct)).toJSON();
  return template.Resources[logicalIdOf(construct)].Properties;
}
