import { describe, expect, test } from 'vitest';
import { _scrubber } from '../../../src/cli/api';
import { addSecret, createLogger, MIN_SECRET_LENGTH, scrub } from '../../../src/provider/handler/log';

/** A seeded generator (Park and Miller's), so that every run draws the same secrets and texts. */
function random(seed: number): () => number {
  let state = seed % 2147483647 || 1;
  return () => {
    state = (state * 48271) % 2147483647;
    return (state - 1) / 2147483646;
  };
}

// ASCII with the characters URL and JSON writers escape, beyond ASCII (Latin, CJK, Go's U+2028) and beyond the BMP.
const ALPHABET = [...'abcdefABCDEFxyzXYZ0189-_.~%/&<>?=+ !\'()"\\:', 'é', 'É', '日', '本', '\u2028', '😀', '𠮷'];

const json = (text: string) => JSON.stringify(text).slice(1, -1);
const hex = (c: string, upper: boolean) => {
  const h = c.charCodeAt(0).toString(16).padStart(4, '0');
  return `\\u${upper ? h.toUpperCase() : h}`;
};
/** Every code unit matching `pattern` as \uXXXX (a character beyond the BMP as its surrogate pair). */
const escape = (text: string, pattern: RegExp, upper = false) => text.replace(pattern, (c) => hex(c, upper));
const lowerHex = (text: string) => text.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase());
const mixedHex = (text: string, draw: () => number) => text.replace(/%[0-9A-F]{2}/g, (e) => (draw() < 0.5 ? e.toLowerCase() : e));
const form = (text: string) => new URLSearchParams({ v: text }).toString().slice(2);

