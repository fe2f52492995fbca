import { expect } from 'vitest';

// Asset hashes change whenever a handler bundle or an agent config changes; snapshots must
// only change when the template itself does.
const ASSET_HASH = /[0-9a-f]{64}/;
expect.addSnapshotSerializer({
  test: (val: unknown) => typeof val === 'string' && ASSET_HASH.test(val),
  serialize: (val: string) => JSON.stringify(val.replace(new RegExp(ASSET_HASH.source, 'g'), '[ASSET HASH]')),
});
