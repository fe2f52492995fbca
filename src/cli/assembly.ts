/**
 * Loads the CloudFormation templates of a synthesized app: every stack of a cloud assembly
 * (cdk.out, through manifest.json) or one template file, keeping only what the CLI needs.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { _stackOrder } from './cross-stack';
import { _CliError } from './errors';
import { _retaining } from './policy';
import { _StateFile } from './state';
import { _isObject, _readJsonFile } from '../_json';
import { _RESOURCE_TYPES } from '../provider/_properties';

/** A CloudFormation resource as written in a template. @internal */
export interface _TemplateResource {
  readonly Type: string;
  readonly Properties?: { [key: string]: unknown };
  readonly DependsOn?: string | string[];
  readonly Condition?: string;
  readonly Metadata?: { readonly [key: string]: unknown };
  /** What CloudFormation does with the object when the resource leaves the stack: Delete (absent), Retain, RetainExceptOnCreate, Snapshot. */
  readonly DeletionPolicy?: unknown;
  /** What CloudFormation does with the old object of a replacement: as DeletionPolicy. */
  readonly UpdateReplacePolicy?: unknown;
}

/** A template, the parts the CLI reads. @internal */
export interface _Template {
  readonly Resources?: { [logicalId: string]: _TemplateResource };
  readonly Conditions?: { [name: string]: unknown };
  readonly Parameters?: { [name: string]: _TemplateParameter };
  readonly Outputs?: { [key: string]: _TemplateOutput };
  /** Map name to top-level key to second-level key to value, read with Fn::FindInMap. */
  readonly Mappings?: { [name: string]: unknown };
}

/** A parameter of a template. @internal */
export interface _TemplateParameter {
  /** String, Number, CommaDelimitedList, List<...>, AWS::SSM::Parameter::Value<...>, AWS::EC2::...::Id and so on. */
  readonly Type?: string;
  readonly Default?: unknown;
  /** A secret parameter: CloudFormation masks its value, and so does the CLI's output. */
  readonly NoEcho?: boolean | string;
}

/** An output of a template; other stacks read one with an Export with Fn::ImportValue, any with Fn::GetStackOutput. @internal */
export interface _TemplateOutput {
  readonly Value: unknown;
  readonly Export?: { readonly Name: unknown };
  readonly Condition?: string;
}

/** One stack of the app. @internal */
export interface _Stack {
  readonly stackName: string;
  readonly template: _Template;
  /** The region and account from the manifest, when they are concrete. */
  readonly region?: string;
  readonly account?: string;
  /** The stacks this one depends on (the manifest's artifact dependencies), by stack name. */
  readonly dependencies?: readonly string[];
  /** The stage (nested cloud assembly) that holds it, by path such as `Prod`; `""` for the app's own stacks. */
  readonly stage?: string;
  /** Its nested stacks (at any depth) that hold Custom::Mackerel* resources, described for the error that refuses them. */
  readonly nestedMackerel?: readonly string[];
  /**
   * A stack --stack names that the app (or the stage) does not have, with an empty template: the
   * state may still hold it (a stack removed from the app or renamed), and `--destroy` deletes its
   * objects from the state alone. The error to give when the state does not hold it either.
   */
  readonly notInApp?: string;
  /**
   * With `notInApp`, when no --stage was given: the app's stages that hold stacks, other than its own
   * stacks', whose runs keep state files of their own, where a stack removed from one is held.
   */
  readonly otherStages?: readonly string[];
}

/** The loaded app: its stacks and where its state file lives by default. @internal */
export interface _App {
  /** The stacks to act on (all, or the one of --stack), a stack after those it depends on. */
  readonly stacks: _Stack[];
  readonly baseDir: string;
  /**
   * Every stack of the assembly, --stack or not: an imported value is read from the stack that
   * exports it even when only the importing stack is applied.
   * @default - the stacks to act on
   */
  readonly allStacks?: _Stack[];
  /**
   * The stage the run covers, by path such as `Prod`; `""` for the app's own stacks. A run never
   * covers two: see `_loadApp`.
   * @default ""
   */
  readonly stage?: string;
  /**
   * The run is the one stack `--stack` names: it lists no other stack that the state holds and the app
   * no longer has, also when that stack is the only one of its stage.
   * @default false
   */
  readonly byStack?: boolean;
}

