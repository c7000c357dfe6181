// node --test: the web UI's graph layout (duckstring/embedded/static/layout.js). The central
// property: an edge touches no box but its own Source and Sink, checked on the routed points.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { edgePath, layoutGraph, layoutRipples, M, topologyKey } from '../../duckstring/embedded/static/layout.js';

function rng(seed) {
  // mulberry32: deterministic graphs for a seed
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function layeredDag(seed, layers, reach) {
  // Ponds in layers; each draws on 1–3 Ponds of earlier layers, up to `reach` layers back.
  const rand = rng(seed);
  const ponds = [];
  const edges = [];
  const byLayer = [];
  layers.forEach((size, depth) => {
    const layer = [];
    for (let i = 0; i < size; i++) {
      const id = `p${depth}_${i}@1`;
      const ripples = Array.from({ length: 1 + Math.floor(rand() * 3) }, (_, k) => ({
        name: `r${k}`, parents: k ? [`r${k - 1}`] : [],
      }));
      ponds.push({ id, ripples });
      if (depth) {
        const count = 1 + Math.floor(rand() * 3);
        for (let k = 0; k < count; k++) {
          const back = 1 + Math.floor(rand() * Math.min(reach, depth));
          const pool = byLayer[depth - back];
          edges.push([pool[Math.floor(rand() * pool.length)], id]);
        }
      }
      layer.push(id);
    }
    byLayer.push(layer);
  });
  return { ponds, edges };
}

function samples(points) {
  // Points along the routed edge, as graph.js draws it (edgePath): straight where level, else
  // a cubic with horizontal tangents.
  const out = [];
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1];
    const [x1, y1] = points[i];
    const mx = (x0 + x1) / 2;
    for (let k = 0; k <= 32; k++) {
      const t = k / 32;
      const u = 1 - t;
      const x = y0 === y1 ? x0 + (x1 - x0) * t : u * u * u * x0 + 3 * u * u * t * mx + 3 * u * t * t * mx + t * t * t * x1;
      const y = y0 === y1 ? y0 : u * u * u * y0 + 3 * u * u * t * y0 + 3 * u * t * t * y1 + t * t * t * y1;
      out.push([x, y]);
    }
  }
  return out;
}

const inside = (b, [x, y], margin = 0.5) => x > b.x + margin && x < b.x + b.w - margin && y > b.y + margin && y < b.y + b.h - margin;

function crossings(layout) {
  const found = [];
  for (const e of layout.edges) {
    for (const [id, box] of layout.boxes) {
      if (id === e.from || id === e.to) continue;
      if (samples(e.points).some((p) => inside(box, p))) found.push(`${e.from}>${e.to} under ${id}`);
    }
  }
  return found;
}

function overlaps(boxes) {
  const list = [...boxes];
  const found = [];
  list.forEach(([a, p], i) => list.slice(i + 1).forEach(([b, q]) => {
    if (p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h) found.push(`${a}/${b}`);
  }));
  return found;
}

test('an edge that skips a column runs through a lane, not under the box between', () => {
  // a → b → c and a → c, with b as tall as can be: a straight a → c would cross it
  const ripples = Array.from({ length: 6 }, (_, k) => ({ name: `step_${k}`, parents: k ? [`step_${k - 1}`] : [] }));
  const ponds = [{ id: 'a@1', ripples: [] }, { id: 'b@1', ripples }, { id: 'c@1', ripples: [] }, { id: 'x@1', ripples: [] }];
  const layout = layoutGraph(ponds, [['a@1', 'b@1'], ['b@1', 'c@1'], ['a@1', 'c@1'], ['x@1', 'b@1']]);
  assert.deepEqual(crossings(layout), []);
  const skip = layout.edges.find((e) => e.from === 'a@1' && e.to === 'c@1');
  const b = layout.boxes.get('b@1');
  const lane = skip.points.filter(([x]) => x >= b.x && x <= b.x + b.w);
  assert.ok(lane.length >= 2, 'the skipping edge crosses the middle column on a lane');
  assert.ok(lane.every(([, y]) => y < b.y || y > b.y + b.h), 'its lane is above or below b');
  assert.deepEqual(skip.points[0], [layout.boxes.get('a@1').x + layout.boxes.get('a@1').w, skip.points[0][1]]);
  assert.equal(skip.points.at(-1)[0], layout.boxes.get('c@1').x);
});

