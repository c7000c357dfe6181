// Run history (`GET api/runs`): newest first, for the selected Pond (optionally with its
// upstream lineage) or for all, refreshed as the status moves (at most once a second). A row
// opens the run's detail, fetched then (`?run=ID&ripples=true`): every Ripple attempt, retries
// marked, and for failures the message and full traceback.

import { api } from './api.js';
import { clear, h } from './dom.js';
import { clock, duration } from './format.js';
import { pondOf } from './store.js';

const LIMIT = 50;
const SPACING_MS = 1000; // the list is fetched at most this often, however fast the status moves
const STATUSES = ['', 'running', 'success', 'failed', 'killed', 'passed'];

function elapsed(run) {
  if (run.duration_s !== null && run.duration_s !== undefined) return duration(run.duration_s);
  return run.started_at ? `${duration((Date.now() - Date.parse(run.started_at)) / 1000)}…` : '—';
}

function attemptDuration(a, run) {
  if (!a.started_at) return '—';
  const until = a.finished_at || run.finished_at; // an attempt cut short ends with its run
  const end = until ? Date.parse(until) : Date.now();
  return `${duration((end - Date.parse(a.started_at)) / 1000)}${until ? '' : '…'}`;
}

function attemptStatus(a, run) {
  // The run ended (killed, lost Duck) while this attempt had no result of its own.
  return a.status === 'running' && run.finished_at && !a.finished_at ? 'unfinished' : a.status;
}

function traceback(text, open) {
  return text ? h('details', { class: 'tb', open }, h('summary', {}, 'Traceback'), h('pre', {}, text)) : null;
}

function detail(run) {
  const attempts = run.ripples || [];
  const failed = attempts.filter((a) => a.error || a.traceback);
  const rows = attempts.flatMap((a) => {
    const main = h('tr', { class: `attempt as-${a.status}` },
      h('td', {}, a.ripple),
      h('td', {}, `#${a.attempt}`, a.attempt > 1 ? h('span', { class: 'chip retry' }, 'retry') : null),
      h('td', {}, h('span', { class: `chip rs-${attemptStatus(a, run)}` }, attemptStatus(a, run))),
      h('td', {}, clock(a.started_at)),
      h('td', { class: 'num' }, attemptDuration(a, run)),
      h('td', { class: 'err' }, a.error || ''));
    const extra = [];
    if (a.traceback) extra.push(traceback(a.traceback, a === failed[failed.length - 1]));
    if (a.log) extra.push(h('details', { class: 'log' }, h('summary', {}, 'Log'), h('pre', {}, a.log)));
    return extra.length ? [main, h('tr', { class: 'attempt-more' }, h('td', { colspan: 6 }, extra))] : [main];
  });
  const runTraceback = run.traceback && !attempts.some((a) => a.traceback === run.traceback);
  return h('div', { class: 'run-detail' },
    run.error ? h('p', { class: 'error-msg' }, run.error) : null,
    runTraceback ? traceback(run.traceback, true) : null,
    h('p', { class: 'muted' },
      `Run ${run.run_id} of ${run.id} v${run.version} to freshness ${run.f ? new Date(run.f).toISOString() : '—'}`,
      run.executed ? '' : ' · a pass: no input changed, nothing executed',
      run.changed === false ? ' · output unchanged' : '',
      run.launcher ? ` · its Duck ran on ${run.launcher}${run.node ? ` (${run.node})` : ''}` : ''),
    run.tables
      ? h('p', { class: 'muted table-versions' }, 'Published: ',
        Object.keys(run.tables).sort().map((t) => `${t} v${run.tables[t]}`).join(', '))
      : null,
    attempts.length
      ? h('table', { class: 'attempts' },
        h('thead', {}, h('tr', {}, ['Ripple', 'Attempt', 'Status', 'Started', 'Duration', 'Error'].map((t) => h('th', {}, t)))),
        h('tbody', {}, rows))
      : h('p', { class: 'muted' }, run.executed ? 'No Ripple attempts recorded yet.' : 'No Ripple attempts: passes run nothing.'));
}

const stateOf = (run) => `${run.status}|${run.finished_at}`;

