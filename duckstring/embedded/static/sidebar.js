// The sidebar: the selected Pond's state (for a failed one, the failing Ripple's message with
// its traceback a click away), why it is in it, its published tables and their versions, its triggers (model.md §7) with a preview of
// what one would run, control verbs (§10), retry budgets, Windows, and Remove. Built once per
// selection; each status update refreshes the state and leaves forms being edited alone. With nothing selected it shows the legend.

import { VERB_NEEDS, applyLevel, callerLevel } from './access.js';
import { act, resultLine } from './action.js';
import { api, pondPath } from './api.js';
import { budgetSection } from './budget.js';
import { clear, h } from './dom.js';
import { previewSection, whySection } from './explain.js';
import { age, clock, noOutput, span, staleness, statusLine, triggerLabel } from './format.js';
import { elapsed, pondOf } from './store.js';
import { tablesSection } from './tables.js';
import { tideForm } from './tideform.js';
import { trendSection } from './trendchart.js';
import { windowsSection } from './windows.js';

const STATUSES = [
  ['running', 'a run is in flight'],
  ['queued', 'holds demand it cannot serve yet'],
  ['idle', 'at rest'],
  ['blocked', 'a required Source failed, was killed or is missing'],
  ['failed', 'a run gave up after its retries'],
  ['killed', 'stopped by Kill; Clear or Wake revives it'],
];

function verbButton(pond, out, verb, label, hint, body, done) {
  const button = h('button', { type: 'button', 'data-verb': verb, 'data-need': VERB_NEEDS[verb], title: hint }, label);
  button.addEventListener('click', () => act(button, out,
    () => api(pondPath(pond, verb), { method: 'POST', body: typeof body === 'function' ? body() : body }),
    done || `${label} sent`));
  return button;
}

function confirming(button, ask) {
  // A destructive verb takes two clicks: the first arms it for a few seconds.
  const label = button.textContent;
  let timer = null;
  const disarm = () => {
    clearTimeout(timer);
    timer = null;
    button.textContent = label;
    button.classList.remove('armed');
  };
  button.addEventListener('click', (event) => {
    if (timer) {
      disarm();
      return;
    }
    event.stopImmediatePropagation();
    button.textContent = ask;
    button.classList.add('armed');
    timer = setTimeout(disarm, 4000);
  }, { capture: true });
  button.addEventListener('blur', disarm);
  return button;
}

function pondLink(id, onSelect) {
  return h('button', { type: 'button', class: 'link', onClick: () => onSelect(id) }, id);
}

function row(label, ...value) {
  return [h('dt', {}, label), h('dd', {}, ...value)];
}

function ageText(p, since) {
  const s = staleness(p, since);
  return s === null ? '' : ` · ${age(s)} ago`;
}

function stateRows(p, doc, onSelect, since) {
  const sinks = doc.edges.filter(([a]) => a === p.id).map(([, b]) => b);
  const rows = [
    row('Status', h('span', { class: `chip st-${p.status}` }, p.status), ' ', statusLine(p) !== p.status ? statusLine(p) : ''),
    row('Freshness', p.end_f ? clock(p.end_f) : noOutput(p), p.end_f ? h('span', { class: 'muted', 'data-side-age': '' }, ageText(p, since)) : ''),
  ];
  if (p.start_f !== p.end_f && !p.is_failed && !p.is_killed) rows.push(row('Running to', clock(p.start_f)));
  rows.push(row('Changed', p.changed_f ? clock(p.changed_f) : '—'));
  rows.push(row('Demand', [
    p.has_pull ? h('span', { class: 'chip demand-pull' }, 'pull') : null,
    p.targets.length ? h('span', { class: 'chip demand-push' }, `push to ${p.targets.map(clock).join(', ')}`) : null,
    !p.has_pull && !p.targets.length ? 'none' : null,
  ]));
  rows.push(row('Trigger', triggerLabel(p.trigger) || 'none'));
  if (p.blocked_by.length) rows.push(row('Blocked by', p.blocked_by.map((id) => pondLink(id, onSelect))));
  if (p.missing_sources.length) rows.push(row('Missing', p.missing_sources.join(', ')));
  if (p.sources && p.sources.length) {
    rows.push(row('Sources', p.sources.map((src) => h('span', { class: 'src' },
      pondLink(src.id, onSelect), src.required ? '' : h('span', { class: 'muted' }, ' optional')))));
  }
  if (sinks.length) rows.push(row('Sinks', sinks.map((id) => pondLink(id, onSelect))));
  rows.push(row('Runs', `${p.runs_completed} completed of ${p.runs_started} started`));
  if (p.duck) rows.push(row('Duck', `${p.duck.launcher}${p.duck.node ? ` on ${p.duck.node}` : ''}`));
  if (p.failures) rows.push(row('Failures', `${p.failures} since the last success${p.failed_f ? `, at ${clock(p.failed_f)}` : ''}`));
  return rows;
}

