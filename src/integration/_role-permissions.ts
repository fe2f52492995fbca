import { CfnResource, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { _isReadAction, _READ_ACTION_RULE } from './_read-actions';
import { _covers, _Denial, _sensitiveReadWarning, _sensitiveReadWarningExcept } from './_service-warnings';
import { _referenceTargets } from '../_references';
import { _rendered } from '../_rendered';
import { _describeProblem } from '../_validation';

const WHY = 'Mackerel stops collecting when the role it assumes could write (it checks with ec2:CreateInternetGateway)';
const FIX = 'Give Mackerel only what the library derives from addService (AwsIntegrationService.of for a newer service), '
  + 'use a separate role for anything else';

/**
 * Problems for every permission the integration role carries besides the generated policy: managed
 * policies, inline policies, and `AWS::IAM::Policy`, `AWS::IAM::ManagedPolicy` or
 * `AWS::IAM::RolePolicy` resources of any stack of the app that attach to it (a grant's
 * `DefaultPolicy` is one of these, and so is a policy added through `Role.fromRoleArn(scope, id,
 * role.roleArn)`).
 *
 * Any extra policy counts, not only write ones: an imported managed policy's content cannot be
 * read at synth time, and a single write action makes Mackerel stop collecting.
 * @internal
 */
export function _extraPermissionProblems(role: iam.Role, generated: iam.Policy, policies: _RolePolicies): string[] {
  const problems: string[] = [];
  const report = (kind: string, value: string, how: string) => problems.push(_describeProblem(kind, value,
    `is attached to the integration role ${role.node.path}${how}`, `only the read-only policy this library generates (${generated.node.path})`,
    `${WHY}. ${FIX}, or set allowAdditionalPolicies if the policy only reads or denies`));

  // A managed policy of this stack shows as its path rather than as a Ref to a hashed logical ID.
  for (const { arn, policy } of policies.listed) {
    report('managed policy', policy ? pathOf(policy) : readable(arn), '');
  }
  for (const inline of policies.inline) report('inline policy', readable(policyName(inline)), '');

  for (const resource of policies.attached) {
    const named = pathOf(resource);
    if (resource.cfnResourceType === 'AWS::IAM::ManagedPolicy') {
      report('managed policy', named, '');
    } else {
      const grant = resource.node.scope === role.node.tryFindChild('DefaultPolicy');
      report('policy', named, grant ? ' by a grant (such as bucket.grantWrite(role)) or addToPrincipalPolicy' : '');
    }
  }
  return problems;
}

/** The role's managed policy ARNs, each with the managed policy of the role's stack it is a Ref to, if any. */
function listedManagedPolicies(role: iam.Role, resources: readonly CfnResource[], listed?: unknown): { arn: unknown; policy?: CfnResource }[] {
  const stack = Stack.of(role);
  const byRef = new Map(resources.filter((r) => r instanceof iam.CfnManagedPolicy && Stack.of(r) === stack)
    .map((r) => [JSON.stringify(stack.resolve(r.ref)), r]));
  const arns = asArray(listed ?? stack.resolve((role.node.defaultChild as iam.CfnRole).managedPolicyArns));
  return arns.map((arn) => ({ arn, policy: byRef.get(JSON.stringify(arn)) }));
}

/**
 * The `AWS::IAM::Policy`, `AWS::IAM::ManagedPolicy` and `AWS::IAM::RolePolicy` resources among
 * `resources` (any stack of the app) that attach to the role, other than the generated policy.
 * `rendered` (at validation only, as rendering freezes a policy's document) also reads a resource of
 * the role's stack as the template gets it: a policy whose Roles or RoleName an escape hatch
 * (addPropertyOverride) points at the role, or one written as a plain CfnResource, attaches too.
 */
function attachedPolicies(role: iam.Role, generated: iam.Policy, resources: readonly CfnResource[], rendered = false): CfnResource[] {
  const stack = Stack.of(role);
  const cfnRole = role.node.defaultChild as iam.CfnRole;
  const roleRef = JSON.stringify(stack.resolve(cfnRole.ref));
  const isRole = (refs: unknown) => asArray(refs).some((ref) => JSON.stringify(ref) === roleRef);
  const attaches = (resource: CfnResource, refs: unknown, property: string) => (refs !== undefined && refersTo(resource, refs, cfnRole))
    // In any stack, tokens kept: a plain CfnResource's own property, and an escape hatch's override of it.
    || givenValues(resource, refs, property).some((given) => refersTo(resource, given, cfnRole))
    || (Stack.of(resource) === stack && (isRole(stack.resolve(refs)) || (rendered && isRole(renderedProperties(resource)[property]))));
  return resources.filter((resource) => resource !== generated.node.defaultChild && (
    resource.cfnResourceType === 'AWS::IAM::Policy' ? attaches(resource, (resource as iam.CfnPolicy).roles, 'Roles')
      : resource.cfnResourceType === 'AWS::IAM::ManagedPolicy' ? attaches(resource, (resource as iam.CfnManagedPolicy).roles, 'Roles')
        : resource.cfnResourceType === 'AWS::IAM::RolePolicy'
          ? attaches(resource, resource instanceof iam.CfnRolePolicy ? [resource.roleName] : undefined, 'RoleName')
          : false));
}

/**
 * What a resource was given for `property` besides its L1 property (`l1`), with its tokens: a plain
 * CfnResource's own properties, and what an escape hatch (`addPropertyOverride`) writes. Another
 * stack's resource renders the role only as an import, so its references are read before resolving.
 */
function givenValues(resource: CfnResource, l1: unknown, property: string): unknown[] {
  // Both are kept by aws-cdk-lib out of its typed API: `_cfnProperties` holds a plain CfnResource's properties
  // as given (an L1's holds its construction props), `rawOverrides` the overridden paths as a tree.
  const internals = resource as unknown as { _cfnProperties?: Resolved; rawOverrides?: { Properties?: Resolved } };
  const own = l1 === undefined && !(resource instanceof iam.CfnPolicy || resource instanceof iam.CfnManagedPolicy
    || resource instanceof iam.CfnRolePolicy) ? internals._cfnProperties?.[property] : undefined;
  return [own, internals.rawOverrides?.Properties?.[property]].filter((value) => value !== undefined);
}

/**
 * The policies of the integration role besides the generated one, read once per validation:
 * finding and rendering every policy of the app is the costly part of the checks that use them.
 * @internal
 */
export interface _RolePolicies {
  /** The role's managed policy ARNs, each with the managed policy of the role's stack it is a Ref to, if any. */
  readonly listed: ReadonlyArray<{ arn: unknown; policy?: CfnResource }>;
  /** The inline policies of the role resource itself, as rendered. */
  readonly inline: readonly unknown[];
  /** The policies of any stack of the app that attach themselves to the role. */
  readonly attached: readonly CfnResource[];
  /** The documents of every policy of the role but the generated one, each with where it comes from. */
  readonly documents: ReadonlyArray<[where: string, document: unknown]>;
  /** What a Deny of any policy of the role, the generated one included, denies on every resource. */
  readonly denied: readonly _Denial[];
}

/**
 * Reads the role's policies (`_RolePolicies`) as the template gets them (`_rendered`): one written as a
 * plain `CfnResource`, attached or widened by an escape hatch (`addPropertyOverride`), or listed on the
 * role by one, is read as IAM will. Rendering freezes a PolicyDocument, so this runs at validation only.
 * A managed policy of the app listed through an import is read: found by the references of the list, or by
 * the account, path and name of an ARN written out. One outside the app (an AWS managed one) cannot be read.
 * @internal
 */
export function _rolePolicies(role: iam.Role, generated: iam.Policy): _RolePolicies {
  // Other stacks count: a policy there attaches through an export of the role's name or ARN.
  const resources = role.node.root.node.findAll().filter((c): c is CfnResource => c instanceof CfnResource);
  // As rendered, so that a policy an escape hatch (addPropertyOverride) lists on the role is read too.
  const properties = renderedProperties(role.node.defaultChild as CfnResource);
  const cfnRole = role.node.defaultChild as iam.CfnRole;
  const listed = listedManagedPolicies(role, resources, properties.ManagedPolicyArns);
  const attached = attachedPolicies(role, generated, resources, true);
  const inline = asArray(properties.Policies);
  // One listed by an ARN written out (ManagedPolicy.fromManagedPolicyName) is the app's policy of that name, if any.
  const named = asArray(properties.ManagedPolicyArns).flatMap((arn) => managedPoliciesNamed(arn, resources.filter(isManagedPolicy), Stack.of(role)));
  const managed = [...listed.flatMap(({ policy }) => (policy ? [policy] : [])),
    // A managed policy of another stack is listed as an import: found through the references of the list, tokens kept.
    ..._referenceTargets(cfnRole, [cfnRole.managedPolicyArns, ...givenValues(cfnRole, cfnRole.managedPolicyArns, 'ManagedPolicyArns')])
      .filter(isManagedPolicy),
    ...named.filter(({ sure }) => sure).map(({ policy }) => policy)];
  // A policy that may be in another account than the ARN's is warned about, but its Denies may not apply to the role.
  const maybe = named.filter(({ sure, policy }) => !sure && !managed.includes(policy)).map(({ policy }) => policy);
  const described = (resource: CfnResource): [string, unknown] => [`a policy attached to the role (${pathOf(resource)})`, renderedProperties(resource).PolicyDocument];
  const sureDocuments: Array<[where: string, document: unknown]> = [
    ...[...new Set([...attached, ...managed])].map(described),
    // An inline policy of the role itself, which only an escape hatch can write (the integration makes the role).
    ...inline.map((policy): [string, unknown] => [`an inline policy of the role (${readable(policyName(policy))})`, policyDocument(policy)]),
  ];
  const documents = [...sureDocuments, ...[...new Set(maybe)].map(described)];
  // A Deny in any policy of the role, the generated one included, wins over every Allow: what it denies
  // everywhere is not granted, and a warning for it could only be acknowledged.
  const denied = [renderedProperties(generated.node.defaultChild as CfnResource).PolicyDocument, ...sureDocuments.map(([, document]) => document)]
    .flatMap(statementsOf).flatMap(denial);
  return { listed, inline, attached, documents, denied };
}

/**
 * Warnings for the sensitive reads that other policies attached to the role allow, which
 * `allowAdditionalPolicies` lets through (a grant such as `secret.grantRead(aws.role)`): those
 * that attach themselves, the managed policies of the app it lists (`role.addManagedPolicy`), and
 * its inline policies, as `_rolePolicies` reads them. A sensitive read that a Deny of any policy of
 * the role denies on every resource, without a condition, is not granted, and not warned about.
 * @internal
 */
export function _attachedSensitiveReadWarnings(role: iam.Role, policies: _RolePolicies): string[] {
  const warnings = new Set<string>();
  for (const [where, document] of policies.documents) {
    for (const statement of statementsOf(document)) {
      if (statement.Effect === 'Deny') continue;
      const found = asArray(statement.Action)
        .map((action) => (typeof action === 'string' ? _sensitiveReadWarning(where, action, role, policies.denied) : undefined));
      // An Allow with NotAction grants every action it does not name, sensitive reads included.
      if (statement.NotAction !== undefined) found.push(_sensitiveReadWarningExcept(where, asArray(statement.NotAction), role, policies.denied));
      for (const warning of found) if (warning) warnings.add(warning);
    }
  }
  return [...warnings];
}

/** Whether a construct is an `AWS::IAM::ManagedPolicy`, an L1 or a plain `CfnResource`. */
function isManagedPolicy(construct: unknown): construct is CfnResource {
  return construct instanceof CfnResource && construct.cfnResourceType === 'AWS::IAM::ManagedPolicy';
}

/**
 * The managed policies among `policies` that an ARN written out names, as IAM finds one: by its
 * account, path and name (`ManagedPolicy.fromManagedPolicyName`, or `fromManagedPolicyArn` with a
 * literal ARN). A policy whose name is not a literal cannot be named so; an account known only at
 * deploy time, on either side, may be the same one, and such a policy is not `sure`: it is the one
 * the role lists only when both accounts are the same literal, or the ARN's is the role's stack's
 * own (`AWS::AccountId`) and the policy is of that stack.
 */
function managedPoliciesNamed(arn: unknown, policies: readonly CfnResource[], roleStack: Stack): { policy: CfnResource; sure: boolean }[] {
  // The partition and the account may be pseudo parameters, which `readable` writes as ${AWS::Partition}, colons included.
  const match = /^arn:(?:\$\{[^}]*\}|[^:]+):iam::(\$\{[^}]*\}|[^:]*):policy(\/.*)$/.exec(readable(arn));
  if (!match) return [];
  const [, account, pathAndName] = match;
  // The account `aws` holds AWS managed policies (fromAwsManagedPolicyName): never a policy of the app, whatever its name.
  if (account === 'aws') return [];
  return policies.flatMap((policy) => {
    const properties = renderedProperties(policy);
    const path = properties.Path ?? '/';
    // Compared with case: IAM keeps names unique ignoring case, but says a name used in a policy or as part of an ARN is
    // case sensitive (IAM User Guide, "Creating a role", for role names; it says nothing else of a policy's name in an
    // ARN). An ARN written with other case names no policy: the attach fails at deploy, and there is nothing to read.
    if (typeof properties.ManagedPolicyName !== 'string' || typeof path !== 'string' || `${path}${properties.ManagedPolicyName}` !== pathAndName) return [];
    const theirs = Stack.of(policy).account;
    const known = !account.startsWith('${') && !Token.isUnresolved(theirs);
    if (known && theirs !== account) return [];
    const sure = known || (account === '${AWS::AccountId}' && Stack.of(policy) === roleStack);
    return [{ policy, sure }];
  });
}

