// node --test: the caller's level (access.js) and the trend chart's numbers (trend.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { VERB_NEEDS, allows, callerLevel, refusal } from '../../duckstring/embedded/static/access.js';
import { durationBars, scale, staleBounds, stalenessPoints } from '../../duckstring/embedded/static/trend.js';

test('levels are ordered and an open Catchment allows everything', () => {
  assert.equal(callerLevel(null), 'full');
  assert.equal(callerLevel({ caller: { name: 'analyst', level: 'read' } }), 'read');
  assert.ok(allows('demand', 'read') && allows('demand', 'demand') && !allows('demand', 'full'));
  assert.ok(!allows('read', VERB_NEEDS.pulse) && allows('demand', VERB_NEEDS.pulse));
  assert.ok(!allows('demand', VERB_NEEDS.kill) && allows('full', VERB_NEEDS.kill));
  assert.ok(!allows('demand', 'a-need-nobody-named') && allows('full', 'a-need-nobody-named'));
  assert.equal(refusal('read', 'demand'), 'Needs a demand key (this one is read)');
  assert.equal(refusal('full', 'demand'), null);
});

const T = Date.parse('2026-01-05T09:00:00Z');
const at = (s) => new Date(T + s * 1000).toISOString().replace('.000', '');

test('run durations are the finished runs, oldest first', () => {
  const runs = [
    { finished_at: at(60), duration_s: 2, status: 'failed' },
    { finished_at: null, duration_s: null, status: 'running' },
    { finished_at: at(10), duration_s: 5, status: 'success' },
  ];
  assert.deepEqual(durationBars(runs), [
    { at: T + 10_000, seconds: 5, status: 'success' }, { at: T + 60_000, seconds: 2, status: 'failed' }]);
});

test('staleness is a sawtooth: it drops at each completed run and grows to now', () => {
  const runs = [
    { f: at(100), finished_at: at(104), status: 'success' },
    { f: at(0), finished_at: at(3), status: 'success' },
    { f: at(50), finished_at: at(55), status: 'failed' }, // a failure freshens nothing
  ];
  assert.deepEqual(stalenessPoints(runs, T + 110_000), [
    [T + 3000, 3], [T + 104_000, 104], [T + 104_000, 4], [T + 110_000, 10]]);
  assert.deepEqual(stalenessPoints([], T), []);
});

test('the stale bounds drawn are those of rules covering the line', () => {
  const pond = { name: 'sales', id: 'sales@1' };
  const alerts = [
    { name: 'all', ponds: [], stale_s: 7200 },
    { name: 'mine', ponds: ['sales@1'], stale_s: 60 },
    { name: 'other', ponds: ['hr'], stale_s: 30 },
    { name: 'failures', ponds: [], stale_s: null },
  ];
  assert.deepEqual(staleBounds(alerts, pond), [{ name: 'all', seconds: 7200 }, { name: 'mine', seconds: 60 }]);
  const x = scale([0, 10], [100, 200]);
  assert.equal(x(5), 150);
  assert.equal(scale([3, 3], [7, 9])(3), 7);
});
