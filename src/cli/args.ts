/** Command-line parsing: the commands, their flags and the usage text. */
import { parseArgs } from 'node:util';
import { _CliError } from './errors';
import { _maskedApiBase } from '../_text';

/** The local emulator's default address (`cdk-mackerel emulator`). @internal */
export const _DEFAULT_API_BASE = 'http://127.0.0.1:4321/';

/** Parsed arguments. @internal */
export interface _Args {
  readonly command: 'apply' | 'diff' | 'emulator' | 'help';
  readonly path?: string;
  readonly apiBase?: string;
  readonly emulator: boolean;
  readonly emulatorState?: string;
  readonly state?: string;
  readonly destroy: boolean;
  readonly stack?: string;
  /** Only the stacks of this stage (nested assembly, by its path such as `Prod`); `""` for the app's own. */
  readonly stage?: string;
  readonly region?: string;
  readonly account?: string;
  readonly timeoutSeconds: number;
  readonly verbose: boolean;
  readonly port: number;
  readonly host?: string;
  /** Values of template parameters (--parameters), in the order given. */
  readonly parameters: readonly _GivenParameter[];
}

/** A value given with --parameters `Name=Value` (every stack with the parameter) or `Stack:Name=Value`. @internal */
export interface _GivenParameter {
  readonly stack?: string;
  readonly name: string;
  readonly value: string;
  /**
   * As written on the command line but for its value, for errors: `Shop:Env=...`. The value is
   * never shown, as it may be a secret (a NoEcho parameter's).
   */
  readonly given: string;
}

/** The usage text. @internal */
export const _USAGE = `Usage:
  cdk-mackerel apply <cdk.out | template.json> [options]   create, update or delete the Mackerel objects of the app;
                                                           exit 0 done, 2 error, 130 stopped by Ctrl-C (143 SIGTERM)
  cdk-mackerel diff  <cdk.out | template.json> [options]   show what apply would change, and drift; exit 0 none,
                                                           1 apply would change something (create, update, replace,
                                                           delete, leave, retain, move), 3 only differences apply
                                                           leaves as they are (drift, gone, kept, the deletes of a
                                                           stack only the state holds), 2 error
  cdk-mackerel emulator [--port 4321] [--host 127.0.0.1] [--emulator-state FILE]
                                                           run a local Mackerel API emulator; with --emulator-state
                                                           it starts from the objects in FILE and saves them there
                                                           when stopped; exit 130 stopped by Ctrl-C (143 SIGTERM),
                                                           2 error

Options of apply and diff:
  --api-base URL   Mackerel API base (default ${_DEFAULT_API_BASE}, the emulator of \`cdk-mackerel emulator\`;
                   https://api.mackerelio.com/ for a real organization). The key is read from MACKEREL_APIKEY
                   (the emulator's own key is used for a local base when it is unset).
  --emulator       start an emulator for this run alone, holding the objects the previous --emulator run
                   left (apply saves them again; diff only reads them); state default .mackerel-state.emulator.json
  --emulator-state FILE   where --emulator keeps the emulator's objects (default: beside the state file, its
                   name with .data.json: .mackerel-state.emulator.data.json, s.data.json for --state s.json)
  --state FILE     state file (default .mackerel-state.json beside the cdk.out directory or the template)
  --stack NAME     only this stack of the assembly (with --stage when stages reuse the name)
  --stage NAME     only the stacks of this stage (as Prod; "" for the app's own stacks). Needed when the
                   assembly has stacks in several stages: a run uses one API key, and stages usually
                   deploy to separate organizations; the state file of a stage's run defaults to
                   .mackerel-state.NAME.json
  --destroy        apply only: delete every object the state holds for the app's stacks; with --stack, also
                   a stack only the state holds (removed from the app or renamed), without its template
  --parameters NAME=VALUE, --parameters STACK:NAME=VALUE   the value of a template parameter, as
                   cdk deploy --parameters gives it (repeatable; STACK: for one stack only, else every stack
                   with the parameter); needed for a parameter without Default that a Mackerel resource uses.
                   For an AWS::SSM::Parameter::Value<...> parameter, the value itself (the CLI reads no SSM)
  --region R, --account A   values of AWS::Region and AWS::AccountId (default: the stack's, else us-east-1, 123456789012)
  --timeout SEC    time per operation of apply and per read of Mackerel, retries included (decimal seconds,
                   at least 2; default 300): a bound on how long a run waits out a Mackerel that fails or throttles
  --verbose        print a line for each retry of a Mackerel call (what was sent, the status or error, the
                   wait); apply also prints the handler's log lines`;

