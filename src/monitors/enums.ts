/**
 * How a monitor compares the observed value with its thresholds (the API's `operator`).
 */
export enum MonitorOperator {
  /** Alert when the observed value is greater than the threshold (`>`). */
  GREATER_THAN = '>',
  /** Alert when the observed value is less than the threshold (`<`). */
  LESS_THAN = '<',
}

/**
 * The alert status a connectivity monitor raises when a host stops posting metrics.
 */
export enum AlertStatusOnGone {
  /** Raise a CRITICAL alert (Mackerel's default). */
  CRITICAL = 'CRITICAL',
  /** Raise a WARNING alert. */
  WARNING = 'WARNING',
}

/**
 * The HTTP method of an external HTTP monitor's request.
 */
export enum ExternalHttpMethod {
  /** HTTP GET (Mackerel's default). */
  GET = 'GET',
  /** HTTP POST. */
  POST = 'POST',
  /** HTTP PUT. */
  PUT = 'PUT',
  /** HTTP DELETE. */
  DELETE = 'DELETE',
}

/**
 * Which IP version an external HTTP monitor connects with (the API's `dualstack`).
 */
export enum DualStack {
  /** Connect over IPv4 only (Mackerel's default). */
  IPV4 = 'ipv4',
  /** Connect over IPv6 only. */
  IPV6 = 'ipv6',
  /** Connect over IPv6 or IPv4, whichever the name resolves to. */
  AUTO = 'auto',
}

/**
 * How readily an anomaly detection monitor raises an alert.
 */
export enum AnomalySensitivity {
  /** Alert only on large deviations. */
  INSENSITIVE = 'insensitive',
  /** Alert on moderate deviations. */
  NORMAL = 'normal',
  /** Alert on small deviations. */
  SENSITIVE = 'sensitive',
}
