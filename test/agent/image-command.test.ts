import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfnCondition, CfnParameter, Fn, Lazy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { describe, expect, test } from 'vitest';
import { fargateTask } from './_fixture';
import { MackerelContainerAgent } from '../../src/agent';
import { _cfnAgentOf } from '../../src/agent/_cfn-agent';
import { _builtOnAgent } from '../../src/agent/_image-source';

/** An image on alpine copying the agent's binary from its image into /usr/local/bin, then the instructions given. */
const COPY = 'FROM alpine:3.20\nCOPY --from=mackerel/mackerel-container-agent:v0.13.2 /usr/local/bin/ /usr/local/bin/\n';
const AGENT = '/usr/local/bin/mackerel-container-agent';

function dockerfileIn(text: string): string {
  const directory = mkdtempSync(join(tmpdir(), 'cdk-mackerel-'));
  writeFileSync(join(directory, 'Dockerfile'), text);
  return directory;
}

/** The part of the command said to run the agent, for a container built from the Dockerfile text; undefined where none runs it. */
function runIn(text: string, options: Partial<ecs.ContainerDefinitionOptions> = {}): string | undefined {
  const { taskDefinition } = fargateTask();
  const container = taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(dockerfileIn(text)), ...options });
  return _builtOnAgent(container)?.replace(/^.* and running it /, '');
}

/** Whether the image runs the agent when its CMD is `sh -c script` with `args` after the script. */
function scriptRuns(script: string, ...args: string[]): boolean {
  return runIn(`${COPY}CMD ${JSON.stringify(['sh', '-c', script, ...args])}\n`) !== undefined;
}

describe('a command run through a wrapper is judged by the command the wrapper runs', () => {
  test('a wrapper running a program that only lists, reads or hashes the binary runs no agent, its own options and operands skipped', () => {
    // GIVEN wrappers, as their documented syntax reads their options and operands, running ls, cat, stat or sha256sum on the binary
    const listing: Array<[string, Partial<ecs.ContainerDefinitionOptions>?]> = [
      [`CMD ["timeout", "10", "ls", "${AGENT}"]`],
      [`CMD ["timeout", "-s", "KILL", "--kill-after=5", "--preserve-status", "10", "cat", "${AGENT}"]`],
      ['CMD ["env", "FOO=1", "ls", "mackerel-container-agent"]'],
      [`CMD ["env", "-i", "-u", "HOME", "-", "PATH=/bin", "sha256sum", "${AGENT}"]`],
      [`CMD ["env", "-S", "ls -l ${AGENT}"]`],
      [`CMD ["nice", "-n", "5", "cat", "${AGENT}"]`],
      [`CMD ["nice", "-5", "stat", "${AGENT}"]`],
      [`CMD ["nohup", "ls", "${AGENT}"]`],
      [`CMD ["gosu", "nobody", "ls", "${AGENT}"]`],
      [`CMD ["su-exec", "app:app", "ls", "${AGENT}"]`],
      [`ENTRYPOINT ["/sbin/tini", "-g", "--"]\nCMD ["ls", "${AGENT}"]`],
      [`CMD ["dumb-init", "--rewrite", "15:2", "ls", "${AGENT}"]`],
      [`CMD ["chpst", "-u", "app", "ls", "${AGENT}"]`],
      [`CMD ["setpriv", "--reuid=1000", "--regid", "1000", "--init-groups", "ls", "${AGENT}"]`],
      [`CMD ["stdbuf", "-oL", "ls", "${AGENT}"]`],
      [`CMD ["ionice", "-c2", "-n", "7", "ls", "${AGENT}"]`],
      [`CMD ["taskset", "-c", "0", "ls", "${AGENT}"]`],
      [`CMD ["chroot", "--skip-chdir", "/", "ls", "${AGENT}"]`],
      [`CMD exec ls ${AGENT}`],
      [`CMD ["busybox", "ls", "${AGENT}"]`],
      // wrappers in wrappers, and the task's entryPoint and command read as one command
      [`CMD ["nice", "-n", "5", "gosu", "app", "timeout", "10", "ls", "${AGENT}"]`],
      ['CMD ["/app/server"]', { entryPoint: ['timeout', '10'], command: ['ls', AGENT] }],
      // options with which the wrapper runs no command: ionice and taskset acting on a running process, a wrapper's --help
      ['CMD ["ionice", "-p", "1", "mackerel-container-agent"]'],
      ['CMD ["taskset", "-p", "1", "mackerel-container-agent"]'],
      ['CMD ["gosu", "--help", "mackerel-container-agent"]'],
      // an option the wrapper's syntax does not list, read both ways: with no argument (10 is the duration, ls runs) it runs none
      [`CMD ["timeout", "--new-option", "10", "ls", "${AGENT}"]`],
    ];
    // WHEN each is read / THEN none runs the agent
    expect(listing.map(([command, options]) => runIn(`${COPY}${command}\n`, options))).toEqual(listing.map(() => undefined));
  });

  test('a wrapper running the binary runs the agent, and the part of the command naming it is said', () => {
    // GIVEN wrappers running the binary, alone or in one another, with options the syntax lists or not (both readings run it)
    const running = [
      'CMD ["timeout", "10", "mackerel-container-agent"]',
      `CMD ["env", "MACKEREL_CONTAINER_PLATFORM=ecs", "${AGENT}"]`,
      'CMD ["nice", "-n", "5", "gosu", "app", "tini", "--", "mackerel-container-agent"]',
      'CMD ["env", "-S", "timeout 10 mackerel-container-agent"]',
      'CMD exec nohup mackerel-container-agent',
      'CMD ["tini", "-x", "--", "mackerel-container-agent"]',
      'ENTRYPOINT ["dumb-init", "--"]\nCMD ["mackerel-container-agent"]',
    ];
    // WHEN each is read / THEN each runs it, said by the part naming the binary
    expect(running.map((command) => runIn(`${COPY}${command}\n`))).toEqual([
      '(CMD ["timeout", "10", "mackerel-container-agent"])',
      `(CMD ["env", "MACKEREL_CONTAINER_PLATFORM=ecs", "${AGENT}"])`,
      '(CMD ["nice", "-n", "5", "gosu", "app", "tini", "--", "mackerel-container-agent"])',
      '(CMD ["env", "-S", "timeout 10 mackerel-container-agent"])',
      '(CMD exec nohup mackerel-container-agent)',
      '(CMD ["tini", "-x", "--", "mackerel-container-agent"])',
      '(CMD ["mackerel-container-agent"])',
    ]);
  });
});

test('the options each wrapper documents are read as it reads them: the binary after them runs', () => {
  // GIVEN timeout's -f and -p (POSIX.1-2024's, in GNU's getopt `+fk:ps:v`), nice's obsolete --N (a negative adjustment), and
  // env's -a/--argv0 (the $0 given), each of which, read as taking an argument where it takes none (or the reverse), leaves
  // no command or the wrong one
  const running = [
    'CMD ["timeout", "-p", "10", "mackerel-container-agent"]',
    'CMD ["timeout", "-f", "10", "mackerel-container-agent"]',
    'CMD ["nice", "--10", "mackerel-container-agent"]',
    'CMD ["env", "-a", "ls", "mackerel-container-agent"]',
    'CMD ["env", "--argv0", "ls", "mackerel-container-agent"]',
  ];
  // WHEN each is read / THEN each runs it
  expect(running.map((command) => runIn(`${COPY}${command}\n`) !== undefined)).toEqual(running.map(() => true));
  // ... and env's -a naming the binary as the $0 of another program runs that program only
  expect(runIn(`${COPY}CMD ["env", "-a", "mackerel-container-agent", "/app/server"]\n`)).toBeUndefined();
});

test('tini reads options after its program too where built on glibc: the program runs only where both readings run it', () => {
  // GIVEN tini running an entrypoint script with the binary as its argument, after tini's -l (license) or an option tini does
  // not know (glibc's getopt reads them as tini's: it prints and exits), after tini's -v (tini's on glibc, the script's on musl:
  // the script runs either way), and after `--`, which ends tini's options in both
  const read = (...words: string[]) => runIn(`${COPY}CMD ${JSON.stringify(['tini', ...words])}\n`) !== undefined;
  expect([
    read('/app/entrypoint.sh', '-l', 'mackerel-container-agent'),
    read('/app/entrypoint.sh', '-x', 'mackerel-container-agent'),
    read('/app/entrypoint.sh', '-v', 'mackerel-container-agent'),
    read('-s', '--', '/app/entrypoint.sh', '-l', 'mackerel-container-agent'),
    read('/app/entrypoint.sh', '-p', 'SIGTERM', 'mackerel-container-agent'),
  ]).toEqual([false, false, true, true, true]);
});

test('chpst\'s -C (working directory), -r and -V are read as runit documents them', () => {
  // GIVEN chpst -C with its directory joined to it, -r with its limit and -V (printing the version and going on), running the binary
  // WHEN read / THEN each runs it (read as unknown, `-Cwww` could be a cluster of options whose last takes the binary as argument)
  expect([
    runIn(`${COPY}CMD ["chpst", "-Cwww", "mackerel-container-agent"]\n`),
    runIn(`${COPY}CMD ["chpst", "-V", "-r", "100000", "-C", "/srv", "mackerel-container-agent"]\n`),
  ].map((said) => said !== undefined)).toEqual([true, true]);
  // ... and chpst -C running ls on it runs none
  expect(runIn(`${COPY}CMD ["chpst", "-C", "/srv", "ls", "${AGENT}"]\n`)).toBeUndefined();
});

test('an option a wrapper\'s syntax does not list, read as taking no argument, leaves the rest of its word as more options', () => {
  // GIVEN an unlisted -x in one word with timeout's -k, whose argument is then the next word (as getopt reads `-xk 5`), before ls
  // WHEN read / THEN it runs none: with -x taking no argument, -k takes 5, 10 is the duration and ls runs (a command is taken
  // to run the agent only where both readings say so)
  expect(runIn(`${COPY}CMD ["timeout", "-xk", "5", "10", "ls", "${AGENT}"]\n`)).toBeUndefined();
  // ... and with the binary run after it, both readings run it
  expect(runIn(`${COPY}CMD ["timeout", "-xk", "5", "10", "mackerel-container-agent"]\n`)).toBe('(CMD ["timeout", "-xk", "5", "10", "mackerel-container-agent"])');
});

describe('sudo, xargs and su are judged by what they run, as their documented syntax reads their words', () => {
  test('sudo, xargs and su running a program that only lists or reads the binary, or running nothing, run no agent', () => {
    // GIVEN sudo (its options taking an argument, VAR=value, -s running the command through a shell), xargs (its options,
    // an argument only in the rest of the word for -i), and su running a -c script (as util-linux reads it: options among the
    // operands, a leading `-`), each running ls, cat or stat on the binary; and sudo's -l, -e and bare -h (--help) and su's
    // --help, which run no command
    const listing = [
      `CMD ["sudo", "ls", "${AGENT}"]`,
      `CMD ["sudo", "-u", "app", "-g", "app", "-D", "/", "-C", "5", "-T", "10", "-E", "--", "cat", "${AGENT}"]`,
      `CMD ["sudo", "--user=app", "--chdir", "/", "FOO=1", "stat", "${AGENT}"]`,
      `CMD ["sudo", "-s", "ls", "${AGENT}"]`,
      'CMD ["sudo", "-l", "mackerel-container-agent"]',
      `CMD ["sudo", "-e", "${AGENT}"]`,
      'CMD ["sudo", "-h", "mackerel-container-agent"]',
      `CMD ["xargs", "ls", "${AGENT}"]`,
      `CMD ["xargs", "-0", "-r", "-n", "1", "-P", "4", "-I", "{}", "cat", "{}", "${AGENT}"]`,
      `CMD ["xargs", "-i{}", "--max-args=1", "stat", "{}", "${AGENT}"]`,
      `CMD ["su", "app", "-c", "ls ${AGENT}"]`,
      `CMD ["su", "-", "app", "-s", "/bin/bash", "-c", "cat ${AGENT}"]`,
      `CMD ["su", "--command=ls $1", "app", "sh", "${AGENT}"]`,
      'CMD ["su", "--help", "mackerel-container-agent"]',
      // su's -C, which util-linux refuses: --session-command has no short form
      'CMD ["su", "app", "-C", "exec mackerel-container-agent"]',
      // in one another
      `CMD ["sudo", "-u", "app", "xargs", "ls", "${AGENT}"]`,
      `CMD ["sudo", "su", "app", "-c", "ls ${AGENT}"]`,
    ];
    // WHEN each is read / THEN none runs the agent
    expect(listing.map((command) => runIn(`${COPY}${command}\n`))).toEqual(listing.map(() => undefined));
  });

  test('sudo, xargs and su running the binary run the agent', () => {
    // GIVEN the binary run by sudo after its options (a host only joined to -h), by xargs after its options, and by the -c
    // script su runs (the binary named there, or given it as $1), or as the shell of su's -s
    const running = [
      'CMD ["sudo", "-u", "app", "mackerel-container-agent"]',
      `CMD ["sudo", "-hlocalhost", "--preserve-env=PATH", "-i", "MACKEREL_CONTAINER_PLATFORM=ecs", "${AGENT}"]`,
      'CMD ["xargs", "-a", "/etc/hosts", "-n", "1", "mackerel-container-agent"]',
      'CMD ["xargs", "-i", "mackerel-container-agent", "-conf", "{}"]',
      'CMD ["su", "-l", "app", "-c", "exec mackerel-container-agent"]',
      `CMD ["su", "-c", "exec \\"$1\\"", "app", "sh", "${AGENT}"]`,
      `CMD ["su", "-s", "${AGENT}", "nobody"]`,
      'CMD ["su", "app", "--session-command=exec mackerel-container-agent"]',
      'CMD ["su", "app", "--session-command", "exec mackerel-container-agent"]',
    ];
    // WHEN each is read / THEN each runs it
    expect(running.map((command) => runIn(`${COPY}${command}\n`) !== undefined)).toEqual(running.map(() => true));
    // ... and su with no -c runs its shell on its input: a heredoc given it running the binary runs the agent
    expect(runIn(`${COPY}CMD ${JSON.stringify(['sh', '-c', 'su app <<EOF\nexec mackerel-container-agent\nEOF'])}\n`)).not.toBeUndefined();
  });
});

test('runuser, doas and sudoedit are judged by what they run, as their documented syntax reads their words', () => {
  // GIVEN runuser -u running ls on the binary (the command run as given, its options before it), runuser without -u running a
  // -c script as su does, runuser -u with an option it refuses alongside -u (-c, -l, a first operand `-`), doas running cat after
  // its options, doas -C (a configuration check), -L and OpenBSD's -a (which OpenDoas refuses), and sudoedit, which edits a file
  const listing = [
    `CMD ["runuser", "-u", "app", "--", "ls", "${AGENT}"]`,
    `CMD ["runuser", "--user=app", "-m", "stat", "${AGENT}"]`,
    `CMD ["runuser", "app", "-c", "ls ${AGENT}"]`,
    'CMD ["runuser", "-u", "app", "-c", "true", "mackerel-container-agent"]',
    'CMD ["runuser", "-u", "app", "-l", "mackerel-container-agent"]',
    'CMD ["runuser", "-u", "app", "-", "mackerel-container-agent"]',
    `CMD ["doas", "-n", "-u", "app", "cat", "${AGENT}"]`,
    'CMD ["doas", "-C", "/etc/doas.conf", "mackerel-container-agent"]',
    'CMD ["doas", "-L", "mackerel-container-agent"]',
    'CMD ["doas", "-a", "passwd", "mackerel-container-agent"]',
    `CMD ["sudoedit", "${AGENT}"]`,
  ];
  // WHEN each is read / THEN none runs the agent
  expect(listing.map((command) => runIn(`${COPY}${command}\n`))).toEqual(listing.map(() => undefined));
  // ... and runuser -u, runuser's -c script and doas running the binary run it, said by the word naming it
  expect([
    runIn(`${COPY}CMD ["runuser", "-u", "app", "--", "${AGENT}"]\n`),
    runIn(`${COPY}CMD ["runuser", "-l", "app", "-c", "exec mackerel-container-agent"]\n`),
    runIn(`${COPY}CMD ["doas", "-u", "app", "mackerel-container-agent"]\n`),
  ]).toEqual([
    `(CMD ["runuser", "-u", "app", "--", "${AGENT}"])`,
    '(CMD ["runuser", "-l", "app", "-c", "exec mackerel-container-agent"])',
    '(CMD ["doas", "-u", "app", "mackerel-container-agent"])',
  ]);
});

describe('a shell runs the script of its -c, with the words after it as its $0, $1, ...', () => {
  test('a -c script, in the exec or the shell form, that only lists the binary runs no agent', () => {
    // GIVEN -c scripts listing the binary: in the shell form (Docker's /bin/sh -c runs sh -c), and given it as $1
    const listing = [
      `CMD sh -c "ls ${AGENT}"`,
      `CMD ["bash", "-ec", "ls \\"$1\\"", "bash", "${AGENT}"]`,
      `CMD ["sh", "-o", "errexit", "-c", "cat $1 >/dev/null", "sh", "${AGENT}"]`,
    ];
    // WHEN each is read / THEN none runs it
    expect(listing.map((command) => runIn(`${COPY}${command}\n`))).toEqual([undefined, undefined, undefined]);
  });

  test('a -c script running its arguments ("$@", $1) runs what they name; a script running the binary itself runs it', () => {
    // GIVEN scripts exec-ing their arguments, given by the CMD or by the task's command, and scripts naming the binary
    const read = [
      runIn(`${COPY}ENTRYPOINT ["sh", "-c", "exec \\"$@\\"", "entrypoint"]\nCMD ["mackerel-container-agent"]\n`),
      runIn(`${COPY}ENTRYPOINT ["sh", "-c", "echo start; exec $1", "entrypoint"]\n`, { command: [AGENT] }),
      runIn(`${COPY}CMD ["bash", "-lc", "exec mackerel-container-agent"]\n`),
      runIn(`${COPY}CMD ["busybox", "sh", "-c", "exec mackerel-container-agent"]\n`),
      runIn(`${COPY}ENTRYPOINT ["sh", "-c", "exec \\"$@\\"", "entrypoint"]\nCMD ["/app/server"]\n`),
    ];
    // THEN the first four run it, said by the part naming the binary; the last runs the app
    expect(read).toEqual([
      '(CMD ["mackerel-container-agent"])',
      '(its command)',
      '(CMD ["bash", "-lc", "exec mackerel-container-agent"])',
      '(CMD ["busybox", "sh", "-c", "exec mackerel-container-agent"])',
      undefined,
    ]);
  });
});

