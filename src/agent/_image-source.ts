import * as fs from 'fs';
import * as path from 'path';
import { AssetStaging, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';

/** A file of the app's own, as synth reads it; undefined where it cannot be read. @internal */
export function _readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** What aws-cdk-lib keeps private: the image a container was given, an asset image's source, an ECR image's repository. */
interface ImageInternals {
  readonly props?: { readonly image?: ecs.ContainerImage };
}
interface AssetImageInternals {
  readonly directory: string;
  readonly props?: { readonly file?: string; readonly target?: string };
}
interface RepositoryImageInternals {
  readonly repository?: ecr.IRepository;
}
interface DockerImageAssetInternals {
  readonly dockerfilePath?: string;
  readonly dockerBuildTarget?: string;
}

/**
 * Why a container's image, whose name holds a token, may be the agent's, for a warning; undefined
 * where it surely is not. An image built from a Dockerfile of the app (`ContainerImage.fromAsset`,
 * or `fromDockerImageAsset` of a `DockerImageAsset` of the app) is read from that Dockerfile, at hand
 * at synth: only one naming Mackerel (copying the agent from a stage built on its image, say)
 * or taking a base image from a build argument may be (one whose stage built is the agent's image is
 * the agent: `_builtOnAgent`). An image of an ECR repository whose name is
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
 * (`FROM agent` of an earlier `... AS agent`), is based on the agent's image. Such an image runs
 * the agent as the image itself does (a mirror adding plugins or `ENV MACKEREL_CONTAINER_PLATFORM=ecs`).
 * Undefined for any other image, or where the Dockerfile cannot be read or that base comes from a
 * build argument (`_builtBaseUnknown` says so).
 * @internal
 */
export function _builtOnAgent(container: ecs.ContainerDefinition): string | undefined {
  const built = builtImageOf(container);
  if (built?.base === undefined || fromArgument(built.base) || !_AGENT_IMAGE.test(built.base)) return undefined;
  return `image built from ${built.file} on ${built.base}`;
}

/**
 * Why the base of a container's image built from the app's own Dockerfile cannot be told at synth:
 * the Dockerfile cannot be read, or the stage built takes its base image from a build argument.
 * Such an image may be built on the agent's image and set `MACKEREL_CONTAINER_PLATFORM` itself,
 * with no environment variable or file to show it. Undefined where the base is known, or the image
 * is not built from the app's Dockerfile.
 * @internal
 */
export function _builtBaseUnknown(container: ecs.ContainerDefinition): string | undefined {
  const built = builtImageOf(container);
  if (!built) return undefined;
  if (built.text === undefined) return `its image is built from ${built.file}, which cannot be read at synth`;
  if (built.base !== undefined && fromArgument(built.base)) {
    return `its image is built from ${built.file}, whose base image (FROM ${built.base}) comes from a build argument`;
  }
  return undefined;
}

/** An image of the agent's repository, by its last path segment: Docker Hub, ECR Public or a mirror. @internal */
export const _AGENT_IMAGE = /(^|\/)mackerel-container-agent([:@]|$)/;
const MACKEREL = /mackerel/i;
/** A stage's base image (after any `--platform=...` flags) and its name, as Docker reads a `FROM` instruction. */
const FROM = /^FROM[ \t]+(?:--\S+[ \t]+)*(\S+)(?:[ \t]+AS[ \t]+(\S+))?/i;
/** A heredoc opened by a RUN, COPY or ADD, as a word of its own: `<<EOF`, `<<-EOF` (tabs before its end), `<<"EOF"`. */
const HEREDOC = /(?:^|[ \t])<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2(?=[ \t]|$)/g;
/** A line Docker skips, also inside a continued instruction: blank, or a comment. */
const SKIPPED = /^[ \t]*(#|$)/;
/** A backslash ending a line (blanks after it too) continues the instruction on the next line. */
const CONTINUED = /\\[ \t]*$/;

/**
 * The bases and names of a Dockerfile's stages, in order, from its instructions as Docker reads
 * them: a line starting with FROM is a stage only where it starts an instruction, not where it
 * continues one or is in a heredoc's text (a script's `from x import y`, a Dockerfile written out).
 */
function stagesOf(text: string): Array<{ readonly base: string; readonly name?: string }> {
  const lines = text.replace(/^\uFEFF/, '').split('\n').map((line) => line.replace(/\r$/, ''));
  const stages: Array<{ readonly base: string; readonly name?: string }> = [];
  let instruction: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    if (SKIPPED.test(lines[i])) continue;
    const continued = CONTINUED.test(lines[i]);
    const part = lines[i].replace(CONTINUED, '').trim();
    instruction = instruction === undefined ? part : `${instruction} ${part}`;
    if (continued) continue;
    const from = FROM.exec(instruction);
    if (from) stages.push({ base: from[1], name: from[2]?.toLowerCase() });
    if (/^(RUN|COPY|ADD)\s/i.test(instruction)) {
      for (const [, dash, , word] of instruction.matchAll(HEREDOC)) {
        // Only up to a line ending it: `<<x` with no such line is none (Docker would refuse the file),
        // and reading on keeps the stages after it.
        const end = lines.findIndex((line, j) => j > i && (dash ? line.replace(/^\t+/, '') : line) === word);
        if (end > i) i = end;
      }
    }
    instruction = undefined;
  }
  return stages;
}

/**
 * A container's image built from the app's own Dockerfile: the file, its text (undefined where it
 * cannot be read) and the base image of the stage built.
 */
interface BuiltImage {
  readonly file: string;
  readonly text?: string;
  readonly base?: string;
}

// Read once per container: the sign and the warning each ask, from each entry point, and a container's image is fixed when it is made.
const builtImages = new WeakMap<ecs.ContainerDefinition, BuiltImage | null>();

function builtImageOf(container: ecs.ContainerDefinition): BuiltImage | undefined {
  let built = builtImages.get(container);
  if (built === undefined) builtImages.set(container, built = readBuiltImage(container) ?? null);
  return built ?? undefined;
}

function readBuiltImage(container: ecs.ContainerDefinition): BuiltImage | undefined {
  // An image named at synth is known by its name; an asset's is a token.
  if (!Token.isUnresolved(container.imageName)) return undefined;
  const image = (container as unknown as ImageInternals).props?.image;
  let source: { readonly file: string; readonly target?: string } | undefined;
  if (image instanceof ecs.AssetImage) {
    const asset = image as unknown as AssetImageInternals;
    // As DockerImageAsset finds it: `file` is relative to the directory.
    source = { file: path.join(asset.directory, asset.props?.file ?? 'Dockerfile'), target: asset.props?.target };
  } else if (!(image instanceof ecs.EcrImage || image instanceof ecs.TagParameterContainerImage)) {
    source = dockerImageAssetNamed(container);
  }
  if (!source) return undefined;
  const text = _readText(source.file);
  return { file: source.file, text, base: text === undefined ? undefined : stageBase(text, source.target) };
}

/**
 * The base image of the stage Docker builds (`target`, else the last), followed through the
 * earlier stages it names (stage names are case-insensitive); undefined where there is no such stage.
 */
function stageBase(text: string, target: string | undefined): string | undefined {
  const stages = stagesOf(text);
  let index = target === undefined ? stages.length - 1 : stages.findIndex((stage) => stage.name === target.toLowerCase());
  while (index >= 0) {
    const base = stages[index].base;
    const earlier = stages.slice(0, index).map((stage) => stage.name).lastIndexOf(base.toLowerCase());
    if (earlier < 0) return base;
    index = earlier;
  }
  return undefined;
}

/** Whether an image reference takes its repository from a build argument (`${BASE}`, `${REGISTRY}/${NAME}:1`). */
function fromArgument(reference: string): boolean {
  return repositoryOf(reference).includes('$');
}

function dockerfileMayBuildAgent(built: BuiltImage): string | undefined {
  const { file, text } = built;
  if (text === undefined) return `its image is built from ${file}, which cannot be read at synth`;
  const anyFromArgument = stagesOf(text).some(({ base }) => fromArgument(base));
  if (!MACKEREL.test(text) && !anyFromArgument) return undefined;
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
 * The Dockerfile of the app's `DockerImageAsset` whose image a container runs (`fromDockerImageAsset`
 * hands the container only the asset's image URI, a token), in its directory as its staging read
 * it, and the stage it builds. Sought only for an image that is no asset image of aws-cdk-lib's own
 * nor an ECR repository's, which are known without it.
 */
function dockerImageAssetNamed(container: ecs.ContainerDefinition): { readonly file: string; readonly target?: string } | undefined {
  const asset = container.node.root.node.findAll()
    .find((c): c is ecrAssets.DockerImageAsset => c instanceof ecrAssets.DockerImageAsset && c.imageUri === container.imageName);
  const staging = asset?.node.tryFindChild('Staging');
  if (!asset || !(staging instanceof AssetStaging)) return undefined;
  const internals = asset as unknown as DockerImageAssetInternals;
  return { file: path.join(staging.sourcePath, internals.dockerfilePath ?? 'Dockerfile'), target: internals.dockerBuildTarget };
}
