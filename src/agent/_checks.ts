import { Annotations, Stack, Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { IConstruct } from 'constructs';
import { _checkRoleFullName } from '../_names';
import { _maskedApiBase } from '../_text';
import { _checkEnum, _describeProblem, _fail, _httpUrl, _repeats, _warnCleartextApiBase } from '../_validation';
import { MackerelApiKey } from '../api-key';
import { _checkEnvText } from './_env-text';
import { _containersOf } from './_task-checks';
import { _warnUrlCredentials } from './_url-credentials';
import { MackerelAgentDependency, MackerelAgentLogLevel, MackerelHostIdStore, MackerelHostStatus } from './enums';
import { MackerelAgentImage } from './image';
import { MackerelAgentOptions } from './options';

const PROXY_WARNING = 'cdk-mackerel:proxyCredentialsInTemplate';
const PROXY_ADVICE = 'Use a proxy that needs no credentials in its URL, such as one that admits the tasks by their subnets or security group';
const API_BASE_ADVICE = 'Use an API base that needs no credentials in its URL: the Mackerel API authenticates by the API key alone';

/** Fargate's largest container stop timeout. */
const FARGATE_MAX_STOP_SECONDS = 120;

/**
 * Checks each option's own value (and options that exclude each other) at construction.
 * Checks that depend on the task's other containers are registered by `_attach` instead.
 * @internal
 */
export function _checkAgentOptions(scope: IConstruct, options: MackerelAgentOptions, taskDefinition: ecs.TaskDefinition): void {
  MackerelApiKey._check(scope, 'apiKey', options.apiKey);
  checkEnvTexts(scope, options);
  const fargate = _mayRunOn(taskDefinition, 'FARGATE');
  // A list token (a CommaDelimitedList parameter) is one unresolved element, known only at deploy time.
  if (!Token.isUnresolved(options.roles)) {
    (options.roles ?? []).forEach((role, i) => _checkRoleFullName(scope, `roles[${i}]`, role));
    checkRolesOnce(scope, options.roles ?? []);
  }
  checkContainerName(scope, options.containerName);
  _checkEnum(scope, 'hostStatusOnStart', options.hostStatusOnStart, MackerelHostStatus);
  _checkEnum(scope, 'hostIdStore', options.hostIdStore, MackerelHostIdStore);
  _checkEnum(scope, 'logLevel', options.logLevel, MackerelAgentLogLevel);
  _checkEnum(scope, 'appContainerDependency', options.appContainerDependency, MackerelAgentDependency);
  checkPositiveInteger(scope, 'memoryLimitMiB', options.memoryLimitMiB);
  checkMemoryFloor(scope, options.memoryLimitMiB);
  checkPositiveInteger(scope, 'cpu', options.cpu);
  if (options.cpu !== undefined) checkCpuFits(scope, options.cpu, taskDefinition);
  checkStopTimeout(scope, options, fargate);
  if (options.ignoreContainer) _goRegExp(scope, options.ignoreContainer);
  const apiBase = checkUrl(scope, 'apiBase', options.apiBase);
  if (apiBase) _warnCleartextApiBase(scope, 'apiBase', apiBase);
  _warnUrlCredentials(scope, { id: 'cdk-mackerel:urlCredentialsInTemplate', property: 'apiBase', variable: 'MACKEREL_APIBASE', advice: API_BASE_ADVICE },
    options.apiBase, apiBase);
  _warnUrlCredentials(scope, { id: PROXY_WARNING, property: 'httpProxy', variable: 'HTTP_PROXY', advice: PROXY_ADVICE },
    options.httpProxy, checkUrl(scope, 'httpProxy', options.httpProxy));
  _warnUrlCredentials(scope, { id: PROXY_WARNING, property: 'httpsProxy', variable: 'HTTPS_PROXY', advice: PROXY_ADVICE },
    options.httpsProxy, checkUrl(scope, 'httpsProxy', options.httpsProxy));
  if (!Token.isUnresolved(options.noProxy)) (options.noProxy ?? []).forEach((entry, i) => checkNoProxyEntry(scope, `noProxy[${i}]`, entry));
  checkImageSupports(scope, options, _mayRunOn(taskDefinition, 'MANAGED_INSTANCES'));
}

/**
 * The free text the agent is given in its environment, each checked before its own rules so that
 * the error says what is wrong with it. A URL is shown with its user name, password, query and fragment masked.
 */
function checkEnvTexts(scope: IConstruct, options: MackerelAgentOptions): void {
  const other = (what: string) => `other text (U+FFFD in its place), so ${what}`;
  const check = (property: string, value: string | undefined, variable: string, outcome: string, shown = value) => {
    if (value !== undefined) _checkEnvText(scope, property, value, shown ?? value, variable, outcome);
  };
  // A list token (a CommaDelimitedList parameter) holds no text of the app's.
  if (!Token.isUnresolved(options.roles)) {
    (options.roles ?? []).forEach((role, i) => check(`roles[${i}]`, role, 'MACKEREL_ROLES', other('the hosts would not join that role')));
  }
  check('displayName', options.displayName, 'MACKEREL_DISPLAY_NAME', other('the hosts would not show the name given'));
  check('memo', options.memo, 'MACKEREL_MEMO', other('the hosts\' memo would not be the one given'));
  check('ignoreContainer', options.ignoreContainer, 'MACKEREL_IGNORE_CONTAINER', other('the agent would not leave out the containers it names'));
  for (const [property, variable] of [['apiBase', 'MACKEREL_APIBASE'], ['httpProxy', 'HTTP_PROXY'], ['httpsProxy', 'HTTPS_PROXY']] as const) {
    const url = options[property];
    check(property, url, variable, other('the agent would not reach the URL given'), url === undefined ? undefined : _maskedApiBase(url));
  }
  if (!Token.isUnresolved(options.noProxy)) {
    (options.noProxy ?? []).forEach((entry, i) => check(`noProxy[${i}]`, entry, 'NO_PROXY', other('the agent would send its requests to that host through the proxy')));
  }
}

/**
 * Whether the task definition may run on a launch type, read from the name of its compatibility:
 * aws-cdk-lib's `isFargateCompatible` and `isManagedInstancesCompatible` are false for
 * `FARGATE_AND_EC2_AND_MANAGED_INSTANCES` (2.261), which runs on each of the three.
 * @internal
 */
export function _mayRunOn(taskDefinition: ecs.TaskDefinition, launchType: 'FARGATE' | 'MANAGED_INSTANCES'): boolean {
  const name: string | undefined = ecs.Compatibility[taskDefinition.compatibility];
  return (name ?? '').split('_AND_').includes(launchType)
    || (launchType === 'FARGATE' ? taskDefinition.isFargateCompatible : taskDefinition.isManagedInstancesCompatible);
}

/**
 * A role given twice is written twice into MACKEREL_ROLES: the agent sends it on as split, without
 * removing the repeat (container-agent.md section 1), and Mackerel does not document what it does
 * with a role named twice in a host's roleFullnames. A host joins a role once, so a repeat is a
 * slip, most often two lists joined.
 */
function checkRolesOnce(scope: IConstruct, roles: string[]): void {
  const [repeat] = _repeats(roles);
  if (!repeat) return;
  // One parameter given twice repeats its token: shown as the template writes it, not as token text.
  const value = roles[repeat.index];
  _fail(scope, `roles[${repeat.index}]`, Token.isUnresolved(value) ? Stack.of(scope).resolve(value) : value, 'is given twice', 'each role once');
}

function checkContainerName(scope: IConstruct, name: string | undefined): void {
  if (name === undefined || Token.isUnresolved(name)) return;
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(name)) {
    _fail(scope, 'containerName', name, 'is not a valid ECS container name', '1-255 letters, digits, - or _');
  }
}

