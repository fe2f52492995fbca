import { Annotations, Duration, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { _probedPort } from './_probe-port';
import { MackerelAgentConfig, MackerelCheckPlugin, MackerelMetricPlugin, MackerelPluginCommand } from './config';
import { MackerelExecProbeOptions, MackerelHttpProbeOptions, MackerelProbeScheme, MackerelProbeTiming, MackerelReadinessProbe, MackerelTcpProbeOptions } from './probe';
import { _YamlMap, _toYaml } from './yaml';
import { _maskedApiBase, _maskedUserinfo, _userinfoOf } from '../../_text';
import { _fail } from '../../_validation';
import { _ASSIGNMENT, _MAX_FORKS, _MAX_WRAPPERS, _WRAPPERS, _wrappedCommandAt } from '../_command-wrappers';
import { _refuseLoneSurrogate } from '../_env-text';

const PLUGIN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const HTTP_METHOD = /^[A-Z]+$/;
/** The symbols an HTTP header name (an RFC 9110 token) may hold besides letters and digits. */
const HEADER_NAME_SYMBOLS = "!#$%&'*+-.^_`|~";
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Header names that carry a credential: the authorization headers, cookies, and names such as X-Api-Key or X-Auth-Token. */
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|cookie)$|token|secret|key|password/i;
/**
 * Standard headers whose key is no credential: a request's idempotency key (chosen by the client to
 * make a retry safe) and the WebSocket handshake's nonce (RFC 6455). Only the whole name counts, in
 * any case, so X-Idempotency-Key-Secret still warns. The README and the probe's `headers` doc list them.
 * @internal
 */
export const _NOT_CREDENTIAL_HEADERS: readonly string[] = ['Idempotency-Key', 'X-Idempotency-Key', 'Sec-WebSocket-Key'];
const NOT_CREDENTIAL_HEADER = new Set(_NOT_CREDENTIAL_HEADERS.map((name) => name.toLowerCase()));
/**
 * Environment names that end in a credential's word (DB_PASSWORD, GITHUB_TOKEN, API_KEY). Only the end
 * counts, and only the kinds of key that are secrets: TOKEN_FILE, SSH_KEY_PATH or CACHE_KEY name no secret.
 * A password may end a word (libpq's PGPASSWORD); its short forms only after a separator (MYSQL_PWD,
 * DATA_SOURCE_PASS), as the shell's PWD is a directory.
 */
const CREDENTIAL_ENV = /(^|[_-])(token|secret|apikey|(api|access|secret|private)[_-]?key)$|passw(or)?d$|[_-](pwd|pass)$/i;
/**
 * A switch about a credential rather than one: the database images' MYSQL_ALLOW_EMPTY_PASSWORD=yes,
 * MYSQL_RANDOM_ROOT_PASSWORD=yes or MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1. A password that is one of
 * these words would be no secret either.
 */
const SWITCH_VALUE = /^(yes|no|true|false|on|off|[01])$/i;
/**
 * A URL that carries a password (`postgres://user:pass@db/app`, `redis://:pass@cache`), as a
 * DATABASE_URL does whatever its name. A user name alone (`ssh://git@host`) is no secret.
 */
const URL_WITH_PASSWORD = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#@\s:]*:[^/?#\s]+@/;
/**
 * The agent turns seconds and minutes into Go's `time.Duration`, nanoseconds in a signed 64-bit
 * integer, by a multiplication that wraps around past 2^63-1 ns (about 292 years) into another,
 * often negative, duration.
 */
const MAX_GO_SECONDS = 9223372036;
const MAX_GO_MINUTES = 153722867;
/** What the `-plugins` image adds to the agent-only one (its `/usr/bin`). */
const OFFICIAL_PROGRAM = /^(mackerel-plugin(-.+)?|mackerel-check|check-.+|mkr)$/;

/**
 * The agent's YAML for a config, validated. The file is written at synth, so every value must
 * be known then: tokens are rejected rather than written as their placeholder text.
 * @internal
 */
export function _renderConfig(scope: IConstruct, config: MackerelAgentConfig): string {
  const metrics = plugins(scope, 'config.metricPlugins', config.metricPlugins ?? {}, false);
  const checks = plugins(scope, 'config.checkPlugins', config.checkPlugins ?? {}, true);
  const plugin = Object.keys(metrics).length + Object.keys(checks).length > 0
    ? { metrics: emptyAsUndefined(metrics), checks: emptyAsUndefined(checks) } : undefined;
  const document: _YamlMap = {
    plugin,
    readinessProbe: config.readinessProbe ? probe(scope, config.readinessProbe) : undefined,
  };
  return _toYaml(document);
}

