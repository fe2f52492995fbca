import { Token } from 'aws-cdk-lib';
import type { AwsIntegrationServiceOptions } from './aws-integration';
import type { AwsIntegrationService } from './aws-integration-service';

const STATS = ['minimum', 'average', 'maximum'];

/**
 * The metric names Mackerel documents for a service, as excludedMetrics and includedMetrics take
 * them: a name per ECS service has `#` in place of the ECS service name, as the docs' own example
 * of a metric not to retrieve (`kinesis.latency.#.minimum`) has. Only the services the library adds
 * by resource are listed; others are not checked. ECSCluster: the 12 names of the cluster and the
 * 7 per ECS service of Mackerel's ECS page (mackerelio/documents, integrations/aws/ecs.md).
 */
const DOCUMENTED_METRICS: { readonly [serviceId: string]: readonly string[] } = {
  ECSCluster: [
    ...['cpu_utilization', 'memory_utilization', 'cpu_reservation', 'memory_reservation'].flatMap((m) => STATS.map((s) => `ecs.${m}.${s}`)),
    'ecs.running_task.#.count',
    ...['service_cpu_utilization', 'service_memory_utilization'].flatMap((m) => STATS.map((s) => `ecs.${m}.#.${s}`)),
  ],
};

/**
 * One warning per name of the service's metric list that Mackerel does not document for it: an
 * excluded name that matches no metric excludes nothing, and an included one retrieves nothing,
 * and Mackerel is not known to refuse either. A warning, not an error: Mackerel may add metrics
 * after this release. Empty for a service whose names this release does not know.
 * @internal
 */
export function _unknownMetricWarnings(service: AwsIntegrationService, options: AwsIntegrationServiceOptions): string[] {
  // Own keys only: AwsIntegrationService.of takes an id such as "constructor", which every object has.
  const documented = Object.prototype.hasOwnProperty.call(DOCUMENTED_METRICS, service.id) ? DOCUMENTED_METRICS[service.id] : undefined;
  if (!documented) return [];
  const warnings: string[] = [];
  for (const list of ['excludedMetrics', 'includedMetrics'] as const) {
    const names = options[list];
    if (names === undefined || Token.isUnresolved(names)) continue;
    names.forEach((name, i) => {
      if (Token.isUnresolved(name) || documented.includes(name)) return;
      const perService = /^ecs\.(running_task|service_cpu_utilization|service_memory_utilization)\.(?!#\.)/.test(name)
        ? ' A metric per ECS service is named with # in place of the ECS service name (ecs.running_task.#.count): one name covers every ECS service.'
        : '';
      warnings.push(`services.${service.id}.${list}[${i}] ${JSON.stringify(name)} is not a metric name Mackerel documents for ${service.id} `
        + `(${documented.join(', ')}): ${list === 'excludedMetrics' ? 'it excludes nothing' : 'it retrieves nothing'}.${perService} `
        + 'Use a documented name, or acknowledge this warning for a metric Mackerel added after this release');
    });
  }
  return warnings;
}