/** The statements of a policy document. */
function statementsOf(document: unknown): Resolved[] {
  return asArray((document as Resolved | undefined)?.Statement) as Resolved[];
}

/**
 * What a Deny statement denies on every resource, with no condition: none where it has a Condition,
 * a NotResource or a Resource other than `*` (it denies only some), or a token among its actions.
 */
function denial(statement: Resolved): _Denial[] {
  if (statement.Effect !== 'Deny' || statement.Condition !== undefined || statement.NotResource !== undefined) return [];
  if (!asArray(statement.Resource).includes('*')) return [];
  const except = statement.NotAction !== undefined;
  const patterns = asArray(except ? statement.NotAction : statement.Action);
  // A token may stand for any action: a NotAction holding one may spare a sensitive read, an Action one is still denied by its strings.
  if (except && !patterns.every((p) => typeof p === 'string')) return [];
  return [{ patterns: patterns.filter((p): p is string => typeof p === 'string'), except }];
}

/** The string actions of a document's Allow statements. */
function allowedActions(document: Resolved | undefined): string[] {
  return (asArray(document?.Statement) as Resolved[])
    .filter((statement) => statement.Effect !== 'Deny')
    .flatMap((statement) => asArray(statement.Action).filter((a): a is string => typeof a === 'string'));
}

