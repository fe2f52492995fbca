import { Stage, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { _readingFinalValues } from '../_lazy';
import { _inTree } from '../_references';
import { _describeProblem } from '../_validation';
import { MackerelProvider } from '../provider/provider';

/**
 * A kind of construct that the checks look up by key across the app (services by name, roles
 * by full name, dashboards by URL path...): the keys of a construct of that kind, none for others.
 * A construct of a kind calls `_keyedConstructAdded` once its keys are set: the index is kept
 * until one is added, or a Stage's validation starts.
 * @internal
 */
export interface _KeyedKind {
  keysOf(construct: IConstruct): readonly string[];
}

/**
 * Registers a synth-time check that no other construct of the app creates the same Mackerel
 * object in the same organization: Mackerel names are unique, so the second create would fail at
 * deploy time, in the middle of a rollout. Callers skip names that are tokens. Constructs whose
 * stacks' providers are known to reach different organizations (a pipeline's dev and prod stages,
 * each with its own key) may repeat a name; a stack without a provider, which fails synth anyway,
 * counts as shared.
 *
 * @param construct the construct that creates the object
 * @param key the object's identity (`service` or `service:role`), or how to read it at validation when a Lazy makes it known only then
 * @param kind the constructs of the same kind, by their identity
 * @internal
 */
export function _checkUniqueInApp(construct: IConstruct, property: string, value: string, key: string | (() => string | undefined),
  kind: _KeyedKind, what: string): void {
  _addLookupValidation(construct, () => {
    const known = typeof key === 'string' ? key : key();
    if (known === undefined) return [];
    const first = _firstInOrganization(construct, kind, known);
    return first && first !== construct
      // A token is shown as the name it ends with, as synthesis writes it.
      ? [_describeProblem(property, Token.isUnresolved(value) ? known : value, `creates the same ${what} as ${first.node.path}`, `${what} names unique in the Mackerel organization`,
        'Create it once and pass the construct around, or reference the existing one')]
      : [];
  });
}

/**
 * The first construct of the app, in tree order, of `kind` with `key` among its keys that
 * `matches` and reaches the same Mackerel organization as `construct` (as `_checkUniqueInApp`
 * counts organizations), or undefined; one removed from the tree is left out, as `_keyedInApp`
 * leaves it. Only for validations added with `_addLookupValidation`.
 * @internal
 */
export function _firstInOrganization(construct: IConstruct, kind: _KeyedKind, key: string,
  matches: (other: IConstruct) => boolean = () => true): IConstruct | undefined {
  // Out of the tree as `_allInOrganization`: a validation run outside synth keeps the index of the
  // last one, which may hold a construct removed since (`tryRemoveChild`).
  return _keyedInApp(construct, kind, key).find((other) => matches(other) && sameOrganization(construct, other));
}

/**
 * Every construct of the app, in tree order, of `kind` with `key` among its keys that reaches the
 * same Mackerel organization as `construct`. Only for validations added with `_addLookupValidation`.
 * @internal
 */
export function _allInOrganization(construct: IConstruct, kind: _KeyedKind, key: string): IConstruct[] {
  return _keyedInApp(construct, kind, key).filter((other) => sameOrganization(construct, other));
}

/**
 * Every construct of the app under `construct`'s root, in tree order (preorder, as `findAll`),
 * of `kind` with `key` among its keys, whatever its organization: what a walk of the app would
 * find, for the lookups that walked it. Only for validations added with `_addLookupValidation`,
 * or for Aspects, which run before a Stage's validation starts the index afresh: a keyed
 * construct added since (by an Aspect too) starts it afresh all the same, and one removed from
 * the tree since (`tryRemoveChild`) is left out here.
 * @internal
 */
export function _keyedInApp(construct: IConstruct, kind: _KeyedKind, key: string): IConstruct[] {
  return (byKey(construct.node.root, kind).get(key) ?? []).filter(_inTree);
}

/**
 * Adds a validation to `construct` that looks constructs up with `_firstInOrganization`,
 * `_allInOrganization` or `_keyedInApp`. Each
 * validation of a Stage (CDK validates one Stage at a time, its own node first) starts with a
 * fresh index: constructs may have been removed (`tryRemoveChild`), and a key made of a `Lazy`
 * changed, since the last synth, and Aspects add constructs before validating. `validate` reads
 * final values (`_readingFinalValues`): a Lazy name that no template holds (an import no construct
 * uses) may not have produced yet, and resolving it there is what synthesis would do.
 * @internal
 */
export function _addLookupValidation(construct: IConstruct, validate: () => string[]): void {
  const stage = Stage.of(construct);
  if (stage && !STAGES_STARTING_AFRESH.has(stage)) {
    STAGES_STARTING_AFRESH.add(stage);
    stage.node.addValidation({ validate: () => { generation++; return []; } });
  }
  construct.node.addValidation({ validate: () => _readingFinalValues(validate) });
}

/** To be called by a construct of a `_KeyedKind` once its keys are set: a validation run outside synth (`node.validate()`) sees it. @internal */
export function _keyedConstructAdded(): void {
  generation++;
}

/**
 * Looking every construct of the app over for each check (a whole-app walk for each import,
 * service, metadata and consumer of a name) made synth quadratic: the app's constructs are walked once for as long as
 * no keyed construct is added and no validation pass starts, and each kind's keys read once.
 */
let generation = 0;
const STAGES_STARTING_AFRESH = new WeakSet<IConstruct>();
interface Index { readonly generation: number; readonly all: IConstruct[]; readonly byKind: Map<_KeyedKind, Map<string, IConstruct[]>> }
const INDEXES = new WeakMap<IConstruct, Index>();

/** The constructs of `kind` of the app under `root`, by key, each key's in tree order (preorder, as `findAll`). */
function byKey(root: IConstruct, kind: _KeyedKind): Map<string, IConstruct[]> {
  let index = INDEXES.get(root);
  if (index?.generation !== generation) {
    index = { generation, all: root.node.findAll(), byKind: new Map() };
    INDEXES.set(root, index);
  }
  let keyed = index.byKind.get(kind);
  if (!keyed) {
    keyed = new Map();
    for (const construct of index.all) {
      for (const key of new Set(kind.keysOf(construct))) {
        const constructs = keyed.get(key);
        if (constructs) constructs.push(construct);
        else keyed.set(key, [construct]);
      }
    }
    index.byKind.set(kind, keyed);
  }
  return keyed;
}

function sameOrganization(a: IConstruct, b: IConstruct): boolean {
  const providerA = MackerelProvider._tryFind(a);
  const providerB = MackerelProvider._tryFind(b);
  return !providerA || !providerB || providerA._sameOrganization(providerB);
}
