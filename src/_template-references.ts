/**
 * The logical IDs a CloudFormation template value refers to (Ref, Fn::GetAtt, Fn::Sub), for the
 * CLI's apply order, the deploy annotation's cycle check and the parameters a deploy revision
 * follows. No aws-cdk-lib here: the CLI loads it.
 */

/** The logical IDs a value refers to. @internal */
export function _references(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    value.forEach((v) => _references(v, out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'Ref' && typeof v === 'string') out.add(v);
      else if (k === 'Fn::GetAtt') out.add(typeof v === 'string' ? v.split('.')[0] : String((v as unknown[])[0]));
      else if (k === 'Fn::Sub') subReferences(v, out);
      else _references(v, out);
    }
  }
  return out;
}

function subReferences(arg: unknown, out: Set<string>): void {
  // A variable the Fn::Sub gives a value is that value, not a resource or parameter of its name.
  for (const variable of _subVariables(arg)) {
    const name = variable.split('.')[0];
    if (!name.startsWith('AWS::')) out.add(name);
  }
  if (Array.isArray(arg)) _references(arg[1], out);
}


/**
 * The variables of an `Fn::Sub` (its argument: the text, or the text and its variables) that it is
 * given no value for, without blanks around them (`Shop`, `Shop.Arn`, `AWS::Region`): CloudFormation puts in a
 * parameter, a resource's Ref or attribute, or a pseudo parameter of that name. `${!x}` is the literal `${x}`.
 * @internal
 */
export function _subVariables(arg: unknown): string[] {
  const parts = subParts(arg);
  if (parts === undefined) return [];
  // CloudFormation reads a name with blanks around it (`${ Shop.Arn }`) as the name alone.
  return [...parts.text.matchAll(/\$\{([^!}][^}]*)\}/g)].map((m) => m[1].trim()).filter((name) => !Object.prototype.hasOwnProperty.call(parts.given, name));
}

/**
 * The text an `Fn::Sub` (its argument) writes, undefined when that text is no string: `${!x}` is the
 * literal `${x}`, a variable it gives a value is `given(value)`, any other `free(name)`. A name
 * with blanks around it (`${ Shop }`) is read as the name alone, as `_subVariables` reads it.
 * @internal
 */
export function _subText(arg: unknown, given: (value: unknown) => string, free: (name: string) => string): string | undefined {
  const parts = subParts(arg);
  if (parts === undefined) return undefined;
  const values = parts.given as Record<string, unknown>;
  return parts.text.replace(/\$\{(!?)([^}]*)\}/g, (_, literal: string, key: string) => {
    if (literal) return `\${${key}}`;
    const name = key.trim();
    return Object.prototype.hasOwnProperty.call(values, name) ? given(values[name]) : free(name);
  });
}

/** An `Fn::Sub`'s text and the variables it gives values (none when not an object), or undefined when its text is no string. */
function subParts(arg: unknown): { readonly text: string; readonly given: object } | undefined {
  const [text, vars] = Array.isArray(arg) ? [arg[0], arg[1]] : [arg, undefined];
  if (typeof text !== 'string') return undefined;
  return { text, given: typeof vars === 'object' && vars !== null ? vars : {} };
}

/** Whether Ref of a parameter of this type is a list. @internal */
export function _isListParameterType(type: string | undefined): boolean {
  return type !== undefined && /^(AWS::SSM::Parameter::Value<)?(CommaDelimitedList\b|List<)/.test(type);
}
