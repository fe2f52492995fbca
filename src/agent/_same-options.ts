import { Duration, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { _httpUrl, _urlPlace } from '../_validation';
import { MackerelApiKey } from '../api-key';
import { _LINK_LOCAL_ENDPOINTS } from './_attach';
import { MackerelPluginCommand } from './config';
import { _hasAgentSettings } from './config/_render';
import { MackerelAgentConfigLocation } from './config/location';
import { MackerelReadinessProbe } from './config/probe';
import { MackerelAgentImage } from './image';
import { MackerelAgentOptions } from './options';

/**
 * Whether two sets of agent options are the same. A second `MackerelAgentExtension` or
 * `MackerelInstrumentation` with the same options reaching a task definition that already has its
 * agent changes nothing, so it says nothing; one with other options would be dropped unseen, so
 * it warns. Options are often built afresh for each call (by a helper), so values are compared by
 * what they say where that is known: lists item by item (roles in any order, `noProxy` entries as
 * a set, with the endpoints `httpProxy` adds to them), plain objects (a config, its plugins and
 * probe options) key by key, API keys by the secret or parameter and field, durations by their
 * length, proxy URLs by what the agent uses of them (scheme, host, port and credentials), images by
 * their name, plugin commands by their line, probes by their kind, options and container, config
 * files (`location`) by their place. A config that holds nothing the agent reads
 * (`{}`) is the same as none, as it adds nothing to the task definition, and an empty map in it
 * (`env: {}`) the same as none as well, as are no roles or `noProxy` entries (`[]`, as a role
 * resolver may give), which write nothing either.
 * A token is compared by what `read` gives for it (`_warnUnlessSameOptions`): one made afresh for
 * each call writes the same. Anything else is compared by identity.
 * @internal
 */
export function _sameOptions<T extends MackerelAgentOptions>(a: T, b: T, read: _TokenReader): boolean {
  const same = (x: unknown, y: unknown) => sameValue(x, y, read);
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof T>;
  return [...keys].every((key) => key === 'config'
    ? same(effectiveConfig(a.config), effectiveConfig(b.config))
    : key === 'roles' ? same(sorted(filledList(a.roles), read), sorted(filledList(b.roles), read))
      : key === 'noProxy' ? same(entrySet(filledList(writtenNoProxy(a)), read), entrySet(filledList(writtenNoProxy(b)), read))
        : key === 'httpProxy' || key === 'httpsProxy' ? same(proxyPlace(a[key] as string | undefined), proxyPlace(b[key] as string | undefined))
          : same(a[key], b[key]));
}

/**
 * What the template gets for a token, or undefined when that is not known (yet).
 * @internal
 */
export type _TokenReader = (token: string) => string | undefined;

/**
 * Calls `warn` unless `same` finds two agents' options the same. Options told apart without
 * reading a token warn at once; those that only what their tokens write can tell apart are
 * compared at validation, in the stack of `scope`. Not before: resolving a token runs its
 * producers, and a `Lazy.string` keeps the first value it produces, so reading one while the app
 * is still being built (an extension is added as the user's code runs, an Aspect visits before
 * later Aspects) would write into the template the value of that moment, not the final one.
 * @internal
 */
export function _warnUnlessSameOptions(scope: IConstruct, same: (read: _TokenReader) => boolean, warn: () => void): void {
  let unread = false;
  if (same(() => { unread = true; return undefined; })) return;
  if (!unread) {
    warn();
    return;
  }
  scope.node.addValidation({
    validate: () => {
      if (!same((token) => written(token, scope))) warn();
      return [];
    },
  });
}

/**
 * The NO_PROXY entries the agent gets: with `httpProxy`, the task's own endpoints are added to
 * those given (`_attach`), so leaving `noProxy` at its default and writing those endpoints out say
 * the same. A list known only at deploy time is kept as it is: the endpoints go with `httpProxy`,
 * compared on its own.
 */
function writtenNoProxy(options: MackerelAgentOptions): unknown {
  const given = options.noProxy;
  if (Token.isUnresolved(given) || !options.httpProxy) return given;
  return [..._LINK_LOCAL_ENDPOINTS, ...given ?? []];
}

/**
 * A proxy URL as the agent uses it: Go's HTTP client dials the proxy's scheme, host and port, and
 * sends its user name and password (decoded) as Proxy-Authorization; the path, query and fragment
 * of a proxy URL are never sent, so `http://proxy:3128/squid` is the proxy `http://proxy:3128` is.
 * The scheme and host are read as `_urlPlace` reads them. A token is kept as it is.
 */
function proxyPlace(url: string | undefined): unknown {
  const place = _urlPlace(url);
  const parsed = place === undefined || Token.isUnresolved(place) ? undefined : _httpUrl(place);
  if (!parsed) return place;
  const decoded = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  };
  return [parsed.protocol, parsed.host, decoded(parsed.username), decoded(parsed.password)];
}