/**
 * Whether a config holds anything the agent reads: plugins, a readiness probe or a file of the
 * user's. Without any, a config file would be empty, which the agent reads as no config at all.
 * @internal
 */
export function _hasAgentSettings(config: MackerelAgentConfig | undefined): boolean {
  return config !== undefined && (config.location !== undefined || config.readinessProbe !== undefined || _hasPlugins(config));
}

/** Whether a config runs plugins, so needs the image that ships them. @internal */
export function _hasPlugins(config: MackerelAgentConfig | undefined): boolean {
  return Object.keys(config?.metricPlugins ?? {}).length + Object.keys(config?.checkPlugins ?? {}).length > 0;
}

/**
 * The official programs the commands run, which only the `-plugins` image has: the plugins
 * (`mackerel-plugin-*`, `check-*`), their multi-call binaries (`mackerel-plugin <name>`,
 * `mackerel-check <name>`) and `mkr`.
 * @internal
 */
export function _officialPlugins(config: MackerelAgentConfig | undefined): string[] {
  const given = [...Object.values(config?.metricPlugins ?? {}), ...Object.values(config?.checkPlugins ?? {})];
  const programs = new Set<string>();
  for (const plugin of given) {
    const line = plugin.command._render();
    // Only a shell reads `FOO=1` before the program as an assignment: exec'd, it would be the program's own name.
    const words = Array.isArray(line) ? line : line.trim().split(/\s+/);
    const start = Array.isArray(line) ? 0 : assignmentsEnd(words, 0);
    officialRunAt(words, start, programs, { left: _MAX_FORKS }, 0);
  }
  return [...programs];
}

function assignmentsEnd(words: ReadonlyArray<string>, start: number): number {
  let i = start;
  while (i < words.length && _ASSIGNMENT.test(words[i])) i++;
  return i;
}

/**
 * Whether the command at `at` finally runs an official program, its name then added to `found`: through the wrappers
 * that run another command (`env FOO=1 ...`, `timeout 10 ...`, `sudo -u app ...`), read as `_wrappedCommandAt` reads them.
 * Where an option of a wrapper is not known, each reading must run an official program, so that the warning is never a guess.
 */
function officialRunAt(words: ReadonlyArray<string>, at: number, found: Set<string>, forks: { left: number }, wrappers: number): boolean {
  const word = words[at];
  if (typeof word !== 'string' || Token.isUnresolved(word)) return false;
  const program = word.slice(word.lastIndexOf('/') + 1);
  const syntax = _WRAPPERS.get(program);
  if (syntax === undefined) {
    if (!OFFICIAL_PROGRAM.test(program)) return false;
    found.add(program);
    return true;
  }
  if (wrappers >= _MAX_WRAPPERS) return false;
  const seen = new Set<string>();
  const ran = _wrappedCommandAt(syntax, words, at + 1, (wrapped, from) => officialRunAt(wrapped, from, seen, forks, wrappers + 1) ? from : -1, forks);
  if (ran < 0) return false;
  seen.forEach((name) => found.add(name));
  return true;
}

/**
 * The polling interval in whole minutes, validated. It goes into an environment variable, not the
 * file, so a deploy-time value (a token in minutes) is passed through unchecked.
 * @internal
 */
export function _pollingMinutes(scope: IConstruct, config: MackerelAgentConfig): number | undefined {
  const interval = config.pollingInterval;
  if (!interval) return undefined;
  if (interval.isUnresolved()) {
    if (interval.unitLabel() !== 'minutes') {
      _fail(scope, 'config.pollingInterval', interval.toHumanString(), 'comes from a token in another unit, which cannot be converted to minutes at synth',
        'Duration.minutes(n) with n >= 1');
    }
    return interval.toMinutes();
  }
  const minutes = interval.toMinutes({ integral: false });
  if (!Number.isInteger(minutes) || minutes < 1) {
    _fail(scope, 'config.pollingInterval', interval.toHumanString(), 'is not a positive whole number of minutes', 'Duration.minutes(n) with n >= 1');
  }
  if (minutes > MAX_GO_MINUTES) {
    // toHumanString rounds a span this long to days and hours: the exact count says by how much it is over.
    _fail(scope, 'config.pollingInterval', `${minutes} minutes`, 'is longer than the agent\'s Go time.Duration can hold (it would wrap around into another interval)',
      `Duration.minutes(n) with 1 <= n <= ${MAX_GO_MINUTES} (about 292 years)`);
  }
  return minutes;
}