/**
 * Problems for every action the generated policy allows that is not a read action, by the rule
 * `AwsIntegrationService.of` applies. `policy` is public, so `addStatements` can reach it after
 * construction; the L1 document is read so that replacing it is caught too.
 * @internal
 */
export function _generatedPolicyProblems(role: iam.Role, generated: iam.Policy): string[] {
  // As rendered, so that an action an escape hatch (addPropertyOverride) writes into the document is read too.
  const document = renderedProperties(generated.node.defaultChild as CfnResource).PolicyDocument as Resolved | undefined;
  const to = `to the integration role ${role.node.path} by ${generated.node.path}`;
  const expected = `only ${_READ_ACTION_RULE}`;
  const hint = `${WHY}. ${FIX}`;
  const problems: string[] = [];
  for (const statement of asArray(document?.Statement) as Resolved[]) {
    if (statement.Effect === 'Deny') continue;
    // An Allow with NotAction allows everything else, writes included.
    if (statement.NotAction !== undefined) {
      problems.push(_describeProblem('notAction', statement.NotAction, `allows every other action ${to}`, expected, hint));
    }
    for (const action of asArray(statement.Action)) {
      // A token that did not resolve to a string cannot be checked, so it fails like a write.
      if (typeof action !== 'string' || !_isReadAction(action)) problems.push(_describeProblem('action', action, `is allowed ${to}`, expected, hint));
    }
  }
  return problems;
}

