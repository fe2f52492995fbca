import * as fs from 'fs';
import * as path from 'path';
import { AssetStaging, Stack, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { IConstruct } from 'constructs';
import { _agentRunAt } from './_command-runs-agent';
import { _UNKNOWABLE, _ecsContainerOverride, _overridden } from './_container-overrides';
import { PatternMeter, Unfollowed, replacePattern, trimPattern } from './_shell-pattern';

/**
 * A file of the app's own, as synth reads it; undefined where it cannot be read, or is no regular file:
 * a FIFO's reader waits for a writer (synth would hang), and a device or a socket may never end. A failure
 * to close the file after it is read changes neither.
 * @internal
 */
export function _readText(file: string): string | undefined {
  let fd: number | undefined;
  try {
    // Opened without waiting (opening a FIFO to read waits for a writer), then read only if a regular file.
    // eslint-disable-next-line no-bitwise
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    return fs.fstatSync(fd).isFile() ? fs.readFileSync(fd, 'utf8') : undefined;
  } catch {
    return undefined;
  } finally {
    // A close may fail (EIO on NFS) after a full read: a read-only descriptor has nothing to write back, so the text
    // read stands, and a failure to close is no reason for synth to fail.
    try {
      if (fd !== undefined) fs.closeSync(fd);
    } catch {
      // The descriptor is released all the same (close(2) frees it even when it reports an error).
    }
  }
}

/** What aws-cdk-lib keeps private: the image a container was given, an asset image's source, an ECR image's repository. */
interface ImageInternals {
  readonly props?: { readonly image?: ecs.ContainerImage };
}
interface AssetImageInternals {
  readonly directory: string;
  readonly props?: {
    readonly file?: string;
    readonly target?: string;
    readonly buildArgs?: BuildOptions;
    readonly buildContexts?: BuildOptions;
    readonly platform?: ecrAssets.Platform;
  };
}
interface RepositoryImageInternals {
  readonly repository?: ecr.IRepository;
}
interface DockerImageAssetInternals {
  readonly dockerfilePath?: string;
  readonly dockerBuildTarget?: string;
  readonly dockerBuildArgs?: BuildOptions;
  readonly dockerBuildContexts?: BuildOptions;
}
type BuildOptions = { readonly [name: string]: string };
/**
 * Where a DockerImageAsset's platform is kept (the asset keeps none): the asset manifest of the default synthesizers,
 * by the asset's hash, or the asset metadata of the legacy one.
 */
interface SynthesizerInternals {
  readonly assetManifest?: { readonly dockerImages?: { readonly [sourceHash: string]: { readonly source?: { readonly platform?: string } } } };
}

/**
 * Why a container's image, whose name holds a token, may be the agent's, for a warning; undefined
 * where it surely is not. An image built from a Dockerfile of the app (`ContainerImage.fromAsset`,
 * or `fromDockerImageAsset` of a `DockerImageAsset` of the app) is read from that Dockerfile, at hand
 * at synth: only one naming Mackerel (copying the agent from a stage built on its image, say)
 * or with a base image that cannot be told at synth (`_builtBaseUnknown`) may be (one whose stage built
 * is the agent's image is the agent: `_builtOnAgent`). An image of an ECR repository whose name is
 * written in the app (`fromEcrRepository` or `TagParameterContainerImage` of a repository imported
 * by name, or created in the app with a `repositoryName`) may be only if that name mentions Mackerel,
 * as a mirror's does (an ECR pull-through cache keeps the agent's). Any other (a repository named by
 * a token or by CloudFormation, an image given by a parameter or a tarball) is known only at deploy time.
 * @internal
 */
export function _imageMayBeAgent(container: ecs.ContainerDefinition): string | undefined {
  const built = builtImageOf(container);
  if (built) return dockerfileMayBuildAgent(built);
  const image = (container as unknown as ImageInternals).props?.image;
  if (image instanceof ecs.EcrImage || image instanceof ecs.TagParameterContainerImage) {
    const repository = (image as unknown as RepositoryImageInternals).repository;
    const name = repository && literalRepositoryName(repository);
    if (name !== undefined && !MACKEREL.test(name)) return undefined;
  }
  return 'its image is known only at deploy time';
}

/**
 * The agent's image, as a container's image built from the app's own Dockerfile shows it: the
 * stage built (the last, or the asset's `target`), followed through the stages it builds on
 * (`FROM agent` of an earlier `... AS agent`), is based on the agent's image, its FROM line read
 * with the build arguments as Docker reads it (`FROM ${BASE}`). Such an image runs the agent as the
 * image itself does (a mirror adding plugins or `ENV MACKEREL_CONTAINER_PLATFORM=ecs`). An image on
 * another base that copies the agent from its image and runs it is the agent too (`runsCopiedAgent`).
 * Undefined for any other image, or where the Dockerfile cannot be read or that base cannot be told
 * at synth (`_builtBaseUnknown` says so).
 * @internal
 */
export function _builtOnAgent(container: ecs.ContainerDefinition): string | undefined {
  const built = builtImageOf(container);
  const props = (container as unknown as ContainerCommandInternals).props;
  const given: _CommandOverrides = {
    entryPoint: props?.entryPoint, command: props?.command, path: props?.environment?.PATH, workingDirectory: props?.workingDirectory,
  };
  const overrides = deployedCommand(container, given);
  return overrides && (onAgent(built, overrides) ?? runsCopiedAgent(built, overrides));
}

/**
 * A container's entry point, command, PATH and working directory as deployed: as given, with what escape hatches write over
 * its fields in its task definition's resource (`addPropertyOverride('ContainerDefinitions.1.Command', ...)`: the template
 * holds that, not the props). Undefined where they make what it runs unknowable at synth: they write over it whole, over its
 * image (the image built is then not the one run), or with a token, an intrinsic function or words not literal.
 */
function deployedCommand(container: ecs.ContainerDefinition, given: _CommandOverrides): _CommandOverrides | undefined {
  const over = _ecsContainerOverride(container);
  if (over === undefined) return given;
  if (over === 'replaced' || 'Image' in over) return undefined;
  // The variables as aws-cdk-lib renders them, a list in the order they were set, into which an override merges.
  const rendered = 'Environment' in over ? container.renderContainerDefinition().environment : undefined;
  const variables = Array.isArray(rendered) ? rendered.map((v) => {
    const { name, value } = v as { name?: unknown; value?: unknown };
    return { Name: name, Value: value };
  }) : rendered;
  const deployed: _CommandOverrides = {
    entryPoint: _overridden(given.entryPoint, over, 'EntryPoint'),
    command: _overridden(given.command, over, 'Command'),
    workingDirectory: _overridden(given.workingDirectory, over, 'WorkingDirectory'),
    path: 'Environment' in over ? _pathIn(_overridden(variables, over, 'Environment')) : given.path,
  };
  return _commandKnowable(deployed, over) ? deployed : undefined;
}

/**
 * The PATH a container's environment (a list in CloudFormation's spelling) sets: its last PATH entry's value, as ECS hands
 * the variables to Docker; `_UNKNOWABLE` where the list, or an entry that may be PATH, is known only once deployed.
 * @internal
 */
export function _pathIn(list: unknown): unknown {
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) return _UNKNOWABLE;
  let found: unknown;
  for (const entry of list as unknown[]) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { Name: name, Value: value } = entry as { Name?: unknown; Value?: unknown };
    if (typeof name !== 'string' || Token.isUnresolved(name)) return _UNKNOWABLE;
    if (name === 'PATH') found = value;
  }
  return found;
}

/**
 * Whether what escape hatches (`over`, in CloudFormation's spelling) write over a container's command is known at synth:
 * the entry point and command they write lists of literal words (or none), the PATH their variables set a literal string
 * (or none). A working directory they write that is not is no place known (`cwdWith`).
 * @internal
 */
export function _commandKnowable(command: _CommandOverrides, over: { readonly [field: string]: unknown }): boolean {
  const words = (value: unknown) => value === undefined
    || (Array.isArray(value) && value.every((word) => typeof word === 'string' && !Token.isUnresolved(word)));
  const search = command.path;
  return (!('EntryPoint' in over) || words(command.entryPoint)) && (!('Command' in over) || words(command.command))
    && (!('Environment' in over) || search === undefined || (typeof search === 'string' && !Token.isUnresolved(search)));
}

/** What aws-cdk-lib keeps private in a container: the entry point and command that replace its image's. */
interface ContainerCommandInternals {
  readonly props?: {
    readonly entryPoint?: unknown;
    readonly command?: unknown;
    readonly environment?: { readonly [name: string]: unknown };
    readonly workingDirectory?: unknown;
  };
}

/** A container's entry point and command as its task definition sets them (undefined where it sets none). @internal */
export interface _CommandOverrides {
  readonly entryPoint?: unknown;
  readonly command?: unknown;
  /** The PATH its environment sets, which replaces the image's (ECS hands the task's variables to Docker over the image's). */
  readonly path?: unknown;
  /** The working directory it sets, which replaces the image's WORKDIR. */
  readonly workingDirectory?: unknown;
}

/**
 * The agent's image, as the image URI of a `DockerImageAsset` of the app shows it where a task
 * definition's CloudFormation resource (a `CfnTaskDefinition`, a raw `CfnResource`) names it as a
 * container's image: its Dockerfile read as `_builtOnAgent` reads it. Undefined for any other image.
 * @internal
 */
export function _assetBuiltOnAgent(scope: IConstruct, imageUri: string, overrides: _CommandOverrides = {}): string | undefined {
  // Read once per image URI in an app: each L1 container naming the asset asks again.
  const root = scope.node.root;
  const read = assetImages.get(root) ?? new Map<string, BuiltImage | null>();
  assetImages.set(root, read);
  if (!read.has(imageUri)) {
    const source = dockerImageAssetNamed(scope, imageUri);
    read.set(imageUri, source ? builtFrom(source) : null);
  }
  const built = read.get(imageUri) ?? undefined;
  return onAgent(built, overrides) ?? runsCopiedAgent(built, overrides);
}

