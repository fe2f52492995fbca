import { Annotations, Token, Tokenization } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { _checkConfigReadable } from './_config-readable';
import { _maskedApiBase } from '../../_text';
import { _fail, _httpUrl, _urlPlace } from '../../_validation';
import { _checkEnvText } from '../_env-text';
import { _warnUrlCredentials } from '../_url-credentials';

/**
 * A config file the user maintains, which the agent reads in place of the one the library
 * writes (`MACKEREL_AGENT_CONFIG`): an S3 object, an HTTPS URL or a file in the agent container,
 * the locations the agent reads. SSM Parameter Store and Secrets Manager are not supported by
 * the agent.
 *
 * @see https://mackerel.io/docs/entry/howto/container-agent
 */
export class MackerelAgentConfigLocation {
  /**
   * An object in an S3 bucket. The task role is granted `s3:GetObject` on exactly that object,
   * and decryption with the bucket's customer managed key, if it has one. A key with an empty
   * (`//`), `.` or `..` segment is warned about (`cdk-mackerel:agentConfigKeyPathSegments`): agent
   * images built on the AWS SDK for Go v1 clean the path and ask for another object.
   */
  public static fromBucket(bucket: s3.IBucket, key: string): MackerelAgentConfigLocation {
    return new MackerelAgentConfigLocation({ bucket, key });
  }

  /**
   * An HTTPS URL. The agent sends a plain GET and does not check the response status, so an
   * error page would be read as the config. Its only authentication is a user name and password
   * in the URL (`https://user:pass@host/agent.yml`, sent as basic auth), which the template then
   * holds in plain text: such a URL is warned about (`cdk-mackerel:urlCredentialsInTemplate`) and
   * never shown in synth errors.
   */
  public static fromUrl(url: string): MackerelAgentConfigLocation {
    return new MackerelAgentConfigLocation({ url });
  }

  /**
   * A file inside the agent container: one baked into an image of your own built on the agent's
   * (give that image as `image`), or one on a volume another container of the task fills. Nothing
   * is granted. The official agent images hold no config file.
   *
   * @param path the absolute path of the file in the agent container, such as `/etc/mackerel/agent.yml`
   */
  public static fromFile(path: string): MackerelAgentConfigLocation {
    return new MackerelAgentConfigLocation({ file: path });
  }

  private readonly url?: string;
  private readonly bucket?: s3.IBucket;
  private readonly key?: string;
  private readonly file?: string;

  private constructor(where: { url?: string; bucket?: s3.IBucket; key?: string; file?: string }) {
    this.url = where.url;
    this.bucket = where.bucket;
    this.key = where.key;
    this.file = where.file;
  }

  /**
   * Whether another location names the same file: the same URL (its scheme and host in any case) or
   * path, or the same key of the same bucket (its name, a token for one of the app, and its key,
   * which the grants depend on), however often it was made.
   * @internal
   */
  public _samePlace(other: MackerelAgentConfigLocation): boolean {
    if (this.bucket && other.bucket) {
      return this.key === other.key && this.bucket.bucketName === other.bucket.bucketName
        && this.bucket.encryptionKey?.keyArn === other.bucket.encryptionKey?.keyArn;
    }
    return !this.bucket && !other.bucket && _urlPlace(this.url) === _urlPlace(other.url) && this.file === other.file;
  }

