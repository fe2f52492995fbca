/**
 * Timings of the handler, in one place so that tests can shorten them (`Object.assign(settings,
 * {...})`, then `resetSettings()`). Production code only ever reads them.
 */
export interface HandlerSettings {
  /** Longest wait for one HTTP response from Mackerel (the official client uses 30 s). */
  requestTimeoutMs: number;
  /** First backoff step; attempt n waits a random time in [0, base * 2^(n-1)] (full jitter). */
  baseDelayMs: number;
  /** Cap of one backoff step. */
  maxDelayMs: number;
  /** Most attempts of one call, retries of every kind (429 included) counted. */
  maxAttempts: number;
  /** Time kept free at the end of the Lambda's run to report the outcome to CloudFormation. */
  safetyMarginMs: number;
  /** The shortest time worth starting one more attempt with. */
  minAttemptMs: number;
  /** Longest wait for Mackerel to accept a just-created IAM role (IAM propagation). */
  iamPropagationMaxMs: number;
  /** Wait between two attempts while the IAM role is not usable yet. */
  iamPropagationIntervalMs: number;
}

const DEFAULTS: HandlerSettings = {
  requestTimeoutMs: 30_000,
  baseDelayMs: 1_000,
  maxDelayMs: 20_000,
  maxAttempts: 8,
  safetyMarginMs: 5_000,
  minAttemptMs: 1_000,
  iamPropagationMaxMs: 180_000,
  iamPropagationIntervalMs: 10_000,
};

export const settings: HandlerSettings = { ...DEFAULTS };

export function resetSettings(): void {
  Object.assign(settings, DEFAULTS);
}

/** Why a call to Mackerel or AWS is not sent: the deadline, less the margin, has come. */
export const NO_TIME_LEFT = 'no time left before the invocation times out (the Lambda\'s remaining time; --timeout for cdk-mackerel)';

/**
 * Whether, after waiting `delayMs`, one more attempt still has time before the invocation's
 * `deadline`, the report to CloudFormation's margin kept: the one rule of every retry loop.
 */
export function timeForAnotherAttempt(deadline: number, delayMs: number): boolean {
  return delayMs + settings.minAttemptMs <= deadline - settings.safetyMarginMs - Date.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
