/**
 * The programs that run another command given in their own arguments (`timeout 10 ls x` runs `ls x`), and how each
 * reads its options before that command, as their documentation gives it: a command is judged by what it finally runs,
 * not by any word after a wrapper. All of them stop reading options at the first operand (GNU getopt with a leading `+`,
 * or no options at all), so an option-looking word after the command belongs to the command (but see `permutes`).
 * @internal
 */
export interface _WrapperSyntax {
  /** Short options taking an argument (`-k 5`, `-k5`). */
  readonly shortWithArg?: string;
  /**
   * Short options whose argument, optional, is only the rest of their word (getopt's `e::`: `xargs -i{}`, `sudo -hhost`):
   * the next word is never it. Alone in the rest of their word they are read as `shortFlags` or `shortNone` list them.
   */
  readonly shortOptionalArg?: string;
  /** Short options taking none. */
  readonly shortFlags?: string;
  /** Long options taking an argument (`--signal=TERM`, `--signal TERM`). */
  readonly longWithArg?: ReadonlyArray<string>;
  /** Long options taking none, or only one joined by `=` (`--ignore-signal[=SIG]`). */
  readonly longFlags?: ReadonlyArray<string>;
  /** Options with which the program runs no command (it prints, or acts on a process id). */
  readonly shortNone?: string;
  readonly longNone?: ReadonlyArray<string>;
  /** Operands read before the command (`timeout`'s duration, `gosu`'s user). */
  readonly operands?: number;
  /** Whether `NAME=VALUE` operands before the command set its environment (`env`). */
  readonly assignments?: boolean;
  /** Whether `-N`, `--N` and `-+N` (a number) are an option of their own (`nice -5`, `nice --5`: the obsolete form). */
  readonly numericOption?: boolean;
  /** Whether a lone `-` is an option (`env -`, as `-i`) rather than an operand. */
  readonly dashOption?: boolean;
  /** The option whose argument is split into words put before the rest (`env -S 'ls -l'`). */
  readonly splitShort?: string;
  readonly splitLong?: string;
  /**
   * Whether it reads its options with a getopt that, built on glibc, permutes them: options after the command (up to `--`) are
   * its own there (`tini app -v x` runs `app x`), and the command's on musl, whose getopt stops at the first operand. Both
   * readings are judged.
   */
  readonly permutes?: boolean;
}

const GNU_NONE = ['help', 'version'];

