import { Duration } from 'aws-cdk-lib';
import { MackerelAgentConfigLocation } from './location';
import { MackerelReadinessProbe } from './probe';

/**
 * The command of a plugin or an exec readiness probe: a shell line or an argument list.
 *
 * @see https://mackerel.io/docs/entry/howto/container-agent
 */
export class MackerelPluginCommand {
  /** A line run with `/bin/sh -c`. */
  public static shell(line: string): MackerelPluginCommand {
    return new MackerelPluginCommand(line);
  }

  /** A program and its arguments, run directly without a shell. */
  public static exec(...args: string[]): MackerelPluginCommand {
    return new MackerelPluginCommand(args);
  }

  private constructor(private readonly value: string | string[]) {}

  /** The YAML value: a string or a list. @internal */
  public _render(): string | string[] {
    return this.value;
  }
}

/** A metric plugin of the container agent (`plugin.metrics.<name>`). */
export interface MackerelMetricPlugin {
  /** The command: its output lines are `key<TAB>value<TAB>epoch`. */
  readonly command: MackerelPluginCommand;

  /**
   * The user the command runs as (`sudo -Eu <user>`, needs the agent running as root).
   *
   * @default - the agent's user
   */
  readonly user?: string;

  /**
   * Environment variables added for the command. Names must not contain `=`. The command
   * also inherits the agent's own environment, including its API key.
   *
   * The values are written in plain text into the config file, an S3 asset in the CDK bootstrap
   * bucket: a name ending in a credential's word (`DB_PASSWORD`, `GITHUB_TOKEN`, `API_KEY`) unless
   * its value is a switch (`MYSQL_ALLOW_EMPTY_PASSWORD=yes`: yes, no, true, false, on, off, 0 or 1),
   * or a value that is a URL with a password (`postgres://app:pass@db/shop`), is warned about
   * (`cdk-mackerel:credentialInAgentConfig`). Give a secret to the agent container as an ECS secret
   * instead: the command inherits the agent's environment.
   *
   * @default - only the agent's environment
   */
  readonly env?: { [name: string]: string };

  /**
   * How long the command may run (`timeoutSeconds`, whole seconds, at least 1).
   *
   * @default - the agent's default, 30 seconds
   */
  readonly timeout?: Duration;
}

/** A check plugin of the container agent (`plugin.checks.<name>`). */
export interface MackerelCheckPlugin extends MackerelMetricPlugin {
  /**
   * A memo shown with the check's alerts.
   *
   * @default - no memo
   */
  readonly memo?: string;
}

/**
 * The container agent's YAML configuration, written by the library and delivered as an S3
 * asset (`MACKEREL_AGENT_CONFIG=s3://bucket/key`). The API key is never written to it.
 *
 * Without a plugin, a readiness probe or a `location`, nothing is delivered: an empty file means
 * to the agent what no file means.
 *
 * Checks run every minute; the container agent has no check interval or attempt settings.
 *
 * @see https://mackerel.io/docs/entry/howto/container-agent
 */
export interface MackerelAgentConfig {
  /**
   * Metric plugins by name: 1-64 letters, digits, `-`, `_` and `.`, starting with a letter or digit.
   *
   * @default - no metric plugin
   */
  readonly metricPlugins?: { [name: string]: MackerelMetricPlugin };

  /**
   * Check plugins by name: 1-64 letters, digits, `-`, `_` and `.`, starting with a letter or digit.
   *
   * @default - no check plugin
   */
  readonly checkPlugins?: { [name: string]: MackerelCheckPlugin };

  /**
   * A probe that must succeed before the agent registers the task's host. It is retried
   * forever: a wrong probe means a task that is never monitored.
   *
   * @default - the host registers at once
   */
  readonly readinessProbe?: MackerelReadinessProbe;

  /**
   * How often the agent reads the config again (`MACKEREL_AGENT_CONFIG_POLLING_DURATION_MINUTES`),
   * in whole minutes.
   *
   * It is an environment variable, not part of the file, so it may come from a deploy-time value
   * given in minutes (`Duration.minutes(parameter.valueAsNumber)`), which is written unchecked.
   *
   * Alone, with nothing else to read, it is warned about (`cdk-mackerel:agentConfigPollingUnused`)
   * and not written.
   *
   * @default - the config is read once, at start
   */
  readonly pollingInterval?: Duration;

  /**
   * A config file you maintain, read by the agent in place of one written from this config.
   * With a location, only `pollingInterval` may be set here; give `image` when the file uses
   * plugins.
   *
   * @default - the config is written from these settings and delivered as an S3 asset; the task
   * role may get exactly that object. The asset bucket is the bootstrap bucket: when it was
   * bootstrapped with a customer managed key, grant the task role `kms:Decrypt` on that key.
   */
  readonly location?: MackerelAgentConfigLocation;
}
