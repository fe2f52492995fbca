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

  test('a secret holding a lone UTF-16 surrogate (a NoEcho Default written \\ud800 in a template) is taken and masked as written, not thrown on', () => {
    // GIVEN a value no URL writer can encode (encodeURIComponent throws a URIError on it)
    const lone = 'log-test-lone-\ud800-secret';
    // WHEN it is added THEN it is taken, and blanked as written and as JSON escapes it
    expect(() => addSecret(lone)).not.toThrow();
    expect(scrub(`value ${lone}`)).toBe('value ****');
    expect(scrub(JSON.stringify({ lone }))).toBe('{"lone":"****"}');
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

  test('masks a secret URL-encoded in lowercase hex, and as a form encodes it (a space as +)', () => {
    // GIVEN: a URL, and a value with a space and characters only a form encodes
    const hook = 'https://hooks.example.com/services/T0PCT/B0PCT?token=log-pct-secret&channel=ops';
    const phrase = "log pct phrase (it's~secret)";
    addSecret(hook);
    addSecret(phrase);
    const lower = (text: string) => text.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase());
    const form = (text: string) => new URLSearchParams({ v: text }).toString().slice(2);
    // WHEN / THEN: .NET's HttpUtility.UrlEncode writes lowercase hex, and a form (and URLSearchParams) a space as +
    for (const secret of [hook, phrase]) {
      for (const encoded of [lower(encodeURIComponent(secret)), form(secret), lower(form(secret))]) {
        expect(encoded).not.toBe(secret);
        expect(scrub(`callback=${encoded}`)).toBe('callback=****');
      }
    }
  });

  test('masks a secret whose percent-escapes are in either case, mixed too, as a writer re-encoding only some characters or a URL normalizer writes them', () => {
    // GIVEN: a URL holding escapes of its own in lowercase, and a value that encodes to two escapes
    addSecret('https://hooks.example.com/T0MIX?next=%2fhome%3ftab&token=XXXXLOGMIX');
    addSecret('XXXXLOGMIX2/a:b');
    // WHEN / THEN: its own escapes uppercased (RFC 3986's normal form), and encoded with the hex of one escape in each case
    expect(scrub('url https://hooks.example.com/T0MIX?next=%2Fhome%3Ftab&token=XXXXLOGMIX')).toBe('url ****');
    expect(scrub('q=XXXXLOGMIX2%2Fa%3ab')).toBe('q=****');
    // Only the escapes' hex is read in either case: another letter outside them is another value
    expect(scrub('q=XXXXLOGMIX2%2FA%3ab')).toBe('q=XXXXLOGMIX2%2FA%3ab');
    createLogger().error('failed', { error: 'q=XXXXLOGMIX2%2fa%3Ab' });
    expect(JSON.parse(logs.lines()[0]).error).toBe('q=****');
  });

  test('masks a secret URL-encoded as other URL writers encode it: only the characters a URL may not hold (a URL parser, encodeURI), or other sets (Go\'s QueryEscape, Python\'s quote)', () => {
    // GIVEN: a channel URL with letters beyond ASCII, a space, and characters each writer encodes or not
    const secret = 'https://hooks.example.com/T0URI/café 日本?memo=a b~c*d!&token=XXXXLOGURI';
    addSecret(secret);
    const hex = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`;
    const written = [
      // WHATWG's URL parser (a proxy or fetch quoting the URL it was given), encodeURI: ASCII left as it is
      new URL(secret).href,
      encodeURI(secret),
      // Go's url.QueryEscape (~ left, * ! encoded, a space as +), Python's quote (/ left by default)
      encodeURIComponent(secret).replace(/[!'()*]/g, hex).replace(/%20/g, '+'),
      encodeURIComponent(secret).replace(/%2F/g, '/').replace(/[!'()*]/g, hex),
    ];
    // WHEN / THEN
    for (const form of written) expect(scrub(`GET ${form} failed`)).toBe('GET **** failed');
    createLogger().error('failed', { error: written.join(' ') });
    expect(JSON.parse(logs.lines()[0]).error).toBe('**** **** **** ****');
    // A letter outside the escapes in another case is another value.
    expect(scrub(encodeURI(secret).replace('XXXXLOGURI', 'XXXXLOGURi'))).not.toBe('****');
  });

  test('masks a secret as other JSON writers escape it (\\/, \\u0026, \\u003c, \\u003e), in a message and in the log line carrying it', () => {
    // GIVEN
    const secret = 'https://hooks.example.com/services/T0ESC/B0ESC?q=<log-esc-secret>&channel=ops';
    addSecret(secret);
    const php = secret.replace(/\//g, '\\/');
    const go = secret.replace(/[&<>]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
    const both = go.replace(/\//g, '\\/');
    // WHEN / THEN
    for (const form of [php, go, both]) expect(scrub(`HTTP 400: {"url":"${form}"}`)).toBe('HTTP 400: {"url":"****"}');
    createLogger().error('failed', { error: `HTTP 400: {"url":"${php}"} {"url":"${go}"} {"url":"${both}"}` });
    const line = logs.lines()[0];
    expect(JSON.parse(line).error).toBe('HTTP 400: {"url":"****"} {"url":"****"} {"url":"****"}');
    expect(line).not.toContain('log-esc-secret');
  });

  test('masks a secret whose characters beyond ASCII a JSON writer escapes as \\uXXXX (Python, PHP: lowercase hex; Java: uppercase), in a message and in the log line carrying it', () => {
    // GIVEN: a channel URL with an accented letter, CJK characters and an emoji (a surrogate pair in \uXXXX)
    addSecret('https://hooks.example.com/T0UNI?memo=café-日本-😀&XXXXLOGUNI');
    // As Python's json.dumps writes it (ensure_ascii, its default), PHP's json_encode (`\/` too) and Java's writers
    const python = 'https://hooks.example.com/T0UNI?memo=caf\\u00e9-\\u65e5\\u672c-\\ud83d\\ude00&XXXXLOGUNI';
    const php = 'https:\\/\\/hooks.example.com\\/T0UNI?memo=caf\\u00e9-\\u65e5\\u672c-\\ud83d\\ude00&XXXXLOGUNI';
    const java = 'https://hooks.example.com/T0UNI?memo=caf\\u00E9-\\u65E5\\u672C-\\uD83D\\uDE00&XXXXLOGUNI';
    // WHEN / THEN
    for (const form of [python, php, java]) expect(scrub(`HTTP 400: {"url":"${form}"}`)).toBe('HTTP 400: {"url":"****"}');
    createLogger().error('failed', { error: `HTTP 400: {"url":"${python}"} {"url":"${php}"} {"url":"${java}"}` });
    const line = logs.lines()[0];
    expect(JSON.parse(line).error).toBe('HTTP 400: {"url":"****"} {"url":"****"} {"url":"****"}');
    expect(line).not.toContain('XXXXLOGUNI');
  });

  test('masks a secret of which a JSON writer escapes only some characters, or escapes in mixed hex case, in a message and in the log line carrying it', () => {
    // GIVEN: a channel URL with =, &, an accented letter, an en dash and the euro sign
    addSecret('https://hooks.example.com/T0PART?memo=café–€&token=XXXXLOGPART');
    const written = [
      // Java's org.json escapes only U+0080-U+00A0 and U+2000-U+2100 (the dash and the euro sign, not é)
      'https://hooks.example.com/T0PART?memo=café\\u2013\\u20ac&token=XXXXLOGPART',
      // Gson escapes = and & (and < > \'), and leaves every letter beyond ASCII
      'https://hooks.example.com/T0PART?memo\\u003dcafé–€\\u0026token\\u003dXXXXLOGPART',
      // PHP's json_encode with JSON_HEX_AMP: \\/, beyond ASCII and & all escaped
      'https:\\/\\/hooks.example.com\\/T0PART?memo=caf\\u00e9\\u2013\\u20ac\\u0026token=XXXXLOGPART',
      // escapes in both hex cases in one text
      'https://hooks.example.com/T0PART?memo=caf\\u00E9\\u2013\\u20ac&token=XXXXLOGPART',
    ];
    // WHEN / THEN
    for (const form of written) expect(scrub(`HTTP 400: {"url":"${form}"}`)).toBe('HTTP 400: {"url":"****"}');
    createLogger().error('failed', { error: written.map((form) => `{"url":"${form}"}`).join(' ') });
    const line = logs.lines()[0];
    expect(JSON.parse(line).error).toBe('{"url":"****"} {"url":"****"} {"url":"****"} {"url":"****"}');
    expect(line).not.toContain('XXXXLOGPART');
    // An escape stands for its character only: a letter outside the escapes in another case is another value.
    expect(scrub('https://hooks.example.com/T0PART?memo=caf\\u00e9\\u2013\\u20ac&token=XXXXLOGPARt')).not.toBe('****');
  });

  test('masks a secret some of whose characters are escaped where the text around it starts or ends an escape with its first or last characters', () => {
    // GIVEN: secrets ending with a backslash or a %, and starting with hex digits
    addSecret('XXXXLOGEDGE1日é\\');
    addSecret('https://hooks.example.com/T0EDGE2/é?t=%');
    addSecret('4fXXXXLOGEDGE3/é');
    const written = [
      // é escaped by a JSON writer and 日 not, the escaped backslash followed by u0041 or /, which then read as one escape
      'XXXXLOGEDGE1日\\u00e9\\\\u0041',
      'XXXXLOGEDGE1日\\u00e9\\\\/',
      // é percent-encoded by a URL parser, which leaves %, followed by 41: %41 reads as A
      'https://hooks.example.com/T0EDGE2/%C3%A9?t=%41',
      // after a % or a \\u00 of the text: %4f and \\u004f read as O
      '%4fXXXXLOGEDGE3/%C3%A9',
      '\\u004fXXXXLOGEDGE3\\/\\u00e9',
    ];
    // The text's own part of each escape it shares with a secret is left around the mask.
    const head = ['', '', '', '%', '\\u00'];
    const tail = ['u0041', '/', '41', '', ''];
    // WHEN / THEN: the secret is masked, and the text around it left
    written.forEach((text, i) => expect(scrub(`x ${text} y`)).toBe(`x ${head[i]}****${tail[i]} y`));
    createLogger().error('failed', { error: written.map((text) => `{"v":"${text}"}`).join(' ') });
    const line = logs.lines()[0];
    expect(JSON.parse(line).error).toBe(written.map((_, i) => `{"v":"${head[i]}****${tail[i]}"}`).join(' '));
    for (const secret of ['XXXXLOGEDGE1', 'T0EDGE2', 'XXXXLOGEDGE3']) expect(line).not.toContain(secret);
  });

  test('masks a short secret beyond ASCII where a JSON writer quotes it whole as \\uXXXX', () => {
    // GIVEN: a NoEcho-like short value with an accented letter
    addSecret('mé', true);
    // WHEN / THEN
    expect(scrub('{"memo":"m\\u00e9"}')).toBe('{"memo":"****"}');
    expect(scrub('{"memo":"m\\u00E9"}')).toBe('{"memo":"****"}');
    // Go's encoding/json leaves é as it is but escapes U+2028 (a line separator), as it does & < >
    addSecret('XXXXLOGGO\u2028é');
    expect(scrub('{"memo":"XXXXLOGGO\\u2028é"}')).toBe('{"memo":"****"}');
  });

  test('a short or quoted-only secret is masked where quoted whole in those forms too', () => {
    // GIVEN
    addSecret('a/b', true);
    addSecret('x&y<', true);
    // WHEN / THEN
    expect(scrub('{"v":"a\\/b","w":"x\\u0026y\\u003c"}')).toBe('{"v":"****","w":"****"}');
  });

  test('masks a secret that contains another whole, not around the inner one', () => {
    // GIVEN: the shorter one learnt first
    addSecret('log-inner-secret');
    addSecret('https://hooks.example.com/log-inner-secret/outer-part');
    // WHEN / THEN
    expect(scrub('url https://hooks.example.com/log-inner-secret/outer-part')).toBe('url ****');
  });

  test('masks two secrets that overlap (the end of one the start of the other) as one, leaving no part of either', () => {
    // GIVEN
    addSecret('XXXXLOGALPHA-joint');
    addSecret('joint-XXXXLOGBETAXXXX');
    // WHEN / THEN: masked one after the other, the part of the shorter outside the longer was left
    expect(scrub('url XXXXLOGALPHA-joint-XXXXLOGBETAXXXX end')).toBe('url **** end');
    createLogger().error('failed', { error: 'url XXXXLOGALPHA-joint-XXXXLOGBETAXXXX end' });
    expect(JSON.parse(logs.lines()[0]).error).toBe('url **** end');
  });

  test('masks a value shorter than 6 characters only where it is quoted whole, so that short words stay readable', () => {
    // GIVEN
    addSecret('abc');
    addSecret('x"\\');
    // WHEN / THEN: inside other text it is left
    expect(scrub('abc abcdef')).toBe('abc abcdef');
    // as a JSON value, a quoted echo, and a quoted echo inside a JSON line
    expect(scrub(JSON.stringify({ token: 'abc', other: 'abcd' }))).toBe('{"token":"****","other":"abcd"}');
    expect(scrub('Mackerel said: header value "abc" is invalid')).toBe('Mackerel said: header value "****" is invalid');
    expect(scrub(JSON.stringify({ error: 'header value "abc" is invalid' }))).toBe('{"error":"header value \\"****\\" is invalid"}');
    expect(scrub(JSON.stringify({ token: 'x"\\' }))).toBe('{"token":"****"}');
  });

  test('a short secret quoted in a message is masked in the log line that carries the message', () => {
    // GIVEN
    addSecret('k3y');
    // WHEN
    createLogger().error('failed', { error: scrub('POST /api/v0/monitors: HTTP 400: value "k3y" is invalid') });
    createLogger().error('failed', { error: 'value "k3y" is invalid', token: 'k3y' });
    // THEN
    for (const line of logs.lines()) {
      expect(line).not.toMatch(/k3y/);
      expect(() => JSON.parse(line)).not.toThrow();
    }
  });

  test('a short secret with a quote or backslash is masked where echoed quoted as it is, in a message and in the log line carrying it', () => {
    // GIVEN
    addSecret('q"\\1');
    const message = scrub('POST /api/v0/monitors: HTTP 400: header value "q"\\1" is invalid');
    // WHEN
    createLogger().error('failed', { error: 'header value "q"\\1" is invalid' });
    // THEN
    expect(message).toBe('POST /api/v0/monitors: HTTP 400: header value "****" is invalid');
    expect(JSON.parse(logs.lines()[0]).error).toBe('header value "****" is invalid');
  });

  test('a quoted-only value holding a longer-masked secret is masked whole, not around the secret', () => {
    // GIVEN: a plain header value (quoted only) that carries a secret learnt in full
    addSecret('log-held-secret-token');
    addSecret('Bearer log-held-secret-token', true);
    // WHEN / THEN
    expect(scrub('header value "Bearer log-held-secret-token" is invalid')).toBe('header value "****" is invalid');
  });

  test('a quoted-only value equal to a field name of the log line masks the value, never the field name', () => {
    // GIVEN: plain header values that happen to be the logger's field names
    addSecret('level', true);
    addSecret('message', true);
    // WHEN
    createLogger().error('failed', { error: 'header value "message" is invalid', token: 'level' });
    // THEN
    expect(JSON.parse(logs.lines()[0])).toEqual({ level: 'error', message: 'failed', error: 'header value "****" is invalid', token: '****' });
    expect(scrub('header "level": invalid')).toBe('header "****": invalid');
  });

  test('a form found inside one of the log line\'s escapes is no occurrence of the secret, and masking it would break the JSON', () => {
    // GIVEN: secrets that start with an escape's letter, end with its backslash, or start or end inside a \uXXXX
    addSecret('nXXXXLOGESCAPE');
    addSecret('XXXXLOGESCAPE2\\');
    addSecret('01XXXXLOGESCAPE3');
    addSecret('XXXXLOGESCAPE4\\u00');
    // WHEN: the rest of each after or before a character the line escapes (a newline, a quote, a control character)
    const texts = { error: 'a\nXXXXLOGESCAPE b', other: 'c XXXXLOGESCAPE2" d', third: 'e \u0001XXXXLOGESCAPE3 f', fourth: 'g XXXXLOGESCAPE4\u0001 h' };
    createLogger().error('failed', texts);
    // THEN: the line is JSON, and each text as it was (none holds a secret)
    expect(JSON.parse(logs.lines()[0])).toEqual({ level: 'error', message: 'failed', ...texts });
    // The secrets themselves, as values and as quoted in a message, are masked whole.
    createLogger().error('failed', { error: 'x nXXXXLOGESCAPE "XXXXLOGESCAPE2\\" y', key: '01XXXXLOGESCAPE3', other: 'XXXXLOGESCAPE4\\u00' });
    expect(JSON.parse(logs.lines()[1])).toEqual({ level: 'error', message: 'failed', error: 'x **** "****" y', key: '****', other: '****' });
  });

  test('a value registered as quoted only, however long, is left inside other text', () => {
    // GIVEN
    addSecret('mackerel-probe', true);
    // WHEN / THEN
    expect(scrub('cdk-mackerel-probe started; header "mackerel-probe"')).toBe('cdk-mackerel-probe started; header "****"');
  });

  // Last: a quoted-only ':' is met in every JSON text, and would be masked in the plain texts of the tests above.
  test('a quoted form met across the log line\'s own quotes is left, as masking it would take the quotes that end one string and start the next', () => {
    // GIVEN: plain header values (quoted only), one a colon, one ending with a backslash
    addSecret(':', true);
    addSecret('k9\\', true);
    // WHEN: a message starting as the second does, then a quote
    createLogger().error('failed', { error: 'k9" is the header', token: 'k9\\', other: ':' });
    // THEN: the line is JSON, with the values masked where they stand whole
    expect(JSON.parse(logs.lines()[0])).toEqual({ level: 'error', message: 'failed', error: 'k9" is the header', token: '****', other: '****' });
  });
});
