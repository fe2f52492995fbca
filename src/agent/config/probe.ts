import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { _ProbeKind } from './_probe-kind';
import { _probedPort } from './_probe-port';
import { MackerelPluginCommand } from './config';

/** When and how long the agent probes. */
export interface MackerelProbeTiming {
  /**
   * The wait before the first probe (`initialDelaySeconds`, whole seconds, at least 0).
   *
   * @default - the agent's default, no wait
   */
  readonly initialDelay?: Duration;

  /**
   * The time between probes (`periodSeconds`, whole seconds, at least 1: the agent reads 0 as
   * its default).
   *
   * @default - the agent's default, 10 seconds
   */
  readonly period?: Duration;

  /**
   * How long one probe may take (`timeoutSeconds`, whole seconds, at least 1: the agent reads 0
   * as its default).
   *
   * @default - the agent's default, 1 second
   */
  readonly timeout?: Duration;
}

/** An exec readiness probe: ready when the command exits with status 0. */
export interface MackerelExecProbeOptions extends MackerelProbeTiming {
  /** The command to run. */
  readonly command: MackerelPluginCommand;

  /**
   * The user the command runs as.
   *
   * @default - the agent's user
   */
  readonly user?: string;

  /**
   * Environment variables added for the command: names must not contain `=`.
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
}

/** The scheme of an HTTP readiness probe. */
export enum MackerelProbeScheme {
  /** Plain HTTP (the agent's default). */
  HTTP = 'http',
  /** HTTPS. */
  HTTPS = 'https',
}

/** An HTTP readiness probe: ready when the response status is 200-399. */
export interface MackerelHttpProbeOptions extends MackerelProbeTiming {
  /** The request path, starting with `/`. */
  readonly path: string;

  /**
   * The scheme.
   *
   * @default MackerelProbeScheme.HTTP
   */
  readonly scheme?: MackerelProbeScheme;

  /**
   * The HTTP method, in capitals.
   *
   * @default 'GET'
   */
  readonly method?: string;

  /**
   * The host to connect to. `localhost` reaches sibling containers only with the `awsvpc` or
   * `host` network mode.
   *
   * @default 'localhost'
   */
  readonly host?: string;

  /**
   * The port, 1-65535.
   *
   * @default - the scheme's port
   */
  readonly port?: number;

  /**
   * Request headers by name: a `Host` header sets the request host.
   *
   * The values are written in plain text into the config file, an S3 asset in the CDK bootstrap
   * bucket: a header that carries a credential (`Authorization`, `Proxy-Authorization`, `Cookie`,
   * or a name holding token, secret, key or password, but not `Idempotency-Key`, `X-Idempotency-Key`
   * or `Sec-WebSocket-Key`, in any case), unless its value is empty, is warned about
   * (`cdk-mackerel:credentialInAgentConfig`), its value never shown.
   *
   * @default - no extra header
   */
  readonly headers?: { [name: string]: string };

  /**
   * A proxy URL for the probe.
   *
   * Written in plain text into the config file like `headers`: one with a user name or password
   * is warned about (`cdk-mackerel:credentialInAgentConfig`), shown masked.
   *
   * @default - no proxy
   */
  readonly proxy?: string;
}

/** A TCP readiness probe: ready when a connection opens. */
export interface MackerelTcpProbeOptions extends MackerelProbeTiming {
  /** The port, 1-65535. */
  readonly port: number;

  /**
   * The host to connect to.
   *
   * @default - the local host
   */
  readonly host?: string;
}

/**
 * The agent's readiness probe (`readinessProbe`): exactly one of exec, HTTP or TCP.
 *
 * @see https://mackerel.io/docs/entry/howto/container-agent
 */
export class MackerelReadinessProbe {
  /** Ready when a command exits with status 0. */
  public static exec(options: MackerelExecProbeOptions): MackerelReadinessProbe {
    return new MackerelReadinessProbe('exec', options);
  }

  /** Ready when an HTTP request answers 200-399. */
  public static http(options: MackerelHttpProbeOptions): MackerelReadinessProbe {
    return new MackerelReadinessProbe('http', options);
  }

  /**
   * Ready when an app container answers HTTP on its first port mapping (through `localhost`,
   * which reaches it in the `awsvpc` and `host` network modes, a synth warning says so in
   * `bridge` mode).
   *
   * The port is read when the agent's config file is written: when `MackerelContainerAgent` or
   * `MackerelAgentExtension` adds the agent, or when `MackerelInstrumentation` visits the task
   * definition (after the app's code has run). A port mapping added after this call is seen
   * if it is added by then; the container must have one by then.
   *
   * The container must be in the task definition the agent joins: `MackerelContainerAgent` and
   * `MackerelAgentExtension` refuse a container of another task definition (its tasks would wait
   * on the probe forever and never register). Given to `MackerelInstrumentation` for every task
   * definition, the probe goes only to the task definition that holds the container; the others
   * get no probe (their hosts register at once) and a `cdk-mackerel:readinessProbeNotApplied`
   * warning. Give a workload its probe with `MackerelInstrumentation.configure` instead.
   *
   * @param container the app container, whose first port mapping is a single TCP port (not UDP, not a `containerPortRange`)
   * @param path the request path, starting with `/`
   * @param timing when and how long the agent probes: by default the agent's own timing
   */
  public static httpToContainer(container: ecs.ContainerDefinition, path: string, timing: MackerelProbeTiming = {}): MackerelReadinessProbe {
    // A first mapping stays first (addPortMappings appends): a range is refused here, where it is called.
    if (container.portMappings.length > 0) _probedPort(container);
    return new MackerelReadinessProbe('http', { ...timing, path }, container);
  }

  /** Ready when a TCP connection opens. */
  public static tcp(options: MackerelTcpProbeOptions): MackerelReadinessProbe {
    return new MackerelReadinessProbe('tcp', options);
  }

  /** @internal */
  public readonly _kind: _ProbeKind;
  /** @internal */
  public readonly _options: MackerelExecProbeOptions | MackerelHttpProbeOptions | MackerelTcpProbeOptions;
  /** The app container the probe targets (`httpToContainer`), which must share the agent's task definition. @internal */
  public readonly _container?: ecs.ContainerDefinition;

  private constructor(kind: _ProbeKind, options: MackerelExecProbeOptions | MackerelHttpProbeOptions | MackerelTcpProbeOptions,
    container?: ecs.ContainerDefinition) {
    this._kind = kind;
    this._options = options;
    this._container = container;
  }
}
