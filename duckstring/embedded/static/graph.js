// The canvas: the Pond graph as SVG. Each Pond is a box (status colours, name, version,
// freshness age, standing trigger, demand) holding its Ripples and their edges; Source→Sink
// edges run between boxes along the routes the layout gives them. Zoomed out, a box drops its
// detail for its essentials in large type: name, state and age. Layout is recomputed only when
// the topology changes.

import { clear, s } from './dom.js';
import { freshness, freshnessShort, statusLine, triggerLabel } from './format.js';
import { edgePath, layoutGraph, M, topologyKey } from './layout.js';
import { panZoom } from './panzoom.js';
import { elapsed } from './store.js';

const CHAR = 0.6; // average glyph width in em for the UI font, to fit text without measuring
const BOLD = 0.64; // the same for the overview's bold type, with room to spare
const FAR = 0.75; // below this scale the detail's 12.5 px text would render under 9.4 px
const OVERVIEW_MAX = 44;
const LEGIBLE = 9; // px: the smallest type a fitted view may show
const LINE = 1.1; // line height of the overview's name, in ems
const STATE = 0.8; // the state line's size against the name's
const STATE_CHARS = 13; // room kept on the state line: "running · 59m"

function fit(text, px, fontSize, char = CHAR) {
  const max = Math.max(1, Math.floor(px / (fontSize * char)));
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}

function pill(x, y, label, cls, anchor = 'start') {
  const w = Math.ceil(label.length * 11 * CHAR + 14);
  const left = anchor === 'end' ? x - w : x;
  return [s('g', { class: `pill ${cls}`, transform: `translate(${left} ${y})` },
    s('rect', { width: w, height: 18, rx: 9 }),
    s('text', { x: w / 2, y: 13, 'text-anchor': 'middle' }, label)), w];
}

function ripplesOf(p, box) {
  const { chips, edges } = box.ripples;
  const byName = new Map(p.ripples.map((r) => [r.name, r]));
  const paths = edges.map((e) => s('path', { class: 'ripple-edge', d: edgePath(e.points) }));
  const nodes = [...chips].map(([name, c]) => {
    const r = byName.get(name);
    return s('g', { class: `ripple rs-${r.status}`, transform: `translate(${c.x} ${c.y})` },
      s('title', {}, `${name} — ${r.status}${r.always_run ? ' · always runs' : ''}\nfreshness ${r.end_f || 'never'}`),
      s('rect', { width: c.w, height: c.h, rx: 6 }),
      s('text', { x: 9, y: 16 }, fit(name, c.w - (r.has_pull ? 24 : 16), 11.5)),
      r.has_pull ? s('circle', { class: 'ripple-pull', cx: c.w - 9, cy: c.h / 2, r: 3 }) : null);
  });
  return s('g', { class: 'ripples', transform: `translate(${box.innerX} ${box.innerY})` }, paths, nodes);
}

function nameLines(name, room, size) {
  // One line when it fits, else two, broken after the underscore (or space, or dash) nearest
  // the middle.
  if (name.length * size * BOLD <= room) return [name];
  const cuts = [...name.matchAll(/[_\s-]/g)].map((m) => m.index);
  const cut = cuts.sort((a, b) => Math.abs(a - name.length / 2) - Math.abs(b - name.length / 2))[0];
  return cut === undefined ? [name] : [name.slice(0, cut + 1), name.slice(cut + 1)];
}

function nameSize(name, w, h) {
  // The largest overview type that fits this box: name lines across, name and state down.
  const room = w - 24;
  const lines = nameLines(name, room, OVERVIEW_MAX);
  const across = room / (Math.max(...lines.map((l) => l.length)) * BOLD);
  const down = (h - 18) / (lines.length * LINE + STATE * 1.4);
  return Math.min(OVERVIEW_MAX, across, down);
}

const stateSize = (size, w, chars = STATE_CHARS) => Math.min(size * STATE, (w - 24) / (Math.max(chars, STATE_CHARS) * BOLD));

export function overviewType(layout, titles) {
  // One name size for every box, so the zoomed-out graph reads evenly (a box whose name needs
  // less takes less, instead of shrinking them all), and the smallest scale at which every
  // box's essentials stay legible: the least a fitted view may zoom out.
  const boxes = [...layout.boxes].map(([id, b]) => ({ w: b.w, fits: nameSize(titles.get(id), b.w, b.h) }));
  if (!boxes.length) return { size: OVERVIEW_MAX, minScale: FAR };
  const fits = boxes.map((b) => b.fits);
  const size = Math.max(Math.min(...fits), Math.min(28, Math.max(...fits)));
  const smallest = Math.min(...boxes.map((b) => stateSize(Math.min(size, b.fits), b.w)));
  return { size, minScale: Math.min(FAR, Math.max(0.25, LEGIBLE / smallest)) };
}

