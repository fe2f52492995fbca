import { Annotations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { _maskedApiBase } from '../_text';
import { _literalUserinfo } from '../_validation';

/** Where a URL with credentials goes, for the warning. @internal */
export interface UrlInTemplate {
  /** The warning's id. */
  readonly id: string;
  /** The option the URL was given as. */
  readonly property: string;
  /** The agent's variable the URL is written into. */
  readonly variable: string;
  /** What to do instead. */
  readonly advice: string;
}

/**
 * Warns when a URL the agent is given (a proxy, its API base, its config's location) carries a user
 * name or password: the URL goes into the agent's environment, which is written into the template
 * as it is, so anyone who can read the stack, or describe the task definition, can read them. The
 * warning shows the URL masked (`_maskedApiBase`: its userinfo, query and fragment). `url` is the
 * value parsed where it holds no token; a URL built around one is read by `_literalUserinfo`.
 * @internal
 */
export function _warnUrlCredentials(scope: IConstruct, where: UrlInTemplate, value: string | undefined, url: URL | undefined): void {
  if (value === undefined) return;
  const literal = url ? { user: url.username !== '', password: url.password !== '' } : _literalUserinfo(value);
  if (!literal.user && !literal.password) return;
  const carried = !literal.password ? 'a user name, which is' : !literal.user ? 'a password, which is' : 'a user name and password, which are';
  Annotations.of(scope).addWarningV2(where.id,
    `${where.property} ${JSON.stringify(_maskedApiBase(value))} carries ${carried} written into the template in plain text `
    + `(${where.variable} of the agent container), readable by anyone who can read the stack or the task definition. ${where.advice}`);
}