/** `memo` is written for check plugins only: the agent reads no memo on metric plugins. */
function plugins(
  scope: IConstruct, property: string, given: { [name: string]: MackerelMetricPlugin | MackerelCheckPlugin }, checks: boolean,
): _YamlMap {
  const rendered: { [name: string]: _YamlMap } = {};
  for (const [name, plugin] of Object.entries(given)) {
    if (!PLUGIN_NAME.test(name)) {
      _fail(scope, `${property} name`, name, 'is not a valid plugin name', '1-64 letters, digits, "-", "_" or ".", starting with a letter or digit');
    }
    rendered[name] = {
      command: command(scope, `${property}.${name}.command`, plugin.command),
      user: noNul(scope, `${property}.${name}.user`, known(scope, `${property}.${name}.user`, plugin.user)),
      env: env(scope, `${property}.${name}.env`, plugin.env),
      timeoutSeconds: seconds(scope, `${property}.${name}.timeout`, plugin.timeout, 1),
      memo: checks ? known(scope, `${property}.${name}.memo`, (plugin as MackerelCheckPlugin).memo) : undefined,
    };
  }
  return rendered;
}

function command(scope: IConstruct, property: string, given: MackerelPluginCommand): string | string[] {
  const rendered = given._render();
  const value = Array.isArray(rendered) ? rendered.map((arg, i) => known(scope, `${property}[${i}]`, arg)) : known(scope, property, rendered);
  (Array.isArray(value) ? value : [value]).forEach((arg, i) => noNul(scope, Array.isArray(value) ? `${property}[${i}]` : property, arg));
  if (Array.isArray(value) ? value.length === 0 || value[0] === '' : value.trim() === '') {
    _fail(scope, property, value, 'is empty', 'a shell line or a program with its arguments');
  }
  return value;
}

function env(scope: IConstruct, property: string, given: { [name: string]: string } | undefined): _YamlMap | undefined {
  if (!given) return undefined;
  for (const name of Object.keys(given)) {
    if (name === '' || name.includes('=')) {
      _fail(scope, `${property} name`, name, 'is empty or contains "="', 'an environment variable name without "="');
    }
    // The agent trims spaces off a name (strings.Trim(k, " ")) and drops one left empty.
    if (name !== name.replace(/^ +| +$/g, '')) {
      _fail(scope, `${property} name`, name, 'has spaces around it, which the agent trims off (dropping a name left empty)',
        'a name without leading or trailing spaces');
    }
    known(scope, `${property} name`, name);
    noNul(scope, `${property} name`, name);
    // A value named as a credential is not shown in an error, as a header's is not.
    const credential = (CREDENTIAL_ENV.test(name) && !SWITCH_VALUE.test(given[name])) || URL_WITH_PASSWORD.test(given[name]);
    if (credential) secretValue(scope, property, name, given[name]);
    else known(scope, `${property}.${name}`, given[name]);
    noNul(scope, credential ? property : `${property}.${name}`, given[name], credential ? { value: name, what: 'has a value that holds' } : undefined);
    if (given[name] !== '' && credential) {
      warnCredential(scope, `${property}.${name}`,
        'Give it to the agent container as an ECS secret (container.addSecret) instead: plugins and exec probes inherit the agent\'s environment');
    }
  }
  return given;
}

/**
 * The config file is an S3 asset: it is kept in the cloud assembly and in the bootstrap bucket, where
 * whoever can read that bucket (every deployment role of the account, say) reads it. The value is
 * never shown in the warning.
 */
function warnCredential(scope: IConstruct, property: string, advice: string, what: string = 'looks like a credential, and its value is'): void {
  Annotations.of(scope).addWarningV2('cdk-mackerel:credentialInAgentConfig',
    `${property} ${what} written in plain text into the agent's config file, an S3 asset: `
    + `it is kept in the cloud assembly (cdk.out) and in the CDK bootstrap bucket, readable by anyone who can read that bucket. ${advice}`);
}

