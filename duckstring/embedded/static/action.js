// Running one API call from a control: the control is disabled while it runs, and its outcome
// (a short confirmation, or the API's error message) is shown in place next to it.

import { h } from './dom.js';

export function resultLine() {
  return h('p', { class: 'result', role: 'status', 'aria-live': 'polite' });
}

export async function act(control, out, call, done) {
  control.disabled = true;
  out.className = 'result';
  out.textContent = '';
  try {
    const answer = await call();
    out.textContent = typeof done === 'function' ? done(answer) : (done || 'Done');
    out.classList.add('ok');
    return answer;
  } catch (err) {
    out.textContent = err.message || String(err);
    out.classList.add('error');
    return undefined;
  } finally {
    control.disabled = false;
  }
}