test('fifty Ponds in layers: no box overlaps another, no edge passes under a box', () => {
  for (const seed of [7, 11, 23]) {
    const { ponds, edges } = layeredDag(seed, [10, 12, 11, 9, 8], 2);
    const layout = layoutGraph(ponds, edges);
    assert.equal(layout.boxes.size, 50);
    assert.deepEqual(overlaps(layout.boxes), [], `seed ${seed}`);
    assert.deepEqual(crossings(layout), [], `seed ${seed}`);
    for (const box of layout.boxes.values()) {
      assert.ok(box.x + box.w <= layout.width + 1e-6 && box.y + box.h <= layout.height + 1e-6);
    }
  }
});

test('long skips over many columns stay clear too, and ports on a side never coincide', () => {
  const { ponds, edges } = layeredDag(5, [6, 8, 8, 8, 8, 8, 6], 6);
  const layout = layoutGraph(ponds, edges);
  assert.deepEqual(overlaps(layout.boxes), []);
  assert.deepEqual(crossings(layout), []);
  const unique = new Set(layout.edges.map((e) => `${e.from}>${e.to}`));
  for (const id of layout.boxes.keys()) {
    const ins = layout.edges.filter((e) => e.to === id).map((e) => e.points.at(-1)[1]);
    assert.equal(new Set(ins).size, ins.length, `ports of ${id}`);
  }
  assert.equal(layout.edges.length, unique.size, 'a repeated edge is drawn once');
});

test('edges into and out of unknown or same Ponds are dropped', () => {
  const layout = layoutGraph([{ id: 'a@1', ripples: [] }, { id: 'b@1', ripples: [] }],
    [['a@1', 'b@1'], ['a@1', 'a@1'], ['gone@1', 'b@1'], ['a@1', 'b@1']]);
  assert.deepEqual(layout.edges.map((e) => [e.from, e.to]), [['a@1', 'b@1']]);
  assert.ok(layout.boxes.get('a@1').x + M.boxMinW < layout.boxes.get('b@1').x);
});

test('Ripples inside a box are routed the same way', () => {
  const inner = layoutRipples([
    { name: 'load', parents: [] }, { name: 'clean', parents: ['load'] }, { name: 'other', parents: [] },
    { name: 'shape', parents: ['clean', 'other'] }, { name: 'publish', parents: ['shape', 'load'] },
  ]);
  const layout = { boxes: inner.chips, edges: inner.edges };
  assert.deepEqual(crossings(layout), []);
  assert.deepEqual(overlaps(inner.chips), []);
  assert.equal(inner.edges.length, 5);
  assert.ok(inner.w > 0 && inner.h >= M.chipH);
  assert.deepEqual(layoutRipples([]), { w: 0, h: 0, chips: new Map(), edges: [] });
});

test('edgePath draws level runs straight and keeps curves between their ends', () => {
  const d = edgePath([[0, 10], [50, 10], [150, 90], [200, 90]], 7);
  assert.equal(d, 'M0 10 H50 C100 10 100 90 150 90 H193');
  for (const [x] of samples([[50, 10], [150, 90]])) assert.ok(x >= 50 && x <= 150);
});

test('the layout key ignores state and follows topology', () => {
  const doc = (status, extra = []) => ({
    ponds: [{ id: 'a@1', status, ripples: [{ name: 'r', parents: [] }] }, ...extra], edges: [],
  });
  assert.equal(topologyKey(doc('idle')), topologyKey(doc('running')));
  assert.notEqual(topologyKey(doc('idle')), topologyKey(doc('idle', [{ id: 'b@1', ripples: [] }])));
});