/**
 * @param agentDefault the agent's default, where it reads 0 as that default (a probe's period and
 * timeout): 0 is then refused, as a plugin's timeout is, rather than written to mean another value
 */
function seconds(scope: IConstruct, property: string, given: Duration | undefined, minimum: number, agentDefault?: string): number | undefined {
  if (!given) return undefined;
  if (given.isUnresolved()) notKnown(scope, property, given.toHumanString());
  const value = given.toSeconds({ integral: false });
  if (!Number.isInteger(value) || value < minimum) {
    _fail(scope, property, given.toHumanString(), `is not a whole number of seconds of at least ${minimum}`, `Duration.seconds(n) with n >= ${minimum}`,
      value === 0 && agentDefault ? `The agent reads 0 as its default, ${agentDefault}: leave it out for that` : undefined);
  }
  if (value > MAX_GO_SECONDS) {
    _fail(scope, property, `${value} seconds`, 'is longer than the agent\'s Go time.Duration can hold (it would wrap around into another, often negative, duration)',
      `Duration.seconds(n) with ${minimum} <= n <= ${MAX_GO_SECONDS} (about 292 years)`);
  }
  return value;
}

function probe(scope: IConstruct, given: MackerelReadinessProbe): _YamlMap {
  const timing = given._options as MackerelProbeTiming;
  const kinds: { [kind: string]: () => _YamlMap } = {
    exec: () => execProbe(scope, given._options as MackerelExecProbeOptions),
    // The port of an app container is read now, so that a mapping added after httpToContainer is seen.
    http: () => httpProbe(scope, given._container
      ? { ...given._options as MackerelHttpProbeOptions, port: _probedPort(given._container) }
      : given._options as MackerelHttpProbeOptions),
    tcp: () => tcpProbe(scope, given._options as MackerelTcpProbeOptions),
  };
  return {
    [given._kind]: kinds[given._kind](),
    initialDelaySeconds: seconds(scope, 'config.readinessProbe.initialDelay', timing.initialDelay, 0),
    periodSeconds: seconds(scope, 'config.readinessProbe.period', timing.period, 1, '10 seconds'),
    timeoutSeconds: seconds(scope, 'config.readinessProbe.timeout', timing.timeout, 1, '1 second'),
  };
}

function execProbe(scope: IConstruct, options: MackerelExecProbeOptions): _YamlMap {
  return {
    command: command(scope, 'config.readinessProbe.command', options.command),
    user: noNul(scope, 'config.readinessProbe.user', known(scope, 'config.readinessProbe.user', options.user)),
    env: env(scope, 'config.readinessProbe.env', options.env),
  };
}

