// node --test: the web UI's human formats (duckstring/embedded/static/format.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  age, duration, freshness, freshnessShort, parseSpan, shortAge, span, staleness, statusLine, triggerLabel,
} from '../../duckstring/embedded/static/format.js';

test('age reads as the two leading units', () => {
  assert.equal(age(null), 'never');
  assert.equal(age(-3), '0s');
  assert.equal(age(59.9), '59s');
  assert.equal(age(61), '1m 01s');
  assert.equal(age(3 * 3600 + 5 * 60), '3h 05m');
  assert.equal(age(2 * 86400 + 7 * 3600), '2d 7h');
});

test('shortAge keeps the leading unit only', () => {
  assert.deepEqual([0, 12, 60, 3599, 3600, 86399, 86400 * 3].map(shortAge), ['0s', '12s', '1m', '59m', '1h', '23h', '3d']);
});

test('duration is precise when short', () => {
  assert.equal(duration(undefined), '—');
  assert.equal(duration(0.1234), '0.12s');
  assert.equal(duration(12.34), '12.3s');
  assert.equal(duration(75), '1m 15s');
});

test('span and parseSpan round-trip', () => {
  assert.equal(span(90), '1m30s');
  assert.equal(span(4 * 3600), '4h');
  assert.equal(span(0.4), '0.4s');
  for (const [text, seconds] of [['90', 90], ['90s', 90], ['15m', 900], ['1h30m', 5400], [' 1d ', 86400], ['2.5s', 2.5]]) {
    assert.equal(parseSpan(text), seconds, text);
    if (Number.isInteger(seconds) && seconds >= 1) assert.equal(parseSpan(span(seconds)), seconds);
  }
  for (const bad of ['', 'soon', '5x', '1h 30', 'h']) assert.ok(Number.isNaN(parseSpan(bad)), bad);
});

const pond = (over) => ({
  status: 'idle', failures: 0, blocked_by: [], staleness_s: null, runs_started: 0, ...over,
});

test('statusLine names the cause', () => {
  assert.equal(statusLine(pond()), 'idle');
  assert.equal(statusLine(pond({ status: 'failed', failures: 1 })), 'failed');
  assert.equal(statusLine(pond({ status: 'failed', failures: 3 })), 'failed ×3');
  assert.equal(statusLine(pond({ status: 'blocked', blocked_by: ['feed@1', 'prices@2'] })), 'blocked by feed@1, prices@2');
  assert.equal(statusLine(pond({ status: 'blocked' })), 'blocked');
});

test('triggerLabel', () => {
  assert.equal(triggerLabel(null), null);
  assert.equal(triggerLabel({ type: 'wave' }), 'Wave');
  assert.equal(triggerLabel({ type: 'tide', bound_s: 14400 }), 'Tide 4h');
});

test('freshness keeps counting after the document arrived, and says why there is no age', () => {
  assert.equal(freshness(pond(), 5), 'never ran');
  assert.equal(freshness(pond({ runs_started: 2 }), 5), 'no output yet');
  assert.equal(freshness(pond({ staleness_s: 58 }), 3), 'fresh 1m 01s ago');
  assert.equal(freshness(pond({ staleness_s: 10 }), -4), 'fresh 10s ago'); // clocks never run back
  assert.equal(freshnessShort(pond({ staleness_s: 3700 }), 0), '1h');
  assert.equal(freshnessShort(pond(), 0), 'never');
  assert.equal(freshnessShort(pond({ runs_started: 1 }), 0), 'no output');
  assert.equal(staleness(pond({ staleness_s: 0 }), 2), 2);
});
