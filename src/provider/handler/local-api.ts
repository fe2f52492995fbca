/**
 * The Mackerel API a caller running the handler in its own process (`cdk-mackerel apply`) hands
 * it, in place of the Lambda's environment. The key is not put into `process.env` for the call:
 * every child process started meanwhile, and every report of the environment (a crash report, a
 * diagnostic dump), would get it too. The Lambda never sets it, and reads the key from where
 * MackerelProvider's environment says (see api-key.ts).
 */

/** What the caller hands over. */
export interface LocalApi {
  readonly apiBase: string;
  readonly apiKey: string;
}

let handedOver: LocalApi | undefined;

/** Hands the handler the API to use for the calls that follow, or takes it back when called with nothing. */
export function useLocalApi(api?: LocalApi): void {
  handedOver = api;
}

/** The API handed over, if any. */
export function localApi(): LocalApi | undefined {
  return handedOver;
}
