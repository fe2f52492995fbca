import { Annotations, Aws, CfnParameter, Intrinsic, IResolveContext, SecretValue, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import { _endsLikeSecretSuffix } from '../_iam';
import { _mapStrings } from '../_json';
import { _readingLate, _readNowOrOnceFinal } from '../_lazy';
import { _referenceTargets } from '../_references';
import { _MASKED } from '../_text';
import { _fail, _httpUrl } from '../_validation';
import { MackerelProvider } from '../provider/provider';

/** A literal piece of the resolved value, or a CloudFormation intrinsic (`{ Ref: ... }`). */
type Piece = string | object;

/** One dynamic reference found in the value: its service and the secret ID or parameter name. */
interface Reference {
  readonly service: 'secretsmanager' | 'ssm-secure' | 'ssm';
  readonly id: Piece[];
}

const PREFIX = /\{\{resolve:(secretsmanager|ssm-secure|ssm):/;

/** The handler reads a secret with GetSecretValue and a parameter with GetParameter, nothing else. */
const SECRET_ACTIONS = ['secretsmanager:GetSecretValue'];
const PARAMETER_ACTIONS = ['ssm:GetParameter'];

/**
 * How the construct names a property that holds a secret, in its errors and warnings.
 * @internal
 */
export interface _SecretProperty {
  /** The property, as errors name it: `url`, `headers[0].secretValue`. */
  readonly property: string;
  /** The property that names its KMS key: `urlEncryptionKey`, `headers[0].encryptionKey`. */
  readonly keyProperty: string;
  /** What to create in the secret's stack instead, in the remedy for a secret of another stack. */
  readonly owner: string;
  /** Checks and warns about a value given as plain text (resolved: a string, or an intrinsic). */
  readonly plainText: (resolved: unknown) => void;
  /** Called when the value is known only at deploy time (a dynamic reference, a NoEcho parameter, an intrinsic). */
  readonly readAtDeploy?: () => void;
}

/**
 * A channel URL as written into the resource properties, and how the provider's Lambda gets
 * to read it (see `_secretValue`).
 *
 * @internal
 */
export function _channelUrl(scope: IConstruct, property: string, url: SecretValue, key?: kms.IKey): string {
  return _secretValue(scope, url, key, {
    property,
    keyProperty: `${property}EncryptionKey`,
    owner: 'the channel',
    plainText: (resolved) => {
      if (typeof resolved === 'string') checkPlainUrl(scope, property, resolved);
      else checkNoWhitespaceAround(scope, property, joinPieces(resolved));
      Annotations.of(scope).addWarningV2('cdk-mackerel:channelUrlInTemplate',
        `${property} is given as plain text, so it is written into the template (and visible to anyone who can read the stack). `
        + 'Keep the URL in Secrets Manager or SSM and pass SecretValue.secretsManager(...) or SecretValue.ssmSecure(...) instead');
    },
    // The handler refuses such a URL with whitespace, except in a rollback, which it asks the stack about.
    readAtDeploy: () => MackerelProvider._withProvider(scope, (provider) => provider._allowStackReads()),
  });
}

/**
 * A secret value (a channel URL, a monitor's header value) as written into the resource
 * properties, and how the provider's Lambda gets to read it.
 *
 * CloudFormation does not resolve secure dynamic references in custom resource properties: a
 * `{{resolve:secretsmanager:...}}` reaches the handler as written, and the handler resolves it
 * with its own role. A `{{resolve:ssm-secure:...}}` is refused outright outside the few resource
 * properties CloudFormation lists ("SSM Secure reference is not supported in: ..."), so it is
 * written as `{{cdk-mackerel:ssm-secure:...}}`, which CloudFormation leaves alone and the handler
 * reads the same way. The template holds the reference, never the value, and the Lambda's role
 * gets read on exactly the secret or parameter named (also for `{{resolve:ssm:...}}`, which
 * CloudFormation resolves itself).
 *
 * @internal
 */
export function _secretValue(scope: IConstruct, secret: SecretValue, key: kms.IKey | undefined, spec: _SecretProperty): string {
  const value = secret.unsafeUnwrap();
  // A Lazy resolved now would keep its first value in the template (a draft URL, or the reference
  // to another secret than the one read at last), and the grant would name what it held then. It
  // is read once final, in an Aspect: the grant still becomes part of the provider's policy (and
  // its dependencies) before the template is written.
  let written: string | undefined;
  _readNowOrOnceFinal(scope, [value], (late) => {
    const now = checkAndGrant(scope, value, key, spec);
    if (!late) written = now;
  });
  // Which spelling the value needs is known only once final: the rewrite leaves a value without ssm-secure as it is.
  return written ?? Token.asString(new WithoutSsmSecure(value));
}

/** `_secretValue` of a value read now: checked, its reads granted, and as written into the template. */
function checkAndGrant(scope: IConstruct, value: string, key: kms.IKey | undefined, spec: _SecretProperty): string {
  const { property } = spec;
  const resolved = Stack.of(scope).resolve(value);
  const references = findReferences(joinPieces(resolved));
  // Looked for in the whole value: CloudFormation refuses one that findReferences misses (split by a separator) too.
  const written = JSON.stringify(resolved).includes('{{resolve:ssm-secure:') ? Token.asString(new WithoutSsmSecure(value)) : value;
  if (references.length === 0) {
    if (key) {
      _fail(scope, spec.keyProperty, key.node.path, `is given, but ${property} is plain text`,
        `a ${property} from Secrets Manager or SSM, or no key`);
    }
    if (typeof resolved !== 'string') spec.readAtDeploy?.();
    // Only the Ref is written: CloudFormation passes the value to the handler, which masks it in its logs.
    if (!holdsNoEchoParameter(scope, value)) spec.plainText(resolved);
    return written;
  }
  spec.readAtDeploy?.();
  checkSameStack(scope, spec, value);
  if (key && _readingLate() && Stack.of(key) !== Stack.of(scope)) {
    // The grant would write a reference to the key's stack that synthesis, having prepared the app, no longer turns into an
    // export or a nested stack's parameter: the template would name a resource it does not have.
    _fail(scope, spec.keyProperty, key.node.path, `is a key of stack ${Stack.of(key).node.path}, read at validation as no Aspect ran on ${scope.node.path} `
      + '(it was made by an Aspect with @aws-cdk/core:aspectStabilization off), too late to refer to another stack',
    'a key of this stack, or one imported into it (kms.Key.fromKeyArn)',
    'Make the construct outside an Aspect, or turn @aws-cdk/core:aspectStabilization on');
  }
  const statements = references.map((reference) => {
    if (reference.id.length === 0) {
      _fail(scope, property, 'a dynamic reference', 'names no secret or parameter',
        'SecretValue.secretsManager(secretId) or SecretValue.ssmSecure(parameterName)');
    }
    return reference.service === 'secretsmanager'
      ? new iam.PolicyStatement({ actions: SECRET_ACTIONS, resources: secretArns(scope, reference.id) })
      : new iam.PolicyStatement({ actions: PARAMETER_ACTIONS, resources: parameterArns(reference.id) });
  });
  MackerelProvider._withProvider(scope, (provider) => {
    statements.forEach((s) => provider.addToRolePolicy(s));
    key?.grantDecrypt(provider.handler);
  });
  return written;
}

/**
 * Whether the value refers to a NoEcho parameter of the stack (`SecretValue.cfnParameter`) and to
 * no other parameter: the template then holds a Ref, not the secret, so the plain-text warning
 * would be false. A parameter without NoEcho shows its value in the console, and one of another
 * stack is exported in plain (its stack's outputs), which are warned about as a plain value is.
 * The parameters are told by the references themselves, not by logical ID, which another
 * stack's parameter may share.
 */
function holdsNoEchoParameter(scope: IConstruct, value: string): boolean {
  const stack = Stack.of(scope);
  const parameters = _referenceTargets(stack, value).filter((target): target is CfnParameter => target instanceof CfnParameter);
  return parameters.length > 0 && parameters.every((p) => p.noEcho && Stack.of(p) === stack);
}

/** The handler's own spelling of an ssm-secure reference, which CloudFormation does not validate. */
const SSM_SECURE = /\{\{resolve:ssm-secure:/g;

/**
 * Fails for a secret or parameter of another stack: the grant is built from the resolved value,
 * where it would be a Ref to a resource the channel's stack does not have (deploys fail with
 * "Unresolved resource dependencies", or grant a same-named resource of this stack).
 */
function checkSameStack(scope: IConstruct, spec: _SecretProperty, value: string): void {
  const property = spec.property;
  const foreign = _referenceTargets(scope, value).find((target) => Stack.of(target) !== Stack.of(scope));
  if (!foreign) return;
  const owner = foreign.node.id === 'Resource' && foreign.node.scope ? foreign.node.scope : foreign;
  _fail(scope, property, owner.node.path, `names a secret or parameter of stack ${Stack.of(foreign).node.path}, whose read the provider of this stack cannot be granted`,
    'a secret or parameter of this stack, or one imported into it',
    `Import it here by name (secretsmanager.Secret.fromSecretNameV2, ssm.StringParameter.fromSecureStringParameterAttributes), or create ${spec.owner} in that stack`);
}

/** The value, resolved where it is used, with its ssm-secure references in the handler's spelling. */
class WithoutSsmSecure extends Intrinsic {
  constructor(private readonly url: string) {
    super(url);
  }

  public resolve(context: IResolveContext): unknown {
    return _mapStrings(context.resolve(this.url), (text) => text.replace(SSM_SECURE, '{{cdk-mackerel:ssm-secure:'));
  }
}

/** A resolved value as the pieces of a Fn::Join with an empty separator (or the value alone). */
function joinPieces(resolved: unknown): Piece[] {
  const join = (resolved as { 'Fn::Join'?: [string, Piece[]] } | undefined)?.['Fn::Join'];
  if (join && join[0] === '' && Array.isArray(join[1])) return join[1];
  return [resolved as Piece];
}

/**
 * Every dynamic reference in the pieces, with the ID it names: what follows the
 * `{{resolve:<service>:` prefix up to the colon that ends the ID (the first one; for an ARN the
 * one after the ARN's own colons) or the closing `}}`. Intrinsics inside the ID (a secret's
 * `Ref`, `AWS::Region` in an ARN) are kept as they are; they hold no colon of the reference.
 */
function findReferences(pieces: Piece[]): Reference[] {
  const found: Reference[] = [];
  let current: { service: Reference['service']; id: Piece[]; colons: number; limit?: number } | undefined;
  for (const piece of pieces) {
    if (typeof piece !== 'string') {
      if (current) {
        current.limit ??= 1;
        current.id.push(piece);
      }
      continue;
    }
    let text = piece;
    while (text !== '') {
      if (!current) {
        const match = PREFIX.exec(text);
        if (!match) break;
        current = { service: match[1] as Reference['service'], id: [], colons: 0 };
        text = text.slice(match.index + match[0].length);
        continue;
      }
      current.limit ??= idColons(current.service, text);
      const end = idEnd(text, current);
      if (end < 0) {
        current.id.push(text);
        break;
      }
      if (end > 0) current.id.push(text.slice(0, end));
      found.push({ service: current.service, id: current.id });
      current = undefined;
      text = text.slice(end);
    }
  }
  return found;
}

/** The colon that ends an ID: the first, or the one after an ARN's own six (five for SSM). */
function idColons(service: Reference['service'], text: string): number {
  if (!text.startsWith('arn:')) return 1;
  return service === 'secretsmanager' ? 7 : 6;
}

/** Where the ID ends in `text`, counting colons across pieces; -1 when it goes on. */
function idEnd(text: string, state: { colons: number; limit?: number }): number {
  for (let i = 0; i < text.length; i++) {
    if (text.startsWith('}}', i)) return i;
    if (text[i] === ':' && ++state.colons === state.limit) return i;
  }
  return -1;
}

/** Pieces as one string: literal when they all are, a Fn::Join token otherwise. */
function asString(pieces: Piece[]): string {
  if (pieces.every((p) => typeof p === 'string')) return pieces.join('');
  if (pieces.length === 1) return Token.asString(new Intrinsic(pieces[0]));
  return Token.asString(new Intrinsic({ 'Fn::Join': ['', pieces] }));
}

/**
 * The secret's ARNs for the grant. Secrets Manager appends `-` and six random letters or digits
 * to a secret's name to make its complete ARN; a partial ARN (or a name) needs the `-??????`
 * wildcard, a complete ARN is exact.
 * - An ID that is a token alone (such as `secret.secretArn` of a secret of the app) is a complete
 *   ARN: exact.
 * - An ARN of a secret the app imports (`Secret.fromSecretCompleteArn`, `fromSecretPartialArn`,
 *   `fromSecretNameV2`) is as complete as that import says.
 * - Any other ARN ending in `-` and six letters or digits may be complete, or a partial ARN of a
 *   name that ends so (`team-oncall`, `ops/slack-alerts`): both `<arn>` and `<arn>-??????` are
 *   granted. The second cannot match another secret than the partial ARN names, as the suffix is
 *   exactly six characters. An ARN not ending so is partial: the wildcard alone.
 * - A name gets the wildcard.
 */
function secretArns(scope: IConstruct, id: Piece[]): string[] {
  const first = id[0];
  const last = id[id.length - 1];
  if (typeof first !== 'string') return [asString(id)];
  if (first.startsWith('arn:')) {
    const arn = asString(id);
    const imported = importedSecretIsComplete(scope, arn);
    if (imported !== undefined) return [imported ? arn : `${arn}-??????`];
    const mayBeComplete = typeof last === 'string' && _endsLikeSecretSuffix(last);
    return mayBeComplete ? [arn, `${arn}-??????`] : [`${arn}-??????`];
  }
  return [`arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${asString(id)}-??????`];
}

/**
 * Whether the secret of the app (of the channel's stack, or imported anywhere with a literal ARN)
 * whose `secretArn` is `arn` has a complete ARN (`secretFullArn`), or undefined when no secret of
 * the app has that ARN.
 */
function importedSecretIsComplete(scope: IConstruct, arn: string): boolean | undefined {
  const stack = Stack.of(scope);
  const wanted = normalized(stack.resolve(arn));
  const secret = scope.node.root.node.findAll().find((c): c is secretsmanager.ISecret => isSecret(c)
    && (!Token.isUnresolved(c.secretArn) || Stack.of(c) === stack)
    && normalized(stack.resolve(c.secretArn)) === wanted);
  return secret === undefined ? undefined : secret.secretFullArn !== undefined;
}

/**
 * Whether the construct is a secret, created or imported: `SecretBase`, which all of them extend,
 * is not exported, and `Secret.isSecret` knows only the created ones.
 */
function isSecret(c: IConstruct): c is secretsmanager.ISecret {
  const candidate = c as Partial<secretsmanager.ISecret>;
  return typeof candidate.secretArn === 'string' && typeof candidate.secretName === 'string'
    && typeof candidate.secretValueFromJson === 'function' && typeof candidate.grantRead === 'function';
}

/** A resolved value as comparable text: the pieces of its Fn::Join, adjacent literals merged. */
function normalized(resolved: unknown): string {
  const merged: Piece[] = [];
  for (const piece of joinPieces(resolved)) {
    const previous = merged[merged.length - 1];
    if (typeof piece === 'string' && typeof previous === 'string') merged[merged.length - 1] = previous + piece;
    else merged.push(piece);
  }
  return JSON.stringify(merged);
}

/**
 * The parameter's ARN for the grant: an ARN as it is; a name under `parameter/`, without the
 * name's own leading slash. A name that is a token may or may not start with a slash, so both
 * forms are granted.
 */
function parameterArns(id: Piece[]): string[] {
  const first = id[0];
  const prefix = `arn:${Aws.PARTITION}:ssm:${Aws.REGION}:${Aws.ACCOUNT_ID}:parameter`;
  if (typeof first === 'string' && first.startsWith('arn:')) return [asString(id)];
  if (typeof first === 'string') return [`${prefix}/${asString([first.replace(/^\//, ''), ...id.slice(1)])}`];
  return [`${prefix}/${asString(id)}`, `${prefix}${asString(id)}`];
}

function checkPlainUrl(scope: IConstruct, property: string, url: string): void {
  checkNoWhitespace(scope, property, url);
  if (_httpUrl(url)) return;
  const expected = 'an https:// URL, or a SecretValue from Secrets Manager or SSM';
  const shown = maskedUrl(url);
  if (shown === undefined) _fail(scope, property, _MASKED, 'is not a URL (not shown, as it may hold a secret)', expected);
  if (shown === '') _fail(scope, property, _MASKED, 'is not an http(s) URL (not shown, as it may hold a secret)', expected);
  _fail(scope, property, shown, 'is not an http(s) URL', expected);
}

/**
 * Refuses whitespace in a URL, which the URL parser (so `checkPlainUrl`) drops at either end and
 * for tabs and newlines anywhere, but Mackerel keeps: it would post to the URL as written, and a
 * webhook pasted with a trailing newline fails only when an alert is sent.
 */
function checkNoWhitespace(scope: IConstruct, property: string, url: string): void {
  const [, lead, body, trail] = /^(\s*)([\s\S]*?)(\s*)$/.exec(url)!;
  if (lead === '' && trail === '' && !/\s/.test(body)) return;
  if (body === '') _fail(scope, property, url, 'is only whitespace', NO_WHITESPACE);
  refuseWhitespace(scope, property, lead, maskedUrl(body) || _MASKED, trail);
}

/**
 * Refuses whitespace in the literal parts of a plain-text URL that holds tokens
 * (`` `https://example.com/${path}\n` ``): whatever the tokens resolve to, the URL keeps it. Shown
 * masked, as any literal part may be a secret's.
 */
function checkNoWhitespaceAround(scope: IConstruct, property: string, pieces: Piece[]): void {
  const literals = pieces.filter((p): p is string => typeof p === 'string');
  if (!literals.some((p) => /\s/.test(p))) return;
  const first = pieces[0];
  const last = pieces[pieces.length - 1];
  const lead = typeof first === 'string' ? /^\s*/.exec(first)![0] : '';
  const trail = typeof last === 'string' ? /\s*$/.exec(last)![0] : '';
  refuseWhitespace(scope, property, lead, _MASKED, trail);
}

const NO_WHITESPACE = 'an https:// URL without whitespace, or a SecretValue from Secrets Manager or SSM';

/** The refusal of a URL with whitespace, `shown` masked: at its ends (`lead`, `trail`) if any, or else inside. */
function refuseWhitespace(scope: IConstruct, property: string, lead: string, shown: string, trail: string): never {
  if (lead !== '' || trail !== '') {
    _fail(scope, property, `${lead}${shown}${trail}`, 'has whitespace at its start or end, which Mackerel would keep in the URL it posts to', NO_WHITESPACE);
  }
  _fail(scope, property, shown, 'holds whitespace (not shown where, as it may be in a secret part)', NO_WHITESPACE);
}

/**
 * A channel URL as an error shows it: its scheme and host, which say what is wrong, and a mask for
 * the rest, where a Slack or webhook URL carries its token (and for a user and password); undefined
 * for what is no URL at all, of which nothing is safe to show (it may be the token alone), and ''
 * for a URL without a host, whose "scheme" may be the first part of a token (`T0123:secret`).
 */
function maskedUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.host === '') return '';
  const credentials = url.username !== '' || url.password !== '' ? `${_MASKED}@` : '';
  const more = (url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '';
  return `${url.protocol}//${credentials}${url.host}/${more ? _MASKED : ''}`;
}
