// Windows of the selected Inlet (model.md §8): list, add (`POST api/ponds/{name}/windows`),
// remove (`DELETE …/windows/{window}`).

import { act, resultLine } from './action.js';
import { api, pondPath } from './api.js';
import { clear, h } from './dom.js';
import { clock, parseSpan, span } from './format.js';

const DAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'];

function describe(w) {
  const parts = [`every ${span(w.every_s)}`];
  if (w.duration_s !== w.every_s) parts.push(`open ${span(w.duration_s)}`);
  parts.push(`from ${clock(w.start)}`);
  if (w.on_days && w.on_days.length) parts.push(w.on_days.map((d) => DAYS[d]).join(' '));
  if (w.until) parts.push(`until ${clock(w.until)}`);
  return parts.join(' · ');
}

function localInstant(value) {
  // <input type=datetime-local> gives local wall time; the API takes an ISO instant.
  return value ? new Date(value).toISOString() : null;
}

export function windowsSection(pond) {
  const out = resultLine();
  const list = h('ul', { class: 'windows-list' });
  let shown = null;
  const render = (windows) => {
    const key = JSON.stringify(windows);
    if (key === shown) return;
    shown = key;
    clear(list);
    if (!windows.length) list.append(h('li', { class: 'muted' }, 'No windows: the Inlet can run at any time.'));
    for (const w of windows) {
      const remove = h('button', { type: 'button', class: 'icon danger', 'aria-label': `Remove window ${w.name}`, title: 'Remove' }, '✕');
      remove.addEventListener('click', () => act(remove, out,
        () => api(pondPath(pond, `windows/${encodeURIComponent(w.name)}`), { method: 'DELETE' }),
        (r) => {
          render(r.windows);
          return `Window ${w.name} removed`;
        }));
      list.append(h('li', {}, h('div', {}, h('strong', {}, w.name), h('span', { class: 'muted' }, describe(w))), remove));
    }
  };
  const field = (label, input, hint) => h('label', { title: hint || '' }, h('span', {}, label), input);
  const name = h('input', { name: 'name', required: true, placeholder: 'nightly', autocomplete: 'off' });
  const every = h('input', { name: 'every', required: true, placeholder: '1d', autocomplete: 'off' });
  const length = h('input', { name: 'duration', placeholder: 'as every', autocomplete: 'off' });
  const start = h('input', { name: 'start', type: 'datetime-local' });
  const until = h('input', { name: 'until', type: 'datetime-local' });
  const days = DAYS.map((d, i) => h('label', { class: 'day' }, h('input', { type: 'checkbox', value: i }), d.slice(0, 2)));
  const add = h('button', { type: 'submit' }, 'Add window');
  const form = h('form', { class: 'window-form', onSubmit: (event) => {
    event.preventDefault();
    const everyS = parseSpan(every.value);
    const lengthS = length.value.trim() ? parseSpan(length.value) : null;
    if (Number.isNaN(everyS) || Number.isNaN(lengthS)) {
      out.className = 'result error';
      out.textContent = 'Write spans like 90s, 15m, 4h, 1d or 1h30m';
      return;
    }
    const onDays = days.map((d) => d.querySelector('input')).filter((c) => c.checked).map((c) => Number(c.value));
    const body = {
      name: name.value.trim(), every_s: everyS, duration_s: lengthS,
      start: localInstant(start.value), until: localInstant(until.value),
      on_days: onDays.length ? onDays : null,
    };
    act(add, out, () => api(pondPath(pond, 'windows'), { method: 'POST', body }), (r) => {
      render(r.windows);
      form.reset();
      return `Window ${r.window.name} added`;
    });
  } },
  h('div', { class: 'grid2' },
    field('Name', name),
    field('Every', every, 'Period between openings: 90s, 15m, 4h, 1d'),
    field('Open for', length, 'How long each opening lasts (default: the whole period)'),
    field('Starting', start, 'First opening, local time (default: today 00:00 UTC)'),
    field('Until', until, 'No openings after this (optional)')),
  h('fieldset', { class: 'days' }, h('legend', {}, 'Days (UTC; none = every day)'), days),
  add);
  render(pond.windows || []);
  return {
    el: h('section', { class: 'panel-section', 'aria-labelledby': 'windows-h' },
      h('h3', { id: 'windows-h' }, 'Windows'), list,
      h('details', { class: 'add-window' }, h('summary', {}, 'Add a window'), form), out),
    update: (p) => render(p.windows || []),
  };
}
