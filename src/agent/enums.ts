/**
 * The status a host is given when the agent registers it (`MACKEREL_HOST_STATUS_ON_START`).
 *
 * @see https://mackerel.io/docs/entry/howto/container-agent
 */
export enum MackerelHostStatus {
  /** The host is working: monitored and alerting (Mackerel's usual status). */
  WORKING = 'working',
  /** The host is standing by: monitored, but alerts are not raised. */
  STANDBY = 'standby',
  /** The host is under maintenance: monitored, but alerts are not raised. */
  MAINTENANCE = 'maintenance',
  /** The host is powered off: not monitored. */
  POWEROFF = 'poweroff',
}

/**
 * Where the agent keeps the ID of the host it registered (`MACKEREL_HOST_ID_STORE`, agent v0.12.0 and later).
 *
 * The agent needs the ID to retire the host when the task stops; a lost ID leaves an orphaned host.
 *
 * @see https://github.com/mackerelio/mackerel-container-agent/pull/476
 */
export enum MackerelHostIdStore {
  /** A file under `/var/tmp/mackerel-container-agent` (the agent's default): needs a writable path there. */
  FILE = 'file',
  /** The agent's memory: nothing is written, but an agent restarted in the same task registers a new host. */
  MEMORY = 'memory',
}

/**
 * How much the agent logs (`MACKEREL_LOG_LEVEL`).
 *
 * `DEBUG` and `TRACE` print most `MACKEREL_*` settings, and the API key masked to its first 4
 * characters.
 */
export enum MackerelAgentLogLevel {
  /** Everything, including HTTP traces. */
  TRACE = 'TRACE',
  /** Debug messages and above: prints the agent's settings. */
  DEBUG = 'DEBUG',
  /** Informational messages and above (the agent's default). */
  INFO = 'INFO',
  /** Warnings and above. */
  WARNING = 'WARNING',
  /** Errors and above. */
  ERROR = 'ERROR',
  /** Critical errors only. */
  CRITICAL = 'CRITICAL',
}

/**
 * Whether the task's app containers wait for the agent (ECS `dependsOn`).
 *
 * ECS starts containers in dependency order and stops them in reverse order, so app containers
 * that wait for the agent also make ECS stop the agent last: it records the apps until they
 * stop, then retires the host.
 */
export enum MackerelAgentDependency {
  /**
   * Every essential container of the task (except FireLens log routers and containers the agent
   * itself depends on) waits for the agent to start (condition `START`). An App Mesh proxy named
   * in the task's `proxyConfiguration` is waited for by the agent instead, so that ECS stops it
   * after the agent, which retires its host through it.
   */
  START = 'START',
  /** App containers start and stop independently of the agent. */
  NONE = 'NONE',
}
