import { CfnResource, Stack, Stage, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { _reaches } from '../_graph';
import { _referenceTargets } from '../_references';
import { _rendered } from '../_rendered';
import { _references } from '../_template-references';
import { _warnLate } from '../_validation';
import { _knownRoleFullNameOf, _knownServiceNameOf, _ROLES_BY_FULL_NAME, _SERVICES_BY_NAME } from './_known-name';
import { _addLookupValidation, _firstInOrganization } from './_unique';

/** The role imports, by the full name they were given: their service's import leaves the warning to them. */
const ROLE_IMPORTS = new WeakMap<IConstruct, string>();

/**
 * Warns, at synth, when `imported` (a `MackerelService.fromName` or `MackerelRole.fromFullName`)
 * names by a literal what a `MackerelService` or `MackerelRole` of another stack of the app
 * creates, in the same organization, and its stack does not depend on that one. A literal makes
 * no reference, so nothing orders the two stacks: the first deploy may create the consumers
 * first, which Mackerel refuses (404 or 400, the service or role does not exist yet), and a
 * destroy may delete the creator's stack first, whose service the handler then leaves for the
 * monitors still in it. In the same stack, the consumers wait for the creator (`_dependOnNamed`).
 * Read when validating, after CDK has turned references and construct dependencies into stack
 * dependencies, and once a Lazy name is final. A role's full name built of its service's name
 * (`${shop.name}:db`) counts as a literal: it refers to the service, not to the role, and so does
 * a name known at synth that refers to nothing (a Lazy, Fn.join of literals). Other tokens are
 * references already, or unknown.
 * @internal
 */
export function _warnImportedByLiteralName(imported: IConstruct, given: string, isRole: boolean): void {
  if (isRole) ROLE_IMPORTS.set(imported, given);
  _addLookupValidation(imported, () => {
    const name = literalName(given, isRole);
    if (name === undefined) return [];
    // A token known at synth that refers to no construct (a Lazy, Fn.join of literals) orders as much as a literal: nothing.
    const built = Token.isUnresolved(given) && _referenceTargets(imported, given).length > 0;
    const parentRole = roleImportName(imported.node.scope);
    // A role import's service: the role's warning, when there is one, says it all.
    if (!isRole && parentRole !== undefined && unorderedCreator(imported.node.scope!, parentRole, true)) return [];
    const creator = unorderedCreator(imported, name, isRole);
    // Its own reference (`web.fullName`) orders it once used, as an import of it by reference.
    if (creator && built && _referenceTargets(imported, given).some((t) => t.node.scopes.includes(creator))) return [];
    if (creator) warnOnImport(imported, name, built, isRole, creator);
    return [];
  });
}

/**
 * The name `given` stands for when it is known at synth: a literal, or a token of a known name. A
 * name built of a service's name (`${shop.name}:db`) refers to the service alone: the role's stack
 * is as unordered as for a literal. Any other token is a reference to what it names, or unknown.
 */
function literalName(given: string, isRole: boolean): string | undefined {
  if (!Token.isUnresolved(given)) return given;
  return isRole ? _knownRoleFullNameOf(given) : _knownServiceNameOf(given);
}

/** The known full name of a role import (`literalName`), or undefined for anything else. */
function roleImportName(construct: IConstruct | undefined): string | undefined {
  const given = construct && ROLE_IMPORTS.get(construct);
  return given === undefined ? undefined : literalName(given, true);
}

/** The MackerelService or MackerelRole of another stack, not ordered before `imported`'s, that creates what `name` names. */
function unorderedCreator(imported: IConstruct, name: string, isRole: boolean): IConstruct | undefined {
  const creator = creatorOf(imported, name, isRole);
  return creator && !ordered(imported, creator) ? creator : undefined;
}

/** The MackerelService or MackerelRole of another stack of the same Stage and organization that creates what `name` names. */
function creatorOf(consumer: IConstruct, name: string, isRole: boolean): IConstruct | undefined {
  const stack = Stack.of(consumer);
  // Stacks of another Stage are deployed on their own (a pipeline's stage), and may not depend on these.
  const stage = Stage.of(stack);
  return _firstInOrganization(consumer, isRole ? _ROLES_BY_FULL_NAME : _SERVICES_BY_NAME, name,
    (c) => Stack.of(c) !== stack && Stage.of(c) === stage);
}

/** Whether the stack of `consumer` is deployed after the stack of `creator`, or after `creator` itself in the stack that holds both. */
function ordered(consumer: IConstruct, creator: IConstruct): boolean {
  const orderable = orderableIn(Stack.of(consumer), Stack.of(creator));
  if (orderable) return orderable.after(orderable.consumer, orderable.creator);
  return nestedAfter(Stack.of(consumer), creator);
}

/**
 * Whether `stack`, nested (at any depth) in the stack of `creator`, is deployed after `creator`'s
 * resource: the resource that deploys it there depends on that one, as CDK renders
 * `nested.node.addDependency(creator)`, or refers to it, as CDK passes a reference to the parent's
 * resource into a nested stack (a parameter of that resource). Stacks cannot be ordered this way
 * (`orderableIn`), but resources of the parent can.
 */
function nestedAfter(stack: Stack, creator: IConstruct): boolean {
  const creatorStack = Stack.of(creator);
  const path = pathFromTop(stack);
  const at = path.indexOf(creatorStack);
  const deploys = at < 0 ? undefined : path[at + 1]?.nestedStackResource;
  const resource = cfnResourceOf(creator);
  if (!deploys || !resource) return false;
  const resources = resourcesOf(creatorStack);
  return _reaches(deploys, resource, (r) => dependedOn(resources, r));
}

/** The resource of a service or role: the CfnResource of the CustomResource that is its default child. */
function cfnResourceOf(construct: IConstruct): CfnResource | undefined {
  for (let child = construct.node.defaultChild; child; child = child.node.defaultChild) {
    if (CfnResource.isCfnResource(child)) return child;
  }
  return undefined;
}

/**
 * How the stacks of a consumer and a creator can be ordered, if at all: as two top-level stacks
 * (CDK keeps the dependencies of nested stacks on their top-level stacks), or, in one top-level
 * stack, as the resources of the stack that deploys both (sibling nested stacks: CDK turns
 * `B.addDependency(A)` and `B.node.addDependency(A)` into a DependsOn between their stack
 * resources there). Undefined for a nested stack and a stack it is nested in: CDK refuses a nested
 * stack's dependency on its parent, and the reverse is a no-op.
 */
function orderableIn(stack: Stack, creatorStack: Stack):
{ consumer: IConstruct; creator: IConstruct; after: (a: IConstruct, b: IConstruct) => boolean } | undefined {
  const [path, creatorPath] = [pathFromTop(stack), pathFromTop(creatorStack)];
  if (path[0] !== creatorPath[0]) {
    return { consumer: path[0], creator: creatorPath[0], after: (a, b) => _reaches(a as Stack, b as Stack, (s) => s.dependencies) };
  }
  let common = 0;
  while (path[common + 1] !== undefined && path[common + 1] === creatorPath[common + 1]) common++;
  const [deploys, creatorDeploys] = [path[common + 1]?.nestedStackResource, creatorPath[common + 1]?.nestedStackResource];
  if (!deploys || !creatorDeploys) return undefined;
  const resources = resourcesOf(path[common]);
  const after = (a: IConstruct, b: IConstruct) => _reaches(a as CfnResource, b as CfnResource, (r) => dependedOn(resources, r));
  return { consumer: deploys, creator: creatorDeploys, after };
}

/** The stacks from the top-level stack that deploys `stack` down to `stack` itself. */
function pathFromTop(stack: Stack): Stack[] {
  const path = [stack];
  while (path[0].nestedStackParent) path.unshift(path[0].nestedStackParent);
  return path;
}

/** The resources of `stack` itself (not of its nested stacks), by logical ID. */
function resourcesOf(stack: Stack): Map<string, CfnResource> {
  const resources = stack.node.findAll().filter((c): c is CfnResource => CfnResource.isCfnResource(c) && Stack.of(c) === stack);
  return new Map(resources.map((r) => [stack.resolve(r.logicalId) as string, r]));
}

/**
 * The resources of its stack that CloudFormation creates before `resource`: by a DependsOn, or by
 * a Ref or Fn::GetAtt (a nested stack's parameter taken from a sibling's output), as the stack renders them.
 */
function dependedOn(resources: Map<string, CfnResource>, resource: CfnResource): CfnResource[] {
  const rendered = _rendered(resource);
  const dependsOnIds: unknown[] = [rendered.DependsOn ?? []].flat();
  return [...dependsOnIds, ..._references(rendered.Properties)].map((id) => resources.get(String(id))).filter((r) => r !== undefined);
}

/**
 * How the warning names what the user wrote, when it is not an import of their own: a property of
 * another construct that imports the role for them (`forRole`'s `roleFullName`).
 */
const GIVEN_AS = new WeakMap<IConstruct, { property: string; byReference: string }>();

/**
 * Makes the warning of `imported` name `property` of the construct that made the import, and
 * `byReference` (`role: web, or roleFullName: web.fullName`) as what to pass instead.
 * @internal
 */
export function _importedAs(imported: IConstruct, property: string, byReference: string): void {
  GIVEN_AS.set(imported, { property, byReference });
}

/**
 * Warns, as an import by literal name is warned about, about a service or role that `consumer`
 * names by a literal in `property` (a monitor's `scopes[0]` from `MonitorScope.of('shop')`): it
 * orders the two stacks no more than an import does. A role the app does not create is compared
 * by its service, which Mackerel needs as much. `byReference` is what to pass instead, and for a
 * role the app does not create, `byBuiltName` words a full name built of the service's name.
 * `roleLeft`: the handler leaves a role that `consumer` still names when its stack is destroyed
 * first (scopes, an expression), rather than deleting it. A name
 * given as a token is read as an import's (an expression's `${shop.name}:web`, whose reference orders
 * it after the service alone), and one known only at deploy time is not warned about.
 * @internal
 */
export function _warnNamedByLiteral(
  consumer: IConstruct, property: string, name: string, isRole: boolean, byReference: string, byBuiltName: (builtName: string) => string,
  roleLeft = false,
): void {
  _addLookupValidation(consumer, () => {
    // A token known at synth (a Lazy, `${shop.name}:web`) orders no more than a literal: only its own reference does.
    const known = literalName(name, isRole);
    if (known === undefined) return [];
    const serviceName = isRole ? known.slice(0, known.indexOf(':')) : known;
    const role = isRole ? creatorOf(consumer, known, true) : undefined;
    const creator = role ?? creatorOf(consumer, serviceName, false);
    if (!creator || ordered(consumer, creator)) return [];
    const targets = Token.isUnresolved(name) ? _referenceTargets(consumer, name) : [];
    if (targets.some((t) => t.node.scopes.includes(creator))) return [];
    if (role || !isRole) {
      const what = isRole ? 'role' : 'service';
      const built = targets.length > 0;
      warn(consumer, creator, what, `${property} ${JSON.stringify(known)} is the ${built ? 'name, built of its service\'s name,' : 'literal name'} of a ${what},`,
        `Pass it by reference (${byReference})`, built ? 'the service\'s name orders it after the service only' : 'a literal orders nothing', roleLeft);
    } else {
      warnOnRoleOfService(consumer, creator, literalRoleOf(property, known, serviceName), 'Pass', byBuiltName(builtName(known)));
    }
    return [];
  });
}

/** How the warning names a role's literal full name given in `property`, of a service the app creates. */
function literalRoleOf(property: string, roleFullName: string, serviceName: string): string {
  return `${property} ${JSON.stringify(roleFullName)} is the literal name of a role of service ${JSON.stringify(serviceName)},`;
}

/**
 * Warns about a role named by a literal that the app does not create, of a service that `creator`
 * creates: there is no role construct to refer to, and a name built of the service's reference
 * (`byBuiltName`, to `pass` or import) orders it after the service, which is what it needs.
 */
function warnOnRoleOfService(at: IConstruct, creator: IConstruct, subject: string, pass: 'Pass' | 'Import it by', byBuiltName: string): void {
  warn(at, creator, 'service', subject, `${pass} a name built of the service's reference (${byBuiltName})`, 'a literal orders nothing');
}

/** How the advice writes a role's full name built of its service's name: `${shop.name}:web`. */
function builtName(roleFullName: string): string {
  return `\`\${shop.name}:${roleFullName.slice(roleFullName.indexOf(':') + 1)}\``;
}

function warnOnImport(imported: IConstruct, name: string, built: boolean, isRole: boolean, creator: IConstruct): void {
  // The service of a role import whose role the app does not create: the role is what was named.
  const role = isRole || built ? undefined : roleImportName(imported.node.scope);
  if (role !== undefined) {
    const roleGivenAs = GIVEN_AS.get(imported.node.scope!);
    const subject = roleGivenAs
      ? literalRoleOf(roleGivenAs.property, role, name)
      : `This role is imported by its literal name ${JSON.stringify(role)}, a role of service ${JSON.stringify(name)},`;
    const byBuiltName = roleGivenAs ? `${roleGivenAs.property}: ${builtName(role)}` : `MackerelRole.fromFullName(scope, id, ${builtName(role)})`;
    warnOnRoleOfService(imported, creator, subject, roleGivenAs ? 'Pass' : 'Import it by', byBuiltName);
    return;
  }
  const what = isRole ? 'role' : 'service';
  const givenAs = GIVEN_AS.get(imported);
  const subject = givenAs
    ? `${givenAs.property} ${JSON.stringify(name)} is the ${built ? 'name, built of its service\'s name,' : 'literal name'} of a ${what},`
    : `This ${what} is imported ${built ? `by a name built of its service's name, ${JSON.stringify(name)},` : `by its literal name ${JSON.stringify(name)},`}`;
  const byReference = givenAs
    ? `Pass it by reference (${givenAs.byReference})`
    : `Import it by reference (${isRole ? 'MackerelRole.fromFullName(scope, id, web.fullName)' : 'MackerelService.fromName(scope, id, shop.name)'})`;
  warn(imported, creator, what, subject, byReference, built ? 'the service\'s name orders it after the service only' : 'a literal orders nothing');
}

function warn(
  at: IConstruct, creator: IConstruct, what: string, subject: string, byReference: string, ordersNothing: string, roleLeft = false,
): void {
  const stack = Stack.of(at);
  const creatorStack = Stack.of(creator);
  const [shown, creatorShown] = [JSON.stringify(stack.node.path), JSON.stringify(creatorStack.node.path)];
  const orderable = orderableIn(stack, creatorStack);
  const remedy = !orderable
    ? nestedRemedy(stack, creatorStack, what, byReference)
    : orderable.after(orderable.creator, orderable.consumer)
      ? `Stack ${creatorShown} depends on stack ${shown} already, so neither a reference nor stack.addDependency can order them the other way `
        + `(a cycle): use the ${what} in stack ${creatorShown} or in a stack that depends on it, or create it in stack ${shown}`
      : `${byReference}, or make stack ${shown} depend on stack ${creatorShown} (stack.addDependency)`;
  _warnLate(at, 'cdk-mackerel:importedByLiteralName',
    `${subject} which ${creator.node.path} of stack ${creatorShown} creates, `
    + `but stack ${shown} does not depend on stack ${creatorShown}: ${ordersNothing}. The first deploy may `
    + `create what uses the ${what} before it exists, which Mackerel refuses (404 or 400), and a destroy may delete stack ${creatorShown} `
    // A service that still has monitors or roles not its own is left (owned.ts), as is a role that scopes or an expression
    // still name (`roleLeft`); a role is deleted from under anything else.
    + `first, ${what === 'role' && !roleLeft ? 'deleting the role from under what still uses it' : `leaving the ${what} in Mackerel for what still uses it`}. ${remedy}`);
}

/**
 * The remedy for a stack and a stack nested (at any depth) in it, which stack.addDependency cannot
 * order (CDK refuses a nested stack's dependency on its parent, and the reverse is a no-op). A
 * consumer nested under the creator's stack may also be ordered by the node of the nested stack
 * that stack deploys, as `nestedAfter` reads it; a creator nested under the consumer's stack is
 * reached by reference alone: what uses the import has resources of its own, the import none.
 */
function nestedRemedy(stack: Stack, creatorStack: Stack, what: string, byReference: string): string {
  const cannot = 'stack.addDependency cannot order a nested stack and a stack it is nested in';
  const path = pathFromTop(stack);
  const at = path.indexOf(creatorStack);
  if (at >= 0) {
    return `${byReference}, or make nested stack ${JSON.stringify(path[at + 1].node.path)} wait for the ${what} `
      + `(nestedStack.node.addDependency(${what === 'role' ? 'web' : 'shop'})), which CDK writes as a DependsOn of its stack resource in stack `
      + `${JSON.stringify(creatorStack.node.path)}: ${cannot}`;
  }
  const creatorPath = pathFromTop(creatorStack);
  const outer = creatorPath[creatorPath.indexOf(stack) + 1] ?? creatorStack;
  return `${byReference}, which CDK passes out of nested stack ${JSON.stringify(outer.node.path)} as an output of its stack resource, `
    + `so what uses it waits for that: ${cannot}`;
}