/**
 * The agent's image, as an image built on it shows it, where the command the container runs is still the agent: the
 * image's own (the agent's ENTRYPOINT, or what the Dockerfile sets), or the task's `entryPoint` and `command` where they
 * are known and replace it (`taskRunsAgent`).
 */
function onAgent(built: BuiltImage | undefined, overrides: _CommandOverrides): string | undefined {
  if (built?.base === undefined || built.unknown !== undefined || !_AGENT_IMAGE.test(built.base)) return undefined;
  if (taskRunsAgent(built.run, overrides) === false) return undefined;
  const base = built.base.split(UNKNOWN).join('*');
  return `image built from ${built.file} on ${base}${built.written === built.base ? '' : ` (FROM ${built.written})`}`;
}

/**
 * Whether a task's `entryPoint` and `command` run the agent in an image built on the agent's image, where they decide
 * what runs: an entry point replaces the image's ENTRYPOINT and its CMD, and a command after the agent's own ENTRYPOINT
 * (the Dockerfile setting none) is its arguments. Undefined where the task leaves the image's command (or sets a value
 * known only at deploy time): the image runs what it was built to run.
 */
function taskRunsAgent(run: ImageRun | undefined, overrides: _CommandOverrides): boolean | undefined {
  const given = givenCommand(overrides);
  if (given === undefined) return undefined;
  // As ECS hands them to Docker: an entry point given drops the image's CMD too; a command alone replaces only the CMD.
  const words = given.entryPoint !== undefined ? [...given.entryPoint, ...given.command ?? []]
    : given.command !== undefined && run?.entrypoint === undefined ? [AGENT_BINARY, ...given.command] : undefined;
  if (words === undefined) return undefined;
  const paths = new Set([AGENT_BINARY, ...run?.paths ?? []]);
  return _agentRunAt(words, paths, searchWith(run?.search ?? DEFAULT_PATH, overrides), cwdWith(run?.workdir, overrides)) >= 0;
}

/** A task's `entryPoint` and `command` where it sets them as words known at synth; undefined where it sets a token. */
function givenCommand(overrides: _CommandOverrides): { readonly entryPoint?: string[]; readonly command?: string[] } | undefined {
  const given = (value: unknown): string[] | undefined | null => value === undefined ? undefined
    : Array.isArray(value) && value.every((word) => typeof word === 'string' && !Token.isUnresolved(word)) ? value : null;
  const entryPoint = given(overrides.entryPoint);
  const command = given(overrides.command);
  // An entry point or command known only at deploy time may run anything.
  if (entryPoint === null || command === null || Token.isUnresolved(overrides.entryPoint) || Token.isUnresolved(overrides.command)) return undefined;
  return { entryPoint, command };
}

/** The PATH a container runs its command with: its environment's where it sets one known at synth, else the image's. */
function searchWith(image: ReadonlyArray<string>, overrides: _CommandOverrides): ReadonlyArray<string> {
  return typeof overrides.path === 'string' && !Token.isUnresolved(overrides.path) ? searchOf(overrides.path) : image;
}

/**
 * The working directory a container runs its command in: its `workingDirectory` where it sets one (ECS hands it to Docker
 * over the image's WORKDIR), known where an absolute path at synth; else the image's. Undefined where not known here.
 */
function cwdWith(image: string | undefined, overrides: _CommandOverrides): string | undefined {
  const given = overrides.workingDirectory;
  if (given === undefined) return image;
  return typeof given === 'string' && !Token.isUnresolved(given) && given.startsWith('/') ? path.posix.normalize(given) : undefined;
}

/**
 * The agent, as an image built on another base shows it: the stage built (or one it builds on) copies
 * from the agent's image (`COPY --from=mackerel/mackerel-container-agent:v0.13.2 ...`, or from a stage
 * built on it), and the command the container runs (its ENTRYPOINT and CMD, as the task definition's
 * `entryPoint` and `command` leave them) names the agent's binary. Either alone is no agent (a plugin
 * copied out of the agent's image, a script named after it): undefined, as for any other image.
 */
function runsCopiedAgent(built: BuiltImage | undefined, overrides: _CommandOverrides): string | undefined {
  const copied = built?.copied;
  if (!copied) return undefined;
  // As ECS hands them to Docker: an entry point replaces the image's and drops its CMD; a command replaces the CMD.
  const given = givenCommand(overrides);
  // An entry point or command known only at deploy time may run anything.
  if (given === undefined) return undefined;
  const { entryPoint, command } = given;
  const runs: Array<[string[] | undefined, string]> = entryPoint !== undefined
    ? [[entryPoint, 'its entryPoint'], [command, 'its command']]
    : [[copied.entrypoint?.words, copied.entrypoint?.written ?? ''], command !== undefined ? [command, 'its command'] : [copied.cmd?.words, copied.cmd?.written ?? '']];
  // An image's ENTRYPOINT in the shell form runs its script alone: the CMD or the command is only its $0 and arguments.
  if (entryPoint === undefined && copied.entrypoint?.shell) runs.splice(1);
  // Docker runs the entry point with the CMD (or the command) as its arguments: one program's, read as one command
  // (`ls -l` then the binary lists it). The part holding the word that runs the binary is the one said.
  const all = runs.flatMap(([part]) => part ?? []);
  let at = _agentRunAt(all, copied.paths, searchWith(copied.search, overrides), cwdWith(copied.workdir, overrides));
  if (at < 0) return undefined;
  const naming = runs.find(([words]) => (at -= (words ?? []).length) < 0)!;
  const base = built.base!.split(UNKNOWN).join('*');
  return `image built from ${built.file} on ${base}, copying the agent from ${copied.from} (${copied.written}) and running it (${naming[1]})`;
}

/** A PATH's directories, in order: an empty or relative entry is the command's working directory, not followed. */
function searchOf(value: string): string[] {
  return value.split(':').filter((dir) => dir.startsWith('/')).map((dir) => path.posix.normalize(dir));
}

/** The directories of the PATH images are given by default (BuildKit sets it where the base image sets none): taken as the base image's. */
const DEFAULT_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * Why the base of a container's image built from the app's own Dockerfile cannot be told at synth:
 * the Dockerfile cannot be read, or the stage built takes its base image from a value Docker knows
 * only when it builds (an argument of the platform it builds on, or of the one it builds for where the
 * asset names none, `FROM node:${TARGETARCH}` aside, as only the repository tells the agent's image),
 * or a build context of the asset replaces it; or a RUN of the stages built mounts a stage or image holding the agent
 * (`RUN --mount=from=...`), and may copy it into the image, which is not followed here.
 * Build arguments written in the app are read as Docker reads them. Such an image may be built on
 * the agent's image and set `MACKEREL_CONTAINER_PLATFORM` itself, with no environment variable or
 * file to show it. Undefined where the base is known, or the image is not built from the app's Dockerfile.
 * @internal
 */
export function _builtBaseUnknown(container: ecs.ContainerDefinition): string | undefined {
  const built = builtImageOf(container);
  if (!built) return undefined;
  if (built.text === undefined) return `its image is built from ${built.file}, which cannot be read at synth`;
  const why = built.unknown ?? built.mounted;
  return why === undefined ? undefined : `its image is built from ${built.file}, ${why}`;
}

/**
 * Whether the reason `_builtBaseUnknown` gives for a container is a RUN mounting the agent (its base image is known):
 * the advice then is about the mount, not the FROM line.
 * @internal
 */
export function _builtMountsAgent(container: ecs.ContainerDefinition): boolean {
  const built = builtImageOf(container);
  return built?.text !== undefined && built.unknown === undefined && built.mounted !== undefined;
}

/** Whether a container's image is built by another frontend than Docker's own Dockerfile frontend. @internal */
export function _builtByOtherFrontend(container: ecs.ContainerDefinition): boolean {
  return builtImageOf(container)?.otherFrontend === true;
}

/** An image of the agent's repository, by its last path segment: Docker Hub, ECR Public or a mirror. @internal */
export const _AGENT_IMAGE = /(^|\/)mackerel-container-agent([:@]|$)/;
const MACKEREL = /mackerel/i;
/** The blanks BuildKit splits an instruction's keyword and a FROM line's words at (its parser's `reWhitespace`). */
const BLANKS = /[\t\v\f\r ]+/;
/** A stage name BuildKit takes (in lower case): any other is refused ("invalid name for build stage"). */
const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;
/**
 * A heredoc opened by a RUN, COPY or ADD, as a word of its own, named by any word Docker takes (`<<EOF`, `<<END-OF-FILE`,
 * `3<<EOF`, `<<"EOF"`), `-` for tabs before its end.
 */
const HEREDOC = /(?:^|[ \t])\d*<<(-?)[ \t]*(?:"([^"]+)"|'([^']+)'|([^\s<"']+))(?=[ \t]|$)/g;
/**
 * A line Docker skips, also inside a continued instruction: blank, or a comment, after any blanks Go's
 * `unicode.IsSpace` takes (a no-break space, a form feed), which Docker trims from a line's start.
 */
