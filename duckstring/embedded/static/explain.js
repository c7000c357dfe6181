// "Why?" and "Preview" in the sidebar (docs/concepts.md §14): the selected Pond's state and
// chain of reasons (`GET api/ponds/{name}/why`, fetched again when its state changes), and a
// dry-run of a trigger (`POST api/ponds/{name}/{verb}?dry_run=true`): which Ponds would run or
// pass, in order, and when the target would settle. Nothing here changes the live state.

import { VERB_NEEDS } from './access.js';
import { act, resultLine } from './action.js';
import { api, pondPath } from './api.js';
import { clear, h } from './dom.js';
import { clock, duration, span } from './format.js';
import { tideForm } from './tideform.js';

export function whyItems(doc) {
  // [{ text, rule, depth }] for the reasons, a waited-on Source's own ones indented below.
  const out = [];
  const walk = (d, depth) => {
    for (const r of d.reasons) {
      out.push({ text: r.text, rule: r.rule, depth });
      if (r.upstream) walk(r.upstream, depth + 1);
    }
  };
  walk(doc, 0);
  return out;
}

export function planSummary(plan) {
  // One line for a dry-run's outcome.
  if (plan.settles_at === null) return `${plan.pond} would not settle (it ends ${plan.status}); Why? says more`;
  return `${plan.pond} would settle in ${duration(plan.settles_in_s)}, at ${clock(plan.settles_at)}`;
}

export function planRows(plan) {
  // [{ at, action, pond, took }] in the order the runs would begin.
  return plan.runs.map((r) => ({
    at: `+${duration(r.starts_in_s)}`,
    action: r.executed ? 'run' : 'pass',
    pond: r.pond,
    took: r.duration_s === null ? '' : duration(r.duration_s),
  }));
}

function stateKey(p) {
  // What a change of reasons follows: refetch only when one of these moved.
  return JSON.stringify([p.status, p.start_f, p.end_f, p.targets, p.trigger, p.has_pull,
    p.blocked_by, p.error, p.ripples.map((r) => r.running)]);
}

export function whySection(pond) {
  const list = h('ul', { class: 'why-list' });
  let shown = null;
  let asked = 0;
  const update = (p) => {
    const key = stateKey(p);
    if (key === shown) return;
    shown = key;
    const mine = ++asked;
    api(pondPath(p, 'why')).then((doc) => {
      if (mine !== asked) return;
      clear(list);
      const items = whyItems(doc);
      if (!items.length) list.append(h('li', { class: 'muted' }, `${doc.status}: nothing to explain`));
      for (const item of items) {
        list.append(h('li', { class: `depth-${Math.min(item.depth, 3)}` },
          item.text, ' ', h('span', { class: 'muted rule', title: 'its rule in docs/concepts.md' }, item.rule)));
      }
    }, (err) => {
      if (mine !== asked) return;
      shown = null; // try again on the next update
      clear(list).append(h('li', { class: 'muted' }, err.message || String(err)));
    });
  };
  const el = h('section', { class: 'panel-section', 'aria-labelledby': 'why-h' },
    h('h3', { id: 'why-h' }, 'Why?'), list);
  return { el, update };
}

export function previewSection(pond) {
  const out = resultLine();
  const table = h('ol', { class: 'preview-list' });
  const show = (plan) => {
    clear(table);
    for (const r of planRows(plan)) {
      table.append(h('li', {}, h('span', { class: 'muted' }, r.at), ' ',
        h('span', { class: `chip ${r.action === 'run' ? 'st-running' : 'st-idle'}` }, r.action), ' ',
        r.pond, r.took ? h('span', { class: 'muted' }, ` ${r.took}`) : ''));
    }
    if (!plan.runs.length) table.append(h('li', { class: 'muted' }, 'nothing would run'));
    if (plan.default_durations.length) {
      table.append(h('li', { class: 'muted' }, `never ran, taken as ${span(plan.default_ms / 1000)}: ${plan.default_durations.join(', ')}`));
    }
    return `Preview: ${planSummary(plan)}`;
  };
  const preview = (b, verb, body) => act(b, out,
    () => api(pondPath(pond, `${verb}?dry_run=true`), { method: 'POST', body }), show);
  const button = (verb, label, type = 'button') => {
    // A dry-run needs the level of its verb (the server's rule: levels.py).
    const b = h('button', { type, 'data-preview': verb, 'data-need': VERB_NEEDS[verb], title: `What a ${label} would run and when (changes nothing)` }, label);
    if (type === 'button') b.addEventListener('click', () => preview(b, verb));
    return b;
  };
  // A Wave as the Triggers section sets it (its own cadence); a Tide with the bound given here.
  const tide = button('tide', 'Tide', 'submit');
  const form = tideForm(pond, out, { id: 'preview-bound', label: 'Tide bound to preview', button: tide,
    submit: (seconds) => preview(tide, 'tide', { bound_s: seconds }) });
  return h('section', { class: 'panel-section', 'aria-labelledby': 'preview-h' },
    h('h3', { id: 'preview-h' }, 'Preview'),
    h('div', { class: 'buttons' }, button('pulse', 'Pulse'), button('tap', 'Tap'),
      button('wave', 'Wave'), button('wake', 'Wake'), button('force', 'Force')),
    form, out, table);
}
