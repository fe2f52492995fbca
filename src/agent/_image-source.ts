import * as fs from 'fs';
import * as path from 'path';
import { Tokenization, StringConcat } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';

/** A file of the app's own, as synth reads it; undefined where it cannot be read. @internal */
export function _readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** What aws-cdk-lib keeps private: the image a container was given, and an asset image's source. */
interface ImageInternals {
  readonly props?: { readonly image?: ecs.ContainerImage };
}
interface AssetImageInternals {
  readonly directory: string;
  readonly props?: { readonly file?: string };
}

/**
 * Why a container's image, whose name holds a token, may be the agent's, for a warning; undefined
 * where it surely is not. An image built from an asset of the app (`ContainerImage.fromAsset`) is
 * read from its Dockerfile, at hand at synth: only one naming Mackerel (built on the agent's image,
 * say, as an image adding plugins is) or taking a base image from a build argument may be. An image
 * of an ECR repository whose name is written in the app (`fromEcrRepository`) may be only if that
 * name mentions Mackerel, as a mirror's does (an ECR pull-through cache keeps the agent's). Any other
 * (a repository named by a token, an image given by a parameter) is known only at deploy time.
 * @internal
 */
export function _imageMayBeAgent(container: ecs.ContainerDefinition): string | undefined {
  const image = (container as unknown as ImageInternals).props?.image;
  if (image instanceof ecs.AssetImage) return dockerfileMayBuildAgent(image as unknown as AssetImageInternals);
  const repository = image instanceof ecs.EcrImage ? literalRepositoryName(image.imageName) : undefined;
  if (repository !== undefined && !MACKEREL.test(repository)) return undefined;
  return 'its image is known only at deploy time';
}

const MACKEREL = /mackerel/i;
/** A stage's base image (after any `--platform=...` flags), as Docker reads `FROM`. */
const FROM = /^\s*FROM\s+(?:--\S+\s+)*(\S+)/gim;

function dockerfileMayBuildAgent(image: AssetImageInternals): string | undefined {
  // As DockerImageAsset finds it: `file` is relative to the directory.
  const file = path.join(image.directory, image.props?.file ?? 'Dockerfile');
  const text = _readText(file);
  if (text === undefined) return `its image is built from ${file}, which cannot be read at synth`;
  const fromArgument = [...text.matchAll(FROM)].some(([, base]) => repositoryOf(base).includes('$'));
  if (!MACKEREL.test(text) && !fromArgument) return undefined;
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
 * The repository name in an ECR image URI (`<registry>/<name>:<tag>`, its registry made of
 * tokens) where the app writes it; undefined where a token is part of it.
 */
function literalRepositoryName(imageName: string): string | undefined {
  // Each token becomes a NUL, which no repository name holds.
  const text = Tokenization.reverseString(imageName).mapTokens({ mapToken: () => '\0' }).join(new StringConcat());
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const reference = text.slice(slash + 1).split('@')[0];
  const colon = reference.lastIndexOf(':');
  const name = colon < 0 ? reference : reference.slice(0, colon);
  return name === '' || name.includes('\0') ? undefined : name;
}
