// Graph layout, pure (layered, after Sugiyama): nodes in columns by dependency depth (longest
// path from a root), left to right. An edge that skips columns gets a lane in every column it
// crosses: a thin node that is ordered and spaced like a box, so no box can sit where the edge
// passes. Rows are ordered by barycentre sweeps to cut crossings; each node is then placed as
// level with its neighbours as the column's order and spacing allow. An edge runs straight
// through its own lanes and curves only in the channels between columns, so it touches no box
// but its own two ends. Ponds on the canvas and the Ripples inside a box are laid out alike.

export const M = {
  boxMinW: 264, pad: 12, headH: 76, chipW: 104, chipMaxW: 184, chipChar: 6.9, chipH: 24, chipGapX: 24, chipGapY: 8,
  colGap: 116, rowGap: 36, laneH: 2, laneGap: 12, chipLaneGap: 6, sweeps: 6,
};

const LANE = '\u0001'; // lane ids start with a character no Pond or Ripple name has

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

function orderColumns(cols, parents, children, sweeps) {
  // Barycentre heuristic: sort each column by the mean row of its neighbours in the columns
  // already placed, alternating left-to-right and right-to-left sweeps.
  const row = new Map();
  const index = (col) => col.forEach((id, i) => row.set(id, i / Math.max(1, col.length - 1)));
  cols.forEach(index);
  const sortBy = (col, neighbours) => {
    const key = new Map(col.map((id) => [id, mean(neighbours(id).map((n) => row.get(n))) ?? row.get(id)]));
    col.sort((a, b) => key.get(a) - key.get(b));
    index(col);
  };
  for (let s = 0; s < sweeps; s++) {
    if (s % 2 === 0) for (let c = 1; c < cols.length; c++) sortBy(cols[c], parents);
    else for (let c = cols.length - 2; c >= 0; c--) sortBy(cols[c], children);
  }
}

function offsets(col, size, gap) {
  // Each node's top when the column is stacked from 0 with the gaps between neighbours.
  const out = [];
  let run = 0;
  col.forEach((id, i) => {
    if (i) run += size(col[i - 1]).h + gap(col[i - 1], id);
    out.push(run);
  });
  return out;
}