function triggersSection(pond) {
  const out = resultLine();
  const tide = h('button', { type: 'submit', 'data-verb': 'tide', 'data-need': 'demand', title: 'Standing push: keep the output no older than the bound' }, 'Tide');
  const form = tideForm(pond, out, { id: 'tide-bound', label: 'Tide bound', button: tide,
    submit: (seconds) => act(tide, out, () => api(pondPath(pond, 'tide'), { method: 'POST', body: { bound_s: seconds } }),
      `Tide set: fresh within ${span(seconds)}`) });
  return h('section', { class: 'panel-section', 'aria-labelledby': 'triggers-h' },
    h('h3', { id: 'triggers-h' }, 'Triggers'),
    h('div', { class: 'buttons' },
      verbButton(pond, out, 'tap', 'Tap', 'Pull once: run when the Sources have something newer'),
      verbButton(pond, out, 'pulse', 'Pulse', 'Push once: bring this Pond up to now, running its lineage',
        undefined, (r) => `Pulse sent: target ${clock(r.target)}`),
      verbButton(pond, out, 'wave', 'Wave', 'Standing pull: keep running at the pace of the slowest upstream',
        undefined, 'Wave set'),
      verbButton(pond, out, 'untrigger', 'Remove', 'Drop the standing trigger; demand in flight drains',
        undefined, 'Standing trigger removed')),
    form, out);
}

function controlSection(pond) {
  const out = resultLine();
  const upstream = h('input', { type: 'checkbox', id: 'sleep-upstream' });
  return h('section', { class: 'panel-section', 'aria-labelledby': 'control-h' },
    h('h3', { id: 'control-h' }, 'Control'),
    h('div', { class: 'buttons' },
      verbButton(pond, out, 'wake', 'Wake', 'Clear a fault, then run once when the input allows'),
      verbButton(pond, out, 'force', 'Force', 'Clear a fault and re-run now at the same freshness'),
      verbButton(pond, out, 'sleep', 'Sleep', 'Drop demand and the standing trigger (the current run finishes)',
        () => ({ upstream: upstream.checked }), () => (upstream.checked ? 'Slept, with upstream' : 'Slept')),
      confirming(verbButton(pond, out, 'kill', 'Kill', 'Stop the current run and hold the Pond killed (click twice)'), 'Kill now?'),
      verbButton(pond, out, 'clear', 'Clear', 'Reset failed or killed to idle without running')),
    h('label', { class: 'check' }, upstream, 'Sleep also puts every upstream Pond to sleep'),
    out);
}

function removeSection(pond, onRemoved) {
  // Retire the line (`DELETE api/ponds/{name}?major=`): two clicks, like Kill.
  const out = resultLine();
  const button = h('button', {
    type: 'button', class: 'danger', 'data-verb': 'remove-pond', 'data-need': 'full',
    title: `Stop ${pond.id}'s work and its Duck and take it out of the graph (click twice)`,
  }, 'Remove Pond');
  button.addEventListener('click', () => act(button, out,
    () => api(pondPath(pond), { method: 'DELETE' }), () => {
      onRemoved(`${pond.id} removed: its work and its Duck are stopped; its run history is kept.`);
      return `${pond.id} removed`;
    }));
  return h('section', { class: 'panel-section', 'aria-labelledby': 'remove-h' },
    h('h3', { id: 'remove-h' }, 'Remove'),
    h('p', { class: 'muted small' }, `Stops ${pond.id}'s work and its Duck and takes the line out of the graph; its Sinks will show it as a missing Source. Its run history is kept.`),
    h('div', { class: 'buttons' }, confirming(button, `Remove ${pond.id}?`)),
    out);
}

function failingAttempt(run) {
  // The attempt that made the run fail: the last failed one, else the run itself (a refused
  // publish or a lost Duck has no failed attempt of its own).
  const failed = (run.ripples || []).filter((a) => a.status === 'failed');
  const a = failed[failed.length - 1];
  return a ? { ripple: a.ripple, error: a.error || run.error, traceback: a.traceback || run.traceback }
    : { ripple: null, error: run.error, traceback: run.traceback };
}

