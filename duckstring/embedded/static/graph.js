// The canvas: the Pond graph as SVG. Each Pond is a box (status colours, name, version,
// freshness age, standing trigger, demand) holding its Ripples and their edges; Source→Sink
// edges run between boxes. Layout is recomputed only when the topology changes.

import { clear, s } from './dom.js';
import { age, span } from './format.js';
import { layoutGraph, M, topologyKey } from './layout.js';
import { panZoom } from './panzoom.js';

const CHAR = 0.6; // average glyph width in em for the UI font, to fit text without measuring

function fit(text, px, fontSize) {
  const max = Math.max(1, Math.floor(px / (fontSize * CHAR)));
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}

function pill(x, y, label, cls, anchor = 'start') {
  const w = Math.ceil(label.length * 11 * CHAR + 14);
  const left = anchor === 'end' ? x - w : x;
  return [s('g', { class: `pill ${cls}`, transform: `translate(${left} ${y})` },
    s('rect', { width: w, height: 18, rx: 9 }),
    s('text', { x: w / 2, y: 13, 'text-anchor': 'middle' }, label)), w];
}

export function triggerLabel(trigger) {
  if (!trigger) return null;
  return trigger.type === 'tide' ? `Tide ${span(trigger.bound_s)}` : 'Wave';
}

export function statusLine(p) {
  if (p.status === 'failed') return p.failures > 1 ? `failed ×${p.failures}` : 'failed';
  if (p.status === 'blocked' && p.blocked_by.length) return `blocked by ${p.blocked_by.join(', ')}`;
  return p.status;
}

function ripplesOf(p, box) {
  const { chips } = box.ripples;
  const byName = new Map(p.ripples.map((r) => [r.name, r]));
  const edges = p.ripple_edges.filter(([a, b]) => chips.has(a) && chips.has(b)).map(([a, b]) => {
    const from = chips.get(a);
    const to = chips.get(b);
    const x1 = from.x + from.w;
    const y1 = from.y + from.h / 2;
    const x2 = to.x;
    const y2 = to.y + to.h / 2;
    const dx = (x2 - x1) / 2;
    return s('path', { class: 'ripple-edge', d: `M${x1} ${y1} C${x1 + dx} ${y1} ${x2 - dx} ${y2} ${x2} ${y2}` });
  });
  const nodes = [...chips].map(([name, c]) => {
    const r = byName.get(name);
    return s('g', { class: `ripple rs-${r.status}`, transform: `translate(${c.x} ${c.y})` },
      s('title', {}, `${name} — ${r.status}${r.always_run ? ' · always runs' : ''}\nfreshness ${r.end_f || 'never'}`),
      s('rect', { width: c.w, height: c.h, rx: 6 }),
      s('text', { x: 9, y: 16 }, fit(name, c.w - (r.has_pull ? 24 : 16), 11.5)),
      r.has_pull ? s('circle', { class: 'ripple-pull', cx: c.w - 9, cy: c.h / 2, r: 3 }) : null);
  });
  return s('g', { class: 'ripples', transform: `translate(${box.innerX} ${box.innerY})` }, edges, nodes);
}

const BIG = 40; // the overview font: names alone, readable when zoomed far out

function overview(name, w, h) {
  // Centred in the box: one line when it fits, else two, broken at the underscore (or the
  // space) nearest the middle.
  const fits = Math.floor((w - 16) / (BIG * CHAR));
  let lines = [name];
  if (name.length > fits) {
    const cuts = [...name.matchAll(/[_\s-]/g)].map((m) => m.index);
    const cut = cuts.sort((a, b) => Math.abs(a - name.length / 2) - Math.abs(b - name.length / 2))[0];
    lines = cut === undefined ? [name] : [name.slice(0, cut + 1), name.slice(cut + 1)];
  }
  const top = h / 2 + BIG * 0.36 - ((lines.length - 1) * BIG) / 2;
  return s('text', { class: 'overview', x: w / 2, y: top, 'text-anchor': 'middle' },
    lines.map((line, i) => s('tspan', { x: w / 2, dy: i ? BIG : 0 }, fit(line, w - 16, BIG))));
}

function pondBox(p, box, selected, title) {
  const w = box.w;
  const pad = M.pad;
  const version = p.version ? `v${p.version}` : '';
  const versionW = version.length * 12 * CHAR;
  const trigger = triggerLabel(p.trigger);
  const demand = [];
  if (p.has_pull) demand.push(['pull', 'demand-pull']);
  if (p.targets.length) demand.push([p.targets.length > 1 ? `push ×${p.targets.length}` : 'push', 'demand-push']);
  let right = w - pad;
  const demandPills = demand.map(([label, cls]) => {
    const [el, pw] = pill(right, 52, label, cls, 'end');
    right -= pw + 6;
    return el;
  });
  const [triggerPill] = trigger ? pill(w - pad, 29, trigger, 'trigger', 'end') : [null];
  return s('g', {
    class: `pond st-${p.status}${selected ? ' sel' : ''}`, transform: `translate(${box.x} ${box.y})`,
    tabindex: 0, role: 'button', 'data-id': p.id,
    'aria-label': `${p.id} ${p.version || ''}, ${p.status}`, 'aria-pressed': selected ? 'true' : 'false',
  },
  s('title', {}, `${p.id} · ${p.kind} · ${statusLine(p)}${p.error ? `\n${p.error}` : ''}`),
  s('rect', { class: 'halo', x: -5, y: -5, width: w + 10, height: box.h + 10, rx: 14 }),
  s('rect', { class: 'pond-box', width: w, height: box.h, rx: 10 }),
  s('path', { class: 'pond-head', d: `M0 10 A10 10 0 0 1 10 0 H${w - 10} A10 10 0 0 1 ${w} 10 V${M.headH - 8} H0 Z` }),
  s('g', { class: 'detail' },
    s('circle', { class: 'status-dot', cx: pad + 5, cy: 20, r: 5 }),
    s('text', { class: 'pond-name', x: pad + 16, y: 25 }, fit(title, w - 2 * pad - 24 - versionW, 14.5)),
    s('text', { class: 'pond-version', x: w - pad, y: 25, 'text-anchor': 'end' }, version),
    s('text', { class: 'pond-age', x: pad, y: 43, 'data-age': p.id }, ''),
    triggerPill,
    s('text', { class: 'pond-status', x: pad, y: 65 }, fit(statusLine(p), right - 2 * pad, 12)),
    demandPills),
  overview(title, w, box.h),
  box.ripples.chips.size ? s('line', { class: 'pond-rule', x1: pad, x2: w - pad, y1: M.headH - 4, y2: M.headH - 4 }) : null,
  ripplesOf(p, box));
}