test('a -c script\'s positional parameters in double quotes are the words given, and none is in single quotes', () => {
  // GIVEN scripts exec-ing the binary given as "$1", "${1}", "$0", or inside a longer double-quoted word
  expect([
    scriptRuns('exec "$1"', 'sh', 'mackerel-container-agent'),
    scriptRuns('exec "${1}" -conf /etc/agent.yml', 'sh', AGENT),
    scriptRuns('exec "$0"', AGENT),
    scriptRuns('set -- "$@"; exec "$@"', 'sh', 'mackerel-container-agent'),
  ]).toEqual([true, true, true, true]);
  // ... and scripts only printing it, or naming the parameter in single quotes (no expansion there)
  expect([
    scriptRuns('echo "running $1"', 'sh', 'mackerel-container-agent'),
    scriptRuns("exec '$1'", 'sh', 'mackerel-container-agent'),
  ]).toEqual([false, false]);
});

test('in a function\'s body "$@", $1 and $* are the function\'s own arguments, not the -c script\'s: not followed', () => {
  // GIVEN the binary given to the script as its $1, and functions whose body runs "$@", "$1", $* (or a default word of $1)
  // called with another program, or with the binary itself (a function's arguments are not followed)
  expect([
    scriptRuns('run() { "$@"; }; run /app', 'sh', 'mackerel-container-agent'),
    scriptRuns('run() { "$1"; }; run /app', 'sh', 'mackerel-container-agent'),
    scriptRuns('run() { $*; }; run /app', 'sh', 'mackerel-container-agent'),
    scriptRuns('function run { exec "$@"; }; run /app', 'sh', 'mackerel-container-agent'),
    scriptRuns('run() ( exec "$@" ); run /app', 'sh', 'mackerel-container-agent'),
    scriptRuns('run() { exec "${1:-mackerel-container-agent}"; }; run /app'),
    scriptRuns('run() { "$@"; }; run mackerel-container-agent'),
  ]).toEqual(Array(7).fill(false));
  // ... but the script's own "$@" and $1 outside the bodies, after functions holding groups, quotes and substitutions
  expect([
    scriptRuns('log() { echo "$1"; }; log start; exec "$@"', 'sh', 'mackerel-container-agent'),
    scriptRuns('f() { if true; then { :; }; fi; }; f; exec "$1"', 'sh', 'mackerel-container-agent'),
    scriptRuns('f() { echo "${x}" "$(echo a)"; }; f; exec "$1"', 'sh', 'mackerel-container-agent'),
    scriptRuns('f() ( echo "$(echo a)" ); f; exec "$1"', 'sh', 'mackerel-container-agent'),
    scriptRuns('echo \'f() { x; }\'; exec "$1"', 'sh', 'mackerel-container-agent'),
  ]).toEqual(Array(5).fill(true));
});

test('a -c script\'s quotes in a command substitution and in a comment are read as the shell reads them', () => {
  // GIVEN an app given '$1' in single quotes after a comment holding an apostrophe: the shell expands nothing there
  expect(scriptRuns("# it's the app\n/app/run '$1'", 'sh', 'mackerel-container-agent')).toBe(false);
  // ... and "$1" in double quotes opened in a command substitution, or after a comment or a substitution holding a quote
  expect([
    scriptRuns('x="$(exec "$1")"', 'sh', 'mackerel-container-agent'),
    scriptRuns("# it's\nexec \"$1\"", 'sh', 'mackerel-container-agent'),
    scriptRuns('echo "$(echo \'a"b\')"; exec "$1"', 'sh', 'mackerel-container-agent'),
  ]).toEqual([true, true, true]);
});

test('a -c script\'s $\'...\' quoting, positional parameters\' default words and backquotes in double quotes are expanded as the shell does', () => {
  // GIVEN the binary named in $'...' (its escapes read), as the default word of an unset or empty $1 or the alternative of a set
  // one, given as $1 to a parameter whose default is another program, and run by $1 in backquotes within double quotes
  expect([
    scriptRuns("exec $'mackerel-container-agent'"),
    scriptRuns("exec $'mackerel\\x2dcontainer-agent'"),
    scriptRuns('exec "${1:-mackerel-container-agent}"'),
    scriptRuns('exec "${1:-mackerel-container-agent}"', 'sh', ''),
    scriptRuns('exec "${1+mackerel-container-agent}"', 'sh', ''),
    scriptRuns('exec ${1:-/app/server}', 'sh', 'mackerel-container-agent'),
    scriptRuns('x="`exec $1`"', 'sh', 'mackerel-container-agent'),
    scriptRuns('x="`exec \\"$1\\"`"', 'sh', 'mackerel-container-agent'),
    scriptRuns("echo $'it\\'s'; exec \"$1\"", 'sh', 'mackerel-container-agent'),
    // the parameters of the word expanded in turn: the old `${1+"$@"}`, another parameter, another default
    scriptRuns('exec ${1+"$@"}', 'sh', 'mackerel-container-agent'),
    scriptRuns('exec "${1:-$2}"', 'sh', '', 'mackerel-container-agent'),
    scriptRuns('exec ${1:-${2:-mackerel-container-agent}}'),
  ]).toEqual([true, true, true, true, true, true, true, true, true, true, true, true]);
  // ... and the default word where $1 is set (not empty, with the colon), the alternative where it is not, and $1 only printed
  expect([
    scriptRuns('exec "${1:-mackerel-container-agent}"', 'sh', '/app/server'),
    scriptRuns('exec "${1-mackerel-container-agent}"', 'sh', ''),
    scriptRuns('exec "${1:+mackerel-container-agent}" /app/server', 'sh', ''),
    scriptRuns('x="`echo $1`"', 'sh', 'mackerel-container-agent'),
    scriptRuns("echo $'it\\'s'; echo \"$1\"", 'sh', 'mackerel-container-agent'),
    scriptRuns('exec "${1:-$2}"', 'sh', '/app/server', 'mackerel-container-agent'),
    scriptRuns('exec ${1:-${2:-mackerel-container-agent}}', 'sh', '', '/app/server'),
  ]).toEqual([false, false, false, false, false, false, false]);
});

test('a chain of wrappers or positional parameters too long to follow is read without overflowing the stack or hanging', () => {
  // GIVEN 100,000 wrappers in one another, 30 each with an option read both ways (2^30 readings), and a -c script naming "$@"
  // 100,000 times for 1,000 words
  const wrappers = `${COPY}CMD ${JSON.stringify([...Array.from({ length: 100_000 }, () => 'nice'), 'mackerel-container-agent'])}\n`;
  const forking = `${COPY}CMD ${JSON.stringify([...Array.from({ length: 30 }, () => ['nice', '--new-option']).flat(), '--', 'mackerel-container-agent'])}\n`;
  const positional = `${COPY}CMD ${JSON.stringify(['sh', '-c', '"$@" '.repeat(100_000), 'sh', ...Array.from({ length: 1_000 }, () => 'word')])}\n`;
  // ... and 100,000 default words of $1 in one another, each read in place
  const defaults = `${COPY}CMD ${JSON.stringify(['sh', '-c', `exec ${'${1:-'.repeat(100_000)}/app/server${'}'.repeat(100_000)}`])}\n`;
  // WHEN read / THEN none is followed to the end: taken as running no agent
  expect([runIn(wrappers), runIn(forking), runIn(positional), runIn(defaults)]).toEqual([undefined, undefined, undefined, undefined]);
}, 20_000);

test('function calls too many to follow (each function calling the next twice) are taken as running no agent, without hanging', () => {
  // GIVEN 18 functions each calling the next twice (some 250,000 bodies judged), the last running nothing, then the agent run
  const calls = (levels: number) => Array.from({ length: levels }, (_, i) => `f${i}() { f${i + 1}; f${i + 1}; }; `).join('')
    + `f${levels}() { :; }; f0; exec mackerel-container-agent`;
  // WHEN read / THEN the calls are not followed to the end: taken as running no agent
  expect(scriptRuns(calls(18))).toBe(false);
  // ... but 6 levels, or 200 functions each calling the next once, are followed: the agent run after them is seen
  const chain = Array.from({ length: 200 }, (_, i) => `f${i}() { f${i + 1}; }; `).join('') + 'f200() { :; }; f0; exec mackerel-container-agent';
  expect([scriptRuns(calls(6)), scriptRuns(chain)]).toEqual([true, true]);
}, 20_000);

describe('a stage built copying from a stage written after it builds no image', () => {
  test('BuildKit builds the stages needed in the order of the file and refuses a COPY from a later stage, or from the stage itself', () => {
    const agent = 'FROM mackerel/mackerel-container-agent:v0.13.2 AS agent\n';
    const runs = `COPY --from=agent ${AGENT} /usr/local/bin/\nCMD ["mackerel-container-agent"]\n`;
    // GIVEN the stage built copying from the agent's stage written after it: by name, by index, through a stage it copies from
    // or builds on, and by an ONBUILD trigger of the stage it is built on; and a stage copying from itself
    const refused = [
      `FROM alpine:3.20\n${runs}${agent}`.replace('FROM alpine:3.20', 'FROM alpine:3.20 AS app') + 'FROM app\n',
      `FROM alpine:3.20 AS app\n${runs.replace('--from=agent', '--from=1')}${agent}FROM app\n`,
      `FROM busybox AS mid\nCOPY --from=agent ${AGENT} /x\n${agent}FROM alpine:3.20\nCOPY --from=mid /x /usr/local/bin/mackerel-container-agent\n`
        + 'CMD ["mackerel-container-agent"]\n',
      `FROM alpine:3.20 AS base\nONBUILD ${runs.split('\n')[0]}\nFROM base AS app\nCMD ["mackerel-container-agent"]\n${agent}FROM app\n`,
      `${agent}FROM alpine:3.20 AS app\n${runs}COPY --from=app /etc/hosts /tmp/hosts\n`,
    ];
    // ... and the same copies from the agent's stage written before the stage running them (a trigger runs in the stage built on
    // the one holding it: the agent's stage may come between them)
    const built = [
      `${agent}FROM alpine:3.20\n${runs}`,
      `${agent}FROM alpine:3.20\n${runs.replace('--from=agent', '--from=0')}`,
      `${agent}FROM busybox AS mid\nCOPY --from=agent ${AGENT} /x\nFROM alpine:3.20\nCOPY --from=mid /x /usr/local/bin/mackerel-container-agent\n`
        + 'CMD ["mackerel-container-agent"]\n',
      `${agent}FROM alpine:3.20 AS base\nONBUILD ${runs.split('\n')[0]}\nFROM base\nCMD ["mackerel-container-agent"]\n`,
      `FROM alpine:3.20 AS base\nONBUILD ${runs.split('\n')[0]}\n${agent}FROM base\nCMD ["mackerel-container-agent"]\n`,
    ];
    // WHEN read / THEN the first run no agent (no image is built); the others copy it and run it
    expect(refused.map((text) => runIn(text))).toEqual(refused.map(() => undefined));
    expect(built.map((text) => runIn(text) !== undefined)).toEqual(built.map(() => true));
  });
});

describe('the task\'s entryPoint and command replace the image\'s, as ECS hands them to Docker', () => {
  const onAgent = 'FROM mackerel/mackerel-container-agent:v0.13.2-plugins\nENV MACKEREL_CONTAINER_PLATFORM=ecs\n';

  test('an image built on the agent\'s image whose command the task replaces with another runs no agent: the agent is added', () => {
    // GIVEN a mirror of the agent's image run by the task as the app: its entryPoint replacing the agent's ENTRYPOINT
    const { stack, taskDefinition, apiKey } = fargateTask({ memoryLimitMiB: 1024, cpu: 512 });
    taskDefinition.addContainer('server', {
      image: ecs.ContainerImage.fromAsset(dockerfileIn(onAgent)), entryPoint: ['/app/server'], memoryLimitMiB: 128, essential: false,
    });
    // WHEN
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    // THEN it is no second agent: the agent is added, and synth does not fail
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: 'mackerel-container-agent' })]),
    });
  });

  test('an entryPoint replaces the ENTRYPOINT and the CMD; a command alone is the arguments of the agent\'s own ENTRYPOINT', () => {
    const read = (options: Partial<ecs.ContainerDefinitionOptions>, text = onAgent) => runIn(text, options) !== undefined;
    // GIVEN the task's entryPoint and command running another program
    expect([
      read({ entryPoint: ['/app/server'] }),
      read({ entryPoint: ['sh', '-c'], command: ['exec /app/server'] }),
      read({ entryPoint: ['tini', '--'], command: ['ls', AGENT] }),
    ]).toEqual([false, false, false]);
    // ... and running the agent: through a wrapper or by name, as the agent's ENTRYPOINT's arguments (any flags: its main
    // ignores them, `--version` too), left to the image's own ENTRYPOINT (the Dockerfile's), or given by values known only at deploy time
    expect([
      read({ command: ['--version'] }),
      read({ entryPoint: ['tini', '--'], command: ['mackerel-container-agent', '-h'] }),
      read({}),
      read({ entryPoint: ['tini', '--'], command: ['mackerel-container-agent'] }),
      read({ entryPoint: [AGENT] }),
      read({ command: ['-log-level', 'debug'] }),
      read({ command: ['/app/server'] }, `${onAgent}ENTRYPOINT ["/docker-entrypoint.sh"]\n`),
      read({ entryPoint: [Lazy.string({ produce: () => '/app/server' })] }),
    ]).toEqual([true, true, true, true, true, true, true, true]);
  });

  test('the agent\'s image by name runs the agent whatever flags its command gives, as an L2 or an L1 container', () => {
    // The agent's binary reads no flags (its main hands os.Args to agent.Run, which ignores them): `--version` runs the agent.
    const image = 'mackerel/mackerel-container-agent:v0.13.2';
    // GIVEN the agent's image run by the task with --version, --help or -h as its command
    for (const flag of ['--version', '--help', '-h']) {
      const { stack, taskDefinition, apiKey } = fargateTask({ memoryLimitMiB: 1024, cpu: 512 });
      taskDefinition.addContainer('version', {
        image: ecs.ContainerImage.fromRegistry(image), command: [flag], environment: { MACKEREL_CONTAINER_PLATFORM: 'ecs' }, essential: false,
      });
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
      // THEN it is the agent by hand: a second agent is refused
      expect(() => Template.fromStack(stack)).toThrow(/already runs the Mackerel container agent in Stack\/Task\/version/);
    }
    // ... and in a CfnTaskDefinition
    const stack = new Stack();
    const l1 = (id: string, container: Partial<ecs.CfnTaskDefinition.ContainerDefinitionProperty>) =>
      _cfnAgentOf(new ecs.CfnTaskDefinition(stack, id, { containerDefinitions: [{ name: 'agent', image, ...container }] })).agent !== undefined;
    expect([l1('Version', { command: ['--version'] }), l1('Help', { command: ['-help'] }), l1('Runs', {})]).toEqual([true, true, true]);
  });

  test('a PATH in the container\'s environment replaces the image\'s when the binary is run by its name', () => {
    const copy = 'FROM mackerel/mackerel-container-agent:v0.13.2 AS a\nFROM debian:12\n'
      + 'COPY --from=a /usr/local/bin/mackerel-container-agent /opt/agent/bin/agent\n';
    const read = (text: string, environment?: { [name: string]: string }) => runIn(text, { environment }) !== undefined;
    // GIVEN the binary copied as /opt/agent/bin/agent and run as `agent`, with /opt/agent/bin put on the PATH by the task,
    // or by the image and taken off by the task
    expect([
      read(`${copy}CMD ["agent"]\n`),
      read(`${copy}CMD ["agent"]\n`, { PATH: '/opt/agent/bin:/usr/bin:/bin' }),
      read(`${copy}ENV PATH=/opt/agent/bin:$PATH\nCMD ["agent"]\n`),
      read(`${copy}ENV PATH=/opt/agent/bin:$PATH\nCMD ["agent"]\n`, { PATH: '/usr/bin:/bin' }),
    ]).toEqual([false, true, true, false]);
  });
});

test('a COPY to a relative destination puts the binary in the stage\'s working directory, where it is known', () => {
  const agent = 'FROM mackerel/mackerel-container-agent:v0.13.2 AS a\n';
  const copy = `COPY --from=a ${AGENT} agent\n`;
  const read = (text: string) => runIn(`${agent}${text}`) !== undefined;
  // GIVEN the binary copied as `agent` after a WORKDIR, a relative WORKDIR in another, and on scratch (whose working directory is /)
  expect([
    read(`FROM debian:12\nWORKDIR /srv\n${copy}CMD ["/srv/agent"]\n`),
    read(`FROM debian:12\nWORKDIR /srv\nWORKDIR app\n${copy}CMD ["/srv/app/agent"]\n`),
    read(`FROM debian:12 AS base\nWORKDIR /srv\nFROM base\n${copy}CMD ["/srv/agent"]\n`),
    read(`FROM scratch\n${copy}CMD ["/agent"]\n`),
  ]).toEqual([true, true, true, true]);
  // ... and where the working directory is not known here: the base image's own, or a WORKDIR with a variable
  expect([
    read(`FROM debian:12\n${copy}CMD ["/agent"]\n`),
    read(`FROM debian:12\nWORKDIR $HOME\n${copy}CMD ["/root/agent"]\n`),
  ]).toEqual([false, false]);
});

test('a WORKDIR written with a trailing slash is a directory a COPY puts the binary in, named with or without the slash', () => {
  const agent = 'FROM mackerel/mackerel-container-agent:v0.13.2 AS a\nFROM debian:12\n';
  const read = (text: string) => runIn(`${agent}${text}`) !== undefined;
  // GIVEN the binary copied to the WORKDIR named without its slash, and run as that directory (not run: it is a directory) or
  // by its name in it, and a relative WORKDIR with a slash after it
  expect([
    read(`WORKDIR /opt/app/\nCOPY --from=a ${AGENT} /opt/app\nCMD ["/opt/app"]\n`),
    read(`WORKDIR /opt/\nWORKDIR app/\nCOPY --from=a ${AGENT} /opt/app\nCMD ["/opt/app"]\n`),
  ]).toEqual([false, false]);
  expect(runIn(`${agent}WORKDIR /opt/app/\nCOPY --from=a ${AGENT} /opt/app\nCMD ["/opt/app/mackerel-container-agent"]\n`))
    .toBe('(CMD ["/opt/app/mackerel-container-agent"])');
});