const OPTIONS = {
  'api-base': { type: 'string' },
  'emulator': { type: 'boolean', default: false },
  'emulator-state': { type: 'string' },
  'state': { type: 'string' },
  'destroy': { type: 'boolean', default: false },
  'stack': { type: 'string' },
  'stage': { type: 'string' },
  'parameters': { type: 'string', multiple: true },
  'region': { type: 'string' },
  'account': { type: 'string' },
  'timeout': { type: 'string' },
  'verbose': { type: 'boolean', default: false },
  'port': { type: 'string' },
  'host': { type: 'string' },
  'help': { type: 'boolean', short: 'h', default: false },
} as const;

/** What each option that names something expects, for the error of an empty value. */
const EXPECTED = {
  'stack': 'a stack name (leave --stack out for every stack of the app)',
  'state': 'a file (leave --state out for the default)',
  'emulator-state': 'a file (leave --emulator-state out for the default)',
  'region': 'a region such as ap-northeast-1 (leave --region out for the stack\'s own)',
  'account': 'an account ID (leave --account out for the stack\'s own)',
  'timeout': 'a number of seconds',
  'port': 'a port number 0-65535',
  'host': 'an address to listen on such as 127.0.0.1',
} as const;

// The options only one side reads (--destroy, --emulator and --parameters have messages of their own).
// --timeout and --verbose bound and show diff's reads as much as apply's operations.
const APPLY_AND_DIFF_ONLY = ['api-base', 'state', 'stack', 'stage', 'region', 'account', 'timeout', 'verbose'] as const;
const EMULATOR_ONLY = ['port', 'host'] as const;