const MACKEREL_TYPE = /^Custom::Mackerel/;
const SERVED_TYPES: readonly string[] = Object.values(_RESOURCE_TYPES);

/** Whether a resource type is one of this library's. @internal */
export function _isMackerelType(type: string): boolean {
  return MACKEREL_TYPE.test(type);
}

/**
 * Loads a cloud assembly directory or a template file. A --stack the app does not have is an
 * error, unless `stateOnly` allows it: the state may hold it (see `_Stack.notInApp`, `_checkRunStacks`).
 * `notice` receives what is read but may be read wrong (a manifest of a newer schema), before any
 * error of the app, which that may explain.
 * @internal
 */
export function _loadApp(
  path: string, stackFilter?: string, stageFilter?: string, stateOnly = false, notice: (m: string) => void = () => undefined,
): _App {
  const full = resolve(path);
  if (!existsSync(full)) throw new _CliError(`${path} does not exist; expected a cloud assembly directory (cdk.out) or a template .json file`);
  const app = statSync(full).isDirectory() ? loadAssembly(full, path, notice) : loadTemplateFile(full, path);
  const stages = [...new Set(app.stacks.map((s) => s.stage ?? ''))];
  const shown = (stage: string) => (stage === '' ? '"" (the app\'s own stacks)' : stage);
  if (stageFilter !== undefined && !stages.includes(stageFilter)) {
    throw new _CliError(`--stage ${JSON.stringify(stageFilter)} is not a stage of ${path}; expected one of ${stages.map(shown).join(', ')}`);
  }
  const staged = stageFilter === undefined ? app.stacks : app.stacks.filter((s) => (s.stage ?? '') === stageFilter);
  const stacks = stackFilter ? staged.filter((s) => s.stackName === stackFilter) : staged;
  if (stackFilter && stacks.length === 0) {
    const notInApp = `--stack ${stackFilter} is not in ${path}${stageFilter === undefined ? '' : ` stage ${shown(stageFilter)}`}; `
      + `expected one of ${staged.map((s) => s.stackName).join(', ') || '(no stacks)'}`;
    if (!stateOnly) throw new _CliError(notInApp);
    const stage = stageFilter ?? '';
    const otherStages = stageFilter === undefined ? stages.filter((other) => other !== '') : [];
    const removed: _Stack = {
      stackName: stackFilter, template: { Resources: {} }, stage, notInApp, ...(otherStages.length > 0 ? { otherStages } : {}),
    };
    return { stacks: [removed], baseDir: app.baseDir, allStacks: [...app.stacks.filter((s) => (s.stage ?? '') === stage), removed], stage, byStack: true };
  }
  // One run uses one API key, and a pipeline's stages usually deploy to separate organizations.
  const running = [...new Set(stacks.map((s) => s.stage ?? ''))];
  if (running.length > 1 && stackFilter) {
    // Stages deploy to their own accounts, so they often give a stack the same name.
    throw new _CliError(`--stack ${stackFilter} names a stack in several stages of ${path} (${running.map(shown).join(', ')}); `
      + 'expected --stage NAME as well, to say which');
  }
  if (running.length > 1) {
    throw new _CliError(`${path} has stacks in several stages (${running.map(shown).join(', ')}), which usually deploy to separate `
      + 'Mackerel organizations, while a run uses one API key; expected --stage NAME (or --stack NAME) to run one stage at a time');
  }
  // A nested stack's template is a file asset of its parent: its resources would be left out silently.
  const nested = stacks.find((s) => (s.nestedMackerel ?? []).length > 0);
  if (nested) {
    throw new _CliError(`stack ${nested.stackName} has Custom::Mackerel* resources in ${nested.nestedMackerel!.join('; ')}, `
      + 'which cdk-mackerel cannot apply, diff or destroy (it reads top-level stacks only); expected the Mackerel constructs '
      + `in a top-level Stack, not a NestedStack${stackFilter ? '' : ', or --stack NAME for another stack'}`);
  }
  const stage = running[0] ?? stageFilter ?? '';
  // Only the run's stage: the state file is the stage's own, and CDK references never cross stages.
  return { stacks, baseDir: app.baseDir, allStacks: app.stacks.filter((s) => (s.stage ?? '') === stage), stage, ...(stackFilter ? { byStack: true } : {}) };
}