test('a heredoc\'s body in a script is the input of its command, not commands; a shell given it runs it', () => {
  // GIVEN scripts writing the binary's name through heredocs (plain, tab-stripped with a quoted ending word), then running the app
  expect([
    scriptRuns('cat <<EOF\nmackerel-container-agent\nEOF\nexec /app/server'),
    scriptRuns("cat <<-'END' > /etc/motd\n\tmackerel-container-agent\n\tEND\nexec /app/server"),
  ]).toEqual([false, false]);
  // ... and a heredoc given to a shell running the binary, and a script running it after a heredoc
  expect([
    scriptRuns('sh <<EOF\nexec mackerel-container-agent\nEOF'),
    scriptRuns('cat <<EOF >/tmp/x\nhello\nEOF\nexec mackerel-container-agent'),
  ]).toEqual([true, true]);
});

test('a script piped into a shell is a script it runs: echo\'s words, printf\'s output, a heredoc given to cat', () => {
  // GIVEN a shell reading its input (no -c, no script file, or -s) from echo, printf, cat's heredoc, or through cat and tee,
  // also as the shell sudo or su runs
  expect([
    scriptRuns('echo exec mackerel-container-agent | sh'),
    scriptRuns("echo 'exec mackerel-container-agent' | bash -s"),
    scriptRuns("printf 'exec %s\\n' mackerel-container-agent | sh -s -- x"),
    scriptRuns('cat <<EOF | sh\nexec mackerel-container-agent\nEOF'),
    scriptRuns('echo exec mackerel-container-agent | cat | tee /tmp/log | sh'),
    scriptRuns('echo exec mackerel-container-agent | sudo -u app sh'),
    scriptRuns('echo exec mackerel-container-agent | su app'),
  ]).toEqual([true, true, true, true, true, true, true]);
  // ... and the same text not piped into the shell (after `;` or `||`), piped into a program that is no shell, or printed by
  // echo to a shell given a -c script; a heredoc of a command that ended before a shell on its line, given to that command; and
  // a heredoc replaced as the input by the next one given the same command
  expect([
    scriptRuns('echo exec mackerel-container-agent; sh'),
    scriptRuns('echo exec mackerel-container-agent || sh'),
    scriptRuns('echo exec mackerel-container-agent | grep agent'),
    scriptRuns("echo exec mackerel-container-agent | sh -c 'cat >/dev/null'"),
    scriptRuns('cat <<EOF >/tmp/x; sh\nexec mackerel-container-agent\nEOF'),
    scriptRuns('tee /tmp/log <<A <<B | sh\nexec mackerel-container-agent\nA\nexec /app/server\nB'),
  ]).toEqual([false, false, false, false, false, false]);
});

test('the one command of a -c script reads the shell\'s input: a shell there runs what is piped in', () => {
  // GIVEN the agent piped into (or a heredoc given) a shell whose -c script is one shell reading its input
  expect([
    scriptRuns("echo 'exec mackerel-container-agent' | sh -c 'sh'"),
    scriptRuns("echo 'exec mackerel-container-agent' | sh -c 'exec sh -s'"),
    scriptRuns("sh -c 'sh' <<EOF\nexec mackerel-container-agent\nEOF"),
  ]).toEqual([true, true, true]);
  // ... and scripts of more than one command (read takes the line first), or whose one command has its own input, or pipes
  // another text into the shell
  expect([
    scriptRuns("echo 'exec mackerel-container-agent' | sh -c 'read x; sh'"),
    scriptRuns("echo 'exec mackerel-container-agent' | sh -c 'sh </dev/null'"),
    scriptRuns("echo 'exec mackerel-container-agent' | sh -c 'echo exit 0 | sh'"),
    scriptRuns("echo 'exec /app/server' | sh -c 'sh'"),
  ]).toEqual([false, false, false, false]);
});

test('a command run in the background (`&`) reads no input of the shell: a shell there runs nothing piped in', () => {
  // GIVEN the agent given a shell whose -c script runs a shell in the background, alone, in a subshell or at the end of a
  // pipeline, or in a group given the heredoc outside it (a shell running a script gives such a list /dev/null)
  expect([
    scriptRuns("echo 'exec mackerel-container-agent' | sh -c 'sh &'"),
    scriptRuns("sh -c 'sh&' <<'EOF'\nexec mackerel-container-agent\nEOF"),
    scriptRuns("echo 'exec mackerel-container-agent' | sh -c '(sh) &'"),
    scriptRuns("echo 'exec mackerel-container-agent' | sh -c '(sh &)'"),
    scriptRuns("{ sh & } <<'EOF'\nexec mackerel-container-agent\nEOF"),
    // a pipe into the subshell or group, which dash replaces as it does a heredoc (bash gives both)
    scriptRuns("echo 'exec mackerel-container-agent' | (sh &)"),
    scriptRuns("echo 'exec mackerel-container-agent' | { sh & }"),
    scriptRuns("echo 'exec mackerel-container-agent' | { cat | sh & }"),
  ]).toEqual(Array(8).fill(false));
  // ... and a background list given its input by its own pipe or redirection, or one of a group redirected as a whole
  expect([
    scriptRuns("echo 'exec mackerel-container-agent' | sh &"),
    scriptRuns("sh <<'EOF' & wait\nexec mackerel-container-agent\nEOF"),
    scriptRuns("{ sh; } <<'EOF' &\nexec mackerel-container-agent\nEOF"),
    scriptRuns("{ { sh; } <<'EOF'; } &\nexec mackerel-container-agent\nEOF"),
    // ... or piped within the subshell or group, or a subshell or group piped into run in the background as a whole
    scriptRuns("{ echo 'exec mackerel-container-agent' | sh & }"),
    scriptRuns("echo 'exec mackerel-container-agent' | (sh) & wait"),
    scriptRuns("echo 'exec mackerel-container-agent' | { sh; } & wait"),
  ]).toEqual(Array(7).fill(true));
});

test('a shell given -n (-o noexec), --version or --help runs none of its commands', () => {
  // GIVEN shells that only read their script (-n, in a cluster too, or -o noexec), or print their version or usage
  const shell = (...words: string[]) => runIn(`${COPY}CMD ${JSON.stringify(words)}\n`) !== undefined;
  expect([
    shell('sh', '-n', '-c', 'exec mackerel-container-agent'),
    shell('sh', '-nc', 'exec mackerel-container-agent'),
    shell('bash', '-o', 'noexec', '-c', 'exec mackerel-container-agent'),
    shell('bash', '--version', '-c', 'exec mackerel-container-agent'),
    shell('bash', '--help', '-c', 'exec mackerel-container-agent'),
    shell('sh', '-n', AGENT),
  ]).toEqual(Array(6).fill(false));
  // ... and the same script run: -n turned off (+n), also after it was turned on, another option, and -n after the script (its $0)
  expect([
    shell('sh', '+n', '-c', 'exec mackerel-container-agent'),
    shell('sh', '-n', '+n', '-c', 'exec mackerel-container-agent'),
    shell('sh', '-o', 'noexec', '+o', 'noexec', '-c', 'exec mackerel-container-agent'),
    shell('bash', '-o', 'errexit', '-c', 'exec mackerel-container-agent'),
    shell('sh', '-c', 'exec mackerel-container-agent', '-n'),
  ]).toEqual(Array(5).fill(true));
  // ... and +n turned on again after it
  expect(shell('sh', '+n', '-n', '-c', 'exec mackerel-container-agent')).toBe(false);
});

test('a script that turns on -n with set runs none of its commands after it', () => {
  // GIVEN the agent run after `set -n`, in a cluster, as `set -o noexec`, and after a `set +n` the shell only reads
  expect([
    scriptRuns('set -n; exec mackerel-container-agent'),
    scriptRuns('set -en\nexec mackerel-container-agent'),
    scriptRuns('set -o noexec; exec mackerel-container-agent'),
    scriptRuns('set -o nounset -n; exec mackerel-container-agent'),
    scriptRuns('set -n; set +n; exec mackerel-container-agent'),
  ]).toEqual(Array(5).fill(false));
  // ... and set turning -n off, setting other options, or taking -n as an operand ($1), or the agent run before it, or -n turned
  // off again in the same set
  expect([
    scriptRuns('set +n; exec mackerel-container-agent'),
    scriptRuns('set +o noexec; exec mackerel-container-agent'),
    scriptRuns('set -o errexit; exec mackerel-container-agent'),
    scriptRuns('set -- -n; exec mackerel-container-agent'),
    scriptRuns('set -e -- -n; exec mackerel-container-agent'),
    scriptRuns('mackerel-container-agent; set -n'),
    // the last of -n and +n given wins, as in a shell's own options
    scriptRuns('set -n +n; exec mackerel-container-agent'),
    scriptRuns('set -o noexec +o noexec; exec mackerel-container-agent'),
  ]).toEqual(Array(8).fill(true));
});

test('set -n run by command, builtin or eval stops the shell; in a subshell, in the background or piping it stops a child only', () => {
  // GIVEN the agent run after set -n run through command (its options and -- too), builtin or eval (in the shell itself), or in a subshell after its
  // own set -n, or in a group run in the background or piped after its set -n (bash runs none of these; dash has no builtin)
  expect([
    scriptRuns('command set -n; exec mackerel-container-agent'),
    scriptRuns('builtin set -n; exec mackerel-container-agent'),
    scriptRuns("eval 'set -n'; exec mackerel-container-agent"),
    scriptRuns('eval set -o noexec; exec mackerel-container-agent'),
    scriptRuns('(set -n; exec mackerel-container-agent)'),
    scriptRuns('(set -n; (exec mackerel-container-agent))'),
    scriptRuns('{ set -n; exec mackerel-container-agent; } &'),
    scriptRuns('{ set -n; exec mackerel-container-agent; } | cat'),
    scriptRuns('command -- set -n; exec mackerel-container-agent'),
    scriptRuns('command -p -- set -o noexec; exec mackerel-container-agent'),
  ]).toEqual(Array(10).fill(false));
  // ... and the agent run after a set -n in a subshell it is not in, in the background or piping into another, or eval's
  // in a subshell (bash and dash run each), and an EXIT trap after a subshell's set -n
  expect([
    scriptRuns('(set -n); exec mackerel-container-agent'),
    scriptRuns('((set -n); exec mackerel-container-agent)'),
    scriptRuns('set -n & exec mackerel-container-agent'),
    scriptRuns('set -n | cat; exec mackerel-container-agent'),
    scriptRuns("eval 'true; (set -n)'; exec mackerel-container-agent"),
    scriptRuns('command -v set -n; exec mackerel-container-agent'),
    scriptRuns("trap 'exec mackerel-container-agent' EXIT; (set -n); /app/server"),
  ]).toEqual(Array(7).fill(true));
});

test('the one command eval runs reads eval\'s input: a shell there runs what is piped in', () => {
  // GIVEN the agent piped into eval running a shell, also as the -c script of a shell given it
  expect([
    scriptRuns("echo 'exec mackerel-container-agent' | eval 'sh'"),
    scriptRuns("echo 'exec mackerel-container-agent' | sh -c 'eval sh'"),
  ]).toEqual([true, true]);
  // ... and eval's shell given its own input, or after a command reading it first, or another text piped in
  expect([
    scriptRuns("echo 'exec mackerel-container-agent' | eval 'sh </dev/null'"),
    scriptRuns("echo 'exec mackerel-container-agent' | eval 'read x; sh'"),
    scriptRuns("echo 'exec /app/server' | eval sh"),
  ]).toEqual([false, false, false]);
});

test('an action trapped on EXIT runs as the shell exits: read as a script', () => {
  // GIVEN the agent trapped on EXIT (by name, as 0, after --, or among signals), the shell then exiting as the script ends
  expect([
    scriptRuns("trap 'exec mackerel-container-agent' EXIT; /app/server"),
    scriptRuns("trap 'exec mackerel-container-agent' 0"),
    scriptRuns("trap -- 'exec mackerel-container-agent' TERM EXIT"),
    scriptRuns("trap 'exec mackerel-container-agent' EXIT; trap 'echo bye' INT; trap -p EXIT"),
  ]).toEqual([true, true, true, true]);
  // ... and trapped on a signal only, an EXIT action only printing, and traps reset or listed
  expect([
    scriptRuns("trap 'exec mackerel-container-agent' TERM INT"),
    scriptRuns("trap 'echo mackerel-container-agent' EXIT"),
    scriptRuns('trap - EXIT; trap -p EXIT'),
  ]).toEqual([false, false, false]);
  // ... and the agent's EXIT trap replaced, reset or ignored by a later trap, the shell replaced by exec before it exits
  // (bash and dash run no EXIT trap then), or set -n turned on (no trap runs either)
  expect([
    scriptRuns("trap 'exec mackerel-container-agent' EXIT; exec /app/server"),
    scriptRuns("trap 'exec mackerel-container-agent' EXIT; trap - EXIT; /app/server"),
    scriptRuns("trap 'exec mackerel-container-agent' EXIT; trap '' 0"),
    scriptRuns("trap 'exec mackerel-container-agent' EXIT; trap EXIT"),
    scriptRuns("trap 'exec mackerel-container-agent' EXIT; trap 'echo bye' INT EXIT"),
    scriptRuns("trap 'exec mackerel-container-agent' EXIT; set -n; /app/server"),
  ]).toEqual(Array(6).fill(false));
});

test('a command after an unconditional exit, return or exec of the script is never reached', () => {
  // GIVEN the agent run after the script exits, returns, or replaces its shell with another program (also through eval)
  expect([
    scriptRuns('exit 0; exec mackerel-container-agent'),
    scriptRuns('exit\nexec mackerel-container-agent'),
    scriptRuns('return; exec mackerel-container-agent'),
    scriptRuns('exec /app/server; exec mackerel-container-agent'),
    scriptRuns('exec other-program\nmackerel-container-agent'),
    scriptRuns("eval 'exit 0'; exec mackerel-container-agent"),
  ]).toEqual(Array(6).fill(false));
  // ... and after an exit that may not run: under a condition, after && or ||, in a subshell, a pipeline, the background, a
  // command substitution or a function's body; after exec with no program (only redirections); and an EXIT trap run by the exit
  expect([
    scriptRuns('[ -n "$X" ] || exit 1; exec mackerel-container-agent'),
    scriptRuns('test -f /x && exit 0; exec mackerel-container-agent'),
    scriptRuns('if [ -f /x ]; then exit 0; fi; exec mackerel-container-agent'),
    scriptRuns('case "$1" in a) exit 0;; esac; exec mackerel-container-agent'),
    scriptRuns('while false; do exit 0; done; exec mackerel-container-agent'),
    scriptRuns('(exit 0); exec mackerel-container-agent'),
    scriptRuns('exit 0 | cat; exec mackerel-container-agent'),
    scriptRuns('exit 0 & exec mackerel-container-agent'),
    scriptRuns('x=$(exit 0); exec mackerel-container-agent'),
    scriptRuns('die() { echo "$1"; exit 1; }; [ -n "$X" ] || die unset; exec mackerel-container-agent'),
    scriptRuns('exec >/dev/null 2>&1; exec mackerel-container-agent'),
    scriptRuns("trap 'exec mackerel-container-agent' EXIT; exit 0"),
  ]).toEqual(Array(12).fill(true));
});

test('under -e (set -e, set -o errexit, sh -e, sh -ec) a command that surely fails ends the script before the agent', () => {
  // GIVEN -e turned on by set (also through eval or a function called, or under a condition) or the shell's options, then
  // a command that surely fails before the agent: false, a subshell exiting with a failing status, an assignment from a
  // command substitution that fails, one in a function's body, the last of a pipeline, one piping under pipefail
  const shell = (...words: string[]) => runIn(`${COPY}CMD ${JSON.stringify(words)}\n`) !== undefined;
  expect([
    scriptRuns('set -e; false; exec mackerel-container-agent'),
    scriptRuns('set -o errexit; false; exec mackerel-container-agent'),
    scriptRuns('set -euo pipefail; command false; exec mackerel-container-agent'),
    shell('sh', '-e', '-c', 'false; exec mackerel-container-agent'),
    shell('sh', '-ec', '(exit 3); exec mackerel-container-agent'),
    shell('bash', '-o', 'errexit', '-c', 'false; exec mackerel-container-agent'),
    scriptRuns('set -e; x=$(false); exec mackerel-container-agent'),
    scriptRuns('set -e; x=$(exit 2); exec mackerel-container-agent'),
    scriptRuns('set -e; f() { false; }; f; exec mackerel-container-agent'),
    scriptRuns('f() { set -e; }; f; false; exec mackerel-container-agent'),
    scriptRuns("eval 'set -e'; false; exec mackerel-container-agent"),
    scriptRuns("set -e; eval 'false; exec mackerel-container-agent'"),
    scriptRuns('[ -n "$X" ] && set -e; false; exec mackerel-container-agent'),
    scriptRuns('set -e; echo x | false; exec mackerel-container-agent'),
    scriptRuns('set -eo pipefail; false | cat; exec mackerel-container-agent'),
  ]).toEqual(Array(15).fill(false));
  // ... and without -e, or with it turned off first; commands that succeed, or that may fail but are read as succeeding, as
  // the reader reads them everywhere (a program, cd, [, cp, also last of an && list, in a branch, a loop's or a function's
  // body, a pipeline under pipefail: taken as failing, a task whose setup succeeds would get a second agent); commands whose
  // status is tested (a condition of an if or a while, before && or ||, after !, a group before ||, a function called in a
  // condition); a failure in a subshell before ||, a command substitution or the background, or piping into another command
  // without pipefail; a subshell exiting 0 (or 256); the EXIT trap after false, or after a command that may fail
  expect([
    scriptRuns('false; exec mackerel-container-agent'),
    scriptRuns('set -e; set +e; false; exec mackerel-container-agent'),
    scriptRuns('set -e; true; :; X=1; export X=1; echo start; exec mackerel-container-agent'),
    scriptRuns('set -e; if false; then :; fi; while false; do :; done; exec mackerel-container-agent'),
    scriptRuns('set -e; false || true; ! false; false && false || echo; exec mackerel-container-agent'),
    scriptRuns('set -e; { false; } || :; exec mackerel-container-agent'),
    scriptRuns('set -e; f() { false; }; if f; then :; fi; exec mackerel-container-agent'),
    scriptRuns('set -e; (false) || :; x=$(false) || :; false & false | echo; exec mackerel-container-agent'),
    scriptRuns('set -e\nif [ -n "$X" ]; then\n  export Y=1\nfi\nexec mackerel-container-agent'),
    scriptRuns("trap 'exec mackerel-container-agent' EXIT; set -e; false"),
    scriptRuns('set -e; exec mackerel-container-agent'),
    scriptRuns('set -e; (exit 0); (exit 256); x=$(exit 0); exec mackerel-container-agent'),
    scriptRuns('set -euo pipefail; cd /app; exec mackerel-container-agent'),
    shell('sh', '-ec', '/app/setup; exec mackerel-container-agent'),
    scriptRuns('set -e; /app/setup; exec mackerel-container-agent'),
    scriptRuns('set -e; [ -f /x ] && /app/setup; exec mackerel-container-agent'),
    scriptRuns('set -e; if [ -f /x ]; then /app/setup; fi; exec mackerel-container-agent'),
    scriptRuns('set -e; for f in /x/*; do cp $f /y; done; exec mackerel-container-agent'),
    scriptRuns('set -e; f() { /app/setup; }; f; exec mackerel-container-agent'),
    scriptRuns('set -e; echo x | /app/filter; exec mackerel-container-agent'),
    scriptRuns('set -eo pipefail; /app/gen | cat; exec mackerel-container-agent'),
    scriptRuns('set -e; x=$(/app/gen); exec mackerel-container-agent'),
    scriptRuns("trap 'exec mackerel-container-agent' EXIT; set -e; /app/x"),
  ]).toEqual(Array(23).fill(true));
});