const SKIPPED = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*(#|$)/;
/**
 * A line of the form of a parser directive (`# escape=\``), as Docker reads one: only in the lines before any other line.
 * Written so that it cannot backtrack (Docker's regular expressions run in linear time): the value is trimmed after.
 */
const DIRECTIVE = /^[ \t]*#[ \t]*([A-Za-z][A-Za-z0-9]*)[ \t]*=(.*)$/;
/** The parser directives Docker knows: a line of that form naming any other is a comment, and ends the directives. */
const DIRECTIVES = ['syntax', 'escape', 'check'];
/** A parameter's name after `$`, as Docker's shell lexer reads it: digits, one special character, or letters, digits and `_`. */
const PARAMETER = /[0-9]+|[@*#?\-$!]|[\p{L}\p{Nd}_]+/uy;
/** How deep a substitution in another is followed (Docker follows any depth; a deeper one is taken as known only when it builds). */
const MAX_NESTING = 100;
/** How long a value is followed (an image reference is short; `ARG B=$A$A` on each line doubles one). */
const MAX_VALUE = 1_048_576;
/** Where a value Docker knows only when it builds stands in a resolved image reference. */
const UNKNOWN = '\u0000';
/**
 * The arguments Docker sets, in the global scope too, to the platform it builds on and for: known only then,
 * but for those of the platform built for where the asset names it (`platform`).
 */
const PLATFORM_ARGS = ['TARGETPLATFORM', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT', 'BUILDPLATFORM', 'BUILDOS', 'BUILDARCH', 'BUILDVARIANT'];
/** A part of a platform as containerd parses one (`linux/arm64/v8`). */
const PLATFORM_PART = /^[A-Za-z0-9_.-]+$/;

/** A Dockerfile's instructions (continued lines joined) and its escape character, as Docker reads them. */
interface Instructions {
  readonly escape: string;
  readonly instructions: string[];
}

/**
 * A Dockerfile's instructions, as Docker reads them: after its parser directives (only the lines at
 * its top, before any comment, blank line or instruction: `# escape=\`` makes a backtick continue a
 * line), a line is an instruction only where it starts one, not where it continues one or is in a
 * heredoc's text (a script's `from x import y`, a Dockerfile written out). Undefined where Docker
 * refuses the file (an escape character other than `\` or a backtick, a directive given twice).
 */
function instructionsOf(text: string): Instructions | undefined {
  const lines = text.replace(/^\uFEFF/, '').split('\n').map((line) => line.replace(/\r$/, ''));
  let escape = '\\';
  const directives = new Set<string>();
  let i = 0;
  for (; i < lines.length; i++) {
    const directive = DIRECTIVE.exec(lines[i]);
    const name = directive?.[1].toLowerCase();
    if (!directive || directive[2].trim() === '' || !DIRECTIVES.includes(name!)) break;
    if (directives.has(name!)) return undefined;
    directives.add(name!);
    if (name === 'escape') {
      const value = directive[2].trim();
      if (value !== '\\' && value !== '`') return undefined;
      escape = value;
    }
  }
  const continued = new RegExp(`\\${escape}[ \\t]*$`);
  const instructions: string[] = [];
  const heredocEnd = heredocEnds(lines);
  let instruction: string | undefined;
  for (; i < lines.length; i++) {
    if (SKIPPED.test(lines[i])) continue;
    const more = continued.test(lines[i]);
    // Docker joins a continued instruction's lines as they are: only the escape character ending each goes, nothing comes between.
    const part = lines[i].replace(continued, '');
    instruction = instruction === undefined ? part : instruction + part;
    if (more) continue;
    instruction = instruction.trim();
    // Nothing but blanks Docker does not trim (a byte order mark in a line's middle): Docker refuses it; no instruction here.
    if (instruction !== '') instructions.push(instruction);
    if (/^(RUN|COPY|ADD)\s/i.test(instruction)) {
      for (const [, dash, doubleQuoted, singleQuoted, bare] of instruction.matchAll(HEREDOC)) {
        // Only up to a line ending it: `<<x` with no such line is none (Docker would refuse the file),
        // and reading on keeps the stages after it.
        const end = heredocEnd(doubleQuoted ?? singleQuoted ?? bare, dash === '-', i);
        if (end !== undefined) i = end;
      }
    }
    instruction = undefined;
  }
  // An instruction continued on the file's last line ends there, as Docker reads it.
  if (instruction !== undefined && instruction.trim() !== '') instructions.push(instruction.trim());
  return { escape, instructions };
}

/**
 * The first line after a given one that ends a heredoc of a name (`chomp`: after any tabs), found in the
 * lines indexed once by their text, so that a file of many heredocs is read in linear time.
 */
function heredocEnds(lines: string[]): (name: string, chomp: boolean, after: number) => number | undefined {
  const indexes: Array<Map<string, number[]> | undefined> = [undefined, undefined];
  return (name, chomp, after) => {
    const index = indexes[chomp ? 1 : 0] ??= lines.reduce((map, line, j) => {
      const key = chomp ? line.replace(/^\t+/, '') : line;
      const at = map.get(key);
      if (at) at.push(j); else map.set(key, [j]);
      return map;
    }, new Map<string, number[]>());
    const at = index.get(name) ?? [];
    let low = 0;
    let high = at.length;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      if (at[middle] > after) high = middle; else low = middle + 1;
    }
    return at[low];
  };
}

/** A stage as written: its base image (before Docker expands it), its name (lower case, as Docker takes it), and its other instructions. */
interface Stage {
  readonly from: string;
  readonly name?: string;
  readonly instructions: string[];
}

/** A global-scope ARG: its name and its default, as written. */
interface GlobalArg {
  readonly name: string;
  readonly value?: string;
}

/**
 * The global-scope ARGs (those before the first FROM, the only ones a FROM line reads) and the stages of a Dockerfile;
 * undefined where BuildKit refuses a FROM line (`fromLine`), so builds no image.
 */
function stagesOf(dockerfile: Instructions): { readonly args: GlobalArg[]; readonly stages: Stage[] } | undefined {
  const args: GlobalArg[] = [];
  const stages: Stage[] = [];
  for (const instruction of dockerfile.instructions) {
    const [keyword] = instruction.split(BLANKS, 1);
    if (keyword.toUpperCase() === 'FROM') {
      const from = fromLine(instruction.slice(keyword.length));
      if (!from) return undefined;
      stages.push({ ...from, instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1].instructions.push(instruction);
    } else if (stages.length === 0 && /^ARG\s/i.test(instruction)) {
      for (const word of wordsOf(instruction.replace(/^ARG\s+/i, ''), dockerfile.escape)) {
        const equals = word.indexOf('=');
        args.push(equals < 0 ? { name: word } : { name: word.slice(0, equals), value: word.slice(equals + 1) });
      }
    }
  }
  return { args, stages };
}

/**
 * A FROM line's base image and stage name (lower case), as BuildKit reads them: after its flags (`--platform=...`), its
 * words split at blanks (no quotes read) are one, or three with `AS` and a stage name. Undefined where BuildKit refuses
 * it ("FROM requires either one or three arguments": `FROM a b`, a comment after it; an invalid stage name).
 */
function fromLine(rest: string): { readonly from: string; readonly name?: string } | undefined {
  const words = rest.split(BLANKS).filter((word) => word !== '');
  while (words.length > 0 && words[0].startsWith('--')) words.shift();
  if (words.length === 1) return { from: words[0] };
  if (words.length !== 3 || words[1].toUpperCase() !== 'AS' || !STAGE_NAME.test(words[2].toLowerCase())) return undefined;
  return { from: words[0], name: words[2].toLowerCase() };
}

/** An instruction's arguments split at blanks outside quotes, quotes and escapes kept (Docker expands each word after). */
function wordsOf(text: string, escape: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === escape && i + 1 < text.length && quote !== "'") {
      word += c + text[++i];
    } else if (quote !== undefined) {
      word += c;
      if (c === quote) quote = undefined;
    } else if (c === ' ' || c === '\t') {
      if (word !== '') words.push(word);
      word = '';
    } else {
      word += c;
      if (c === '"' || c === "'") quote = c;
    }
  }
  if (word !== '') words.push(word);
  return words;
}

/** The build arguments a FROM line is expanded with: their values (UNKNOWN where Docker knows one only when it builds) and why not known. */
interface Arguments {
  readonly values: Pick<ReadonlyMap<string, string>, 'get'>;
  readonly unknownWhy: Pick<ReadonlyMap<string, string>, 'get'>;
}

/**
 * Expands a word of a FROM or global ARG line as BuildKit's Dockerfile frontend does: quotes, the escape
 * character, `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME-word}`, `${NAME:+word}`, `${NAME+word}`,
 * `${NAME:?message}`, and the pattern substitutions `${NAME#pattern}`, `${NAME##pattern}`, `${NAME%pattern}`,
 * `${NAME%%pattern}`, `${NAME/pattern/text}`, `${NAME//pattern/text}` (see `_shell-pattern`).
 * A value Docker knows only when it builds stands as UNKNOWN, and so does a substitution this does
 * not follow (one too costly to match, say), each saying why in `why`. Undefined where Docker refuses
 * the word (an unclosed quote or brace, `?` of an unset argument, a pattern with a bad escape).
 */
class WordExpander {
  readonly why: string[] = [];
  private depth = 0;

  constructor(private readonly args: Arguments, private readonly escape: string, private readonly meter: PatternMeter) {}

  expand(word: string): string | undefined {
    try {
      return this.process(word, 0)?.text;
    } catch (error) {
      if (error instanceof TooLong) {
        this.because(`a value longer than ${MAX_VALUE} characters, which cdk-mackerel does not follow`);
        return UNKNOWN;
      }
      if (!(error instanceof TooDeep)) throw error;
      this.because(`a substitution nested more than ${MAX_NESTING} deep, which cdk-mackerel does not follow`);
      return UNKNOWN;
    }
  }

  /**
   * The text of `word` from `start` up to its end, or to `stop` (the `}` closing a substitution, the `/` ending a pattern).
   * `raw` keeps each escape character with the character it escapes, as BuildKit reads a pattern and its replacement text.
   */
  private process(word: string, start: number, stop?: string, raw = false): { readonly text: string; readonly end: number } | undefined {
    let text = '';
    let i = start;
    while (i < word.length) {
      // A value may grow at each ARG (`ARG B=$A$A`): past a size, taken as known only when Docker builds.
      if (text.length > MAX_VALUE) throw new TooLong();
      const c = word[i];
      if (c === stop) return { text, end: i };
      if (c === this.escape) {
        text += (raw ? c : '') + (word[i + 1] ?? '');
        i += 2;
      } else if (c === "'") {
        const close = word.indexOf("'", i + 1);
        if (close < 0) return undefined;
        text += word.slice(i + 1, close);
        i = close + 1;
      } else if (c === '"') {
        for (i++; i < word.length && word[i] !== '"';) {
          if (word[i] === this.escape && i + 1 < word.length) {
            // In double quotes the escape character escapes only a quote, a dollar or itself (raw, BuildKit keeps it,
            // and writes it twice before any other character).
            const escaped = ['"', '$', this.escape].includes(word[i + 1]);
            text += (raw ? this.escape : '') + (escaped ? word[i + 1] : word.slice(i, i + 2));
            i += 2;
          } else if (word[i] === '$') {
            const substituted = this.dollar(word, i);
            if (!substituted) return undefined;
            text += substituted.text;
            i = substituted.end;
          } else {
            text += word[i++];
          }
        }
        if (i >= word.length) return undefined;
        i++;
      } else if (c === '$') {
        const substituted = this.dollar(word, i);
        if (!substituted) return undefined;
        text += substituted.text;
        i = substituted.end;
      } else {
        text += c;
        i++;
      }
    }
    return stop === undefined ? { text, end: i } : undefined;
  }

  private dollar(word: string, at: number): { readonly text: string; readonly end: number } | undefined {
    if (word[at + 1] !== '{') {
      const name = parameterAt(word, at + 1);
      return name === '' ? { text: '$', end: at + 1 } : { text: this.valueOf(name) ?? '', end: at + 1 + name.length };
    }
    if (word[at + 2] === undefined || '{}:'.includes(word[at + 2])) return undefined;
    const name = parameterAt(word, at + 2);
    let i = at + 2 + name.length;
    const value = this.valueOf(name);
    if (word[i] === '}') return { text: value ?? '', end: i + 1 };
    const colon = word[i] === ':';
    if (colon) i++;
    const modifier = word[i];
    if (!['-', '+', '?', '#', '%'].includes(modifier) && (colon || modifier !== '/')) return undefined;
    // Each substitution in another is a call deeper: past a depth, taken as known only when Docker builds.
    if (this.depth >= MAX_NESTING) throw new TooDeep();
    this.depth++;
    try {
      if (modifier === '/') {
        // ${NAME/pattern/text}, ${NAME//pattern/text}: both read raw
        const all = word[i + 1] === '/';
        const pattern = this.process(word, all ? i + 2 : i + 1, '/', true);
        const replacement = pattern && this.process(word, pattern.end + 1, '}', true);
        if (!replacement) return undefined;
        return this.matched(word, at, replacement.end + 1, [value, pattern.text, replacement.text],
          () => replacePattern(value ?? '', pattern.text, replacement.text, all, this.meter));
      }
      const alternative = this.process(word, i + 1, '}', modifier === '#' || modifier === '%');
      if (!alternative) return undefined;
      const end = alternative.end + 1;
      if (modifier === '#' || modifier === '%') {
        // A doubled modifier (`##`, `%%`) takes the longest match: BuildKit tells it by the pattern as read.
        const greedy = alternative.text.startsWith(modifier);
        const pattern = greedy ? alternative.text.slice(1) : alternative.text;
        return this.matched(word, at, end, [value, pattern], () => trimPattern(value ?? '', pattern, modifier === '%', greedy, this.meter));
      }
      // Whether a value known only at build time is empty is not known either.
      if (value?.includes(UNKNOWN)) return { text: UNKNOWN, end };
      const unset = value === undefined || (colon && value === '');
      if (modifier === '-') return { text: unset ? alternative.text : value!, end };
      if (modifier === '+') return { text: unset ? '' : alternative.text, end };
      return unset ? undefined : { text: value!, end };
    } finally {
      this.depth--;
    }
  }

  /**
   * A pattern substitution from `at` to `end`, its value, pattern and text (`parts`) read: UNKNOWN where a part is
   * known only when Docker builds (each said why when read), or where it is not followed (said here).
   */
  private matched(word: string, at: number, end: number, parts: Array<string | undefined>, match: () => string | undefined)
    : { readonly text: string; readonly end: number } | undefined {
    if (parts.some((part) => part?.includes(UNKNOWN))) return { text: UNKNOWN, end };
    try {
      const text = match();
      return text === undefined ? undefined : { text, end };
    } catch (error) {
      if (!(error instanceof Unfollowed)) throw error;
      this.because(`the substitution ${word.slice(at, end)}, which cdk-mackerel does not follow`);
      return { text: UNKNOWN, end };
    }
  }

  private valueOf(name: string): string | undefined {
    const value = this.args.values.get(name);
    if (value?.includes(UNKNOWN)) this.because(this.args.unknownWhy.get(name)!);
    return value;
  }

  private because(why: string): void {
    if (!this.why.includes(why)) this.why.push(why);
  }
}

/** A substitution nested deeper than MAX_NESTING. */
class TooDeep extends Error {}
/** A value longer than MAX_VALUE. */
class TooLong extends Error {}

/** The name of a parameter starting at `at`, as Docker's shell lexer reads it ('' where none: a lone `$`). */
function parameterAt(word: string, at: number): string {
  PARAMETER.lastIndex = at;
  return PARAMETER.exec(word)?.[0] ?? '';
}

/** How an image is built from the app's Dockerfile: the file, the stage built, and the build options a FROM line reads. */
interface BuildSource {
  readonly file: string;
  readonly target?: string;
  readonly buildArgs: BuildOptions;
  readonly buildContexts: BuildOptions;
  /** The platform built for (`--platform`), as the asset gives it; undefined where it gives none. */
  readonly platform?: string;
  /** What gives those options, for the messages. */
  readonly givenBy: string;
}

/**
 * A container's image built from the app's own Dockerfile: the file, its text (undefined where it
 * cannot be read), the base image of the stage built as Docker resolves it (UNKNOWN where a part of
 * it is known only when Docker builds) and its FROM line's image as written, or why that base cannot
 * be told at synth (`unknown`); and whether any stage may be built on the agent's image.
 */
interface BuiltImage {
  readonly file: string;
  readonly text?: string;
  readonly base?: string;
  readonly written?: string;
  readonly unknown?: string;
  /** Whether another frontend than Docker's own reads the file, so no FROM line written in it is sure to be read. */
  readonly otherFrontend?: boolean;
  readonly anyMayBeAgent: boolean;
  /** Where the stage built, on a known base, copies from the agent's image, and the ENTRYPOINT and CMD it sets, if any. */
  readonly copied?: CopiedAgent;
  /** Why the agent may be put in the image unseen: a RUN of the stages built mounts a stage or image holding it. */
  readonly mounted?: string;
  /** What the stage built, on a known base, runs: its ENTRYPOINT and CMD, where the agent's binary is, and its PATH. */
  readonly run?: ImageRun;
}

/** A COPY from the agent's image (its `--from`, and the instruction as written), and what the stage built runs. */
interface CopiedAgent extends ImageRun {
  readonly from: string;
  readonly written: string;
}

/** The ENTRYPOINT and CMD the stages built set, where the agent's binary is in the image built, and the PATH it runs with. */
interface ImageRun {
  /** Where the agent's binary is in the image built, as far as its COPYs are followed. */
  readonly paths: ReadonlySet<string>;
  /** The directories of the PATH the image runs its command with, in order (`pathOf`). */
  readonly search: ReadonlyArray<string>;
  /** The working directory the image runs its command in: the last WORKDIR of the stages built; undefined where not known here. */
  readonly workdir?: string;
  /** Undefined where the Dockerfile sets none: the base image's, unknown here. */
  readonly entrypoint?: Command;
  readonly cmd?: Command;
}

/** An ENTRYPOINT's or a CMD's words (its JSON array's, or its shell form's as `/bin/sh -c` runs it), whether in the shell form, and the instruction as written. */
interface Command {
  readonly words: string[];
  readonly shell?: boolean;
  readonly written: string;
}

// Read once per container: the sign and the warning each ask, from each entry point, and a container's image is fixed when it is made.
const builtImages = new WeakMap<ecs.ContainerDefinition, BuiltImage | null>();
const assetImages = new WeakMap<IConstruct, Map<string, BuiltImage | null>>();

function builtImageOf(container: ecs.ContainerDefinition): BuiltImage | undefined {
  let built = builtImages.get(container);
  if (built === undefined) builtImages.set(container, built = readBuiltImage(container) ?? null);
  return built ?? undefined;
}

function readBuiltImage(container: ecs.ContainerDefinition): BuiltImage | undefined {
  // An image named at synth is known by its name; an asset's is a token.
  if (!Token.isUnresolved(container.imageName)) return undefined;
  const image = (container as unknown as ImageInternals).props?.image;
  let source: BuildSource | undefined;
  if (image instanceof ecs.AssetImage) {
    const asset = image as unknown as AssetImageInternals;
    source = {
      // As DockerImageAsset finds it: `file` is relative to the directory.
      file: path.join(asset.directory, asset.props?.file ?? 'Dockerfile'),
      target: asset.props?.target,
      buildArgs: asset.props?.buildArgs ?? {},
      buildContexts: asset.props?.buildContexts ?? {},
      platform: asset.props?.platform?.platform,
      givenBy: `ContainerImage.fromAsset of ${container.node.path}`,
    };
  } else if (!(image instanceof ecs.EcrImage || image instanceof ecs.TagParameterContainerImage)) {
    source = dockerImageAssetNamed(container, container.imageName);
  }
  return source && builtFrom(source);
}

function builtFrom(source: BuildSource): BuiltImage {
  const text = _readText(source.file);
  if (text === undefined) return { file: source.file, anyMayBeAgent: true };
  return { file: source.file, text, ...resolveBase(text, source) };
}

/** A stage's base image expanded as Docker expands it; undefined where Docker refuses it (blank, say). */
interface ResolvedStage extends Stage {
  readonly base?: string;
  readonly why: string[];
}

/**
 * The base image of the stage Docker builds (`target`, else the last), its FROM line expanded with the
 * global ARGs as the asset's build arguments set them, followed through the earlier stages it names
 * (in lower case, as Docker names stages). No base where there is no such stage or Docker refuses the
 * file; `unknown` where it cannot be told at synth.
 */
function resolveBase(text: string, source: BuildSource): Omit<BuiltImage, 'file' | 'text'> {
  const frontend = otherFrontend(text, source);
  if (frontend !== undefined) return { anyMayBeAgent: true, unknown: frontend, otherFrontend: true };
  const dockerfile = instructionsOf(text);
  const parsed = dockerfile && stagesOf(dockerfile);
  if (!dockerfile || !parsed) return { anyMayBeAgent: false };
  const { args, stages: written } = parsed;
  const meter = new PatternMeter();
  const values = new Map<string, string>(PLATFORM_ARGS.map((name) => [name, UNKNOWN]));
  const unknownWhy = new Map<string, string>(PLATFORM_ARGS.map((name) => [name, `${name}, which Docker sets to a platform of the build`]));
  for (const [name, value] of Object.entries(targetPlatformArgs(source.platform) ?? {})) values.set(name, value);
  // As BuildKit sets them: a build argument of a platform argument's name replaces its value, declared by an ARG or not.
  for (const name of PLATFORM_ARGS.filter((arg) => Object.prototype.hasOwnProperty.call(source.buildArgs, arg))) {
    const given = source.buildArgs[name];
    values.set(name, Token.isUnresolved(given) ? UNKNOWN : given);
    unknownWhy.set(name, `the build argument ${name}, a token (buildArgs of ${source.givenBy})`);
  }
  for (const { name, value } of args) {
    // A build argument replaces the default as given, unexpanded; an ARG with neither leaves the argument as it was.
    if (Object.prototype.hasOwnProperty.call(source.buildArgs, name)) {
      // aws-cdk-lib refuses a token there today; were one to pass, Docker would know its value only at deploy time.
      const given = source.buildArgs[name];
      values.set(name, Token.isUnresolved(given) ? UNKNOWN : given);
      unknownWhy.set(name, `the build argument ${name}, a token (buildArgs of ${source.givenBy})`);
      continue;
    }
    if (value === undefined) continue;
    const expander = new WordExpander({ values, unknownWhy }, dockerfile.escape, meter);
    const expanded = expander.expand(value);
    if (expanded === undefined) return { anyMayBeAgent: false };
    values.set(name, expanded);
    unknownWhy.set(name, expander.why.join(' and '));
  }
  const stages: ResolvedStage[] = written.map((stage) => {
    const expander = new WordExpander({ values, unknownWhy }, dockerfile.escape, meter);
    const base = expander.expand(stage.from);
    return { ...stage, base: base === '' ? undefined : base, why: expander.why };
  });
  const unknownOf = (stage: ResolvedStage): string | undefined => {
    const context = [stage.name, stage.base].find((name) => name !== undefined && buildContextOf(name, source.buildContexts) !== undefined);
    if (context !== undefined) {
      return `whose base image (FROM ${stage.from}) is replaced by the build context ${buildContextOf(context, source.buildContexts)} `
        + `(buildContexts of ${source.givenBy})`;
    }
    if (stage.base !== undefined && repositoryOf(stage.base).includes(UNKNOWN)) {
      return `whose base image (FROM ${stage.from}) comes from ${stage.why.join(' and ')}, known only when Docker builds it`;
    }
    return undefined;
  };
  const anyMayBeAgent = stages.some((stage) => unknownOf(stage) !== undefined || (stage.base !== undefined && MACKEREL.test(stage.base)));
  if (source.target !== undefined && Token.isUnresolved(source.target)) {
    return { anyMayBeAgent, unknown: `whose stage built (target) is a token (${source.givenBy})` };
  }
  // As Docker links them: a FROM names the last earlier stage of that name (stage names are taken in lower case, a FROM's
  // name as it is: `FROM Agent` names an image, which Docker refuses), and the target the last stage of its name.
  const byName = new Map<string, number>();
  const earlier = stages.map((stage, i) => {
    const named = stage.base === undefined ? undefined : byName.get(stage.base);
    if (stage.name !== undefined) byName.set(stage.name, i);
    return named;
  });
  let index = source.target === undefined ? stages.length - 1 : byName.get(source.target.toLowerCase());
  if (index !== undefined && copiesFromLater(stages, earlier, byName, index, source.buildContexts)) return { anyMayBeAgent: false };
  const chain: number[] = [];
  while (index !== undefined && index >= 0) {
    const stage = stages[index];
    if (stage.base === undefined) return { anyMayBeAgent };
    const unknown = unknownOf(stage);
    if (unknown !== undefined) return { anyMayBeAgent, unknown, written: stage.from };
    chain.push(index);
    if (earlier[index] === undefined) {
      const { run, copied, mounted } = copiedAgent(stages, earlier, byName, chain.reverse(), source, values, unknownOf, dockerfile.escape);
      return {
        anyMayBeAgent, base: stage.base, written: stage.from, run, ...(copied ? { copied } : {}), ...(mounted !== undefined ? { mounted } : {}),
      };
    }
    index = earlier[index];
  }
  return { anyMayBeAgent };
}

/**
 * Whether a stage built (the target, or one it needs: the stage it is built on, a stage it copies from, also by the
 * ONBUILD triggers it runs) copies from a stage written after it, or from itself. BuildKit builds the stages needed in
 * the order of the file and refuses such a COPY ("cannot copy from stage ..., it needs to be defined before current
 * stage"; a copy from itself is a "circular dependency"): the file builds no image. A stage a build context replaces
 * is no stage to build, and may be copied from anywhere.
 */
function copiesFromLater(stages: ReadonlyArray<Stage>, earlier: ReadonlyArray<number | undefined>, byName: ReadonlyMap<string, number>,
  target: number, contexts: BuildOptions): boolean {
  const replaced = (stage: number) => stages[stage].name !== undefined && buildContextOf(stages[stage].name!, contexts) !== undefined;
  const seen = new Set<number>([target]);
  const needed = [target];
  while (needed.length > 0) {
    const index = needed.pop()!;
    // A stage a build context replaces runs none of its instructions.
    if (replaced(index)) continue;
    const sources = runIn(stages, earlier, index).filter(({ instruction }) => /^COPY\s/i.test(instruction))
      .map(({ instruction }) => copySource(instruction.slice(4).trim(), stages.length, byName, contexts)?.stage)
      .filter((stage): stage is number => stage !== undefined);
    if (sources.some((stage) => stage >= index && !replaced(stage))) return true;
    for (const next of [earlier[index], ...sources]) {
      if (next !== undefined && !seen.has(next)) {
        seen.add(next);
        needed.push(next);
      }
    }
  }
  return false;
}

/** Docker's own Dockerfile frontend, by any tag or digest (`docker/dockerfile:1`, `:1.7-labs`, `docker/dockerfile-upstream:master`). */
const DOCKER_FRONTEND = /^(?:docker\.io\/)?docker\/dockerfile(?:-upstream)?(?::[A-Za-z0-9_][A-Za-z0-9_.-]*)?(?:@sha256:[0-9a-f]{64})?$/;

/**
 * Why a Dockerfile may not be read as Docker reads one: BuildKit hands the build to another frontend, an image that may
 * read the file by another grammar, where the asset's build argument `BUILDKIT_SYNTAX` names one (first), or else the
 * file's syntax directive (`syntaxOf`). Undefined where none is named, or Docker's own Dockerfile frontend is.
 */
function otherFrontend(text: string, source: BuildSource): string | undefined {
  const byArg = Object.prototype.hasOwnProperty.call(source.buildArgs, 'BUILDKIT_SYNTAX');
  // BuildKit takes the first word of the value, as written (aws-cdk-lib refuses a token in buildArgs today).
  const value = byArg ? source.buildArgs.BUILDKIT_SYNTAX.trim().split(' ')[0] : syntaxOf(text);
  if (value === undefined || (!Token.isUnresolved(value) && DOCKER_FRONTEND.test(value))) return undefined;
  const by = byArg ? `build argument BUILDKIT_SYNTAX (buildArgs of ${source.givenBy})` : 'syntax directive';
  return `whose ${by} names the frontend ${Token.isUnresolved(value) ? 'given by a token' : value}, not Docker's own Dockerfile frontend `
    + '(docker/dockerfile), which may read it otherwise than Docker reads a Dockerfile';
}

/** Go's `\s` (RE2): the blanks a directive's name, `=` and value are trimmed of. */
const GO_SPACE = '\t\n\f\r ';

/**
 * The frontend a Dockerfile's syntax directive names, as BuildKit detects it before reading the file: after a byte order
 * mark and a first line starting `#!`, in the lines at the top starting `#` (else `//`) that are directives (a line of
 * another form, or naming another directive, ends them), the first word of the `syntax` directive's value. Undefined where
 * there is none. (BuildKit also reads a file that is a JSON object with a `syntax` string, which is no Dockerfile.)
 */
function syntaxOf(text: string): string | undefined {
  let lines = text.replace(/^\uFEFF/, '').split('\n');
  if (lines[0].startsWith('#!')) lines = lines.slice(1);
  for (const comment of ['#', '//']) {
    const seen = new Set<string>();
    for (const line of lines) {
      if (!line.startsWith(comment)) break;
      const directive = /^\s*([A-Za-z][A-Za-z0-9]*)[\t\n\f\r ]*=/.exec(line.slice(comment.length));
      const name = directive?.[1].toLowerCase();
      // A line's value is trimmed by hand: a regular expression trimming both ends backtracks on a long run of blanks.
      const value = directive && trimGoSpace(line.slice(comment.length + directive[0].length));
      if (!directive || !DIRECTIVES.includes(name!) || value === '' || seen.has(name!)) break;
      seen.add(name!);
      if (name === 'syntax') return value!.split(' ')[0];
    }
  }
  try {
    const parsed: unknown = JSON.parse(lines.join('\n'));
    const syntax = typeof parsed === 'object' && parsed !== null ? (parsed as { syntax?: unknown }).syntax : undefined;
    return typeof syntax === 'string' ? syntax : undefined;
  } catch {
    return undefined;
  }
}

function trimGoSpace(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && GO_SPACE.includes(value[start])) start++;
  while (end > start && GO_SPACE.includes(value[end - 1])) end--;
  return value.slice(start, end);
}