function httpProbe(scope: IConstruct, options: MackerelHttpProbeOptions): _YamlMap {
  for (const property of ['path', 'scheme', 'method', 'host'] as const) known(scope, `config.readinessProbe.${property}`, options[property]);
  // A proxy URL built around a token (its host from a parameter, say) may still carry a literal user name and password.
  if (options.proxy !== undefined && Token.isUnresolved(options.proxy)) notKnown(scope, 'config.readinessProbe.proxy', _maskedApiBase(options.proxy));
  if (options.proxy !== undefined) wellFormed(scope, 'config.readinessProbe.proxy', options.proxy, { value: _maskedApiBase(options.proxy), what: 'holds' });
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    known(scope, 'config.readinessProbe.headers name', name);
    // The value is not shown (here and below): a header such as Authorization holds a credential.
    secretValue(scope, 'config.readinessProbe.headers', name, value);
    // Go's HTTP client refuses such a request, and the agent retries the probe forever: the host would never register.
    if (!HEADER_NAME.test(name)) {
      _fail(scope, 'config.readinessProbe.headers name', name, 'is not an HTTP header name', `letters, digits and ${HEADER_NAME_SYMBOLS}`,
        'The probe would fail forever and the host never register');
    }
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) {
      _fail(scope, 'config.readinessProbe.headers', name, 'has a value with a control character (such as a line break), which the agent\'s HTTP client refuses',
        'a value of printable characters and tabs', 'The probe would fail forever and the host never register');
    }
    if (value !== '' && CREDENTIAL_HEADER.test(name) && !NOT_CREDENTIAL_HEADER.has(name.toLowerCase())) {
      warnCredential(scope, `config.readinessProbe.headers.${name}`,
        'Probe a path that needs no credential, or use MackerelReadinessProbe.exec with a command that sends the header from the agent\'s '
        + 'environment (such as check-http -H of the -plugins image), the value given to the agent container as an ECS secret (container.addSecret)');
    }
  }
  if (!options.path.startsWith('/')) {
    _fail(scope, 'config.readinessProbe.path', options.path, 'does not start with "/"', 'an absolute request path, such as "/health"');
  }
  probePath(scope, options.path);
  if (options.method !== undefined && !HTTP_METHOD.test(options.method)) {
    _fail(scope, 'config.readinessProbe.method', options.method, 'is not an HTTP method', 'a method in capitals, such as GET or HEAD');
  }
  const schemes = Object.values(MackerelProbeScheme) as string[];
  if (options.scheme !== undefined && !schemes.includes(options.scheme)) {
    _fail(scope, 'config.readinessProbe.scheme', options.scheme, 'is not a known value', `one of ${schemes.map((v) => JSON.stringify(v)).join(', ')}`);
  }
  if (options.proxy !== undefined && !/^https?:\/\/[^\s]+$/.test(options.proxy)) {
    _fail(scope, 'config.readinessProbe.proxy', _maskedApiBase(options.proxy), 'is not an http or https URL', 'a URL such as http://proxy:3128');
  }
  const proxy = options.proxy ?? '';
  const userinfo = _userinfoOf(proxy);
  // Go's transport sends an empty userinfo (http://@proxy, http://:@proxy) as an empty Basic credential: nothing to keep secret.
  if (userinfo && /[^:]/.test(proxy.slice(userinfo.start, userinfo.end))) {
    warnCredential(scope, 'config.readinessProbe.proxy', 'Probe through a proxy that needs no credential from inside the task, or probe the container directly',
      `${JSON.stringify(_maskedApiBase(proxy))} carries a user name or password, which is`);
  }
  probeHost(scope, options.host, options.port);
  return {
    path: options.path,
    scheme: options.scheme,
    method: options.method,
    host: options.host,
    port: port(scope, options.port),
    headers: options.headers ? Object.entries(options.headers).map(([name, value]) => ({ name, value })) : undefined,
    proxy: options.proxy,
  };
}

/**
 * The agent reads the path as a URL (Go's `url.Parse`) before it sets the scheme and host. A control
 * character or a "%" not followed by two hex digits fails that parse on every try, and a leading "//"
 * (not "///") makes its first segment the URL's host, which the agent then replaces: the path probed is another.
 * Either way the probe never succeeds and the host never registers.
 */