export function createHistory(el, store, { onSelect }) {
  let pond = null;
  let lineage = false;
  let status = '';
  let shown = null;
  let runs = [];
  const open = new Map(); // run_id → { state, run (with its attempts) | null while loading, error }
  let busy = false;
  let again = false;
  let lastFetch = -Infinity;
  let wake = null; // ends the spacing pause early

  const pause = (ms) => new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });

  const title = h('h2', { id: 'history-h' }, 'Runs');
  const scope = h('span', { class: 'scope muted' });
  const all = h('button', { type: 'button', class: 'link', hidden: true, onClick: () => onSelect(null) }, 'show all Ponds');
  const upstream = h('input', { type: 'checkbox', onChange: (e) => {
    lineage = e.target.checked;
    soon();
  } });
  const upstreamLabel = h('label', { class: 'check', hidden: true }, upstream, 'with upstream');
  const filter = h('select', { 'aria-label': 'Filter by status', onChange: (e) => {
    status = e.target.value;
    soon();
  } }, STATUSES.map((st) => h('option', { value: st }, st || 'any status')));
  const error = h('p', { class: 'result error', hidden: true });
  const body = h('tbody');
  const empty = h('p', { class: 'muted empty', hidden: true }, 'No runs yet.');
  clear(el).append(
    h('header', { class: 'history-head' }, title, scope, all, h('span', { class: 'spacer' }), upstreamLabel, filter),
    error,
    h('div', { class: 'history-scroll' },
      h('table', { class: 'runs', 'aria-labelledby': 'history-h' },
        h('thead', {}, h('tr', {}, ['Status', 'Pond', 'Freshness', 'Started', 'Duration', 'Version'].map((t, i) => h('th', { scope: 'col', class: `c${i}` }, t)))),
        body),
      empty));

  async function load(run) {
    // The run's attempts, fetched when it is opened and again when its state moves on.
    const entry = { state: stateOf(run), run: open.get(run.run_id)?.run || null, error: null };
    open.set(run.run_id, entry);
    try {
      const [full] = (await api(`api/runs?${new URLSearchParams({ run: run.run_id, ripples: 'true' })}`)).runs;
      entry.run = full || null;
      entry.error = full ? null : 'This run is no longer in the history.';
    } catch (err) {
      entry.error = `Attempts unavailable: ${err.message}`;
    }
    if (open.get(run.run_id) === entry) render(true);
  }

  const toggle = (run) => {
    if (open.has(run.run_id)) open.delete(run.run_id);
    else load(run);
    render(true);
    const row = body.querySelector(`tr.run[data-run="${run.run_id}"]`);
    if (row && open.has(run.run_id)) row.scrollIntoView({ block: 'start' });
  };

  const detailOf = (run) => {
    const entry = open.get(run.run_id);
    if (entry.run) return detail({ ...entry.run, ...run, ripples: entry.run.ripples });
    return h('p', { class: entry.error ? 'result error' : 'muted' }, entry.error || 'Loading attempts…');
  };

  const render = (force = false) => {
    const key = JSON.stringify(runs);
    if (!force && key === shown) return;
    shown = key;
    const focusRun = document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.run : undefined;
    clear(body);
    empty.hidden = runs.length > 0;
    for (const run of runs) {
      const expanded = open.has(run.run_id);
      const tr = h('tr', {
        class: `run rs-${run.status}${expanded ? ' open' : ''}`, tabindex: 0, 'data-run': run.run_id,
        'aria-expanded': expanded ? 'true' : 'false',
        onClick: () => toggle(run),
        onKeydown: (event) => {
          if (event.key === 'Enter' || event.key === ' ') {
            event.preventDefault();
            toggle(run);
          }
        },
      },
      h('td', { class: 'c0' }, h('span', { class: `chip rs-${run.status}` }, run.status)),
      h('td', { class: 'c1' }, run.id),
      h('td', { class: 'c2', title: run.f || '' }, clock(run.f), run.executed ? '' : h('span', { class: 'chip pass' }, 'pass')),
      h('td', { class: 'c3', title: run.started_at || '' }, clock(run.started_at)),
      h('td', { class: 'c4 num', 'data-running': run.finished_at ? null : '' }, elapsed(run)),
      h('td', { class: 'c5 muted' }, run.version));
      body.append(tr);
      if (expanded) body.append(h('tr', { class: 'detail' }, h('td', { colspan: 6 }, detailOf(run))));
    }
    if (focusRun !== undefined) {
      const row = body.querySelector(`tr.run[data-run="${CSS.escape(focusRun)}"]`);
      if (row) row.focus({ preventScroll: true });
    }
  };

  const query = () => {
    const q = new URLSearchParams({ limit: LIMIT });
    if (pond) {
      q.set('pond', pond.name);
      q.set('major', pond.major);
      if (lineage) q.set('lineage', 'true');
    }
    if (status) q.set('status', status);
    return q.toString();
  };

  async function refresh() {
    // One request at a time, spaced; changes that arrive meanwhile fold into one more.
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    do {
      again = false;
      await pause(Math.max(0, lastFetch + SPACING_MS - performance.now()));
      lastFetch = performance.now();
      const asked = query();
      try {
        const answer = (await api(`api/runs?${asked}`)).runs;
        if (asked !== query()) continue; // the selection moved on meanwhile: ask again
        runs = answer;
        error.hidden = true;
        for (const run of runs) {
          const entry = open.get(run.run_id);
          if (entry && (entry.state !== stateOf(run) || !run.finished_at)) load(run);
        }
        render();
      } catch (err) {
        error.hidden = false;
        error.textContent = `Run history unavailable: ${err.message}`;
      }
    } while (again);
    busy = false;
  }

  const soon = () => {
    // what the person asked for is fetched without waiting out the spacing
    lastFetch = -Infinity;
    if (wake) wake();
    refresh();
  };

  const setPond = (next) => {
    pond = next ? { id: next.id, name: next.name, major: next.major } : null;
    scope.textContent = pond ? `of ${pond.id}` : 'of all Ponds';
    all.hidden = !pond;
    upstreamLabel.hidden = !pond;
    soon();
  };

  const tick = () => {
    for (const cell of body.querySelectorAll('[data-running]')) {
      const run = runs.find((r) => String(r.run_id) === cell.parentElement.dataset.run);
      if (run) cell.textContent = elapsed(run);
    }
  };

  setPond(null);
  store.subscribe((state, prev) => {
    if (state.doc === prev.doc && state.selected === prev.selected) {
      if (state.now !== prev.now) tick();
      return;
    }
    const next = pondOf(state, state.selected);
    if ((next && next.id) !== (pond && pond.id)) setPond(next);
    else if (state.doc !== prev.doc) refresh();
  });
}