/**
 * A COPY from the agent's image in the stages built (`chain`, from the one on an image to the one built; `runIn`: the ONBUILD triggers of the stage each is built on first),
 * and the ENTRYPOINT and CMD they leave, as BuildKit sets them: an ENTRYPOINT drops a CMD not set in its own
 * stage. A COPY's `--from` names a stage by its index or its name (in lower case): as BuildKit resolves it once
 * it has read every stage, the last stage of that name in the file (`byName`), also one written after the COPY.
 * That stage holds the agent (`carriersOf`: built on the agent's image, or copying from a stage that holds it, at
 * any depth); or else the `--from` names the agent's image itself, not replaced by a build context. A `--from`
 * with a variable is not followed: BuildKit refuses it ("variable expansion is not supported for --from").
 */
function copiedAgent(stages: ResolvedStage[], earlier: Array<number | undefined>, byName: ReadonlyMap<string, number>, chain: number[],
  build: BuildSource, globals: ReadonlyMap<string, string>, unknownOf: (stage: ResolvedStage) => string | undefined,
  escape: string): { readonly run: ImageRun; readonly copied?: CopiedAgent; readonly mounted?: string } {
  const contexts = build.buildContexts;
  const carried = carriersOf(stages, earlier, byName, contexts, unknownOf, escape);
  let copy: { from: string; written: string } | undefined;
  let mounted: string | undefined;
  let entrypoint: Command | undefined;
  let cmd: Command | undefined;
  const env = new Environment(build, globals, escape);
  // A base image's own WORKDIR is not known here (`scratch`'s is `/`).
  let workdir = stages[chain[0]]?.base === 'scratch' ? '/' : undefined;
  for (const index of chain) {
    let cmdSet = false;
    env.enterStage();
    for (const { instruction, written } of runIn(stages, earlier, index)) {
      workdir = addWorkdir(instruction, new Set(), workdir);
      const keyword = /^(\S+)\s*/.exec(instruction)![1].toUpperCase();
      const rest = instruction.slice(keyword.length).trim();
      if (keyword === 'ARG') {
        env.arg(rest);
      } else if (keyword === 'ENV') {
        env.env(rest);
      } else if (keyword === 'COPY' && copy === undefined) {
        const source = copySource(rest, stages.length, byName, contexts);
        const from = source && describeSource(source, carried);
        if (from !== undefined) copy = { from, written };
      } else if (keyword === 'RUN' && mounted === undefined) {
        // A RUN may copy the binary out of a stage it mounts: what it does with it is not followed here.
        const from = mountSources(rest).map((name) => sourceNamed(name, stages.length, byName, contexts))
          .map((source) => source && describeSource(source, carried)).find((held) => held !== undefined);
        if (from !== undefined) mounted = `whose RUN mounts the agent from ${from} (${written}), which cdk-mackerel does not follow`;
      } else if (keyword === 'ENTRYPOINT') {
        entrypoint = { ...commandWords(rest), written };
        if (!cmdSet) cmd = { words: [], written: '' };
      } else if (keyword === 'CMD') {
        cmd = { ...commandWords(rest), written };
        cmdSet = true;
      }
    }
  }
  const built = carried(chain[chain.length - 1]);
  const run: ImageRun = { entrypoint, cmd, paths: built?.paths ?? new Set(), search: env.search(), workdir };
  return { run, ...(copy ? { copied: { ...copy, ...run } } : {}), ...(mounted !== undefined ? { mounted } : {}) };
}

