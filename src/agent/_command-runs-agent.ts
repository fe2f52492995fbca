import * as path from 'path';
import { _ASSIGNMENT, _MAX_FORKS, _MAX_WRAPPERS, _SHELLS, _WRAPPERS, _suShellWords, _wrappedCommandAt } from './_command-wrappers';

/**
 * The standard programs (the shell's builtins, POSIX and GNU coreutils utilities, and the common tools on files) that
 * never run an operand: they print, look up or test it, or read, hash, copy, move, link or change the file it names
 * (`echo mackerel-container-agent`, `[ -x /usr/local/bin/mackerel-container-agent ]`, `chmod +x ...`, `ls -l ...`).
 * The binary named by an operand of one is only mentioned. A wrapper (`timeout`, `gosu`, `tini`: `_WRAPPERS`) runs
 * the command after its options, judged in turn. Any other program may run its operands (an entrypoint script ending
 * `exec "$@"`), so the binary named after one is taken as run: a closed class of programs that surely do not run it,
 * rather than an open one of programs that do, as missing an agent added by hand bills a second Mackerel host for each task.
 */
const INERT = new Set([
  // the shell's: print, look up, test, do nothing
  'echo', 'printf', 'test', '[', '[[', ':', 'true', 'false', 'which', 'type', 'hash', 'whereis', 'alias', 'export', 'readonly', 'unset',
  // ksh's and zsh's print; trap, whose action runs on a signal, not in the script's course (but on EXIT: `scriptRunsAgent`)
  'print', 'trap',
  // find or signal a running process by its name or id
  'pgrep', 'pkill', 'pidof', 'killall', 'kill',
  // download a file to the path named
  'curl', 'wget',
  // list, describe or read a file
  'ls', 'stat', 'file', 'cat', 'head', 'tail', 'more', 'less', 'od', 'xxd', 'hexdump', 'strings', 'wc', 'du', 'readlink', 'realpath',
  'basename', 'dirname', 'grep', 'egrep', 'fgrep', 'cmp', 'diff', 'ldd', 'readelf', 'objdump', 'nm', 'getcap',
  // hash a file
  'sha1sum', 'sha224sum', 'sha256sum', 'sha384sum', 'sha512sum', 'md5sum', 'b2sum', 'cksum', 'sum',
  // edit a file (sudoedit is sudo -e: it runs the editor on a copy of each file named)
  'sudoedit',
  // copy, move, link, remove or change a file
  'cp', 'mv', 'ln', 'rm', 'install', 'touch', 'chmod', 'chown', 'chgrp', 'strip', 'setcap', 'tee', 'mkdir', 'rmdir',
]);
/** The interpreters given code on their command line (`python3 -c`, `node -e`, `perl -e`, `ruby -e`, `php -r`, `lua -e`). */
const INTERPRETERS = /^(python|pypy|node|nodejs|perl|ruby|php|lua)[\d.]*$/;

/**
 * Each interpreter's options, as its manual gives them: the short (`code`) and long (`codeLong`) ones whose argument is
 * inline code; those taking the next word as their argument where none is glued to them (`argument`, `argumentLong`: that
 * word is no script file); those whose argument is the script file (`file`, `fileLong`: php's `-f`), the words after
 * the options then the script's; those taking the rest of their word only, if any (`glued`: perl's `-MData::Dumper`,
 * `-I/usr/share/perl5`, `-d:Trace`, whose letters are no options); those taking only the digits (or letters) glued after them,
 * the letters after those being options again (`numeric`: perl's `-l`, `-0777`, `-CSD`, `-lne`); python's -m, after which
 * the words are the module's; and those taking no argument (`flags`, `flagsLong`, and node's `--no-...`), also long ones
 * given a value with `=` (`valueLong`: node's `--max-old-space-size=4096`). An option listed nowhere (`node --inspect-port 9229`,
 * or one that runs no script: `python -V`, `perl -c`) may take the next word or make the words after it code: the
 * interpreter is then taken as running none, as a wrong yes leaves the task with no agent.
 * A letter means one thing to one interpreter only: `-r` is php's code but node's and ruby's --require, `-c` python's code
 * but php's php.ini and node's --check.
 */
const INTERPRETER_OPTIONS: Record<string, {
  readonly code: string;
  readonly codeLong?: string[];
  readonly argument?: string;
  readonly argumentLong?: string[];
  readonly file?: string;
  readonly fileLong?: string[];
  readonly glued?: string;
  readonly numeric?: Record<string, RegExp>;
  readonly ends?: string;
  readonly flags: string;
  readonly flagsLong?: string[];
  readonly valueLong?: string[];
  readonly negated?: boolean;
}> = {
  python: { code: 'c', argument: 'WX', ends: 'm', flags: 'bBdEiIOPqRsSux', argumentLong: ['check-hash-based-pycs'] },
  node: {
    code: 'ep',
    codeLong: ['eval', 'print'],
    argument: 'rC',
    argumentLong: ['require', 'import', 'conditions', 'loader', 'experimental-loader', 'env-file', 'env-file-if-exists', 'title',
      'inspect-port', 'debug-port', 'input-type', 'unhandled-rejections', 'dns-result-order', 'max-http-header-size',
      'openssl-config', 'icu-data-dir', 'redirect-warnings', 'report-dir', 'report-directory', 'report-filename', 'report-signal',
      'heapsnapshot-signal', 'heapsnapshot-near-heap-limit', 'diagnostic-dir', 'cpu-prof-dir', 'cpu-prof-name', 'cpu-prof-interval',
      'heap-prof-dir', 'heap-prof-name', 'heap-prof-interval', 'disable-warning', 'tls-cipher-list', 'tls-keylog', 'secure-heap',
      'secure-heap-min', 'trace-event-categories', 'trace-event-file-pattern', 'use-largepages', 'v8-pool-size'],
    flags: '',
    flagsLong: ['inspect', 'inspect-brk', 'inspect-wait', 'enable-source-maps', 'expose-gc', 'preserve-symlinks', 'preserve-symlinks-main',
      'trace-warnings', 'trace-deprecation', 'trace-uncaught', 'trace-exit', 'trace-sigint', 'trace-sync-io', 'throw-deprecation',
      'pending-deprecation', 'abort-on-uncaught-exception', 'frozen-intrinsics', 'experimental-vm-modules', 'experimental-modules',
      'experimental-json-modules', 'experimental-wasm-modules', 'experimental-import-meta-resolve', 'experimental-strip-types',
      'experimental-transform-types', 'experimental-detect-module', 'experimental-require-module', 'experimental-global-webcrypto',
      'report-on-fatalerror', 'report-uncaught-exception', 'report-on-signal', 'report-compact', 'use-openssl-ca', 'use-bundled-ca',
      'use-system-ca', 'zero-fill-buffers', 'cpu-prof', 'heap-prof', 'insecure-http-parser', 'enable-fips', 'force-fips',
      'openssl-legacy-provider', 'openssl-shared-config'],
    valueLong: ['max-old-space-size', 'max-semi-space-size', 'stack-size', 'stack-trace-limit'],
    negated: true,
  },
  // perlrun: -I takes the next word where none is glued to it (perl.c), -M, -m, -D, -x, -i and -F only what is glued; -d a
  // `:Module` or `=...` glued (`-de0` is -d then -e); -l and -0 their digits, -C its digits or letters.
  perl: {
    code: 'eE',
    argument: 'I',
    glued: 'MmDxiF',
    numeric: { l: /^[0-7]*/, 0: /^(?:x[0-9a-fA-F]*|[0-7]*)/, C: /^(?:\d+|[IOESioDALa]*)/, d: /^t?(?:[:=].*)?/ },
    flags: 'afnpsStTuUwWX',
  },
  // ruby's usage: -C, -E, -I and -r take the next word too; -F, -i, -W, -x and -K what is glued; -0 its octal digits.
  ruby: { code: 'e', argument: 'rICE', glued: 'FiWxK', numeric: { 0: /^[0-7]*/ }, flags: 'adlnpsSUwy' },
  php: {
    code: 'rBRE',
    codeLong: ['run', 'process-begin', 'process-code', 'process-end'],
    argument: 'cdz',
    argumentLong: ['php-ini', 'define', 'zend-extension'],
    file: 'fF',
    fileLong: ['file', 'process-file'],
    flags: 'CnHq',
    flagsLong: ['no-php-ini', 'hide-args'],
  },
  lua: { code: 'e', argument: 'l', flags: 'iEWv' },
};

/**
 * Where the script file (or `-`, python's `-m` module) of an interpreter (its program at `i`, of `family`) is among its
 * words, past its options, the words after it the script's own (`app.py -c conf`); their length where it has none; -1 where
 * it is given inline code (an option taking code among its options), or where one of its options is not known here
 * (`INTERPRETER_OPTIONS`), which may be so. `args.at` is set to where the script's own words start: the words before it, the
 * interpreter's options and their arguments (`node -r module`, `php -c php.ini`), are its own, none a program it runs.
 */
function interpreterScriptAt(words: ReadonlyArray<string>, i: number, family: string, args: { at: number } = { at: 0 }): number {
  const options = INTERPRETER_OPTIONS[family === 'pypy' ? 'python' : family === 'nodejs' ? 'node' : family];
  // Where an option's argument named the script file (`php -f app.php`): the word holding it.
  let file: number | undefined;
  for (let j = i + 1; j < words.length; j++) {
    const word = words[j];
    if (word === '--') {
      args.at = file === undefined ? j + 2 : j + 1;
      return file ?? j + 1;
    }
    if (!/^-./.test(word)) {
      args.at = file === undefined ? j + 1 : j;
      return file ?? j;
    }
    if (word.startsWith('--')) {
      const name = word.slice(2).split('=')[0];
      if (options.codeLong?.includes(name)) return -1;
      if (options.fileLong?.includes(name)) {
        if (!word.includes('=')) j++;
        file = j;
        continue;
      }
      const known = [...options.argumentLong ?? [], ...options.flagsLong ?? []];
      if (word.includes('=') && (known.includes(name) || options.valueLong?.includes(name))) continue;
      if (word.includes('=')) return -1;
      if (options.argumentLong?.includes(name)) j++;
      else if (!options.flagsLong?.includes(name) && !(options.negated && name.startsWith('no-'))) return -1;
      continue;
    }
    // A cluster (`python -Bc`, `perl -lne`): the first letter taking an argument takes the rest of the word, or the next.
    for (let k = 1; k < word.length; k++) {
      const c = word[k];
      if (options.code.includes(c)) return -1;
      if (options.ends?.includes(c)) {
        args.at = k === word.length - 1 ? j + 2 : j + 1;
        return k === word.length - 1 ? j + 1 : j;
      }
      if (options.file?.includes(c)) {
        if (k === word.length - 1) j++;
        file = j;
        break;
      }
      if (options.argument?.includes(c)) {
        if (k === word.length - 1) j++;
        break;
      }
      if (options.glued?.includes(c)) break;
      const numeric = options.numeric?.[c];
      if (numeric !== undefined) k += numeric.exec(word.slice(k + 1))![0].length;
      else if (!options.flags.includes(c)) return -1;
    }
  }
  args.at = words.length;
  return file ?? words.length;
}

/** A shell function's name, as bash takes one (POSIX: a name; bash also `-` and `.`). */
const FUNCTION_NAME = /^[A-Za-z_][\w.-]*$/;