function errorBox() {
  // The Pond's error; for a failed Pond, which Ripple failed and its traceback one click away,
  // from the newest failed run (fetched once per failure).
  const heading = h('p', { class: 'pond-error-head', hidden: true });
  const message = h('div', { class: 'pond-error-msg' });
  const pre = h('pre');
  const tb = h('details', { class: 'tb', hidden: true }, h('summary', {}, 'Traceback'), pre);
  const el = h('div', { class: 'pond-error', role: 'alert', hidden: true }, heading, message, tb);
  let fetched = null;
  const update = (p) => {
    el.hidden = !p.error;
    message.textContent = p.error || '';
    if (!p.is_failed) {
      heading.hidden = true;
      tb.hidden = true;
      fetched = null;
      return;
    }
    const key = `${p.failed_f}|${p.failures}`;
    if (key === fetched) return;
    fetched = key;
    const q = new URLSearchParams({ pond: p.name, major: p.major, status: 'failed', limit: 1, ripples: 'true' });
    api(`api/runs?${q}`).then(({ runs }) => {
      if (fetched !== key || !runs.length) return;
      const failing = failingAttempt(runs[0]);
      heading.hidden = !failing.ripple;
      heading.textContent = failing.ripple ? `Ripple ${failing.ripple} failed` : '';
      if (failing.error) message.textContent = failing.error;
      tb.hidden = !failing.traceback;
      pre.textContent = failing.traceback || '';
    }, () => {
      fetched = null; // try again on the next update
    });
  };
  return { el, update };
}

export function createSidebar(el, store, { onSelect }) {
  let current = null; // { key, parts }
  let notice = null; // said once in the legend, after the selected Pond was removed

  const legend = () => h('div', { class: 'legend' },
    notice ? h('p', { class: 'result ok notice', role: 'status' }, notice) : null,
    h('h2', {}, 'Nothing selected'),
    h('p', { class: 'muted' }, 'Select a Pond on the canvas (click it, or Tab to it and press Enter) to see its state, trigger it, and read its runs.'),
    h('h3', {}, 'Colours'),
    h('ul', {}, STATUSES.map(([status, meaning]) => h('li', {}, h('span', { class: `chip st-${status}` }, status), ` ${meaning}`))),
    h('h3', {}, 'Demand'),
    h('ul', {},
      h('li', {}, h('span', { class: 'chip demand-pull' }, 'pull'), ' wants a run when its Sources have something newer (Tap, Wave)'),
      h('li', {}, h('span', { class: 'chip demand-push' }, 'push'), ' must reach a freshness target (Pulse, Tide)')),
    h('h3', {}, 'Keys'),
    h('ul', { class: 'muted' },
      h('li', {}, 'Tab / Enter: select a Pond; Esc: back'),
      h('li', {}, 'On the canvas: + − zoom, 0 fit, arrows pan')));

  const build = (p) => {
    const state = h('dl', { class: 'state' });
    const budget = budgetSection(p);
    const windows = p.sources && p.sources.length ? null : windowsSection(p);
    const close = h('button', { type: 'button', class: 'icon', 'aria-label': 'Close', title: 'Close (Esc)', onClick: () => onSelect(null) }, '✕');
    const error = errorBox();
    const why = whySection(p);
    const trend = trendSection(p);
    const published = tablesSection(p);
    budget.el.dataset.need = 'full';
    if (windows) windows.el.dataset.need = 'full';
    clear(el).append(
      h('header', { class: 'panel-head' },
        h('div', {}, h('h2', { id: 'panel-title', tabindex: -1 }, p.name), h('p', { class: 'muted' }, `${p.kind} · v${p.version} · line ${p.id}`)),
        close),
      error.el,
      h('section', { class: 'panel-section', 'aria-labelledby': 'state-h' }, h('h3', { id: 'state-h', class: 'sr-only' }, 'State'), state),
      why.el,
      trend.el,
      published.el,
      triggersSection(p),
      previewSection(p),
      controlSection(p),
      budget.el,
      windows ? windows.el : h('section', { class: 'panel-section' }, h('h3', {}, 'Windows'),
        h('p', { class: 'muted' }, 'Windows belong to Inlets; this Pond runs when its Sources do.')),
      removeSection(p, (said) => {
        notice = said;
        if (!current) clear(el).append(legend()); // the line left the status before the answer came
      }));
    return { state, error, why, budget, windows, trend, published };
  };

  const show = (state) => {
    const pond = pondOf(state, state.selected);
    if (!pond) {
      if (current !== null || !el.firstChild) clear(el).append(legend());
      current = null;
      return;
    }
    const key = `${pond.id}/${pond.version}`;
    if (!current || current.key !== key) current = { key, parts: build(pond) };
    const { state: rows, error, why, budget, windows, trend, published } = current.parts;
    clear(rows).append(...stateRows(pond, state.doc, onSelect, elapsed(state)).flat());
    error.update(pond);
    why.update(pond);
    budget.update(pond);
    if (windows) windows.update(pond);
    trend.update(pond);
    published.update(pond);
    applyLevel(el, callerLevel(state.doc));
  };

  show(store.state);
  store.subscribe((state, prev) => {
    if (state.selected !== prev.selected && state.selected) notice = null;
    if (state.doc !== prev.doc || state.selected !== prev.selected) show(state);
    else if (state.now !== prev.now) {
      const pond = pondOf(state, state.selected);
      const cell = el.querySelector('[data-side-age]');
      if (pond && cell) cell.textContent = ageText(pond, elapsed(state));
    }
  });
}