/** A secret as the writers the scrub claims to know write it (README, log.ts), and each as a log line carries it. */
function writtenForms(secret: string, draw: () => number): { readonly once: string[]; readonly all: string[] } {
  const php = json(secret).replace(/\//g, '\\/');
  const once = [
    secret,
    encodeURIComponent(secret),
    lowerHex(encodeURIComponent(secret)),
    mixedHex(encodeURIComponent(secret), draw),
    form(secret),
    mixedHex(form(secret), draw),
    // Each URL writer's own set: a URL parser and encodeURI (ASCII left), Go's QueryEscape, Python's quote (/ left);
    // and any of the characters writers differ on encoded and others not (every one beyond ASCII, % " \ encoded), in either hex case
    encodeURI(secret),
    encodeURIComponent(secret).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+'),
    encodeURIComponent(secret).replace(/%2F/g, '/'),
    mixedHex([...secret].map((c) => (/[^\x00-\x7f]|[%"\\]/.test(c) || (/[^A-Za-z0-9]/.test(c) && draw() < 0.5) ? encodeURIComponent(c).replace(/[!'()*]/g, (e) => `%${e.charCodeAt(0).toString(16)}`) : c)).join(''), draw),
    json(secret),
    php,
    escape(json(secret), /[&<>\u2028\u2029]/g),
    escape(json(secret), /[^\x00-\x7f]/g),
    escape(json(secret), /[^\x00-\x7f]/g, true),
    escape(php, /[^\x00-\x7f]/g),
    escape(php, /[^\x00-\x7f]/g, true),
    // Some characters escaped and others not, each escape in either hex case (org.json, Gson, PHP's JSON_HEX_* flags)
    json(secret).replace(/\\.|[^\x00-\x7f&<>='/]/g, (c) => (c.length > 1 || draw() < 0.5 ? c : c === '/' ? '\\/' : hex(c, draw() < 0.5))),
  ];
  return { once, all: [...new Set([...once, ...once.map(json)])] };
}

function draws(seed: number, count: number, draw = random(seed)) {
  const pick = () => ALPHABET[Math.floor(draw() * ALPHABET.length)];
  const text = (min: number, max: number) => Array.from({ length: min + Math.floor(draw() * (max - min + 1)) }, pick).join('');
  // Each secret starts and ends with a letter: what surrounds it is random, and a secret starting as its surrounding ends is another text.
  return Array.from({ length: count }, (_, i) => ({ secret: `S${i}${text(MIN_SECRET_LENGTH, 24)}Q`, before: text(0, 12), after: text(0, 12), draw }));
}

describe('masking fuzz (seeded)', () => {
  const cases = draws(20261125, 40);
  for (const { secret } of cases) addSecret(secret);
  const cli = _scrubber(cases.map(({ secret }) => secret));

  test('no form of a secret survives the scrub, in the handler and in the CLI', () => {
    for (const { secret, before, after, draw } of cases) {
      const { all: forms } = writtenForms(secret, draw);
      for (const written of forms) {
        const text = `${before} ${written} ${after}`;
        for (const scrubbed of [scrub(text), cli(text)]) {
          const left = forms.filter((f) => scrubbed.includes(f));
          expect({ secret, written, left }).toEqual({ secret, written, left: [] });
        }
      }
    }
  });

  test('every log line stays JSON and holds no form of a secret', () => {
    const lines: string[] = [];
    const log = createLogger({}, (_level, line) => lines.push(line));
    for (const { secret, before, after, draw } of cases) {
      // A text holding a secret written once (as an error body quotes it), which the line carries escaped once more.
      const { once, all: forms } = writtenForms(secret, draw);
      lines.length = 0;
      for (const written of once) log.error('failed', { error: `${before} ${written} ${after}`, body: `{"v":"${written}"}`, key: secret });
      for (const line of lines) {
        const parsed = JSON.parse(line) as Record<string, string>;
        expect(parsed.key).toBe('****');
        const left = forms.filter((f) => parsed.error.includes(f) || parsed.body.includes(f));
        expect({ secret, line, left }).toEqual({ secret, line, left: [] });
        // The scrub of the CLI reads the handler's --verbose lines as JSON too.
        expect(() => JSON.parse(cli(line))).not.toThrow();
      }
    }
  });
});

// Secrets that start with what may end an escape (hex digits, u and hex, /) or end with what may start one (\, %, a
// UTF-8 lead byte's escape), between texts that end or start such an escape: the text's escape then holds the secret's
// first or last characters, and is read as another character.
describe('masking fuzz at the edges of escapes (seeded)', () => {
  const draw = random(20261126);
  const pick = (list: readonly string[]) => list[Math.floor(draw() * list.length)];
  const [heads, tails] = [['4', 'e9', '1F', 'u00e9', '/', 'A'], ['\\', '%', '%4', '%C3', '\\u00', 'e']];
  const [befores, afters] = [['%', '%4', '\\u00', '\\u', '\\', '%C3', '\\\\'], ['u0041', '/', '41', '1', '%A9', '\\/', '00e9']];
  const cases = draws(20261126, 24, draw).map(({ secret }) => ({ secret: `${pick(heads)}${secret}${pick(tails)}`, before: pick(befores), after: pick(afters) }));
  for (const { secret } of cases) addSecret(secret);
  const cli = _scrubber(cases.map(({ secret }) => secret));

  test('no form of a secret survives the scrub, in the handler and in the CLI, and every log line stays JSON', () => {
    const lines: string[] = [];
    const log = createLogger({}, (_level, line) => lines.push(line));
    for (const { secret, before, after } of cases) {
      const { once, all: forms } = writtenForms(secret, draw);
      for (const written of once) {
        const text = `${before}${written}${after}`;
        for (const scrubbed of [scrub(text), cli(text)]) {
          const left = forms.filter((f) => scrubbed.includes(f));
          expect({ secret, text, left }).toEqual({ secret, text, left: [] });
        }
        lines.length = 0;
        log.error('failed', { error: text });
        const parsed = JSON.parse(lines[0]) as Record<string, string>;
        expect(() => JSON.parse(cli(lines[0]))).not.toThrow();
        const left = forms.filter((f) => parsed.error.includes(f));
        expect({ secret, line: lines[0], left }).toEqual({ secret, line: lines[0], left: [] });
      }
    }
  });
});
