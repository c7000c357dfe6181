// Retry budgets of the selected Pond (model.md §9): `GET/POST api/ponds/{name}/budget`.

import { act, resultLine } from './action.js';
import { api, pondPath } from './api.js';
import { h } from './dom.js';

const FIELDS = [
  ['immediate_retries', 'Immediate retries', 'Retries of a failed Ripple within the same run'],
  ['source_retries', 'Source retries', 'Failed runs retried when a Source brings new data'],
];

export function budgetSection(pond) {
  const out = resultLine();
  const inputs = Object.fromEntries(FIELDS.map(([key]) => [key, h('input', {
    type: 'number', min: 0, step: 1, name: key, id: `budget-${key}`, required: true,
  })]));
  let dirty = false;
  const show = (values) => {
    if (dirty) return;
    for (const [key] of FIELDS) inputs[key].value = values[key];
  };
  const save = h('button', { type: 'submit' }, 'Save budgets');
  const form = h('form', { class: 'budget', onSubmit: (event) => {
    event.preventDefault();
    const body = Object.fromEntries(FIELDS.map(([key]) => [key, Number(inputs[key].value)]));
    act(save, out, () => api(pondPath(pond, 'budget'), { method: 'POST', body }), (r) => {
      dirty = false;
      show(r);
      return 'Budgets saved';
    });
  } },
  FIELDS.map(([key, label, hint]) => h('label', { title: hint }, h('span', {}, label), inputs[key])),
  save);
  form.addEventListener('input', () => {
    dirty = true;
  });
  show(pond);
  api(pondPath(pond, 'budget')).then(show, (err) => {
    out.textContent = err.message;
    out.className = 'result error';
  });
  return {
    el: h('section', { class: 'panel-section', 'aria-labelledby': 'budget-h' },
      h('h3', { id: 'budget-h' }, 'Retry budgets'), form, out),
    update: (p) => show(p),
  };
}
