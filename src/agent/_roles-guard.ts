import { CfnParameter, CfnRule, Fn, ICfnRuleConditionExpression, Reference, Stack, Tokenization } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Makes CloudFormation refuse to deploy the stack when a parameter the agent's roles come from
 * would write an empty role into `MACKEREL_ROLES`: an empty `CommaDelimitedList` parameter (which
 * CloudFormation reads as one empty entry) or one with an empty entry (`shop:web,`), or an empty
 * `String` parameter given as one role. The agent would send that empty role, Mackerel would
 * refuse the host, and the agent would exit, leaving the tasks unmonitored. A rule runs before any
 * resource changes; other tokens (an import, `Fn.split`) cannot be checked by a rule.
 *
 * `part` is the roles list token, or one role that is a token. Returns the logical ID of the
 * parameter guarded, or undefined when `part` is no plain reference to a parameter of that kind.
 * A parameter gets one rule per stack.
 * @internal
 */
export function _guardRoleParameter(scope: IConstruct, part: string | string[]): string | undefined {
  const stack = Stack.of(scope);
  const list = Array.isArray(part);
  const parameter = parameterOf(stack, part, list);
  if (!parameter) return undefined;
  const logicalId = stack.resolve(parameter.logicalId) as string;
  const id = `MackerelAgentRoles${logicalId}`;
  if (!stack.node.tryFindChild(id)) {
    const assert: ICfnRuleConditionExpression = list
      ? Fn.conditionNot(Fn.conditionContains(parameter.valueAsList, ''))
      : Fn.conditionNot(Fn.conditionEquals(parameter.valueAsString, ''));
    new CfnRule(stack, id, {
      assertions: [{
        assert,
        assertDescription: `Parameter ${logicalId} gives the Mackerel container agent its roles (MACKEREL_ROLES), `
          + `so it must hold ${list ? 'service:role full names separated by commas, with no empty entry' : 'a service:role full name'}: `
          + 'the agent exits on an empty role and its tasks run unmonitored',
      }],
    });
  }
  return logicalId;
}

/** The parameter of this stack a token is a plain `Ref` to, when its type is a list (or a string) as expected. */
function parameterOf(stack: Stack, token: unknown, list: boolean): CfnParameter | undefined {
  const resolved = stack.resolve(token) as unknown;
  // A list token resolves to a Ref; a string token of one parameter does too.
  const ref = typeof resolved === 'object' && resolved !== null && Object.keys(resolved).length === 1
    ? (resolved as { Ref?: unknown }).Ref : undefined;
  if (typeof ref !== 'string') return undefined;
  // Only a parameter of this very stack: one of a nested stack (which may have the same logical ID as
  // one of this stack, as a parameter passed down often has) reaches this stack as a nested stack
  // output, which a rule cannot read, and is not this stack's parameter of that name.
  const reversed = Tokenization.reverse(token);
  const target = reversed instanceof Reference ? reversed.target : undefined;
  if (target !== undefined && (!(target instanceof CfnParameter) || Stack.of(target) !== stack)) return undefined;
  const parameter = stack.node.findAll()
    .find((c): c is CfnParameter => c instanceof CfnParameter && Stack.of(c) === stack && stack.resolve(c.logicalId) === ref);
  if (!parameter) return undefined;
  const type = parameter.type;
  // Not the SSM-backed types: what a rule sees of them is not documented.
  return (list ? type === 'CommaDelimitedList' : type === 'String') ? parameter : undefined;
}