function edgePath(e, optional, status, highlighted) {
  const dx = Math.max(36, (e.x2 - e.x1) / 2);
  return s('path', {
    class: `edge from-${status}${optional ? ' optional' : ''}${highlighted ? ' hl' : ''}`,
    d: `M${e.x1} ${e.y1} C${e.x1 + dx} ${e.y1} ${e.x2 - dx} ${e.y2} ${e.x2 - 7} ${e.y2}`,
    'marker-end': 'url(#arrow)', 'data-edge': `${e.from}>${e.to}`,
  });
}

export function createCanvas(host, { onSelect }) {
  const svg = host.querySelector('svg');
  const viewport = svg.querySelector('.viewport');
  const empty = host.querySelector('.canvas-empty');
  const view = panZoom(svg, viewport, {
    onZoom: (k) => svg.classList.toggle('far', k < 0.55),
  });
  let key = null;
  let layout = null;
  let doc = null;
  let receivedAt = 0;
  let selected = null;

  const ageText = (p) => {
    if (p.staleness_s === null) return p.runs_started ? 'no output yet' : 'never ran';
    return `fresh ${age(p.staleness_s + (performance.now() - receivedAt) / 1000)} ago`;
  };

  const render = () => {
    if (!doc) return;
    const focused = document.activeElement && document.activeElement.closest
      ? document.activeElement.closest('.pond') : null;
    const focusId = focused ? focused.dataset.id : null;
    const status = new Map(doc.ponds.map((p) => [p.id, p.status]));
    const majors = new Map(); // concurrent majors are separate boxes, titled with their major
    for (const p of doc.ponds) majors.set(p.name, (majors.get(p.name) || 0) + 1);
    const optional = new Set(doc.ponds.flatMap((p) => (p.sources || [])
      .filter((src) => !src.required).map((src) => `${src.id}>${p.id}`)));
    clear(viewport);
    viewport.append(
      s('g', { class: 'edges' }, layout.edges.map((e) => edgePath(e, optional.has(`${e.from}>${e.to}`),
        status.get(e.from), selected !== null && (e.from === selected || e.to === selected)))),
      s('g', { class: 'ponds' }, [...layout.boxes.keys()]
        .map((id) => doc.ponds.find((p) => p.id === id))
        .map((p) => pondBox(p, layout.boxes.get(p.id), p.id === selected,
          majors.get(p.name) > 1 ? `${p.name} @${p.major}` : p.name))),
    );
    tick();
    if (focusId) {
      const again = viewport.querySelector(`.pond[data-id="${CSS.escape(focusId)}"]`);
      if (again) again.focus({ preventScroll: true });
    }
  };

  const tick = () => {
    if (!doc) return;
    for (const p of doc.ponds) {
      const el = viewport.querySelector(`[data-age="${CSS.escape(p.id)}"]`);
      if (el) el.textContent = ageText(p);
    }
  };

  viewport.addEventListener('click', (event) => {
    const pond = event.target.closest('.pond');
    if (pond) onSelect(pond.dataset.id);
  });
  viewport.addEventListener('keydown', (event) => {
    const pond = event.target.closest('.pond');
    if (pond && (event.key === 'Enter' || event.key === ' ')) {
      event.preventDefault();
      onSelect(pond.dataset.id, { focusPanel: true }); // Esc brings the focus back here
    }
  });
  svg.addEventListener('click', (event) => {
    if (!event.target.closest('.pond')) onSelect(null);
  });
  host.querySelector('[data-zoom="in"]').addEventListener('click', () => view.zoomBy(1.25));
  host.querySelector('[data-zoom="out"]').addEventListener('click', () => view.zoomBy(0.8));
  host.querySelector('[data-zoom="fit"]').addEventListener('click', () => view.fit());
  new ResizeObserver(() => {
    if (layout && !view.moved) view.fit(); // keep the graph fitted until the person takes over
  }).observe(svg);

  setInterval(tick, 1000);

  return {
    update(next, at) {
      doc = next;
      receivedAt = at;
      const nextKey = topologyKey(doc);
      empty.hidden = doc.ponds.length > 0;
      if (nextKey !== key) {
        key = nextKey;
        layout = layoutGraph(doc.ponds, doc.edges);
        svg.setAttribute('aria-label', `Pond graph: ${doc.ponds.length} Ponds, ${layout.edges.length} edges`);
        view.fit(layout.width, layout.height);
      }
      render();
    },
    select(id) {
      selected = id;
      render();
      const box = id && layout ? layout.boxes.get(id) : null;
      if (box) view.reveal(box.x, box.y, box.w, box.h);
    },
  };
}
