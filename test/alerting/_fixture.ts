import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { HostMetricMonitor, MonitorOperator, MonitorScope } from '../../src/monitors';
import { MackerelProvider } from '../../src/provider/provider';
import { mackerelStack } from '../monitors/_fixture';

export { logicalIdOf, propertiesOf } from '../monitors/_fixture';

/** A stack with its MackerelProvider, a service `shop`, its role `shop:web` and a CPU monitor. */
export function alertingStack() {
  const fixture = mackerelStack();
  const cpu = new HostMetricMonitor(fixture.stack, 'Cpu', {
    name: 'web cpu',
    metric: 'container-cpu%',
    operator: MonitorOperator.GREATER_THAN,
    warning: 80,
    duration: Duration.minutes(3),
    scopes: [MonitorScope.fromRole(fixture.web)],
  });
  return { ...fixture, cpu };
}

/** The statements of the provider handler's role policy, as in the template. */
export function handlerStatements(stack: Stack, provider: MackerelProvider): Array<{ [key: string]: any }> {
  const role = provider.handler.role!;
  const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
  const roleRef = stack.resolve(role.roleName);
  return Object.values<any>(policies)
    .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([roleRef]))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}
