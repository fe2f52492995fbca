import { Stack, Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { _fail } from '../../_validation';

/**
 * The port an `httpToContainer` probe targets: its container's first port mapping as it is when the
 * agent's config is written, which must be a single port.
 * @internal
 */
export function _probedPort(container: ecs.ContainerDefinition): number {
  if (container.portMappings.length === 0) {
    _fail(container, 'portMappings', [], 'is empty, so the readiness probe has no port to target',
      'a container with a port mapping when the agent is added, as its config file is written then',
      'Add the port mapping before the agent, or use MackerelReadinessProbe.http with a port');
  }
  const first = container.portMappings[0];
  // A range is written as containerPort 0 (CONTAINER_PORT_USE_RANGE); which of its ports answers is not known.
  if (first.containerPortRange !== undefined) {
    _fail(container, 'portMappings[0].containerPortRange', first.containerPortRange, 'is a port range, so the readiness probe has no single port to target',
      'a container whose first port mapping has a single containerPort', 'Use MackerelReadinessProbe.http with the port the app answers on');
  }
  if (first.protocol === ecs.Protocol.UDP) {
    _fail(container, 'portMappings[0].protocol', first.protocol, `is not TCP, so an HTTP readiness probe of port ${first.containerPort} would never be answered`,
      'a container whose first port mapping is TCP', 'Use MackerelReadinessProbe.http with the TCP port the app answers on');
  }
  // The config file is written at synth, where a port from a parameter is only its token text.
  if (Token.isUnresolved(first.containerPort)) {
    _fail(container, 'portMappings[0].containerPort', Stack.of(container).resolve(first.containerPort),
      'is known only at deploy time, but the agent\'s config file is written at synth', 'a container whose first port mapping has a literal containerPort',
      'Use MackerelReadinessProbe.http with the port the app answers on');
  }
  return first.containerPort;
}