/**
 * Checks the run's stacks against the state, before anything is sent: a --stack that the app does
 * not have must be held by the state, and only `--destroy` (or diff) can act on it, as there is no
 * template to apply. Fails when no stack of the run holds a Mackerel resource and the state holds
 * nothing for the run either: with objects applied, a template without Mackerel resources deletes
 * them, as a CloudFormation deploy would.
 * @internal
 */
export function _checkRunStacks(
  app: _App, path: string, state: _StateFile, run: { readonly command?: string; readonly destroy?: boolean; readonly state?: string }, file?: string,
): void {
  const holds = (name: string) => state.stacks[name] !== undefined || state.pendingDeletes.some((p) => p.stackName === name);
  for (const stack of app.stacks.filter((s) => s.notInApp !== undefined)) {
    if (!holds(stack.stackName)) {
      // Without --stage, the state read is that of the app's own stacks: a stack removed from a stage is in the stage's.
      // A --state file is read whatever the stage: --stage alone would read the same file again.
      const stateToo = run.state === undefined ? '' : ', and --state naming that stage\'s state file';
      const stages = stack.otherStages
        ? ` (a stack removed from a stage is in that stage's state file: expected --stage NAME as well, one of ${stack.otherStages.join(', ')}${stateToo})` : '';
      throw new _CliError(`${stack.notInApp}; the state file${file ? ` ${file}` : ''} holds no stack ${stack.stackName} either${stages}`);
    }
    if (run.command === 'apply' && !run.destroy) {
      throw new _CliError(`--stack ${stack.stackName} is not in ${path}, only in the state file (${_heldCount(state, stack.stackName)}); `
        + 'expected --destroy to delete them from the state alone, as there is no template to apply');
    }
  }
  if (run.destroy) return;
  // A misspelt or unknown type would be sent to the handler, which refuses it after the operations before it have run.
  for (const stack of app.stacks) {
    for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
      if (_isMackerelType(resource.Type) && !SERVED_TYPES.includes(resource.Type)) {
        throw new _CliError(`${stack.stackName}/${logicalId}: resource type ${resource.Type} is not one the handler serves; expected one of ${SERVED_TYPES.join(', ')}`);
      }
    }
  }
  const count = app.stacks.reduce((n, s) => n + Object.values(s.template.Resources ?? {}).filter((r) => _isMackerelType(r.Type)).length, 0);
  const held = app.stacks.some((s) => holds(s.stackName)) || _stacksNotInApp(app, state).length > 0;
  if (count === 0 && !held) {
    // A --stack without Mackerel resources in an app that has some: the app is not the one to blame.
    const picked = app.stacks.map((st) => st.stackName);
    const others = (app.allStacks ?? app.stacks).filter((st) => !picked.includes(st.stackName)
      && Object.values(st.template.Resources ?? {}).some((r) => _isMackerelType(r.Type))).map((st) => st.stackName);
    if (others.length > 0) {
      throw new _CliError(`stack ${picked.join(', ')} of ${path} has no Custom::Mackerel* resources, and the state file holds none of its objects; `
        + `expected a stack with Mackerel constructs: ${others.join(', ')}`);
    }
    throw new _CliError(`${path} has no Custom::Mackerel* resources; expected an app that uses MackerelProvider and Mackerel constructs`);
  }
}

/**
 * The stacks the state holds (objects or pending deletes) that the app, or the run's stage, does
 * not have: removed from the app or renamed. Listed only for a run of the whole stage, never with
 * --stack (`byStack`); a --stack that names one acts on it instead.
 * @internal
 */
export function _stacksNotInApp(app: _App, state: _StateFile): string[] {
  const stage = app.allStacks ?? app.stacks;
  // A --stack of the only stack of the stage is still a run of that stack: what it shows must not depend on how many the app has.
  if (app.byStack || stage.some((s) => s.notInApp === undefined && !app.stacks.includes(s))) return [];
  const held = [...new Set([...Object.keys(state.stacks), ...state.pendingDeletes.map((p) => p.stackName)])];
  return held.filter((name) => !stage.some((s) => s.stackName === name));
}

/**
 * Notices for a --stack run: a stack it applies depends (directly or through others) on a stack
 * left out of the run whose Mackerel resources the state holds none of. `cdk deploy STACK` would
 * deploy that stack first; --stack applies the named one alone, so what it uses from the other
 * (a service, a role) may not exist yet, and its creates would fail on every run.
 * @internal
 */
