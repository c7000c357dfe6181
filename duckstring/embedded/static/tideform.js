// The Tide's bound, as the Triggers section sets it and the Preview predicts it: one input
// ("90s", "15m", "4h"), read on submit, with one message when it is not a positive span.

import { h } from './dom.js';
import { parseSpan, span } from './format.js';

export function tideForm(pond, out, { id, label, button, submit }) {
  // `submit(seconds)` runs with a readable bound; the form's own button is `button`.
  const bound = h('input', { id, name: 'bound', placeholder: '4h', autocomplete: 'off', 'aria-label': label, size: 6 });
  if (pond.trigger && pond.trigger.type === 'tide') bound.value = span(pond.trigger.bound_s);
  return h('form', { class: 'inline', onSubmit: (event) => {
    event.preventDefault();
    const seconds = parseSpan(bound.value);
    if (!(seconds > 0)) {
      out.className = 'result error';
      out.textContent = 'Give the Tide a bound like 90s, 15m or 4h';
      bound.focus();
      return;
    }
    submit(seconds);
  } }, h('label', { for: id, class: 'muted' }, 'within'), bound, button);
}
