/**
 * CloudFormation does not resolve secure dynamic references in custom-resource properties, so
 * a channel URL kept in Secrets Manager or SSM arrives as the reference itself:
 * `{{resolve:secretsmanager:<secret-id>:SecretString:<json-key>:<version-stage>:<version-id>}}`,
 * `{{resolve:ssm-secure:<name>[:<version>]}}` or `{{resolve:ssm:<name>[:<version>]}}`. The
 * library writes ssm-secure ones as `{{cdk-mackerel:ssm-secure:...}}`, since CloudFormation
 * refuses `{{resolve:ssm-secure:` in a custom resource; both spellings are read.
 * The handler resolves them with its own role; resolved values are scrubbed from every log
 * line and message.
 */
import { getParameter, getSecretString } from './aws';
import { addSecret } from './log';

const REFERENCE = /\{\{(resolve|cdk-mackerel):(secretsmanager|ssm-secure|ssm):([^}]+)\}\}/g;

export type DynamicReference =
  | { readonly service: 'secretsmanager'; readonly secretId: string; readonly jsonKey?: string; readonly versionStage?: string; readonly versionId?: string }
  | { readonly service: 'ssm'; readonly name: string; readonly version?: string };

/** True when `text` holds at least one dynamic reference. */
export function hasDynamicReference(text: string): boolean {
  return new RegExp(REFERENCE.source).test(text);
}

/** Parses the part after `{{resolve:<service>:` (or `{{cdk-mackerel:<service>:`) up to `}}`. */
export function parseDynamicReference(service: string, body: string, spelling = 'resolve'): DynamicReference {
  const parts = body.split(':');
  if (service === 'secretsmanager') {
    // A secret ARN has seven colon-separated parts of its own: arn:aws:secretsmanager:region:account:secret:name
    const idParts = parts[0] === 'arn' ? 7 : 1;
    const secretId = parts.slice(0, idParts).join(':');
    const [valueType, jsonKey, versionStage, versionId, ...extra] = parts.slice(idParts);
    if (!secretId || extra.length > 0 || (valueType && valueType !== 'SecretString')) {
      throw new Error(`the dynamic reference {{${spelling}:secretsmanager:${shortened(parts)}}} is not understood; expected {{resolve:secretsmanager:<secret-id>:SecretString:<json-key>:<version-stage>:<version-id>}}`);
    }
    return { service, secretId, jsonKey: jsonKey || undefined, versionStage: versionStage || undefined, versionId: versionId || undefined };
  }
  // A parameter ARN has six parts: arn:aws:ssm:region:account:parameter/name
  const nameParts = parts[0] === 'arn' ? 6 : 1;
  const name = parts.slice(0, nameParts).join(':');
  const [version, ...extra] = parts.slice(nameParts);
  if (!name || extra.length > 0 || (version !== undefined && !/^\d+$/.test(version))) {
    throw new Error(`the dynamic reference {{${spelling}:${service}:${shortened(parts)}}} is not understood; expected {{${spelling}:${service}:<parameter-name>[:<version>]}}`);
  }
  return { service: 'ssm', name, version };
}

/**
 * Where the dynamic references in `text` read from, for messages that must not show what they
 * read: `secretsmanager <secret-id>`, `ssm-secure <parameter-name>`.
 */
export function dynamicReferenceSources(text: string): string[] {
  return [...text.matchAll(REFERENCE)].map((match) => {
    const reference = parseDynamicReference(match[2], match[3], match[1]);
    return `${match[2]} ${reference.service === 'secretsmanager' ? reference.secretId : reference.name}`;
  });
}

/** Replaces every dynamic reference in `text` by the value it names, read by `deadline` (`aws.ts`). */
export async function resolveDynamicReferences(text: string, deadline: number): Promise<string> {
  const matches = [...text.matchAll(REFERENCE)];
  let out = text;
  for (const match of matches) {
    const value = await resolveReference(parseDynamicReference(match[2], match[3], match[1]), deadline);
    addSecret(value);
    out = out.replace(match[0], () => value);
  }
  return out;
}

/**
 * What a secret's SecretString, a JSON object, holds under `key` (undefined when nothing), for a
 * dynamic reference's json-key and the API key's field alike. Neither the value nor the text is
 * echoed: it is a secret or holds one. `noun` is what the caller calls the key; `expected`, what
 * it expects instead.
 */
export function secretJsonValue(secretId: string, secretString: string, key: string, noun: string, expected: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw new Error(`the secret ${secretId} is not JSON, so it has no ${noun} ${JSON.stringify(key)}; ${expected}`);
  }
  return (parsed as { [key: string]: unknown } | null)?.[key];
}

async function resolveReference(ref: DynamicReference, deadline: number): Promise<string> {
  if (ref.service === 'ssm') return getParameter(ref.name, deadline, ref.version);
  const value = await getSecretString(ref.secretId, deadline, ref);
  if (!ref.jsonKey) return value;
  const field = secretJsonValue(ref.secretId, value, ref.jsonKey, 'key', 'expected a JSON object');
  if (typeof field !== 'string') {
    throw new Error(`the secret ${ref.secretId} has no string key ${JSON.stringify(ref.jsonKey)}; expected a JSON object holding the value under that key`);
  }
  return field;
}

/** The reference for an error message: names are not secret, but keep it short. */
function shortened(parts: string[]): string {
  return parts.join(':').slice(0, 200);
}
