import { Stack, Stage } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { IConstruct } from 'constructs';

/** A Stage under a construct an Aspect visits, and its task definitions that Aspect would have instrumented. @internal */
export interface _StageNotReached {
  readonly stage: Stage;
  readonly taskDefinitions: ecs.TaskDefinition[];
}

/**
 * The Stages under a construct's child Stages whose task definitions got no agent, though an Aspect
 * visiting the construct would have given them one. aws-cdk-lib's `invokeAspects` does not descend
 * into a child Stage, which is synthesized on its own and first (by `synthNestedAssemblies`, or
 * already by CDK Pipelines' `addStage`), so its own Aspects have run by now: a task definition they
 * instrumented has its agent. `covered` says which of the others are left alone on purpose. Each
 * task definition is counted under its own Stage, the innermost, as only an Aspect of that Stage
 * (or of a construct inside it) reaches it: one of an outer Stage stops at the inner one too.
 * @internal
 */
export function _stagesNotReached(node: IConstruct, covered: (taskDefinition: ecs.TaskDefinition) => boolean): _StageNotReached[] {
  const found = new Map<Stage, ecs.TaskDefinition[]>();
  for (const child of node.node.children.filter(Stage.isStage)) {
    for (const construct of child.node.findAll()) {
      if (!(construct instanceof ecs.TaskDefinition) || covered(construct)) continue;
      const stage = Stage.of(construct) ?? child;
      found.set(stage, [...found.get(stage) ?? [], construct]);
    }
  }
  return [...found].map(([stage, taskDefinitions]) => ({ stage, taskDefinitions }));
}

/**
 * Where a warning about a Stage shows. Annotations are written only with the stacks that hold
 * them: one on the app or a Stage reaches no output. So a construct inside a stack of the visited
 * construct's own assembly carries it: the construct itself when it is in one (a Stage made in the
 * pipeline's stack), else its first stack (the pipeline's stack of an app that also holds the Stage),
 * else the first stack of its assembly (the pipeline's stack beside a construct that groups the Stages).
 * @internal
 */
export function _stageWarningCarrier(node: IConstruct): IConstruct | undefined {
  for (let scope: IConstruct | undefined = node; scope && !Stage.isStage(scope); scope = scope.node.scope) {
    if (Stack.isStack(scope)) return node;
  }
  // A Stage is an assembly of its own: a stack beside it is written elsewhere.
  return firstStackUnder(node) ?? (Stage.isStage(node) ? undefined : firstStackUnder(Stage.of(node) ?? node.node.root));
}

/** The first stack under `scope` (breadth first) of its own assembly: not one inside a Stage under it. */
function firstStackUnder(scope: IConstruct): Stack | undefined {
  const pending = [...scope.node.children];
  let next: IConstruct | undefined;
  while ((next = pending.shift()) !== undefined) {
    if (Stack.isStack(next)) return next;
    if (!Stage.isStage(next)) pending.push(...next.node.children);
  }
  return undefined;
}