/**
 * Problems for every statement of the role's trust policy that lets anyone but `trusted` (Mackerel's
 * account) assume it, or lets it do so without the external ID condition. The role's Allow statements
 * are read from the rendered resource, so that a statement added to `assumeRolePolicy`, written into the
 * role resource or put there by `addPropertyOverride` is caught too; a Deny only narrows who can assume the role.
 * @internal
 */
export function _trustPolicyProblems(role: iam.Role, trusted: string, externalId: string): string[] {
  const stack = Stack.of(role);
  const cfnRole = role.node.defaultChild as iam.CfnRole;
  // As rendered, so that an escape hatch (addPropertyOverride on the document or one of its statements) is read too.
  const document = renderedProperties(cfnRole).AssumeRolePolicyDocument as Resolved | undefined;
  const expectedId = JSON.stringify(stack.resolve(externalId));
  const account = trusted.split(':')[4];
  // iam.AccountPrincipal writes the partition as a Ref; the integration's stack is in the aws partition (checkPartition).
  const isMackerel = (p: unknown) => (typeof p === 'string' ? p === trusted || p === account : readable(p) === `arn:\${AWS::Partition}:iam::${account}:root`);
  const expected = `only ${trusted} (Mackerel's account), with the condition StringEquals sts:ExternalId on the integration's external ID`;
  const hint = 'The role reads the account\'s resources for Mackerel: a principal it trusts besides Mackerel, or Mackerel without the '
    + 'external ID Mackerel issued to this organization (the confused deputy), gets that access too. Use a separate role for anyone else';
  const target = `the integration role ${role.node.path}`;
  const problems: string[] = [];
  for (const statement of asArray(document?.Statement) as Resolved[]) {
    if (statement.Effect === 'Deny') continue;
    if (statement.NotPrincipal !== undefined) {
      problems.push(_describeProblem('notPrincipal', statement.NotPrincipal, `lets every other principal assume ${target}`, expected, hint));
      continue;
    }
    const principal = (statement.Principal ?? {}) as Resolved | string;
    const kinds = typeof principal === 'string' ? { AWS: principal } : principal;
    const others = Object.entries(kinds).flatMap(([kind, value]) => asArray(value)
      .filter((p) => kind !== 'AWS' || !isMackerel(p)).map((p) => ({ [kind]: p })));
    for (const other of others) problems.push(_describeProblem('principal', other, `is trusted by ${target}`, expected, hint));
    if (others.length > 0) continue;
    const stringEquals = ((statement.Condition ?? {}) as Resolved).StringEquals as Resolved | undefined;
    // IAM reads condition keys in any case (sts:externalid is sts:ExternalId), their values as written. Every
    // spelling must hold the one ID: each key is a condition of its own, and IAM requires them all.
    const keys = Object.keys(stringEquals ?? {}).filter((key) => key.toLowerCase() === 'sts:externalid');
    // A list of one value is that value; a longer one lets other external IDs in.
    const holdsExpected = (key: string) => {
      const externalIds = asArray(stringEquals![key]);
      return externalIds.length === 1 && JSON.stringify(externalIds[0]) === expectedId;
    };
    if (keys.length === 0 || !keys.every(holdsExpected)) {
      problems.push(_describeProblem('principal', principal, `is trusted by ${target} without the condition on the integration's external ID `
        + `(condition ${JSON.stringify(statement.Condition ?? {})})`, expected, hint));
    }
  }
  return problems;
}

