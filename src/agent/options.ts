import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { MackerelApiKey } from '../api-key';
import { MackerelAgentConfig } from './config/config';
import { MackerelAgentDependency, MackerelAgentLogLevel, MackerelHostIdStore, MackerelHostStatus } from './enums';
import { MackerelAgentImage } from './image';

/**
 * Settings of the Mackerel container agent, shared by `MackerelContainerAgent`,
 * `MackerelAgentExtension` and `MackerelInstrumentation`.
 *
 * Each task running the agent registers one Mackerel host (billed as a micro host), named by its
 * task ID, and retires it when the task stops.
 *
 * @see https://mackerel.io/docs/entry/howto/container-agent
 */
export interface MackerelAgentOptions {
  /**
   * Where the Mackerel API key is read from; it needs Read and Write permission.
   *
   * It is passed to the agent as the ECS container secret `MACKEREL_APIKEY`; read access (and
   * `kms:Decrypt` for a customer managed key) is granted to the task's execution role, through
   * the stack's shared agent execution policy where the role can take it.
   *
   * @see https://mackerel.io/docs/entry/howto/install-agent/container/ecs
   */
  readonly apiKey: MackerelApiKey;

  /**
   * The roles the task's host joins, as `service:role` full names (`MACKEREL_ROLES`).
   *
   * Each part is 2-63 letters, digits, `-` or `_`, not starting with `-` or `_`. Services and
   * roles that do not exist yet are created by Mackerel when the host registers. Each role once:
   * the agent would send a repeat as given, so one is refused at synth. Their order has no meaning.
   *
   * @default - the host joins no role (a synth warning says so)
   * @see https://mackerel.io/api-docs/entry/hosts#create
   */
  readonly roles?: string[];

  /**
   * The agent image.
   *
   * @default - `MackerelAgentImage.DEFAULT`, or `MackerelAgentImage.DEFAULT_PLUGINS` when `config`
   * has metric or check plugins
   * @see https://mackerel.io/docs/entry/howto/install-agent/container/ecs
   */
  readonly image?: MackerelAgentImage;

  /**
   * The name of the agent container in the task.
   *
   * 1-255 letters, digits, `-` or `_`. With `readonlyRootFilesystem`, the agent's task volumes are
   * named after it (`<name>-host-id`, `<name>-plugin-work`), and a volume name is at most 255
   * characters, so it is at most 247 (243 with the plugin volume).
   *
   * @default 'mackerel-container-agent'
   * @see https://mackerel.io/docs/entry/howto/install-agent/container/ecs
   */
  readonly containerName?: string;

  /**
   * The hard memory limit of the agent container, in MiB.
   *
   * Mackerel's ECS recipe uses 128; at least 6, the least Docker gives a container. On a task with
   * a task-level memory size, the other containers' limits must leave this much room (checked at synth).
   *
   * @default 128
   * @see https://mackerel.io/docs/entry/howto/install-agent/container/ecs
   */
  readonly memoryLimitMiB?: number;

  /**
   * CPU units reserved for the agent container.
   *
   * @default - no reservation: the agent shares the task's CPU, as in Mackerel's recipe
   * @see https://mackerel.io/docs/entry/howto/install-agent/container/ecs
   */
  readonly cpu?: number;

  /**
   * Whether the task stops when the agent stops.
   *
   * With `false`, an agent that cannot start (a wrong API key, no network path to Mackerel)
   * leaves the app running unmonitored; with `true`, the task stops with it. Even when essential
   * and added first, the agent never becomes the task definition's `defaultContainer` (the
   * container services use as their load balancer and Cloud Map target).
   *
   * @default false
   * @see https://mackerel.io/docs/entry/howto/install-agent/container/ecs
   */
  readonly essential?: boolean;

  /**
   * How long ECS waits after SIGTERM before it kills the agent.
   *
   * The agent retires its host when it is stopped; at worst (a slow API) that takes about 96 s.
   * A killed agent leaves an orphaned host that raises connectivity alerts. Whole seconds,
   * at least 1 s, and at most 120 s on Fargate.
   *
   * @default Duration.seconds(100)
   * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html
   */
  readonly stopTimeout?: Duration;

  /**
   * Where the agent's own log (stderr) goes.
   *
   * @default - awslogs into one log group per stack shared by every agent of the stack
   * (retained one month), with the task definition family as stream prefix
   * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html
   */
  readonly logging?: ecs.LogDriver;

  /**
   * Whether the task's app containers wait for the agent to start.
   *
   * With `START`, ECS also stops the agent last, after the apps, so the host is retired once
   * the apps are gone. Containers added after the agent are included.
   *
   * @default MackerelAgentDependency.START
   * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDependency.html
   */
  readonly appContainerDependency?: MackerelAgentDependency;

  /**
   * Whether the agent's root file system is read-only.
   *
   * The agent writes only its host ID file. When the root is read-only and the host ID store is
   * `FILE`, a task-scoped volume is mounted at `/var/tmp/mackerel-container-agent`, so the ID
   * stays writable with any agent version and survives a restart of the agent container. With
   * plugins, or a `config.location` (whose plugins are not known at synth), another task-scoped
   * volume at `/var/tmp/mackerel-plugin` becomes `MACKEREL_PLUGIN_WORKDIR`, where plugins keep
   * their state. A config file of your own that sets `root` needs a writable volume there.
   *
   * @default false
   * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html
   */
  readonly readonlyRootFilesystem?: boolean;