/** ECS's longest volume name. */
const MAX_VOLUME_NAME = 255;

/**
 * The name of a task volume the agent mounts with a read-only root (`<containerName><suffix>`),
 * refused when ECS would refuse it: a container name may be 255 characters, a volume name no more.
 * @internal
 */
export function _agentVolumeName(scope: IConstruct, containerName: string, suffix: string): string {
  const name = `${containerName}${suffix}`;
  if (!Token.isUnresolved(containerName) && name.length > MAX_VOLUME_NAME) {
    _fail(scope, 'containerName', containerName,
      `is too long to name the agent's volume "${name}" (${name.length} characters) with readonlyRootFilesystem`,
      `at most ${MAX_VOLUME_NAME - suffix.length} characters, as a volume name is at most ${MAX_VOLUME_NAME}`);
  }
  return name;
}

function checkPositiveInteger(scope: IConstruct, property: string, value: number | undefined): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < 1) {
    _fail(scope, property, value, 'is not a positive whole number', 'an integer of at least 1');
  }
}

/** Docker (20.10 and later) refuses to create a container with a memory limit below this. */
const DOCKER_MIN_MEMORY_MIB = 6;

function checkMemoryFloor(scope: IConstruct, memoryLimitMiB: number | undefined): void {
  // A value that is no positive whole number is refused as such by checkPositiveInteger.
  if (memoryLimitMiB === undefined || Token.isUnresolved(memoryLimitMiB) || memoryLimitMiB < 1) return;
  if (memoryLimitMiB < DOCKER_MIN_MEMORY_MIB) {
    _fail(scope, 'memoryLimitMiB', memoryLimitMiB,
      `is below the ${DOCKER_MIN_MEMORY_MIB} MiB Docker sets as a container's least memory, so the agent container could not be created and the tasks would run unmonitored`,
      `at least ${DOCKER_MIN_MEMORY_MIB} (Mackerel's recipe uses 128)`);
  }
}

