/**
 * Logging and secret scrubbing. Every log line and every error message that leaves the handler
 * goes through `scrub`, which blanks out each secret the handler has learnt (the API key,
 * resolved channel URLs) in the forms it may appear in: plain, URL-encoded and JSON-escaped.
 */

const secrets = new Set<string>();

/** Secrets shorter than this are not scrubbed: blanking "a" everywhere would hide everything. */
const MIN_SECRET_LENGTH = 6;
const MASK = '****';

export function addSecret(value: string): void {
  if (value.length < MIN_SECRET_LENGTH) return;
  secrets.add(value);
  secrets.add(encodeURIComponent(value));
  secrets.add(JSON.stringify(value).slice(1, -1));
}

export function scrub(text: string): string {
  let out = text;
  // Longest first, so that a secret containing another is blanked whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join(MASK);
  }
  return out;
}

export type LogFields = { readonly [field: string]: unknown };

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines all carry `fields` too. */
  with(fields: LogFields): Logger;
}

/** One JSON object per line, which CloudWatch Logs Insights parses without configuration. */
export function createLogger(base: LogFields = {}): Logger {
  const write = (level: string, message: string, fields?: LogFields) => {
    const line = scrub(JSON.stringify({ level, message, ...base, ...fields }));
    if (level === 'error') console.error(line);
    else console.log(line);
  };
  return {
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
    with: (fields) => createLogger({ ...base, ...fields }),
  };
}