export function _unappliedDependencies(app: _App, state: _StateFile): string[] {
  const all = app.allStacks ?? app.stacks;
  const byName = new Map(all.map((s) => [s.stackName, s]));
  const inRun = new Set(app.stacks.map((s) => s.stackName));
  const notices: string[] = [];
  for (const stack of app.stacks) {
    const seen = new Set<string>();
    const visit = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      const dependency = byName.get(name);
      if (!dependency) return;
      const count = Object.values(dependency.template.Resources ?? {}).filter((r) => _isMackerelType(r.Type)).length;
      if (!inRun.has(name) && count > 0 && !state.stacks[name]) {
        notices.push(`stack ${stack.stackName} depends on stack ${name}, whose ${count} Mackerel resource(s) are not applied yet (the state holds none): `
          + `--stack applies ${stack.stackName} alone, so an object it names there may not exist; apply --stack ${name} first, or run without --stack`);
      }
      for (const next of dependency.dependencies ?? []) visit(next);
    };
    for (const name of stack.dependencies ?? []) visit(name);
  }
  return [...new Set(notices)];
}

/** What the state holds of a stack, as `2 objects, 1 old object to delete, 1 old object to retain`. @internal */
export function _heldCount(state: _StateFile, stackName: string): string {
  const objects = Object.keys(state.stacks[stackName]?.resources ?? {}).length;
  const pending = state.pendingDeletes.filter((p) => p.stackName === stackName);
  // An old object kept by UpdateReplacePolicy only leaves the state: calling it one to delete would mislead.
  const retained = pending.filter((p) => _retaining(p.updateReplacePolicy) !== undefined).length;
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  return [
    plural(objects, 'object'),
    ...(pending.length > retained ? [`${plural(pending.length - retained, 'old object')} to delete`] : []),
    ...(retained > 0 ? [`${plural(retained, 'old object')} to retain`] : []),
  ].join(', ');
}

/**
 * A stack's template as the assembly lists it: a JSON object, its Resources (absent in a stack
 * without any, unless `resourcesRequired`) one too, and each resource one (each is read for its Type).
 */
function checkTemplate(template: unknown, shown: string, resourcesRequired = false): void {
  const resources = _isObject(template) ? template.Resources : undefined;
  if (!_isObject(template) || ((resources !== undefined || resourcesRequired) && !_isObject(resources))) {
    throw new _CliError(`${shown} is not a CloudFormation template; expected a JSON object with Resources`);
  }
  const odd = Object.entries(resources ?? {}).find(([, r]) => !_isObject(r));
  if (odd) {
    throw new _CliError(`${shown} is not a CloudFormation template: resource ${JSON.stringify(odd[0])} is not a JSON object; `
      + 'expected a JSON object with Resources, each a JSON object');
  }
}

function loadTemplateFile(file: string, shown: string): _App {
  const template = _readJsonFile(file, shown) as _Template;
  checkTemplate(template, shown, true);
  const name = file.replace(/^.*[\\/]/, '').replace(/\.template\.json$|\.json$/, '');
  return { stacks: [{ stackName: name, template, nestedMackerel: nestedMackerel(template, dirname(file), dirname(shown)) }], baseDir: dirname(file) };
}

/**
 * The nested stacks (AWS::CloudFormation::Stack resources whose template the CDK wrote as a file
 * asset beside the parent's) holding Custom::Mackerel* resources, themselves or in stacks nested
 * in them, each as `nested stack <construct path> (<logical ID>, <template file>)`.
 */
function nestedMackerel(template: _Template, dir: string, shown: string, seen: ReadonlySet<string> = new Set()): string[] {
  return Object.entries(template.Resources ?? {}).flatMap(([logicalId, r]) => {
    const asset = r.Type === 'AWS::CloudFormation::Stack' ? nestedTemplateFile(r, dir) : undefined;
    if (asset === undefined || seen.has(asset) || !existsSync(join(dir, asset))) return [];
    const child = _readJsonFile(join(dir, asset), join(shown, asset)) as _Template;
    // Read for its resources' types: one that is not a template is said so, not left to fail as a TypeError.
    checkTemplate(child, `${join(shown, asset)} (the template of nested stack ${logicalId})`);
    const holds = Object.values(child.Resources ?? {}).some((c) => _isMackerelType(c.Type))
      || nestedMackerel(child, dir, shown, new Set([...seen, asset])).length > 0;
    if (!holds) return [];
    const path = String(r.Metadata?.['aws:cdk:path'] ?? '').split('.NestedStack/')[0];
    return [path ? `nested stack ${path} (${logicalId}, ${asset})` : `nested stack ${logicalId} (${asset})`];
  });
}

