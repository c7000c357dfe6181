// Boot: wires the live status feed to the canvas, the sidebar and the run history, and keeps
// the selected Pond in the URL fragment (#name@major) so a reload or a shared link keeps it.

import { createCanvas } from './graph.js';
import { createHistory } from './history.js';
import { forgetKey, storedKey } from './key.js';
import { startLive } from './live.js';
import { createSidebar } from './sidebar.js';
import { splitter } from './splitter.js';

const $ = (selector) => document.querySelector(selector);

function fromHash() {
  try {
    return decodeURIComponent(location.hash.slice(1)) || null;
  } catch {
    return null;
  }
}

let doc = null;
let receivedAt = 0;
let selected = fromHash();
let first = true;

const canvas = createCanvas($('#canvas'), { onSelect: select });
const sidebar = createSidebar($('#sidebar'), { onSelect: select });
const runs = createHistory($('#history'), { onSelect: select });

function pondOf(id) {
  return doc && id ? doc.ponds.find((p) => p.id === id) || null : null;
}

function select(id, { focusPanel = false } = {}) {
  selected = id;
  if (fromHash() !== id) {
    window.history.replaceState(null, '', id ? `#${encodeURIComponent(id)}` : location.pathname + location.search);
  }
  canvas.select(id);
  sidebar.show(id, doc, receivedAt);
  runs.setPond(pondOf(id));
  const title = document.getElementById('panel-title');
  if (focusPanel && title) title.focus();
}

function summary(d) {
  const count = (status) => d.ponds.filter((p) => p.status === status).length;
  const parts = [`${d.ponds.length} Pond${d.ponds.length === 1 ? '' : 's'}`];
  for (const status of ['running', 'queued', 'failed', 'killed', 'blocked']) {
    const n = count(status);
    if (n) parts.push(`<span class="chip st-${status}">${n} ${status}</span>`);
  }
  return parts.join(' ');
}

function onStatus(next, at) {
  doc = next;
  receivedAt = at;
  const name = doc.catchment && doc.catchment.name;
  $('#catchment-name').textContent = name || '';
  document.title = name ? `${name} · duckstring` : 'duckstring';
  $('#summary').innerHTML = summary(doc);
  canvas.update(doc, at);
  if (first || (selected && !pondOf(selected))) {
    select(pondOf(selected) ? selected : null); // the canvas shows it (once: no jumping back)
  } else {
    sidebar.show(selected, doc, at);
  }
  first = false;
  runs.refresh();
  $('#app').setAttribute('aria-busy', 'false');
}

function onConnection(state, err) {
  const el = $('#connection');
  el.dataset.state = state;
  el.textContent = state === 'live' ? 'live' : 'reconnecting…';
  el.title = state === 'live' ? 'Updates arrive as the Catchment changes' : `Lost the Catchment: ${err ? err.message : ''}`;
  $('#forget-key').hidden = !storedKey();
}

$('#forget-key').addEventListener('click', () => {
  forgetKey();
  location.reload();
});

document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape' || event.defaultPrevented) return;
  if (document.querySelector('dialog[open]')) return;
  const inForm = event.target.closest && event.target.closest('input, select, textarea');
  if (!inForm && selected) {
    const id = selected;
    select(null);
    const box = document.querySelector(`.pond[data-id="${CSS.escape(id)}"]`);
    if (box) box.focus({ preventScroll: true });
  }
});

window.addEventListener('hashchange', () => select(fromHash()));

setInterval(() => {
  sidebar.tick();
  runs.tick();
}, 1000);

splitter($('.splitter'), $('.main'));
sidebar.show(null, null, 0);
runs.setPond(null);
startLive({ onStatus, onConnection });
