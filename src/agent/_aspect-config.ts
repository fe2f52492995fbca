import * as ecs from 'aws-cdk-lib/aws-ecs';
import { _warnLate } from '../_validation';
import { MackerelAgentConfig } from './config';
import { _hasAgentSettings } from './config/_render';

/**
 * Whether a readiness probe of the Aspect's config fits the task definition: one of an app container
 * (`httpToContainer`) fits only the task definition that holds it; elsewhere the tasks would wait on
 * it forever and never register.
 * @internal
 */
export function _probeFits(taskDefinition: ecs.TaskDefinition, config: MackerelAgentConfig | undefined): boolean {
  const container = config?.readinessProbe?._container;
  return !container || container.taskDefinition === taskDefinition;
}

/** The Aspect's config for one task definition: a probe that does not fit it is left out. @internal */
export function _aspectConfig(taskDefinition: ecs.TaskDefinition, config: MackerelAgentConfig | undefined): MackerelAgentConfig | undefined {
  if (!config || _probeFits(taskDefinition, config)) return config;
  const rest: MackerelAgentConfig = { ...config, readinessProbe: undefined };
  // A polling interval left alone has nothing to read again: the probe's warning says enough.
  return _hasAgentSettings(rest) ? rest : undefined;
}

/** The Aspect's probe is left out of a task definition it does not fit: say so, as its hosts register at once. @internal */
export function _warnProbeNotApplied(taskDefinition: ecs.TaskDefinition, config: MackerelAgentConfig): void {
  const container = config.readinessProbe!._container!;
  _warnLate(taskDefinition, 'cdk-mackerel:readinessProbeNotApplied',
    `MackerelInstrumentation left out its config.readinessProbe here: it targets container ${container.node.path} of task definition `
    + `${container.taskDefinition.node.path}, which these tasks do not run, so they would wait on it forever and never register. `
    + 'The hosts register at once instead. Give this task definition its own probe with MackerelInstrumentation.configure');
}

/**
 * The config given by `configure` is used instead of the Aspect's, not merged with it: one given to
 * change one thing (a polling interval, a plugin) would drop the Aspect's other plugins and its
 * probe, its config file (a location) or its polling interval, unseen. An empty config (`{}`) is the
 * documented way to give a task definition none, so it does not warn. A location is a whole config
 * file of the user's, which stands for the Aspect's plugins, probe and file; the polling interval is
 * no part of a file (an environment variable), so one the Aspect sets and a location leaves out is named.
 * A setting given another value is no setting left out: nothing is said of it.
 * @internal
 */
export function _warnConfigReplaced(
  taskDefinition: ecs.TaskDefinition, given: MackerelAgentConfig, aspectConfig: MackerelAgentConfig | undefined,
): void {
  // Only what the Aspect would give this task definition is lost: not a probe of another one's
  // container, nor a polling interval that went with that probe alone (nothing left to read again).
  const aspect = _aspectConfig(taskDefinition, aspectConfig);
  if (!aspect || (!_hasAgentSettings(given) && given.pollingInterval === undefined)) return;
  const ownFile = given.location !== undefined;
  const missing = (kind: string, mine: object | undefined, theirs: object | undefined): string[] => {
    const names = Object.keys(theirs ?? {}).filter((name) => !Object.keys(mine ?? {}).includes(name));
    return names.length === 0 ? [] : [`${kind}${names.length > 1 ? 's' : ''} ${names.map((name) => JSON.stringify(name)).join(', ')}`];
  };
  const probeLost = aspect.readinessProbe !== undefined && given.readinessProbe === undefined;
  const lost = ownFile ? [] : [
    ...missing('metric plugin', given.metricPlugins, aspect.metricPlugins),
    ...missing('check plugin', given.checkPlugins, aspect.checkPlugins),
    ...(probeLost ? ['readiness probe'] : []),
  ];
  // The Aspect's own file runs whatever plugins and probe it holds, which a config of plugins leaves out as well.
  const fileLost = !ownFile && aspect.location !== undefined;
  const pollingLost = aspect.pollingInterval !== undefined && given.pollingInterval === undefined;
  if (lost.length === 0 && !fileLost && !pollingLost) return;
  const listed = lost.length === 1 ? lost[0] : `${lost.slice(0, -1).join(', ')} and ${lost[lost.length - 1]}`;
  const what = [
    ...(lost.length > 0 ? [`${listed} do not run here`] : []),
    ...(fileLost ? ['config file (config.location) is not read here'] : []),
    ...(pollingLost ? ['polling interval (config.pollingInterval) is not used here, so the config is read once, at start'] : []),
  ];
  const one = what.length === 1 && lost.length === 0;
  _warnLate(taskDefinition, 'cdk-mackerel:agentConfigReplaced',
    'MackerelInstrumentation.configure gives this task definition a config of its own, which is used instead of the Aspect\'s config, not merged '
    + `with it, so the Aspect's ${what.join(', and its ')}. Repeat ${fileLost && one ? 'what it holds' : one ? 'it' : 'them'} in the config given `
    + `to configure to keep ${one ? 'it' : 'them'}, or acknowledge this warning if the task definition is meant to go without ${one ? 'it' : 'them'}`);
}
