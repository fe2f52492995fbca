/**
 * Resolves CloudFormation intrinsic functions in resource properties, as CloudFormation would
 * before it calls a custom resource, and stringifies every scalar the way CloudFormation does.
 */
import { _TemplateOutput, _TemplateParameter, _TemplateResource } from './assembly';
import { _missingExport, _OutputRead, _outputRead } from './cross-stack';
import { _CliError } from './errors';
import { _isListParameterType } from '../_template-references';

/** What a Mackerel resource has produced so far (from the state). @internal */
export interface _Produced {
  readonly physicalId: string;
  readonly data: { readonly [attribute: string]: string };
  /**
   * Derived from the properties before an apply (diff, for a service or role): an attribute
   * missing from `data` is unknown rather than absent.
   */
  readonly derived?: boolean;
}

/** Everything resolution needs. @internal */
export interface _ResolveContext {
  readonly stackName: string;
  readonly stackId: string;
  readonly region: string;
  readonly account: string;
  readonly resources: { readonly [logicalId: string]: _TemplateResource };
  readonly conditions?: { readonly [name: string]: unknown };
  readonly parameters?: { readonly [name: string]: _TemplateParameter };
  /** The template's Mappings, for Fn::FindInMap. */
  readonly mappings?: { readonly [name: string]: unknown };
  /**
   * For an emulator: a value only AWS knows (Ref or Fn::GetAtt of a resource outside Mackerel, a
   * parameter of type AWS::SSM::Parameter::Value<...>) resolves to a placeholder that names it and
   * cannot be mistaken for a real value, reported with `notice`, as the handler does for dynamic
   * references. Unset (a real organization): such a value is a `_PlaceholderRefused` error, as the
   * CLI does not read AWS and a made-up value would reach the organization.
   */
  readonly placeholders?: boolean;
  /** The logical ID of the resource whose properties are resolved, named in errors. */
  readonly resource?: string;
  /** Parameter values given on the command line (--parameters), as text; they win over Default. */
  readonly parameterValues?: { readonly [name: string]: string };
  /** When set, an uncreated Mackerel resource resolves to this text instead of failing (diff). */
  readonly unknownPlaceholder?: (what: string) => string;
  /**
   * The value another stack exports under a name (Fn::ImportValue); throws when no stack does.
   * @default - every Fn::ImportValue fails, as no other stack is known
   */
  readonly importValue?: (exportName: string) => unknown;
  /**
   * The value of another stack's output (Fn::GetStackOutput); throws when the app has no such stack or output.
   * @default - every Fn::GetStackOutput fails, as no other stack is known
   */
  readonly stackOutput?: (read: _OutputRead) => unknown;
  /** A Mackerel resource's physical ID and Data, or undefined when not created yet. */
  produced(logicalId: string): _Produced | undefined;
  /** Called once per placeholder used for a value only AWS knows (emulator only). */
  notice(message: string): void;
}

/**
 * A value only AWS knows, refused against a real organization: the CLI does not read AWS, and a
 * placeholder would reach the organization as if it were real (an external monitor of a made-up
 * host, an integration with a role that does not exist). Names the resource and the property
 * path that use the value, as the error climbs out of the properties.
 * @internal
 */
export class _PlaceholderRefused extends _CliError {
  /** Keys and list indexes from the resource's properties down to the value. */
  private path: (string | number)[] = [];
  private resource?: string;

  /**
   * @param subject what the value is (`Alb.DNSName (AWS::...::LoadBalancer), which is not a Mackerel resource`)
   * @param why why the CLI cannot give it
   * @param remedy what to do instead
   */
  constructor(private readonly subject: string, private readonly why: string, private readonly remedy: string) {
    super('');
    this.message = this.describe();
  }

  /** The value was found under this key or list index of the properties of `resource`. */
  at(step: string | number, resource: string | undefined): void {
    this.path.unshift(step);
    this.resource ??= resource;
    this.message = this.describe();
  }

  /** The path so far was inside the arguments of an intrinsic function, not a property path: forgets it. */
  inIntrinsic(): void {
    this.path = [];
  }

