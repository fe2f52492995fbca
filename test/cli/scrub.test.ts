import { describe, expect, test } from 'vitest';
import { _scrubber } from '../../src/cli/api';

describe('_scrubber', () => {
  const url = 'https://hooks.example.com/notify?team=ops&token=XXXXTOKENXXXX';

  test('blanks a secret as it is, URL-encoded, and as each JSON writer escapes it', () => {
    const scrub = _scrubber([url]);
    const json = JSON.stringify(url).slice(1, -1);
    const forms = [
      url,
      encodeURIComponent(url),
      json,
      'https:\\/\\/hooks.example.com\\/notify?team=ops&token=XXXXTOKENXXXX',
      'https://hooks.example.com/notify?team=ops\\u0026token=XXXXTOKENXXXX',
      'https:\\/\\/hooks.example.com\\/notify?team=ops\\u0026token=XXXXTOKENXXXX',
    ];
    for (const form of forms) expect(scrub(`a ${form} b`)).toBe('a **** b');
    // URL-encoded in lowercase hex (.NET's HttpUtility.UrlEncode), and as a form encodes it.
    expect(_scrubber(['a secret phrase'])('q=a+secret+phrase')).toBe('q=****');
    expect(scrub(`q=${encodeURIComponent(url).replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase())}`)).toBe('q=****');
    // In mixed case, as a writer re-encoding only some characters writes it.
    expect(scrub(`q=${encodeURIComponent(url).replace('%2F', '%2f')}`)).toBe('q=****');
    expect(scrub('<a href="https://x.example/?q=<x>">')).toBe('<a href="https://x.example/?q=<x>">');
    expect(_scrubber(['https://x.example/?q=<x>'])('"https:\\/\\/x.example\\/?q=\\u003cx\\u003e"')).toBe('"****"');
    // Beyond ASCII as \uXXXX (Python's json.dumps by default; Java's writers in uppercase hex), a surrogate pair for an emoji.
    expect(_scrubber(['memo café 😀 XXXX'])('{"memo": "memo caf\\u00e9 \\ud83d\\ude00 XXXX"} {"memo": "memo caf\\u00E9 \\uD83D\\uDE00 XXXX"}'))
      .toBe('{"memo": "****"} {"memo": "****"}');
  });

  test('blanks a secret under six characters only where it stands quoted whole, as the handler does, and one inside a longer one with it', () => {
    expect(_scrubber(['abcde'])('abcde abcdef')).toBe('abcde abcdef');
    // A diff shows a field's value quoted (a NoEcho parameter's of four characters as a memo), a log line as a JSON value.
    expect(_scrubber(['pw12'])('memo: "pw12"')).toBe('memo: "****"');
    expect(_scrubber(['p"w1'])('{"error":"memo \\"p\\\\\\"w1\\" is invalid","memo":"p\\"w1"}')).toBe('{"error":"memo \\"****\\" is invalid","memo":"****"}');
    // The longer secret's URL-encoded form holds the shorter one's: blanked whole, not around it.
    const scrub = _scrubber(['XXXXTOKENXXXX', url]);
    expect(scrub(`${encodeURIComponent(url)} and XXXXTOKENXXXX`)).toBe('**** and ****');
  });

  test('blanks a --verbose log line (JSON) as the handler blanks its own: the line stays JSON, and its field names are left', () => {
    // GIVEN: a NoEcho value of one colon, one equal to a field name, and one ending with a backslash
    const scrub = _scrubber([':', 'level', 'XXXXLINEKEY\\']);
    const line = JSON.stringify({ level: 'info', message: 'failed', token: ':', name: 'level', error: 'XXXXLINEKEY" x', key: 'XXXXLINEKEY\\' });
    // WHEN / THEN
    expect(JSON.parse(scrub(line))).toEqual({ level: 'info', message: 'failed', token: '****', name: '****', error: 'XXXXLINEKEY" x', key: '****' });
    // A line that is no JSON is blanked as text.
    expect(scrub('header ":" is invalid: XXXXLINEKEY\\"')).toBe('header "****" is invalid: ****"');
    // In a line that is no JSON a quoted value before a colon is blanked too, field name or not: a diff prints a
    // metadata object as JSON, whose keys may be a NoEcho value (the construct writes it with toJsonString).
    expect(scrub('  metadata: {"level":1} -> {"level":2}')).toBe('  metadata: {"****":1} -> {"****":2}');
  });

  test('blanks two secrets that overlap (the end of one the start of the other) as one, leaving no part of either', () => {
    // Blanked one after the other, the longer first, the other's part outside it was left: "XXXXALPHA-".
    const scrub = _scrubber(['XXXXALPHA-shared', 'shared-XXXXBETAXXXX']);
    expect(scrub('a XXXXALPHA-shared-XXXXBETAXXXX b')).toBe('a **** b');
    expect(scrub('a XXXXALPHA-shared b shared-XXXXBETAXXXX c')).toBe('a **** b **** c');
    // Characters a regular expression would read are only text.
    expect(_scrubber(['a.b*c+(d)$&e'])('x a.b*c+(d)$&e y a.b*c+(d)$\\u0026e z aXb*c+(d)$&e')).toBe('x **** y **** z aXb*c+(d)$&e');
  });
});
