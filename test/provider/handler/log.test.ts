import { describe, expect, test } from 'vitest';
import { captureLogs } from './_capture';
import { addSecret, createLogger, scrub } from '../../../src/provider/handler/log';

const logs = captureLogs();

describe('scrub', () => {
  // A webhook URL whose query needs URL-encoding, and a value with characters JSON escapes.
  const url = 'https://hooks.example.com/services/T0LOG/B0LOG?token=log-test-secret&channel=ops';
  const quoted = 'log-test-key-"quoted"\\0123';

  test('masks a secret as written, URL-encoded (as a URL echoed in a query) and JSON-escaped (as in a log line)', () => {
    // GIVEN
    addSecret(url);
    addSecret(quoted);
    // WHEN / THEN
    expect(scrub(`url ${url}`)).toBe('url ****');
    expect(scrub(`callback=${encodeURIComponent(url)}`)).toBe('callback=****');
    expect(scrub(JSON.stringify({ key: quoted }))).toBe('{"key":"****"}');
  });

  test('a log line never holds a secret in any of those forms', () => {
    // GIVEN
    addSecret(url);
    addSecret(quoted);
    // WHEN
    createLogger({ url }).info('calling', { encoded: encodeURIComponent(url), key: quoted });
    // THEN
    expect(logs.lines()).toHaveLength(1);
    const line = logs.lines()[0];
    expect(JSON.parse(line)).toEqual({ level: 'info', message: 'calling', url: '****', encoded: '****', key: '****' });
    for (const form of [url, encodeURIComponent(url), JSON.stringify(quoted).slice(1, -1), 'log-test-secret']) expect(line).not.toContain(form);
  });

  test('masks a secret that contains another whole, not around the inner one', () => {
    // GIVEN: the shorter one learnt first
    addSecret('log-inner-secret');
    addSecret('https://hooks.example.com/log-inner-secret/outer-part');
    // WHEN / THEN
    expect(scrub('url https://hooks.example.com/log-inner-secret/outer-part')).toBe('url ****');
  });

  test('leaves values shorter than 6 characters unmasked, so that short words stay readable', () => {
    addSecret('abc');
    expect(scrub('abc')).toBe('abc');
  });
});