/**
 * Warnings for the sensitive reads (see `AwsIntegrationServiceDefinition.actions`) that the
 * generated policy allows beyond `derived`, the actions of the added services, which
 * `_sensitiveReadWarnings` warns about, naming the service. They come from `policy.addStatements(...)`.
 *
 * Read at validation, as rendered (an escape hatch's statement included), once every Aspect of the
 * app has run (one may still add a service). A Deny of any policy of the role narrows it as it
 * narrows `_attachedSensitiveReadWarnings`: both read `policies.denied`.
 * @internal
 */
export function _addedSensitiveReadWarnings(role: iam.Role, generated: iam.Policy, derived: readonly string[], policies: _RolePolicies): string[] {
  const warnings = new Set<string>();
  for (const action of allowedActions(renderedProperties(generated.node.defaultChild as CfnResource).PolicyDocument as Resolved | undefined)) {
    if (derived.some((granted) => _covers(granted, action))) continue;
    const warning = _sensitiveReadWarning(`a statement added to ${generated.node.path}`, action, role, policies.denied);
    if (warning) warnings.add(warning);
  }
  return [...warnings];
}

/**
 * Whether resolving `value` in the resource's stack goes through a reference to `target`. This
 * finds the role behind an export (`Fn::ImportValue`) or an ARN taken apart by `Role.fromRoleArn`,
 * which comparing resolved values cannot; a same-named role of another stack is not confused with it.
 */
