import { IConstruct } from 'constructs';
import { _loneSurrogate } from '../_text';
import { _fail } from '../_validation';

/**
 * Refuses text that reaches the agent's environment holding a lone UTF-16 surrogate. CloudFormation
 * and ECS pass text as UTF-8, which cannot encode one: the agent would be given other text (U+FFFD
 * in its place) or the deploy refused. The literal text around a token is checked as well: the
 * token's placeholder holds no surrogate.
 *
 * @param property the option, as the error names it
 * @param value the text as given
 * @param shown the text as the error may show it (masked where it may hold a credential)
 * @param variable the agent's environment variable the text goes to
 * @param outcome what the variable would hold instead, and what the agent would then do
 * @internal
 */
export function _checkEnvText(scope: IConstruct, property: string, value: string, shown: string, variable: string, outcome: string): void {
  _refuseLoneSurrogate(scope, property, value, shown,
    `UTF-8 cannot encode: passed on as UTF-8 by CloudFormation and ECS, the agent's ${variable} would hold ${outcome}`);
}

/**
 * Refuses text the agent is given (in its environment, or its config file) that holds a lone
 * UTF-16 surrogate: the error says the value `holds` one, `which` and why it does not reach the
 * agent as given.
 * @internal
 */
export function _refuseLoneSurrogate(scope: IConstruct, property: string, value: string, shown: string, which: string, holds = 'holds'): void {
  const code = _loneSurrogate(value);
  if (!code) return;
  _fail(scope, property, shown, `${holds} a lone UTF-16 surrogate (${code}), which ${which}`, 'well-formed Unicode text, with a surrogate only as half of a pair');
}