/** The wrappers, by program name. @internal */
export const _WRAPPERS: ReadonlyMap<string, _WrapperSyntax> = new Map<string, _WrapperSyntax>([
  // GNU coreutils timeout(1): `timeout [OPTION] DURATION COMMAND [ARG]...` (getopt `+fk:ps:v`: -f and -p as POSIX.1-2024 has them)
  ['timeout', {
    shortWithArg: 'ks',
    shortFlags: 'fpv',
    longWithArg: ['kill-after', 'signal'],
    longFlags: ['foreground', 'preserve-status', 'verbose'],
    longNone: GNU_NONE,
    operands: 1,
  }],
  // GNU coreutils env(1): `env [OPTION]... [-] [NAME=VALUE]... [COMMAND [ARG]...]`; with no command it prints the environment.
  ['env', {
    shortWithArg: 'auCS',
    shortFlags: 'iv0',
    longWithArg: ['argv0', 'unset', 'chdir', 'split-string'],
    longFlags: ['ignore-environment', 'null', 'debug', 'block-signal', 'default-signal', 'ignore-signal', 'list-signal-handling'],
    longNone: GNU_NONE,
    assignments: true,
    dashOption: true,
    splitShort: 'S',
    splitLong: 'split-string',
  }],
  // GNU coreutils nice(1): `nice [OPTION] [COMMAND [ARG]...]`, `-n N`, `--adjustment=N`, or the obsolete `-N` (`--N` lowers it).
  ['nice', { shortWithArg: 'n', longWithArg: ['adjustment'], longNone: GNU_NONE, numericOption: true }],
  // GNU coreutils nohup(1): `nohup COMMAND [ARG]...`
  ['nohup', { longNone: GNU_NONE }],
  // GNU coreutils stdbuf(1): `stdbuf OPTION... COMMAND`
  ['stdbuf', { shortWithArg: 'ioe', longWithArg: ['input', 'output', 'error'], longNone: GNU_NONE }],
  // GNU coreutils chroot(8): `chroot [OPTION] NEWROOT [COMMAND [ARG]...]` (with no command it runs an interactive shell).
  ['chroot', { longWithArg: ['groups', 'userspec'], longFlags: ['skip-chdir'], longNone: GNU_NONE, operands: 1 }],
  // The shell's exec (bash: `exec [-cl] [-a name] [command [arguments]]`) and command (`command [-p] command [arguments]`).
  ['exec', { shortWithArg: 'a', shortFlags: 'cl' }],
  ['command', { shortFlags: 'p' }],
  // bash's `builtin shell-builtin [arguments]`, which takes no option.
  ['builtin', {}],
  // util-linux setsid(1): `setsid [options] program [arguments]` (getopt `+Vhcfw`).
  ['setsid', { shortFlags: 'cfw', shortNone: 'Vh', longFlags: ['ctty', 'fork', 'wait'], longNone: GNU_NONE }],
  // GNU time(1): `time [options] command [arguments...]`
  ['time', { shortWithArg: 'fo', shortFlags: 'pavq', longWithArg: ['format', 'output'], longFlags: ['portability', 'append', 'verbose', 'quiet'], longNone: GNU_NONE }],
  // gosu and su-exec: `gosu user-spec command [args]`, `su-exec user-spec command [arguments...]`
  ['gosu', { longNone: GNU_NONE, operands: 1 }],
  ['su-exec', { operands: 1 }],
  // tini: `tini [OPTIONS] PROGRAM -- [ARGS]`, options -s, -p SIGNAL, -v, -w, -g, -e EXIT_CODE, -l (license), -h, --version. It
  // reads them with getopt `p:hvwgle:s`, no leading `+`: hence the `--` its usage asks for before the program's arguments.
  ['tini', { shortWithArg: 'pe', shortFlags: 'svwg', shortNone: 'hl', longNone: ['version'], permutes: true }],
  // dumb-init: `dumb-init [option...] command [[arg] ...]`, -c, -r s:r, -v, -V (version), -h
  ['dumb-init', {
    shortWithArg: 'r', shortFlags: 'cv', shortNone: 'hV', longWithArg: ['rewrite'], longFlags: ['single-child', 'verbose'], longNone: GNU_NONE,
  }],
  // runit chpst(8): `chpst [-vVP012] [-u user] [-U user] [-b argv0] [-e dir] [-/ root] [-C pwd] [-n inc] [-l|-L lock] [-m bytes]
  // ... prog` (getopt `u:U:b:e:m:d:o:p:f:c:r:t:/:n:l:L:vP012V`, -C pwd from runit 2.2.0; -V prints the version and goes on).
  ['chpst', { shortWithArg: 'uUbe/CnlLmdopfcrt', shortFlags: 'vVP012' }],
  // util-linux setpriv(1): `setpriv [options] program [arguments]`; `-d` dumps the privilege state and runs nothing.
  ['setpriv', {
    shortNone: 'dhV',
    longWithArg: ['groups', 'inh-caps', 'ambient-caps', 'bounding-set', 'ruid', 'euid', 'rgid', 'egid', 'reuid', 'regid', 'securebits',
      'pdeathsig', 'selinux-label', 'apparmor-profile', 'landlock-access', 'landlock-rule', 'seccomp-filter'],
    longFlags: ['clear-groups', 'keep-groups', 'init-groups', 'no-new-privs', 'nnp', 'reset-env'],
    longNone: ['dump', 'list-caps', 'help', 'version'],
  }],
  // util-linux ionice(1): `ionice [-c class] [-n level] [-t] command`; with -p, -P or -u it acts on running processes.
  ['ionice', { shortWithArg: 'cn', shortFlags: 't', shortNone: 'pPuhV', longWithArg: ['class', 'classdata'], longFlags: ['ignore'], longNone: ['pid', 'pgid', 'uid', ...GNU_NONE] }],
  // util-linux taskset(1): `taskset [options] mask command`; with -p it acts on a running process.
  ['taskset', { shortFlags: 'ac', shortNone: 'phV', longFlags: ['all-tasks', 'cpu-list'], longNone: ['pid', ...GNU_NONE], operands: 1 }],
  // sudo(8): `sudo [-ABbEHnPS] [-C num] [-D directory] [-g group] [-h host] [-p prompt] [-R directory] [-T timeout] [-u user]
  // [VAR=value] [-i | -s] [command [arg ...]]` (getopt `+Aa:BbC:c:D:Eeg:Hh::iKklNnPp:R:r:SsT:t:U:u:Vv`). -s and -i run the
  // command through a shell, its words quoted so that it runs as given; with none, an interactive shell. -e edits the files
  // named, -l lists what may be run, -v, -k and -K act on the cached credentials: none of those runs a command. A bare -h is
  // --help; the host is only `-hhost` or `--host`.
  ['sudo', {
    shortWithArg: 'aCcDgpRrTtUu',
    shortOptionalArg: 'h',
    shortFlags: 'ABbEHiknNPSs',
    shortNone: 'ehKlVv',
    longWithArg: ['auth-type', 'close-from', 'login-class', 'chdir', 'group', 'host', 'prompt', 'chroot', 'role', 'type', 'command-timeout',
      'other-user', 'user'],
    longFlags: ['askpass', 'background', 'bell', 'preserve-env', 'set-home', 'login', 'reset-timestamp', 'non-interactive', 'no-update',
      'preserve-groups', 'stdin', 'shell'],
    longNone: ['edit', 'list', 'remove-timestamp', 'validate', ...GNU_NONE],
    assignments: true,
  }],
  // doas(1) (OpenBSD's, and OpenDoas, the one of Linux images): `doas [-Lns] [-C config] [-u user] command [arg ...]` (getopt
  // `+C:Lnsu:`, stopping at the command). -C only checks the configuration (and whether the command would be permitted), -L
  // clears the remembered authentication, -s runs the user's shell instead of a command: none runs the command named. OpenBSD's
  // -a (a login style) is not OpenDoas's: it refuses it, running nothing.
  ['doas', { shortWithArg: 'u', shortFlags: 'n', shortNone: 'aCLs' }],
  // GNU findutils xargs(1): `xargs [options] [command [initial-arguments]]` (getopt `+0a:E:e::i::I:l::L:n:oprs:txP:d:`): the
  // command named runs with words read from the standard input appended; with none, echo.
  ['xargs', {
    shortWithArg: 'aEILnsPd',
    shortOptionalArg: 'eil',
    shortFlags: '0eiloprtx',
    longWithArg: ['arg-file', 'delimiter', 'max-args', 'max-procs', 'max-chars', 'process-slot-var'],
    longFlags: ['null', 'eof', 'replace', 'max-lines', 'open-tty', 'interactive', 'no-run-if-empty', 'verbose', 'exit', 'show-limits'],
    longNone: GNU_NONE,
  }],
  // BusyBox: `busybox APPLET [arguments...]`
  ['busybox', { longNone: ['list', 'list-full', 'install', 'help'] }],
]);

