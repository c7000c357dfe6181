// node --test: the web UI's state store and the live feed's pacing (store.js, live.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ApiError } from '../../duckstring/embedded/static/api.js';
import { nextDelay, startLive } from '../../duckstring/embedded/static/live.js';
import { createStore, elapsed, pondOf } from '../../duckstring/embedded/static/store.js';

test('subscribers see each change with the state before it', () => {
  const store = createStore({ selected: 'a@1' });
  const seen = [];
  const stop = store.subscribe((state, prev) => seen.push([prev.selected, state.selected, state.now]));
  store.set({ now: 5 });
  store.set({ selected: null });
  stop();
  store.set({ selected: 'b@1' });
  assert.deepEqual(seen, [['a@1', 'a@1', 5], ['a@1', null, 5]]);
  assert.equal(store.state.selected, 'b@1');
  assert.equal(store.state.connection.state, 'connecting');
});

test('a subscriber may change the state while being told of a change', () => {
  const store = createStore();
  const order = [];
  store.subscribe((state) => {
    order.push(`first:${state.selected}`);
    if (state.selected === 'gone@1') store.set({ selected: null });
  });
  store.subscribe((state) => order.push(`second:${state.selected}`));
  store.set({ selected: 'gone@1' });
  assert.equal(store.state.selected, null);
  assert.deepEqual(order.slice(0, 3), ['first:gone@1', 'first:null', 'second:null']);
});

test('pondOf and elapsed read the document', () => {
  const doc = { ponds: [{ id: 'a@1' }, { id: 'b@1' }] };
  const state = createStore({ doc, receivedAt: 1000, now: 3500 }).state;
  assert.equal(pondOf(state, 'b@1'), doc.ponds[1]);
  assert.equal(pondOf(state, 'c@1'), null);
  assert.equal(pondOf(state, null), null);
  assert.equal(elapsed(state), 2.5);
  assert.equal(elapsed({ ...state, now: 0 }), 0);
});

test('the live loop honours retry_s in answers and refusals, and backs off when unreachable', async () => {
  const script = [
    () => ({ version: 1, ponds: [] }),
    () => ({ version: 2, ponds: [], retry_s: 2 }), // answered, but asked to slow down
    () => { throw new ApiError(503, 'busy', 'busy', 3); },
    () => { throw new ApiError(0, 'cannot reach the Catchment', 'network'); },
    () => { throw new ApiError(0, 'cannot reach the Catchment', 'network'); },
    () => ({ version: 2, ponds: [] }),
  ];
  const paths = [];
  const waits = [];
  let now = 0;
  const statuses = [];
  const connection = [];
  let live;
  await new Promise((resolve) => {
    live = startLive({
      onStatus: (doc) => statuses.push(doc.version),
      onConnection: (state) => connection.push(state),
      clock: () => now,
      call: async (path) => {
        paths.push(path);
        now += 40; // each answer takes 40 ms
        const step = script.shift() || (() => ({ version: 2, ponds: [] })); // steady once the script ends
        if (!script.length) resolve();
        return step();
      },
      sleep: async (ms) => waits.push(ms),
    });
  });
  await live.stop();
  assert.deepEqual(statuses.slice(0, 3), [1, 2, 2]); // after losing the Catchment the document is taken afresh
  assert.deepEqual(waits.slice(0, 6), [60, 2000, 3000, 500, 1000, 60]); // quick answers are paced to 10 a second
  assert.deepEqual(connection.slice(0, 6), ['live', 'live', 'busy', 'offline', 'offline', 'live']);
  assert.equal(paths[0], 'api/status');
  assert.match(paths[2], /since=2&wait=/); // busy keeps the version: no full reload
  assert.equal(paths[4], 'api/status'); // lost: start over
  assert.equal(nextDelay(undefined, 0), 0);
  assert.equal(nextDelay(undefined, 0, 25000), 0); // a long-poll that waited goes again at once
  assert.equal(nextDelay(0.25, 4000), 250);
});
