import { Annotations, Aws, Intrinsic, SecretValue, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { _fail } from '../_validation';
import { MackerelProvider } from '../provider/provider';

/**
 * A channel URL as written into the resource properties, and how the provider's Lambda gets
 * to read it.
 *
 * CloudFormation does not resolve dynamic references (`{{resolve:secretsmanager:...}}`,
 * `{{resolve:ssm-secure:...}}`, `{{resolve:ssm:...}}`) in custom resource properties: the
 * reference reaches the handler as written, and the handler resolves it with its own role. So
 * the template holds the reference, never the URL, and the Lambda's role gets read on exactly
 * the secret or parameter named.
 *
 * @internal
 */
export function _channelUrl(scope: IConstruct, property: string, url: SecretValue): string {
  const value = url.unsafeUnwrap();
  const resolved = Stack.of(scope).resolve(value);
  const pieces = joinPieces(resolved);
  const head = typeof pieces[0] === 'string' ? pieces[0] : '';
  const match = /^\{\{resolve:(secretsmanager|ssm-secure|ssm):/.exec(head);
  if (!match) {
    if (typeof resolved === 'string') {
      checkPlainUrl(scope, property, resolved);
    }
    Annotations.of(scope).addWarningV2('cdk-mackerel:channelUrlInTemplate',
      `${property} is given as plain text, so it is written into the template (and visible to anyone who can read the stack). `
      + 'Keep the URL in Secrets Manager or SSM and pass SecretValue.secretsManager(...) or SecretValue.ssmSecure(...) instead');
    return value;
  }
  const service = match[1];
  const id = referencedId(scope, property, pieces, head.slice(match[0].length), service);
  const statement = service === 'secretsmanager' ? secretStatement(id) : parameterStatement(id);
  MackerelProvider._withProvider(scope, (provider) => provider.grantSecretRead(statement));
  return value;
}

/** A resolved value as the pieces of a Fn::Join with an empty separator (or the string alone). */
function joinPieces(resolved: unknown): unknown[] {
  if (typeof resolved === 'string') return [resolved];
  const join = (resolved as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join'];
  if (join && join[0] === '' && Array.isArray(join[1])) return join[1];
  return [resolved];
}

/**
 * The secret ID or parameter name inside the reference, as a string or a token: the pieces
 * between the `{{resolve:<service>:` prefix and the first `:` after it in a literal piece (for
 * Secrets Manager, after the ARN's own colons).
 */
function referencedId(scope: IConstruct, property: string, pieces: unknown[], rest: string, service: string): string {
  const idPieces: unknown[] = [];
  const literalAfterPrefix = [rest, ...pieces.slice(1)];
  for (const piece of literalAfterPrefix) {
    if (typeof piece !== 'string') {
      idPieces.push(piece);
      continue;
    }
    const end = idEnd(piece, service, idPieces.length === 0);
    if (end >= 0) {
      idPieces.push(piece.slice(0, end));
      break;
    }
    idPieces.push(piece);
  }
  const literal = idPieces.filter((p) => p !== '');
  if (literal.length === 0) {
    _fail(scope, property, 'a dynamic reference', 'names no secret or parameter', 'SecretValue.secretsManager(secretId) or SecretValue.ssmSecure(parameterName)');
  }
  if (literal.every((p) => typeof p === 'string')) return literal.join('');
  if (literal.length === 1) return Token.asString(new Intrinsic(literal[0]));
  return Token.asString(new Intrinsic({ 'Fn::Join': ['', literal] }));
}

/** Where the ID ends in a literal piece: the colon before `SecretString` or a version. */
function idEnd(piece: string, service: string, atStart: boolean): number {
  if (atStart && piece.startsWith('arn:')) {
    // arn:<partition>:secretsmanager:<region>:<account>:secret:<name> has seven parts,
    // arn:<partition>:ssm:<region>:<account>:parameter/<name> six; what follows is the rest.
    const count = service === 'secretsmanager' ? 7 : 6;
    const parts = piece.split(':');
    if (parts.length < count) return -1;
    const length = parts.slice(0, count).join(':').length;
    return piece.length > length ? length : -1;
  }
  if (service !== 'secretsmanager') return piece.search(/:|\}\}/);
  return piece.search(/:SecretString|:\}\}|\}\}/);
}

function secretStatement(id: string): iam.PolicyStatement {
  // A name matches the secret's ARN with its random six-character suffix; an ARN is exact.
  const resource = !Token.isUnresolved(id) && !id.startsWith('arn:')
    ? `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${id}-??????`
    : id;
  return new iam.PolicyStatement({
    actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
    resources: [resource],
  });
}

function parameterStatement(name: string): iam.PolicyStatement {
  const resource = !Token.isUnresolved(name) && name.startsWith('arn:')
    ? name
    : `arn:${Aws.PARTITION}:ssm:${Aws.REGION}:${Aws.ACCOUNT_ID}:parameter/${Token.isUnresolved(name) ? name : name.replace(/^\//, '')}`;
  return new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [resource] });
}

function checkPlainUrl(scope: IConstruct, property: string, url: string): void {
  let protocol = '';
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = '';
  }
  if (protocol !== 'https:' && protocol !== 'http:') {
    _fail(scope, property, url, 'is not an http(s) URL', 'an https:// URL, or a SecretValue from Secrets Manager or SSM');
  }
}
