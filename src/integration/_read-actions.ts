/**
 * Identifiers Mackerel accepts that have no constant: Terraform's spelling of Route 53, which the
 * `ROUTE_53` doc points users to.
 * @internal
 */
export const _OTHER_KNOWN_IDS = ['Route53'];

/**
 * Action names that only read: `service:Describe*`, `service:GetX`, `apigateway:GET`, ... In any
 * case, as IAM matches action names ignoring case: `ec2:describeInstances` is the same read.
 */
const READ_ACTION = /^[a-z0-9-]+:(Describe|Get|List|BatchGet|View)[A-Za-z0-9]*\*?$|^apigateway:GET$/i;

/** What `READ_ACTION` accepts, in the words of its error messages. @internal */
export const _READ_ACTION_RULE = 'service:Describe*, Get*, List*, BatchGet* or View* actions (or apigateway:GET)';

/**
 * The CloudWatch read actions every integration needs: Mackerel reads every service's metrics
 * from CloudWatch. The docs get them from the unstarred services' managed read-only policies or
 * from CloudWatchReadOnlyAccess; this library writes one inline policy instead of attaching
 * managed policies, so it always adds them.
 *
 * They are the two patterns of Mackerel's list of every permission the integration uses ("IAM
 * policies used in AWS Integration", mackerelio/documents content/docs/entry/integrations/aws.md
 * and its ja page). Mackerel does not say which CloudWatch calls it makes, so no narrower list
 * can be known to work: a call it makes and the role lacks fails without an error anywhere, its
 * metrics just missing. No `cloudwatch:Get*` or `List*` action returns a secret or writes.
 * @internal
 */
export const _CLOUDWATCH_READ_ACTIONS = ['cloudwatch:Get*', 'cloudwatch:List*'];

/** True for action names that only read. @internal */
export function _isReadAction(action: string): boolean {
  return READ_ACTION.test(action);
}