function probePath(scope: IConstruct, path: string): void {
  // The query is kept as written; the path before it and the fragment are each decoded on their own,
  // so an escape cut short at the "#" ("/a%#41") is bad though its text and the fragment's would join.
  const [beforeFragment, fragment = ''] = splitOnce(path, '#');
  const [pathPart, query = ''] = splitOnce(beforeFragment, '?');
  const badEscape = (text: string) => /%(?![0-9A-Fa-f]{2})/.test(text);
  // Go's url.Parse refuses a control character only before the "#": it cuts the fragment off first, decodes it without
  // that check and escapes it again where the agent writes the URL out, and the client never sends it.
  const refused = /[\x00-\x1f\x7f]/.test(beforeFragment) ? 'holds a control character (such as a line break) before any "#"'
    : badEscape(pathPart) || badEscape(fragment) ? 'holds a "%" not followed by two hex digits outside its query' : undefined;
  if (refused) {
    _fail(scope, 'config.readinessProbe.path', path, `${refused}, which the agent's URL parser refuses`,
      'a request path such as "/health", with a "%" of its path written as "%25"', 'The probe would fail forever and the host never register');
  }
  // Go's url.Parse reads a host after exactly two slashes: it keeps a path that starts with three whole, and the agent probes it as written.
  if (pathPart.startsWith('//') && !pathPart.startsWith('///')) {
    // A password there is not shown, as a proxy URL's is not: one holding "/" as typed (`//user:pa/ss@app`) cuts the
    // authority short, so the host is read from the masked text, which would otherwise quote the password's first part.
    const url = `http:${path}`;
    const hidden = _userinfoOf(url);
    const shown = _maskedUserinfo(url).slice('http:'.length);
    // The authority ends at the first "/", "?" or "#"; a user name before its last "@" is the URL's userinfo, not its host.
    const authority = shown.slice(2).split(/[/?#]/)[0];
    const at = authority.lastIndexOf('@');
    const password = hidden !== undefined && url.slice(hidden.start, hidden.end).includes(':');
    const userinfo = at < 0 ? '' : ` (and what comes before its "@" as the URL's user${password ? ' and password' : ''})`;
    _fail(scope, 'config.readinessProbe.path', shown,
      `starts with "//", so the agent reads ${JSON.stringify(authority.slice(at + 1))} as a URL's host${userinfo}, which it replaces, and probes the rest of the path alone`,
      'a request path with one leading "/"');
  }
  // Go's client sends the query as written, where it escapes a space of the path: a space there splits the
  // request line ("GET /search?q=a b HTTP/1.1"), which an HTTP server refuses with 400 on every try.
  if (query.includes(' ')) {
    _fail(scope, 'config.readinessProbe.path', path, 'has a space in its query, which the agent sends unescaped, splitting the HTTP request line',
      'a query with each space written as "%20"', 'The server would refuse the request, the probe fail forever and the host never register');
  }
}

function splitOnce(text: string, separator: string): [string, string?] {
  const at = text.indexOf(separator);
  return at < 0 ? [text] : [text.slice(0, at), text.slice(at + 1)];
}

function tcpProbe(scope: IConstruct, options: MackerelTcpProbeOptions): _YamlMap {
  const host = known(scope, 'config.readinessProbe.host', options.host);
  probeHost(scope, host, options.port);
  return { port: port(scope, options.port), host };
}

/**
 * A host the agent can reach: it joins host and port as `net.JoinHostPort` does (`[host]:port`
 * when the host holds a colon), or without a port puts the host in the URL as it is. Anything
 * else never connects, and the agent retries the probe forever: the host would never register.
 */
function probeHost(scope: IConstruct, host: string | undefined, withPort: number | undefined): void {
  if (host === undefined || Token.isUnresolved(host) || host === '') return;
  if (/[\s/@?#]/.test(host)) {
    // What comes before an "@" is a URL's user name and password: not shown, as a proxy URL's or a path's are not.
    _fail(scope, 'config.readinessProbe.host', _maskedUserinfo(host), 'is not a host name or IP address', 'a name such as "app" or an address such as "10.0.0.5"',
      'The port goes in port, and the scheme in scheme');
  }
  const colons = host.split(':').length - 1;
  // Brackets alone: the agent adds brackets of its own when it joins a port to an address with a colon (net.JoinHostPort).
  if (withPort !== undefined && /^\[[^\]]*\]$/.test(host)) {
    const inside = host.slice(1, -1);
    if (inside === '') {
      _fail(scope, 'config.readinessProbe.host', host, `is empty brackets, which name no host: the agent would dial ":${withPort}", the local host, as with no host`,
        'a host name or address, such as "app" or "fd00::5", or no host for localhost');
    }
    if (!inside.includes(':')) {
      _fail(scope, 'config.readinessProbe.host', host, 'is in brackets, which only an IPv6 address takes in a URL', `the name or address without brackets, ${JSON.stringify(inside)}`);
    }
    // A zone is written "%25" in a URL, but the agent joins a bare address with the port and dials it (escaping a "%" itself
    // where it builds a URL): "%25eth0" would be the zone "25eth0".
    const plainInside = plainZone(inside);
    _fail(scope, 'config.readinessProbe.host', host, `is in brackets, but the agent adds its own when it joins it with port ${withPort} (as [${host}]:${withPort})`,
      `the address without brackets, ${JSON.stringify(plainInside ?? inside)}`, plainInside !== undefined ? 'Its zone goes after a plain "%", which the agent escapes where it needs to' : undefined);
  }
  if (withPort !== undefined && (host.startsWith('[') || colons === 1)) {
    _fail(scope, 'config.readinessProbe.host', host, `holds a port, but the agent joins it with port ${withPort} (as [${host}]:${withPort})`,
      'the host alone, with the port in port');
  }
  if (withPort === undefined && colons > 1 && !host.startsWith('[')) {
    _fail(scope, 'config.readinessProbe.host', host, 'is an IPv6 address without brackets, which the agent cannot put in a URL without a port',
      `"[${host}]", or a port`);
  }
  // The agent takes the host as an address, not URL text: it dials it as written, or escapes a "%" itself where it puts it in a
  // URL, so a zone written "%25eth0" as a URL writes it is the zone "25eth0". An interface may bear that name: warned, not refused.
  // Only an IPv6 address has a zone, and "%25" with nothing after it is the zone "25" (an interface index) as URL text has none.
  const plain = plainZone(host);
  if (plain !== undefined) {
    const zone = host.indexOf('%');
    Annotations.of(scope).addWarningV2('cdk-mackerel:readinessProbeHostZoneEscaped',
      `config.readinessProbe.host ${JSON.stringify(host)} writes its zone after "%25", as a URL does, but the agent reads the host as an address `
      + `and escapes a "%" itself where it builds a URL: its zone would be ${JSON.stringify(host.slice(zone + 1).split(']')[0])}, and the probe `
      + `would fail forever unless an interface bears that name. Write the zone after a plain "%", ${JSON.stringify(plain)}`);
  }
}

/**
 * The host with its IPv6 zone after a plain "%", where it writes the zone after its first "%" as a URL does ("%25eth0");
 * undefined where it does not. Only an IPv6 address (one with a colon before it) has a zone, and "%25" with no zone after
 * it, as no URL writes one, is the zone "25".
 */
function plainZone(host: string): string | undefined {
  const zone = host.indexOf('%');
  if (zone < 0 || !host.slice(0, zone).includes(':') || !/^%25[^\]]/.test(host.slice(zone))) return undefined;
  return `${host.slice(0, zone)}%${host.slice(zone + 3)}`;
}

function port(scope: IConstruct, given: number | undefined): number | undefined {
  known(scope, 'config.readinessProbe.port', given);
  if (given !== undefined && (!Number.isInteger(given) || given < 1 || given > 65535)) {
    _fail(scope, 'config.readinessProbe.port', given, 'is not a port number', 'a whole number from 1 to 65535');
  }
  return given;
}

function emptyAsUndefined(map: _YamlMap): _YamlMap | undefined {
  return Object.keys(map).length === 0 ? undefined : map;
}

/**
 * The file is written at synth: a token would be written as its placeholder text. Checked where
 * each value enters, so the error names the property the user set.
 */
function known<T extends string | number | undefined>(scope: IConstruct, property: string, value: T): T {
  if (value !== undefined && Token.isUnresolved(value)) notKnown(scope, property, Token.asString(value));
  if (typeof value === 'string') wellFormed(scope, property, value);
  return value;
}

/**
 * `known` for a value that may be a credential, named in its errors by `name` instead: a token
 * with literal text around it (`Bearer s3cret${token}`) would show the text.
 */
function secretValue(scope: IConstruct, property: string, name: string, value: string): void {
  if (Token.isUnresolved(value)) {
    _fail(scope, property, name, 'has a value that is not known at synth', 'a literal value, because the config file is written at synth');
  }
  wellFormed(scope, property, value, { value: name, what: 'has a value that holds' });
}

/** What an error shows of a value that must not be shown whole (a credential): another value, and how it relates to the problem. */
interface Shown {
  readonly value: string;
  readonly what: string;
}

/**
 * A lone UTF-16 surrogate can only be written as a `\udXXX` escape, which the agent's yaml.v3
 * refuses ("invalid Unicode character escape code"): the agent would exit at start.
 */
function wellFormed(scope: IConstruct, property: string, value: string, shown?: Shown): void {
  _refuseLoneSurrogate(scope, property, value, shown?.value ?? value, 'the agent\'s YAML parser refuses, so the agent would exit at start', shown?.what);
}

/**
 * What the agent passes to a process (a command's arguments, its environment, the user it runs
 * as): a NUL cannot be, so Go's exec refuses the command on every run. A check would only ever
 * report UNKNOWN, and an exec probe would fail forever, the host never registered.
 */
function noNul<T extends string | undefined>(scope: IConstruct, property: string, value: T, shown?: Shown): T {
  if (value !== undefined && value.includes('\0')) {
    _fail(scope, property, shown?.value ?? value, `${shown?.what ?? 'holds'} a NUL character, which the agent cannot pass to a process`,
      'text without NUL characters', 'The command would never run');
  }
  return value;
}

function notKnown(scope: IConstruct, property: string, shown: string): never {
  return _fail(scope, property, shown, 'is not known at synth', 'a literal value, because the config file is written at synth');
}