/** Parses argv (without node and the script). @internal */
export function _parseArgs(argv: readonly string[]): _Args {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch (e) {
    // Node's own words for an unknown option advise on a positional argument starting with a dash, in a quote it never
    // closes: a mistyped option needs the list of options (and a key, never given as an option, its variable).
    const unknown = (e as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /^Unknown option '([^']*)'/.exec((e as Error).message) : null;
    if (unknown) {
      const key = /key/i.test(unknown[1]) ? '; the API key is read from MACKEREL_APIKEY, never from an option' : '';
      throw new _CliError(`unknown option ${unknown[1]}${key}; see cdk-mackerel --help for the options (a path that starts with a dash goes after --: -- ${unknown[1]})`);
    }
    // Its message may run over lines (a value that starts with a dash: how to pass one), and an error is one line.
    const message = (e as Error).message.split('\n').map((line) => line.trim()).join(' ').replace(/\.$/, '');
    throw new _CliError(`${message}; see cdk-mackerel --help`);
  }
  // parseArgs keeps the last value of a repeated option: `--stack A --stack B` would run B alone, silently.
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option' || token.value === undefined) continue;
    if ((OPTIONS[token.name as keyof typeof OPTIONS] as { multiple?: boolean }).multiple) continue;
    if (seen.has(token.name)) {
      const hint = token.name === 'stack' ? ' (a run covers one stack, or every stack without --stack)' : '';
      throw new _CliError(`--${token.name} is given more than once; expected it once${hint}`);
    }
    seen.add(token.name);
  }
  // An empty value would read as the option left out (`--stack "$STACK"` with STACK unset ran every stack, `--port ""`
  // a random port); --stage "" is the app's own stacks, and --api-base and --parameters say what is wrong with theirs.
  for (const token of parsed.tokens) {
    if (token.kind === 'option' && token.value === '' && token.name in EXPECTED) {
      throw new _CliError(`--${token.name} is given an empty value; expected ${EXPECTED[token.name as keyof typeof EXPECTED]}`);
    }
  }
  const { values, positionals } = parsed;
  const [command, path, ...extra] = positionals;
  if (values.help || command === undefined || command === 'help') return defaults('help', values);
  if (command !== 'apply' && command !== 'diff' && command !== 'emulator') {
    throw new _CliError(`unknown command ${JSON.stringify(command)}; expected apply, diff or emulator`);
  }
  if (extra.length > 0) {
    // With --parameters, it is most likely the rest of a value with a space not quoted, which may be a secret: not shown.
    if (values.parameters) throw new _CliError('unexpected argument after the cloud assembly; expected one cloud assembly directory or template (quote a --parameters value with a space: --parameters "Name=two words")');
    throw new _CliError(`unexpected argument ${JSON.stringify(extra[0])}; expected one cloud assembly directory or template`);
  }
  if (command !== 'emulator' && path === undefined) throw new _CliError(`${command} needs a cloud assembly directory (cdk.out) or a template .json file`);
  if (command !== 'apply' && values.destroy) throw new _CliError('--destroy is an option of apply only');
  if (command === 'emulator' && values.emulator) throw new _CliError('--emulator is an option of apply and diff');
  if (values.emulator && values['api-base']) throw new _CliError('--emulator starts its own API; it cannot be combined with --api-base');
  if (values['emulator-state'] && !values.emulator && command !== 'emulator') throw new _CliError('--emulator-state is the file of an emulator started with --emulator; pass --emulator too');
  if (command === 'emulator' && values.parameters) throw new _CliError('--parameters is an option of apply and diff');
  // Each command refuses the other's options rather than ignoring them: `emulator --state FILE` would
  // otherwise run without keeping its objects, and `apply --emulator --port 4321` on another port.
  if (command === 'emulator') {
    const given = APPLY_AND_DIFF_ONLY.find((flag) => values[flag] !== undefined && values[flag] !== false);
    if (given === 'state') throw new _CliError('--state is an option of apply and diff; the emulator keeps its objects in the file of --emulator-state FILE');
    if (given) throw new _CliError(`--${given} is an option of apply and diff`);
  }
  if (command !== 'emulator') {
    const given = EMULATOR_ONLY.find((flag) => values[flag] !== undefined);
    if (given) throw new _CliError(`--${given} is an option of the emulator command; ${values.emulator ? '--emulator listens on a free port of 127.0.0.1 for its run' : 'pass its address to apply and diff with --api-base URL'}`);
  }
  return { ...defaults(command, values), path };
}

function defaults(command: _Args['command'], values: { [key: string]: string | boolean | string[] | undefined }): _Args {
  return {
    command,
    apiBase: apiBase(values['api-base'] as string | undefined),
    emulator: values.emulator === true,
    emulatorState: values['emulator-state'] as string | undefined,
    state: values.state as string | undefined,
    destroy: values.destroy === true,
    stack: values.stack as string | undefined,
    stage: values.stage as string | undefined,
    region: values.region as string | undefined,
    account: values.account as string | undefined,
    timeoutSeconds: timeoutSeconds(values.timeout as string | undefined),
    verbose: values.verbose === true,
    port: port(values.port as string | undefined),
    host: values.host as string | undefined,
    parameters: givenParameters((values.parameters as string[] | undefined) ?? []),
  };
}

// Stack names as CloudFormation allows them; parameter names are alphanumeric.
const GIVEN_PARAMETER = /^(?:([A-Za-z][-A-Za-z0-9]*):)?([A-Za-z0-9]+)=([\s\S]*)$/;

