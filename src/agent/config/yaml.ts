import { _loneSurrogate } from '../../_text';

/** A value the agent's YAML config holds. @internal */
export type _YamlValue = string | number | boolean | _YamlValue[] | _YamlMap;
/** A YAML mapping; `undefined` members are left out. @internal */
export interface _YamlMap { readonly [key: string]: _YamlValue | undefined }

/** Words YAML 1.1 parsers (such as the agent's yaml.v3 for some forms) read as non-strings. */
const RESERVED = /^(true|false|yes|no|on|off|null|y|n|~)$/i;

/**
 * Renders a mapping as block YAML. Strings are always double-quoted (JSON escapes are valid
 * YAML), so no value can be read back as a number, a boolean or a null.
 * @internal
 */
export function _toYaml(map: _YamlMap): string {
  return mappingLines(map, 0).join('\n') + '\n';
}

function mappingLines(map: _YamlMap, indent: number): string[] {
  const pad = ' '.repeat(indent);
  const out: string[] = [];
  for (const [key, value] of Object.entries(map)) {
    if (value === undefined) continue;
    const head = `${pad}${yamlKey(key)}:`;
    if (Array.isArray(value)) {
      out.push(value.length === 0 ? `${head} []` : head, ...sequenceLines(value, indent + 2));
    } else if (typeof value === 'object') {
      const inner = mappingLines(value, indent + 2);
      out.push(...(inner.length === 0 ? [`${head} {}`] : [head, ...inner]));
    } else {
      out.push(`${head} ${scalar(value)}`);
    }
  }
  return out;
}

function sequenceLines(items: _YamlValue[], indent: number): string[] {
  const pad = ' '.repeat(indent);
  const out: string[] = [];
  for (const item of items) {
    if (Array.isArray(item)) throw new Error('nested YAML sequences are not used by the agent config');
    if (typeof item === 'object') {
      // The first member goes on the dash line; the rest align under it.
      const inner = mappingLines(item, indent + 2);
      if (inner.length === 0) {
        out.push(`${pad}- {}`);
        continue;
      }
      out.push(`${pad}- ${inner[0].trimStart()}`, ...inner.slice(1));
    } else {
      out.push(`${pad}- ${scalar(item)}`);
    }
  }
  return out;
}

function yamlKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) && !RESERVED.test(key) ? key : quoted(key);
}

function scalar(value: string | number | boolean): string {
  if (typeof value === 'string') return quoted(value);
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`${value} cannot be written to YAML`);
  return String(value);
}

/**
 * A double-quoted YAML string. JSON.stringify leaves DEL, the C1 controls, U+2028, U+2029, U+FFFE
 * and U+FFFF raw: the agent's yaml.v3 refuses some ("control characters are not allowed") and
 * folds the line breaks among them (NEL, LS, PS) into a space, so they are written as escapes.
 */
function quoted(text: string): string {
  // Validation refuses these naming the property; this guards any string that reaches the file another way.
  const lone = _loneSurrogate(text);
  if (lone) throw new Error(`a string holds a lone UTF-16 surrogate (${lone}), which the agent's YAML parser refuses`);
  return JSON.stringify(text).replace(/[\u007f-\u009f\u2028\u2029\ufffe\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