test('under -e an exit run only where a check fails (`cd /app || exit 1`) is read as without -e: the agent after it runs', () => {
  // GIVEN exits guarded by a test or a command's failure, at the top or in a function's body called, before the agent under -e
  expect([
    scriptRuns('set -e; cd /app || exit 1; exec mackerel-container-agent'),
    scriptRuns('set -eu; [ -n "$X" ] || exit 1; exec mackerel-container-agent'),
    scriptRuns('set -e\nif [ -z "$X" ]; then\n  echo missing >&2\n  exit 1\nfi\nexec mackerel-container-agent'),
    scriptRuns('set -e; check() { [ -f /ready ] || exit 1; }; check; exec mackerel-container-agent'),
  ]).toEqual(Array(4).fill(true));
  // ... but an exit run each time is no
  expect(scriptRuns('set -e; exit 0; exec mackerel-container-agent')).toBe(false);
});

test('under -e the condition of an elif is tested as an if\'s: a command failing there does not end the script', () => {
  // GIVEN commands that fail in an elif's condition (on one line, over lines, in a compound in it), before the agent under -e
  expect([
    scriptRuns('set -e; if [ -f /a ]; then :; elif false; then :; fi; exec mackerel-container-agent'),
    scriptRuns('set -e\nif [ -f /a ]\nthen :\nelif false\nthen :\nfi\nexec mackerel-container-agent'),
    scriptRuns('set -e; if [ -f /a ]; then :; elif { false; }; then :; else :; fi; exec mackerel-container-agent'),
    scriptRuns('set -e; if [ -f /a ]; then :; elif [ -f /b ]; then /app/setup; else /app/setup; fi; exec mackerel-container-agent'),
  ]).toEqual(Array(4).fill(true));
  // ... but a command that surely fails in the branch of an elif or an else still ends it
  expect([
    scriptRuns('set -e; if [ -f /a ]; then :; elif [ -f /b ]; then false; fi; exec mackerel-container-agent'),
    scriptRuns('set -e; if [ -f /a ]; then :; elif [ -f /b ]; then :; else false; fi; exec mackerel-container-agent'),
  ]).toEqual(Array(2).fill(false));
});

test('under -e a subshell failing ends the script: it inherits -e, and its status is that of the command failing in it', () => {
  // GIVEN subshells (alone, nested, as a function's body called, redirected, exiting with a status) in which a command
  // surely fails, their status not tested, before the agent under -e: bash and dash both exit there
  expect([
    scriptRuns('set -e; (false); exec mackerel-container-agent'),
    scriptRuns('set -e; (cd /app && false); exec mackerel-container-agent'),
    scriptRuns('set -e\n(false; echo done)\nexec mackerel-container-agent'),
    scriptRuns('set -e; ( (false); echo done ); exec mackerel-container-agent'),
    scriptRuns('set -e; (exit 1); exec mackerel-container-agent'),
    scriptRuns('set -e; (false) >/dev/null 2>&1; exec mackerel-container-agent'),
    scriptRuns('set -e; f() ( false ); f; exec mackerel-container-agent'),
    scriptRuns('set -e; f() { (exit 2); }; f; exec mackerel-container-agent'),
    scriptRuns('set -eo pipefail; (/app/a; false) | echo; exec mackerel-container-agent'),
  ]).toEqual(Array(9).fill(false));
  // ... but a subshell whose status is tested (before || or &&, in a condition), run in the background, piping into another
  // command without pipefail, failing in it only where tested there, or run without -e; or one whose commands may fail
  // but need not (read as succeeding)
  expect([
    scriptRuns('set -e; (false) || :; exec mackerel-container-agent'),
    scriptRuns('set -e; (/app/a; false) && echo ok; exec mackerel-container-agent'),
    scriptRuns('set -e; ( (false) ) || :; exec mackerel-container-agent'),
    scriptRuns('set -e; if (false); then :; fi; while (false); do :; done; exec mackerel-container-agent'),
    scriptRuns('set -e; (false) & exec mackerel-container-agent'),
    scriptRuns('set -e; (/app/a; false) | echo; exec mackerel-container-agent'),
    scriptRuns('set -e; (false || true); exec mackerel-container-agent'),
    scriptRuns('set -e; f() ( false ); f || :; exec mackerel-container-agent'),
    scriptRuns('(false); exec mackerel-container-agent'),
    scriptRuns('set -e; (cd /app && ./setup); exec mackerel-container-agent'),
    scriptRuns('set -e\n(/app/setup; echo done)\nexec mackerel-container-agent'),
    scriptRuns('set -e; ( (/app/setup); echo done ); exec mackerel-container-agent'),
    scriptRuns('set -e; (/app/setup) >/dev/null 2>&1; exec mackerel-container-agent'),
    scriptRuns('set -e; f() ( /app/setup ); f; exec mackerel-container-agent'),
    scriptRuns('set -e; f() { (/app/setup); }; f; exec mackerel-container-agent'),
    scriptRuns('set -eo pipefail; (/app/a; /app/b) | echo; exec mackerel-container-agent'),
  ]).toEqual(Array(16).fill(true));
});

test('under -e a command that surely fails in a function\'s body ends the script before the agent run later in that body', () => {
  // GIVEN the agent run in a function's body after a command that surely fails there, under -e set before the call, by the
  // shell's options, in the body itself, through a function it calls, or in an EXIT trap's function
  const shell = (...words: string[]) => runIn(`${COPY}CMD ${JSON.stringify(words)}\n`) !== undefined;
  expect([
    scriptRuns('set -e; main() { x=$(false); exec mackerel-container-agent; }; main'),
    scriptRuns('set -e\nmain() {\n  false\n  exec mackerel-container-agent\n}\nmain "$@"'),
    shell('sh', '-ec', 'main() { false; exec mackerel-container-agent; }; main'),
    scriptRuns('main() { set -e; false; exec mackerel-container-agent; }; main'),
    scriptRuns('set -e; start() { exec mackerel-container-agent; }; main() { false; start; }; main'),
    scriptRuns('set -e; migrate() { false; }; main() { migrate; exec mackerel-container-agent; }; main'),
    scriptRuns('set -e; main() { (false); exec mackerel-container-agent; }; main'),
    scriptRuns('set -e; atexit() { false; exec mackerel-container-agent; }; trap atexit EXIT'),
  ]).toEqual(Array(8).fill(false));
  // ... but without -e, with the failure tested in the body, with commands that succeed, with the call's status tested
  // (-e is then ignored in the whole body, a set -e there too), or with commands that may fail but need not
  expect([
    scriptRuns('main() { /app/migrate; exec mackerel-container-agent; }; main'),
    scriptRuns('set -e; main() { false || :; exec mackerel-container-agent; }; main'),
    scriptRuns('set -e; main() { echo start; export X=1; exec mackerel-container-agent; }; main'),
    scriptRuns('set -e; main() { false; exec mackerel-container-agent; }; main || exit 1'),
    scriptRuns('main() { set -e; false; exec mackerel-container-agent; }; if main; then :; fi'),
    scriptRuns('set -e; main() { /app/migrate; exec mackerel-container-agent; }; main'),
    shell('sh', '-ec', 'main() { /app/migrate; exec mackerel-container-agent; }; main'),
    scriptRuns('main() { set -e; /app/migrate; exec mackerel-container-agent; }; main'),
    scriptRuns('set -e; start() { exec mackerel-container-agent; }; main() { /app/migrate; start; }; main'),
    scriptRuns('set -e; migrate() { /app/migrate; }; main() { migrate; exec mackerel-container-agent; }; main'),
    scriptRuns('set -e; main() { (/app/migrate); exec mackerel-container-agent; }; main'),
    scriptRuns('set -e; atexit() { /app/x; exec mackerel-container-agent; }; trap atexit EXIT'),
  ]).toEqual(Array(12).fill(true));
});

test('under -e a command that surely fails in the background ends that child before the agent run after it there', () => {
  // GIVEN the agent run in a subshell or group in the background after a command that surely fails there, under -e
  expect([
    scriptRuns('set -e; (false; exec mackerel-container-agent) & wait'),
    scriptRuns('set -e; { false; mackerel-container-agent; } & wait'),
  ]).toEqual(Array(2).fill(false));
  // ... but the failure tested there, without -e, the agent run by the shell itself after a child failing, or a command
  // there that may fail but need not
  expect([
    scriptRuns('set -e; (false || :; exec mackerel-container-agent) & wait'),
    scriptRuns('(false; exec mackerel-container-agent) & wait'),
    scriptRuns('set -e; false & exec mackerel-container-agent'),
    scriptRuns('set -e; (/app/migrate; exec mackerel-container-agent) & wait'),
  ]).toEqual(Array(4).fill(true));
});

test('under -e a function called in a child of the shell ends that child where its body surely fails, the call not tested', () => {
  // GIVEN the agent run in a function's body after a command that surely fails there, under -e, the function called in the
  // background, piping into another command, in a subshell in the background or in a command substitution (whose -e
  // dash and bash as sh keep), or a command of the body piping out or in the background: -e ends that child there
  expect([
    scriptRuns('set -e; main() { false; exec mackerel-container-agent; }; main & wait'),
    scriptRuns('set -e; main() { false; exec mackerel-container-agent; }; main | cat'),
    scriptRuns('set -e; main() { false; exec mackerel-container-agent; }; (main) & wait'),
    scriptRuns('set -e; main() { false; exec mackerel-container-agent; }; x=$(main)'),
    scriptRuns('set -e; start() { false; exec mackerel-container-agent; }; main() { start | cat; }; main'),
    scriptRuns('set -e; main() { { false; exec mackerel-container-agent; } | cat; }; main'),
    scriptRuns('set -e; main() { (false; exec mackerel-container-agent) & wait; }; main'),
  ]).toEqual(Array(7).fill(false));
  // ... but -e ignored in the body where the pipeline's or a subshell's or group's status holding the call is tested, or
  // a command of the body that may fail but need not
  expect([
    scriptRuns('set -e; main() { false; exec mackerel-container-agent; }; main | cat || exit 1'),
    scriptRuns('set -e; main() { false; exec mackerel-container-agent; }; ! main | cat'),
    scriptRuns('set -e; main() { false; exec mackerel-container-agent; }; (main | cat) || exit 1'),
    scriptRuns('set -e; main() { false; exec mackerel-container-agent; }; (main) || exit 1'),
    scriptRuns('set -e; main() { false; exec mackerel-container-agent; }; { main; } || exit 1'),
    scriptRuns('set -e; main() { (false; exec mackerel-container-agent) || exit 1; }; main'),
    scriptRuns('set -e; main() { /app/migrate; exec mackerel-container-agent; }; main & wait'),
    scriptRuns('set -e; main() { /app/migrate; exec mackerel-container-agent; }; main | cat'),
    scriptRuns('set -e; main() { /app/migrate; exec mackerel-container-agent; }; (main) & wait'),
    scriptRuns('set -e; start() { /app/migrate; exec mackerel-container-agent; }; main() { start | cat; }; main'),
    scriptRuns('set -e; main() { { /app/migrate; exec mackerel-container-agent; } | cat; }; main'),
    scriptRuns('set -e; main() { (/app/migrate; exec mackerel-container-agent) & wait; }; main'),
  ]).toEqual(Array(12).fill(true));
});

test('under -e a failure in a subshell whose status is tested ends nothing: -e is ignored there as in the shell', () => {
  // GIVEN the agent run in a subshell after a command that surely fails there, under -e, the subshell's status tested
  // (before || or &&, in a subshell so tested, or piping into a pipeline so tested): bash and dash ignore -e in it too
  expect([
    scriptRuns('set -e; (false; exec mackerel-container-agent) || exit 1'),
    scriptRuns('set -e; (false; mackerel-container-agent) && echo done'),
    scriptRuns('set -e; ( (false; exec mackerel-container-agent) ) || exit 1'),
    scriptRuns('set -e; (false; exec mackerel-container-agent) | cat || exit 1'),
    scriptRuns('set -e; (/app/migrate; exec mackerel-container-agent) | cat'),
  ]).toEqual(Array(5).fill(true));
  // ... but not where its status is not tested: -e ends the subshell there
  expect([
    scriptRuns('set -e; (false; exec mackerel-container-agent) | cat'),
    scriptRuns('set -e; (false; exec mackerel-container-agent) & wait'),
  ]).toEqual(Array(2).fill(false));
});

test('under -e a failure in one child of the shell does not end another: a lone background command is a child by itself', () => {
  // GIVEN under -e a server and the agent each run in the background, in the script or a function's body, a command that
  // surely fails in a subshell or group in the background before the agent run in another child: each is its own child
  expect([
    scriptRuns('set -e; nginx -g "daemon off;" & mackerel-container-agent & wait -n'),
    scriptRuns('set -e; /app/server & mackerel-container-agent & wait'),
    scriptRuns('set -e; main() { /app/server & mackerel-container-agent & wait; }; main'),
    scriptRuns('set -e; (false) & (exec mackerel-container-agent) & wait'),
    scriptRuns('set -e; { false; echo done; } & mackerel-container-agent & wait'),
    scriptRuns('set -e; main() { { false; echo done; } & mackerel-container-agent & wait; }; main'),
    scriptRuns('set -e; { /app/x; mackerel-container-agent; } & wait'),
    scriptRuns('set -e; ((/app/x); mackerel-container-agent) & wait'),
  ]).toEqual(Array(8).fill(true));
  // ... but the agent run after the failure in the same child, also in a subshell in it, is not
  expect([
    scriptRuns('set -e; { false; mackerel-container-agent; } & wait'),
    scriptRuns('set -e; main() { { false; mackerel-container-agent; } & wait; }; main'),
    scriptRuns('set -e; (false; (mackerel-container-agent)) & wait'),
    scriptRuns('set -e; ((false); mackerel-container-agent) & wait'),
    scriptRuns('set -e; { (false); mackerel-container-agent; } & wait'),
  ]).toEqual(Array(5).fill(false));
});

test('under -e a call of a function in a body is read in its body, not as a program', () => {
  // GIVEN under -e a function calling a helper whose body cannot fail, before the agent run after the call or in a body;
  // or a helper not yet defined where it is called (a program then, read as succeeding)
  expect([
    scriptRuns('set -e; setup() { configure; }; configure() { echo configured; }; setup; exec mackerel-container-agent'),
    scriptRuns('set -e; main() { setup; exec mackerel-container-agent; }; setup() { prepare; }; prepare() { export X=1; }; main'),
    scriptRuns('set -e; setup() { configure; }; setup; configure() { :; }; exec mackerel-container-agent'),
    scriptRuns('set -e; main() { setup; exec mackerel-container-agent; }; setup() { prepare; }; main; prepare() { :; }'),
  ]).toEqual(Array(4).fill(true));
  // ... but a helper whose body surely fails ends the script
  expect([
    scriptRuns('set -e; setup() { configure; }; configure() { false; }; setup; exec mackerel-container-agent'),
    scriptRuns('set -e; main() { setup; exec mackerel-container-agent; }; setup() { prepare; }; prepare() { false; }; main'),
  ]).toEqual(Array(2).fill(false));
});

test('under -e a set +e run each time a function\'s body runs turns -e off for the rest of that body', () => {
  // GIVEN under -e the agent run in a function's body after a command that surely fails, -e turned off before it there
  expect([
    scriptRuns('set -e; main() { set +e; false; exec mackerel-container-agent; }; main'),
    scriptRuns('set -e; main() { set +o errexit; false; exec mackerel-container-agent; }; main'),
  ]).toEqual([true, true]);
  // ... but not where it may not run, runs in a subshell, or -e is turned on again before the failure
  expect([
    scriptRuns('set -e; main() { if [ -n "$X" ]; then set +e; fi; false; exec mackerel-container-agent; }; main'),
    scriptRuns('set -e; main() { (set +e); false; exec mackerel-container-agent; }; main'),
    scriptRuns('set -e; main() { set +e; false; set -e; false; exec mackerel-container-agent; }; main'),
  ]).toEqual([false, false, false]);
});

test('exec and exit run through command or builtin end the script as they do alone', () => {
  // GIVEN the agent run after the shell is replaced or exits through `command` or `builtin`, or trapped on EXIT then
  expect([
    scriptRuns('command exec /app/server; exec mackerel-container-agent'),
    scriptRuns('builtin exec /app/server\nmackerel-container-agent'),
    scriptRuns('command exit 0; exec mackerel-container-agent'),
    scriptRuns("trap 'exec mackerel-container-agent' EXIT; command exec /app/server"),
  ]).toEqual(Array(4).fill(false));
  // ... and `command exec` with only redirections, and `command -v exec`, which end nothing
  expect([
    scriptRuns('command exec >/dev/null 2>&1; exec mackerel-container-agent'),
    scriptRuns('command -v exec; exec mackerel-container-agent'),
  ]).toEqual([true, true]);
});