  private describe(): string {
    const path = this.path.map((s, i) => typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`).join('');
    const where = path ? `resource ${this.resource ?? '(unknown)'}, property ${path}, uses ` : '';
    return `${where}${this.subject}: ${this.why}; a placeholder is never sent to a real organization; expected ${this.remedy}`;
  }
}

/** Text standing for a value only an apply can know (a Mackerel ID not created yet), naming what it will be. @internal */
export const _KNOWN_AFTER_APPLY = (what: string) => `(known after apply: ${what})`;

/** Resolves every intrinsic of a value. @internal */
export function _resolve(value: unknown, ctx: _ResolveContext): unknown {
  if (Array.isArray(value)) return value.map((v, i) => at(i, ctx, () => _resolve(v, ctx))).filter((v) => v !== NO_VALUE);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::') || keys[0] === 'Condition')) {
    try {
      return intrinsic(keys[0], (value as Record<string, unknown>)[keys[0]], ctx);
    } catch (e) {
      if (e instanceof _PlaceholderRefused) e.inIntrinsic();
      throw e;
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const resolved = at(k, ctx, () => _resolve(v, ctx));
    if (resolved !== NO_VALUE) out[k] = resolved;
  }
  return out;
}

/** Resolves the value under one key or index, naming it in a refused placeholder. */
function at<T>(step: string | number, ctx: _ResolveContext, resolve: () => T): T {
  try {
    return resolve();
  } catch (e) {
    if (e instanceof _PlaceholderRefused) e.at(step, ctx.resource);
    throw e;
  }
}

/**
 * A value only AWS knows: for an emulator, `stand` (reported once); for a real organization, an
 * error saying what the value is and what to do instead.
 */
function placeholderOrRefuse<T>(ctx: _ResolveContext, what: { subject: string; why: string; remedy: string; stand: T; notice: string }): T {
  if (!ctx.placeholders) {
    throw new _PlaceholderRefused(what.subject, what.why, `${what.remedy}, or a run against the emulator (--emulator, or a local --api-base), which uses a placeholder`);
  }
  ctx.notice(what.notice);
  return what.stand;
}

/** AWS::NoValue removes the property that holds it. */
const NO_VALUE = Symbol('AWS::NoValue');

function intrinsic(name: string, arg: unknown, ctx: _ResolveContext): unknown {
  switch (name) {
    case 'Ref': return ref(String(arg), ctx);
    case 'Fn::GetAtt': return getAtt(arg, ctx);
    case 'Fn::Join': {
      const [sep, list] = arg as [string, unknown];
      return (asList(_resolve(list, ctx), 'Fn::Join')).map(String).join(sep);
    }
    case 'Fn::Select': {
      const [index, list] = arg as [unknown, unknown];
      const items = asList(_resolve(list, ctx), 'Fn::Select');
      const i = Number(_resolve(index, ctx));
      if (!(i >= 0 && i < items.length)) throw new _CliError(`Fn::Select index ${i} is out of range for a list of ${items.length}`);
      return items[i];
    }
    case 'Fn::Split': {
      const [sep, source] = arg as [string, unknown];
      return String(_resolve(source, ctx)).split(sep);
    }
    case 'Fn::Sub': return sub(arg, ctx);
    case 'Fn::GetAZs': return ['a', 'b', 'c'].map((z) => `${ctx.region}${z}`);
    case 'Fn::If': {
      const [cond, yes, no] = arg as [string, unknown, unknown];
      return _resolve(condition(cond, ctx) ? yes : no, ctx);
    }
    case 'Fn::Base64': return Buffer.from(String(_resolve(arg, ctx))).toString('base64');
    case 'Fn::ToJsonString': return JSON.stringify(_resolve(arg, ctx));
    case 'Fn::ImportValue': {
      const exportName = String(_resolve(arg, ctx));
      if (!ctx.importValue) throw _missingExport(ctx.stackName, exportName, [ctx.stackName]);
      return ctx.importValue(exportName);
    }
    case 'Fn::FindInMap': return findInMap(arg, ctx);
    case 'Fn::GetStackOutput': {
      const read = _outputRead(_resolve(arg, ctx));
      if (!ctx.stackOutput) throw new _CliError(`Fn::GetStackOutput ${read.stackName}.${read.outputName}: no other stack is known`);
      return ctx.stackOutput(read);
    }
    default:
      throw new _CliError(`${name} is not supported by cdk-mackerel's local resolver; expected Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, Fn::GetAZs, Fn::If, Fn::FindInMap, Fn::Base64, Fn::ToJsonString, Fn::ImportValue or Fn::GetStackOutput`);
  }
}

/**
 * Fn::FindInMap [MapName, TopLevelKey, SecondLevelKey], each resolved first, read from the
 * template's Mappings; with AWS::LanguageExtensions, a fourth `{ DefaultValue: ... }` stands in
 * for a key the map does not have (not for a map the template does not have, which CloudFormation
 * refuses as well).
 */
function findInMap(arg: unknown, ctx: _ResolveContext): unknown {
  const form = 'expected [MapName, TopLevelKey, SecondLevelKey], optionally with a fourth { DefaultValue: value }';
  if (!Array.isArray(arg) || arg.length < 3 || arg.length > 4) throw new _CliError(`Fn::FindInMap ${JSON.stringify(arg)}: ${form}`);
  const options = arg[3] as { DefaultValue?: unknown } | undefined;
  if (options !== undefined && (typeof options !== 'object' || options === null || !('DefaultValue' in options))) {
    throw new _CliError(`Fn::FindInMap ${JSON.stringify(arg)}: the fourth item is not { DefaultValue: value }; ${form}`);
  }
  const keys = arg.slice(0, 3).map((a) => _resolve(a, ctx));
  const where = `Fn::FindInMap ${JSON.stringify(keys)}`;
  if (!keys.every((k) => typeof k === 'string' || typeof k === 'number')) throw new _CliError(`${where}: the map name and keys must resolve to strings`);
  const [mapName, top, second] = keys.map(String);
  const expected = (o: unknown) => Object.keys(isMap(o) ? o : {}).map((k) => JSON.stringify(k)).join(', ') || '(none)';
  if (!isMap(ctx.mappings) || !isMap(ctx.mappings[mapName])) {
    throw new _CliError(`${where}: the template has no mapping ${JSON.stringify(mapName)}; expected one of ${expected(ctx.mappings)}`);
  }
  const map = ctx.mappings[mapName] as { [key: string]: unknown };
  const row = Object.prototype.hasOwnProperty.call(map, top) ? map[top] : undefined;
  const missing = !isMap(row) ? `mapping ${JSON.stringify(mapName)} has no key ${JSON.stringify(top)}; expected one of ${expected(map)}`
    : !Object.prototype.hasOwnProperty.call(row, second)
      ? `mapping ${JSON.stringify(mapName)} has no key ${JSON.stringify(second)} under ${JSON.stringify(top)}; expected one of ${expected(row)}`
      : undefined;
  if (missing === undefined) return (row as { [key: string]: unknown })[second];
  if (options !== undefined) return _resolve(options.DefaultValue, ctx);
  throw new _CliError(`${where}: ${missing}`);
}

function isMap(value: unknown): value is { readonly [key: string]: unknown } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asList(value: unknown, fn: string): unknown[] {
  if (!Array.isArray(value)) throw new _CliError(`${fn} needs a list; got ${JSON.stringify(value)}`);
  return value;
}

function pseudo(name: string, ctx: _ResolveContext): string | typeof NO_VALUE | undefined {
  switch (name) {
    case 'AWS::Region': return ctx.region;
    case 'AWS::AccountId': return ctx.account;
    case 'AWS::Partition': return 'aws';
    case 'AWS::URLSuffix': return 'amazonaws.com';
    case 'AWS::StackName': return ctx.stackName;
    case 'AWS::StackId': return ctx.stackId;
    case 'AWS::NoValue': return NO_VALUE;
    case 'AWS::NotificationARNs': return undefined;
    default: return undefined;
  }
}

function ref(name: string, ctx: _ResolveContext): unknown {
  const p = pseudo(name, ctx);
  if (p !== undefined) return p;
  const param = own(ctx.parameters, name);
  if (param) {
    const given = own(ctx.parameterValues, name);
    // For an SSM-typed parameter, the value itself: the CLI reads no SSM parameter.
    if (given !== undefined) return parameterValue(param, given);
    if (param.Default === undefined) {
      throw new _CliError(`parameter ${name} has no Default; expected its value with --parameters ${ctx.stackName}:${name}=VALUE, as cdk deploy takes it`);
    }
    if (isSsmParameterType(param.Type)) return ssmParameter(name, param, String(param.Default), ctx);
    return parameterValue(param, String(param.Default));
  }
  const resource = own(ctx.resources, name);
  if (!resource) throw new _CliError(`Ref ${name} names nothing in the template`);
  return mackerelOrPlaceholder(name, resource, undefined, ctx);
}

/**
 * The value of a parameter given as text, as CloudFormation reads it: a list type
 * (CommaDelimitedList, List<...>) is the text split at commas, each item trimmed.
 */
function parameterValue(param: _TemplateParameter, text: string): unknown {
  return _isListParameterType(param.Type) ? text.split(',').map((item) => item.trim()) : text;
}

/** AWS::SSM::Parameter::Value<...>: CloudFormation passes the value of the SSM parameter the parameter's value names. */
function isSsmParameterType(type: string | undefined): boolean {
  return type !== undefined && type.startsWith('AWS::SSM::Parameter::Value<');
}

/**
 * An SSM-typed parameter: for an emulator, a placeholder naming the SSM parameter (as for dynamic
 * references); otherwise an error, as passing the SSM parameter's name would write the wrong value.
 */
function ssmParameter(name: string, param: _TemplateParameter, ssmName: string, ctx: _ResolveContext): unknown {
  const shown = `https://ssm.emulator.invalid/${ssmName.replace(/^\/+/, '').replace(/[^A-Za-z0-9/_.-]+/g, '-')}`;
  return placeholderOrRefuse(ctx, {
    subject: `parameter ${name} (${param.Type})`,
    why: `CloudFormation passes the value of SSM parameter ${ssmName}, which cdk-mackerel does not read from AWS (its name is not its value)`,
    remedy: `the value with --parameters ${ctx.stackName}:${name}=VALUE (the value itself, not an SSM parameter name)`,
    stand: _isListParameterType(param.Type) ? [shown] : shown,
    notice: `parameter ${name} (${param.Type}) is not read from SSM parameter ${ssmName} for the emulator; using the placeholder ${shown}`,
  });
}

function getAtt(arg: unknown, ctx: _ResolveContext): unknown {
  const [logicalId, attribute] = typeof arg === 'string' ? splitAtt(arg) : (arg as [string, string]);
  const resource = own(ctx.resources, logicalId);
  if (!resource) throw new _CliError(`Fn::GetAtt ${logicalId}.${attribute} names nothing in the template`);
  return mackerelOrPlaceholder(logicalId, resource, String(_resolve(attribute, ctx)), ctx);
}

function splitAtt(text: string): [string, string] {
  const dot = text.indexOf('.');
  return [text.slice(0, dot), text.slice(dot + 1)];
}

function mackerelOrPlaceholder(logicalId: string, resource: _TemplateResource, attribute: string | undefined, ctx: _ResolveContext): unknown {
  const what = attribute ? `${logicalId}.${attribute}` : logicalId;
  if (!resource.Type.startsWith('Custom::Mackerel')) {
    const stand = placeholder(logicalId, resource.Type, attribute, ctx);
    return placeholderOrRefuse(ctx, {
      subject: `${what} (${resource.Type}), which is not a Mackerel resource`,
      why: 'only CloudFormation knows its value, and cdk-mackerel does not read it from AWS',
      remedy: `the real value through a template parameter (CfnParameter) given with --parameters ${ctx.stackName}:NAME=VALUE`,
      stand,
      notice: `${what} (${resource.Type}) is not a Mackerel resource; using the placeholder ${stand}`,
    });
  }
  const produced = ctx.produced(logicalId);
  if (!produced) {
    if (ctx.unknownPlaceholder) return ctx.unknownPlaceholder(what);
    throw new _CliError(`${what} is needed before ${logicalId} exists (dependency order is broken)`);
  }
  if (!attribute) return produced.physicalId;
  const value = produced.data[attribute];
  if (value === undefined && produced.derived && ctx.unknownPlaceholder) return ctx.unknownPlaceholder(what);
  if (value === undefined) throw new _CliError(`Fn::GetAtt ${what}: the handler returned no attribute ${attribute}; it returned ${Object.keys(produced.data).join(', ') || 'none'}`);
  return value;
}

/**
 * A deterministic stand-in for something only AWS would create, that cannot be mistaken for a real
 * value: an ARN (where the type says so) under the path `cdk-mackerel-placeholder`, else a host
 * name under `.invalid` (RFC 2606: never resolves), which fits where a DNS name or URL goes.
 */
function placeholder(logicalId: string, type: string, attribute: string | undefined, ctx: _ResolveContext): string {
  const [, service, kind] = type.split('::').map((s) => s.toLowerCase());
  if (attribute === 'Arn') {
    const region = service === 'iam' ? '' : ctx.region;
    return `arn:aws:${service}:${region}:${ctx.account}:${kind}/cdk-mackerel-placeholder/${logicalId}`;
  }
  // Ref of most AWS resources is a name or an ID: the logical ID stands in for it.
  return `${attribute ? `${logicalId}.${attribute}` : logicalId}.placeholder.invalid`;
}

/**
 * A template section's entry of that name, its own only: a section is parsed JSON, so indexing it would take a name every
 * object inherits (`constructor`, `toString`) for an entry.
 */
function own<T>(section: { readonly [name: string]: T } | undefined, name: string): T | undefined {
  return section !== undefined && Object.prototype.hasOwnProperty.call(section, name) ? section[name] : undefined;
}

function sub(arg: unknown, ctx: _ResolveContext): string {
  const [text, vars] = typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, unknown>]);
  return text.replace(/\$\{(!?)([^}]+)\}/g, (whole, bang: string, name: string) => {
    if (bang) return `\${${name}}`;
    // Only the map's own keys: `in` would take an inherited name (`constructor`) as given.
    if (Object.prototype.hasOwnProperty.call(vars, name)) return String(_resolve(vars[name], ctx));
    if (name.includes('.') && !name.startsWith('AWS::')) return String(getAtt(name, ctx));
    const value = ref(name, ctx);
    return value === NO_VALUE ? whole : String(value);
  });
}

