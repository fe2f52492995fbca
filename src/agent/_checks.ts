import { Annotations, Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { IConstruct } from 'constructs';
import { _checkRoleFullName } from '../_names';
import { _fail, _warnCleartextApiBase } from '../_validation';
import { MackerelAgentDependency, MackerelAgentLogLevel, MackerelHostIdStore, MackerelHostStatus } from './enums';
import { MackerelAgentImage } from './image';
import { MackerelAgentOptions } from './options';

/** Fargate's largest container stop timeout. */
const FARGATE_MAX_STOP_SECONDS = 120;

/**
 * Checks each option's own value (and options that exclude each other) at construction.
 * Checks that depend on the task's other containers are registered by `_attach` instead.
 * @internal
 */
export function _checkAgentOptions(scope: IConstruct, options: MackerelAgentOptions, taskDefinition: ecs.TaskDefinition): void {
  const fargate = taskDefinition.isFargateCompatible;
  // A list token (a CommaDelimitedList parameter) is one unresolved element, known only at deploy time.
  if (!Token.isUnresolved(options.roles)) (options.roles ?? []).forEach((role, i) => _checkRoleFullName(scope, `roles[${i}]`, role));
  checkContainerName(scope, options.containerName);
  checkEnum(scope, 'hostStatusOnStart', options.hostStatusOnStart, MackerelHostStatus);
  checkEnum(scope, 'hostIdStore', options.hostIdStore, MackerelHostIdStore);
  checkEnum(scope, 'logLevel', options.logLevel, MackerelAgentLogLevel);
  checkEnum(scope, 'appContainerDependency', options.appContainerDependency, MackerelAgentDependency);
  checkPositiveInteger(scope, 'memoryLimitMiB', options.memoryLimitMiB);
  checkPositiveInteger(scope, 'cpu', options.cpu);
  checkStopTimeout(scope, options, fargate);
  if (options.ignoreContainer !== undefined) _goRegExp(scope, options.ignoreContainer);
  const apiBase = checkUrl(scope, 'apiBase', options.apiBase);
  if (apiBase) _warnCleartextApiBase(scope, 'apiBase', apiBase);
  checkUrl(scope, 'httpProxy', options.httpProxy);
  checkUrl(scope, 'httpsProxy', options.httpsProxy);
  if (!Token.isUnresolved(options.noProxy)) (options.noProxy ?? []).forEach((entry, i) => checkNoProxyEntry(scope, `noProxy[${i}]`, entry));
  checkImageSupports(scope, options, taskDefinition.isManagedInstancesCompatible);
}

function checkContainerName(scope: IConstruct, name: string | undefined): void {
  if (name === undefined || Token.isUnresolved(name)) return;
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(name)) {
    _fail(scope, 'containerName', name, 'is not a valid ECS container name', '1-255 letters, digits, - or _');
  }
}

function checkEnum(scope: IConstruct, property: string, value: string | undefined, values: Record<string, string>): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  const allowed = Object.values(values);
  if (!allowed.includes(value)) {
    _fail(scope, property, value, 'is not a known value', `one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`);
  }
}

function checkPositiveInteger(scope: IConstruct, property: string, value: number | undefined): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < 1) {
    _fail(scope, property, value, 'is not a positive whole number', 'an integer of at least 1');
  }
}

function checkStopTimeout(scope: IConstruct, options: MackerelAgentOptions, fargate: boolean): void {
  const timeout = options.stopTimeout;
  if (timeout === undefined || timeout.isUnresolved()) return;
  const max = fargate ? FARGATE_MAX_STOP_SECONDS : undefined;
  const expected = max ? `whole seconds from 1 to ${max} (Fargate's maximum)` : 'whole seconds of at least 1';
  const seconds = timeout.toSeconds({ integral: false });
  if (!Number.isInteger(seconds) || seconds < 1 || (max !== undefined && seconds > max)) {
    _fail(scope, 'stopTimeout', timeout.toHumanString(), 'is out of range', expected);
  }
}

/**
 * RE2 syntax that JavaScript reads differently or not at all, and that is not translated: POSIX
 * classes (`[[:alpha:]]`), Unicode classes (`\pL`), quoting (`\Q...\E`), single bytes (`\C`)
 * and flags anywhere but at the start (`(?i:...)`, `(?U)`).
 */