/**
 * NO_PROXY entries as the agent reads them: Go's proxy settings (golang.org/x/net/http/httpproxy)
 * split the list, trim and lower-case each entry and match a host against any of them, so their
 * order, case and repeats change nothing. An entry known only at deploy time is kept as it is.
 */
function entrySet(value: unknown, read: _TokenReader): unknown {
  if (!Array.isArray(value) || Token.isUnresolved(value)) return value;
  const entries = value.map((entry: unknown) => typeof entry === 'string' && !Token.isUnresolved(entry) ? entry.toLowerCase() : entry);
  return bySortKey([...new Map(entries.map((entry) => [sortKey(entry, read), entry])).values()], read);
}

/**
 * Roles in another order join the host to the same roles: Mackerel keeps a host's roles as a set, and
 * the agent sends MACKEREL_ROLES as given. Sorted, not made a set, so that a repeat still differs.
 */
function sorted(value: unknown, read: _TokenReader): unknown {
  return Array.isArray(value) && !Token.isUnresolved(value) ? bySortKey(value, read) : value;
}

function bySortKey(items: unknown[], read: _TokenReader): unknown[] {
  return items.map((item) => [sortKey(item, read), item] as const).sort(([x], [y]) => x < y ? -1 : x > y ? 1 : 0).map(([, item]) => item);
}

/** How a list item sorts, and is told apart from a repeat: a token by what the template gets, so that one made afresh sorts as the first did. */
function sortKey(item: unknown, read: _TokenReader): string {
  return typeof item === 'string' && Token.isUnresolved(item) ? `\u0000${read(item) ?? item}` : String(item);
}

/**
 * What the template gets for a token, in the stack of `scope`, or undefined when it cannot be
 * resolved there. A token made afresh for each Aspect (`Fn.join` of the same parameter, a `Lazy`)
 * has a string of its own, yet writes the same.
 */
function written(value: string, scope: IConstruct): string | undefined {
  try {
    return JSON.stringify(Stack.of(scope).resolve(value));
  } catch {
    return undefined;
  }
}

/** An empty list of roles or `noProxy` entries writes nothing (no MACKEREL_ROLES, no NO_PROXY), as leaving it out does. */
function filledList(value: unknown): unknown {
  return Array.isArray(value) && value.length === 0 ? undefined : value;
}

/** A polling interval alone is not written either: there is no file to read again. */
function effectiveConfig(config: MackerelAgentOptions['config']): MackerelAgentOptions['config'] {
  return _hasAgentSettings(config) ? config : undefined;
}

function sameValue(x: unknown, y: unknown, read: _TokenReader): boolean {
  if (x === y) return true;
  // Tokens whose strings differ may still write the same; written otherwise (Fn.sub, Fn.join) they are not known to be the same.
  if (typeof x === 'string' && typeof y === 'string' && (Token.isUnresolved(x) || Token.isUnresolved(y))) {
    const wx = read(x);
    return wx !== undefined && wx === read(y);
  }
  // An empty map (no env, no headers, no check plugins) says what leaving it out says.
  if ((x === undefined && isEmptyMap(y)) || (y === undefined && isEmptyMap(x))) return true;
  if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((item, i) => sameValue(item, y[i], read));
  if (isPlainObject(x) && isPlainObject(y)) {
    const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
    return [...keys].every((key) => sameValue(x[key], y[key], read));
  }
  if (x instanceof MackerelApiKey && y instanceof MackerelApiKey) {
    return x._resource() === y._resource() && x._location().field === y._location().field;
  }
  if (x instanceof Duration && y instanceof Duration) {
    return !x.isUnresolved() && !y.isUnresolved() && x.toMilliseconds({ integral: false }) === y.toMilliseconds({ integral: false });
  }
  if (x instanceof MackerelAgentImage && y instanceof MackerelAgentImage) return x.imageName === y.imageName;
  if (x instanceof MackerelPluginCommand && y instanceof MackerelPluginCommand) return sameValue(x._render(), y._render(), read);
  if (x instanceof MackerelAgentConfigLocation && y instanceof MackerelAgentConfigLocation) return x._samePlace(y);
  if (x instanceof MackerelReadinessProbe && y instanceof MackerelReadinessProbe) {
    return x._kind === y._kind && x._container === y._container && sameValue(x._options, y._options, read);
  }
  return false;
}

/** An object literal with nothing set in it. */
function isEmptyMap(value: unknown): boolean {
  return isPlainObject(value) && Object.values(value).every((item) => item === undefined);
}

/** An object literal, not an instance of a class (a construct, a log driver), which only identity tells apart. */
function isPlainObject(value: unknown): value is { [key: string]: unknown } {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
