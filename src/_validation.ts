import { ArtifactMetadataEntryType } from 'aws-cdk-lib/cloud-assembly-schema';
import { IConstruct } from 'constructs';

/**
 * Builds the library's one error format:
 * `<property> <value> <what is wrong>; expected <what is allowed>[. <hint>]`.
 *
 * Messages returned from `node.addValidation` use this form as is (synthesis prefixes the
 * construct path); errors thrown at construction go through `fail`, which adds the path.
 * @internal
 */
export function _describeProblem(property: string, value: unknown, problem: string, expected: string, hint?: string): string {
  const shown = value === undefined ? 'undefined' : JSON.stringify(value);
  return `${property} ${shown} ${problem}; expected ${expected}${hint ? `. ${hint}` : ''}`;
}

/**
 * Throws a synth-time validation error naming the construct path, the property, the value
 * and what is allowed. aws-cdk-lib's own ValidationError is internal to it, hence this helper.
 * @internal
 */
export function _fail(scope: IConstruct, property: string, value: unknown, problem: string, expected: string, hint?: string): never {
  throw new Error(`${scope.node.path}: ${_describeProblem(property, value, problem, expected, hint)}`);
}

/**
 * Adds an info annotation, as `Annotations.of(scope).addInfo` does, without capturing a stack
 * trace. The library adds one to every instrumented task definition; a trace per call cost
 * about as much as the rest of instrumenting a task (7 ms of 53 ms for 50 Fargate services,
 * measured with `npx projen bench`), and the construct path already says where it comes from.
 * Warnings keep `Annotations` and their traces: they are rare and point at user code.
 * @internal
 */
export function _info(scope: IConstruct, message: string): void {
  if (scope.node.metadata.some((entry) => entry.type === ArtifactMetadataEntryType.INFO && entry.data === message)) return;
  scope.node.addMetadata(ArtifactMetadataEntryType.INFO, message, { stackTrace: false });
}