const UNTRANSLATED = /\[\[:|\\[pPQC]|\(\?[a-zA-Z-]+[:)]/;

/**
 * Compiles a Go RE2 expression as a JavaScript RegExp, translating what differs (`\A`, `\z`,
 * leading `(?flags)`, `(?P<name>`) and rejecting what RE2 lacks (back-references, look-around).
 * Throws with the construct path when it is not valid. Returns undefined, with a warning, for RE2
 * syntax it does not translate: the expression then cannot be checked at synth.
 * @internal
 */
export function _goRegExp(scope: IConstruct, source: string): RegExp | undefined {
  if (Token.isUnresolved(source)) return undefined;
  const property = 'ignoreContainer';
  const expected = 'a Go RE2 regular expression, such as "\\Amackerel-container-agent\\z"';
  if (/\\[1-9]|\(\?<?[=!]/.test(source)) {
    _fail(scope, property, source, 'uses back-references or look-around, which Go RE2 does not support', expected);
  }
  const flagged = /^\(\?([ims]+)\)/.exec(source);
  const flags = flagged ? flagged[1] : '';
  const rest = flagged ? source.slice(flagged[0].length) : source;
  if (UNTRANSLATED.test(rest)) {
    Annotations.of(scope).addWarningV2('cdk-mackerel:ignoreContainerNotChecked',
      `ignoreContainer ${JSON.stringify(source)} uses Go RE2 syntax that cannot be checked at synth (POSIX or Unicode classes, \\Q...\\E, `
      + 'or flags after the start). Make sure it leaves at least one container of the task, or the agent finds none and exits');
    return undefined;
  }
  const body = rest.replace(/\(\?P</g, '(?<').replace(/\\A/g, '^').replace(/\\z/g, '$(?![\\s\\S])');
  try {
    return new RegExp(body, flags);
  } catch (e) {
    return _fail(scope, property, source, `is not a valid regular expression (${(e as Error).message})`, expected);
  }
}

function checkUrl(scope: IConstruct, property: string, value: string | undefined): URL | undefined {
  if (value === undefined || Token.isUnresolved(value)) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    _fail(scope, property, value, 'is not an http or https URL', 'an absolute URL such as "https://proxy.example.com:3128"');
  }
  return url;
}

function checkNoProxyEntry(scope: IConstruct, property: string, value: string): void {
  if (Token.isUnresolved(value)) return;
  if (value.trim() === '' || /[\s,]/.test(value)) {
    _fail(scope, property, value, 'is not a single host, domain or CIDR', 'one entry per item, without spaces or commas');
  }
}

/** Settings that older agents silently ignore are errors when the image names such a release. */
function checkImageSupports(scope: IConstruct, options: MackerelAgentOptions, managedInstances: boolean): void {
  const image = options.image ?? MackerelAgentImage.DEFAULT;
  const version = image._version();
  if (!version) return;
  const older = (minor: number) => version[0] === 0 && version[1] < minor;
  // Before v0.13.0 the agent exits on Managed Instances ("unknown execution env"), leaving tasks unmonitored.
  if (managedInstances && older(13)) {
    _fail(scope, 'image', image.imageName, 'cannot run on ECS Managed Instances: agents before v0.13.0 exit with "unknown execution env"',
      'an image of v0.13.0 or later, such as MackerelAgentImage.DEFAULT');
  }
  // An older agent ignores the variable and keeps the file store, so only MEMORY would be lost.
  if (options.hostIdStore === MackerelHostIdStore.MEMORY && older(12)) {
    _fail(scope, 'hostIdStore', options.hostIdStore, `needs agent v0.12.0 or later, but the image is ${image.imageName}`,
      'an image of v0.12.0 or later, or no hostIdStore');
  }
  for (const property of ['displayName', 'memo'] as const) {
    if (options[property] !== undefined && older(11)) {
      _fail(scope, property, options[property], `needs agent v0.11.0 or later, but the image is ${image.imageName}`,
        `an image of v0.11.0 or later, or no ${property}`);
    }
  }
}