/** The shells, which run the script of `-c`, else a script file or their standard input. @internal */
export const _SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh']);

/**
 * How many readings unknown options of wrappers fork one command into (each doubles the reading of what follows it), past
 * which a command is taken as running none: shared by the whole command, so that wrappers in wrappers stay linear.
 * @internal
 */
export const _MAX_FORKS = 16;

/** How many wrappers in one another a command is followed through (`nice nohup timeout 5 ...`); past it, taken as running none. @internal */
export const _MAX_WRAPPERS = 32;

/** An assignment before a command's program (`FOO=1 cmd`), which the shell takes as the command's environment. @internal */
export const _ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * Where the command a wrapper runs starts, as `judge` (given the words and that start) judges it: the wrapper's options
 * (from `from`) and operands skipped. -1 where it runs none (`--help`, `ionice -p`, no command left). An option the
 * syntax does not list may or may not take an argument: both readings are judged, and the command is taken to run the
 * agent only where both say so (a wrong "runs the agent" leaves the task unmonitored). `cluster`: where in the word at
 * `from` its options are read on, after one taking no argument (`-xk 5` read on at `k`); 0 to read it from its start.
 * @internal
 */
export function _wrappedCommandAt(syntax: _WrapperSyntax, words: ReadonlyArray<string>, from: number,
  judge: (words: ReadonlyArray<string>, at: number) => number, forks: { left: number }, cluster = 0): number {
  // `flagAt`: the word, and the character in it, read on where the option takes no argument.
  const both = (flag: number, arg: number, flagCluster = 0): number => {
    if (--forks.left < 0) return -1;
    const flagAt = _wrappedCommandAt(syntax, words, flag, judge, forks, flagCluster);
    return flagAt < 0 ? -1 : _wrappedCommandAt(syntax, words, arg, judge, forks) < 0 ? -1 : flagAt;
  };
  let j = from;
  // Whether `--` ended the options: no word after it is one, also where getopt permutes.
  let ended = false;
  for (; j < words.length; j++) {
    const word = words[j];
    // The rest of a cluster of short options (`k 5` of `-xk 5`) is read as such; any other word from its start.
    const resume = j === from && cluster > 0;
    if (!resume) {
      if (word === '--') {
        j++;
        ended = true;
        break;
      }
      if (word === '-' && syntax.dashOption) continue;
      if (!word.startsWith('-') || word === '-') break;
      if (syntax.numericOption && /^-[-+]?\d+$/.test(word)) continue;
      if (word.startsWith('--')) {
        const equals = word.indexOf('=');
        const name = word.slice(2, equals < 0 ? undefined : equals);
        // As getopt_long reads one: the option named, or the only one the name abbreviates.
        const pick = (names: ReadonlyArray<string> = []) => names.includes(name) ? name : names.filter((n) => n.startsWith(name));
        const known = (names?: ReadonlyArray<string>) => {
          const picked = pick(names);
          return typeof picked === 'string' || picked.length === 1;
        };
        if (known(syntax.longNone)) return -1;
        if (syntax.splitLong !== undefined && known([syntax.splitLong])) {
          return split(equals < 0 ? words[j + 1] : word.slice(equals + 1), equals < 0 ? j + 2 : j + 1);
        }
        if (known(syntax.longWithArg)) {
          if (equals < 0) j++;
          continue;
        }
        if (known(syntax.longFlags)) continue;
        return equals < 0 ? both(j + 1, j + 2) : both(j + 1, j + 1);
      }
    }
    for (let k = resume ? cluster : 1; k < word.length; k++) {
      const c = word[k];
      const last = k === word.length - 1;
      if (!last && syntax.shortOptionalArg?.includes(c)) break;
      if (syntax.shortNone?.includes(c)) return -1;
      if (c === syntax.splitShort) return split(last ? words[j + 1] : word.slice(k + 1), last ? j + 2 : j + 1);
      if (syntax.shortWithArg?.includes(c)) {
        // The rest of the word is the argument, or else the next word.
        if (last) j++;
        break;
      }
      if (syntax.shortFlags?.includes(c)) continue;
      // As getopt reads a cluster (`-xk 5`): the characters after an option taking none are options too.
      return last ? both(j + 1, j + 2) : both(j, j + 1, k + 1);
    }
  }
  j += syntax.operands ?? 0;
  if (syntax.assignments) while (j < words.length && words[j].includes('=')) j++;
  if (j >= words.length) return -1;
  const ran = judge(words, j);
  return ran >= 0 && syntax.permutes && !ended && permutedCommandAt(syntax, words, j, judge) < 0 ? -1 : ran;

  // `env -S`: the string's words, split at blanks and with quotes removed as env does, stand before the rest.
  function split(text: string | undefined, rest: number): number {
    if (text === undefined) return -1;
    const spliced = [...splitString(text), ...words.slice(rest)];
    return _wrappedCommandAt(syntax, spliced, 0, (w, at) => judge(w, at) < 0 ? -1 : from, forks) < 0 ? -1 : from;
  }
}

