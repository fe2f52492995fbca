import { getParameter, getSecretString } from './aws';
import { secretJsonValue } from './dynamic-reference';
import { localApi } from './local-api';
import { addSecret } from './log';

/**
 * The Mackerel API key, read on every invocation: the key a caller in this process handed over
 * (local-api.ts, for cdk-mackerel apply), else from where the provider's environment says:
 * MACKEREL_APIKEY (local runs and tests only), else the secret MACKEREL_APIKEY_SECRET_ARN (its ARN
 * or name; whole SecretString, or its JSON field MACKEREL_APIKEY_SECRET_FIELD), else the SSM
 * parameter MACKEREL_APIKEY_PARAMETER_NAME. It is not kept across invocations: a key rotated in
 * Secrets Manager or SSM (the old one revoked in Mackerel) is used by the very next request, rather
 * than a warm container failing with 401 until it is recycled. One read per CloudFormation request
 * costs little. The key is registered for scrubbing before anyone sees it. A read from AWS is
 * bounded by `deadline`, the invocation's (`aws.ts`).
 */
export async function readApiKey(deadline: number, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  // Handed over, it is the key, even when empty: never one the process's own environment holds.
  const handedOver = localApi();
  if (handedOver) return remember(handedOver.apiKey);
  if (env.MACKEREL_APIKEY) return remember(env.MACKEREL_APIKEY);
  return remember(await fetchKey(keyLocation(env), deadline));
}

type KeyLocation = { readonly secretArn: string; readonly field?: string } | { readonly parameterName: string };

function keyLocation(env: NodeJS.ProcessEnv): KeyLocation {
  if (env.MACKEREL_APIKEY_SECRET_ARN) return { secretArn: env.MACKEREL_APIKEY_SECRET_ARN, field: env.MACKEREL_APIKEY_SECRET_FIELD || undefined };
  if (env.MACKEREL_APIKEY_PARAMETER_NAME) return { parameterName: env.MACKEREL_APIKEY_PARAMETER_NAME };
  throw new Error('the handler does not know where the Mackerel API key is; expected MACKEREL_APIKEY_SECRET_ARN or MACKEREL_APIKEY_PARAMETER_NAME in its environment (set by MackerelProvider)');
}

async function fetchKey(location: KeyLocation, deadline: number): Promise<string> {
  if ('parameterName' in location) return getParameter(location.parameterName, deadline);
  const { secretArn: arn, field } = location;
  const value = await getSecretString(arn, deadline);
  if (!field) return value;
  const key = secretJsonValue(arn, value, field, 'field', 'expected a JSON object holding the key in that field');
  if (typeof key !== 'string' || key === '') {
    throw new Error(`the secret ${arn} has no string field ${JSON.stringify(field)}; expected a JSON object holding the key in that field`);
  }
  return key;
}

function remember(key: string): string {
  // A trailing newline from `echo key > file` would make an invalid HTTP header.
  const trimmed = key.trim();
  addSecret(key);
  addSecret(trimmed);
  return trimmed;
}
