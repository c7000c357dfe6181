// node --test: the words of the sidebar's Why? and Preview (duckstring/embedded/static/explain.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { planRows, planSummary, whyItems } from '../../duckstring/embedded/static/explain.js';

test('whyItems walks a waited-on Source\'s own reasons, one level deeper', () => {
  const doc = {
    pond: 'reports@1', status: 'queued', reasons: [
      { kind: 'holds', rule: '§3, §9', text: 'holds a push target 12:00:03 UTC' },
      { kind: 'waits', rule: 'P4', text: 'waits for Source sales@1, itself waiting',
        upstream: { pond: 'sales@1', status: 'queued', reasons: [
          { kind: 'waits', rule: 'P4', text: 'waits for Source orders@1, running' }] } },
    ],
  };
  assert.deepEqual(whyItems(doc).map((i) => [i.rule, i.depth]), [['§3, §9', 0], ['P4', 0], ['P4', 1]]);
});

test('a plan reads as runs in order and when the target settles', () => {
  const plan = {
    pond: 'reports@1', status: 'idle', settles_at: null, settles_in_s: null,
    runs: [
      { pond: 'orders@1', executed: true, starts_in_s: 0, duration_s: 1.5 },
      { pond: 'reports@1', executed: false, starts_in_s: 1.5, duration_s: null },
    ],
  };
  assert.deepEqual(planRows(plan), [
    { at: '+0.00s', action: 'run', pond: 'orders@1', took: '1.50s' },
    { at: '+1.50s', action: 'pass', pond: 'reports@1', took: '' },
  ]);
  assert.match(planSummary(plan), /would not settle \(it ends idle\)/);
  assert.match(planSummary({ ...plan, settles_at: '2026-01-05T12:00:03Z', settles_in_s: 3 }),
    /^reports@1 would settle in 3.00s, at /);
});