/**
 * The command (from `at`) a wrapper whose getopt permutes runs as glibc reads it: the options among its words up to `--` taken
 * out as its syntax reads them, the words after `--` kept. -1 where one of them runs nothing, or is one it does not know (it
 * refuses it: getopt without getopt_long reads `--name` as options `-`, `n`, ...).
 */
function permutedCommandAt(syntax: _WrapperSyntax, words: ReadonlyArray<string>, at: number,
  judge: (words: ReadonlyArray<string>, at: number) => number): number {
  const kept: string[] = [];
  let j = at;
  for (; j < words.length && words[j] !== '--'; j++) {
    const word = words[j];
    if (!word.startsWith('-') || word === '-') {
      kept.push(word);
      continue;
    }
    for (let k = 1; k < word.length; k++) {
      if (syntax.shortWithArg?.includes(word[k])) {
        if (k === word.length - 1) j++;
        break;
      }
      if (!syntax.shortFlags?.includes(word[k])) return -1;
    }
  }
  return judge([...kept, ...words.slice(j + 1)], 0);
}

/** `env -S`'s words: split at blanks, quotes removed, a backslash escaping the character after it. */
function splitString(text: string): string[] {
  const out: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== undefined && c === quote) {
      quote = undefined;
    } else if (quote === undefined && (c === '"' || c === "'")) {
      quote = c;
      word ??= '';
    } else if (c === '\\' && quote !== "'") {
      word = (word ?? '') + (text[++i] ?? '');
    } else if (quote === undefined && /\s/.test(c)) {
      if (word !== undefined) out.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) out.push(word);
  return out;
}