/**
 * The template file of a nested stack: the asset path of its metadata (cdk synth writes it), else
 * the file asset whose hash names the object of its TemplateURL, from the asset manifests of `dir`.
 */
function nestedTemplateFile(resource: _TemplateResource, dir: string): string | undefined {
  const path = resource.Metadata?.['aws:asset:path'];
  if (typeof path === 'string') return path;
  const hash = /([0-9a-f]{64})\.json/.exec(JSON.stringify(resource.Properties?.TemplateURL ?? ''))?.[1];
  if (!hash) return undefined;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.assets.json'))) {
    const manifest = _readJsonFile(join(dir, file), file) as { files?: { [hash: string]: { source?: { path?: unknown } } } };
    const source = manifest.files?.[hash]?.source?.path;
    if (typeof source === 'string') return source;
  }
  return undefined;
}

interface ManifestArtifact {
  readonly type: string;
  readonly environment?: string;
  readonly dependencies?: readonly string[];
  readonly displayName?: string;
  readonly properties?: {
    readonly templateFile?: string;
    readonly stackName?: string;
    readonly directoryName?: string;
    readonly displayName?: string;
  };
}

/** A stack as loaded, with where it was found, for the errors about duplicate names. */
interface LoadedStack extends _Stack {
  readonly shownAs: string;
}

function loadAssembly(dir: string, shown: string, notice: (m: string) => void): _App {
  if (!existsSync(join(dir, 'manifest.json'))) {
    throw new _CliError(`${shown} has no manifest.json; expected a cloud assembly directory (run cdk synth) or a template .json file`);
  }
  // One synth writes every manifest of the assembly (its stages' too): the first newer one says it for all.
  let noticed = false;
  const newer = (m: string) => {
    if (!noticed) notice(m);
    noticed = true;
  };
  const stacks = assemblyStacks(dir, shown, newer);
  if (stacks.length === 0) throw new _CliError(`${shown}/manifest.json lists no CloudFormation stacks, directly or in its stages`);
  const stages = [...new Set(stacks.map((s) => s.stage))];
  return { stacks: stages.flatMap((stage) => stageStacks(stacks.filter((s) => s.stage === stage), shown)), baseDir: dir };
}

/**
 * The stacks of one stage, a stack after those it depends on. Within a stage the state file and
 * --stack know a stack by its name, as CloudFormation does within an account and region; stages
 * deploy to accounts of their own and keep a state of their own, so they may reuse a name.
 */
function stageStacks(stacks: readonly LoadedStack[], shown: string): _Stack[] {
  const byName = new Map<string, LoadedStack>();
  for (const stack of stacks) {
    const other = byName.get(stack.stackName);
    if (other) {
      const where = stack.stage ? `stage ${stack.stage} of ${shown}` : shown;
      throw new _CliError(`stack name ${stack.stackName} is used by two stacks of ${where} (${other.shownAs} and ${stack.shownAs}); `
        + 'expected unique stack names within a stage, as the state file and --stack know a stack by its name (give one a stackName of its own)');
    }
    byName.set(stack.stackName, stack);
  }
  // The manifest can list a stack before the stacks it depends on: the CDK deploys it after them,
  // and so does the CLI (plan.ts also orders by Fn::ImportValue and Fn::GetStackOutput, for templates the manifest misses).
  const ordered = _stackOrder(stacks.map((s) => s.stackName), (name) => byName.get(name)?.dependencies ?? []);
  return ordered.flatMap((name) => byName.get(name) ?? []).map(({ shownAs: _shownAs, ...stack }) => stack);
}

/**
 * The stacks of an assembly and of the nested assemblies it lists (CDK stages, as CDK Pipelines
 * use), in manifest order, a stage's stacks where the stage is listed.
 */