  /** The value of `MACKEREL_AGENT_CONFIG`, validated. @internal */
  public _bind(scope: IConstruct, taskRole: iam.IRole): string {
    if (this.bucket && this.key !== undefined) {
      // aws-cdk-lib checks a bucket's name only when it holds no token: literal text around one (`${prefix}-configs`) is not checked.
      wellFormed(scope, 'config.location bucket', this.bucket.bucketName, this.bucket.bucketName);
      wellFormed(scope, 'config.location key', this.key, this.key);
      // A key with a token still starts with the "/" of its literal text, whatever the token holds.
      if ((!Token.isUnresolved(this.key) && this.key === '') || this.key.startsWith('/')) {
        _fail(scope, 'config.location key', this.key, 'is not an S3 object key', 'a non-empty key without a leading "/"');
      }
      warnDotSegments(scope, this.key);
      const read = taskRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.bucket.arnForObjects(Token.isUnresolved(this.key) ? this.key : asIamLiteral(this.key))] }));
      this.bucket.encryptionKey?.grantDecrypt(taskRole);
      _checkConfigReadable(scope, taskRole, read, `the config object ${Token.isUnresolved(this.key) ? 'of config.location' : JSON.stringify(this.key)}`);
      return `s3://${this.bucket.bucketName}/${Token.isUnresolved(this.key) ? this.key : asUrlPath(this.key)}`;
    }
    if (this.file !== undefined) {
      wellFormed(scope, 'config.location', this.file, this.file);
      if (Token.isUnresolved(this.file)) return this.file;
      // A leading "//" would make the agent read the first segment as a URL's host, not part of the path.
      if (!/^\/(?!\/)\S*[^\s/]$/.test(this.file)) {
        _fail(scope, 'config.location', this.file, 'is not an absolute file path', 'a path in the agent container, such as /etc/mackerel/agent.yml');
      }
      return asUrlPath(this.file);
    }
    const url = this.url ?? '';
    wellFormed(scope, 'config.location', url, _maskedApiBase(url));
    if (!Token.isUnresolved(url) && !/^https:\/\/[^\s/]+(\/\S*)?$/.test(url)) {
      _fail(scope, 'config.location', _maskedApiBase(url), 'is not an https URL', 'https://host/path',
        'Plain http would let anyone on the path change what the agent runs');
    }
    const advice = 'Use MackerelAgentConfigLocation.fromBucket, which the task role reads with its own credentials, or a URL that needs none';
    _warnUrlCredentials(scope, { id: 'cdk-mackerel:urlCredentialsInTemplate', property: 'config.location', variable: 'MACKEREL_AGENT_CONFIG', advice },
      url, Token.isUnresolved(url) ? undefined : _httpUrl(url));
    return url;
  }
}

/**
 * The agent reads the key from the URL path (`s3://bucket/key`) and fetches it through an HTTP path. Images built on the
 * AWS SDK for Go v1 clean that path (path.Clean, its default): "//" collapses, "." segments go and ".." ones take the
 * segment before with them, so another object is asked for than the one the task role is granted, and the agent exits on
 * AccessDenied. The current image (AWS SDK for Go v2) sends the key as it is, so such a key is legal: warned about, not refused.
 */
function warnDotSegments(scope: IConstruct, key: string): void {
  // A token stands for text of its own: taken as one holding no "/" or ".", it makes no segment odd that the literal text
  // around it does not (`configs//${stage}.yml` is odd whatever the stage).
  const text = Token.isUnresolved(key)
    ? Tokenization.reverseString(key).mapTokens({ mapToken: () => 'token' }).join({ join: (left, right) => `${left}${right}` }) as string
    : key;
  const segments = text.split('/');
  const odd = segments.slice(0, -1).some((segment) => segment === '') ? 'an empty segment ("//")'
    : segments.some((segment) => segment === '.' || segment === '..') ? 'a "." or ".." segment' : undefined;
  if (!odd) return;
  Annotations.of(scope).addWarningV2('cdk-mackerel:agentConfigKeyPathSegments',
    `config.location key ${JSON.stringify(key)} holds ${odd}. The agent reads the key as a URL path, which agent images built on the AWS SDK for Go v1 `
    + 'clean (collapsing "//", dropping "." and resolving ".." segments): such an agent asks for another object than the one its task role may read, '
    + 'and exits on AccessDenied. A "." or ".." segment may also be resolved by a proxy on the way. Use a key without empty, "." or ".." segments');
}

/**
 * A lone surrogate would name another object, file or URL (S3 keys are UTF-8 too), which the agent would not find.
 */
function wellFormed(scope: IConstruct, property: string, value: string, shown: string): void {
  _checkEnvText(scope, property, value, shown, 'MACKEREL_AGENT_CONFIG', 'another name, so the agent would not find its config and exit at start');
}

/**
 * The agent parses `MACKEREL_AGENT_CONFIG` as a URL (Go's `url.Parse`) and reads the object key or
 * file from its decoded path: unescaped, a "?" or "#" would cut the path short, a "%XX" would be
 * decoded, and a control character would fail the parse (the agent then reads the whole value as
 * a file name). Escaping exactly these keeps every other key readable in the template.
 */
function asUrlPath(path: string): string {
  return path.replace(/[%?#\x00-\x1f\x7f]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** IAM reads "*" and "?" in a resource as wildcards and "${" as a variable: escaped, the grant is of exactly that key. */
function asIamLiteral(key: string): string {
  return key.replace(/[*?$]/g, (c) => `\${${c}}`);
}
