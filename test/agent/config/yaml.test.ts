import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { _toYaml } from '../../../src/agent/config/yaml';

describe('_toYaml', () => {
  test('strings that look like other types stay strings', () => {
    const map = { a: 'true', b: '123', c: 'null', d: '', e: 'a: b # c', f: 'line\nbreak "quoted" \\ back', g: 'ünïcode' };
    expect(parse(_toYaml(map))).toEqual(map);
  });

  test('characters the agent\'s YAML parser refuses or reads as a line break are escaped, in values and keys', () => {
    // yaml.v3 refuses a raw DEL, C1 control or U+FFFE/U+FFFF ("control characters are not allowed") and folds a raw
    // NEL, LS or PS inside a quoted string into a space; JSON.stringify leaves all of them raw.
    const odd = 'a\u007fb\u0080c\u0085d\u009fe\u2028f\u2029g\ufffeh\uffffi';
    const map = { value: odd, [`k${odd}`]: 'x' };
    const yaml = _toYaml(map);
    expect(yaml).not.toMatch(/[\u007f-\u009f\u2028\u2029\ufffe\uffff]/);
    expect(yaml).toContain('"a\\u007fb\\u0080c\\u0085d\\u009fe\\u2028f\\u2029g\\ufffeh\\uffffi"');
    expect(parse(yaml)).toEqual(map);
  });

  test('a lone surrogate, which only a \\udXXX escape the agent\'s parser refuses could write, is refused; a surrogate pair is written as it is', () => {
    expect(() => _toYaml({ value: 'a\ud800' })).toThrow('a string holds a lone UTF-16 surrogate (U+D800), which the agent\'s YAML parser refuses');
    expect(() => _toYaml({ ['k\udc00']: 'x' })).toThrow('a string holds a lone UTF-16 surrogate (U+DC00)');
    const yaml = _toYaml({ value: 'ok \ud83d\ude00' });
    expect(yaml).toBe('value: "ok \ud83d\ude00"\n');
    expect(parse(yaml)).toEqual({ value: 'ok \ud83d\ude00' });
  });

  test('reserved or unusual keys are quoted and read back as written', () => {
    const map = { 'yes': 'x', 'on': 'y', 'a.b': 'z', 'A=B': '1', '123': 'n' };
    const yaml = _toYaml(map);
    expect(yaml).toContain('"yes": "x"');
    expect(parse(yaml)).toEqual(map);
  });

  test('nested mappings, lists of scalars and of mappings, numbers and empties', () => {
    const map = {
      plugin: { checks: { up: { command: ['a', 'b c'], timeoutSeconds: 30 } } },
      headers: [{ name: 'Host', value: 'x' }, { name: 'X-A', value: 'y' }],
      empty: [],
      none: {},
      skipped: undefined,
    };
    expect(parse(_toYaml(map))).toEqual({
      plugin: { checks: { up: { command: ['a', 'b c'], timeoutSeconds: 30 } } },
      headers: [{ name: 'Host', value: 'x' }, { name: 'X-A', value: 'y' }],
      empty: [],
      none: {},
    });
  });
});