function refersTo(resource: CfnResource, value: unknown, target: CfnResource): boolean {
  return _referenceTargets(resource, value).includes(target);
}

type Resolved = { [key: string]: unknown };

/** A resource's properties as the template gets them (`_rendered`): read at validation only. */
function renderedProperties(resource: CfnResource): Resolved {
  return (_rendered(resource).Properties ?? {}) as Resolved;
}

function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** The L2 construct's path for its `Resource` child, as users named it. */
function pathOf(resource: CfnResource): string {
  return resource.node.id === 'Resource' && resource.node.scope ? (resource.node.scope as IConstruct).node.path : resource.node.path;
}

/** An inline policy's name: camelCase as an L1 property, PascalCase when a token renders CloudFormation itself. */
function policyName(inline: unknown): unknown {
  const policy = (inline ?? {}) as Resolved;
  return policy.policyName ?? policy.PolicyName;
}

/** An inline policy's document, named as its name is (`policyName`). */
function policyDocument(inline: unknown): unknown {
  const policy = (inline ?? {}) as Resolved;
  return policy.policyDocument ?? policy.PolicyDocument;
}

/** A resolved value as one string: `arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess`, not its Fn::Join. */
function readable(value: unknown): string {
  if (typeof value === 'string') return value;
  const object = (value ?? {}) as Resolved;
  const join = object['Fn::Join'];
  if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) return join[1].map(readable).join(join[0]);
  if (typeof object.Ref === 'string') return `\${${object.Ref}}`;
  const getAtt = object['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return `\${${getAtt.join('.')}}`;
  return JSON.stringify(value);
}