test('a call of a function whose body exits or execs each time it is called ends the script there', () => {
  // GIVEN functions exiting or replacing the shell, called before the agent, directly or through another function
  expect([
    scriptRuns('f() { exit 0; }; f; exec mackerel-container-agent'),
    scriptRuns('function f { echo done; exit 0; }; f; exec mackerel-container-agent'),
    scriptRuns('f() { command exec /app/server; }; g() { f; }; g; exec mackerel-container-agent'),
    scriptRuns('f() { { exit 0; }; }; f; exec mackerel-container-agent'),
    // an exec replaces the shell before its EXIT trap could run
    scriptRuns('f() { exec /app/server; }; trap mackerel-container-agent EXIT; f'),
  ]).toEqual([false, false, false, false, false]);
  // ... and bodies exiting only under a condition, in a subshell, pipeline or background, after a return, and calls made
  // under a condition or in the background; an exit still running the EXIT trap
  expect([
    scriptRuns('f() { [ -n "$KEY" ] || exit 1; }; f; exec mackerel-container-agent'),
    scriptRuns('f() { if [ -z "$KEY" ]; then exit 1; fi; }; f; exec mackerel-container-agent'),
    scriptRuns('f() { ( exit 1 ); echo x | exit 1; exit 1 & }; f; exec mackerel-container-agent'),
    scriptRuns('f() ( exit 1 ); f; exec mackerel-container-agent'),
    scriptRuns('f() { return 0; exit 1; }; f; exec mackerel-container-agent'),
    scriptRuns('f() { exit 0; }; [ -n "$X" ] && f; f & exec mackerel-container-agent'),
    scriptRuns('f() { exit 0; }; trap mackerel-container-agent EXIT; f'),
  ]).toEqual([true, true, true, true, true, true, true]);
});

test('a command or group negated by ! runs each time the script reaches it: its exit or exec ends the script', () => {
  // GIVEN an exit or exec negated by `!`, alone or as a group, at the script's top or in a group
  expect([
    scriptRuns('! { exit 0; }; exec mackerel-container-agent'),
    scriptRuns('! exit 0; exec mackerel-container-agent'),
    scriptRuns('! exec /app/server; exec mackerel-container-agent'),
    scriptRuns('{ ! { exit 0; }; }; exec mackerel-container-agent'),
  ]).toEqual([false, false, false, false]);
  // ... and negated ones still under a condition, in a pipeline or in the background, and a negated run of the agent
  expect([
    scriptRuns('! true && exit 0; exec mackerel-container-agent'),
    scriptRuns('! { exit 0; } | cat; exec mackerel-container-agent'),
    scriptRuns('! { exit 0; } & exec mackerel-container-agent'),
    scriptRuns('! { mackerel-container-agent; }'),
  ]).toEqual([true, true, true, true]);
});

test('the first condition of an if, while or until runs each time the script reaches it: its exit or exec ends the script', () => {
  // GIVEN an exit or exec in the condition of an if, a while or an until loop (negated or in a group too), at the top or in
  // a function's body called
  expect([
    scriptRuns('if ! { exit 0; }; then :; fi; exec mackerel-container-agent'),
    scriptRuns('while exit 0; do :; done; exec mackerel-container-agent'),
    scriptRuns('until exit 0; do :; done; exec mackerel-container-agent'),
    scriptRuns('if exec /app/server; then :; fi; exec mackerel-container-agent'),
    scriptRuns('f() { while exit 0; do :; done; }; f; exec mackerel-container-agent'),
  ]).toEqual(Array(5).fill(false));
  // ... and exits in an elif's condition, a branch, a loop's body, after && in the condition, or in a condition in a branch
  expect([
    scriptRuns('if true; then :; elif exit 0; then :; fi; exec mackerel-container-agent'),
    scriptRuns('if [ -n "$X" ]; then exit 0; fi; exec mackerel-container-agent'),
    scriptRuns('while [ -n "$X" ]; do exit 0; done; exec mackerel-container-agent'),
    scriptRuns('if [ -n "$X" ] && exit 0; then :; fi; exec mackerel-container-agent'),
    scriptRuns('if [ -n "$X" ]; then if exit 0; then :; fi; fi; exec mackerel-container-agent'),
    scriptRuns('f() { for x in a; do\n  exit 0\ndone; }; f; exec mackerel-container-agent'),
  ]).toEqual(Array(6).fill(true));
});

test('a loop whose condition always holds (`while :`, `while true`, `until false`) is left only by a break: an exit in it ends the script', () => {
  // GIVEN the agent run after such loops exiting, or looping for ever (also in a function's body called), and an EXIT trap
  // before one looping for ever
  expect([
    scriptRuns('while :; do exit 0; done; exec mackerel-container-agent'),
    scriptRuns('while true; do exit 0; done; exec mackerel-container-agent'),
    scriptRuns('until false; do exit 0; done; exec mackerel-container-agent'),
    scriptRuns('while true\ndo\n  /app/poll\ndone\nexec mackerel-container-agent'),
    scriptRuns('f() { while :; do sleep 1; done; }; f; exec mackerel-container-agent'),
    scriptRuns("trap 'exec mackerel-container-agent' EXIT; while :; do sleep 1; done"),
  ]).toEqual(Array(6).fill(false));
  // ... but loops that may break (or continue an outer loop, or call a function that may break), whose condition may not
  // hold, run under a condition, in a subshell or the background, and the agent run in the loop
  expect([
    scriptRuns('while :; do if [ -f /ready ]; then break; fi; sleep 1; done; exec mackerel-container-agent'),
    scriptRuns('for x in a; do while :; do continue 2; done; done; exec mackerel-container-agent'),
    scriptRuns('g() { break; }; while :; do g; done; exec mackerel-container-agent'),
    scriptRuns('until [ -f /ready ]; do sleep 1; done; exec mackerel-container-agent'),
    scriptRuns('while false; do exit 0; done; until true; do exit 0; done; exec mackerel-container-agent'),
    scriptRuns('[ -n "$X" ] && while :; do exit 0; done; exec mackerel-container-agent'),
    scriptRuns('(while :; do exit 0; done); exec mackerel-container-agent'),
    scriptRuns('while :; do exit 0; done & exec mackerel-container-agent'),
    scriptRuns('while :; do mackerel-container-agent; sleep 1; done'),
  ]).toEqual(Array(9).fill(true));
});

test('a group run each time the script reaches it ends the script where its exit or exec does', () => {
  // GIVEN the agent run after a group (`{ ...; }`, nested too) that surely exits or replaces the shell
  expect([
    scriptRuns('{ exit 0; }; exec mackerel-container-agent'),
    scriptRuns('{\n  echo starting\n  exec /app/server\n}\nexec mackerel-container-agent'),
    scriptRuns('{ { exit 0; }; } 2>/dev/null; exec mackerel-container-agent'),
    scriptRuns('{ exit 0; } || exec mackerel-container-agent'),
  ]).toEqual(Array(4).fill(false));
  // ... and after a group run in a subshell (piped, piping, in the background), under a condition, or a function's body
  expect([
    scriptRuns('{ exit 0; } | cat; exec mackerel-container-agent'),
    scriptRuns('echo | { exit 0; }; exec mackerel-container-agent'),
    scriptRuns('{ exit 0; } & exec mackerel-container-agent'),
    scriptRuns('[ -f /x ] || { echo missing; exit 1; }; exec mackerel-container-agent'),
    scriptRuns('if [ -f /x ]; then { exit 0; }; fi; exec mackerel-container-agent'),
    scriptRuns('{ [ -f /x ] && exit 0; }; exec mackerel-container-agent'),
    scriptRuns('f() { { exit 0; }; }; exec mackerel-container-agent'),
  ]).toEqual(Array(7).fill(true));
});

test('a shell function\'s body runs only where the function is called after it is defined', () => {
  // GIVEN functions running the agent that are never called, or called before they are defined, or defined over
  expect([
    scriptRuns('f() { exec mackerel-container-agent; }'),
    scriptRuns('f() {\n  exec mackerel-container-agent\n}\nexec /app/server'),
    scriptRuns('function f { exec mackerel-container-agent; }; exec /app/server'),
    scriptRuns('f() ( exec mackerel-container-agent ); /app/server'),
    scriptRuns('f; f() { exec mackerel-container-agent; }'),
    scriptRuns('f() { exec mackerel-container-agent; }; f() { exec /app/server; }; f'),
  ]).toEqual(Array(6).fill(false));
  // ... and called, in any of those forms, or under a condition
  expect([
    scriptRuns('f() { exec mackerel-container-agent; }; f'),
    scriptRuns('f() {\n  exec mackerel-container-agent\n}\nf "$@"'),
    scriptRuns('function f { exec mackerel-container-agent; }; f'),
    scriptRuns('function f() { exec mackerel-container-agent; }; f'),
    scriptRuns('f() ( exec mackerel-container-agent ); f'),
    scriptRuns('f() { exec mackerel-container-agent; }; [ -n "$X" ] && f'),
  ]).toEqual(Array(6).fill(true));
});

test('a function called runs the functions its body calls, as they are defined when it runs, and an EXIT trap may call one', () => {
  // GIVEN the agent run by a function that another calls, defined before or after the caller, or trapped on EXIT by name
  expect([
    scriptRuns('start_agent() {\n  exec mackerel-container-agent\n}\nmain() {\n  echo starting\n  start_agent\n}\nmain "$@"'),
    scriptRuns('main() { start_agent; }; start_agent() { exec mackerel-container-agent; }; main'),
    scriptRuns('agent() { exec mackerel-container-agent; }; trap agent EXIT; exit 0'),
  ]).toEqual([true, true, true]);
  // ... and functions calling one another in a loop, a caller never called, a trapped function not running the agent
  expect([
    scriptRuns('f() { g; }; g() { f; }; f; exec /app/server'),
    scriptRuns('start_agent() { exec mackerel-container-agent; }; main() { start_agent; }; exec /app/server'),
    scriptRuns('bye() { echo bye; }; trap bye EXIT; exit 0'),
  ]).toEqual([false, false, false]);
});

test('a function whose body resets or replaces the EXIT trap, or sets -n, is taken as leaving no EXIT trap run', () => {
  // GIVEN the agent trapped on EXIT, then a function called whose body (or a function it calls, or one of an if's branches)
  // resets the trap or sets -n, which stops the later commands and the trap
  expect([
    scriptRuns("trap 'exec mackerel-container-agent' EXIT; f() { trap - EXIT; }; f"),
    scriptRuns("trap 'exec mackerel-container-agent' EXIT; f() { trap '' EXIT; exit 0; }; f"),
    scriptRuns("trap 'exec mackerel-container-agent' EXIT; g() { eval 'trap - EXIT'; }; f() { g; }; f"),
    scriptRuns("trap 'exec mackerel-container-agent' EXIT; if a; then f() { trap - EXIT; }; else f() { :; }; fi; f"),
    scriptRuns("trap 'exec mackerel-container-agent' EXIT; f() { set -n; }; f; exit 0"),
    scriptRuns('f() { set -n; }; f; exec mackerel-container-agent'),
  ]).toEqual(Array(6).fill(false));
  // ... but not where the body traps another condition, or traps nothing
  expect([
    scriptRuns("trap 'exec mackerel-container-agent' EXIT; f() { trap 'echo stopping' INT; }; f"),
    scriptRuns("trap 'exec mackerel-container-agent' EXIT; f() { echo starting; }; f; exit 0"),
  ]).toEqual([true, true]);
});

test('a function defined in another\'s body is defined only as that one runs; one defined in a subshell, a branch or the background, or unset, is not known after', () => {
  // GIVEN functions defined in a function's body never called there, or called after the outer one redefines them; defined
  // in a subshell, in either branch of an if, in the background; or unset before they are called
  expect([
    scriptRuns('a() { b() { mackerel-container-agent; }; }; a; exec /app/server'),
    scriptRuns('a() { b() { :; }; }; b() { exec mackerel-container-agent; }; a; b'),
    scriptRuns('a() { b() { exit 0; }; b; }; a; exec mackerel-container-agent'),
    scriptRuns('( f() { mackerel-container-agent; }; ); f; exec /app/server'),
    scriptRuns('if [ -n "$X" ]; then f() { exit 0; }; else f() { exit 1; }; fi; f; exec mackerel-container-agent'),
    scriptRuns('f() { exit 0; } & f; exec mackerel-container-agent'),
    scriptRuns('f() { mackerel-container-agent; }; unset -f f; f; exec /app/server'),
    scriptRuns('f() { mackerel-container-agent; }; g() { unset -f f; }; g; f; exec /app/server'),
    scriptRuns('{ function f { mackerel-container-agent; }; }; exec /app/server'),
  ]).toEqual(Array(9).fill(false));
  // ... and a function defined in another's body and called there, one whose variable only is unset, and the background
  // run in a body
  expect([
    scriptRuns('a() { b() { exec mackerel-container-agent; }; b; }; a'),
    scriptRuns('f() { mackerel-container-agent; }; unset -v f; f; exec /app/server'),
    scriptRuns('f() { sleep 1 & }; f; exec mackerel-container-agent'),
  ]).toEqual([true, true, true]);
});

test('a function defined in every branch of an if with an else is defined after it as one of those, each judged', () => {
  // GIVEN a function defined in each branch of an if (and its elifs) with an else, each running the agent, or none ending the
  // shell before the agent, then called
  expect([
    scriptRuns('if [ -n "$X" ]; then f() { exec mackerel-container-agent -v; }; else f() { exec mackerel-container-agent; }; fi; f'),
    scriptRuns('if [ -n "$X" ]; then\n  log() { echo "$1"; }\nelse\n  log() { :; }\nfi\nlog starting\nexec mackerel-container-agent'),
    scriptRuns('if a; then f() { echo a; }; elif b; then f() { echo b; }; else f() { echo c; }; fi; f; exec mackerel-container-agent'),
    scriptRuns('h() { f; }; if a; then f() { exec mackerel-container-agent; }; else f() { exec mackerel-container-agent; }; fi; h'),
  ]).toEqual([true, true, true, true]);
  // ... and one branch's running no agent or exiting, a branch defining none, an if with no else, an if in the background,
  // in a pipeline, after && or in a branch, a definition after && or in the background in a branch, or one unset in a branch
  expect([
    scriptRuns('if [ -n "$X" ]; then f() { exec mackerel-container-agent; }; else f() { exec /app/server; }; fi; f'),
    scriptRuns('if a; then f() { :; }; elif b; then f() { exit 0; }; else f() { :; }; fi; f; exec mackerel-container-agent'),
    scriptRuns('if a; then f() { :; }; elif b; then :; else f() { :; }; fi; f; exec mackerel-container-agent'),
    scriptRuns('if a; then f() { :; }; fi; f; exec mackerel-container-agent'),
    scriptRuns('if a; then f() { exec mackerel-container-agent; }; else f() { exec mackerel-container-agent; }; fi & f'),
    scriptRuns('if a; then f() { exec mackerel-container-agent; }; else f() { exec mackerel-container-agent; }; fi | cat; f'),
    scriptRuns('true && if a; then f() { :; }; else f() { :; }; fi; f; exec mackerel-container-agent'),
    scriptRuns('if [ -f /x ]; then if a; then f() { exec mackerel-container-agent; }; else f() { exec mackerel-container-agent; }; fi; fi; f'),
    scriptRuns('if a; then true && f() { exec mackerel-container-agent; }; else f() { exec mackerel-container-agent; }; fi; f'),
    scriptRuns('if a; then f() { exec mackerel-container-agent; } & else f() { exec mackerel-container-agent; }; fi; f'),
    scriptRuns('f() { exit 0; }; if a; then f() { :; }; unset -f f; else f() { :; }; fi; f; exec mackerel-container-agent'),
  ]).toEqual(Array(11).fill(false));
  // ... and an EXIT trap running the agent where one definition exits and another replaces the shell or goes on to a program
  expect([
    scriptRuns("trap 'exec mackerel-container-agent' EXIT; if a; then f() { exit 0; }; else f() { exec /app/server; }; fi; f"),
    scriptRuns("trap 'exec mackerel-container-agent' EXIT; if a; then f() { exit 0; }; else f() { :; }; fi; f; exec /app/server"),
  ]).toEqual([false, false]);
  // ... but not where every definition exits
  expect(scriptRuns("trap 'exec mackerel-container-agent' EXIT; if a; then f() { exit 0; }; else f() { exit 1; }; fi; f")).toBe(true);
});

test('a function defined in a pipeline is defined in that pipeline\'s subshell only, not known after', () => {
  // GIVEN functions running the agent defined piping into another command or piped into, then called
  expect([
    scriptRuns('f() { exec mackerel-container-agent; } | cat; f'),
    scriptRuns('f() ( exec mackerel-container-agent ) | cat; f'),
    scriptRuns('echo | f() { exec mackerel-container-agent; }; f'),
    scriptRuns('echo | f() ( exec mackerel-container-agent ); f'),
    scriptRuns('echo | function f { exec mackerel-container-agent; }; f'),
    // in a group piping into another command, which runs in a subshell as the definition would
    scriptRuns('{ f() { exec mackerel-container-agent; }; } | cat; f'),
    scriptRuns('{ { f() { exec mackerel-container-agent; }; }; } >/dev/null | cat; f'),
    scriptRuns('{ f() { g() { exec mackerel-container-agent; }; }; } | cat; f; g'),
    // ... also a group opened after a reserved word, in a branch of an if with an else (else defining it)
    scriptRuns('if a; then { f() { exec mackerel-container-agent; }; } | cat; else f() { exec mackerel-container-agent; }; fi; f'),
    scriptRuns('if a; then f() { exec mackerel-container-agent; }; else { f() { exec mackerel-container-agent; }; } | cat; fi; f'),
    // ... and a function never called whose body holds a group after `then`, whose } closes that group, not the body
    scriptRuns('f() { if a; then { :; }; fi; exec mackerel-container-agent; }; exec /app/server'),
  ]).toEqual(Array(11).fill(false));
  // ... and ones defined with their output redirected, or beside a pipeline, or called in one, or in a group run in the shell
  expect([
    scriptRuns('f() { exec mackerel-container-agent; } >/dev/null; f'),
    scriptRuns('echo | cat; f() { exec mackerel-container-agent; }; f'),
    scriptRuns('f() { exec mackerel-container-agent; }\necho x | f'),
    scriptRuns('{ f() { exec mackerel-container-agent; }; } >/dev/null; f'),
  ]).toEqual([true, true, true, true]);
});

test('an interpreter\'s inline code (python -c, node -e, perl -e, ruby -e) is not a shell script: naming the binary in it runs none', () => {
  // GIVEN interpreters printing the binary's name from code given on their command line
  expect([
    scriptRuns('python -c \'print("mackerel-container-agent")\''),
    scriptRuns('exec python3 -c \'print("mackerel-container-agent")\''),
    scriptRuns('node -e \'console.log("mackerel-container-agent")\''),
    scriptRuns('perl -e \'print "mackerel-container-agent; exit"\''),
    scriptRuns('ruby -e \'puts("mackerel-container-agent")\''),
    runIn(`${COPY}CMD ["python3", "-c", "print('mackerel-container-agent')"]\n`) !== undefined,
  ]).toEqual(Array(6).fill(false));
  // ... and the agent run after such a command, and an interpreter running a script file given the binary (which may run it)
  expect([
    scriptRuns('python3 -c \'print("starting")\'; exec mackerel-container-agent'),
    scriptRuns('exec python3 /app/launch.py mackerel-container-agent'),
  ]).toEqual([true, true]);
});

