import { IConstruct } from 'constructs';
import { _describeProblem } from '../_validation';
import { MackerelProvider } from '../provider/provider';

/**
 * Registers a synth-time check that no other construct of the app creates the same Mackerel
 * object in the same organization: Mackerel names are unique, so the second create would fail at
 * deploy time, in the middle of a rollout. Callers skip names that are tokens. Constructs whose
 * stacks' providers are known to reach different organizations (a pipeline's dev and prod stages,
 * each with its own key) may repeat a name; a stack without a provider, which fails synth anyway,
 * counts as shared.
 *
 * @param construct the construct that creates the object
 * @param key the object's identity (`service` or `service:role`)
 * @param keyOf the identity of another construct of the same kind, or undefined for other kinds
 * @internal
 */
export function _checkUniqueInApp(construct: IConstruct, property: string, value: string, key: string,
  keyOf: (other: IConstruct) => string | undefined, what: string): void {
  construct.node.addValidation({
    validate: () => {
      const first = _firstInOrganization(construct, (other) => keyOf(other) === key);
      return first && first !== construct
        ? [_describeProblem(property, value, `creates the same ${what} as ${first.node.path}`, `${what} names unique in the Mackerel organization`,
          'Create it once and pass the construct around, or reference the existing one')]
        : [];
    },
  });
}

/**
 * The first construct of the app, in tree order, that `matches` and reaches the same Mackerel
 * organization as `construct` (as `_checkUniqueInApp` counts organizations), or undefined.
 * @internal
 */
export function _firstInOrganization(construct: IConstruct, matches: (other: IConstruct) => boolean): IConstruct | undefined {
  return construct.node.root.node.findAll().find((other) => matches(other) && sameOrganization(construct, other));
}

function sameOrganization(a: IConstruct, b: IConstruct): boolean {
  const providerA = MackerelProvider._tryFind(a);
  const providerB = MackerelProvider._tryFind(b);
  return !providerA || !providerB || providerA._sameOrganization(providerB);
}
