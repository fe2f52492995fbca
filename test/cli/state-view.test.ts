import { describe, expect, test } from 'vitest';
import { _emptyState, _memoryStore, _StateFile, _stateStackView } from '../../src/cli/state';

const STACK_ID = 'arn:aws:cloudformation:ap-northeast-1:123456789012:stack/Shop/cdk-mackerel-local';

describe('the view of a stack apply gives the handler, from its state', () => {
  test('a resource holds an object while the state has it with that physical ID, not one it let go of for another', async () => {
    const state: _StateFile = _emptyState();
    state.stacks.Shop = {
      stackId: STACK_ID,
      resources: { A: { type: 'Custom::MackerelService', physicalId: 'cart', properties: { name: 'cart' }, data: {} } },
    };
    const view = _stateStackView(_memoryStore(state));

    await expect(view.holds(STACK_ID, 'A', 'cart', 0)).resolves.toBe(true);
    // A swapped names with another resource: the service it had is not its own any more
    await expect(view.holds(STACK_ID, 'A', 'shop', 0)).resolves.toBe(false);
    await expect(view.holds(STACK_ID, 'B', 'cart', 0)).resolves.toBe(false);
    await expect(view.holds(STACK_ID.replace('Shop/', 'Cart/'), 'A', 'cart', 0)).resolves.toBe(false);
  });
});