function assemblyStacks(dir: string, shown: string, newer: (m: string) => void, stage = ''): LoadedStack[] {
  const manifestShown = join(shown, 'manifest.json');
  const manifest = _readJsonFile(join(dir, 'manifest.json'), manifestShown) as { version?: unknown; artifacts?: { [id: string]: ManifestArtifact } };
  // Read as cdk synth writes it; anything else is said so, not left to fail as a TypeError on the way.
  if (!_isObject(manifest) || (manifest.artifacts !== undefined && !_isObject(manifest.artifacts))) {
    throw new _CliError(`${manifestShown} is not a cloud assembly manifest; expected a JSON object with artifacts (run cdk synth)`);
  }
  checkSchemaVersion(manifest.version, manifestShown, newer);
  const entries = Object.entries(manifest.artifacts ?? {});
  const odd = entries.find(([, a]) => !_isObject(a));
  if (odd) throw new _CliError(`${manifestShown}: artifact ${JSON.stringify(odd[0])} is not a JSON object; expected one as cdk synth writes it (run cdk synth)`);
  // Dependencies name artifacts of the same assembly (asset manifests too); the CLI knows stacks by their stack name.
  const stackNames = new Map(entries.flatMap(([id, a]) => (a.type === STACK ? [[id, a.properties?.stackName ?? id] as const] : [])));
  const stacks: LoadedStack[] = [];
  for (const [id, artifact] of entries) {
    const nested = artifact.type === NESTED_ASSEMBLY ? artifact.properties?.directoryName : undefined;
    if (nested) stacks.push(...assemblyStacks(join(dir, nested), join(shown, nested), newer, artifact.properties?.displayName ?? id));
    const templateFile = artifact.type === STACK ? artifact.properties?.templateFile : undefined;
    if (!templateFile) continue;
    const template = _readJsonFile(join(dir, templateFile), join(shown, templateFile)) as _Template;
    checkTemplate(template, join(shown, templateFile));
    const env = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment ?? '');
    stacks.push({
      stackName: stackNames.get(id)!,
      template,
      nestedMackerel: nestedMackerel(template, dir, shown),
      account: env && !env[1].startsWith('unknown') ? env[1] : undefined,
      region: env && !env[2].startsWith('unknown') ? env[2] : undefined,
      dependencies: (artifact.dependencies ?? []).flatMap((d) => stackNames.get(d) ?? []),
      shownAs: artifact.displayName ?? id,
      stage,
    });
  }
  return stacks;
}

/**
 * The newest major version of the cloud assembly schema the CLI knows: the one the aws-cdk-lib it
 * is built with writes (`version` of manifest.json). The older ones back to CDK v1 wrote the fields
 * read here (type, templateFile, stackName, environment, dependencies, directoryName, displayName)
 * as the current one does.
 * @internal
 */
export const _MANIFEST_MAJOR = 54;

/**
 * Reads a manifest of a schema newer than `_MANIFEST_MAJOR` as the known one, with a notice.
 * aws-cdk-lib is the app's own (a peer dependency), usually newer than the one cdk-mackerel was
 * built with, and it bumps the major for additive changes many times a year: refusing it, as the
 * CDK CLI refuses one newer than it knows, would stop most runs for changes the CLI never reads.
 * A version that is none is refused, as the CDK CLI refuses it ("Invalid semver string"): no
 * aws-cdk-lib writes one, so the file is damaged or hand-edited, and its age cannot be told. A
 * manifest written by hand without a version is read.
 */
function checkSchemaVersion(version: unknown, shown: string, newer: (m: string) => void): void {
  if (version === undefined) return;
  const major = typeof version === 'string' ? /^(\d+)\.\d+\.\d+(?:[-+][\w.-]*)?$/.exec(version)?.[1] : undefined;
  if (major === undefined) {
    throw new _CliError(`${shown} has version ${JSON.stringify(version)}, which is not a cloud assembly schema version; `
      + `expected a version such as "${_MANIFEST_MAJOR}.0.0", as cdk synth writes it (run cdk synth)`);
  }
  if (Number(major) > _MANIFEST_MAJOR) {
    newer(`${shown} is cloud assembly schema version ${version}, newer than the newest this cdk-mackerel knows (${_MANIFEST_MAJOR}.x.x); `
      + 'it is read as that one, so stacks or resources that only the newer schema describes might be missed: if so, upgrade cdk-mackerel');
  }
}

const STACK = 'aws:cloudformation:stack';
const NESTED_ASSEMBLY = 'cdk:cloud-assembly';
