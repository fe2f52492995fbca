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
  readonly props?: { readonly file?: string };
}
interface RepositoryImageInternals {
  readonly repository?: ecr.IRepository;
}
interface DockerImageAssetInternals {
  readonly dockerfilePath?: string;
}

/**
 * Why a container's image, whose name holds a token, may be the agent's, for a warning; undefined
 * where it surely is not. An image built from a Dockerfile of the app (`ContainerImage.fromAsset`,
 * or `fromDockerImageAsset` of a `DockerImageAsset` of the app) is read from that Dockerfile, at hand
 * at synth: only one naming Mackerel (built on the agent's image, say, as an image adding plugins is)
 * or taking a base image from a build argument may be. An image of an ECR repository whose name is
 * written in the app (`fromEcrRepository` or `TagParameterContainerImage` of a repository imported
 * by name, or created in the app with a `repositoryName`) may be only if that name mentions Mackerel,
 * as a mirror's does (an ECR pull-through cache keeps the agent's). Any other (a repository named by
 * a token or by CloudFormation, an image given by a parameter or a tarball) is known only at deploy time.
 * @internal
 */
export function _imageMayBeAgent(container: ecs.ContainerDefinition): string | undefined {
  const image = (container as unknown as ImageInternals).props?.image;
  if (image instanceof ecs.AssetImage) {
    const source = image as unknown as AssetImageInternals;
    // As DockerImageAsset finds it: `file` is relative to the directory.
    return dockerfileMayBuildAgent(path.join(source.directory, source.props?.file ?? 'Dockerfile'));
  }
  if (image instanceof ecs.EcrImage || image instanceof ecs.TagParameterContainerImage) {
    const repository = (image as unknown as RepositoryImageInternals).repository;
    const name = repository && literalRepositoryName(repository);
    if (name !== undefined && !MACKEREL.test(name)) return undefined;
  } else {
    const asset = dockerImageAssetNamed(container);
    if (asset) return dockerfileMayBuildAgent(path.join(asset.source, asset.file));
  }
  return 'its image is known only at deploy time';
}

const MACKEREL = /mackerel/i;
/** A stage's base image (after any `--platform=...` flags), as Docker reads `FROM`. */
const FROM = /^\s*FROM\s+(?:--\S+\s+)*(\S+)/gim;

function dockerfileMayBuildAgent(file: string): string | undefined {
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
 * The source of the app's `DockerImageAsset` whose image a container runs (`fromDockerImageAsset`
 * hands the container only the asset's image URI, a token): its directory, as its staging read it,
 * and its Dockerfile, relative to that directory. Sought only for an image that is no asset image
 * of aws-cdk-lib's own nor an ECR repository's, which are known without it.
 */
function dockerImageAssetNamed(container: ecs.ContainerDefinition): { readonly source: string; readonly file: string } | undefined {
  const asset = container.node.root.node.findAll()
    .find((c): c is ecrAssets.DockerImageAsset => c instanceof ecrAssets.DockerImageAsset && c.imageUri === container.imageName);
  const staging = asset?.node.tryFindChild('Staging');
  if (!asset || !(staging instanceof AssetStaging)) return undefined;
  return { source: staging.sourcePath, file: (asset as unknown as DockerImageAssetInternals).dockerfilePath ?? 'Dockerfile' };
}
