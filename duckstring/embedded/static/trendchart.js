// On a Pond: its recent run durations and its staleness over time, drawn as SVG (no library),
// with the stale bounds of the alert rules watching it (docs/operating.md §5). Fetched once per
// selection and again when a run completes or fails.

import { api } from './api.js';
import { h, s } from './dom.js';
import { duration, span } from './format.js';
import { durationBars, scale, staleBounds, stalenessPoints } from './trend.js';

const W = 300;
const H = 70; // each of the two plots
const PAD = { left: 36, right: 6, top: 8, bottom: 4 };

function axisLabel(y, text) {
  return s('text', { x: PAD.left - 4, y, class: 'axis', 'text-anchor': 'end' }, text);
}

function durationsPlot(bars, x) {
  const top = Math.max(1, ...bars.map((b) => b.seconds));
  const y = scale([0, top], [H - PAD.bottom, PAD.top]);
  const width = Math.max(2, Math.min(10, (W - PAD.left - PAD.right) / Math.max(bars.length, 1) - 1));
  return s('g', { class: 'plot durations' },
    s('title', {}, 'Run durations'),
    axisLabel(PAD.top + 4, duration(top)), axisLabel(H - PAD.bottom, '0'),
    bars.map((b) => s('rect', {
      x: x(b.at) - width / 2, y: y(b.seconds), width, height: Math.max(1, y(0) - y(b.seconds)),
      class: `bar st-${b.status === 'passed' ? 'success' : b.status}`,
    }, s('title', {}, `${b.status}: ${duration(b.seconds)}`))));
}

function stalenessPlot(points, bounds, x) {
  const top = Math.max(1, ...points.map(([, v]) => v), ...bounds.map((b) => b.seconds * 1.1));
  const y = scale([0, top], [H - PAD.bottom, PAD.top]);
  const line = points.map(([at, v]) => `${x(at).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  return s('g', { class: 'plot staleness', transform: `translate(0 ${H})` },
    s('title', {}, 'Staleness over time'),
    axisLabel(PAD.top + 4, span(Math.round(top))), axisLabel(H - PAD.bottom, '0'),
    points.length ? s('polyline', { points: line, class: 'stale-line' }) : null,
    bounds.map((b) => s('g', { class: 'bound', 'data-alert': b.name },
      s('line', { x1: PAD.left, x2: W - PAD.right, y1: y(b.seconds), y2: y(b.seconds) }),
      s('text', { x: W - PAD.right, y: y(b.seconds) - 2, 'text-anchor': 'end' },
        `${b.name}: ${span(b.seconds)}`))));
}

export function chart(runs, alerts, pond, nowMs) {
  const bars = durationBars(runs);
  const points = stalenessPoints(runs, nowMs);
  const bounds = staleBounds(alerts, pond);
  const times = [...bars.map((b) => b.at), ...points.map(([at]) => at)];
  const x = scale([Math.min(...times, nowMs), nowMs], [PAD.left + 4, W - PAD.right - 4]);
  return s('svg', {
    class: 'trend', viewBox: `0 0 ${W} ${2 * H}`, role: 'img',
    'aria-label': `${pond.id}: ${bars.length} recent run durations and staleness over time`,
  }, durationsPlot(bars, x), stalenessPlot(points, bounds, x));
}

export function trendSection(pond) {
  const body = h('div', { class: 'trend-body' }, h('p', { class: 'muted small' }, 'Loading…'));
  const el = h('section', { class: 'panel-section', 'aria-labelledby': 'trend-h' },
    h('h3', { id: 'trend-h' }, 'Trend'),
    h('p', { class: 'muted small' }, 'Recent run durations (top) and staleness over time (bottom); dashed: alert bounds.'),
    body);
  let seen = null;
  const update = (p) => {
    const key = `${p.runs_completed}|${p.failures}|${p.runs_started}`;
    if (key === seen) return;
    seen = key;
    const q = new URLSearchParams({ pond: p.name, major: p.major, limit: 50 });
    Promise.all([api(`api/runs?${q}`), api('api/alerts').catch(() => ({ alerts: [] }))])
      .then(([{ runs }, { alerts }]) => {
        if (seen !== key) return;
        body.replaceChildren(runs.length ? chart(runs, alerts, p, Date.now())
          : h('p', { class: 'muted small' }, 'No runs yet.'));
      }, () => {
        seen = null; // try again on the next update
      });
  };
  return { el, update };
}