/**
 * The variables the stages built set, as BuildKit expands an ENV or ARG value with them: the ENVs of the stages built
 * (a stage keeps those of the one it is built on), then the ARGs of the stage at hand (its own only, a build argument
 * replacing a default; an ARG with no default takes the global one's value), an ENV overriding an ARG of its name.
 * Any other variable may come from the base image's own environment: known only when Docker builds (UNKNOWN).
 */
class Environment {
  private readonly envs = new Map<string, string>();
  private args = new Map<string, string>();
  private readonly meter = new PatternMeter();

  constructor(private readonly source: BuildSource, private readonly globals: ReadonlyMap<string, string>, private readonly escape: string) {}

  enterStage(): void {
    this.args = new Map();
  }

  arg(rest: string): void {
    for (const word of wordsOf(rest, this.escape)) {
      const equals = word.indexOf('=');
      const name = equals < 0 ? word : word.slice(0, equals);
      if (Object.prototype.hasOwnProperty.call(this.source.buildArgs, name)) {
        const given = this.source.buildArgs[name];
        this.args.set(name, Token.isUnresolved(given) ? UNKNOWN : given);
      } else if (equals >= 0) {
        this.args.set(name, this.expand(word.slice(equals + 1)) ?? UNKNOWN);
      } else if (this.globals.has(name)) {
        this.args.set(name, this.globals.get(name)!);
      } else {
        this.args.delete(name);
      }
    }
  }

