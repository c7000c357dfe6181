// Run history (`GET api/runs?ripples=true`): newest first, for the selected Pond (optionally
// with its upstream lineage) or for all. A row opens the run's detail: every Ripple attempt,
// retries marked, and for failures the message and full traceback.

import { api } from './api.js';
import { clear, h } from './dom.js';
import { clock, duration } from './format.js';

const LIMIT = 50;
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
      run.changed === false ? ' · output unchanged' : ''),
    attempts.length
      ? h('table', { class: 'attempts' },
        h('thead', {}, h('tr', {}, ['Ripple', 'Attempt', 'Status', 'Started', 'Duration', 'Error'].map((t) => h('th', {}, t)))),
        h('tbody', {}, rows))
      : h('p', { class: 'muted' }, run.executed ? 'No Ripple attempts recorded yet.' : 'No Ripple attempts: passes run nothing.'));
}

export function createHistory(el, { onSelect }) {
  let pond = null;
  let lineage = false;
  let status = '';
  let shown = null;
  let runs = [];
  const open = new Set();
  let busy = false;
  let again = false;

  const title = h('h2', { id: 'history-h' }, 'Runs');
  const scope = h('span', { class: 'scope muted' });
  const all = h('button', { type: 'button', class: 'link', hidden: true, onClick: () => onSelect(null) }, 'show all Ponds');
  const upstream = h('input', { type: 'checkbox', onChange: (e) => {
    lineage = e.target.checked;
    refresh();
  } });
  const upstreamLabel = h('label', { class: 'check', hidden: true }, upstream, 'with upstream');
  const filter = h('select', { 'aria-label': 'Filter by status', onChange: (e) => {
    status = e.target.value;
    refresh();
  } }, STATUSES.map((st) => h('option', { value: st }, st || 'any status')));
  const error = h('p', { class: 'result error', hidden: true });
  const body = h('tbody');
  const empty = h('p', { class: 'muted empty', hidden: true }, 'No runs yet.');
  clear(el).append(
    h('header', { class: 'history-head' }, title, scope, all, h('span', { class: 'spacer' }), upstreamLabel, filter),
    error,
    h('div', { class: 'history-scroll' },
      h('table', { class: 'runs', 'aria-labelledby': 'history-h' },
        h('thead', {}, h('tr', {}, ['Status', 'Pond', 'Freshness', 'Started', 'Duration', 'Version'].map((t) => h('th', { scope: 'col' }, t)))),
        body),
      empty));

  const toggle = (run) => {
    if (open.has(run.run_id)) open.delete(run.run_id);
    else open.add(run.run_id);
    render(true);
    const row = body.querySelector(`tr.run[data-run="${run.run_id}"]`);
    if (row && open.has(run.run_id)) row.scrollIntoView({ block: 'start' });
  };

  const render = (force = false) => {
    const key = JSON.stringify([runs, [...open]]);
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
      h('td', {}, h('span', { class: `chip rs-${run.status}` }, run.status)),
      h('td', {}, run.id),
      h('td', { title: run.f || '' }, clock(run.f), run.executed ? '' : h('span', { class: 'chip pass' }, 'pass')),
      h('td', { title: run.started_at || '' }, clock(run.started_at)),
      h('td', { class: 'num', 'data-running': run.finished_at ? null : '' }, elapsed(run)),
      h('td', { class: 'muted' }, run.version));
      body.append(tr);
      if (expanded) body.append(h('tr', { class: 'detail' }, h('td', { colspan: 6 }, detail(run))));
    }
    if (focusRun !== undefined) {
      const row = body.querySelector(`tr.run[data-run="${CSS.escape(focusRun)}"]`);
      if (row) row.focus({ preventScroll: true });
    }
  };

  async function refresh() {
    // One request at a time; changes that arrive meanwhile fold into one more.
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    do {
      again = false;
      const q = new URLSearchParams({ limit: LIMIT, ripples: 'true' });
      if (pond) {
        q.set('pond', pond.name);
        q.set('major', pond.major);
        if (lineage) q.set('lineage', 'true');
      }
      if (status) q.set('status', status);
      try {
        runs = (await api(`api/runs?${q}`)).runs;
        error.hidden = true;
        render();
      } catch (err) {
        error.hidden = false;
        error.textContent = `Run history unavailable: ${err.message}`;
      }
    } while (again);
    busy = false;
  }

  return {
    setPond(next) {
      const same = (pond && pond.id) === (next && next.id);
      pond = next ? { id: next.id, name: next.name, major: next.major } : null;
      scope.textContent = pond ? `of ${pond.id}` : 'of all Ponds';
      all.hidden = !pond;
      upstreamLabel.hidden = !pond;
      if (!same) refresh();
    },
    refresh,
    tick() {
      for (const cell of body.querySelectorAll('[data-running]')) {
        const run = runs.find((r) => String(r.run_id) === cell.parentElement.dataset.run);
        if (run) cell.textContent = elapsed(run);
      }
    },
  };
}