function overview(p, name, w, h, graphSize) {
  // The essentials in large type: the name on one or two lines, then the state and the
  // freshness age (which keeps ticking: `data-age-short`).
  const room = w - 24;
  const size = Math.min(graphSize, nameSize(name, w, h));
  const lines = nameLines(name, room, size);
  const small = stateSize(size, w, p.status.length + 3 + Math.max(3, freshnessShort(p, 0).length));
  const block = lines.length * size * LINE + small * 1.4;
  const top = (h - block) / 2;
  return s('g', { class: 'overview' },
    s('text', { class: 'overview-name', 'text-anchor': 'middle', 'font-size': size.toFixed(1) },
      lines.map((line, i) => s('tspan', { x: w / 2, y: (top + size * (0.9 + LINE * i)).toFixed(1) }, fit(line, room, size, BOLD)))),
    s('text', {
      class: 'overview-state', x: w / 2, y: (top + lines.length * size * LINE + small * 1.1).toFixed(1),
      'text-anchor': 'middle', 'font-size': small.toFixed(1),
    }, s('tspan', { class: 'overview-status' }, p.status), ' · ', s('tspan', { 'data-age-short': p.id }, '')));
}

function pondBox(p, box, selected, title, graphSize) {
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
    s('text', { class: 'pond-age', x: pad, y: 45, 'data-age': p.id }, ''),
    triggerPill,
    s('text', { class: 'pond-status', x: pad, y: 65 }, fit(statusLine(p), right - 2 * pad, 12.5)),
    demandPills),
  overview(p, title, w, box.h, graphSize),
  box.ripples.chips.size ? s('line', { class: 'pond-rule', x1: pad, x2: w - pad, y1: M.headH - 4, y2: M.headH - 4 }) : null,
  ripplesOf(p, box));
}

function edgeEl(e, optional, status, highlighted) {
  return s('path', {
    class: `edge from-${status}${optional ? ' optional' : ''}${highlighted ? ' hl' : ''}`,
    d: edgePath(e.points, 7), 'marker-end': 'url(#arrow)', 'data-edge': `${e.from}>${e.to}`,
  });
}

export function createCanvas(host, store, { onSelect }) {
  const svg = host.querySelector('svg');
  const viewport = svg.querySelector('.viewport');
  const empty = host.querySelector('.canvas-empty');
  const view = panZoom(svg, viewport, {
    onZoom: (k) => svg.classList.toggle('far', k < FAR),
  });
  let key = null;
  let layout = null;
  let titles = null; // id → the name a box shows
  let type = null; // the overview's type size, and the least scale that keeps it legible

  const render = ({ doc, selected }) => {
    if (!doc) return;
    const focused = document.activeElement && document.activeElement.closest
      ? document.activeElement.closest('.pond') : null;
    const focusId = focused ? focused.dataset.id : null;
    const byId = new Map(doc.ponds.map((p) => [p.id, p]));
    const optional = new Set(doc.ponds.flatMap((p) => (p.sources || [])
      .filter((src) => !src.required).map((src) => `${src.id}>${p.id}`)));
    clear(viewport);
    viewport.append(
      s('g', { class: 'edges' }, layout.edges.map((e) => edgeEl(e, optional.has(`${e.from}>${e.to}`),
        byId.get(e.from).status, selected !== null && (e.from === selected || e.to === selected)))),
      s('g', { class: 'ponds' }, [...layout.boxes].map(([id, box]) => pondBox(byId.get(id), box, id === selected, titles.get(id), type.size))),
    );
    tick(store.state);
    if (focusId) {
      const again = viewport.querySelector(`.pond[data-id="${CSS.escape(focusId)}"]`);
      if (again) again.focus({ preventScroll: true });
    }
  };

  const tick = (state) => {
    if (!state.doc) return;
    const since = elapsed(state);
    const byId = new Map(state.doc.ponds.map((p) => [p.id, p]));
    for (const el of viewport.querySelectorAll('[data-age]')) el.textContent = freshness(byId.get(el.dataset.age), since);
    for (const el of viewport.querySelectorAll('[data-age-short]')) {
      el.textContent = freshnessShort(byId.get(el.dataset.ageShort), since);
    }
  };

  const update = (doc) => {
    // True when the layout was made anew (and fitted).
    const nextKey = topologyKey(doc);
    empty.hidden = doc.ponds.length > 0;
    if (nextKey === key) return false;
    key = nextKey;
    layout = layoutGraph(doc.ponds, doc.edges);
    const majors = new Map(); // concurrent majors are separate boxes, titled with their major
    for (const p of doc.ponds) majors.set(p.name, (majors.get(p.name) || 0) + 1);
    titles = new Map(doc.ponds.map((p) => [p.id, majors.get(p.name) > 1 ? p.id : p.name]));
    type = overviewType(layout, titles);
    svg.setAttribute('aria-label', `Pond graph: ${doc.ponds.length} Ponds, ${layout.edges.length} edges`);
    view.fit(layout.width, layout.height, { minScale: type.minScale });
    return true;
  };

  store.subscribe((state, prev) => {
    const fresh = state.doc !== prev.doc && state.doc ? update(state.doc) : false;
    if (state.doc !== prev.doc || state.selected !== prev.selected) render(state);
    else if (state.now !== prev.now) tick(state);
    const box = state.selected && layout ? layout.boxes.get(state.selected) : null;
    if (box && (fresh || state.selected !== prev.selected)) view.reveal(box.x, box.y, box.w, box.h);
  });

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
}