  /** An ENV line, in either form (`ENV NAME=value ...`, or the legacy `ENV NAME value`): each value expanded with the variables set before the line. */
  env(rest: string): void {
    const [first] = rest.split(BLANKS, 1);
    const pairs: Array<[string, string]> = !first.includes('=') ? [[first, rest.slice(first.length).trim()]]
      : wordsOf(rest, this.escape).map((word) => [word.slice(0, Math.max(word.indexOf('='), 0)), word.slice(word.indexOf('=') + 1)]);
    const values = pairs.map(([name, value]) => [name, this.expand(value) ?? UNKNOWN] as const);
    for (const [name, value] of values) if (name !== '') this.envs.set(name, value);
  }

  /**
   * The PATH's directories as the image runs its command: as the ENVs set it, its unset parts the base image's (taken to be
   * Docker's default). A part known only when Docker builds keeps the default: no directory is guessed.
   */
  search(): string[] {
    const value = this.envs.get('PATH');
    return value === undefined || value.includes(UNKNOWN) ? DEFAULT_PATH : searchOf(value);
  }

  private expand(word: string): string | undefined {
    // An ENV over an ARG of the same name, either over Docker's default PATH: looked up in place rather than merged into a
    // new map for each word, which made a Dockerfile with many variables quadratic.
    const get = (name: string) => this.envs.has(name) ? this.envs.get(name) : this.args.has(name) ? this.args.get(name)
      : name === 'PATH' ? DEFAULT_PATH.join(':') : UNKNOWN;
    const lookup: Arguments = {
      values: { get },
      unknownWhy: { get: () => 'a variable of the base image' },
    };
    return new WordExpander(lookup, this.escape, this.meter).expand(word);
  }
}

/** An instruction a stage runs, and as the Dockerfile writes it (an ONBUILD trigger with its keyword). */
interface Run {
  readonly instruction: string;
  readonly written: string;
}

const ONBUILD = /^ONBUILD[\t\v\f\r ]+/i;

/**
 * The instructions a stage runs, as BuildKit runs them: first the ONBUILD triggers of the stage it is built on (that
 * stage's own only: triggers do not carry over further; since BuildKit 0.17 a trigger's COPY --from names a stage of
 * the file), then its own. A stage does not run its own triggers.
 */
function runIn(stages: ReadonlyArray<Stage>, earlier: ReadonlyArray<number | undefined>, index: number): Run[] {
  const below = earlier[index];
  const triggers = below === undefined ? [] : stages[below].instructions.filter((written) => ONBUILD.test(written))
    .map((written) => ({ instruction: written.replace(ONBUILD, ''), written }));
  return [...triggers, ...stages[index].instructions.map((instruction) => ({ instruction, written: instruction }))];
}

/** Where the agent's binary is in its image. */
const AGENT_BINARY = '/usr/local/bin/mackerel-container-agent';
/** How many places of the agent's binary are followed in a stage (each COPY may add one per place it copies). */
const MAX_PATHS = 64;

/**
 * What a stage holds of the agent: the places of its binary in the stage's files, as far as they are followed
 * (`paths`), and how it came by it: built on the agent's image (`image`), or by COPYs through `hops` stages from
 * where the agent first came from (`origin`: the agent's image, or a stage built on it), said for the messages.
 */
interface Carried {
  readonly paths: ReadonlySet<string>;
  readonly image?: string;
  readonly origin?: string;
  readonly hops: number;
}

/** Where a COPY's `--from` points: a stage (by index) or an image, as written. */
type CopyFrom = { readonly written: string; readonly stage?: number; readonly image?: string };

/** A COPY's `--from` (undefined where it has none, or one with a variable, which BuildKit refuses). */
function copySource(rest: string, stageCount: number, byName: ReadonlyMap<string, number>, contexts: BuildOptions): CopyFrom | undefined {
  const written = /^(?:--\S+\s+)*?--from=(\S+)/i.exec(rest)?.[1];
  const from = written === undefined ? undefined : flagValue(written);
  return from === undefined ? undefined : sourceNamed(from, stageCount, byName, contexts);
}

