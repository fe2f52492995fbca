import { Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';

/** Mackerel's repository on ECR Public (no pull limits or credentials on AWS). */
const ECR_PUBLIC = 'public.ecr.aws/mackerel/mackerel-container-agent';
/** The release this library is tested with. */
const PINNED_VERSION = 'v0.13.2';
const VERSION = /^v(\d+)\.(\d+)\.(\d+)$/;
/** Where Mackerel publishes the agent (the same tags everywhere). */
const OFFICIAL_REPOSITORIES = [ECR_PUBLIC, 'mackerel/mackerel-container-agent', 'docker.io/mackerel/mackerel-container-agent', 'ghcr.io/mackerelio/mackerel-container-agent'];

/**
 * The image of the Mackerel container agent.
 *
 * The default is a pinned release on ECR Public, so a deployment never changes agent version by
 * itself. Mackerel publishes the same multi-arch (amd64, arm64) tags on ECR Public, Docker Hub and
 * GHCR: `vX.Y.Z` (agent only) and `vX.Y.Z-plugins` (agent with the official check and metric plugins).
 * All three are on the internet: in a region outside the `aws` partition, mirror the image into
 * private ECR and use `fromEcrRepository` (a synth warning says so).
 *
 * @see https://mackerel.io/docs/entry/howto/install-agent/container/ecs
 * @see https://gallery.ecr.aws/mackerel/mackerel-container-agent
 */
export class MackerelAgentImage {
  /** The agent v0.13.2 on ECR Public (the default). */
  public static readonly DEFAULT = new MackerelAgentImage(`${ECR_PUBLIC}:${PINNED_VERSION}`);

  /** The agent v0.13.2 with the official plugins, on ECR Public. */
  public static readonly DEFAULT_PLUGINS = new MackerelAgentImage(`${ECR_PUBLIC}:${PINNED_VERSION}-plugins`);

  /**
   * A release of the agent on ECR Public.
   *
   * @param version the release tag, such as `v0.13.2`
   */
  public static of(version: string): MackerelAgentImage {
    return new MackerelAgentImage(`${ECR_PUBLIC}:${checkVersion(version)}`);
  }

  /**
   * A release of the agent with the official plugins (`vX.Y.Z-plugins`) on ECR Public.
   *
   * @param version the release tag, such as `v0.13.2`
   */
  public static ofPlugins(version: string): MackerelAgentImage {
    return new MackerelAgentImage(`${ECR_PUBLIC}:${checkVersion(version)}-plugins`);
  }

  /**
   * Any image by name, from any registry: a mirror in private ECR, Docker Hub
   * (`mackerel/mackerel-container-agent:v0.13.2`), GHCR, or your own image built on the agent's.
   *
   * Pin a tag or a digest; `latest`, `plugins` or no tag get a synth warning, because the agent
   * version would change on its own at the next task start. Nothing is granted: for a mirror in
   * your private ECR use `fromEcrRepository`, which grants the pull; other private registries
   * need the task's `repositoryCredentials`, which this class does not set.
   *
   * @param name the image name, with its tag or digest
   */
  public static fromRegistry(name: string): MackerelAgentImage {
    return new MackerelAgentImage(name);
  }

  /**
   * The agent mirrored into a repository of your private ECR (copied from ECR Public with the
   * same tags, say, where tasks cannot reach the internet). The task's execution role is granted
   * the pull, as `ecs.ContainerImage.fromEcrRepository` does.
   *
   * @param repository the repository holding the mirror
   * @param tagOrDigest a tag such as `v0.13.2` or `v0.13.2-plugins`, or a digest (`sha256:...`);
   *   `latest` and `plugins` get the same warning as in `fromRegistry`. Default: the tag of
   *   `MackerelAgentImage.DEFAULT` (`v0.13.2`)
   */
  public static fromEcrRepository(repository: ecr.IRepository, tagOrDigest: string = PINNED_VERSION): MackerelAgentImage {
    const image = ecs.ContainerImage.fromEcrRepository(repository, tagOrDigest);
    const shown = Token.isUnresolved(repository.repositoryName) ? 'the ECR repository' : `the ECR repository ${repository.repositoryName}`;
    return new MackerelAgentImage(repository.repositoryUriForTagOrDigest(tagOrDigest), image, tagOrDigest, `${shown} at ${tagOrDigest}`);
  }

  private constructor(
    /** The image name, as written into the task definition. */
    public readonly imageName: string,
    private readonly image?: ecs.ContainerImage,
    /** The tag or digest, where the name alone does not say it (an ECR repository URI is a token). */
    private readonly tagOrDigest?: string,
    private readonly shown?: string,
  ) {}

  /** The image as an ECS container image. @internal */
  public _containerImage(): ecs.ContainerImage {
    return this.image ?? ecs.ContainerImage.fromRegistry(this.imageName);
  }

  /** The image for messages: its name, or the repository and tag where the name is a token. @internal */
  public _describe(): string {
    return this.shown ?? this.imageName;
  }

  /**
   * Why the tag is not pinned (`latest`, a moving tag, none), or undefined when it is.
   * @internal
   */
  public _floatingTag(): string | undefined {
    const tag = this.tag();
    if (tag === null) return undefined;
    if (tag === undefined) return 'has no tag (Docker pulls latest)';
    if (tag === 'latest' || tag === 'plugins') return `has the moving tag "${tag}"`;
    return undefined;
  }

  /**
   * The agent release of the image, when its tag names one (`vX.Y.Z` or `vX.Y.Z-plugins`).
   * @internal
   */
  public _version(): number[] | undefined {
    const tag = this.tag()?.replace(/-plugins$/, '');
    const match = tag ? VERSION.exec(tag) : null;
    return match ? match.slice(1).map(Number) : undefined;
  }

  /**
   * Whether this is Mackerel's own agent-only image (`vX.Y.Z`, not `-plugins`) from one of its
   * registries, which has none of the official plugins. A mirror or an image of your own may.
   * @internal
   */
  public _isOfficialAgentOnly(): boolean {
    const tag = this.tag();
    if (this.image || !tag || !VERSION.test(tag)) return false;
    return OFFICIAL_REPOSITORIES.includes(repositoryOf(this.imageName));
  }

  /**
   * The public registry of Mackerel's that the image comes from (ECR Public, Docker Hub or GHCR),
   * or undefined for any other image (a mirror, an image of your own).
   * @internal
   */
  public _officialRegistry(): string | undefined {
    if (this.image || Token.isUnresolved(this.imageName)) return undefined;
    const repository = repositoryOf(this.imageName);
    if (!OFFICIAL_REPOSITORIES.includes(repository)) return undefined;
    return repository.startsWith('public.ecr.aws/') ? 'ECR Public' : repository.startsWith('ghcr.io/') ? 'GHCR' : 'Docker Hub';
  }

  /**
   * What the release the tag names lacks that the library relies on (from the agent's changelog),
   * for the `cdk-mackerel:agentImageOld` warning; empty for a recent or unknown release. Settings an
   * older agent would ignore are refused by the option checks instead.
   * @internal
   */
  public _missingFeatures(): string[] {
    const version = this._version();
    if (!version || version[0] > 0) return [];
    const before = (minor: number, patch = 0) => version[1] < minor || (version[1] === minor && version[2] < patch);
    const registry = this._officialRegistry();
    const missing: string[] = [];
    if (before(1)) missing.push('MACKEREL_CONTAINER_PLATFORM=ecs, which the library writes, covers Fargate and awsvpc tasks only from v0.1.0');
    if (before(5, 1)) missing.push('images before v0.5.1 are amd64 only, so ARM64 tasks cannot run it');
    if (registry === 'ECR Public' && before(5, 1)) missing.push('Mackerel publishes on ECR Public from v0.5.1, so the tag is likely missing there and the pull fails');
    if (registry === 'GHCR' && before(11, 3)) missing.push('Mackerel publishes on GHCR from v0.11.3, so the tag is likely missing there and the pull fails');
    if (before(6)) {
      missing.push('agents before v0.6.0 exit on a task any of whose containers has a health check (agent PR #136), so one added later, '
        + 'by an escape hatch or another app, leaves the tasks unmonitored');
    }
    return missing;
  }

  /** The tag; undefined when there is none, null when unknown at synth or pinned by a digest. */
  private tag(): string | undefined | null {
    const given = this.tagOrDigest ?? (Token.isUnresolved(this.imageName) || this.imageName.includes('@') ? null : tagOf(this.imageName));
    if (given === null || given === undefined) return given;
    return Token.isUnresolved(given) || given.includes('@') || given.startsWith('sha256:') ? null : given;
  }
}

/** The image name without its tag or digest: `public.ecr.aws/mackerel/mackerel-container-agent`. */
function repositoryOf(imageName: string): string {
  const name = imageName.split('@')[0];
  const colon = name.indexOf(':', name.lastIndexOf('/') + 1);
  return colon < 0 ? name : name.slice(0, colon);
}

function tagOf(imageName: string): string | undefined {
  const lastPart = imageName.slice(imageName.lastIndexOf('/') + 1);
  const colon = lastPart.indexOf(':');
  return colon < 0 ? undefined : lastPart.slice(colon + 1);
}

function checkVersion(version: string): string {
  if (!Token.isUnresolved(version) && !VERSION.test(version)) {
    throw new Error(`MackerelAgentImage: version ${JSON.stringify(version)} is not a release tag; expected vX.Y.Z, such as "${PINNED_VERSION}"`);
  }
  return version;
}
