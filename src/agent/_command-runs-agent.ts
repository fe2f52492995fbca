import * as path from 'path';

/**
 * The standard programs (the shell's builtins, POSIX and GNU coreutils utilities, and the common tools on files) that
 * never run an operand: they print, look up or test it, or read, hash, copy, move, link or change the file it names
 * (`echo mackerel-container-agent`, `[ -x /usr/local/bin/mackerel-container-agent ]`, `chmod +x ...`, `ls -l ...`).
 * The binary named by an operand of one is only mentioned. Any other program may run its operands (an init such as
 * tini, `gosu user ...`, an entrypoint script ending `exec "$@"`), so the binary named after one is taken as run:
 * a closed class of programs that surely do not run it, rather than an open one of programs that do, as missing an
 * agent added by hand bills a second Mackerel host for each task.
 */
const INERT = new Set([
  // the shell's: print, look up, test, do nothing
  'echo', 'printf', 'test', '[', '[[', ':', 'true', 'false', 'which', 'type', 'hash', 'whereis', 'alias', 'export', 'readonly', 'unset',
  // list, describe or read a file
  'ls', 'stat', 'file', 'cat', 'head', 'tail', 'more', 'less', 'od', 'xxd', 'hexdump', 'strings', 'wc', 'du', 'readlink', 'realpath',
  'basename', 'dirname', 'grep', 'egrep', 'fgrep', 'cmp', 'diff', 'ldd', 'readelf', 'objdump', 'nm', 'getcap',
  // hash a file
  'sha1sum', 'sha224sum', 'sha256sum', 'sha384sum', 'sha512sum', 'md5sum', 'b2sum', 'cksum', 'sum',
  // copy, move, link, remove or change a file
  'cp', 'mv', 'ln', 'rm', 'install', 'touch', 'chmod', 'chown', 'chgrp', 'strip', 'setcap', 'tee', 'mkdir', 'rmdir',
]);
/** Shell words that come before a command's program without being it. */
const RESERVED = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', '{']);

/**
 * Where a command's words (an exec form's, or `/bin/sh -c` and a shell form's script) run the agent's binary: the
 * first word naming it, as the program or an argument a wrapper runs (`tini -- mackerel-container-agent`), in a
 * command, or in a simple command of a script a word holds (as a POSIX shell splits it: `shellCommands`), whose
 * program is not `INERT`; -1 where none does.
 * @internal
 */
export function _agentRunAt(words: string[], paths: ReadonlySet<string>, search: ReadonlyArray<string>): number {
  const budget = { left: SCRIPT_BUDGET };
  try {
    return inert(words) ? -1 : words.findIndex((word) => scriptRunsAgent(word, paths, search, 0, budget));
  } catch (error) {
    // A command too long to read (scripts in scripts, many times over) is taken as not running the agent: reading on has no bound.
    if (error instanceof TooLong) return -1;
    throw error;
  }
}

/** How many characters of scripts (counted again each time one is read within another) a command is read through. */
const SCRIPT_BUDGET = 4_000_000;

/** How deep scripts held in a command's arguments (`sh -c "..."` in `sh -c '...'`) are read. */
const MAX_SCRIPT_DEPTH = 4;

/**
 * Whether a script runs the agent's binary in one of its simple commands whose program is not `INERT`, or in a script an
 * argument of such a command holds (an unknown program may run it: `sh -c "..."`). A run asking only for the binary's
 * version or usage (`mackerel-container-agent --version`, also in `$(...)`) exits at once: it is not the agent running.
 */
function scriptRunsAgent(script: string, paths: ReadonlySet<string>, search: ReadonlyArray<string>, depth: number,
  budget: { left: number }): boolean {
  budget.left -= script.length;
  if (budget.left < 0) throw new TooLong();
  return shellCommands(script).some((tokens) => !inert(tokens) && (
    tokens.some((token, i) => namesAgentBinary(token, paths, search) && !tokens.slice(i + 1).some((arg) => ONLY_ASKING.has(arg)))
    || (depth < MAX_SCRIPT_DEPTH && tokens.some((token) => /[\s;&|()`$<>#]/.test(token) && scriptRunsAgent(token, paths, search, depth + 1, budget)))));
}

/** The flags with which the agent's binary (Go's flag package: `-` or `--`) prints its version or usage and exits. */
const ONLY_ASKING = new Set(['-version', '--version', '-v', '-h', '-help', '--help']);

/**
 * The simple commands a POSIX shell runs from a script, each its words with quotes removed: split at blanks, at `;`, `&`,
 * `|`, `(`, `)` and newlines outside quotes, with no redirection (`>/dev/null`, `2>&1`, glued or not) nor its target, no
 * comment, nor the word list of a `for` or `case` (not run); and the commands of each command substitution (`$(...)`,
 * backquotes), which the shell runs too. Heredoc bodies are not told apart (read as commands).
 */
function shellCommands(script: string): string[][] {
  return new ShellSplitter(script, 0).commands;
}

/** How deep command substitutions in one another are read (each is a call deeper); past it, the rest is one word. */
const MAX_SUBSTITUTION_DEPTH = 64;

class ShellSplitter {
  readonly commands: string[][] = [];
  private words: string[] = [];
  private word: string | undefined;
  private redirected = false;
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
        if (s[this.i + 1] !== '\n') this.add(s[this.i + 1] ?? '');
        this.i++;
      } else if (c === "'") {
        const close = s.indexOf("'", this.i + 1);
        this.add(s.slice(this.i + 1, close < 0 ? s.length : close));
        this.i = close < 0 ? s.length : close;
      } else if (c === '"') {
        this.doubleQuoted();
      } else if (c === '$' && s[this.i + 1] === '(' || c === '`') {
        this.substitution();
      } else if (c === '#' && this.word === undefined) {
        const newline = s.indexOf('\n', this.i);
        this.i = (newline < 0 ? s.length : newline) - 1;
      } else if (c === ' ' || c === '\t') {
        this.endWord();
      } else if (c === '<' || c === '>') {
        // Digits right before the operator are the file descriptor it redirects (`2>&1`), not a word.
        if (this.word !== undefined && /^\d+$/.test(this.word)) this.word = undefined;
        this.endWord();
        while ('<>&|-'.includes(s[this.i + 1] ?? ' ')) this.i++;
        this.redirected = true;
      } else if (c === ')' && closing === ')' && parens === 0) {
        this.endCommand();
        return;
      } else if (';&|()\n'.includes(c)) {
        if (c === '(') parens++;
        if (c === ')') parens--;
        this.endCommand();
      } else {
        this.add(c);
      }
    }
    this.endCommand();
  }

  private doubleQuoted(): void {
    const s = this.script;
    this.add('');
    for (this.i++; this.i < s.length && s[this.i] !== '"'; this.i++) {
      const c = s[this.i];
      if (c === '\\' && '$`"\\\n'.includes(s[this.i + 1] ?? '')) {
        if (s[this.i + 1] !== '\n') this.add(s[this.i + 1]);
        this.i++;
      } else if (c === '$' && s[this.i + 1] === '(' || c === '`') {
        this.substitution();
      } else {
        this.add(c);
      }
    }
  }

  /** A command substitution at `i` (`$(...)`, or backquotes): its commands run; the word keeps its text. `$((...))` is arithmetic. */
  private substitution(): void {
    const s = this.script;
    const start = this.i;
    if (s[this.i] === '`') {
      let close = this.i + 1;
      while (close < s.length && s[close] !== '`') close += s[close] === '\\' ? 2 : 1;
      if (this.depth < MAX_SUBSTITUTION_DEPTH) {
        this.commands.push(...new ShellSplitter(s.slice(this.i + 1, close).replace(/\\([$`\\])/g, '$1'), this.depth + 1).commands);
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

  private add(text: string): void {
    this.word = (this.word ?? '') + text;
  }

  private endWord(): void {
    if (this.word === undefined) return;
    if (!this.redirected) this.words.push(this.word);
    this.redirected = false;
    this.word = undefined;
  }

  private endCommand(): void {
    this.endWord();
    this.redirected = false;
    // `for name in words` and `case word in` run none of their words.
    if (this.words.length > 0 && !['for', 'case', 'select'].includes(this.words[0])) this.commands.push(this.words);
    this.words = [];
  }
}

/** Whether a simple command's program (after any assignments and reserved words) only prints, looks up or tests its arguments. */
function inert(tokens: string[]): boolean {
  let i = 0;
  while (i < tokens.length && (RESERVED.has(tokens[i]) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(tokens[i]))) i++;
  const program = tokens[i]?.slice(tokens[i].lastIndexOf('/') + 1);
  return program !== undefined && (INERT.has(program) || (program === 'command' && /^-[vV]/.test(tokens[i + 1] ?? '')));
}

/**
 * A word of a command naming the agent's binary: by its path's last segment (`/usr/local/bin/mackerel-container-agent`),
 * or as a place the image's COPYs put it (`paths`), by its path or, where it is in a directory of the PATH (`search`), its name.
 */
function namesAgentBinary(word: string, paths: ReadonlySet<string>, search: ReadonlyArray<string>): boolean {
  // An option's value (`--config=/etc/mackerel-container-agent`) names a file, not the program run.
  if (word.startsWith('-') || word.includes('=')) return false;
  if (word.slice(word.lastIndexOf('/') + 1) === 'mackerel-container-agent') return true;
  return word.startsWith('/') ? paths.has(path.posix.normalize(word)) : !word.includes('/') && search.some((dir) => paths.has(path.posix.join(dir, word)));
}

/** A command too long to read. */
class TooLong extends Error {}