/**
 * What `su` (at `from - 1`) runs, as util-linux su(1) reads it: `su [options] [-] [user [argument...]]`, its options
 * anywhere among the operands (getopt_long permutes them) up to `--`, a first operand `-` as --login. It runs the user's
 * shell (or that of -s) with `-c` and the string of -c (or --session-command) if given, then the arguments after the user:
 * the shell's words, each with the index of the word of `su`'s it comes from (the shell itself: that of -s, else `su`).
 * Undefined where it runs nothing: --help, --version, or an option it does not know (it refuses it).
 *
 * `runuser` (util-linux runuser(1), the same program) reads the same options and `-u`/`--user`: without it, it runs as su
 * does; with it, `runuser [options] -u user [[--] command [argument...]]` runs the command itself, no shell, and refuses
 * -c, -s, -f, -l (or a first operand `-`) and no command at all.
 * @internal
 */
export function _suShellWords(words: ReadonlyArray<string>, from: number, runuser = false): { words: string[]; origins: number[] } | undefined {
  const withArg: Record<string, string> = {
    c: 'command', g: 'group', G: 'supp-group', s: 'shell', w: 'whitelist-environment', ...runuser ? { u: 'user' } : {},
  };
  // --session-command has no short form: getopt_long's string is `c:fg:G:lmpPs:u:hVw:`, so `-C` is an option su refuses.
  const longWithArg = [...Object.values(withArg), 'session-command'];
  const flags: Record<string, string> = { f: 'fast', l: 'login', m: 'preserve-environment', p: 'preserve-environment', P: 'pty' };
  const values: Record<string, { value: string; at: number }> = {};
  const seen = new Set<string>();
  const operands: number[] = [];
  let j = from;
  for (; j < words.length; j++) {
    const word = words[j];
    if (word === '--') {
      j++;
      break;
    }
    if (!word.startsWith('-') || word === '-') {
      operands.push(j);
      continue;
    }
    if (word.startsWith('--')) {
      const equals = word.indexOf('=');
      const name = word.slice(2, equals < 0 ? undefined : equals);
      const all = [...longWithArg, ...Object.values(flags), 'help', 'version'];
      const picked = all.includes(name) ? [name] : [...new Set(all.filter((n) => n.startsWith(name)))];
      if (picked.length !== 1 || picked[0] === 'help' || picked[0] === 'version') return undefined;
      seen.add(picked[0]);
      if (Object.values(flags).includes(picked[0])) continue;
      values[picked[0]] = equals < 0 ? { value: words[++j], at: j } : { value: word.slice(equals + 1), at: j };
      if (values[picked[0]].value === undefined) return undefined;
      continue;
    }
    for (let k = 1; k < word.length; k++) {
      const c = word[k];
      if (withArg[c] !== undefined) {
        values[withArg[c]] = k < word.length - 1 ? { value: word.slice(k + 1), at: j } : { value: words[++j], at: j };
        if (values[withArg[c]].value === undefined) return undefined;
        break;
      }
      if (flags[c] === undefined) return undefined;
      seen.add(flags[c]);
    }
  }
  for (; j < words.length; j++) operands.push(j);
  const login = words[operands[0]] === '-';
  if (values.user !== undefined) {
    // runuser -u: the operands are the command, run as given.
    const refused = ['command', 'session-command', 'shell'].some((name) => values[name] !== undefined) || seen.has('fast') || seen.has('login') || login;
    if (refused || operands.length === 0) return undefined;
    return { words: operands.map((at) => words[at]), origins: operands };
  }
  // The first operand `-` is --login; the next the user; the rest the shell's arguments.
  const rest = operands.slice(login ? 2 : 1);
  const command = values.command ?? values['session-command'];
  const shell = values.shell;
  return {
    words: [shell?.value ?? 'sh', ...command ? ['-c', command.value] : [], ...rest.map((at) => words[at])],
    origins: [shell?.at ?? from - 1, ...command ? [command.at, command.at] : [], ...rest],
  };
}