/** A stage or the agent's image a `--from` or a mount's `from=` names; undefined for another image, or a variable (BuildKit refuses it). */
function sourceNamed(from: string, stageCount: number, byName: ReadonlyMap<string, number>, contexts: BuildOptions): CopyFrom | undefined {
  if (/[$`]/.test(from)) return undefined;
  const named = /^\d+$/.test(from) ? Number(from) : byName.get(from.toLowerCase());
  if (named !== undefined && named < stageCount) return { written: from, stage: named };
  return buildContextOf(from, contexts) === undefined && _AGENT_IMAGE.test(from) ? { written: from, image: from } : undefined;
}

/**
 * The `from=` of a RUN's `--mount` flags (`RUN --mount=type=bind,from=agent,target=/m cp /m/... /usr/bin/`): the stage
 * or image whose files the command sees, as written.
 */
function mountSources(rest: string): string[] {
  const flags = /^(?:--\S+\s+)*/.exec(rest)![0].split(/\s+/).filter((flag) => /^--mount=/i.test(flag));
  return flags.flatMap((flag) => (flagValue(flag.slice('--mount='.length)) ?? '').split(','))
    .filter((option) => /^from=/i.test(option)).map((option) => option.slice('from='.length));
}

/** A COPY's source that holds the agent, for the messages; undefined where it holds none. */
function describeSource(source: CopyFrom, carried: (index: number) => Carried | undefined): string | undefined {
  if (source.image !== undefined) return source.image;
  const held = carried(source.stage!);
  if (!held) return undefined;
  if (held.image !== undefined) return `the stage ${source.written} built on ${held.image}`;
  // Only the first and the last of a long chain are named: the message stays short.
  const through = held.hops > 1 ? `through ${held.hops - 1} other stage${held.hops > 2 ? 's' : ''} ` : '';
  return `the stage ${source.written}, which copies it ${through}from ${held.origin}`;
}

/**
 * What each stage holds of the agent (`Carried`), found once per stage: what the stage it is built on holds (the agent's
 * image itself holds its binary), and what each of its COPYs takes from a stage or image holding it (`copiedPaths`).
 * Followed through any number of stages by an explicit stack (a long chain of stages would overflow the call stack);
 * a stage met again while it is being read (a cycle, which BuildKit refuses) holds nothing.
 */
function carriersOf(stages: ResolvedStage[], earlier: Array<number | undefined>, byName: ReadonlyMap<string, number>, contexts: BuildOptions,
  unknownOf: (stage: ResolvedStage) => string | undefined, escape: string): (index: number) => Carried | undefined {
  const done = new Map<number, Carried | null>();
  const dirsAfter = new Map<number, ReadonlySet<string>>();
  const workdirAfter = new Map<number, string | undefined>();
  const copiesIn = (index: number): string[] => runIn(stages, earlier, index).map(({ instruction }) => instruction)
    .filter((instruction) => /^COPY\s/i.test(instruction));
  const sourcesOf = (index: number): CopyFrom[] => copiesIn(index)
    .map((instruction) => copySource(instruction.slice(4).trim(), stages.length, byName, contexts))
    .filter((source): source is CopyFrom => source !== undefined);
  const compute = (index: number): Carried | null => {
    const stage = stages[index];
    const below = earlier[index];
    let held: Carried | null = below !== undefined ? done.get(below) ?? null
      : stage.base === undefined || unknownOf(stage) !== undefined || !_AGENT_IMAGE.test(stage.base) ? null
        : { paths: new Set([AGENT_BINARY]), image: stage.base, hops: 0 };
    // The directories the stage surely has: the standard ones where its first base is not `scratch`, and those the
    // WORKDIRs of the stages it is built on, and its own so far, make (Docker creates a WORKDIR's directory).
    const dirs = new Set(below !== undefined ? dirsAfter.get(below) : stage.base === 'scratch' ? [] : STANDARD_DIRECTORIES);
    // The working directory a relative destination is in: the stage's base's (`scratch`'s is `/`; an image's own is not known here).
    let workdir = below !== undefined ? workdirAfter.get(below) : stage.base === 'scratch' ? '/' : undefined;
    for (const { instruction } of runIn(stages, earlier, index)) {
      workdir = addWorkdir(instruction, dirs, workdir);
      if (!/^COPY\s/i.test(instruction)) continue;
      const rest = instruction.slice(4).trim();
      const source = copySource(rest, stages.length, byName, contexts);
      const from = source?.image !== undefined ? { paths: new Set([AGENT_BINARY]), hops: 0 } : source && (done.get(source.stage!) ?? undefined);
      if (!source || !from) continue;
      const paths = new Set([...held?.paths ?? [], ...copiedPaths(rest, escape, from.paths, dirs, workdir)].slice(0, MAX_PATHS));
      // What the stage holds first keeps telling where it came from.
      const origin = source.image ?? (from.image !== undefined ? `the stage ${source.written} built on ${from.image}` : from.origin);
      held = held ? { ...held, paths } : { paths, origin, hops: from.image !== undefined || source.image !== undefined ? 1 : from.hops + 1 };
    }
    dirsAfter.set(index, dirs);
    workdirAfter.set(index, workdir);
    return held;
  };
  return (index) => {
    const stack: Array<[number, boolean]> = [[index, false]];
    const open = new Set<number>();
    while (stack.length > 0) {
      const [at, expanded] = stack.pop()!;
      if (done.has(at)) continue;
      if (expanded) {
        open.delete(at);
        done.set(at, compute(at));
        continue;
      }
      // Met again while open: a cycle (BuildKit refuses it); it holds nothing.
      if (open.has(at)) {
        done.set(at, null);
        continue;
      }
      open.add(at);
      stack.push([at, true]);
      const needs = [earlier[at], ...sourcesOf(at).map((source) => source.stage)];
      for (const need of needs) if (need !== undefined && !done.has(need)) stack.push([need, false]);
    }
    return done.get(index) ?? undefined;
  };
}

/**
 * Where a COPY (its arguments after the keyword) puts the agent's binary found at `paths` in its source, as Docker
 * copies: a source that is the binary goes to the destination (into it where it ends with `/` or there are several
 * sources); a directory holding it (`/`, `/usr/local/bin/`) has its contents copied into the destination. Sources may
 * be globs (`*`, `?`, `[...]`, matched per path segment); a destination that is a directory the stage surely has (`dirs`)
 * takes a file inside it. A relative destination is in the stage's working directory (`workdir`), as BuildKit resolves it;
 * nothing is followed for one where that directory is not known, a word with a variable, or a heredoc.
 */
function copiedPaths(rest: string, escape: string, paths: ReadonlySet<string>, dirs: ReadonlySet<string>, workdir: string | undefined): string[] {
  const args = rest.replace(/^(?:--\S+\s+)*/, '');
  let words: string[] | undefined;
  if (args.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(args);
      if (Array.isArray(parsed) && parsed.every((word) => typeof word === 'string')) words = parsed;
    } catch {
      // Not JSON: the words are read as the shell form's.
    }
  }
  words ??= wordsOf(args, escape).map((word) => flagValue(word) ?? '');
  if (words.length < 2 || words.some((word) => word === '' || /[$]|^\d*<</.test(word))) return [];
  const target = words[words.length - 1];
  const sources = words.slice(0, -1);
  if (!target.startsWith('/') && workdir === undefined) return [];
  // `path.posix.join` keeps a trailing `/` (`bin/`: into that directory) and makes `.` the directory itself.
  const destination = target.startsWith('/') ? target : path.posix.join(workdir!, target);
  // A destination that is a directory already (`/usr/local/bin`) takes the file in it, as `/usr/local/bin/` would.
  const intoDirectory = destination.endsWith('/') || sources.length > 1 || dirs.has(path.posix.normalize(destination));
  const out: string[] = [];
  for (const written of sources) {
    const source = path.posix.normalize(`/${written}`).replace(/\/$/, '') || '/';
    const patterns = source.split('/').filter((segment) => segment !== '').map(globTokens);
    for (const place of paths) {
      const segments = place.split('/').filter((segment) => segment !== '');
      // The source is the binary itself, or a directory holding it (`/` holds everything): a path as deep as the source's.
      const depth = patterns.length;
      if (depth > segments.length || !patterns.every((tokens, i) => tokens !== undefined && globMatches(tokens, segments[i]))) continue;
      const inside = segments.slice(depth).join('/');
      out.push(inside === '' ? (intoDirectory ? path.posix.join(destination, segments[segments.length - 1]) : path.posix.normalize(destination))
        : path.posix.join(destination, inside));
    }
  }
  // A name longer than Linux file systems take (NAME_MAX) makes the COPY fail ("file name too long"): no place of the binary.
  return out.filter((place) => place.split('/').every((segment) => Buffer.byteLength(segment) <= NAME_MAX));
}

/** Directories an image's base has where it is not `scratch` (the standard ones of the FHS, which Linux distributions' images hold). */
const STANDARD_DIRECTORIES = ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'];

/**
 * The working directory after an instruction (`current` before it), and the directory a WORKDIR makes (Docker creates it):
 * a relative WORKDIR is in the one before, as BuildKit resolves it; one with a variable or a quote is not known here.
 */
function addWorkdir(instruction: string, dirs: Set<string>, current: string | undefined): string | undefined {
  const workdir = /^WORKDIR[\t\v\f\r ]+(\S+)\s*$/i.exec(instruction)?.[1];
  if (workdir === undefined) return /^WORKDIR\s/i.test(instruction) ? undefined : current;
  const written = /[$"'\\`]/.test(workdir) ? undefined : workdir.startsWith('/') ? path.posix.normalize(workdir)
    : current === undefined ? undefined : path.posix.join(current, workdir);
  // The directory without the trailing `/` normalize and join keep (`WORKDIR /opt/app/`): known as `/opt/app`, as a COPY names it.
  const resolved = written === undefined || written === '/' ? written : written.replace(/\/+$/, '');
  if (resolved !== undefined) dirs.add(resolved);
  return resolved;
}

/** The longest name of a file or directory that Linux file systems (ext4, xfs, overlayfs) take, in bytes. */
const NAME_MAX = 255;

/** A glob's parts: `*`, or a test of one character (a literal, `?`, a bracket expression). */
type GlobToken = '*' | ((c: string) => boolean);

/** A segment's glob, read as Go's `filepath.Match` reads it; undefined where Go refuses it (an unclosed bracket, a trailing `\\`). */
function globTokens(segment: string): GlobToken[] | undefined {
  const chars = Array.from(segment);
  const tokens: GlobToken[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '*') {
      if (tokens[tokens.length - 1] !== '*') tokens.push('*');
    } else if (c === '?') {
      tokens.push(() => true);
    } else if (c === '[') {
      // As Go reads a class: only `^` negates (`[!x]` holds `!` and `x`); an element is a character (`\\` escaping one) or a
      // range of two, neither `-` nor `]` unescaped, so `]` closes the class only after an element; Go refuses any other class.
      let j = i + 1;
      const negated = chars[j] === '^';
      if (negated) j++;
      const element = (): number | undefined => {
        let ch = chars[j];
        if (ch === undefined || ch === '-' || ch === ']') return undefined;
        if (ch === '\\') ch = chars[++j];
        j++;
        // Nothing after an element leaves the class open.
        return ch === undefined || chars[j] === undefined ? undefined : ch.codePointAt(0);
      };
      const ranges: Array<[number, number]> = [];
      while (chars[j] !== ']' || ranges.length === 0) {
        const low = element();
        if (low === undefined) return undefined;
        let high = low;
        if (chars[j] === '-') {
          j++;
          const end = element();
          if (end === undefined) return undefined;
          high = end;
        }
        ranges.push([low, high]);
      }
      tokens.push((ch) => {
        const point = ch.codePointAt(0)!;
        return ranges.some(([low, high]) => point >= low && point <= high) !== negated;
      });
      i = j;
    } else {
      const literal = c === '\\' ? chars[++i] : c;
      if (literal === undefined) return undefined;
      tokens.push((ch) => ch === literal);
    }
  }
  return tokens;
}

