// What the caller may do (docs/operating.md §5): `GET api/status` says the caller's level, and
// every control that needs more is disabled, with a title naming the level it needs (on a
// section, every control in it: what it shows stays readable). The server decides; this only spares people a refused click.
// Mirrors duckstring/embedded/access/levels.py.

export const RANK = { read: 1, demand: 2, full: 3 };

export const VERB_NEEDS = {
  tap: 'demand', pulse: 'demand', wave: 'demand', tide: 'demand', untrigger: 'demand',
  wake: 'demand', force: 'demand', sleep: 'demand', kill: 'full', clear: 'full',
};

export function callerLevel(doc) {
  return (doc && doc.caller && doc.caller.level) || 'full';
}

export function allows(level, need) {
  return (RANK[level] || 0) >= (RANK[need] || RANK.full);
}

export function refusal(level, need) {
  return allows(level, need) ? null : `Needs a ${need} key (this one is ${level})`;
}

const CONTROLS = 'button, input, select, textarea';

export function applyLevel(root, level) {
  // Elements marked `data-need` (and, for a section, the controls inside it).
  for (const el of root.querySelectorAll('[data-need]')) {
    const why = refusal(level, el.dataset.need);
    if (!why) continue;
    for (const control of el.matches(CONTROLS) ? [el] : el.querySelectorAll(CONTROLS)) {
      control.disabled = true;
      control.title = why;
      control.dataset.refused = '';
    }
  }
}
