// node --test: a table's versions from the kept runs (duckstring/embedded/static/tables.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { tableVersions } from '../../duckstring/embedded/static/tables.js';

test('each version is listed once, newest first, with the first run that published it', () => {
  const runs = [ // newest first, as GET api/ponds/{name}/tables answers
    { freshness: 'F3', run: 'r3', tables: { a: 2, b: 0 } },
    { freshness: 'F2', run: 'r2', tables: { a: 1, b: 0 } },
    { freshness: 'F1', run: 'r1', tables: { a: 0, b: 0 } },
  ];
  assert.deepEqual(tableVersions(runs), {
    a: [{ version: 2, freshness: 'F3', run: 'r3' }, { version: 1, freshness: 'F2', run: 'r2' },
      { version: 0, freshness: 'F1', run: 'r1' }],
    b: [{ version: 0, freshness: 'F1', run: 'r1' }],
  });
  assert.deepEqual(tableVersions([]), {});
  assert.deepEqual(tableVersions([{ freshness: 'F', run: 'r' }]), {});
});