test('an interpreter\'s option is inline code only as that interpreter reads it, and only before its script file', () => {
  // GIVEN interpreters running a script file given the binary, with options that take no code (node and ruby -r require a
  // library, php -c names its php.ini) or with the script's own options after it
  expect([
    scriptRuns('exec node -r dotenv/config /app/start.js mackerel-container-agent'),
    scriptRuns('exec ruby -r bundler/setup /app/start.rb mackerel-container-agent'),
    scriptRuns('exec php -c /etc/php.ini /app/run.php mackerel-container-agent'),
    scriptRuns('exec python3 /app/supervise.py -c /etc/supervise.conf mackerel-container-agent'),
    scriptRuns('exec perl /app/run.pl -e mackerel-container-agent'),
    runIn(`${COPY}CMD ["node", "/app/index.js", "--eval", "mackerel-container-agent"]\n`) !== undefined,
  ]).toEqual(Array(6).fill(true));
  // ... and code given in a cluster, after options taking an argument, or in each interpreter's own option for it
  expect([
    scriptRuns('python3 -Bc \'print("mackerel-container-agent")\''),
    scriptRuns('python3 -W ignore -c \'print("mackerel-container-agent")\''),
    scriptRuns('node -r dotenv/config -e \'console.log("mackerel-container-agent")\''),
    scriptRuns('node --print \'"mackerel-container-agent"\''),
    scriptRuns('php -r \'echo "mackerel-container-agent";\''),
    scriptRuns('perl -lne \'print "mackerel-container-agent; exit"\''),
  ]).toEqual(Array(6).fill(false));
});

test('an interpreter\'s option not known here, which may take the next word or run no script, is taken as running no agent', () => {
  // GIVEN interpreters given inline code after an option taking a separate value the reader did not list, or an option not
  // known at all, and options with which they run no script (print the version, check the syntax), with the binary after
  expect([
    scriptRuns("node --inspect-port 9229 -e 'x' mackerel-container-agent"),
    scriptRuns("node --some-new-option value -e 'x' mackerel-container-agent"),
    scriptRuns("python3 --check-hash-based-pycs always -c 'x' mackerel-container-agent"),
    scriptRuns('python3 -V mackerel-container-agent'),
    scriptRuns('perl -c /app/run.pl mackerel-container-agent'),
    scriptRuns('perl -de 0 mackerel-container-agent'),
    scriptRuns('php -S 0.0.0.0:80 mackerel-container-agent'),
  ]).toEqual(Array(7).fill(false));
  // ... and script files run after options each interpreter's manual gives, which take no code
  expect([
    scriptRuns('exec node --max-old-space-size=4096 --enable-source-maps --no-warnings /app/start.js mackerel-container-agent'),
    scriptRuns('exec node --inspect=0.0.0.0:9229 /app/start.js mackerel-container-agent'),
    scriptRuns('exec python3 -u -X importtime /app/launch.py mackerel-container-agent'),
    scriptRuns('exec perl -w -0777 /app/run.pl mackerel-container-agent'),
    scriptRuns('exec ruby -W0 /app/run.rb mackerel-container-agent'),
    scriptRuns('exec lua -v /app/run.lua mackerel-container-agent'),
  ]).toEqual(Array(6).fill(true));
});

test('a shell or an interpreter whose script file is the agent\'s binary reads it as a script, running no agent', () => {
  // GIVEN shells and interpreters given the binary as the file of their script, by its name or its path, or as python's module
  expect([
    scriptRuns('sh /usr/local/bin/mackerel-container-agent'),
    scriptRuns('exec bash -e mackerel-container-agent'),
    scriptRuns('node mackerel-container-agent'),
    scriptRuns('python3 /usr/local/bin/mackerel-container-agent'),
    scriptRuns('python3 -m mackerel-container-agent'),
  ]).toEqual(Array(5).fill(false));
  // ... and script files given the binary after them, which they may run
  expect([
    scriptRuns('exec sh /app/entry.sh mackerel-container-agent'),
    scriptRuns('exec python3 -- /app/launch.py mackerel-container-agent'),
  ]).toEqual([true, true]);
});

test('an interpreter\'s option\'s argument (a module required, an include directory, php.ini) is its own, no program it runs', () => {
  // GIVEN the binary given as the argument of an option of each interpreter, then a script file
  expect([
    scriptRuns('node -r /usr/local/bin/mackerel-container-agent /app/index.js'),
    scriptRuns('node --require /usr/local/bin/mackerel-container-agent /app/index.js'),
    scriptRuns('ruby -r /usr/local/bin/mackerel-container-agent /app/main.rb'),
    scriptRuns('perl -I /usr/local/bin/mackerel-container-agent /app/run.pl'),
    scriptRuns('lua -l mackerel-container-agent /app/main.lua'),
    scriptRuns('php -c /usr/local/bin/mackerel-container-agent /app/index.php'),
    scriptRuns('php -z /usr/local/bin/mackerel-container-agent /app/index.php'),
    scriptRuns('python3 -W mackerel-container-agent /app/main.py'),
  ]).toEqual(Array(8).fill(false));
  // ... but the binary given after the script file (or after php's -f FILE) is the script's, which may run it
  expect([
    scriptRuns('node -r /app/setup.js /app/index.js mackerel-container-agent'),
    scriptRuns('php -c /etc/php.ini -f /app/index.php mackerel-container-agent'),
    scriptRuns('python3 -W ignore -- /app/main.py mackerel-container-agent'),
  ]).toEqual([true, true, true]);
});

test('a file the shell sources (`.`, bash\'s source) is read as its commands, running no program', () => {
  // GIVEN the binary sourced, in each form
  expect([
    scriptRuns('. /usr/local/bin/mackerel-container-agent'),
    scriptRuns('source /usr/local/bin/mackerel-container-agent'),
    scriptRuns('. -- /usr/local/bin/mackerel-container-agent'),
    // bash 5.3's -p PATH, the PATH searched for the file (an option dash refuses): taken as running none
    scriptRuns('source -p /usr/local/bin mackerel-container-agent'),
    scriptRuns('. -p /usr/local/bin mackerel-container-agent'),
  ]).toEqual([false, false, false, false, false]);
  // ... and a file sourced given the binary after it (its $1, which it may run), or the agent run after a file sourced
  expect([
    scriptRuns('. /app/env.sh mackerel-container-agent'),
    scriptRuns('. /env.sh; exec mackerel-container-agent'),
  ]).toEqual([true, true]);
});

test('php\'s -f and -F (--file, --process-file) name its script file, which it reads, running no program', () => {
  // GIVEN php given the binary as the file of its -f or -F, in each form
  expect([
    scriptRuns('php -f /usr/local/bin/mackerel-container-agent'),
    scriptRuns('php --file /usr/local/bin/mackerel-container-agent'),
    scriptRuns('php -n -F /usr/local/bin/mackerel-container-agent'),
    scriptRuns('php --process-file=/usr/local/bin/mackerel-container-agent'),
  ]).toEqual(Array(4).fill(false));
  // ... and php's script file given the binary after it, which it may run
  expect([
    scriptRuns('exec php -f /app/run.php mackerel-container-agent'),
    scriptRuns('exec php -f /app/run.php -- mackerel-container-agent'),
  ]).toEqual([true, true]);
});

test('perl\'s options taking a module, a directory or a debugger read their argument, not its letters, as perl does', () => {
  // GIVEN perl running a script file given the binary, after -M, -d or a glued -I whose argument holds an `e` (no code)
  expect([
    scriptRuns('exec perl -MData::Dumper /app/run.pl mackerel-container-agent'),
    scriptRuns('exec perl -I/usr/share/perl5 /app/run.pl mackerel-container-agent'),
    scriptRuns('exec perl -d:Trace /app/run.pl mackerel-container-agent'),
  ]).toEqual([true, true, true]);
  // ... and perl given inline code after -I and its directory as the next word, which is no script file
  expect(scriptRuns('exec perl -I /usr/lib/perl5 -e \'print "mackerel-container-agent"\' mackerel-container-agent')).toBe(false);
});

test('an EXIT trap set by eval runs as the shell exits, not as eval\'s script ends', () => {
  // GIVEN the agent trapped on EXIT through eval, the shell then replaced by another program or the trap reset
  expect([
    scriptRuns("eval \"trap 'exec mackerel-container-agent' EXIT\"; exec /app/server"),
    scriptRuns("eval \"trap 'exec mackerel-container-agent' EXIT\"; trap - EXIT; /app/server"),
  ]).toEqual([false, false]);
  // ... and the shell exiting with it set
  expect([
    scriptRuns("eval \"trap 'exec mackerel-container-agent' EXIT\"; /app/server"),
    scriptRuns("trap 'exec /app/server' EXIT; eval \"trap 'exec mackerel-container-agent' EXIT\""),
  ]).toEqual([true, true]);
});

test('an eval that may define, unset or call a function, or whose script is not known, leaves what follows not surely run', () => {
  // GIVEN evals defining a function that exits, calling one, running a script from a variable (under a condition too), or
  // run by a function called (its words may be the function's own arguments), before the agent; and an EXIT trap then
  expect([
    scriptRuns("eval 'f() { exit 0; }'; f; exec mackerel-container-agent"),
    scriptRuns('f() { exit 0; }; eval f; exec mackerel-container-agent'),
    scriptRuns('eval "$SETUP"; exec mackerel-container-agent'),
    scriptRuns('[ -n "$SETUP" ] && eval "$SETUP"; exec mackerel-container-agent'),
    scriptRuns("eval 'unset -f f'; exec mackerel-container-agent"),
    scriptRuns('f() { eval "$1"; }; f \'exit 0\'; exec mackerel-container-agent'),
    scriptRuns('trap mackerel-container-agent EXIT; eval "$SETUP"'),
  ]).toEqual(Array(7).fill(false));
  // ... and evals whose script is known and touches no function, and one that itself defines and calls a function running the agent
  expect([
    scriptRuns("eval 'export MACKEREL_ROLES=shop:web'; exec mackerel-container-agent"),
    scriptRuns("eval 'f() { exec mackerel-container-agent; }; f'"),
  ]).toEqual([true, true]);
});

test('an eval not followed in a child of the shell ends that child only, not the shell', () => {
  // GIVEN an eval of a script not known in a subshell, in the background, piping into another command, in a command
  // substitution, or in a group piping into another command or in the background; then the agent run in the shell, or
  // trapped on EXIT
  expect([
    scriptRuns('(eval "$SETUP"); exec mackerel-container-agent'),
    scriptRuns('eval "$SETUP" & exec mackerel-container-agent'),
    scriptRuns('eval "$SETUP" | cat; exec mackerel-container-agent'),
    scriptRuns('x=$(eval "$SETUP"); exec mackerel-container-agent'),
    scriptRuns('x=`eval "$SETUP"`; exec mackerel-container-agent'),
    scriptRuns('{ eval "$SETUP"; } | cat; exec mackerel-container-agent'),
    scriptRuns('{ eval "$SETUP"; } & exec mackerel-container-agent'),
    scriptRuns("trap 'exec mackerel-container-agent' EXIT; (eval \"$SETUP\")"),
  ]).toEqual(Array(8).fill(true));
  // ... but the agent run after it in that child, or the eval last in a pipeline (run in the shell itself by ksh and zsh)
  expect([
    scriptRuns('(eval "$SETUP"; exec mackerel-container-agent)'),
    scriptRuns('(eval "$SETUP"; echo "$(date)"; exec mackerel-container-agent)'),
    scriptRuns('{ eval "$SETUP"; exec mackerel-container-agent; } | cat'),
    scriptRuns('{ eval "$SETUP"; exec mackerel-container-agent; } &'),
    scriptRuns('x=$(eval "$SETUP"; exec mackerel-container-agent)'),
    scriptRuns('echo | eval "$SETUP"; exec mackerel-container-agent'),
  ]).toEqual(Array(6).fill(false));
});

test('a program whose name the shell expands (`$X`, `"${X}"`, `$(...)`) may be exit or exec: what follows is not taken as run', () => {
  // GIVEN the agent run after a program named by a variable (set to exit, or not known), by a command substitution, through
  // `command`, under a condition, or in a function's body called; and an EXIT trap before one (`$X` may be exec)
  expect([
    scriptRuns('X=exit; $X 0; exec mackerel-container-agent'),
    scriptRuns('"${CMD}"; exec mackerel-container-agent'),
    scriptRuns('$(echo exit) 0; exec mackerel-container-agent'),
    scriptRuns('command $X 0; exec mackerel-container-agent'),
    scriptRuns('[ -n "$X" ] && $X; exec mackerel-container-agent'),
    scriptRuns('f() { $X; }; f; exec mackerel-container-agent'),
    scriptRuns("trap 'exec mackerel-container-agent' EXIT; $X"),
  ]).toEqual(Array(7).fill(false));
  // ... but not a path built from a variable, one in a child of the shell, a variable only printed, nor a -c script's "$@"
  // given as its words
  expect([
    scriptRuns('$HOME/bin/setup; exec mackerel-container-agent'),
    scriptRuns('"${APP_DIR}/setup"; exec mackerel-container-agent'),
    scriptRuns('($X); exec mackerel-container-agent'),
    scriptRuns('$X & exec mackerel-container-agent'),
    scriptRuns('$X | cat; exec mackerel-container-agent'),
    scriptRuns('echo $X; exec mackerel-container-agent'),
    scriptRuns('"$@"; exec mackerel-container-agent', 'sh', '/app/setup'),
  ]).toEqual(Array(7).fill(true));
});

test('bash 5.3\'s `${ ...; }` runs its commands in the shell itself: not followed, it is taken as perhaps ending the script', () => {
  // GIVEN the agent run after a `${ exit 0; }` (or `${| ...; }`) in an assignment, an argument, double quotes, with a group in
  // it, or in a function's body called
  expect([
    scriptRuns('x=${ exit 0; }; exec mackerel-container-agent'),
    scriptRuns('echo ${ exit 0; }; exec mackerel-container-agent'),
    scriptRuns('echo "${ exit 0; }"; exec mackerel-container-agent'),
    scriptRuns('echo ${| exit 0; }; exec mackerel-container-agent'),
    scriptRuns('echo ${ { exit 0; }; }; exec mackerel-container-agent'),
    scriptRuns('f() { echo ${ exit 0; }; }; f; exec mackerel-container-agent'),
  ]).toEqual(Array(6).fill(false));
  // ... but parameter and brace expansions, and one in a subshell or in a command substitution (a child of the shell)
  expect([
    scriptRuns('echo ${HOME} ${X:-a} {a,b}; exec mackerel-container-agent'),
    scriptRuns('(echo ${ exit 0; }); exec mackerel-container-agent'),
    scriptRuns('x=$(echo ${ exit 0; }); exec mackerel-container-agent'),
  ]).toEqual(Array(3).fill(true));
});

test('the agent run only in a `${ ...; }` is not taken as run: bash before 5.3 and dash refuse it and exit', () => {
  // GIVEN the agent run in a `${ ...; }` or `${| ...; }` (in a function's body called too), and after a `${ X}` never closed,
  // which each of those shells (bash 5.2: `${ X}: bad substitution`, dash: `Bad substitution`) exits at, running nothing after it
  expect([
    scriptRuns('echo ${ exec mackerel-container-agent; }'),
    scriptRuns('x=${| exec mackerel-container-agent; }'),
    scriptRuns('f() { echo ${ exec mackerel-container-agent; }; }; f'),
    scriptRuns('echo ${ X}; exec mackerel-container-agent'),
  ]).toEqual(Array(4).fill(false));
});

test('a command named by an alias (`alias e=exit`) may be exit or exec, as dash and bash with expand_aliases read it: not followed', () => {
  // GIVEN aliases to exit or exec (in dash, in bash with expand_aliases, defined by eval), used before the agent: at the top,
  // under a condition, or in a function's body called
  expect([
    scriptRuns('alias e=exit; e 0; exec mackerel-container-agent'),
    scriptRuns('shopt -s expand_aliases\nalias e=exit\ne 0\nexec mackerel-container-agent'),
    scriptRuns("alias e='exec /app/server'\nif true; then e; fi\nexec mackerel-container-agent"),
    scriptRuns("eval 'alias e=exit'\ne\nexec mackerel-container-agent"),
    scriptRuns('alias e=exit\nf() { e; }\nf\nexec mackerel-container-agent'),
  ]).toEqual(Array(5).fill(false));
  // ... but an alias never used as a command, and alias only listing them
  expect([
    scriptRuns("alias ll='ls -l'\nexec mackerel-container-agent"),
    scriptRuns('alias\nalias -p\nexec mackerel-container-agent'),
    scriptRuns('alias e=exit\necho e\nexec mackerel-container-agent'),
  ]).toEqual(Array(3).fill(true));
});

test('eval runs its words as a script; trap, print, process lookups, downloads, builtin and setsid running echo run no agent', () => {
  // GIVEN commands that only name the binary: printed through eval, builtin or setsid, a trap's action (run on a signal), a
  // process looked up or signalled by its name, and the binary downloaded to its path
  expect([
    scriptRuns('eval echo mackerel-container-agent'),
    scriptRuns('exec eval echo mackerel-container-agent'),
    scriptRuns("trap 'exec mackerel-container-agent' TERM; exec /app/server"),
    scriptRuns('print mackerel-container-agent'),
    scriptRuns('pgrep -f mackerel-container-agent || exit 1'),
    scriptRuns('pkill mackerel-container-agent; pidof mackerel-container-agent; killall mackerel-container-agent'),
    scriptRuns(`curl -fsSLo ${AGENT} https://example.com/agent; wget -O ${AGENT} https://example.com/agent`),
    scriptRuns('builtin echo mackerel-container-agent'),
    scriptRuns('setsid -w echo mackerel-container-agent'),
  ]).toEqual(Array(9).fill(false));
  // ... and the same running it: eval's script, builtin exec, setsid's program, and after a download
  expect([
    scriptRuns('eval exec mackerel-container-agent'),
    scriptRuns("eval 'exec' mackerel-container-agent"),
    scriptRuns('builtin exec mackerel-container-agent'),
    scriptRuns('setsid -w mackerel-container-agent'),
    scriptRuns(`curl -fsSLo ${AGENT} https://example.com/agent && chmod +x ${AGENT} && exec mackerel-container-agent`),
  ]).toEqual(Array(5).fill(true));
});