/**
 * The agent's cpu within the task's, as aws-cdk-lib checks it when the container is added (the
 * other containers' cpu counts, the task's must be a number), but with the library's message: with
 * an app-wide Aspect, aws-cdk-lib's names neither the task nor the room left.
 */
function checkCpuFits(scope: IConstruct, cpu: number, taskDefinition: ecs.TaskDefinition): void {
  const problem = _cpuRoomProblem(taskDefinition, cpu);
  if (problem) throw new Error(`${scope.node.path}: ${problem}`);
}

/**
 * Why the agent's cpu does not fit in the task beside its other containers, or undefined when it
 * fits (or a value is unknown at synth). Shared by the construct (an error at once) and the Aspect
 * (a synth validation error, as the memory check is reported, since aws-cdk-lib refuses to add
 * such a container at all).
 * @internal
 */
export function _cpuRoomProblem(taskDefinition: ecs.TaskDefinition, cpu: number | undefined): string | undefined {
  // A cpu that is no positive whole number is refused as such by _checkAgentOptions.
  if (cpu === undefined || Token.isUnresolved(cpu) || !Number.isInteger(cpu) || cpu < 1) return undefined;
  const taskCpu = Number((taskDefinition.node.defaultChild as ecs.CfnTaskDefinition).cpu);
  if (!Number.isFinite(taskCpu)) return undefined;
  const reserved = _containersOf(taskDefinition).reduce((sum, container) => sum + (typeof container.cpu === 'number' ? container.cpu : 0), 0);
  const room = Math.max(taskCpu - reserved, 0);
  if (cpu <= room) return undefined;
  return _describeProblem('cpu', cpu, `does not fit in the task ${taskDefinition.node.path}: its ${taskCpu} units minus ${reserved} reserved by the other containers leaves ${room}`,
    `at most ${room}`, 'Raise the task cpu, lower the other containers\' cpu, or leave cpu unset (the agent then reserves none)');
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

const EXPECTED_RE2 = 'a Go RE2 regular expression, such as "\\Amackerel-container-agent\\z"';

/** The escapes Go's parser (regexp/syntax) accepts both in and out of a character class. */
const ESCAPES = 'a backslash before punctuation, \\a \\f \\n \\r \\t \\v, octal \\0 to \\777, \\x41, \\x{41}, '
  + '\\d \\D \\s \\S \\w \\W, \\pL, \\p{Greek}';

/** Go's `\s`: JavaScript's also holds `\v` and Unicode spaces. */
const GO_SPACE = '\\t\\n\\f\\r ';

/** Go's `\S` as ranges, because a JavaScript class without the v flag cannot hold a negated class. */
const GO_NOT_SPACE = '\\0-\\x08\\v\\x0e-\\x1f!-\\uffff';

/** Go's C escapes; it has no `\b` backspace, as `\b` is the word boundary. */
const C_ESCAPES = new Map([['a', 0x07], ['f', 0x0c], ['n', 0x0a], ['r', 0x0d], ['t', 0x09], ['v', 0x0b]]);

/** Look-around, which RE2 lacks, and flags after the start, which are not translated. */
const LOOK_AROUND = /\(\?<?[=!]/y;
const LATER_FLAGS = /\(\?[a-zA-Z-]+[:)]/y;

type Reject = (problem: string, expected: string, hint?: string) => never;

/** Part of an expression read as Go reads it: where it ends, and its JavaScript, or undefined when it is not translated. */
interface Piece {
  readonly end: number;
  readonly js: string | undefined;
}

/**
 * Compiles a Go RE2 expression as a JavaScript RegExp with Go's meaning. The expression is read
 * as Go's parser reads it, since JavaScript silently accepts escapes Go rejects (`\Z`, `\e`,
 * `[\b]`), any of which makes the agent exit at start, and reads others differently (`\x{61}`,
 * `\s`, `\A` under `(?m)`). Rejects back-references and look-around, which RE2 lacks. Throws with
 * the construct path when it is not valid. Returns undefined, with a warning, for RE2 syntax that
 * is not translated (POSIX and Unicode classes, `\Q...\E`, flags after the start, code points
 * above U+FFFF in a class): the expression then cannot be checked against the task at synth.
 * @internal
 */
export function _goRegExp(scope: IConstruct, source: string): RegExp | undefined {
  if (Token.isUnresolved(source)) return undefined;
  const reject: Reject = (problem, expected, hint) => _fail(scope, 'ignoreContainer', source, problem, expected, hint);
  const flagged = /^\(\?([ims]+)\)/.exec(source);
  const flags = flagged ? flagged[1] : '';
  const body = translateGo(flagged ? source.slice(flagged[0].length) : source, reject);
  if (body === undefined) {
    Annotations.of(scope).addWarningV2('cdk-mackerel:ignoreContainerNotChecked',
      `ignoreContainer ${JSON.stringify(source)} uses Go RE2 syntax that cannot be checked at synth (POSIX or Unicode classes, \\Q...\\E, `
      + 'flags after the start, or \\x{...} above FFFF in a class). Make sure it leaves at least one container of the task, or the agent finds none and exits');
    return undefined;
  }
  try {
    return new RegExp(body, flags);
  } catch (e) {
    return reject(`is not a valid regular expression (${(e as Error).message})`, EXPECTED_RE2);
  }
}

/** The JavaScript for a Go expression, or undefined when it uses syntax that is not translated. */
function translateGo(s: string, reject: Reject): string | undefined {
  let body = '';
  let translated = true;
  let i = 0;
  while (i < s.length) {
    let piece: Piece;
    if (s[i] === '[') {
      piece = translateClass(s, i, reject);
    } else if (s[i] === '\\') {
      piece = translateEscape(s, i, false, reject);
    } else if (s[i] === '(') {
      piece = translateParen(s, i, reject);
    } else {
      piece = { end: i + 1, js: s[i] };
    }
    // Reading on after syntax that is not translated still rejects a later invalid escape.
    if (piece.js === undefined) translated = false;
    else body += piece.js;
    i = piece.end;
  }
  return translated ? body : undefined;
}

function translateParen(s: string, i: number, reject: Reject): Piece {
  LOOK_AROUND.lastIndex = i;
  if (LOOK_AROUND.test(s)) {
    reject('uses back-references or look-around, which Go RE2 does not support', EXPECTED_RE2);
  }
  if (s.startsWith('(?P<', i)) return { end: i + 4, js: '(?<' };
  LATER_FLAGS.lastIndex = i;
  return { end: i + 1, js: LATER_FLAGS.test(s) ? undefined : '(' };
}

function translateClass(s: string, start: number, reject: Reject): Piece {
  let i = start + 1;
  let js = '[';
  let translated = true;
  if (s[i] === '^') js += s[i++];
  // Go reads a ] right after [ or [^ as a member, where JavaScript would end the class.
  if (s[i] === ']') {
    js += '\\]';
    i++;
  }
  while (i < s.length && s[i] !== ']') {
    const posixEnd = s.startsWith('[:', i) ? s.indexOf(':]', i + 2) : -1;
    const piece = posixEnd >= 0 ? { end: posixEnd + 2, js: undefined }
      : s[i] === '\\' ? translateEscape(s, i, true, reject)
        : { end: i + 1, js: s[i] };
    if (piece.js === undefined) translated = false;
    else js += piece.js;
    i = piece.end;
  }
  // An unclosed class is left for JavaScript to report, as Go rejects it too.
  if (i >= s.length) return { end: i, js };
  return { end: i + 1, js: translated ? `${js}]` : undefined };
}

function translateEscape(s: string, i: number, inClass: boolean, reject: Reject): Piece {
  if (i + 1 >= s.length) reject('ends in a lone backslash, which Go RE2 rejects', EXPECTED_RE2);
  const c = s[i + 1];
  if (!inClass) {
    switch (c) {
      // Lookbehind, not ^, which (?m) would turn into a line start.
      case 'A': return { end: i + 2, js: '(?<![\\s\\S])' };
      case 'z': return { end: i + 2, js: '(?![\\s\\S])' };
      case 'b': case 'B': return { end: i + 2, js: `\\${c}` };
      case 'Q': {
        const quoteEnd = s.indexOf('\\E', i + 2);
        return { end: quoteEnd < 0 ? s.length : quoteEnd + 2, js: undefined };
      }
    }
  }
  switch (c) {
    case 'p': case 'P': {
      // 0 when the name is missing or its brace is not closed.
      const nameEnd = s[i + 2] === '{' ? s.indexOf('}', i + 3) + 1
        : i + 2 < s.length ? i + 2 + String.fromCodePoint(s.codePointAt(i + 2)!).length : 0;
      if (nameEnd === 0) reject(`has the escape ${s.slice(i)}, which Go RE2 rejects`, 'a Unicode class such as \\pL or \\p{Greek}');
      return { end: nameEnd, js: undefined };
    }
    case 'd': case 'D': case 'w': case 'W': return { end: i + 2, js: `\\${c}` };
    case 's': return { end: i + 2, js: inClass ? GO_SPACE : `[${GO_SPACE}]` };
    case 'S': return { end: i + 2, js: inClass ? GO_NOT_SPACE : `[^${GO_SPACE}]` };
  }
  const { codePoint, end } = escapedCodePoint(s, i);
  if (codePoint === undefined) {
    if (/[1-9]/.test(c)) reject('uses back-references or look-around, which Go RE2 does not support', EXPECTED_RE2);
    const escape = s.slice(i, end);
    if (!inClass) reject(`has the escape ${escape}, which Go RE2 rejects`, `an escape Go accepts: ${ESCAPES}, \\A \\z \\b \\B, \\Q...\\E`);
    reject(`has the escape ${escape} inside [...], which Go RE2 rejects`, `an escape Go accepts inside [...]: ${ESCAPES}`,
      'AzbBQ'.includes(c) ? `${escape} is only allowed outside [...]${c === 'b' ? '; for a backspace, use \\x08' : ''}` : undefined);
  }
  const units = String.fromCodePoint(codePoint);
  const js = Array.from({ length: units.length }, (_, k) => `\\u${units.charCodeAt(k).toString(16).padStart(4, '0')}`).join('');
  if (units.length === 1) return { end, js };
  // A surrogate pair in a class would be two members, not one code point.
  return { end, js: inClass ? undefined : `(?:${js})` };
}

/** The code point of a single-character escape as Go's parseEscape reads it, and where Go stops reading. */
function escapedCodePoint(s: string, i: number): { codePoint: number | undefined; end: number } {
  const c = s[i + 1];
  const octal = (j: number) => j < s.length && s[j] >= '0' && s[j] <= '7';
  if (c.charCodeAt(0) < 0x80 && !/[0-9A-Za-z]/.test(c)) return { codePoint: c.charCodeAt(0), end: i + 2 };
  // A lone \1 to \7 would be a back-reference; followed by an octal digit it is octal.
  if (c === '0' || (c >= '1' && c <= '7' && octal(i + 2))) {
    let end = i + 2;
    while (end < i + 4 && octal(end)) end++;
    return { codePoint: parseInt(s.slice(i + 1, end), 8), end };
  }
  if (c === 'x' && s[i + 2] === '{') {
    let close = i + 3;
    while (close < s.length && /[0-9A-Fa-f]/.test(s[close])) close++;
    const codePoint = s[close] === '}' && close > i + 3 ? parseInt(s.slice(i + 3, close), 16) : NaN;
    return { codePoint: codePoint <= 0x10ffff ? codePoint : undefined, end: Math.min(close + 1, s.length) };
  }
  if (c === 'x') {
    const hex = s.slice(i + 2, i + 4);
    return { codePoint: /^[0-9A-Fa-f]{2}$/.test(hex) ? parseInt(hex, 16) : undefined, end: Math.min(i + 4, s.length) };
  }
  return { codePoint: C_ESCAPES.get(c), end: i + 1 + String.fromCodePoint(s.codePointAt(i + 1)!).length };
}

/** A URL's user name, password, query and fragment are shown nowhere: the error shows the rest of it. */
function checkUrl(scope: IConstruct, property: string, value: string | undefined): URL | undefined {
  if (value === undefined || Token.isUnresolved(value)) return undefined;
  const url = _httpUrl(value);
  if (!url) _fail(scope, property, _maskedApiBase(value), 'is not an http or https URL', 'an absolute URL such as "https://proxy.example.com:3128"');
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
    _fail(scope, 'image', image._describe(), 'cannot run on ECS Managed Instances: agents before v0.13.0 exit with "unknown execution env"',
      'an image of v0.13.0 or later, such as MackerelAgentImage.DEFAULT');
  }
  // An older agent ignores the variable and keeps the file store, so only MEMORY would be lost.
  if (options.hostIdStore === MackerelHostIdStore.MEMORY && older(12)) {
    _fail(scope, 'hostIdStore', options.hostIdStore, `needs agent v0.12.0 or later, but the image is ${image._describe()}`,
      'an image of v0.12.0 or later, or no hostIdStore');
  }
  // MACKEREL_LOG_LEVEL came in v0.8.0 (agent PR #237): an older agent logs at INFO whatever is set.
  if (options.logLevel !== undefined && older(8)) {
    _fail(scope, 'logLevel', options.logLevel, `needs agent v0.8.0 or later, but the image is ${image._describe()}`,
      'an image of v0.8.0 or later, or no logLevel');
  }
  for (const property of ['displayName', 'memo'] as const) {
    if (options[property] !== undefined && older(11)) {
      _fail(scope, property, options[property], `needs agent v0.11.0 or later, but the image is ${image._describe()}`,
        `an image of v0.11.0 or later, or no ${property}`);
    }
  }
}