function condition(name: string, ctx: _ResolveContext): boolean {
  const body = own(ctx.conditions, name);
  if (body === undefined) throw new _CliError(`condition ${name} is not in the template`);
  return evaluate(body, ctx);
}

function evaluate(body: unknown, ctx: _ResolveContext): boolean {
  if (typeof body === 'boolean') return body;
  const [fn, args] = Object.entries(body as Record<string, unknown>)[0] ?? [];
  const list = args as unknown[];
  switch (fn) {
    case 'Condition': return condition(String(args), ctx);
    case 'Fn::Equals': return JSON.stringify(_resolve(list[0], ctx)) === JSON.stringify(_resolve(list[1], ctx));
    case 'Fn::Not': return !evaluate(list[0], ctx);
    case 'Fn::And': return list.every((c) => evaluate(c, ctx));
    case 'Fn::Or': return list.some((c) => evaluate(c, ctx));
    default: throw new _CliError(`condition function ${fn} is not supported; expected Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition`);
  }
}

/** Whether a resource's (or an output's) Condition lets it exist. @internal */
export function _conditionHolds(resource: _TemplateResource | _TemplateOutput, ctx: _ResolveContext): boolean {
  return resource.Condition === undefined || condition(resource.Condition, ctx);
}

/**
 * CloudFormation passes custom resource properties with every scalar as a string:
 * 80 → "80", true → "true". Objects and lists keep their shape. @internal
 */
export function _stringifyScalars(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(_stringifyScalars);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, _stringifyScalars(v)]));
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value;
}