test('a text the shell expands before piping it into a shell is not known: a command substitution or a parameter, also in double quotes', () => {
  // GIVEN echo, printf, a heredoc with its delimiter unquoted and a here-string each giving a shell a text that expands a command
  // substitution (whose output here exits the shell before the agent), a parameter, a glob or a tilde, in double quotes or none
  expect([
    scriptRuns("echo \"$(echo 'exit 0')\" 'exec mackerel-container-agent' | sh"),
    scriptRuns("echo $(echo 'exit 0') 'exec mackerel-container-agent' | sh"),
    scriptRuns("echo \"`echo exit 0`\" 'exec mackerel-container-agent' | sh"),
    scriptRuns("echo \"$STOP\" 'exec mackerel-container-agent' | sh"),
    scriptRuns("echo \"${STOP}\" 'exec mackerel-container-agent' | sh"),
    scriptRuns('echo "$$ exec mackerel-container-agent" | sh'),
    scriptRuns("printf '%s\\n' \"$(echo exit 0)\" 'exec mackerel-container-agent' | sh"),
    scriptRuns('sh <<EOF\n$(echo exit 0)\nexec mackerel-container-agent\nEOF'),
    scriptRuns('cat <<EOF | sh\n$STOP\nexec mackerel-container-agent\nEOF'),
    scriptRuns('sh <<EOF\n\\\\$(echo exit 0)\nexec mackerel-container-agent\nEOF'),
    scriptRuns('sh <<< "$(echo exit 0); exec mackerel-container-agent"'),
    // a glob or a tilde expanded to file names (`bin boot dev ...`, `/root`), which the shell then runs
    scriptRuns("echo * 'exec mackerel-container-agent' | sh"),
    scriptRuns("echo ~ 'exec mackerel-container-agent' | sh"),
  ]).toEqual(Array(13).fill(false));
  // ... and the same texts where nothing is expanded: in single quotes, escaped, after a quoted heredoc delimiter, or an
  // expansion only in an assignment before echo
  expect([
    scriptRuns("echo 'exec mackerel-container-agent $(echo exit 0)' | sh"),
    scriptRuns('echo "exec mackerel-container-agent \\$STOP" | sh'),
    scriptRuns("sh <<'EOF'\nexec mackerel-container-agent $(echo exit 0)\nEOF"),
    scriptRuns('sh <<EOF\nexec mackerel-container-agent \\$(echo exit 0)\nEOF'),
    scriptRuns("sh <<< 'exec mackerel-container-agent $STOP'"),
    scriptRuns("STOP=$(date) echo 'exec mackerel-container-agent' | sh"),
  ]).toEqual(Array(6).fill(true));
});

test('echo\'s words with a brace expansion, which bash makes words of, give a shell nothing known', () => {
  // GIVEN echo piping a shell a text with `ex{it,}` (bash prints `exit ex 0;`, which exits) or `{a..c}` before the agent
  const run = (script: string) => runIn(`${COPY}CMD ${JSON.stringify(['bash', '-c', script])}\n`) !== undefined;
  expect([
    run("echo ex{it,} 0';' exec mackerel-container-agent | sh"),
    run("echo {a..c}';' 'exec mackerel-container-agent' | sh"),
    // a `}` with no `,` before it closes nothing: bash makes `{x}';'exit,}' 0;'` the words `x};exit 0;` and ` 0;`
    run("echo {x}';'exit,}' 0;' exec mackerel-container-agent | sh"),
  ]).toEqual([false, false, false]);
  // ... and braces the shell leaves as written: quoted, escaped, `{}`, a group, or a here-string's word
  expect([
    run("echo '{a,b}' 'exec mackerel-container-agent' | sh"),
    run("echo \\{a,b} 'exec mackerel-container-agent' | sh"),
    run("echo {} 'exec mackerel-container-agent' | sh"),
    run("{ echo 'exec mackerel-container-agent'; } | sh"),
    run("sh <<< {a,b}';exec mackerel-container-agent'"),
  ]).toEqual(Array(5).fill(true));
});

test('a shell reads the last redirection of its input, over a pipe; a command writing to a file, or xargs, pipes it nothing', () => {
  // GIVEN a shell whose input is the second of two heredocs, a file or a heredoc given over a pipe, and a pipe from echo or cat
  // writing the script to a file or to standard error, or into xargs (which reads it as the words of the command it runs)
  expect([
    scriptRuns('sh <<A <<B\nexec mackerel-container-agent\nA\nexec /app/server\nB'),
    scriptRuns('echo exec mackerel-container-agent | sh </dev/null'),
    scriptRuns('cat <<A | sh <<B\nexec mackerel-container-agent\nA\nexec /app/server\nB'),
    scriptRuns('sh <<EOF 3<<X\nexec /app/server\nEOF\nexec mackerel-container-agent\nX'),
    scriptRuns('echo exec mackerel-container-agent >/tmp/run.sh | sh'),
    scriptRuns('cat <<EOF >&2 | sh\nexec mackerel-container-agent\nEOF'),
    scriptRuns('echo mackerel-container-agent | xargs sh'),
  ]).toEqual([false, false, false, false, false, false, false]);
  // ... and the same shells whose last input is the heredoc running the binary, or given it over a pipe whatever the other
  // file descriptors redirected
  expect([
    scriptRuns('sh <<A <<B\nexec /app/server\nA\nexec mackerel-container-agent\nB'),
    scriptRuns('sh </dev/null <<EOF\nexec mackerel-container-agent\nEOF'),
    scriptRuns('echo exec mackerel-container-agent 2>/dev/null | sh 2>&1'),
    scriptRuns('sh 3</dev/null <<EOF 2>/dev/null\nexec mackerel-container-agent\nEOF'),
  ]).toEqual([true, true, true, true]);
});

test('a shell whose input is closed (`<&-`) runs nothing it was given; a closed descriptor takes no word from the command', () => {
  // GIVEN shells given the agent by a heredoc or a pipe, whose standard input is then closed, and echo's output closed
  expect([
    scriptRuns('sh <<EOF 0<&-\nexec mackerel-container-agent\nEOF'),
    scriptRuns("echo 'exec mackerel-container-agent' | sh <&-"),
    scriptRuns("echo 'exec mackerel-container-agent' >&- | sh"),
  ]).toEqual([false, false, false]);
  // ... and the agent run after a closed descriptor, and a shell whose input is closed before its heredoc
  expect([
    scriptRuns('exec 2>&- mackerel-container-agent'),
    scriptRuns('exec <&- mackerel-container-agent'),
    scriptRuns('sh 0<&- <<EOF\nexec mackerel-container-agent\nEOF'),
  ]).toEqual([true, true, true]);
});

test('a shell whose input is duplicated from itself (`<&0`) still reads the pipe or the heredoc; from another descriptor, neither', () => {
  // GIVEN shells given the agent over a pipe or by a heredoc, whose standard input is then duplicated from itself
  expect([
    scriptRuns("echo 'exec mackerel-container-agent' | sh <&0"),
    scriptRuns("echo 'exec mackerel-container-agent' | sh 0<&0"),
    scriptRuns('sh <<EOF <&0\nexec mackerel-container-agent\nEOF'),
  ]).toEqual([true, true, true]);
  // ... and from another descriptor
  expect([
    scriptRuns("echo 'exec mackerel-container-agent' | sh <&3"),
    scriptRuns('sh <<EOF 0<&3\nexec mackerel-container-agent\nEOF'),
  ]).toEqual([false, false]);
});

test('only a redirection of descriptor 0 replaces a shell\'s input, whichever way it opens it; only one of 1 (or &>) its output', () => {
  // GIVEN shells given the agent over a pipe or by a heredoc, whose descriptor 0 is then made a copy of another, or opened
  // for writing; and an echo of the agent whose descriptor 1 is opened for reading, or whose output (and error) &> redirects
  expect([
    scriptRuns("echo 'exec mackerel-container-agent' | sh 0>&3"),
    scriptRuns("echo 'exec mackerel-container-agent' | sh 0>/dev/null"),
    scriptRuns('sh <<EOF 0>&3\nexec mackerel-container-agent\nEOF'),
    scriptRuns("echo 'exec mackerel-container-agent' 1</dev/null | sh"),
    scriptRuns("echo 'exec mackerel-container-agent' &>/dev/null | sh"),
    scriptRuns("echo 'exec mackerel-container-agent' &>>/tmp/log | sh"),
  ]).toEqual([false, false, false, false, false, false]);
  // ... and the same shells whose other descriptors are copies of their input, or whose input or output is a copy of itself
  expect([
    scriptRuns("echo 'exec mackerel-container-agent' | sh 3>&0"),
    scriptRuns("echo 'exec mackerel-container-agent' | sh 2<&0"),
    scriptRuns("echo 'exec mackerel-container-agent' | sh 0>&0"),
    scriptRuns('sh 0>&3 <<EOF\nexec mackerel-container-agent\nEOF'),
    scriptRuns("echo 'exec mackerel-container-agent' >&1 | sh"),
  ]).toEqual([true, true, true, true, true]);
});

test("a shell whose input is a here-string (`<<<'...'`) runs its word as its script, where it is the last redirection of its input", () => {
  // GIVEN shells given the agent by a here-string, last of their input
  expect([
    scriptRuns("bash <<<'exec mackerel-container-agent'"),
    scriptRuns('echo true | bash <<<"exec mackerel-container-agent"'),
    scriptRuns("bash <<EOF <<<'exec mackerel-container-agent'\nexec /app/server\nEOF"),
  ]).toEqual([true, true, true]);
  // ... and a here-string not running it, or replaced by a later redirection, or on another descriptor
  expect([
    scriptRuns("echo 'exec mackerel-container-agent' | bash <<<'true'"),
    scriptRuns("bash <<<'exec mackerel-container-agent' </dev/null"),
    scriptRuns("bash <<<'exec mackerel-container-agent' <<EOF\nexec /app/server\nEOF"),
    scriptRuns("bash 3<<<'exec mackerel-container-agent'"),
  ]).toEqual([false, false, false, false]);
});

test('a group of one command (`{ ...; }`) piped into a shell gives it that command\'s output; of more, or redirected, none known', () => {
  // GIVEN a shell given the output of a group holding one echo of the agent, nested or not
  expect([
    scriptRuns("{ echo 'exec mackerel-container-agent'; } | sh"),
    scriptRuns("{ { echo 'exec mackerel-container-agent'; }; } | sh"),
  ]).toEqual([true, true]);
  // ... and of a group whose output goes to a file, or holding another command after the echo (whose output is not known)
  expect([
    scriptRuns("{ echo 'exec mackerel-container-agent'; } >/dev/null | sh"),
    scriptRuns("{ echo 'exec mackerel-container-agent'; } >&- | sh"),
    scriptRuns("{ echo 'exit 0'; echo 'exec mackerel-container-agent'; } | sh"),
  ]).toEqual([false, false, false]);
});

test('a subshell of one command (`( ... )`) piped into a shell gives it that command\'s output; of more, or redirected, none known', () => {
  // GIVEN a shell given the output of a subshell holding one echo or printf of the agent, nested or not
  expect([
    scriptRuns("(echo 'exec mackerel-container-agent') | sh"),
    scriptRuns("( (echo 'exec mackerel-container-agent') ) | sh"),
    scriptRuns("(printf 'exec mackerel-container-agent\\n') | sh"),
  ]).toEqual([true, true, true]);
  // ... and of a subshell holding another command before the one giving the agent (its script exits first), or whose output
  // goes to a file or is closed
  expect([
    scriptRuns("(echo 'exit 0'; echo 'exec mackerel-container-agent') | sh"),
    scriptRuns("(printf 'exit 0\\n'; printf 'exec mackerel-container-agent\\n') | sh"),
    scriptRuns("( (echo 'exit 0'); echo 'exec mackerel-container-agent') | sh"),
    scriptRuns("(echo 'exec mackerel-container-agent') >/dev/null | sh"),
    scriptRuns("(echo 'exec mackerel-container-agent') >&- | sh"),
    scriptRuns("(case $1 in a) echo 'exit 0';; esac; echo 'exec mackerel-container-agent') | sh"),
  ]).toEqual([false, false, false, false, false, false]);
  // ... and a subshell in a case's branch, and one after a case, each holding one echo of the agent
  expect([
    scriptRuns("case $1 in *) (echo 'exec mackerel-container-agent') | sh;; esac"),
    scriptRuns("case $1 in a) true;; esac; (echo 'exec mackerel-container-agent') | sh"),
  ]).toEqual([true, true]);
});

test('a case opened after a reserved word (`do case`, `then case`) is a case: its patterns\' `)` close no subshell, its word is not run', () => {
  // GIVEN subshells piped into a shell, each holding a case opened after do, then, { or !, whose branch echoes `exit 0`, then
  // an echo of the agent (the shell exits first); and a case after then or do whose word names the agent
  expect([
    scriptRuns("(for x in a; do case $x in a) echo 'exit 0';; esac; done; echo 'exec mackerel-container-agent') | sh"),
    scriptRuns("(if true; then case $1 in a) echo 'exit 0';; esac; fi; echo 'exec mackerel-container-agent') | sh"),
    scriptRuns("({ case $1 in a) echo 'exit 0';; esac; }; echo 'exec mackerel-container-agent') | sh"),
    scriptRuns("(! case $1 in a) echo 'exit 0';; esac; echo 'exec mackerel-container-agent') | sh"),
    scriptRuns('if true; then case mackerel-container-agent in *) true;; esac; fi'),
    scriptRuns('while true; do for x in mackerel-container-agent; do break; done; break; done'),
  ]).toEqual([false, false, false, false, false, false]);
  // ... and a case after then whose branch pipes the agent's echo into a shell
  expect(scriptRuns("if true; then case $1 in *) (echo 'exec mackerel-container-agent') | sh;; esac; fi")).toBe(true);
});

test('a case\'s patterns (`a|b)`, `(a)`, after `;;`) are matched against, not run', () => {
  // GIVEN cases whose pattern names the agent: first, after another, after `;;` with the optional `(`, or after a `|`
  expect([
    scriptRuns('case $1 in (mackerel-container-agent) true;; esac'),
    scriptRuns('case $1 in a) true;; mackerel-container-agent) true;; esac'),
    scriptRuns('case $1 in a) true;; (mackerel-container-agent) true;; esac'),
    scriptRuns('case $1 in a|mackerel-container-agent) true;; esac'),
    scriptRuns('case $1 in\n  a | mackerel-container-agent )\n    true\n    ;;\nesac'),
  ]).toEqual([false, false, false, false, false]);
  // ... and cases whose branch runs it, the agent run after one, and a case in a subshell closed after esac
  expect([
    scriptRuns('case $1 in (a) exec mackerel-container-agent;; esac'),
    scriptRuns('case $1 in a) exit 0;; (*) exec mackerel-container-agent;; esac'),
    scriptRuns('case $1 in a) true;; esac; exec mackerel-container-agent'),
    scriptRuns('(case $1 in a) true;; esac); exec mackerel-container-agent'),
    scriptRuns('x=$(case $1 in a) echo a;; esac) exec mackerel-container-agent'),
  ]).toEqual([true, true, true, true, true]);
});

test('a case\'s `in` or a for loop\'s on a line after its word (`case $1<newline>in`) still opens its patterns or words, not commands', () => {
  // GIVEN a case whose `in` is on the next line (the grammar allows line breaks before it), its pattern naming the agent, and
  // a for loop whose `in`, on the next line, lists it
  expect([
    scriptRuns('case $1\nin\nmackerel-container-agent) true;;\nesac'),
    scriptRuns('case $1\n\nin mackerel-container-agent) true;; esac'),
    scriptRuns('for x\nin mackerel-container-agent; do true; done'),
  ]).toEqual([false, false, false]);
  // ... and such a case whose branch runs it, and a line starting `in` after a command that opens neither
  expect([
    scriptRuns('case $1\nin\n*) exec mackerel-container-agent;;\nesac'),
    scriptRuns('true\nin mackerel-container-agent'),
  ]).toEqual([true, true]);
});

test('`((...))` opening a command, arithmetic in bash and nested subshells in dash, runs none of its words', () => {
  // GIVEN a shell, the agent's binary and the agent's echo in `((...))` (bash evaluates them as arithmetic: nothing is run)
  expect([
    scriptRuns("echo 'exec mackerel-container-agent' | ((sh))"),
    scriptRuns('((mackerel-container-agent))'),
    scriptRuns("((echo 'exec mackerel-container-agent')) | sh"),
    scriptRuns('while true; do ((mackerel-container-agent)); done'),
  ]).toEqual([false, false, false, false]);
  // ... and nested subshells every shell reads as such, and the agent run after or under an arithmetic command
  expect([
    scriptRuns("echo 'exec mackerel-container-agent' | ( (sh) )"),
    scriptRuns("echo 'exec mackerel-container-agent' | ((sh) )"),
    scriptRuns('((i = 1)); exec mackerel-container-agent'),
    scriptRuns('if ((1 < 2)); then exec mackerel-container-agent; fi'),
    scriptRuns('x=$((1 + 2)) exec mackerel-container-agent'),
  ]).toEqual([true, true, true, true, true]);
});

test('bash\'s arithmetic for loop (`for ((...))`, a syntax error in dash) runs none of the words of its `((...))`', () => {
  // GIVEN for loops whose arithmetic names the agent's binary, with and without a space after for
  expect([
    scriptRuns('for ((mackerel-container-agent;;)); do break; done'),
    scriptRuns('for((mackerel-container-agent;;)); do break; done'),
  ]).toEqual([false, false]);
  // ... and such loops whose body, or a command after them, runs it
  expect([
    scriptRuns('for ((i = 0; i < 1; i++)); do exec mackerel-container-agent; done'),
    scriptRuns('for((i = 0; i < 1; i++))\ndo\n  true\ndone\nexec mackerel-container-agent'),
  ]).toEqual([true, true]);
});

test('a subshell\'s or a group\'s input redirected is its commands\' input, over the pipe into it, save a pipe within it', () => {
  // GIVEN shells in a subshell or a group given the agent over a pipe, whose input the subshell or group then redirects
  expect([
    scriptRuns("echo 'exec mackerel-container-agent' | (sh) </dev/null"),
    scriptRuns("echo 'exec mackerel-container-agent' | { sh; } </dev/null"),
    scriptRuns("echo 'exec mackerel-container-agent' | ( (sh) ) 0>&3"),
    scriptRuns("echo 'exec mackerel-container-agent' | (sh <&0) </dev/null"),
  ]).toEqual([false, false, false, false]);
  // ... and shells in a subshell or a group whose heredoc (or the pipe within it, or into it with no redirection) runs the agent
  expect([
    scriptRuns('(sh) <<EOF\nexec mackerel-container-agent\nEOF'),
    scriptRuns('{ sh; } <<EOF\nexec mackerel-container-agent\nEOF'),
    scriptRuns("(echo 'exec mackerel-container-agent' | sh) </dev/null"),
    scriptRuns("echo 'exec mackerel-container-agent' | (sh)"),
  ]).toEqual([true, true, true, true]);
});