/** Whether a glob (as Go's `filepath.Match` reads one: `*`, `?`, `[...]`, `\\`) matches a whole name: the last star backtracked to, no deeper (time linear in their product). */
function globMatches(tokens: GlobToken[], name: string): boolean {
  const chars = Array.from(name);
  let t = 0;
  let c = 0;
  let star = -1;
  let resume = 0;
  while (c < chars.length) {
    const token = tokens[t];
    if (token === '*') {
      star = t++;
      resume = c;
    } else if (token !== undefined && token(chars[c])) {
      t++;
      c++;
    } else if (star >= 0) {
      t = star + 1;
      c = ++resume;
    } else {
      return false;
    }
  }
  while (tokens[t] === '*') t++;
  return t === tokens.length;
}

/**
 * A flag's value as BuildKit's parser reads it (`--from="agent"`): quotes go, and a backslash (whatever the escape
 * character) keeps the character after it; undefined where a quote is left open.
 */
function flagValue(written: string): string | undefined {
  let value = '';
  let quote: string | undefined;
  for (let i = 0; i < written.length; i++) {
    const c = written[i];
    if (c === quote) quote = undefined;
    else if (quote === undefined && (c === '"' || c === "'")) quote = c;
    else if (c === '\\') value += written[++i] ?? '';
    else value += c;
  }
  return quote === undefined ? value : undefined;
}

/** An ENTRYPOINT's or a CMD's words: its JSON array of strings (exec form), else `/bin/sh -c` and its text (shell form), as Docker runs it. */
function commandWords(text: string): { readonly words: string[]; readonly shell: boolean } {
  if (text.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed) && parsed.every((word) => typeof word === 'string')) return { words: parsed, shell: false };
    } catch {
      // Not JSON: Docker runs it in the shell form.
    }
  }
  return { words: ['/bin/sh', '-c', text], shell: true };
}

/**
 * The arguments BuildKit sets to the platform it builds for, from the platform an asset names, parsed and
 * normalized as BuildKit does it (containerd's `Parse` and `Normalize`: `linux/aarch64` is `linux/arm64`,
 * `linux/arm` is `linux/arm/v7`, `linux/arm64/v8` has no variant); undefined where none is named, or where
 * its arguments are not surely known: a token, one part alone (the host's OS or architecture fills in the other),
 * an OS version, or a variant of amd64 (containerd's versions normalize it differently).
 */
function targetPlatformArgs(platform: string | undefined): { readonly [name: string]: string } | undefined {
  if (platform === undefined || Token.isUnresolved(platform)) return undefined;
  const parts = platform.split('/');
  if (parts.length < 2 || parts.length > 3 || !parts.every((part) => PLATFORM_PART.test(part))) return undefined;
  const os = parts[0].toLowerCase() === 'macos' ? 'darwin' : parts[0].toLowerCase();
  let arch = parts[1].toLowerCase();
  let variant = (parts[2] ?? '').toLowerCase();
  if (['x86_64', 'x86-64', 'amd64'].includes(arch)) {
    if (variant !== '') return undefined;
    arch = 'amd64';
  } else if (arch === 'i386') {
    [arch, variant] = ['386', ''];
  } else if (arch === 'aarch64' || arch === 'arm64') {
    arch = 'arm64';
    if (variant === '8' || variant === 'v8') variant = '';
  } else if (arch === 'armhf' || arch === 'armel') {
    [arch, variant] = ['arm', arch === 'armhf' ? 'v7' : 'v6'];
  } else if (arch === 'arm') {
    if (variant === '' || variant === '7') variant = 'v7';
    else if (['5', '6', '8'].includes(variant)) variant = `v${variant}`;
  }
  return {
    TARGETPLATFORM: [os, arch, variant].filter((part) => part !== '').join('/'),
    TARGETOS: os,
    TARGETARCH: arch,
    TARGETVARIANT: variant,
  };
}

/**
 * The platform a DockerImageAsset is built for, as its stack's synthesizer recorded it (the asset keeps none), or
 * that of the stack a nested stack is in; undefined where none is named, or the synthesizer keeps it nowhere known.
 */
function dockerImageAssetPlatform(asset: ecrAssets.DockerImageAsset): string | undefined {
  // A nested stack's synthesizer records none: it hands its assets to its parent's, which records them.
  for (let stack: Stack | undefined = Stack.of(asset); stack !== undefined; stack = stack.nestedStackParent) {
    const manifest = (stack.synthesizer as unknown as SynthesizerInternals).assetManifest?.dockerImages;
    const metadata = manifest ? undefined
      : stack.node.metadata.find((entry) => entry.type === 'aws:cdk:asset' && (entry.data as { sourceHash?: string })?.sourceHash === asset.assetHash);
    if (!manifest && !metadata) continue;
    // A custom synthesizer's record may hold anything there: only a string is a platform.
    const platform: unknown = manifest
      ? manifest[asset.assetHash]?.source?.platform
      : (metadata?.data as { platform?: unknown } | undefined)?.platform;
    return typeof platform === 'string' ? platform : undefined;
  }
  return undefined;
}

/**
 * The build context (`--build-context`) that replaces a stage or an image of this name, as Docker
 * matches it: by the image's short name (`node:22`, `alpine` for `docker.io/library/alpine:latest`).
 */
function buildContextOf(name: string, contexts: BuildOptions): string | undefined {
  const short = (reference: string) => reference.replace(/^(docker\.io|index\.docker\.io)\//, '').replace(/^library\//, '').replace(/:latest$/, '');
  const key = Object.keys(contexts).find((k) => k !== 'scratch' && short(k) === short(name));
  return key === undefined || name === 'scratch' ? undefined : `${key}=${contexts[key]}`;
}

function dockerfileMayBuildAgent(built: BuiltImage): string | undefined {
  const { file, text } = built;
  if (text === undefined) return `its image is built from ${file}, which cannot be read at synth`;
  if (!MACKEREL.test(text) && !built.anyMayBeAgent) return undefined;
  return `its image is built from ${file}, which may build on the agent's image (it mentions Mackerel, or takes a base image from a build argument)`;
}

/** The last path segment of an image reference, without its tag or digest: `node` of `${REGISTRY}/node:${VERSION}`. */
function repositoryOf(reference: string): string {
  const name = reference.split('@')[0];
  const segment = name.slice(name.lastIndexOf('/') + 1);
  const colon = segment.indexOf(':');
  return colon < 0 ? segment : segment.slice(0, colon);
}

/**
 * A repository's name where the app writes it; undefined where it is a token. A repository created
 * in the app has its name (a `Ref`) as a token, even when the app names it: that name is its resource's.
 */
function literalRepositoryName(repository: ecr.IRepository): string | undefined {
  const name = repository instanceof ecr.Repository
    ? (repository.node.defaultChild as ecr.CfnRepository | undefined)?.repositoryName
    : repository.repositoryName;
  return name === undefined || name === '' || Token.isUnresolved(name) ? undefined : name;
}

/**
 * The Dockerfile of the app's `DockerImageAsset` whose image URI a container runs (`fromDockerImageAsset`
 * hands the container only that URI, a token, and an L1 container names it as its image), in its directory as its staging read
 * it, the stage it builds and its build options. Sought only for an image that is no asset image of aws-cdk-lib's own
 * nor an ECR repository's, which are known without it.
 */
function dockerImageAssetNamed(scope: IConstruct, imageUri: string): BuildSource | undefined {
  const asset = scope.node.root.node.findAll()
    .find((c): c is ecrAssets.DockerImageAsset => c instanceof ecrAssets.DockerImageAsset && c.imageUri === imageUri);
  const staging = asset?.node.tryFindChild('Staging');
  if (!asset || !(staging instanceof AssetStaging)) return undefined;
  const internals = asset as unknown as DockerImageAssetInternals;
  return {
    file: path.join(staging.sourcePath, internals.dockerfilePath ?? 'Dockerfile'),
    target: internals.dockerBuildTarget,
    buildArgs: internals.dockerBuildArgs ?? {},
    buildContexts: internals.dockerBuildContexts ?? {},
    platform: dockerImageAssetPlatform(asset),
    givenBy: `the DockerImageAsset ${asset.node.path}`,
  };
}
