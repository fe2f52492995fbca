/**
 * What ties the stacks of an app together: the exports one stack's Outputs define and another
 * reads with Fn::ImportValue (a strong reference), the plain outputs another reads with
 * Fn::GetStackOutput (a weak one, which the CDK writes with
 * `@aws-cdk/core:defaultCrossStackReferences: weak`), and the order that follows (a stack after
 * those it depends on), as CloudFormation and the CDK deploy them.
 */
import { _CliError } from './errors';

/**
 * Calls `visit` with the argument of every `name` intrinsic in a value, at any depth: one inside
 * another's argument first, since its stack comes first as well.
 */
function eachArgument(value: unknown, name: string, visit: (arg: unknown) => void): void {
  if (Array.isArray(value)) {
    value.forEach((v) => eachArgument(v, name, visit));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      eachArgument(v, name, visit);
      if (k === name) visit(v);
    }
  }
}

/** The export names a value reads with Fn::ImportValue; `resolveName` resolves each name's expression. @internal */
export function _importNames(value: unknown, resolveName: (arg: unknown) => string): Set<string> {
  const names = new Set<string>();
  eachArgument(value, 'Fn::ImportValue', (arg) => names.add(resolveName(arg)));
  return names;
}

/** One Fn::GetStackOutput: which stack's output is read. @internal */
export interface _OutputRead {
  readonly stackName: string;
  readonly outputName: string;
  /** The producing stack's region, when the reference names one. */
  readonly region?: string;
}

/**
 * The Fn::GetStackOutput arguments of a value, resolved with `resolveArg` (they may be
 * intrinsics too), keyed by `stackName/outputName`.
 * @internal
 */
export function _outputReads(value: unknown, resolveArg: (arg: unknown) => unknown): Map<string, _OutputRead> {
  const reads = new Map<string, _OutputRead>();
  eachArgument(value, 'Fn::GetStackOutput', (arg) => {
    const read = _outputRead(resolveArg(arg));
    reads.set(`${read.stackName}/${read.outputName}`, read);
  });
  return reads;
}

/** The resolved argument of Fn::GetStackOutput, checked: `{ StackName, OutputName, Region?, RoleArn? }`. @internal */
export function _outputRead(arg: unknown): _OutputRead {
  const a = (arg ?? {}) as { StackName?: unknown; OutputName?: unknown; Region?: unknown };
  if (typeof a.StackName !== 'string' || typeof a.OutputName !== 'string' || (a.Region !== undefined && typeof a.Region !== 'string')) {
    throw new _CliError(`Fn::GetStackOutput ${JSON.stringify(arg)}: expected { StackName, OutputName, Region?, RoleArn? } with string values`);
  }
  return { stackName: a.StackName, outputName: a.OutputName, region: a.Region };
}

/** The error for an export no stack of the app defines. @internal */
export function _missingExport(importer: string, exportName: string, stackNames: readonly string[]): _CliError {
  return new _CliError(`${importer}: Fn::ImportValue ${JSON.stringify(exportName)}: no stack of the app exports that name (stacks: ${stackNames.join(', ')}); `
    + 'expected an Output with that Export.Name in a stack of the same cloud assembly (run cdk synth for the whole app)');
}

/**
 * Stack names ordered so that each comes after the stacks it depends on, or before them with
 * `dependentsFirst` (deletes). Each step takes the first stack, in the order given, whose turn has
 * come, so the order changes only where a dependency requires it. A cycle is an error naming it.
 * @internal
 */
export function _stackOrder(
  names: readonly string[], dependencies: (name: string) => Iterable<string>, options: { readonly dependentsFirst?: boolean } = {},
): string[] {
  // waitsFor.get(a) holds the stacks that must come before a.
  const waitsFor = new Map(names.map((n) => [n, new Set<string>()]));
  for (const name of names) {
    for (const d of dependencies(name)) {
      if (d === name || !waitsFor.has(d)) continue;
      if (options.dependentsFirst) waitsFor.get(d)?.add(name);
      else waitsFor.get(name)?.add(d);
    }
  }
  const order: string[] = [];
  const left = [...names];
  while (left.length > 0) {
    const next = left.find((n) => [...waitsFor.get(n) ?? []].every((w) => order.includes(w)));
    if (next === undefined) throw new _CliError(`the stacks depend on each other in a cycle: ${cycleAmong(left, waitsFor).join(' -> ')}`);
    order.push(next);
    left.splice(left.indexOf(next), 1);
  }
  return order;
}

/** A cycle among stacks none of which can go next: follow what each waits for until one repeats. */
function cycleAmong(left: readonly string[], waitsFor: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const path = [left[0]];
  for (;;) {
    const next = [...waitsFor.get(path[path.length - 1]) ?? []].find((w) => left.includes(w)) ?? left[0];
    if (path.includes(next)) return [...path.slice(path.indexOf(next)), next];
    path.push(next);
  }
}
