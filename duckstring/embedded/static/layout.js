// Graph layout, pure: Ponds in columns by dependency depth (longest path from an Inlet), left
// to right; rows ordered by barycentre sweeps to cut crossings; each box then placed as level
// with its neighbours as the column's order and spacing allow. Inside a box the Ripples get
// the same treatment on a small scale.

export const M = {
  boxMinW: 264, pad: 12, headH: 76, chipW: 104, chipMaxW: 184, chipChar: 6.9, chipH: 24, chipGapX: 24, chipGapY: 8,
  colGap: 116, rowGap: 36, sweeps: 6,
};

function longestPath(ids, parentsOf) {
  const depth = new Map();
  const visiting = new Set();
  const visit = (id) => {
    if (depth.has(id)) return depth.get(id);
    if (visiting.has(id)) return 0; // a cycle cannot deploy; never loop on one anyway
    visiting.add(id);
    let d = 0;
    for (const p of parentsOf(id)) d = Math.max(d, visit(p) + 1);
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  ids.forEach(visit);
  return depth;
}

function mean(values) {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

function columnsOf(ids, depth) {
  const cols = [];
  for (const id of ids) {
    const d = depth.get(id);
    while (cols.length <= d) cols.push([]);
    cols[d].push(id);
  }
  return cols;
}

function orderColumns(cols, parents, children, sweeps) {
  // Barycentre heuristic: sort each column by the mean row of its neighbours in the columns
  // already placed, alternating left-to-right and right-to-left sweeps.
  const row = new Map();
  const index = () => cols.forEach((col) => col.forEach((id, i) => row.set(id, i / Math.max(1, col.length - 1))));
  index();
  const sortBy = (col, neighbours) => {
    const key = new Map(col.map((id) => [id, mean(neighbours(id).map((n) => row.get(n))) ?? row.get(id)]));
    col.sort((a, b) => key.get(a) - key.get(b));
    col.forEach((id, i) => row.set(id, i / Math.max(1, col.length - 1)));
  };
  for (let s = 0; s < sweeps; s++) {
    if (s % 2 === 0) for (let c = 1; c < cols.length; c++) sortBy(cols[c], parents);
    else for (let c = cols.length - 2; c >= 0; c--) sortBy(cols[c], children);
  }
  index();
}

function pack(col, wanted, size, gap) {
  // Tops as close as possible (least squares) to the wanted ones, keeping the column's order
  // and the gaps: isotonic regression by pool-adjacent-violators on wanted − stacked offset.
  const offset = [];
  let run = 0;
  for (const id of col) {
    offset.push(run);
    run += size(id).h + gap;
  }
  const blocks = []; // { sum, n }
  col.forEach((id, i) => {
    blocks.push({ sum: wanted(id) - offset[i], n: 1 });
    while (blocks.length > 1) {
      const last = blocks[blocks.length - 1];
      const prev = blocks[blocks.length - 2];
      if (prev.sum / prev.n <= last.sum / last.n) break;
      prev.sum += last.sum;
      prev.n += last.n;
      blocks.pop();
    }
  });
  const y = new Map();
  let i = 0;
  for (const b of blocks) {
    for (let k = 0; k < b.n; k++, i++) y.set(col[i], b.sum / b.n + offset[i]);
  }
  return y;
}

function place(cols, size, parents, children, gap, sweeps) {
  // Start with every column stacked and centred, then pull each box level with its
  // neighbours (Sources on the way right, Sinks on the way back), ending with a rightward pass
  // so chains run straight.
  const y = new Map();
  for (const col of cols) {
    const height = col.reduce((sum, id) => sum + size(id).h + gap, -gap);
    let top = -height / 2;
    for (const id of col) {
      y.set(id, top);
      top += size(id).h + gap;
    }
  }
  const centre = (id) => y.get(id) + size(id).h / 2;
  const align = (col, neighbours) => {
    const wanted = (id) => {
      const m = mean(neighbours(id).map(centre));
      return m === null ? y.get(id) : m - size(id).h / 2;
    };
    for (const [id, top] of pack(col, wanted, size, gap)) y.set(id, top);
  };
  for (let s = 0; s < sweeps; s++) {
    for (let c = 1; c < cols.length; c++) align(cols[c], parents);
    for (let c = cols.length - 2; c >= 0; c--) align(cols[c], children);
  }
  for (let c = 1; c < cols.length; c++) align(cols[c], parents);
  const min = Math.min(...y.values());
  for (const [id, v] of y) y.set(id, v - min);
  return y;
}

export function layoutRipples(ripples) {
  const names = ripples.map((r) => r.name);
  const known = new Set(names);
  const parentsOf = new Map(ripples.map((r) => [r.name, (r.parents || []).filter((p) => known.has(p))]));
  const childrenOf = new Map(names.map((n) => [n, []]));
  for (const [n, ps] of parentsOf) ps.forEach((p) => childrenOf.get(p).push(n));
  const parents = (n) => parentsOf.get(n);
  const children = (n) => childrenOf.get(n);
  const cols = columnsOf(names, longestPath(names, parents));
  orderColumns(cols, parents, children, M.sweeps);
  // chips as wide as the longest name needs (monospace), within bounds
  const chipW = Math.round(Math.min(M.chipMaxW,
    Math.max(M.chipW, ...names.map((n) => n.length * M.chipChar + 30))));
  const size = () => ({ w: chipW, h: M.chipH });
  const y = place(cols, size, parents, children, M.chipGapY, 2);
  const chips = new Map();
  cols.forEach((col, c) => col.forEach((n) => chips.set(n, {
    x: c * (chipW + M.chipGapX), y: y.get(n), w: chipW, h: M.chipH,
  })));
  const w = cols.length ? cols.length * chipW + (cols.length - 1) * M.chipGapX : 0;
  const h = Math.max(0, ...[...chips.values()].map((c) => c.y + c.h));
  return { w, h, chips };
}

function spread(count, top, height) {
  return Array.from({ length: count }, (_, k) => top + (height * (k + 1)) / (count + 1));
}

export function layoutGraph(ponds, edges) {
  const ids = ponds.map((p) => p.id);
  const known = new Set(ids);
  const parentsOf = new Map(ids.map((id) => [id, []]));
  const childrenOf = new Map(ids.map((id) => [id, []]));
  const links = edges.filter(([a, b]) => known.has(a) && known.has(b) && a !== b);
  for (const [a, b] of links) {
    parentsOf.get(b).push(a);
    childrenOf.get(a).push(b);
  }
  const parents = (id) => parentsOf.get(id);
  const children = (id) => childrenOf.get(id);
  const inner = new Map(ponds.map((p) => [p.id, layoutRipples(p.ripples || [])]));
  const sizes = new Map(ponds.map((p) => {
    const r = inner.get(p.id);
    const h = M.headH + (r.h ? r.h + M.pad : 0);
    return [p.id, { w: Math.max(M.boxMinW, r.w + 2 * M.pad), h }];
  }));
  const size = (id) => sizes.get(id);
  const depth = longestPath(ids, parents);
  const cols = columnsOf(ids, depth);
  orderColumns(cols, parents, children, M.sweeps);
  const y = place(cols, size, parents, children, M.rowGap, 3);

  const boxes = new Map();
  let x = 0;
  cols.forEach((col, c) => {
    const width = Math.max(...col.map((id) => size(id).w));
    for (const id of col) {
      const { w, h } = size(id);
      const r = inner.get(id);
      boxes.set(id, {
        x, y: y.get(id), w, h, depth: c, ripples: r,
        // centre the Ripple block horizontally in the box
        innerX: (w - r.w) / 2, innerY: M.headH,
      });
    }
    x += width + M.colGap;
  });

  // Ports: a box's incoming edges spread down its left side in the order of their Sources'
  // heights (outgoing likewise on the right), so parallel edges never cross at the box.
  const centre = (id) => boxes.get(id).y + boxes.get(id).h / 2;
  const outPort = new Map();
  const inPort = new Map();
  for (const id of ids) {
    const b = boxes.get(id);
    const ins = [...parents(id)].sort((p, q) => centre(p) - centre(q));
    spread(ins.length, b.y + 8, b.h - 16).forEach((py, k) => inPort.set(`${ins[k]}>${id}`, py));
    const outs = [...children(id)].sort((p, q) => centre(p) - centre(q));
    spread(outs.length, b.y + 8, b.h - 16).forEach((py, k) => outPort.set(`${id}>${outs[k]}`, py));
  }
  const routed = links.map(([a, b]) => {
    const from = boxes.get(a);
    const to = boxes.get(b);
    return {
      from: a, to: b,
      x1: from.x + from.w, y1: outPort.get(`${a}>${b}`),
      x2: to.x, y2: inPort.get(`${a}>${b}`),
    };
  });
  const width = Math.max(0, ...[...boxes.values()].map((b) => b.x + b.w));
  const height = Math.max(0, ...[...boxes.values()].map((b) => b.y + b.h));
  return { boxes, edges: routed, width, height };
}

export function topologyKey(doc) {
  // Layout changes only when Ponds, Ripples or edges do; state changes reuse the layout.
  return JSON.stringify([
    doc.ponds.map((p) => [p.id, (p.ripples || []).map((r) => [r.name, r.parents])]),
    doc.edges,
  ]);
}