  /**
   * The status of the host when it registers (`MACKEREL_HOST_STATUS_ON_START`).
   *
   * @default - Mackerel's default, `working`
   * @see https://mackerel.io/docs/entry/howto/container-agent
   */
  readonly hostStatusOnStart?: MackerelHostStatus;

  /**
   * The host's display name (`MACKEREL_DISPLAY_NAME`, agent v0.11.0 and later).
   *
   * @default - the host shows its name, the task ID
   * @see https://mackerel.io/docs/entry/howto/container-agent
   */
  readonly displayName?: string;

  /**
   * The host's memo (`MACKEREL_MEMO`, agent v0.11.0 and later).
   *
   * @default - no memo
   * @see https://mackerel.io/docs/entry/howto/container-agent
   */
  readonly memo?: string;

  /**
   * A Go (RE2) regular expression of container names the agent leaves out of its metrics
   * (`MACKEREL_IGNORE_CONTAINER`).
   *
   * Use `\A` and `\z` to anchor. It must not match every container of the task (the agent
   * would exit); both are checked at synth, except for RE2 syntax that JavaScript reads
   * differently (POSIX or Unicode classes, `\Q...\E`, flags after the start), which gets a
   * warning instead.
   *
   * The empty string turns the filter off, so the agent's own container is reported too: the
   * variable is then not written, which the agent reads as no filter.
   *
   * @default - the agent's own container, `\A<containerName>\z`
   * @see https://mackerel.io/docs/entry/howto/container-agent
   */
  readonly ignoreContainer?: string;

  /**
   * Where the agent keeps its host ID (`MACKEREL_HOST_ID_STORE`, agent v0.12.0 and later;
   * `MEMORY` is refused with an older image, which would ignore it and write the file anyway).
   *
   * @default - the agent's default, `file`
   * @see https://github.com/mackerelio/mackerel-container-agent/pull/476
   */
  readonly hostIdStore?: MackerelHostIdStore;

  /**
   * The agent's log level (`MACKEREL_LOG_LEVEL`, agent v0.8.0 and later; refused with an older
   * image, which would ignore it and log at `INFO`).
   *
   * @default - the agent's default, `INFO`
   * @see https://mackerel.io/docs/entry/howto/container-agent
   */
  readonly logLevel?: MackerelAgentLogLevel;

  /**
   * The Mackerel API endpoint (`MACKEREL_APIBASE`): an `http` or `https` URL. Plain `http` to
   * anything but loopback is warned about (`cdk-mackerel:apiBaseCleartext`): it carries the API key.
   * The URL is written into the template as it is: a user name or password in it is warned about
   * (`cdk-mackerel:urlCredentialsInTemplate`) and never shown in synth errors.
   *
   * @default - the agent's default, `https://api.mackerelio.com/`
   * @see https://mackerel.io/docs/entry/howto/container-agent
   */
  readonly apiBase?: string;

  /**
   * The proxy for plain HTTP requests (`HTTP_PROXY`), as a URL.
   *
   * The task metadata endpoint is never reached through a proxy. With this set, the task
   * credentials and instance metadata endpoints (`169.254.170.2`, `169.254.169.254`) are always
   * added to `NO_PROXY`: no proxy can reach them, and the agent fetches an S3 config with the
   * task role's credentials.
   *
   * The URL is written into the template as it is: a user name or password in it
   * (`http://user:pass@proxy:3128`) is warned about (`cdk-mackerel:proxyCredentialsInTemplate`)
   * and never shown in synth errors.
   *
   * @default - no proxy
   * @see https://mackerel.io/docs/entry/howto/container-agent
   */
  readonly httpProxy?: string;

  /**
   * The proxy for HTTPS requests, such as the Mackerel API (`HTTPS_PROXY`), as a URL.
   *
   * The URL is written into the template as it is: a user name or password in it is warned
   * about (`cdk-mackerel:proxyCredentialsInTemplate`) and never shown in synth errors.
   *
   * @default - no proxy
   * @see https://mackerel.io/docs/entry/howto/container-agent
   */
  readonly httpsProxy?: string;

  /**
   * Hosts, domains or CIDRs reached without the proxy (`NO_PROXY`, joined with `,`).
   *
   * @default - only the task's own endpoints (`169.254.170.2`, `169.254.169.254`) when
   * `httpProxy` is set; every other request uses the proxy
   * @see https://mackerel.io/docs/entry/howto/container-agent
   */
  readonly noProxy?: string[];

  /**
   * The agent's YAML configuration (plugins, readiness probe), delivered as an S3 asset that the
   * task role may read (`MACKEREL_AGENT_CONFIG`). With plugins, the default image is the one
   * with the official plugins, `MackerelAgentImage.DEFAULT_PLUGINS`.
   *
   * A config with no plugin, readiness probe or `location` (`{}`, or a `pollingInterval` alone) is
   * the same as none: no file is delivered, nothing is granted and `MACKEREL_AGENT_CONFIG` is not
   * set. A `pollingInterval` alone is warned about (`cdk-mackerel:agentConfigPollingUnused`).
   *
   * @default - no config file: the agent is configured by environment variables only
   * @see https://mackerel.io/docs/entry/howto/container-agent
   */
  readonly config?: MackerelAgentConfig;
}