/** Shell words that come before a command's program without being it. */
const RESERVED = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', '{']);

/**
 * Where a command's words (an exec form's, or `/bin/sh -c` and a shell form's script) run the agent's binary: the word
 * through which the command runs it (`runsAgentAt`), also in a script a shell runs (as a POSIX shell splits it:
 * `shellCommands`); -1 where none does.
 * @internal
 */
export function _agentRunAt(words: string[], paths: ReadonlySet<string>, search: ReadonlyArray<string>, cwd?: string): number {
  const reading: Reading = { paths, search, cwd, budget: { left: SCRIPT_BUDGET }, forks: { left: _MAX_FORKS }, bodies: { left: MAX_BODIES } };
  try {
    return runsAgentAt(words, 0, reading, 0, 0);
  } catch (error) {
    // A command too long to read (scripts in scripts, many times over) is taken as not running the agent: reading on has no bound.
    if (error instanceof TooLong) return -1;
    throw error;
  }
}

/** What a command is read with: where the agent's binary is, the PATH searched, and how much script is left to read. */
interface Reading {
  readonly paths: ReadonlySet<string>;
  readonly search: ReadonlyArray<string>;
  /**
   * The working directory the command runs in (the image's last WORKDIR, or the task's `workingDirectory`), against which a
   * relative path (`./agent`) is found; undefined where it is not known here, and such a path then names no place known.
   */
  readonly cwd: string | undefined;
  readonly budget: { left: number };
  /** How many more readings unknown options of wrappers may fork into, in the whole command (each doubles what follows). */
  readonly forks: { left: number };
  /** How many more function bodies the calls read may be judged through, in the whole command (`MAX_BODIES`). */
  readonly bodies: { left: number };
  /** Whether -e is on in the shell running the command: an eval's script runs under it too. */
  readonly errexit?: boolean;
}

/** How many characters of scripts (counted again each time one is read within another) a command is read through. */
const SCRIPT_BUDGET = 4_000_000;

/**
 * How many function bodies (a call's, or a function's it calls, each time judged) a command is read through: each function
 * calling the next twice doubles them (18 levels are some 250,000 bodies), each judged for the agent, its ending and what it
 * may run; past it, the command is taken as running none.
 */
const MAX_BODIES = 10_000;

/** How deep scripts held in a command's arguments (`sh -c "..."` in `sh -c '...'`) are read. */
const MAX_SCRIPT_DEPTH = 5;

/** Where a simple command's program is among its words: past its reserved words (`if`, `!`) and assignments; their length where none is. */
function programAt(words: ReadonlyArray<string>, start = 0): number {
  let i = start;
  while (i < words.length && (RESERVED.has(words[i]) || _ASSIGNMENT.test(words[i]))) i++;
  return i;
}

/**
 * Where a simple command (its words from `start`, quotes removed) runs the agent's binary, judged by the program it
 * finally runs: after its assignments and reserved words, a program that never runs an operand (`INERT`) runs none;
 * a wrapper (`_WRAPPERS`: `timeout 10 ...`, `env FOO=1 ...`, `gosu user ...`) runs the command after its own options and
 * operands, judged in turn; `su` runs the user's shell with the script of its -c, `runuser -u` its operands (`_suShellWords`); a shell runs the
 * script of its `-c` (its `$@`, `$1`... the words after it); an interpreter given inline code (`python3 -c`, `node -e`:
 * `runsInlineCode`) runs none, its code being in its own language, not the shell's; any other program
 * (the agent's binary itself, an entrypoint script ending `exec "$@"`) may run what its words name, so the first word
 * naming the binary is taken as run, whatever flags follow it (the agent's main hands its arguments to agent.Run, which
 * ignores them: `mackerel-container-agent --version` runs the agent), and so is a word holding a script that runs it.
 * The index of the word said to run it; -1 where none does.
 */
function runsAgentAt(words: ReadonlyArray<string>, start: number, reading: Reading, depth: number, wrappers: number): number {
  const i = programAt(words, start);
  if (i >= words.length) return -1;
  const program = words[i].slice(words[i].lastIndexOf('/') + 1);
  // `command -v NAME` only prints where NAME is found.
  if (INERT.has(program) || (program === 'command' && /^-[vV]/.test(words[i + 1] ?? ''))) return -1;
  if (program === 'eval') {
    // eval runs its words joined by spaces as a script (`eval echo mackerel-container-agent` only prints the name).
    // Its one command reads eval's input (`echo ... | eval sh`), as a -c script's reads the shell's. The shell goes on after
    // it: an EXIT trap it sets runs as the shell exits (`exitTrap`), not here.
    if (!scriptRunsAgent(words.slice(i + 1).join(' '), reading, depth + 1, words as string[], false, reading.errexit === true)) return -1;
    const named = words.findIndex((word, j) => j > i && namesAgentBinary(word, reading));
    return named < 0 ? i + 1 : named;
  }
  // The script file a shell or an interpreter reads its commands from: no program it runs (`sh mackerel-container-agent`
  // reads the binary as a script, which no shell or interpreter runs).
  const file = { at: -1 };
  // `.` (bash's `source`) reads its file as the shell's own commands; the words after it are that script's $1, $2, ...
  if (program === '.' || program === 'source') {
    // An option before the file (bash 5.3's `-p PATH`, which dash refuses) is taken as running none.
    if (/^-./.test(words[i + 1] ?? '') && words[i + 1] !== '--') return -1;
    file.at = words[i + 1] === '--' ? i + 2 : i + 1;
  }
  if (_SHELLS.has(program)) {
    const ran = shellRunsAgentAt(words, i, reading, depth, file);
    if (ran !== undefined) return ran;
  }
  if (program === 'su' || program === 'runuser') {
    // su runs the user's shell, with the string of -c as its script (runuser -u the command given): judged as those words,
    // said by su's word for each.
    const shell = _suShellWords(words, i + 1, program === 'runuser');
    if (shell === undefined || wrappers >= _MAX_WRAPPERS) return -1;
    inputOf(words as string[], shell.words);
    const ran = runsAgentAt(shell.words, 0, changesDirectory(program, words.slice(i + 1)) ? elsewhere(reading) : reading, depth, wrappers + 1);
    return ran < 0 ? -1 : shell.origins[ran];
  }
  const syntax = _WRAPPERS.get(program);
  if (syntax !== undefined) {
    // Each wrapper is a call deeper: a chain longer than any real command is not followed.
    if (wrappers >= _MAX_WRAPPERS) return -1;
    // What is piped or redirected into xargs is the words it reads, not its command's input: the command is judged without it.
    const given = program === 'xargs' ? [...words] : words;
    return _wrappedCommandAt(syntax, given, i + 1,
      (wrapped, at) => {
        const options = wrapped === words ? words.slice(i + 1, at) : words.slice(i + 1);
        return runsAgentAt(wrapped, at, changesDirectory(program, options) ? elsewhere(reading) : reading, depth, wrappers + 1);
      },
      reading.forks);
  }
  // An interpreter's inline code is in its own language, not the shell's: a name in it (`print("mackerel-container-agent")`)
  // may be anything, and is taken as running none; so is an interpreter given an option not known here.
  const interpreter = INTERPRETERS.exec(program);
  // An interpreter's options and their arguments (`node -r /path/module`) are its own: none is a program it runs.
  const args = { at: i + 1 };
  if (interpreter !== null) file.at = interpreterScriptAt(words, i, interpreter[1], args);
  if (interpreter !== null && file.at < 0) return -1;
  const own = (j: number) => j === file.at || (j > i && j < args.at && interpreter !== null);
  for (let j = i; j < words.length; j++) if (!own(j) && namesAgentBinary(words[j], reading)) return j;
  for (let j = i; j < words.length; j++) if (!own(j) && /[\s;&|()`$<>#]/.test(words[j]) && scriptRunsAgent(words[j], reading, depth + 1)) return j;
  return -1;
}

/**
 * Where a shell (`sh`, `bash`, ... at `i`) runs the agent with `-c`: the script (the first operand after its options, `-o`
 * and `-O` taking an argument), with the positional parameters it names (`"$@"`, `$1`) standing for the words after its
 * `$0`, as the shell expands them; the word said is the first of those naming the binary, else the script. Undefined where
 * there is no `-c`: the shell runs a script file (its index put in `file`, which runs no program) or its standard input,
 * judged as any other program.
 */
function shellRunsAgentAt(words: ReadonlyArray<string>, i: number, reading: Reading, depth: number, file: { at: number }): number | undefined {
  let j = i + 1;
  let command = false;
  // -n (`-o noexec`) reads the commands without running any, where the last of -n and +n (`+o noexec`) given turns it on;
  // bash's --version and --help print and exit.
  let noexec = false;
  let errexit: boolean | undefined;
  let runsNone = false;
  for (; j < words.length; j++) {
    const word = words[j];
    if (word === '--' || word === '-') {
      j++;
      break;
    }
    if (word.startsWith('--')) {
      if (word === '--rcfile' || word === '--init-file') j++;
      if (word === '--version' || word === '--help') runsNone = true;
      continue;
    }
    if (!/^[-+]./.test(word)) break;
    if (word.slice(1).includes('c')) command = true;
    ({ on: errexit } = optionAfter(words, j, errexit, 'e', 'errexit', 'oO'));
    ({ on: noexec, last: j } = optionAfter(words, j, noexec, 'n', 'noexec', 'oO'));
  }
  if (runsNone || noexec) return -1;
  // With no -c and no script file (or with -s), the shell runs its input: the body of the last heredoc given it (each
  // redirection of the standard input replaces the one before, and any replaces a pipe), or what a pipe gives it from a
  // command whose output is known here (each of its readings running the agent).
  if (!command && (j >= words.length || words.slice(i + 1, j).some((word) => /^-[^-]*s/.test(word)))) {
    const given = givenInput(words as string[], 0);
    return given.length > 0 && given.every((text) => scriptRunsAgent(text, reading, depth + 1, undefined, true, errexit === true)) ? i : -1;
  }
  if (!command) {
    file.at = j;
    return undefined;
  }
  const script = words[j];
  if (script === undefined) return -1;
  const args = words.slice(j + 2);
  // With no word after the script, $0 is the shell's own name and no other parameter is set.
  const positional = withPositional(script, words[j + 1] ?? words[i], args, reading);
  if (!scriptRunsAgent(positional, reading, depth + 1, words as string[], true, errexit === true)) return -1;
  const named = args.findIndex((arg) => namesAgentBinary(arg, reading));
  return named < 0 ? j : j + 2 + named;
}

/**
 * A `-c` script with its positional parameters replaced by the words given for them, each quoted as one word, as the shell
 * expands them: none in single quotes; in double quotes the quotes closed around the words put in (`"$1"`, `"run $@ now"`).
 * `${1:-word}`, `${1-word}`, `${1:+word}` and `${1+word}` are the parameter or the word as it is set (and not empty, with
 * the colon), the word expanded in turn, as the shell expands it (`${1+"$@"}`).
 */
function withPositional(script: string, name: string, args: ReadonlyArray<string>, reading: Reading): string {
  const quote = (word: string) => `'${word.split("'").join("'\\''")}'`;
  const all = args.map(quote).join(' ');
  // Each expansion copies the words: charged before it is made, as the script read is.
  if (script.length + (script.split('$').length - 1) * (all.length + name.length + 4) > reading.budget.left) throw new TooLong();
  const parameter = /^\$(?:([@*])|\{([@*])\}|\{(\d+)\}|(\d))/;
  let out = '';
  // The quoting at hand, as the shell nests it: `"` a double quote; `(` a command substitution or a subshell, and '`' one in
  // backquotes, in which quotes and comments are read anew (`"$(exec "$1")"`); `\"` a double quote escaped in backquotes
  // within double quotes (`"\`exec \"$1\"\`"`), the quote of the command in them.
  const nesting: string[] = [];
  const top = () => nesting[nesting.length - 1];
  const inQuotes = () => top() === '"' || top() === '\\"';
  // Where the `}` of each `${N-word}` whose word is read in place is: skipped when reached.
  const closes: number[] = [];
  // The function bodies open (`f() { ...; }`, `f() ( ... )`), in which `"$@"` and `$1` are the function's own arguments, not
  // the script's: left as written (`run() { "$@"; }; run /app` runs /app, whatever the script is given). Each a `{` body with
  // how many `{` were open with it, or a `(` body with the nesting at hand inside it.
  const bodies: Array<{ readonly brace: boolean; readonly at: number }> = [];
  let braces = 0;
  const inBody = () => bodies.length > 0;
  for (let i = 0; i < script.length; i++) {
    const c = script[i];
    const body = bodies[bodies.length - 1];
    if (body !== undefined && !body.brace && nesting.length < body.at) bodies.pop();
    const boundary = i === 0 || /[\s;&|(){}]/.test(script[i - 1]);
    const head = !inQuotes() && boundary ? FUNCTION_HEAD.exec(script.slice(i, i + 256)) : null;
    if (head !== null) {
      // The head and its body's opening, counted as any other `{` or `(`.
      out += head[0];
      i += head[0].length - 1;
      if (head[0].endsWith('{')) braces++;
      else nesting.push('(');
      bodies.push(head[0].endsWith('{') ? { brace: true, at: braces } : { brace: false, at: nesting.length });
      continue;
    }
    if (c === '{' && !inQuotes() && boundary && /^\s/.test(script[i + 1] ?? '')) braces++;
    if (c === '}' && !inQuotes() && /[\s;&]/.test(script[i - 1] ?? '') && /^(?:$|[\s;&|)}])/.test(script[i + 1] ?? '')) {
      if (body !== undefined && body.brace && braces === body.at) bodies.pop();
      braces = Math.max(0, braces - 1);
    }
    // A quote in the word may run past the `}` found for it: that `}` is then no longer awaited.
    while (closes.length > 0 && closes[closes.length - 1] < i) closes.pop();
    if (closes.length > 0 && closes[closes.length - 1] === i) {
      closes.pop();
      continue;
    }
    if (c === '\\' && script[i + 1] === '"' && (top() === '\\"' || (top() === '`' && nesting[nesting.length - 2] === '"'))) {
      if (top() === '\\"') nesting.pop();
      else nesting.push('\\"');
      out += '\\"';
      i++;
    } else if (c === '`') {
      if (top() === '\\"') nesting.pop();
      if (top() === '`') nesting.pop();
      else nesting.push('`');
      out += c;
    } else if (c === '\\') {
      out += script.slice(i, i + 2);
      i++;
    } else if (c === '$' && script[i + 1] === "'" && !inQuotes()) {
      // `$'...'`, in which a backslash escapes a quote: nothing is expanded in it.
      let close = i + 2;
      while (close < script.length && script[close] !== "'") close += script[close] === '\\' ? 2 : 1;
      out += script.slice(i, close + 1);
      i = close;
    } else if (c === "'" && !inQuotes()) {
      const close = script.indexOf("'", i + 1);
      const end = close < 0 ? script.length : close + 1;
      out += script.slice(i, end);
      i = end - 1;
    } else if (c === '#' && !inQuotes() && (i === 0 || /[\s;&|()]/.test(script[i - 1]))) {
      // A comment, to its line's end, as the shell reads one (`# it's`): no quote opens in it, nothing is expanded.
      const newline = script.indexOf('\n', i);
      const end = newline < 0 ? script.length : newline;
      out += script.slice(i, end);
      i = end - 1;
    } else if (c === '"') {
      if (inQuotes()) nesting.pop();
      else nesting.push('"');
      out += c;
    } else if (c === '(' && (!inQuotes() || script[i - 1] === '$')) {
      nesting.push('(');
      out += c;
    } else if (c === ')' && nesting[nesting.length - 1] === '(') {
      nesting.pop();
      out += c;
    } else if (c === '$' && !inBody() && script.startsWith('${', i) && defaulting.test(script.slice(i, i + 16))) {
      const [opening, n, colon, operator] = defaulting.exec(script.slice(i, i + 16))!;
      const close = closingBrace(script, i + opening.length);
      const list = n === '@' || n === '*';
      const value = list ? args.join(' ') : n === '0' ? name : args[Number(n) - 1];
      const set = value !== undefined && (colon === '' || value !== '');
      const quoted = inQuotes();
      const wrap = (text: string) => quoted ? `${top()}${text}${top()}` : text;
      if (operator === '-' ? set : !set) {
        // `"${@:-word}"` is each parameter a word, as `"$@"` is; `"${*:-word}"` one word of them all.
        const words = list && !(quoted && n === '*') ? all : quote(value);
        out += operator === '-' ? wrap(words) : '';
        i = Math.min(close, script.length - 1);
      } else if (closes.length >= MAX_WORD_DEPTH) {
        // Deeper, each word's `}` would be sought through the rest of the script again: put in as written.
        out += script.slice(i + opening.length, close);
        i = Math.min(close, script.length - 1);
      } else {
        // The word is read on in place, its parameters expanded as any others, up to its `}`.
        closes.push(close);
        i += opening.length - 1;
      }
    } else if (c === '$' && !inBody() && parameter.test(script.slice(i, i + 16))) {
      const quoted = inQuotes();
      const [match, list, bracedList, braced, digit] = parameter.exec(script.slice(i, i + 16))!;
      const n = braced ?? digit;
      // `"$*"` is one word of them all; `$@`, `"$@"` and an unquoted `$*` each a word.
      const value = n !== undefined ? quote(Number(n) === 0 ? name : args[Number(n) - 1] ?? '')
        : quoted && (list ?? bracedList) === '*' ? quote(args.join(' ')) : all;
      out += quoted ? `${top()}${value}${top()}` : value;
      i += match.length - 1;
    } else {
      out += c;
    }
  }
  return out;
}

/** A function definition's head (`f()`, `function f`, `function f()`) up to its body's `{` or `(`. */
const FUNCTION_HEAD = /^(?:function[ \t]+[A-Za-z_][\w.-]*(?:[ \t]*\([ \t]*\))?|[A-Za-z_][\w.-]*[ \t]*\([ \t]*\))\s*[{(]/;

/** How many default words in one another (`${1:-${2:-word}}`) are read in place; deeper ones are put in as written. */
const MAX_WORD_DEPTH = 8;

/**
 * `${N:-`, `${N-`, `${N:+`, `${N+`: a positional parameter's default or alternative word; `${@:-` and `${*:-` (with the
 * colon only: without it, bash takes none given as unset and dash as set) the parameters' all together, none or all empty.
 */
const defaulting = /^\$\{(\d+(?=:?[-+])|[@*](?=:[-+]))(:?)([-+])/;

/** Where the `}` closing a `${` whose word starts at `from` is: past nested `${...}`, quotes and escapes; the end if none. */
function closingBrace(script: string, from: number): number {
  let depth = 0;
  for (let i = from; i < script.length; i++) {
    const c = script[i];
    if (c === '\\') i++;
    else if (c === "'") i = script.indexOf("'", i + 1) < 0 ? script.length : script.indexOf("'", i + 1);
    else if (c === '$' && script[i + 1] === '{') depth++;
    else if (c === '}' && depth-- === 0) return i;
  }
  return script.length;
}

/**
 * Whether a script runs the agent's binary in one of its simple commands (`runsAgentAt`).
 * `exits`: whether the shell exits at the script's end, running its EXIT trap (not so for the script of an eval).
 * `errexit`: whether -e is on as it starts (`sh -e -c`, an eval under `set -e`): a command that surely fails (`false`) then
 * ends the shell before the agent runs, save where its status is tested (a condition, before && or ||, after `!`).
 */
function scriptRunsAgent(script: string, reading: Reading, depth: number, shell?: string[], exits = true, errexit = false): boolean {
  if (depth > MAX_SCRIPT_DEPTH) return false;
  // Each command substitution in another is read again from where it starts, up to MAX_SUBSTITUTION_DEPTH deep: charged so.
  const substitutions = script.split('$(').length + script.split('`').length - 2;
  reading.budget.left -= script.length * (1 + Math.min(substitutions, MAX_SUBSTITUTION_DEPTH));
  if (reading.budget.left < 0) throw new TooLong();
  // After a `cd` (or pushd, popd) the script's working directory is no longer the one it started in: not known here.
  let at = reading;
  const commands = shellCommands(script);
  // The commands piping into another (not the last of their pipeline), which run in a child of the shell.
  const pipesOut = new Set(commands.map((command) => PIPED_FROM.get(command)));
  // The one command of a shell's -c script (`sh -c 'sh'`) reads the shell's standard input, where it redirects none of its own.
  const only = commands.length === 1 ? commands[0] : undefined;
  // Run in the background (`sh -c 'sh &'`), it reads /dev/null instead: a shell without job control gives an asynchronous list no input.
  if (shell !== undefined && only !== undefined && !STDIN_FROM.has(only) && !PIPED_FROM.has(only) && !ENCLOSED_IN.has(only) && !ASYNC.has(only)) {
    inputOf(shell, only);
  }
  // After `set -n` (`set -o noexec`) the shell reads the commands without running any: not even a `set +n`, nor an EXIT trap.
  // Set in a subshell, it stops only the later commands of that subshell.
  let noexec: string[] | undefined;
  const stopped = (words: string[]) => {
    const within = noexec === undefined ? undefined : SUBSHELLS.get(noexec)?.[0];
    return noexec !== undefined && (within === undefined || (SUBSHELLS.get(words) ?? []).includes(within));
  };
  // The action trapped on EXIT last, which runs as the shell exits: unless a later trap replaces or resets it, or the shell
  // is replaced by a program first (`exec /app/server`, perhaps under a condition: a wrong yes leaves the task with no agent).
  let atExit: { readonly action: string; readonly at: Reading } | undefined;
  // Whether the shell has surely ended (`endsShell`): no command after it runs, but its EXIT trap does.
  let ended = false;
  // The functions defined so far, by name: a call runs the body of the last definition read. 'unknown' for one the shell may
  // or may not have defined there, or defined otherwise (in a subshell or a branch, in the background, by a function called,
  // or unset): a call of it is followed no further, and taken as perhaps ending the shell.
  const defined = new Map<string, Defined>();
  // Where (the index of the command) each name was last made 'unknown' or defined otherwise than in a branch of an if, and
  // the definitions each if's branches make, by name and branch: at its `fi`, one defined in every branch of an if with an
  // else, and made nothing else in it, is defined as one of those.
  const touched = new Map<string, number>();
  const branches = new Map<IfBranches, Map<string, FunctionDefinition[]>>();
  const set = (name: string, value: Defined, index: number) => {
    defined.set(name, value);
    touched.set(name, index);
  };
  // The names a function's body defines or unsets (`a() { b() { ...; }; }`, `unset -f f`): not known here after any call.
  const volatile = new Set<string>();
  // The last command of each function's body: run in the background (`f() { ...; } &`), it is defined in a subshell only.
  const lastOfBody = new Map<FunctionDefinition, string[]>();
  // The commands a call of each function reads, in order: its body's, and those of the functions defined within it.
  const readByCall = new Map<FunctionDefinition, string[][]>();
  for (const command of commands) {
    const of = FUNCTION_OF.get(command);
    if (of !== undefined) lastOfBody.set(of, command);
    for (const body of [of, of?.within]) {
      if (body === undefined) continue;
      if (!readByCall.has(body)) readByCall.set(body, []);
      readByCall.get(body)!.push(command);
    }
    if (of?.within !== undefined) volatile.add(of.name);
    if (of !== undefined) for (const name of unsets(command)) volatile.add(name);
  }
  // What a name is as a function where a call of it runs: as a body run defines or unsets it (`local`), else as the script has.
  const lookup = (name: string | undefined, local: ReadonlyMap<string, Defined>) =>
    name === undefined ? undefined : local.has(name) ? local.get(name) : defined.get(name);
  // What a command of the body of `called` does to the functions defined as it runs: one defined in the body is defined
  // then (`a() { b() { ...; }; b; }`), an unset one no longer known.
  const definesInBody = (command: string[], called: FunctionDefinition, local: Map<string, Defined>): boolean => {
    const of = FUNCTION_OF.get(command);
    if (of !== undefined && of.within === called) local.set(of.name, of.sure ? of : 'unknown');
    if (of === called) for (const name of unsets(command)) local.set(name, 'unknown');
    return of !== called;
  };
  // Each function body judged counts against the command's bound (`MAX_BODIES`): too many, it is taken as running no agent.
  const judging = () => {
    if (--reading.bodies.left < 0) throw new TooLong();
  };
  // A call of a function defined in every branch of an if judged as each definition: each in a copy of the functions known,
  // after which those a body may define or unset are no longer known.
  const alternatives = <T>(local: Map<string, Defined>, judge: () => T): T => {
    const judged = judge();
    for (const name of volatile) local.set(name, 'unknown');
    return judged;
  };
  // Whether a call of a function defined (`words`) runs the agent: a command of its body, the functions it calls judged in
  // turn as they are defined when it runs (`main() { start_agent; }`, start_agent defined before or after main), each once
  // in a chain (a recursive one runs nothing more). `on`: whether -e is on where it is called, its status not tested
  // (`ignored`: where it is, -e is ignored in the whole body, a `set -e` there too): a command of the body that surely fails
  // (or a call that may run one) then ends the shell, the commands after it not run; so after a `set -e` in the body. Each call
  // judged again for a `set -e` in it would read a chain of calls once per call: only where the script has one at all.
  const setsErrexit = (command: string[]) => errexitSet(command) === true;
  let errexitTurnedOn: boolean | undefined;
  const turnsErrexitOn = () => errexitTurnedOn ??= commands.some(setsErrexit);
  const callRuns = (words: ReadonlyArray<string>, where: Reading, calling: ReadonlyArray<FunctionDefinition>,
    local = new Map<string, Defined>(), on = false, ignored = false): boolean => {
    const called = lookup(words[programAt(words)], local);
    if (called === undefined || called === 'unknown') return false;
    if (Array.isArray(called)) {
      return alternatives(local,
        () => called.every((one) => callRuns([one.name], where, calling, new Map([...local, [one.name, one]]), on, ignored)));
    }
    if (calling.includes(called)) return false;
    judging();
    let failing = on && !ignored;
    const chain = [...calling, called];
    // A command that surely fails in a child of the body's shell (`{ ...; } | cat`, `(...) &`) ends that child: the commands
    // after it there are not taken as run, up to the next command of the shell itself, as in the script (`childEnded`).
    let childFailed: ((command: string[]) => boolean) | undefined;
    for (const command of readByCall.get(called) ?? []) {
      if (definesInBody(command, called, local) || IN_SHELL_SUBSTITUTION.has(command)) continue;
      if (childFailed?.(command) === true) continue;
      childFailed = undefined;
      const tested = ignored || statusTested(command);
      const inner = lookup(command[programAt(command)], local) !== undefined;
      const read = failing ? { ...where, errexit: true } : where;
      const ignoredIn = ignored || errexitIgnored(command);
      if (inner ? callRuns(command, where, chain, local, failing, ignoredIn) : runsAgentAt(command, 0, read, depth, 0) >= 0) return true;
      const mayEnd = () => inner ? callMay(command, surelyFailsUntested, true, chain, local) : surelyFails(command);
      if (failing && !tested && mayEnd()) return false;
      if (failing && !ignored && failureEndsChild(command) && mayEnd()) childFailed = childOf(command);
      const turnsOn = () => inner ? callMay(command, setsErrexit, false, chain, local) : setsErrexit(command);
      if (!failing && !ignored && turnsErrexitOn() && !inChild(command) && turnsOn()) failing = true;
      // A `set +e` run each time the body runs, in the shell itself, turns -e off for the rest of it.
      else if (failing && !inner && RUN_IN_BODY.has(command) && !inChild(command) && errexitSet(command) === false) failing = false;
    }
    return false;
  };
  // Where each command is among those split, and the names of the functions the script defines anywhere.
  const indexOf = new Map(commands.map((command, index) => [command, index]));
  const functionNames = new Set(commands.map((command) => FUNCTION_OF.get(command)?.name).filter((name) => name !== undefined));
  // Whether a loop whose condition always holds (`while :`, its `done` given) is never left but by ending the shell: none of
  // its commands breaks, continues (`continue 2` leaves it), returns, evals, calls a function (which may break it in bash)
  // or runs a command not followed (`$X` may be break). It runs until its body exits, or for ever: no command after it runs.
  // Counted once for all loops (`leaving[i]`: how many of the first i commands may leave one), each then judged at once.
  let leaving: number[] | undefined;
  const neverLeft = (done: string[]): boolean => {
    const loop = LOOP_ENDS.get(done);
    const from = loop === undefined ? undefined : indexOf.get(loop.opening);
    const to = indexOf.get(done);
    if (loop === undefined || !loop.always || from === undefined || to === undefined) return false;
    leaving ??= commands.reduce((counts, command) => {
      const i = builtinAt(command, programAt(command));
      const leaves = ['break', 'continue', 'return', 'eval'].includes(command[i]) || functionNames.has(command[i]) || notFollowed(command);
      counts.push(counts[counts.length - 1] + (leaves ? 1 : 0));
      return counts;
    }, [0]);
    return leaving[to] === leaving[from];
  };
  // Whether a command runs each time the shell (or the function's body: `RUN_IN_BODY`) reaches it, in no pipeline nor the background.
  const runsEachTime = (words: string[], guarded: WeakSet<string[]>, inBody = false): boolean =>
    (inBody ? RUN_IN_BODY.has(words) : !guarded.has(words)) && !ASYNC.has(words) && !PIPED_FROM.has(words) && !pipesOut.has(words);
  // How a call of a function defined ends the shell: by an exit or exec its body (or a function it calls so) runs each time
  // it is called, before any return; undefined where none does surely. A call of one not known here may end it any way.
  const callEnds = (words: ReadonlyArray<string>, calling: ReadonlyArray<FunctionDefinition>,
    local = new Map<string, Defined>()): 'exit' | 'exec' | undefined => {
    const called = lookup(words[programAt(words)], local);
    if (called === 'unknown') return 'exec';
    if (Array.isArray(called)) {
      // Ending as each ends, where all do alike; else perhaps ending, and perhaps replaced or not (its EXIT trap perhaps not run).
      const endings = alternatives(local, () => called.map((one) => callEnds([one.name], calling, new Map([...local, [one.name, one]]))));
      return endings.every((ending) => ending === endings[0]) ? endings[0] : 'exec';
    }
    if (called === undefined || calling.includes(called)) return undefined;
    judging();
    for (const command of readByCall.get(called) ?? []) {
      const loop = LOOP_ENDS.get(command);
      if (loop !== undefined && runsEachTime(loop.opening, GUARDED, true) && !ASYNC.has(command) && !pipesOut.has(command) && neverLeft(command)) {
        return 'exec';
      }
      if (definesInBody(command, called, local) || !runsEachTime(command, GUARDED, true)) continue;
      const inner = lookup(command[programAt(command)], local) !== undefined;
      const i = builtinAt(command, programAt(command));
      if (command[i] === 'return') return undefined;
      if (command[i] === 'exit') return 'exit';
      if (replacesShell(command)) return 'exec';
      const ending = inner ? callEnds(command, [...calling, called], local) : undefined;
      if (ending !== undefined) return ending;
    }
    return undefined;
  };
  // Whether a call of a function may run (anywhere in its body, or a function it calls) a command `test` holds for, given the
  // functions defined as it runs; a call of one not known here, `unknown`.
  const callMay = (words: ReadonlyArray<string>, test: (command: string[], local: ReadonlyMap<string, Defined>) => boolean, unknown: boolean,
    calling: ReadonlyArray<FunctionDefinition>, local = new Map<string, Defined>()): boolean => {
    const called = lookup(words[programAt(words)], local);
    if (called === undefined) return false;
    if (called === 'unknown') return unknown;
    if (Array.isArray(called)) {
      return alternatives(local, () => called.some((one) => callMay([one.name], test, unknown, calling, new Map([...local, [one.name, one]]))));
    }
    if (calling.includes(called)) return false;
    judging();
    return (readByCall.get(called) ?? []).some((command) => !definesInBody(command, called, local)
      && (test(command, local)
        || (lookup(command[programAt(command)], local) !== undefined && callMay(command, test, unknown, [...calling, called], local))));
  };
  // Whether a call of a function may run an eval: any there is taken as not followed (`evalUnfollowed`), as its words may be
  // the function's own arguments (`eval "$1"`), which are not known here (`withPositional` puts the script's in their place).
  // So is a program whose name the shell expands (`"$@"`, `$CMD`), or an alias: it may be `exit`, `exec` or a function.
  const aliases = aliasesOf(commands);
  const notFollowed = (command: string[]) => programNotKnown(command) || CURRENT_SHELL.has(command) || aliases.has(command[programAt(command)]);
  const callEvals = (words: ReadonlyArray<string>) => callMay(words,
    (command) => command[builtinAt(command, programAt(command))] === 'eval' || notFollowed(command), false, []);
  // Whether a command runs in a child of the shell: a subshell, a command substitution, a group piping into another command,
  // the background, or piping into another command (not the last of a pipeline, which ksh and zsh run in the shell itself).
  const inChild = (words: string[]) => FORKED.has(words) || SUBSHELLS.has(words) || ASYNC.has(words) || pipesOut.has(words);
  // Whether a command's failure leaves -e ending nothing: its status tested (`TESTED`, after `!`), or it runs in a child of the
  // shell, save a command piping into another under pipefail. A subshell inherits -e, and its status is that of the command
  // failing in it: -e in the shell then ends it too (`(false)`, `(cd /x && ./setup)`), save where the subshell's own status
  // is tested (`(...) || :`) or it pipes into another command (`(...) | cat`, not under pipefail).
  const pipefail = script.includes('pipefail');
  const statusTested = (words: string[]) => TESTED.has(words) || words.slice(0, programAt(words)).includes('!')
    || FORKED.has(words) || ASYNC.has(words) || (pipesOut.has(words) && !pipefail)
    || (SUBSHELLS.get(words) ?? []).some((closing) => TESTED.has(closing) || (pipesOut.has(closing) && !pipefail));
  // Whether -e is ignored for a command, in a child of the shell too: its status tested (`TESTED`, after `!`), or the
  // pipeline's it pipes out in (`f | cat || exit 1`), or a subshell's holding it (`(f) || exit 1`). A child otherwise
  // inherits -e, which ends that child (`f | cat`, `f &`, `(f) &`), not the shell.
  const pipedTo = new Map(commands.filter((command) => PIPED_FROM.has(command)).map((command) => [PIPED_FROM.get(command), command]));
  // Each pipeline's read once: whether its first command is negated or its last's status tested.
  const pipelineIgnores = new Map<string[], boolean>();
  const pipelineTested = (words: string[]): boolean => {
    if (TESTED.has(words)) return true;
    if (!PIPED_FROM.has(words) && !pipedTo.has(words)) return words.slice(0, programAt(words)).includes('!');
    const known = pipelineIgnores.get(words);
    if (known !== undefined) return known;
    const seen = new Set<string[]>([words]);
    let first = words;
    for (let from = PIPED_FROM.get(first); from !== undefined && !seen.has(from); from = PIPED_FROM.get(first)) seen.add(first = from);
    let last = words;
    for (let to = pipedTo.get(last); to !== undefined && !seen.has(to); to = pipedTo.get(last)) seen.add(last = to);
    const ignores = first.slice(0, programAt(first)).includes('!') || TESTED.has(last);
    for (const one of seen) pipelineIgnores.set(one, ignores);
    return ignores;
  };
  const errexitIgnored = (words: string[]) => pipelineTested(words) || (SUBSHELLS.get(words) ?? []).some(pipelineTested);
  // Whether under -e a command failing in a child of the shell (the background, a command substitution), which inherits -e,
  // ends that child, -e not ignored there: not one piping into another command, save under pipefail.
  const failureEndsChild = (words: string[]) => inChild(words) && !errexitIgnored(words) && !(pipesOut.has(words) && !pipefail);
  // The commands after one ending its child of the shell (-e, an eval not followed) that may be in that child: in a child,
  // and in the outermost subshell holding it (whose status its failure becomes) or a group holding it (not a function's
  // body); in a command substitution, any in a child up to the next command of the shell itself. A lone command in the
  // background or piping out (`nginx & mackerel-container-agent &`) is a child by itself: none.
  const childOf = (words: string[]): ((command: string[]) => boolean) | undefined => {
    if (FORKED.has(words)) return inChild;
    const subshells = SUBSHELLS.get(words) ?? [];
    const outermost = subshells[subshells.length - 1];
    const groups = GROUPS.get(words) ?? [];
    if (outermost === undefined && groups.length === 0) return undefined;
    return (command) => inChild(command)
      && ((SUBSHELLS.get(command) ?? []).includes(outermost!) || (GROUPS.get(command) ?? []).some((group) => groups.includes(group)));
  };
  // Whether a command of a body surely fails, its status not tested: a call of a function defined as it runs is read in its
  // body instead (by `callMay`), not as a program (`main() { setup; }; setup() { false; }`).
  const surelyFailsUntested = (command: string[], local: ReadonlyMap<string, Defined>) => !statusTested(command) && surelyFails(command)
    && lookup(command[programAt(command)], local) === undefined;
  // Whether an eval not followed in a child (`(eval "$X")`) may have ended it: the commands after it in a child are not taken
  // as run, up to the next command of the shell itself, which the eval cannot have ended.
  let childEnded: ((command: string[]) => boolean) | undefined;
  const runs = commands.some((words, index) => {
    if (ended || stopped(words) || IN_SHELL_SUBSTITUTION.has(words)) return false;
    if (childEnded !== undefined && !FUNCTION_OF.has(words)) {
      if (childEnded(words)) return false;
      childEnded = undefined;
    }
    const closed = IF_ENDS.get(words);
    // The if run each time the script reaches it, in the shell itself: not guarded, in no pipeline nor the background.
    const whole = closed !== undefined && closed.hasElse && !GUARDED.has(closed.opening) && !ASYNC.has(words)
      && !PIPED_FROM.has(closed.opening) && !pipesOut.has(words);
    for (const [name, made] of whole ? branches.get(closed)! ?? [] : []) {
      const every = made.length === closed!.branches && [...made].every((one) => one !== undefined);
      if (every && (touched.get(name) ?? -1) < closed!.from) defined.set(name, made);
    }
    const definition = FUNCTION_OF.get(words);
    if (definition !== undefined) {
      // One defined in a function's body is defined only as that function runs.
      const async = ASYNC.has(lastOfBody.get(definition)!);
      const sure = definition.sure && !async;
      const branch = BRANCH_OF.get(definition);
      if (definition.within !== undefined) return false;
      defined.set(definition.name, sure ? definition : 'unknown');
      if (branch !== undefined && !async) {
        const made = branches.get(branch.of) ?? new Map<string, FunctionDefinition[]>();
        branches.set(branch.of, made);
        if (!made.has(definition.name)) made.set(definition.name, []);
        made.get(definition.name)![branch.branch] = definition;
      } else {
        touched.set(definition.name, index);
      }
      return false;
    }
    for (const name of unsets(words)) set(name, 'unknown', index);
    if (defined.has(words[programAt(words)])) {
      if (callRuns(words, at, [], new Map(), errexit, errexitIgnored(words))) return true;
      // A call run each time the script reaches it runs its body: an exit or exec run each time there ends the script.
      let ending = runsEachTime(words, GUARDED) ? callEnds(words, []) : undefined;
      if (callEvals(words)) ending = 'exec';
      // A `set -n` there stops every later command, and the EXIT trap; a trap on EXIT there (or in a function not known here)
      // resets or replaces the one set (`f() { trap - EXIT; }`): no EXIT trap is then taken as run.
      if (callMay(words, (command) => setsNoexec(command, commands, depth), false, [])) ending = 'exec';
      if (callMay(words, (command) => exitTrap(command) !== undefined, true, [])) atExit = undefined;
      // Under -e (or turned on in the body), a command of the body that surely fails where it runs may end the shell.
      if (!errexit && !inChild(words) && callMay(words, setsErrexit, false, [])) errexit = true;
      if (errexit && !statusTested(words) && callMay(words, surelyFailsUntested, true, [])) ending = 'exec';
      // The functions its body defines or unsets are no longer those the script defined.
      for (const name of volatile) set(name, 'unknown', index);
      if (ending === 'exec') atExit = undefined;
      ended = ending !== undefined;
      return false;
    }
    if (changesScriptDirectory(words)) at = elsewhere(reading);
    const trapped = exitTrap(words);
    if (trapped !== undefined) atExit = trapped === '' ? undefined : { action: trapped, at };
    if (replacesShell(words)) atExit = undefined;
    if (runsAgentAt(words, 0, errexit ? { ...at, errexit } : at, depth, 0) >= 0) return true;
    if (noexec === undefined && setsNoexec(words, commands, depth)) noexec = words;
    ended = endsShell(words, commands);
    // Under -e a command that surely fails ends the shell there (its EXIT trap run).
    if (errexit && !statusTested(words) && surelyFails(words)) {
      ended = true;
    } else if (errexit && failureEndsChild(words) && surelyFails(words)) {
      // In a child of the shell, it ends that child only.
      childEnded = childOf(words);
    }
    // -e turned on, under a condition too; off only where surely run.
    const errexitNow = inChild(words) ? undefined : errexitSet(words);
    if (errexitNow !== undefined && (errexitNow || !GUARDED.has(words))) errexit = errexitNow;
    // A loop never left (`while :; do exit 0; done`), run each time the script reaches it in the shell itself, ends it or runs
    // for ever: what follows never runs; nor is its EXIT trap taken as run (for ever, the container is stopped).
    const loop = LOOP_ENDS.get(words);
    if (loop !== undefined && runsEachTime(loop.opening, GUARDED) && !inChild(words) && !inChild(loop.opening) && neverLeft(words)) {
      atExit = undefined;
      ended = true;
    }
    // An eval that may define, call or unset a function (`eval 'f() { exit 0; }'`, `eval f`, `eval "$X"`), under a condition
    // too, may end the shell or change what a later call runs: what follows is not taken as run, nor the EXIT trap. So may a
    // program whose name is not known here (`$CMD`: `X=exit; $X 0`). One in a child ends or changes that child only.
    if (evalUnfollowed(words, (name) => defined.has(name)) || notFollowed(words)) {
      if (inChild(words)) {
        childEnded = childOf(words);
      } else {
        atExit = undefined;
        ended = true;
      }
    }
    return false;
  });
  const trapRuns = exits && (noexec === undefined || SUBSHELLS.has(noexec));
  if (runs || !trapRuns || atExit === undefined) return runs;
  // The trapped action may call a function defined by then (`trap cleanup EXIT`).
  const { action, at: trapAt } = atExit;
  return scriptRunsAgent(action, trapAt, depth + 1, undefined, true, errexit) || shellCommands(action)
    .some((words) => callRuns(words, trapAt, [], new Map(), errexit));
}

/**
 * What a `trap` command sets as the action on EXIT (or 0): its action, '' where it resets or ignores it (`trap - EXIT`,
 * `trap '' EXIT`, `trap EXIT`); undefined where it sets none on EXIT (`trap 'x' INT`, `trap -p EXIT`). An eval sets what the
 * last of its script's traps sets (one in a subshell there sets the subshell's); past MAX_EVAL_DEPTH evals, none is read.
 */
function exitTrap(words: ReadonlyArray<string>, evals = 0): string | undefined {
  const i = programAt(words);
  if (words[i] === 'eval' && evals < MAX_EVAL_DEPTH) {
    let set: string | undefined;
    for (const inner of shellCommands(words.slice(i + 1).join(' '))) if (!SUBSHELLS.has(inner)) set = exitTrap(inner, evals + 1) ?? set;
    return set;
  }
  if (words[i] !== 'trap') return undefined;
  const operands = words.slice(i + 1);
  const from = operands[0] === '--' ? 1 : 0;
  if (from === 0 && /^-[lp]/.test(operands[0] ?? '')) return undefined;
  const exit = (condition: string) => /^(?:(?:SIG)?EXIT|0)$/i.test(condition);
  // POSIX: a first operand that is an unsigned integer (`trap 0`) or lone is a condition, reset to its default.
  if (operands.length === from + 1 || /^\d+$/.test(operands[from] ?? '')) return operands.slice(from).some(exit) ? '' : undefined;
  if (!operands.slice(from + 1).some(exit)) return undefined;
  return operands[from] === '-' ? '' : operands[from];
}

/**
 * Whether a command of a script (one of `commands`, as split) surely ends the shell, so that none after it runs: `exit`,
 * `return` (bash goes on after one outside a function, other shells end there: taken as ending), or `exec` running a
 * program, run each time the script reaches it (not `GUARDED`), in no pipeline nor the background; also in an eval's script.
 */
function endsShell(words: string[], commands: ReadonlyArray<string[]>, evals = 0): boolean {
  if (GUARDED.has(words) || ASYNC.has(words) || PIPED_FROM.has(words) || commands.some((command) => PIPED_FROM.get(command) === words)) return false;
  const i = builtinAt(words, programAt(words));
  if (words[i] === 'eval' && evals < MAX_EVAL_DEPTH) {
    const evaluated = shellCommands(words.slice(i + 1).join(' '));
    return evaluated.some((inner) => endsShell(inner, evaluated, evals + 1));
  }
  return words[i] === 'exit' || words[i] === 'return' || replacesShell(words);
}

/**
 * The functions a command unsets: `unset -f` its names, and `unset` with neither -f nor -v (bash then unsets a function
 * where no variable is so named); none for `unset -v`. Also run by `command` or `builtin`.
 */
function unsets(words: ReadonlyArray<string>): string[] {
  let i = builtinAt(words, programAt(words));
  if (i < 0 || words[i] !== 'unset') return [];
  let options = '';
  for (i++; i < words.length && /^-./.test(words[i]); i++) {
    if (words[i] === '--') {
      i++;
      break;
    }
    options += words[i].slice(1);
  }
  return options.includes('v') && !options.includes('f') ? [] : words.slice(i);
}

/**
 * Whether a command is an eval the reader does not follow: one whose words the shell expands (`eval "$X"`: not known here),
 * or whose script defines, unsets or calls a function (`isFunction`: a name defined by then), or runs a program it expands
 * (`$CMD`), also in an eval in it; past MAX_EVAL_DEPTH evals, any eval.
 */
function evalUnfollowed(words: string[], isFunction: (name: string) => boolean, evals = 0): boolean {
  const i = builtinAt(words, programAt(words));
  if (i < 0 || words[i] !== 'eval') return false;
  if (evals >= MAX_EVAL_DEPTH || [...EXPANDED.get(words) ?? []].some((at) => at > i)) return true;
  return shellCommands(words.slice(i + 1).join(' ')).some((inner) => {
    const program = programAt(inner);
    return FUNCTION_OF.has(inner) || unsets(inner).length > 0 || (program < inner.length && isFunction(inner[program]))
      || EXPANDED.get(inner)?.has(program) === true || evalUnfollowed(inner, isFunction, evals + 1);
  });
}

/**
 * Whether a command's program (past `command` and `builtin`) is a name the shell expands from a parameter or a command
 * substitution (`$CMD`, `"${X}"`, `$(pick)`): not known here, it may be `exit`, `exec`, `return`, `eval` or a function,
 * never followed as one. One holding a `/` outside its expansions (`$HOME/bin/app`) is a path: a program only.
 */
function programNotKnown(words: ReadonlyArray<string>): boolean {
  const i = builtinAt(words, programAt(words));
  if (i < 0 || i >= words.length || EXPANDED.get(words as string[])?.has(i) !== true || !/[$`]/.test(words[i])) return false;
  return !words[i].replace(/\$\{[^}]*\}|\$\([^)]*\)|`[^`]*`/g, '').includes('/');
}

/**
 * The names a script's `alias` commands define (`alias e=exit`), anywhere in it, also in its evals' scripts: dash, BusyBox
 * ash and bash as sh (or with `shopt -s expand_aliases`) replace a command's first word so named by the alias's text, which
 * may be `exit` or `exec`. Not followed: a command so named is taken as perhaps ending the shell, wherever it is defined.
 */
function aliasesOf(commands: ReadonlyArray<string[]>, evals = 0): Set<string> {
  const names = new Set<string>();
  for (const words of commands) {
    const i = builtinAt(words, programAt(words));
    if (words[i] === 'eval' && evals < MAX_EVAL_DEPTH) for (const name of aliasesOf(shellCommands(words.slice(i + 1).join(' ')), evals + 1)) names.add(name);
    if (words[i] !== 'alias') continue;
    for (const operand of words.slice(i + 1)) if (operand.includes('=')) names.add(operand.slice(0, operand.indexOf('=')));
  }
  return names;
}

/** Whether a command is `exec` running a program, which replaces the shell: no EXIT trap runs then. */
function replacesShell(words: ReadonlyArray<string>): boolean {
  // Also run through `command` or `builtin` (`command exec /app/server`), which run the builtin named as it is.
  const i = builtinAt(words, programAt(words));
  return i >= 0 && words[i] === 'exec' && i + 1 < words.length;
}

/**
 * Whether a command (one of `commands`, as split) is `set` turning on -n (`set -n`, `set -en`, `set -o noexec`) before its
 * operands (`set -- -n` sets $1), also run by `command`, `builtin` or `eval`: not where it is run alone in the background
 * (`set -n &`) or piping into another (`set -n | cat`), which sets it in a child shell only.
 */
function setsNoexec(words: string[], commands: ReadonlyArray<string[]>, depth: number): boolean {
  const alone = !SUBSHELLS.has(words) && !GROUPED.has(words);
  if (alone && (ASYNC.has(words) || commands.some((command) => PIPED_FROM.get(command) === words))) return false;
  const i = builtinAt(words, programAt(words));
  if (words[i] === 'eval' && depth < MAX_SCRIPT_DEPTH) {
    const evaluated = shellCommands(words.slice(i + 1).join(' '));
    return evaluated.some((command) => !SUBSHELLS.has(command) && setsNoexec(command, evaluated, depth + 1));
  }
  return words[i] === 'set' && setOptionAt(words, i, 'n', 'noexec') === true;
}

/**
 * Whether the `set` at `i` turns a shell option (`letter`, or `name` after o) on or off, as the last of its options before its
 * operands (`set -- -n` sets $1) does; undefined where none does.
 */
function setOptionAt(words: ReadonlyArray<string>, i: number, letter: string, name: string): boolean | undefined {
  let on: boolean | undefined;
  for (i++; i < words.length && /^[-+]./.test(words[i]) && words[i] !== '--'; i++) ({ on, last: i } = optionAfter(words, i, on, letter, name, 'o'));
  return on;
}

/**
 * Whether a shell option (`letter`, or `name` after o: -n and `-o noexec`, -e and `-o errexit`) is on after an option word at
 * `j` (`-n`, `+e`, `-eo noexec`) of a shell or of `set`, as the last of -x and +x given turns it (`on`: as it was before, or
 * undefined where none has yet): its options in `withArg` taking the next words; the index of the last word read.
 */
function optionAfter<T extends boolean | undefined>(words: ReadonlyArray<string>, j: number, on: T, letter: string, name: string,
  withArg: string): { on: T | boolean; last: number } {
  const word = words[j];
  const turned = word[0] === '-';
  let now: T | boolean = on;
  let last = j;
  for (const c of word.slice(1)) {
    if (c === letter) now = turned;
    if (withArg.includes(c)) {
      last++;
      if (c === 'o' && words[last] === name) now = turned;
    }
  }
  return { on: now, last };
}

/**
 * What a command run in the shell itself leaves -e in: on or off as a `set` sets it (`set -e`, `set -euo pipefail`,
 * `set +o errexit`), also run by `command`, `builtin` or `eval`; undefined where it sets neither.
 */
function errexitSet(words: ReadonlyArray<string>, evals = 0): boolean | undefined {
  const i = builtinAt(words, programAt(words));
  if (words[i] === 'eval' && evals < MAX_EVAL_DEPTH) {
    let set: boolean | undefined;
    for (const inner of shellCommands(words.slice(i + 1).join(' '))) if (!SUBSHELLS.has(inner)) set = errexitSet(inner, evals + 1) ?? set;
    return set;
  }
  return words[i] === 'set' ? setOptionAt(words, i, 'e', 'errexit') : undefined;
}

/** Whether a literal status operand (`exit 1`, `return 2`) is one the shell reports as a failure: not 0 modulo 256. */
function failingStatus(word: string | undefined): boolean {
  return word !== undefined && /^\d+$/.test(word) && Number(word) % 256 !== 0;
}

/**
 * Whether a simple command surely fails, as -e reads it: `false`; `exit` with a failing status in a subshell (its status is
 * the subshell's, which -e reads in the shell), or `return` with one; an assignment whose only command substitution is
 * `$(false)` (or exits so). As the reader takes any other command as succeeding where it runs (`cd /app || exit 1` ends the
 * script only where cd fails), so does -e: a program, `cd` or `[` may fail, but taken as ending the script, the agent after
 * it would be read as not run, and the library would add a second agent (billed) to the task whose setup succeeds, as it
 * normally does. Where it fails instead, the container exits and its task stops, which is seen. Not `exit` in the shell
 * itself: it ends the shell whatever its status, -e or not, as `endsShell` reads it.
 */
function surelyFails(words: ReadonlyArray<string>): boolean {
  const i = builtinAt(words, programAt(words));
  if (i < 0) return false;
  if (i >= words.length) {
    const substituting = words.filter((word) => word.includes('$(') || word.includes('`'));
    const inner = substituting.length === 1 ? /^[A-Za-z_]\w*=(?:\$\(([^()`]*)\)|`([^`$]*)`)$/.exec(substituting[0]) : null;
    const run = (inner?.[1] ?? inner?.[2] ?? '').trim().split(/\s+/);
    return inner !== null && (run.join(' ') === 'false' || (run[0] === 'exit' && run.length === 2 && failingStatus(run[1])));
  }
  const program = words[i];
  if (program === 'exit') return SUBSHELLS.has(words as string[]) && i + 2 === words.length && failingStatus(words[i + 1]);
  if (program === 'return') return i + 2 === words.length && failingStatus(words[i + 1]);
  return program === 'false' || program === '/bin/false' || program === '/usr/bin/false';
}

/** How many evals in one another `changesScriptDirectory` reads. */
const MAX_EVAL_DEPTH = 4;

/**
 * Where the builtin a command runs is named, from its program at `i`: past `command` (its options and `--`) and `builtin`,
 * which run the builtin named after them (`command cd`, `builtin set -n`); -1 where `command -v` (-V) only says what it is.
 */
function builtinAt(words: ReadonlyArray<string>, i: number): number {
  while (words[i] === 'command' || words[i] === 'builtin') {
    i++;
    for (; words[i]?.startsWith('-') && words[i] !== '-'; i++) {
      if (words[i] === '--') { i++; break; }
      if (/^-[^-]*[vV]/.test(words[i])) return -1;
    }
  }
  return i;
}

/** The shell's builtins that change its working directory. */
const CHANGES_DIRECTORY = new Set(['cd', 'pushd', 'popd']);

/**
 * Whether a command of a script changes the shell's working directory: `cd` (pushd, popd) as it is, run through the
 * builtins that run a builtin (`command cd`, `builtin cd`), or in the words `eval` reads as a script (`eval 'cd /srv'`).
 */
function changesScriptDirectory(words: ReadonlyArray<string>, evals = 0): boolean {
  const i = builtinAt(words, programAt(words));
  if (i < 0 || i >= words.length) return false;
  // An eval in eval past MAX_EVAL_DEPTH is taken as changing it: not read again and again.
  if (words[i] === 'eval') return evals >= MAX_EVAL_DEPTH || shellCommands(words.slice(i + 1).join(' ')).some((inner) => changesScriptDirectory(inner, evals + 1));
  return CHANGES_DIRECTORY.has(words[i] ?? '');
}

/** A reading of a command run in a working directory not known here. */
function elsewhere(reading: Reading): Reading {
  return reading.cwd === undefined ? reading : { ...reading, cwd: undefined };
}

/**
 * Whether a wrapper (its option words given) runs its command in another working directory: chroot always; su and runuser
 * as a login (`-`, `-l`, `--login`: the user's home); env's -C and --chdir, sudo's -D, -i and -R (and their long forms), chpst's
 * -C and -/, start-stop-daemon's -d (a short option in a cluster counted too, `-iu`).
 */
function changesDirectory(program: string, options: ReadonlyArray<string>): boolean {
  if (program === 'chroot') return true;
  const chdir = CHDIR_OPTIONS[program];
  if (chdir === undefined) return false;
  return options.some((word) => word === '-' && chdir.dash || chdir.long.some((name) => word === `--${name}` || word.startsWith(`--${name}=`))
    || (/^-[^-]/.test(word) && [...word.slice(1)].some((c) => chdir.short.includes(c))));
}

const CHDIR_OPTIONS: Record<string, { readonly short: string; readonly long: string[]; readonly dash?: boolean }> = {
  'env': { short: 'C', long: ['chdir'] },
  'sudo': { short: 'DiR', long: ['chdir', 'login', 'chroot'] },
  'su': { short: 'l', long: ['login'], dash: true },
  'runuser': { short: 'l', long: ['login'], dash: true },
  'chpst': { short: 'C/', long: [] },
  'start-stop-daemon': { short: 'dr', long: ['chdir', 'chroot'] },
};

/**
 * The simple commands a POSIX shell runs from a script, each its words with quotes removed: split at blanks, at `;`, `&`,
 * `|`, `(`, `)` and newlines outside quotes, with no redirection (`>/dev/null`, `2>&1`, glued or not) nor its target, no
 * comment, nor the word list of a `for` or `case` (not run); and the commands of each command substitution (`$(...)`,
 * backquotes), which the shell runs too. A heredoc's body is the input of its command (`HEREDOC_BODIES`), not commands.
 */
function shellCommands(script: string): string[][] {
  return new ShellSplitter(script, 0).commands;
}

/**
 * The bodies of the heredocs a simple command (its words, as split) takes as its standard input, in order: undefined for
 * one whose text is not known here (its delimiter unquoted, it expands a parameter or a command substitution).
 */
const HEREDOC_BODIES = new WeakMap<string[], Array<string | undefined>>();

/**
 * The words of a simple command (their indexes) in which the shell expands something (a parameter, a command substitution,
 * arithmetic, a glob or a tilde, outside single quotes): their text is not known here, only as written.
 */
const EXPANDED = new WeakMap<string[], Set<number>>();

/**
 * The last redirection of a simple command's standard input (`<file`, `<<EOF`, `<<<word`, `0<&3`), which replaces the ones
 * before it and the pipe: `heredoc` its last heredoc's body, `string` its here-string's word (`HERE_STRINGS`), `other` any other.
 */
const STDIN_FROM = new WeakMap<string[], 'heredoc' | 'string' | 'other'>();

/** The word of a simple command's last here-string (`<<<word`), where that is its standard input. */
const HERE_STRINGS = new WeakMap<string[], string>();

/**
 * The redirections (the words after its `)` or its `}`) of the subshell or group a simple command is in, whose standard
 * input it reads where it has its own redirected (`(sh) </dev/null`).
 */
const ENCLOSED_IN = new WeakMap<string[], string[]>();

/**
 * A subshell or a group open: where its commands start among those split, what is piped into it, and the function it is
 * the body of (`f() { ...; }`, `f() ( ... )`), if any.
 */
interface Enclosing {
  readonly from: number;
  readonly piped: string[] | undefined;
  readonly function?: FunctionDefinition;
}

/**
 * What a name is as a function: one definition; 'unknown' where the shell may or may not have defined it; or the
 * definitions of each branch of an if, one of which the shell made.
 */
type Defined = FunctionDefinition | 'unknown' | FunctionDefinition[];

/** One definition of a shell function, by its name: its body's commands are those `FUNCTION_OF` maps to it. */
interface FunctionDefinition {
  readonly name: string;
  /** The function in whose body it is defined (`a() { b() { ...; }; }`): it is defined only as that function runs. */
  readonly within?: FunctionDefinition;
  /**
   * Whether the shell (or the body of the function it is `within`) defines it each time it reaches it, in itself: not in a
   * subshell, a command substitution, a branch, after && or ||, nor in a pipeline (each of whose commands runs in a subshell:
   * `f() { ...; } | cat`, set false once the pipe is read). Else it may or may not be defined after it.
   */
  sure: boolean;
}

/**
 * An `if` read: its opening command (`if ...`), the index of that command among those split, how many branches (`then`,
 * `else`) it has so far, whether its condition or an `elif`'s is read, and whether it has an else.
 */
interface IfBranches {
  readonly opening: string[];
  readonly from: number;
  branches: number;
  inCondition: boolean;
  hasElse: boolean;
}

/** A definition made directly in a branch of an `if` (`of`), by the branch's index, where nothing else guards it. */
const BRANCH_OF = new WeakMap<FunctionDefinition, { readonly of: IfBranches; readonly branch: number }>();

/**
 * Marks a function as defined in a subshell only (its definition piped: `f() { ...; } | cat`): the shell after it may or
 * may not have it, nor is it one of an if's branches' definitions.
 */
function definedInSubshell(definition: FunctionDefinition | undefined): void {
  if (definition === undefined) return;
  definition.sure = false;
  BRANCH_OF.delete(definition);
}

/** A `while` or `until` loop: its opening command, and whether its condition always holds (`while :`, `until false`). */
interface Loop {
  readonly opening: string[];
  always: boolean;
}

/** The `done` (its words) closing each `while` or `until` loop. */
const LOOP_ENDS = new WeakMap<string[], Loop>();

/** The `fi` (its words) closing each `if`. */
const IF_ENDS = new WeakMap<string[], IfBranches>();

/** The simple commands of a function's body (its innermost), run only where the function is called after it is defined. */
const FUNCTION_OF = new WeakMap<string[], FunctionDefinition>();

/**
 * The simple commands that may not run each time the script reaches them, or not in the shell itself: in a command
 * substitution, a subshell, a group (a function's body too), a branch or body of a compound command (`if`, `while`, `until`,
 * `for`, `case`, `select`: not the first condition of an `if`, `while` or `until`, run each time), after a reserved word
 * (`then`, `elif`), or after `&&` or `||`.
 */
const GUARDED = new WeakSet<string[]>();

/**
 * The simple commands of a function's body (a group) that run each time the function is called: in no subshell, branch or
 * body of a compound command, or guarded group within the body, after no && nor ||, nor a reserved word (but `if`, `while`, `until`).
 */
const RUN_IN_BODY = new WeakSet<string[]>();

/**
 * The simple commands of an asynchronous list (`sh &`, `(sh) &`, the commands of `cat | sh &`): a shell without job control
 * (any running a script) gives them /dev/null as their standard input, before their own redirections and pipes (POSIX 2.9.3.1).
 */
const ASYNC = new WeakSet<string[]>();

/**
 * The subshells (the words after each `)`, innermost first) a simple command is in: a `set -n` there stops the later
 * commands of its subshell only.
 */
const SUBSHELLS = new WeakMap<string[], string[][]>();

/** The simple commands run in a child of the shell not marked otherwise: in a command substitution, or a group piping into another command. */
const FORKED = new WeakSet<string[]>();

/**
 * The simple commands holding bash 5.3's `${ ...; }` or `${| ...; }`, whose commands run in the shell itself: not followed,
 * such a command is taken as perhaps ending the shell.
 */
const CURRENT_SHELL = new WeakSet<string[]>();

/**
 * The simple commands in a `${ ...; }` or `${| ...; }`, which only bash 5.3 and later runs: bash before it and dash
 * refuse it as a bad substitution and exit, running none. None is taken as running the agent (a wrong yes leaves the task
 * with no agent); the command holding it is taken as perhaps ending the shell (`CURRENT_SHELL`).
 */
const IN_SHELL_SUBSTITUTION = new WeakSet<string[]>();

/**
 * The simple commands whose status the shell tests, on which -e ends nothing: followed by `&&` or `||` (or in a group so
 * followed), or in the condition of an `if`, `elif`, `while` or `until`.
 */
const TESTED = new WeakSet<string[]>();

/** The simple commands of a group (`{ ...; }`). */
const GROUPED = new WeakSet<string[]>();

/** The groups (`{ ...; }`, not a function's body) a simple command is in, each by its closing `}`, the innermost first. */
const GROUPS = new WeakMap<string[], string[][]>();

/** The first commands of asynchronous lists in a subshell or group, piped into from outside it (`echo ... | { sh & }`): `ASYNC`. */
const UNPIPED = new WeakSet<string[]>();

/** The simple commands whose standard output is redirected (`>file`, `>&2`, `1>>log`): they write nothing into a pipe. */
const STDOUT_REDIRECTED = new WeakSet<string[]>();

/** Gives the words of a command run in another's stead (`su`'s shell) the standard input given the other. */
function inputOf(from: string[], to: string[]): void {
  const bodies = HEREDOC_BODIES.get(from);
  if (bodies !== undefined) HEREDOC_BODIES.set(to, bodies);
  const stdin = STDIN_FROM.get(from);
  if (stdin !== undefined) STDIN_FROM.set(to, stdin);
  const text = HERE_STRINGS.get(from);
  if (text !== undefined) HERE_STRINGS.set(to, text);
  const source = PIPED_FROM.get(from);
  if (source !== undefined) PIPED_FROM.set(to, source);
  const enclosing = ENCLOSED_IN.get(from);
  if (enclosing !== undefined) ENCLOSED_IN.set(to, enclosing);
}

/**
 * What a command reads as its standard input, where it is known here: its last heredoc's body where that is its last
 * redirection of it, none where another is, else what is piped into it (`pipedInto`). Each a reading of it.
 */
function givenInput(words: string[], hops: number): string[] {
  const stdin = STDIN_FROM.get(words);
  if (stdin === undefined && (!PIPED_FROM.has(words) || UNPIPED.has(words)) && ASYNC.has(words)) return [];
  const enclosing = stdin === undefined ? ENCLOSED_IN.get(words) : undefined;
  if (enclosing !== undefined) return givenInput(enclosing, hops);
  if (stdin === 'heredoc') {
    const body = (HEREDOC_BODIES.get(words) ?? []).slice(-1);
    return body.length > 0 && body[0] !== undefined ? [body[0]] : [];
  }
  if (stdin === 'string') return [HERE_STRINGS.get(words) ?? ''];
  return stdin === 'other' ? [] : pipedInto(words, hops);
}

/** The command before a simple command in a pipeline (`echo ... | sh`), whose output it takes as its input. */
const PIPED_FROM = new WeakMap<string[], string[]>();

/** How many commands of a pipeline back (`echo ... | cat | sh`) what a command is given is followed. */
const MAX_PIPED = 8;

/**
 * What a command is given through a pipe, where the command before it is one whose output is known here: echo's words (two
 * readings where one holds a backslash: echo in dash reads escapes, bash's without -e does not), printf's format with its
 * arguments, cat's heredoc or its own input (with no file named), tee's. Empty where none is known.
 */
function pipedInto(words: string[], hops: number): string[] {
  const source = PIPED_FROM.get(words);
  // A command whose output goes to a file (`echo ... >/tmp/x | sh`) gives the pipe nothing.
  if (source === undefined || hops >= MAX_PIPED || STDOUT_REDIRECTED.has(source)) return [];
  const i = programAt(source);
  const program = (source[i] ?? '').slice(source[i]?.lastIndexOf('/') + 1);
  const operands = source.slice(i + 1);
  // What echo or printf print from a word the shell expands (`"$(echo 'exit 0')"`, `"$X"`) is not its text as written.
  const expanded = EXPANDED.get(source);
  if ((program === 'echo' || program === 'printf') && expanded !== undefined && [...expanded].some((at) => at > i)) return [];
  if (program === 'echo') {
    // bash's -n, -e and -E, in any cluster; the first other word starts the text.
    let k = 0;
    while (k < operands.length && /^-[neE]+$/.test(operands[k])) k++;
    const text = operands.slice(k).join(' ');
    return text.includes('\\') ? [text, unescaped(text)] : [text];
  }
  if (program === 'printf') {
    const args = operands[0] === '--' ? operands.slice(1) : operands;
    return args.length === 0 ? [] : [formatted(args[0], args.slice(1))];
  }
  // cat with no file named, and tee (which writes its input to the files named too), give their input: the last heredoc
  // given (each replaces the one before as the standard input), else what is piped into them.
  if ((program === 'cat' && operands.every((word) => word === '-')) || program === 'tee') return givenInput(source, hops + 1);
  return [];
}

/** The escapes printf reads in its format and in the argument of `%b` (and dash's echo in its words). */
const ESCAPES: Record<string, string> = { 'n': '\n', 't': '\t', 'r': '\r', '\\': '\\', 'a': '\x07', 'b': '\b', 'f': '\f', 'v': '\v' };

function unescaped(text: string): string {
  return text.replace(/\\(0?[0-7]{1,3}|.)/gs, (match, c: string) => /^[0-7]/.test(c) ? String.fromCharCode(parseInt(c, 8)) : ESCAPES[c] ?? match);
}

/**
 * printf's output: its format's escapes read, `%%` a percent sign, each other conversion the next argument (`%b` with its
 * escapes read; the width and precision of one are not applied), the format used again while arguments are left.
 */
function formatted(format: string, args: ReadonlyArray<string>): string {
  let out = '';
  let next = 0;
  do {
    const before = next;
    out += format.replace(/%%|%[-+ #0]*\d*(?:\.\d*)?([a-zA-Z])|\\(0?[0-7]{1,3}|.)/gs, (match, conversion?: string, escape?: string) => {
      if (match === '%%') return '%';
      if (escape !== undefined) return unescaped(match);
      const arg = args[next++] ?? '';
      return conversion === 'b' ? unescaped(arg) : arg;
    });
    if (out.length > SCRIPT_BUDGET) throw new TooLong();
    if (next === before) break;
  } while (next < args.length);
  return out;
}

/** The escapes of `$'...'` named by a letter or the character escaped, as bash reads them: printf's, and these. */
const ANSI_ESCAPES: Record<string, string> = { ...ESCAPES, 'e': '\x1b', 'E': '\x1b', "'": "'", '"': '"', '?': '?' };

/** What follows a `$` the shell expands: a parameter's name, number or special character, `${`, `$(` (and `$((`). */
const EXPANSION = /^[A-Za-z_0-9{(@*#?$!-]$/;

/** An unquoted character of a glob, which the shell replaces with the names of the files it matches (where any does). */
const GLOB = /^[*?[]$/;

/**
 * The text of a heredoc whose delimiter is unquoted, as its command reads it: a backslash escaping `$`, '`' and itself, and
 * joining lines; undefined where the shell expands something in it (a parameter, a command substitution), its text then not
 * known here.
 */
function expandedBody(body: string): string | undefined {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\' && '$`\\\n'.includes(body[i + 1] ?? ' ')) {
      if (body[i + 1] !== '\n') out += body[i + 1];
      i++;
    } else if (c === '`' || (c === '$' && EXPANSION.test(body[i + 1] ?? ''))) {
      return undefined;
    } else {
      out += c;
    }
  }
  return out;
}

/** How deep command substitutions in one another are read (each is a call deeper); past it, the rest is one word. */
const MAX_SUBSTITUTION_DEPTH = 64;

class ShellSplitter {
  readonly commands: string[][] = [];
  private words: string[] = [];
  private word: string | undefined;
  private redirected = false;
  /** Whether the redirection whose target is read is a heredoc's (`<<`, `<<-`), and whether it strips tabs. */
  private heredoc: { readonly chomp: boolean } | undefined;
  /** The file descriptor the redirection whose target is read redirects, and whether it duplicates one (`<&`, `>&`) or is a here-string. */
  private redirection: { readonly fd: number; readonly duplicate?: boolean; readonly string?: boolean } | undefined;
  /**
   * The heredocs opened on the line at hand: their ending words, the command (its words) whose input each is, and whether
   * they are its standard input (not `3<<EOF`).
   */
  private pending: Array<{
    readonly delimiter: string; readonly chomp: boolean; readonly command: string[]; readonly stdin: boolean; readonly expands: boolean;
  }> = [];
  /**
   * Whether the word at hand has a part the shell expands (`EXPANDED`), and one quoted or escaped (a heredoc's delimiter so
   * quoted expands nothing in its body).
   */
  private expanded = false;
  private quoted = false;
  /** Where the first unquoted `{` of the word at hand not closed by a `}` after a `,` or `..` is, for a brace expansion. */
  private brace: number | undefined;
  /** How far after `brace` the script was looked at for a `,` or `..`. */
  private braceSeen = 0;
  /** The command before a `|`, whose output the next command takes as its input. */
  private piped: string[] | undefined;
  private last: string[] | undefined;
  /** How many commands have ended (a group's closing `}` not counted), and that count at the first command of each group open. */
  private ended = 0;
  /**
   * `bodyGuarded`: whether its commands may not run each time the function whose body encloses it is called; a body's
   * `subshells` and `compound`: how many of those were open where it opened.
   */
  private groups: Array<{
    readonly ended: number;
    readonly guarded: boolean;
    readonly bodyGuarded: boolean;
    readonly subshells: number;
    readonly compound: number;
  } & Enclosing> = [];
  /** The commands of the group whose `}` ended the command just split: a `|` after it runs them in a subshell. */
  private closedGroup: string[][] | undefined;
  /** The function whose body (a group or a subshell) ended the command just split: a `|` after it defines it in a subshell only. */
  private closedBody: FunctionDefinition | undefined;
  /** That count at each subshell open (`(`), as for groups, with how many `case`s were open there. */
  private subshells: Array<{ readonly ended: number; readonly cases: number } & Enclosing> = [];
  /** How many commands were split when the command at hand started. */
  private started = 0;
  /** How many `case ... esac` are open, in which a `)` may end a pattern rather than a subshell. */
  private cases = 0;
  /** Whether a pattern of a case is read (after its `in`, and after each `;;`): its words are matched against, not run. */
  private pattern = false;
  /**
   * Where the command before was `case word` or `for name` (`select name`), their `in` not yet read: the shell reads it on
   * a line after (`case $1<newline>in`), and that line's words are the case's or the loop's, not a command.
   */
  private awaitingIn: 'case' | 'for' | undefined;
  /**
   * The words after a subshell's `)` (none but its redirections, which land there), and the one command it held, whose
   * output is the subshell's where its own is not redirected; undefined where it held none or more.
   */
  private closed: ({ readonly words: string[]; readonly inner: string[] | undefined } & Enclosing) | undefined;
  /** Whether the command ending is followed by `&&` or `||` (`TESTED`). */
  private tested = false;
  /** Whether the command at hand holds a `${ ...; }` (`CURRENT_SHELL`). */
  private currentShell = false;
  /** Whether the command ending is run in the background (`&`): `ASYNC`. */
  private async = false;
  /** Whether the next command follows `&&` or `||`. */
  private andOr = false;
  /**
   * The compound commands open (`if`, `while`, `until`, `for`, `case`, `select`), innermost last: true for one whose first
   * condition is read (after its `if`, `while` or `until`, before its `then` or `do`), which the shell runs each time it
   * reaches the compound command (`if ! { exit 0; }; then` exits), false once in a branch or a loop's body, or a `for` or `case`.
   */
  private compounds: boolean[] = [];
  /** For each compound command open (as `compounds`), the `if` it is, with the branch read; undefined for any other. */
  private ifs: Array<IfBranches | undefined> = [];
  /** For each compound command open (as `compounds`), the `while` or `until` loop it is; undefined for any other. */
  private loops: Array<Loop | undefined> = [];
  /** The function whose name was read (`f()`, `function f`) and whose body has not yet opened. */
  private defining: FunctionDefinition | undefined;
  private i = 0;

  constructor(private readonly script: string, private readonly depth: number, closing?: string) {
    this.split(closing);
  }

  /** Reads up to the unquoted `closing` (the `)` of a `$(`), or the end; the index past where it stopped. */
  get end(): number {
    return this.i;
  }

  private split(closing?: string): void {
    const s = this.script;
    let parens = 0;
    for (; this.i < s.length; this.i++) {
      const c = s[this.i];
      if (c === '\\') {
        // A backslash before a newline joins the lines; before any other character, keeps it.
        if (s[this.i + 1] !== '\n') {
          this.add(s[this.i + 1] ?? '');
          this.quoted = true;
        }
        this.i++;
      } else if (c === "'") {
        this.quoted = true;
        const close = s.indexOf("'", this.i + 1);
        this.add(s.slice(this.i + 1, close < 0 ? s.length : close));
        this.i = close < 0 ? s.length : close;
      } else if (c === '"') {
        this.doubleQuoted();
      } else if (c === '$' && s[this.i + 1] === "'") {
        this.ansiQuoted();
      } else if (c === '$' && s[this.i + 1] === '(' || c === '`' || this.opensCurrentShellSubstitution()) {
        this.substitution(false);
      } else if (c === '$' && EXPANSION.test(s[this.i + 1] ?? '')
        || (GLOB.test(c) && !this.redirected) || (c === '~' && this.word === undefined)) {
        this.expanded = true;
        this.add(c);
      } else if (c === '}' && closing === '}' && this.word === undefined && this.words.length === 0 && this.groups.length === 0) {
        // The `}` closing a `${ ...; }`, where a command would start and no group is open in it.
        this.endCommand();
        return;
      } else if ((c === '{' || c === '}') && !this.redirected) {
        // bash's, ksh's and zsh's brace expansion (`ex{it,}`, `{1..3}`) makes words of a word holding `{`, then `,` or `..`,
        // then `}` unquoted: the shell running the script may be one of them, so the word's text is not known here.
        // A `}` with no `,` or `..` since the `{` closes nothing (bash makes `{x}';'exit,}` the words `x};exit` and ``): the
        // `{` stays open. Each `}` looks back only past what the one before looked at: every character once, however many braces.
        if (c === '{') {
          this.brace ??= this.i;
        } else if (this.brace !== undefined) {
          const from = Math.max(this.brace, this.braceSeen - 1);
          this.braceSeen = this.i;
          if (/,|\.\./.test(s.slice(from, this.i))) {
            this.expanded = true;
            this.brace = undefined;
          }
        }
        this.add(c);
      } else if (c === '#' && this.word === undefined) {
        const newline = s.indexOf('\n', this.i);
        this.i = (newline < 0 ? s.length : newline) - 1;
      } else if (c === ' ' || c === '\t') {
        this.endWord();
      } else if (c === '<' || c === '>' || (c === '&' && s[this.i + 1] === '>' && !'&|'.includes(s[this.i - 1] ?? ' '))) {
        // Digits right before the operator are the file descriptor it redirects (`2>&1`), not a word. bash's `&>file` (and
        // `&>>`) redirects the output and the error; dash reads it as `&` then `>file`: either way the command's output
        // goes into no pipe.
        const numbered = c !== '&' && this.word !== undefined && /^\d+$/.test(this.word);
        const fd = numbered ? Number(this.word) : c === '<' ? 0 : 1;
        if (numbered) this.word = undefined;
        this.endWord();
        const operator = this.i;
        while ('<>&|-'.includes(s[this.i + 1] ?? ' ')) this.i++;
        // `<<` and `<<-` open a heredoc (`<<<` is a here-string): its body, the lines after this one, is the command's input.
        const written = s.slice(operator, this.i + 1);
        if (written === '<&-' || written === '>&-') {
          // `<&-` and `>&-` close the descriptor and take no word: a closed input gives the command nothing, a closed output passes nothing on.
          if (fd === 0) STDIN_FROM.set(this.words, 'other');
          if (fd === 1) STDOUT_REDIRECTED.add(this.words);
          continue;
        }
        this.heredoc = written === '<<' || written === '<<-' ? { chomp: written === '<<-' } : undefined;
        this.redirection = { fd, duplicate: written === '<&' || written === '>&', string: written === '<<<' };
        this.redirected = true;
      } else if (c === '(' && s[this.i + 1] === '(' && this.opensArithmetic() && this.arithmeticEnd() >= 0) {
        // `((...))` opening a command is arithmetic in bash, ksh and zsh (`((sh))` runs nothing), nested subshells in dash:
        // its words are not read as commands, as not every reading runs them. One word, so that it is a command of its own.
        // So is the `((init; test; step))` of bash's for loop (`for ((sh;;))`), a syntax error in dash.
        this.endWord();
        const end = this.arithmeticEnd();
        this.add(s.slice(this.i, end + 1));
        this.i = end;
      } else if (this.pattern && '|()'.includes(c) && this.word !== 'esac' && !(this.words.length === 1 && this.words[0] === 'esac')) {
        // A case's pattern (`a|b)`, `(a)`) is matched against, not run: its words are no command, its `(` opens no subshell,
        // its `)` closes none (nor a command substitution).
        this.endWord();
        this.words = [];
        if (c === ')') {
          this.pattern = false;
          this.piped = undefined;
        }
      } else if (c === ')' && closing === ')' && parens === 0) {
        this.endCommand();
        return;
      } else if (c === '(' && this.definesFunction()) {
        // `f()` (`function f()`): the body, the group or subshell after it, is run only where f is called.
        this.words = [];
        this.word = undefined;
        this.expanded = false;
        this.quoted = false;
        this.i = s.indexOf(')', this.i);
      } else if (';&|()\n'.includes(c)) {
        // A heredoc's body is input, not commands: read past it (a shell reading it runs it: `shellRunsAgentAt`).
        if (c === '\n') this.endWord();
        if (c === '\n' && this.pending.length > 0) this.readHeredocs();
        if (c === '(') parens++;
        if (c === ')') parens--;
        // A lone `&` (not `&&`, bash's `|&` or a case's `;&`) runs the list before it in the background.
        this.async = c === '&' && s[this.i + 1] !== '&' && !'&|;'.includes(s[this.i - 1] ?? ' ');
        this.tested = (c === '&' || c === '|') && s[this.i + 1] === c;
        this.endCommand();
        this.tested = false;
        this.async = false;
        if ((c === '&' && s[this.i + 1] === '&') || (c === '|' && s[this.i + 1] === '|')) this.andOr = true;
        if (c === ')') this.pattern = false;
        // `;;` (bash's `;&`, `;;&`) ends a case's branch: a pattern follows, or esac.
        if (this.cases > 0 && (c === ';' || c === '&') && s[this.i - 1] === ';') this.pattern = true;
        if (c === '(' && this.pattern) continue;
        if (c === '(') {
          if (this.piped !== undefined) definedInSubshell(this.defining);
          this.subshells.push({ ended: this.ended, cases: this.cases, from: this.commands.length, piped: this.piped, function: this.defining });
          this.defining = undefined;
        }
        if (c === ')') this.closeSubshell();
        // A lone `|` (not `||`) pipes the command before it into the next; `;`, `&` (but `|&`) and `)` end a pipeline.
        if (c === '|' && s[this.i + 1] !== '|' && s[this.i - 1] !== '|') {
          this.piped = this.last;
          // A group piping into another command runs in a subshell: its exit or exec ends that subshell only, and the
          // functions it defines (`{ f() { ...; }; } | cat`) are not defined in the shell after it.
          for (const command of this.closedGroup ?? []) {
            GUARDED.add(command);
            FORKED.add(command);
            for (let made = FUNCTION_OF.get(command); made !== undefined; made = made.within) definedInSubshell(made);
          }
          definedInSubshell(this.closedBody);
        } else if (c === ';' || c === ')' || (c === '&' && s[this.i - 1] !== '|')) {
          this.piped = undefined;
        }
      } else {
        this.add(c);
      }
    }
    this.endCommand();
  }

  private doubleQuoted(): void {
    const s = this.script;
    this.quoted = true;
    this.add('');
    for (this.i++; this.i < s.length && s[this.i] !== '"'; this.i++) {
      const c = s[this.i];
      if (c === '\\' && '$`"\\\n'.includes(s[this.i + 1] ?? '')) {
        if (s[this.i + 1] !== '\n') this.add(s[this.i + 1]);
        this.i++;
      } else if (c === '$' && s[this.i + 1] === '(' || c === '`' || this.opensCurrentShellSubstitution()) {
        this.substitution(true);
      } else {
        // In double quotes `$NAME`, `${...}` and `$1` are expanded too, unlike in single quotes.
        if (c === '$' && EXPANSION.test(s[this.i + 1] ?? '')) this.expanded = true;
        this.add(c);
      }
    }
  }

  /**
   * `$'...'` at `i` (bash, ksh, zsh, BusyBox ash, POSIX.1-2024): the characters up to the `'` not escaped, their backslash
   * escapes read as bash reads them.
   */
  private ansiQuoted(): void {
    const s = this.script;
    this.quoted = true;
    this.add('');
    for (this.i += 2; this.i < s.length && s[this.i] !== "'"; this.i++) {
      if (s[this.i] !== '\\') {
        this.add(s[this.i]);
        continue;
      }
      const escape = /^\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|u([0-9a-fA-F]{1,4})|U([0-9a-fA-F]{1,8})|c(.)|(.))/s.exec(s.slice(this.i, this.i + 10));
      if (!escape) break;
      const [match, octal, hex, u4, u8, control, other] = escape;
      const code = octal !== undefined ? parseInt(octal, 8) : hex ?? u4 ?? u8 ? parseInt((hex ?? u4 ?? u8)!, 16) : undefined;
      if (code !== undefined) this.add(code <= 0x10ffff ? String.fromCodePoint(code) : '');
      else if (control !== undefined) this.add(String.fromCharCode(control.charCodeAt(0) % 32));
      else this.add(ANSI_ESCAPES[other] ?? `\\${other}`);
      this.i += match.length - 1;
    }
  }

  /**
   * A command substitution at `i` (`$(...)`, or backquotes): its commands run; the word keeps its text. `$((...))` is arithmetic.
   * In backquotes a backslash escapes `$`, '`' and itself, and `"` too within double quotes (`quoted`).
   */
  private substitution(quoted: boolean): void {
    const s = this.script;
    const start = this.i;
    this.expanded = true;
    if (s[this.i + 1] === '{') {
      // bash 5.3's `${ ...; }` (and `${| ...; }`) runs its commands in the shell itself: an exit there ends the shell.
      // Not followed: the command holding it is taken as perhaps ending the shell (`CURRENT_SHELL`).
      this.currentShell = true;
      if (this.depth >= MAX_SUBSTITUTION_DEPTH) {
        this.i = s.length;
      } else {
        const from = this.i + (s[this.i + 2] === '|' ? 3 : 2);
        const inner = new ShellSplitter(s.slice(from), this.depth + 1, '}');
        for (const command of inner.commands) IN_SHELL_SUBSTITUTION.add(command);
        this.commands.push(...inner.commands);
        this.i = from + inner.end;
      }
    } else if (s[this.i] === '`') {
      let close = this.i + 1;
      while (close < s.length && s[close] !== '`') close += s[close] === '\\' ? 2 : 1;
      if (this.depth < MAX_SUBSTITUTION_DEPTH) {
        const escaped = quoted ? /\\([$`\\"])/g : /\\([$`\\])/g;
        this.commands.push(...new ShellSplitter(s.slice(this.i + 1, close).replace(escaped, '$1'), this.depth + 1).commands);
      }
      this.i = Math.min(close, s.length);
    } else if (this.depth >= MAX_SUBSTITUTION_DEPTH) {
      this.i = s.length;
    } else if (s[this.i + 2] === '(') {
      const close = s.indexOf('))', this.i);
      this.i = close < 0 ? s.length : close + 1;
    } else {
      const inner = new ShellSplitter(s.slice(this.i + 2), this.depth + 1, ')');
      this.commands.push(...inner.commands);
      this.i += 2 + inner.end;
    }
    this.add(s.slice(start, this.i + 1));
  }

  /** Whether a `$` at `i` opens bash 5.3's `${ ...; }` or `${| ...; }`: `${` then a blank, a newline or `|`. */
  private opensCurrentShellSubstitution(): boolean {
    return this.script.startsWith('${', this.i) && /^[ \t\n|]/.test(this.script[this.i + 2] ?? '');
  }

  private add(text: string): void {
    this.word = (this.word ?? '') + text;
  }

  private endWord(): void {
    if (this.word === undefined) return;
    const expanded = this.expanded;
    const quoted = this.quoted;
    this.expanded = false;
    this.quoted = false;
    this.brace = undefined;
    if (!this.redirected) this.words.push(this.word);
    if (!this.redirected && expanded) {
      const indexes = EXPANDED.get(this.words) ?? new Set<number>();
      indexes.add(this.words.length - 1);
      EXPANDED.set(this.words, indexes);
    }
    const opensPatterns = !this.redirected && this.word === 'in' && ((this.words.find((word) => !RESERVED.has(word)) === 'case'
      && this.words.length - this.words.indexOf('case') === 3) || (this.words.length === 1 && this.awaitingIn === 'case'));
    // Any redirection of descriptor 0 replaces the standard input, whichever way it opens it: `0>&3` makes it a copy of 3,
    // `0>file` a file open for writing, from which the command reads nothing. Any of descriptor 1 replaces the output so.
    const fd = this.redirected ? this.redirection?.fd : undefined;
    const stdin = fd === 0;
    if (this.redirected && this.heredoc) {
      this.pending.push({ delimiter: this.word, chomp: this.heredoc.chomp, command: this.words, stdin, expands: !quoted });
    }
    // `<&0` (`0>&0`, `>&1`) duplicates the descriptor onto itself: it stays what it was (the pipe, the heredoc).
    const itself = this.redirection?.duplicate === true && this.word === String(fd);
    const string = this.redirection?.string === true;
    // A here-string the shell expands (`<<<"$(...)"`) gives a text not known here.
    if (stdin && !itself) STDIN_FROM.set(this.words, this.heredoc ? 'heredoc' : string && !expanded ? 'string' : 'other');
    if (stdin && string) HERE_STRINGS.set(this.words, this.word);
    if (fd === 1 && !itself) STDOUT_REDIRECTED.add(this.words);
    this.redirected = false;
    this.redirection = undefined;
    this.heredoc = undefined;
    this.word = undefined;
    // `case word in` ends there: what follows is its first pattern.
    if (opensPatterns) {
      this.endCommand();
      this.pattern = true;
    }
    // bash's `function f`: its body follows, with or without `()`; after reserved words too (`then function f`, `{ function f`).
    const reserved = this.reservedBefore(this.words);
    if (this.words.length === reserved + 2 && this.words[reserved] === 'function' && FUNCTION_NAME.test(this.words[reserved + 1])) {
      const name = this.words[reserved + 1];
      this.words = this.words.slice(0, reserved);
      this.define(name);
    }
  }

  /**
   * Whether a command ending now may not run each time the function whose body (a group) it is in is called: true where it
   * is in no such body.
   */
  private guardedInBody(): boolean {
    let at = this.groups.length - 1;
    while (at >= 0 && this.groups[at].function === undefined) at--;
    if (at < 0) return true;
    const body = this.groups[at];
    return this.subshells.length > body.subshells || this.inBranch(body.compound) || this.andOr
      || this.groups.slice(at + 1).some((group) => group.bodyGuarded);
  }

  /**
   * Whether a command ending now may not run each time the shell reaches it, or not in the shell itself: in a command
   * substitution, a subshell or a guarded group, after && or ||, or (`branches`) in a branch or a loop's body.
   */
  private mayNotRun(branches = true): boolean {
    return this.depth > 0 || this.subshells.length > 0 || this.groups.some((group) => group.guarded) || (branches && this.inBranch())
      || this.andOr;
  }

  /**
   * Whether the status of the command ending now is tested (`TESTED`): followed by && or ||, or in the condition of an `if`,
   * `while` or `until`; an `elif`'s too (its compound no longer read as in its first condition: `compounds`).
   */
  private statusTested(): boolean {
    return this.tested || this.compounds.some((condition) => condition) || this.ifs.some((open) => open?.inCondition === true);
  }

  /** Whether a compound command open (from the `from`th on) is in a branch or a loop's body, which may not run each time it is reached. */
  private inBranch(from = 0, to = this.compounds.length): boolean {
    return this.compounds.slice(from, to).some((condition) => !condition);
  }

  /** Whether a `(` at `i` is that of `f()` (or `function f()`, with blanks before its `)`): the name read before it. */
  private definesFunction(): boolean {
    if (this.redirected || this.pattern || !/^[ \t]*\)/.test(this.script.slice(this.i + 1, this.i + 64))) return false;
    const read = [...this.words, ...this.word === undefined ? [] : [this.word]];
    if (read.length === 0) return this.defining !== undefined;
    // After reserved words (`{ b() { ...; }; }`, `then f() ...`), which open what the definition is in.
    const reserved = this.reservedBefore(read);
    const rest = read.slice(reserved);
    const name = rest.length === 1 ? rest[0] : rest.length === 2 && rest[0] === 'function' ? rest[1] : undefined;
    if (name === undefined || !FUNCTION_NAME.test(name) || this.quoted || this.expanded) return false;
    this.word = undefined;
    this.words = read.slice(0, reserved);
    this.define(name);
    return true;
  }

  /** How many reserved words (`{`, `then`, `do`, ...) a command's words start with. */
  private reservedBefore(words: ReadonlyArray<string>): number {
    let k = 0;
    while (k < words.length && RESERVED.has(words[k])) k++;
    return k;
  }

  /**
   * Starts the definition of a function `name`, its body to follow: the reserved words read before it (`this.words`) ended as
   * a command of their own, opening what they open, and the definition said `within` the function whose body holds it.
   */
  private define(name: string): void {
    if (this.words.length > 0) this.endCommand();
    const open = [...this.groups, ...this.subshells].filter((enclosing) => enclosing.function !== undefined)
      .reduce<Enclosing | undefined>((a, b) => (a === undefined || b.from >= a.from ? b : a), undefined);
    const within = open?.function;
    const sure = within === undefined
      ? !this.mayNotRun()
      : !this.guardedInBody() && this.depth === 0;
    this.defining = { name, within, sure };
    // Defined in a branch of an `if` the shell runs each time it reaches it, in itself, and in nothing else that guards it:
    // where every branch (an else among them) so defines it, it is defined after the `fi` as one of those (`IF_ENDS`).
    const top = this.ifs[this.ifs.length - 1];
    const inIfOnly = within === undefined && !sure && top !== undefined && !top.inCondition && !this.inBranch(0, this.compounds.length - 1)
      && !this.mayNotRun(false);
    if (inIfOnly) BRANCH_OF.set(this.defining, { of: top, branch: top.branches - 1 });
  }

  /** Marks the commands split from `from` on as the body of a function, those of a function defined within it left its. */
  private defines(definition: FunctionDefinition, from: number): void {
    for (const command of this.commands.slice(from)) if (!FUNCTION_OF.has(command)) FUNCTION_OF.set(command, definition);
  }

  /** At a line's end (`i`), the bodies of the heredocs opened on it, each up to the line of its ending word, as the shell reads them. */
  private readHeredocs(): void {
    const s = this.script;
    let at = this.i + 1;
    for (const { delimiter, chomp, command, stdin, expands } of this.pending) {
      const body: string[] = [];
      while (at < s.length) {
        const newline = s.indexOf('\n', at);
        const end = newline < 0 ? s.length : newline;
        const line = s.slice(at, end);
        at = end + 1;
        if ((chomp ? line.replace(/^\t+/, '') : line) === delimiter) break;
        body.push(line);
      }
      // The body is the input of the command whose redirection opened it, which may have ended before this line's end (`cat <<EOF | sh`).
      if (!stdin) continue;
      const bodies = HEREDOC_BODIES.get(command) ?? [];
      bodies.push(expands ? expandedBody(body.join('\n')) : body.join('\n'));
      HEREDOC_BODIES.set(command, bodies);
    }
    this.pending = [];
    this.i = at - 1;
  }

  /**
   * Whether a `((` at `i` may open an arithmetic command: at a command's start, past its reserved words, or right after
   * its `for` (bash's `for ((...))`, written with or without a space).
   */
  private opensArithmetic(): boolean {
    const heads = [...this.words, ...this.word === undefined ? [] : [this.word]].filter((word) => !RESERVED.has(word));
    return (this.word === undefined || this.word === 'for') && (heads.length === 0 || (heads.length === 1 && heads[0] === 'for'));
  }

  /**
   * Where the `))` closing a `((` at `i` is, its parentheses counted, as bash finds the end of an arithmetic command; -1 where
   * the `)` closing the first is not right after one closing the second (`((echo 'exit 0'); sh)`, `((sh) )`): subshells.
   */
  private arithmeticEnd(): number {
    const s = this.script;
    let depth = 0;
    for (let j = this.i; j < s.length; j++) {
      if (s[j] === '(') depth++;
      else if (s[j] === ')' && --depth === 0) return s[j - 1] === ')' && j - 1 > this.i + 1 ? j : -1;
    }
    return -1;
  }

  /**
   * At a subshell's `)`: what it gives a pipe is known where it held one command (`(echo ...) | sh`), as for a group; with
   * more, the script piped is theirs in turn (`(echo 'exit 0'; echo ...) | sh` exits first), not known here. A `)` ending
   * a pattern of a `case` opened in the subshell (whose commands are then more than one) closes none.
   */
  private closeSubshell(): void {
    const top = this.subshells[this.subshells.length - 1];
    if (top === undefined || this.cases > top.cases) return;
    this.subshells.pop();
    if (top.function !== undefined) this.defines(top.function, top.from);
    this.closed = {
      words: this.words, inner: this.ended === top.ended + 1 ? this.last : undefined, from: top.from, piped: top.piped, function: top.function,
    };
  }

  /**
   * Where a subshell or a group (`words`, holding its redirections) has its standard input redirected (`(sh) </dev/null`),
   * its commands (from `from`) read it, save those redirecting their own or given a pipe within it: what was piped into
   * it (`piped`) they are no longer given.
   */
  private enclose(enclosing: Enclosing, words: string[]): void {
    if (!STDIN_FROM.has(words)) return;
    for (const command of this.commands.slice(enclosing.from)) {
      const piped = PIPED_FROM.get(command);
      const own = STDIN_FROM.has(command) || ENCLOSED_IN.has(command) || (piped !== undefined && piped !== enclosing.piped);
      if (!own) ENCLOSED_IN.set(command, words);
    }
  }

  private endCommand(): void {
    this.endWord();
    this.closedGroup = undefined;
    this.closedBody = undefined;
    this.redirected = false;
    const closed = this.closed?.words === this.words ? this.closed : undefined;
    this.closed = undefined;
    if (closed !== undefined && this.words.length === 0) {
      // The subshell's output, where not redirected as a whole; else its words, which give nothing known.
      this.last = closed.inner !== undefined && !STDOUT_REDIRECTED.has(this.words) ? closed.inner : this.words;
      this.closedBody = closed.function;
      this.enclose(closed, this.words);
      for (const command of this.commands.slice(closed.from)) SUBSHELLS.set(command, [...SUBSHELLS.get(command) ?? [], this.words]);
      if (this.async) this.background(this.commands.slice(closed.from), this.words);
      // A subshell followed by && or ||, or in a condition: its status is tested, -e then ending nothing for it.
      if (this.statusTested()) TESTED.add(this.words);
      this.words = [];
      this.started = this.commands.length;
      return;
    }
    // `for name in words` and `case word in` run none of their words, also after a reserved word (`do case $x in`, `then for`).
    const head = this.words.find((word) => !RESERVED.has(word));
    const continued = this.awaitingIn !== undefined && this.words[0] === 'in';
    if (this.currentShell && this.words.length > 0) CURRENT_SHELL.add(this.words);
    this.currentShell = false;
    if (this.words.length > 0 && !['for', 'case', 'select'].includes(head ?? '') && !continued) this.commands.push(this.words);
    if (this.words.length > 0 && this.depth > 0) FORKED.add(this.words);
    if (this.words.length > 0) {
      const named = this.words.length - this.words.indexOf(head ?? '') === 2;
      this.awaitingIn = named && head === 'case' ? 'case' : named && (head === 'for' || head === 'select') ? 'for' : undefined;
      if (this.piped !== undefined) PIPED_FROM.set(this.words, this.piped);
      this.piped = undefined;
      // The compound commands the command opens, and the branches or bodies it enters (`then`, `do`), in the order written:
      // a group opened before them holds them (`{ for ...`).
      const compound = this.compounds.length;
      const program = this.words.findIndex((word) => !RESERVED.has(word));
      const opening = program < 0 ? this.words : this.words.slice(0, program + 1);
      // Another command in a loop's condition (`while :; x; do`, `while : && x; do`) leaves it no longer always true.
      const loop = this.loops[this.loops.length - 1];
      if (loop !== undefined && this.compounds[this.compounds.length - 1] && this.words[0] !== 'do') loop.always = false;
      for (const [k, word] of opening.entries()) {
        if (['if', 'while', 'until'].includes(word)) this.compounds.push(true);
        if (['for', 'case', 'select'].includes(word)) this.compounds.push(false);
        if (['if', 'while', 'until', 'for', 'case', 'select'].includes(word)) {
          const opened = { opening: this.words, from: this.commands.length - 1, branches: 0, inCondition: true, hasElse: false };
          this.ifs.push(word === 'if' ? opened : undefined);
          // `while :`, `while true` or `until false`, its condition that one command: always true.
          const condition = this.words.slice(k + 1);
          const holds = word === 'while' ? [':', 'true'] : word === 'until' ? ['false'] : [];
          const always = k === program - 1 && condition.length === 1 && holds.includes(condition[0]);
          this.loops.push(word === 'while' || word === 'until' ? { opening: this.words, always } : undefined);
        }
        if (['then', 'do', 'else', 'elif'].includes(word) && this.compounds.length > 0) this.compounds[this.compounds.length - 1] = false;
        const open = this.ifs[this.ifs.length - 1];
        if (open !== undefined && (word === 'then' || word === 'else')) {
          open.branches++;
          open.inCondition = false;
          if (word === 'else') open.hasElse = true;
        }
        if (open !== undefined && word === 'elif') open.inCondition = true;
      }
      if (this.words.length === 1 && this.words[0] === '}') {
        // A group's output is its commands': known here where it holds one command (`{ echo ...; } | sh`), and its output
        // is not redirected as a whole; else the group's, which gives nothing known.
        const opened = this.groups.pop();
        this.closedGroup = opened === undefined ? undefined : this.commands.slice(opened.from);
        this.closedBody = opened?.function;
        if (opened?.ended !== this.ended || STDOUT_REDIRECTED.has(this.words)) this.last = this.words;
        if (opened !== undefined) this.enclose(opened, this.words);
        if (opened !== undefined) for (const command of this.commands.slice(opened.from)) GROUPED.add(command);
        if (opened !== undefined && opened.function === undefined) {
          for (const command of this.commands.slice(opened.from)) GROUPS.set(command, [...GROUPS.get(command) ?? [], this.words]);
        }
        if (opened?.function !== undefined) this.defines(opened.function, opened.from);
        if (opened !== undefined && this.async) this.background(this.commands.slice(opened.from), this.words);
        if (opened !== undefined && this.tested) for (const command of this.commands.slice(opened.from)) TESTED.add(command);
      } else {
        this.ended++;
        if (head === 'case') this.cases++;
        if (this.words[0] === 'esac') this.pattern = false;
        if (this.words[0] === 'esac' && this.cases > 0) this.cases--;
        // A group's commands run each time the shell reaches them, in the shell itself, where it is no function's body and
        // opens where a command would run so: in no subshell, substitution, compound command or guarded group, after no
        // && nor ||, given no pipe (a pipe out of it is found at its `}`).
        const guarded = this.defining !== undefined || this.mayNotRun() || PIPED_FROM.has(this.words);
        // `!` only negates the status of what it runs, each time the shell reaches it (`! { exit 0; }` exits); a group opens
        // after other reserved words too (`then {`, `else {`, `do {`).
        for (let k = 0; RESERVED.has(this.words[k]); k++) {
          if (this.words[k] !== '{') continue;
          const body = k === 0 ? this.defining : undefined;
          const bodyGuarded = body === undefined && (this.guardedInBody() || PIPED_FROM.has(this.words));
          const piped = PIPED_FROM.get(this.words);
          if (piped !== undefined) definedInSubshell(body);
          const { ended, started: from } = this;
          this.groups.push({ ended, from, piped, function: body, guarded, bodyGuarded, subshells: this.subshells.length, compound });
        }
        this.last = this.words;
      }
      // What the shell may not run each time it reaches it (`GUARDED`): the first condition of an `if`, `while` or `until` it runs.
      const leading = this.words.find((word) => word !== '{' && word !== '!') ?? '';
      const branch = RESERVED.has(leading) && !['if', 'while', 'until'].includes(leading);
      if (this.mayNotRun() || branch) {
        GUARDED.add(this.words);
      }
      if (!branch && !this.guardedInBody()) RUN_IN_BODY.add(this.words);
      if (this.statusTested()) TESTED.add(this.words);
      if (['fi', 'done', 'esac'].includes(this.words[0])) {
        this.compounds.pop();
        const closedLoop = this.loops.pop();
        if (closedLoop !== undefined && this.words[0] === 'done') LOOP_ENDS.set(this.words, closedLoop);
        const closedIf = this.ifs.pop();
        if (closedIf !== undefined && this.words[0] === 'fi') IF_ENDS.set(this.words, closedIf);
      }
      this.andOr = false;
      this.defining = undefined;
    }
    if (this.async && this.words.length > 0) {
      // Each command of the pipeline the `&` ends, back through the pipes. A pipe into the subshell or group it is in
      // (`echo ... | { sh & }`) is no part of it: dash gives its first command /dev/null instead (bash gives the pipe).
      const open = [...this.groups, ...this.subshells]
        .reduce<Enclosing | undefined>((a, b) => (a === undefined || b.from >= a.from ? b : a), undefined);
      const pipeline: string[][] = [];
      for (let command: string[] | undefined = this.words; command !== undefined && pipeline.length <= MAX_PIPED;) {
        pipeline.push(command);
        const from: string[] | undefined = PIPED_FROM.get(command);
        if (from !== undefined && from === open?.piped) {
          UNPIPED.add(command);
          break;
        }
        command = from;
      }
      this.background(pipeline);
    }
    this.words = [];
    this.started = this.commands.length;
  }

  /**
   * Marks commands run in the background: those of a subshell or group (`enclosing`, its words) only where it redirects no
   * input of its own (`{ sh; } <file &` reads the file), each save one reading that of a subshell or group within it.
   */
  private background(commands: ReadonlyArray<string[]>, enclosing?: string[]): void {
    if (enclosing !== undefined && STDIN_FROM.has(enclosing)) return;
    for (const command of commands) if (enclosing === undefined || !ENCLOSED_IN.has(command)) ASYNC.add(command);
  }
}


/**
 * A word of a command naming the agent's binary: by its path's last segment (`/usr/local/bin/mackerel-container-agent`),
 * or as a place the image's COPYs put it (`paths`), by its path or, where it is in a directory of the PATH (`search`), its name.
 */
function namesAgentBinary(word: string, reading: Reading): boolean {
  const { paths, search, cwd } = reading;
  // An option's value (`--config=/etc/mackerel-container-agent`) names a file, not the program run.
  if (word.startsWith('-') || word.includes('=')) return false;
  if (word.slice(word.lastIndexOf('/') + 1) === 'mackerel-container-agent') return true;
  if (word.startsWith('/')) return paths.has(path.posix.normalize(word));
  // A relative path with a `/` (`./agent`, `bin/agent`) is in the working directory, not searched for in the PATH.
  if (word.includes('/')) return cwd !== undefined && paths.has(path.posix.join(cwd, word));
  return search.some((dir) => paths.has(path.posix.join(dir, word)));
}

/** A command too long to read. */
class TooLong extends Error {}