function givenParameters(texts: readonly string[]): _GivenParameter[] {
  const seen = new Set<string>();
  return texts.map((given) => {
    const m = GIVEN_PARAMETER.exec(given);
    const equals = given.indexOf('=');
    const shown = equals < 0 ? given : `${given.slice(0, equals)}=...`;
    if (!m) {
      throw new _CliError(`--parameters ${JSON.stringify(shown)} is not NAME=VALUE or STACK:NAME=VALUE; `
        + 'expected an alphanumeric parameter name, optionally after a stack name and a colon, e.g. --parameters Env=prod or --parameters Shop:Env=prod');
    }
    const key = `${m[1] ?? ''}:${m[2]}`;
    if (seen.has(key)) throw new _CliError(`--parameters gives ${m[1] ? `${m[1]}:` : ''}${m[2]} twice; expected one value per parameter (and stack)`);
    seen.add(key);
    return { stack: m[1], name: m[2], value: m[3], given: shown };
  });
}

// The handler sends a create only with settings.minAttemptMs (1 s) left, as it is never repeated:
// under a timeout of 1 s or less almost none would go out, and the run would fail with "no time left".
const MIN_TIMEOUT_SECONDS = 2;
const DECIMAL_SECONDS = /^\d+(\.\d+)?$/;

function timeoutSeconds(text: string | undefined): number {
  if (text === undefined) return 300;
  const n = Number(text);
  if (!(n > 0)) throw new _CliError(`--timeout ${JSON.stringify(text)} is not a positive number of seconds`);
  // Number() also reads Infinity, hex, exponents and blanks around the digits: a typo would become a
  // timeout nobody meant (Infinity waits out a failing Mackerel for ever), so only digits are taken.
  if (!DECIMAL_SECONDS.test(text) || !Number.isFinite(n)) {
    throw new _CliError(`--timeout ${JSON.stringify(text)} is not a decimal number of seconds; `
      + `expected digits with an optional fraction, e.g. 300 or 2.5 (at least ${MIN_TIMEOUT_SECONDS})`);
  }
  if (n < MIN_TIMEOUT_SECONDS) {
    throw new _CliError(`--timeout ${JSON.stringify(text)} is too short: a request is sent only with a second left for it; `
      + `expected at least ${MIN_TIMEOUT_SECONDS} seconds`);
  }
  return n;
}

/**
 * The --api-base given, as a base ending in `/`. Refused: what is not an http(s) URL, and a URL
 * with user info or a query or fragment, none of which a base can carry: fetch refuses a URL with
 * credentials (its error shows them), and the handler's client appends each API path to the base
 * as text, so that after a query or fragment the path would be part of it. Each is refused here,
 * before anything is read, and never shown as given: user info and a query may hold a credential
 * (a CI log keeps the message), and the base is written into the state file.
 */
function apiBase(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const shown = JSON.stringify(_maskedApiBase(text));
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new _CliError(`--api-base ${shown} is not a URL; expected e.g. https://api.mackerelio.com/`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new _CliError(`--api-base ${shown} is not an http or https URL; expected e.g. https://api.mackerelio.com/`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new _CliError(`--api-base ${shown} carries a user name or password, which cannot be sent (fetch refuses a URL with credentials); `
      + 'expected a URL without them: the Mackerel API authenticates by MACKEREL_APIKEY alone');
  }
  // The href, as a lone `?` or `#` (an empty query or fragment) leaves search and hash empty.
  if (/[?#]/.test(url.href)) {
    throw new _CliError(`--api-base ${shown} carries a query or fragment (?, #), which an API base cannot: each API path is appended to it; `
      + 'expected a URL of a host and an optional path, e.g. https://api.mackerelio.com/ (the Mackerel API authenticates by MACKEREL_APIKEY alone)');
  }
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

function port(text: string | undefined): number {
  if (text === undefined) return 4321;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new _CliError(`--port ${JSON.stringify(text)} is not a port number; expected 0-65535`);
  return n;
}