test('a program named by a variable (`exec $AGENT`) is not taken to run the agent, whatever ENV or the task set it to', () => {
  // GIVEN scripts running $AGENT (quoted or not, with a default naming the agent), AGENT set to the agent's binary by an ENV
  // line, by the task's environment, by both, or by neither; and one setting it to another program before running it
  const env = `ENV AGENT=${AGENT}\n`;
  const run = (script: string, before = '', environment?: { [name: string]: string }) =>
    runIn(`${COPY}${before}CMD ${JSON.stringify(['sh', '-c', script])}\n`, environment ? { environment } : {});
  const read = [
    run('exec $AGENT', env),
    run('exec "$AGENT"', env),
    run('exec "${AGENT}" -conf /etc/agent.yml', env),
    run('exec "$AGENT"', '', { AGENT }),
    run('exec "$AGENT"', env, { AGENT: '/app/server' }),
    run('exec "${AGENT:-mackerel-container-agent}"'),
    run('AGENT=/app/server; exec "$AGENT"', env),
  ];
  // THEN none is said to run it: a variable's value is known only when the shell runs the script (the script, a wrapper
  // clearing the environment or a profile read may set it), so reading it as the agent could say so wrongly
  expect(read).toEqual([undefined, undefined, undefined, undefined, undefined, undefined, undefined]);
});

test('a RUN mounting a stage that holds the agent may copy it into the image: warned about as unchecked, and the agent is added', () => {
  // GIVEN an image whose RUN copies the binary out of the agent's stage it mounts, and one mounting only a cache
  const { stack, taskDefinition, apiKey } = fargateTask({ memoryLimitMiB: 1024, cpu: 512 });
  const mount = 'RUN --mount=type=bind,from=agent,target=/m cp /m/usr/local/bin/mackerel-container-agent /usr/bin/\n';
  const add = (id: string, text: string) => taskDefinition.addContainer(id, {
    image: ecs.ContainerImage.fromAsset(dockerfileIn(text)), memoryLimitMiB: 128, essential: false,
  });
  add('mounting', `FROM mackerel/mackerel-container-agent:v0.13.2 AS agent\nFROM debian:12\n${mount}CMD ["/usr/bin/mackerel-container-agent"]\n`);
  add('cache', 'FROM debian:12\nRUN --mount=type=cache,target=/var/cache/apt apt-get update\nCMD ["/app/server"]\n');
  // WHEN
  new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
  // THEN the agent is added, and only the first is warned about, naming the RUN, with advice about the mount (its FROM line
  // names its base already)
  Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
    ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: 'mackerel-container-agent' })]),
  });
  const warned = Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('handAgentUnchecked'))
    .map((warning) => /^The container Stack\/Task\/(\w+) may run the Mackerel container agent, which cannot be told at synth: (.*?), (so .*?)\. If it runs the agent, each task registers two Mackerel hosts, both billed\. (.*?), or acknowledge /
      .exec(String(warning.entry.data))?.slice(1));
  expect(warned).toEqual([[
    'mounting',
    expect.stringMatching(/whose RUN mounts the agent from the stage agent built on mackerel\/mackerel-container-agent:v0\.13\.2 \(RUN --mount=type=bind,from=agent,target=\/m cp .*\), which cdk-mackerel does not follow$/),
    'so it may copy the agent\'s binary into the image and run it',
    'Copy the agent into the image with COPY --from= rather than through a RUN mount, or set MACKEREL_CONTAINER_PLATFORM in its '
      + 'environment, so that an agent added by hand is found',
  ]]);
});

describe('a relative path to the program is found in the working directory the command runs in', () => {
  /** An image on alpine with the agent's binary copied from its image as /opt/bin/agent, then the instructions given. */
  const AT_OPT = 'FROM alpine:3.20\nCOPY --from=mackerelio/mackerel-container-agent:v0.13.2 /usr/local/bin/mackerel-container-agent /opt/bin/agent\n';

  test('./agent, bin/agent and exec ./agent in a -c script run the binary copied there from the last WORKDIR', () => {
    // GIVEN the binary copied as /opt/bin/agent (from the agent's image, or from a stage built on it), run by a relative path
    const stage = 'FROM mackerelio/mackerel-container-agent:v0.13.2 AS agent\nFROM alpine:3.20\nCOPY --from=agent /usr/local/bin/mackerel-container-agent /opt/bin/agent\n';
    const read = [
      runIn(`${AT_OPT}WORKDIR /opt/bin\nCMD ["./agent"]\n`),
      runIn(`${AT_OPT}WORKDIR /opt/bin\nENTRYPOINT ./agent\n`),
      runIn(`${AT_OPT}WORKDIR /opt/bin\nCMD ["sh", "-c", "echo start; exec ./agent"]\n`),
      runIn(`${AT_OPT}WORKDIR /tmp\nWORKDIR /opt\nCMD ["bin/agent"]\n`),
      runIn(`${stage}WORKDIR /opt/bin\nCMD ["./agent"]\n`),
      runIn('FROM alpine:3.20 AS base\nWORKDIR /opt/bin\nFROM base\nCOPY --from=mackerelio/mackerel-container-agent:v0.13.2 /usr/local/bin/mackerel-container-agent /opt/bin/agent\nCMD ["./agent"]\n'),
    ];
    // THEN each runs it
    expect(read).toEqual([
      '(CMD ["./agent"])',
      '(ENTRYPOINT ./agent)',
      '(CMD ["sh", "-c", "echo start; exec ./agent"])',
      '(CMD ["bin/agent"])',
      '(CMD ["./agent"])',
      '(CMD ["./agent"])',
    ]);
  });

  test('a relative path from another WORKDIR, or from one not known, or after a cd, runs no agent', () => {
    // GIVEN ./agent run where it is not the binary, or where the working directory is not known here
    const read = [
      runIn(`${AT_OPT}WORKDIR /opt/bin\nWORKDIR /srv\nCMD ["./agent"]\n`),
      runIn(`${AT_OPT}CMD ["./agent"]\n`),
      runIn(`${AT_OPT}WORKDIR $APP_HOME\nCMD ["./agent"]\n`),
      runIn(`${AT_OPT}WORKDIR /opt/bin\nCMD ["sh", "-c", "cd /srv && exec ./agent"]\n`),
      runIn(`${AT_OPT}WORKDIR /opt/bin\nCMD ["env", "--chdir=/srv", "./agent"]\n`),
      runIn(`${AT_OPT}WORKDIR /opt/bin\nCMD ["su", "-", "app", "-c", "exec ./agent"]\n`),
    ];
    // THEN none runs it
    expect(read).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
  });

  test('the task\'s workingDirectory replaces the image\'s WORKDIR', () => {
    // GIVEN ./agent run by images whose WORKDIR is or is not where it is, with the task setting the other
    const read = [
      runIn(`${AT_OPT}WORKDIR /opt/bin\nCMD ["./agent"]\n`, { workingDirectory: '/srv' }),
      runIn(`${AT_OPT}WORKDIR /srv\nCMD ["./agent"]\n`, { workingDirectory: '/opt/bin' }),
      runIn(`${AT_OPT}WORKDIR /opt/bin\nCMD ["./agent"]\n`, { workingDirectory: Lazy.string({ produce: () => '/opt/bin' }) }),
    ];
    // THEN only the task's directory holding it runs it; one known only at deploy time is not known here
    expect(read).toEqual([undefined, '(CMD ["./agent"])', undefined]);
  });
});

test('"${@:-word}" and ${*:-word} in a -c script are the word where no parameter is given, else the parameters', () => {
  // GIVEN scripts exec-ing the parameters, with the agent's binary as their default word, given none or the app
  expect([
    scriptRuns('exec "${@:-mackerel-container-agent}"', 'sh'),
    scriptRuns('exec ${*:-mackerel-container-agent}', 'sh'),
    scriptRuns('exec "${@:-mackerel-container-agent}"', 'sh', ''),
    scriptRuns('exec "${@:-mackerel-container-agent}"', 'sh', '/app/server', '--port=80'),
    scriptRuns('exec ${*:-mackerel-container-agent}', 'sh', '/app/server'),
    scriptRuns('exec "${@:+mackerel-container-agent}" /app/server', 'sh'),
    scriptRuns('exec /app/server "${@:+x}"', 'sh', AGENT),
  ]).toEqual([true, true, true, false, false, false, false]);
});

describe('a cd the script runs through a builtin, or in words it evals, leaves the working directory not known', () => {
  const AT_OPT = 'FROM alpine:3.20\nCOPY --from=mackerelio/mackerel-container-agent:v0.13.2 /usr/local/bin/mackerel-container-agent /opt/bin/agent\nWORKDIR /opt/bin\n';

  test('command cd, builtin cd and eval cd before ./agent run no agent', () => {
    // GIVEN ./agent run after a cd to /srv the shell runs as a builtin, or reads from eval's words
    const read = [
      runIn(`${AT_OPT}CMD ["sh", "-c", "command cd /srv; exec ./agent"]\n`),
      runIn(`${AT_OPT}CMD ["bash", "-c", "builtin cd /srv && exec ./agent"]\n`),
      runIn(`${AT_OPT}CMD ["sh", "-c", "command -p cd /srv; exec ./agent"]\n`),
      runIn(`${AT_OPT}CMD ["sh", "-c", "eval cd /srv; exec ./agent"]\n`),
      runIn(`${AT_OPT}CMD ["sh", "-c", "eval 'cd /srv'; exec ./agent"]\n`),
    ];
    // THEN none is taken for the binary in /opt/bin
    expect(read).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  test('command and eval not changing the directory leave ./agent found', () => {
    // GIVEN builtins and an eval that run no cd before ./agent
    const read = [
      runIn(`${AT_OPT}CMD ["sh", "-c", "command -v cd; exec ./agent"]\n`),
      runIn(`${AT_OPT}CMD ["sh", "-c", "eval 'echo cd'; exec ./agent"]\n`),
    ];
    // THEN each runs it
    expect(read).toEqual([
      '(CMD ["sh", "-c", "command -v cd; exec ./agent"])',
      '(CMD ["sh", "-c", "eval \'echo cd\'; exec ./agent"])',
    ]);
  });
});

describe('an L1 container\'s WorkingDirectory replaces the image\'s WORKDIR', () => {
  test('./agent in a CfnTaskDefinition built from a Dockerfile is the agent only where its workingDirectory holds it', () => {
    // GIVEN the binary copied as /opt/bin/agent in an image whose WORKDIR is /srv, run as ./agent by CfnTaskDefinitions
    const directory = dockerfileIn('FROM alpine:3.20\nCOPY --from=mackerelio/mackerel-container-agent:v0.13.2 '
      + '/usr/local/bin/mackerel-container-agent /opt/bin/agent\nWORKDIR /srv\nCMD ["./agent"]\n');
    const stack = new Stack();
    const image = new ecrAssets.DockerImageAsset(stack, 'App', { directory }).imageUri;
    const l1 = (id: string, workingDirectory?: string) => new ecs.CfnTaskDefinition(stack, id, {
      containerDefinitions: [{ name: 'app', image, ...(workingDirectory ? { workingDirectory } : {}) }],
    });
    const inBin = l1('InBin', '/opt/bin');
    const inSrv = l1('InSrv');
    const elsewhere = l1('Elsewhere', '/tmp');
    // THEN only the container whose working directory is /opt/bin runs it
    expect([inBin, inSrv, elsewhere].map((task) => _cfnAgentOf(task).agent !== undefined)).toEqual([true, false, false]);
  });
});

describe('what escape hatches (addPropertyOverride) write over a container\'s command is read as the template holds it', () => {
  /** The binary copied as /opt/bin/agent, run as ./agent from the WORKDIR /opt/bin. */
  const AT_OPT = 'FROM alpine:3.20\nCOPY --from=mackerelio/mackerel-container-agent:v0.13.2 /usr/local/bin/mackerel-container-agent /opt/bin/agent\n'
    + 'WORKDIR /opt/bin\nCMD ["./agent"]\n';

  /** Whether the container built from the Dockerfile text (the task's second) runs the agent, with `override` written over the task's resource. */
  function runsWith(text: string, override: (cfn: ecs.CfnTaskDefinition) => void, options: Partial<ecs.ContainerDefinitionOptions> = {}): boolean {
    const { taskDefinition } = fargateTask();
    const container = taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(dockerfileIn(text)), ...options });
    override(taskDefinition.node.defaultChild as ecs.CfnTaskDefinition);
    return _builtOnAgent(container) !== undefined;
  }

  test('an ecs.TaskDefinition\'s container whose command, entry point, working directory or PATH an override changes runs what the override leaves', () => {
    // GIVEN the container running ./agent, its command, entry point (or one word of it), working directory or PATH written over
    const write = (path: string, value: unknown) => (cfn: ecs.CfnTaskDefinition) => cfn.addPropertyOverride(path, value);
    expect([
      runsWith(AT_OPT, write('ContainerDefinitions.1.Command', ['/app/server'])),
      runsWith(AT_OPT, write('ContainerDefinitions.1.EntryPoint', ['/app/server'])),
      runsWith(AT_OPT, write('ContainerDefinitions.1.WorkingDirectory', '/srv')),
      runsWith(AT_OPT, write('ContainerDefinitions.1.Command.0', '/app/server'), { command: ['./agent', '-conf', '/etc/agent.yml'] }),
      runsWith(AT_OPT, write('ContainerDefinitions.1.Environment', [{ Name: 'PATH', Value: '/usr/bin' }]), { command: ['agent'], environment: { PATH: '/opt/bin' } }),
      runsWith(AT_OPT, write('ContainerDefinitions.1.Environment.0.Value', '/usr/bin'), { command: ['agent'], environment: { PATH: '/opt/bin' } }),
    ]).toEqual([false, false, false, false, false, false]);
    // ... and overrides leaving it running the agent: of another container, of its memory, or a working directory holding it
    expect([
      runsWith(AT_OPT, () => undefined),
      runsWith(AT_OPT, write('ContainerDefinitions.0.Command', ['/app/server'])),
      runsWith(AT_OPT, write('ContainerDefinitions.1.Memory', 256)),
      runsWith(AT_OPT.replace('WORKDIR /opt/bin', 'WORKDIR /srv'), write('ContainerDefinitions.1.WorkingDirectory', '/opt/bin')),
      runsWith(AT_OPT, write('ContainerDefinitions.1.Environment', [{ Name: 'PATH', Value: '/opt/bin' }]), { command: ['agent'] }),
    ]).toEqual([true, true, true, true, true]);
  });

  test('an override making the command or image unknowable at synth (a condition, a token, the whole container or list) is no agent', () => {
    // GIVEN the container running ./agent (or an image built on the agent's), its command or PATH written over with a condition,
    // its image written over, or the container or the list of containers written over with a token
    const condition = (cfn: ecs.CfnTaskDefinition) => new CfnCondition(cfn.stack, 'Ask', { expression: Fn.conditionEquals(new CfnParameter(cfn.stack, 'P').valueAsString, 'a') });
    const write = (path: string, value: (cfn: ecs.CfnTaskDefinition) => unknown) =>
      (cfn: ecs.CfnTaskDefinition) => cfn.addPropertyOverride(path, value(cfn));
    const ifAsked = (yes: unknown, no: unknown) => (cfn: ecs.CfnTaskDefinition) => Fn.conditionIf(condition(cfn).logicalId, yes, no);
    const onAgent = 'FROM mackerel/mackerel-container-agent:v0.13.2\n';
    expect([
      runsWith(AT_OPT, write('ContainerDefinitions.1.Command', ifAsked(['./agent'], ['/app/server']))),
      runsWith(onAgent, write('ContainerDefinitions.1.EntryPoint', ifAsked(['/usr/local/bin/mackerel-container-agent'], ['/app/server']))),
      runsWith(AT_OPT, write('ContainerDefinitions.1.Environment', ifAsked([], [])), { command: ['agent'], environment: { PATH: '/opt/bin' } }),
      runsWith(onAgent, write('ContainerDefinitions.1.Image', () => 'public.ecr.aws/nginx/nginx:1.27')),
      runsWith(onAgent, write('ContainerDefinitions.1', (cfn) => new CfnParameter(cfn.stack, 'C').valueAsString)),
      runsWith(onAgent, write('ContainerDefinitions', (cfn) => Fn.split(',', new CfnParameter(cfn.stack, 'L').valueAsString))),
    ]).toEqual([false, false, false, false, false, false]);
  });

  test('a CfnTaskDefinition\'s container is read with the fields an override writes over it', () => {
    // GIVEN CfnTaskDefinitions whose container, built from a Dockerfile running ./agent from /opt/bin, has its working
    // directory, command or entry point written over, or its list written over with a token; and one whose override
    // moves it into /opt/bin
    const directory = dockerfileIn(AT_OPT.replace('WORKDIR /opt/bin', 'WORKDIR /srv'));
    const stack = new Stack();
    const image = new ecrAssets.DockerImageAsset(stack, 'App', { directory }).imageUri;
    const l1 = (id: string, path: string, value: unknown) => {
      const task = new ecs.CfnTaskDefinition(stack, id, { containerDefinitions: [{ name: 'app', image, workingDirectory: '/opt/bin' }] });
      task.addPropertyOverride(path, value);
      return task;
    };
    const moved = new ecs.CfnTaskDefinition(stack, 'Moved', { containerDefinitions: [{ name: 'app', image }] });
    moved.addPropertyOverride('ContainerDefinitions.0.WorkingDirectory', '/opt/bin');
    const tasks = [
      l1('Elsewhere', 'ContainerDefinitions.0.WorkingDirectory', '/srv'),
      l1('Command', 'ContainerDefinitions.0.Command', ['/app/server']),
      l1('EntryPoint', 'ContainerDefinitions.0.EntryPoint', ['/app/server']),
      l1('Listed', 'ContainerDefinitions', Fn.split(',', new CfnParameter(stack, 'L').valueAsString)),
      l1('Memory', 'ContainerDefinitions.0.Memory', 256),
      moved,
    ];
    // THEN only those left running it from /opt/bin run it
    expect(tasks.map((task) => _cfnAgentOf(task).agent !== undefined)).toEqual([false, false, false, false, true, true]);
  });
});