function pack(col, wanted, size, gap) {
  // Tops as close as possible (least squares) to the wanted ones, keeping the column's order
  // and the gaps: isotonic regression by pool-adjacent-violators on wanted − stacked offset.
  const offset = offsets(col, size, gap);
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
  // Start with every column stacked and centred, then pull each node level with its
  // neighbours (Sources on the way right, Sinks on the way back), ending with a rightward pass
  // so chains run straight.
  const y = new Map();
  for (const col of cols) {
    const tops = offsets(col, size, gap);
    const height = col.length ? tops[tops.length - 1] + size(col[col.length - 1]).h : 0;
    col.forEach((id, i) => y.set(id, tops[i] - height / 2));
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

function spread(count, top, height) {
  return Array.from({ length: count }, (_, k) => top + (height * (k + 1)) / (count + 1));
}

function layered(ids, links, size, { colGap, gap, laneGap, sweeps, placeSweeps }) {
  // Lay out the DAG `links` ([from, to] pairs) over `ids`; boxes of size(id) = { w, h }.
  const parentsOf = new Map(ids.map((id) => [id, []]));
  for (const [a, b] of links) parentsOf.get(b).push(a);
  const depth = longestPath(ids, (id) => parentsOf.get(id));

  // The layered graph: a link that skips columns runs through one lane per column it crosses;
  // the links of one Source share its lanes, and part where their Sinks are.
  const cols = [];
  const put = (id, d) => {
    while (cols.length <= d) cols.push([]);
    cols[d].push(id);
  };
  ids.forEach((id) => put(id, depth.get(id)));
  const up = new Map(ids.map((id) => [id, new Set()]));
  const down = new Map(ids.map((id) => [id, new Set()]));
  const chains = links.map(([a, b]) => {
    const chain = [a];
    for (let d = depth.get(a) + 1; d < depth.get(b); d++) {
      const lane = `${LANE}${a}#${d}`;
      if (!depth.has(lane)) {
        depth.set(lane, d);
        up.set(lane, new Set());
        down.set(lane, new Set());
        put(lane, d);
      }
      chain.push(lane);
    }
    chain.push(b);
    for (let k = 1; k < chain.length; k++) {
      down.get(chain[k - 1]).add(chain[k]);
      up.get(chain[k]).add(chain[k - 1]);
    }
    return chain;
  });
  const upList = new Map([...up].map(([id, set]) => [id, [...set]]));
  const downList = new Map([...down].map(([id, set]) => [id, [...set]]));
  const isLane = (id) => id.startsWith(LANE);
  const sizeOf = (id) => (isLane(id) ? { w: 0, h: M.laneH } : size(id));
  const gapOf = (a, b) => {
    if (isLane(a) && isLane(b)) return laneGap / 2;
    return isLane(a) || isLane(b) ? laneGap : gap;
  };
  const parents = (id) => upList.get(id);
  const children = (id) => downList.get(id);
  orderColumns(cols, parents, children, sweeps);
  const y = place(cols, sizeOf, parents, children, gapOf, placeSweeps);

  // columns: boxes left-aligned in their column; lanes span its whole width
  const left = [];
  const right = [];
  let x = 0;
  for (const col of cols) {
    left.push(x);
    x += Math.max(0, ...col.map((id) => sizeOf(id).w));
    right.push(x);
    x += colGap;
  }
  const boxes = new Map(ids.map((id) => {
    const { w, h } = size(id);
    return [id, { x: left[depth.get(id)], y: y.get(id), w, h, depth: depth.get(id) }];
  }));

  // Ports: a box's incoming edges spread down its left side in the order of the heights they
  // arrive from (outgoing likewise on the right, one port per lane or Sink), so parallel edges
  // never cross at the box.
  const centre = (id) => y.get(id) + sizeOf(id).h / 2;
  const routed = chains.map((chain) => ({ from: chain[0], to: chain[chain.length - 1], chain }));
  const ins = new Map(ids.map((id) => [id, new Map()])); // box → neighbour → setters
  const outs = new Map(ids.map((id) => [id, new Map()]));
  const join = (groups, via, set) => groups.set(via, [...(groups.get(via) || []), set]);
  for (const e of routed) {
    join(ins.get(e.to), e.chain[e.chain.length - 2], (v) => { e.y2 = v; });
    join(outs.get(e.from), e.chain[1], (v) => { e.y1 = v; });
  }
  for (const id of ids) {
    const box = boxes.get(id);
    const inset = Math.min(8, box.h / 4);
    for (const groups of [ins.get(id), outs.get(id)]) {
      const vias = [...groups.keys()].sort((p, q) => centre(p) - centre(q));
      spread(vias.length, box.y + inset, box.h - 2 * inset)
        .forEach((py, k) => groups.get(vias[k]).forEach((set) => set(py)));
    }
  }
  const edges = routed.map(({ from, to, chain, y1, y2 }) => {
    const a = boxes.get(from);
    const points = [[a.x + a.w, y1]];
    if (a.x + a.w < right[a.depth]) points.push([right[a.depth], y1]);
    for (const lane of chain.slice(1, -1)) {
      const d = depth.get(lane);
      points.push([left[d], centre(lane)], [right[d], centre(lane)]);
    }
    points.push([boxes.get(to).x, y2]);
    return { from, to, points };
  });
  const width = Math.max(0, ...[...boxes.values()].map((b) => b.x + b.w));
  const height = Math.max(0, ...[...y].map(([id, top]) => top + sizeOf(id).h));
  return { boxes, edges, width, height };
}

export function edgePath(points, trim = 0) {
  // SVG path data through the points: straight where level, else a curve that leaves and
  // arrives horizontally and stays between the two points' x (inside the channel). The last
  // point is pulled back by `trim` to leave room for an arrowhead.
  const pts = points.map(([x, y], i) => [i === points.length - 1 ? x - trim : x, y]);
  let d = `M${pts[0][0]} ${pts[0][1]}`;
  for (let i = 1; i < pts.length; i++) {
    const [x0, y0] = pts[i - 1];
    const [x1, y1] = pts[i];
    if (y0 === y1) d += ` H${x1}`;
    else {
      const mx = (x0 + x1) / 2;
      d += ` C${mx} ${y0} ${mx} ${y1} ${x1} ${y1}`;
    }
  }
  return d;
}

function dag(ids, pairs) {
  const known = new Set(ids);
  const seen = new Set();
  return pairs.filter(([a, b]) => {
    const key = `${a}>${b}`;
    if (!known.has(a) || !known.has(b) || a === b || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function layoutRipples(ripples) {
  const names = ripples.map((r) => r.name);
  const links = dag(names, ripples.flatMap((r) => (r.parents || []).map((p) => [p, r.name])));
  // chips as wide as the longest name needs (monospace), within bounds
  const chipW = Math.round(Math.min(M.chipMaxW,
    Math.max(M.chipW, ...names.map((n) => n.length * M.chipChar + 30))));
  const { boxes, edges, width, height } = layered(names, links, () => ({ w: chipW, h: M.chipH }), {
    colGap: M.chipGapX, gap: M.chipGapY, laneGap: M.chipLaneGap, sweeps: M.sweeps, placeSweeps: 2,
  });
  return { w: width, h: height, chips: boxes, edges };
}

export function layoutGraph(ponds, edges) {
  const ids = ponds.map((p) => p.id);
  const inner = new Map(ponds.map((p) => [p.id, layoutRipples(p.ripples || [])]));
  const sizes = new Map(ponds.map((p) => {
    const r = inner.get(p.id);
    return [p.id, { w: Math.max(M.boxMinW, r.w + 2 * M.pad), h: M.headH + (r.h ? r.h + M.pad : 0) }];
  }));
  const out = layered(ids, dag(ids, edges), (id) => sizes.get(id), {
    colGap: M.colGap, gap: M.rowGap, laneGap: M.laneGap, sweeps: M.sweeps, placeSweeps: 3,
  });
  for (const [id, box] of out.boxes) {
    const r = inner.get(id);
    // the Ripple block centred horizontally under the head
    Object.assign(box, { ripples: r, innerX: (box.w - r.w) / 2, innerY: M.headH });
  }
  return out;
}

export function topologyKey(doc) {
  // Layout changes only when Ponds, Ripples or edges do; state changes reuse the layout.
  return JSON.stringify([
    doc.ponds.map((p) => [p.id, (p.ripples || []).map((r) => [r.name, r.parents])]),
    doc.edges,
  ]);
}
