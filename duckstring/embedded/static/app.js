// Boot: one store holds the UI's state; the live status feed and the one ticker write it; the
// canvas, the sidebar and the run history subscribe to it. The selected Pond is kept in the
// URL fragment (#name@major) so a reload or a shared link keeps it.

import { createCanvas } from './graph.js';
import { createHistory } from './history.js';
import { forgetKey, storedKey } from './key.js';
import { startLive } from './live.js';
import { createSidebar } from './sidebar.js';
import { splitter } from './splitter.js';
import { createStore, pondOf, startTicker } from './store.js';
import { createTeamPanel } from './teampanel.js';

const $ = (selector) => document.querySelector(selector);
const stacked = window.matchMedia('(max-width: 900px)'); // the narrow layout: sidebar below the canvas

function fromHash() {
  try {
    return decodeURIComponent(location.hash.slice(1)) || null;
  } catch {
    return null;
  }
}

const store = createStore({ selected: fromHash() });

function select(id, { focusPanel = false } = {}) {
  if (fromHash() !== id) {
    window.history.replaceState(null, '', id ? `#${encodeURIComponent(id)}` : location.pathname + location.search);
  }
  store.set({ selected: id });
  const title = document.getElementById('panel-title');
  if (title && id && stacked.matches) title.scrollIntoView({ block: 'start', behavior: 'smooth' });
  if (focusPanel && title) title.focus({ preventScroll: stacked.matches });
}

createCanvas($('#canvas'), store, { onSelect: select });
createSidebar($('#sidebar'), store, { onSelect: select });
createHistory($('#history'), store, { onSelect: select });
createTeamPanel($('#team-dialog'), $('#open-team'), store);

function summary(d) {
  const count = (status) => d.ponds.filter((p) => p.status === status).length;
  const parts = [`${d.ponds.length} Pond${d.ponds.length === 1 ? '' : 's'}`];
  for (const status of ['running', 'queued', 'failed', 'killed', 'blocked']) {
    const n = count(status);
    if (n) parts.push(`<span class="chip st-${status}">${n} ${status}</span>`);
  }
  return parts.join(' ');
}

const CONNECTION = {
  live: ['live', 'Updates arrive as the Catchment changes'],
  busy: ['busy…', 'The Catchment is busy and asked to be polled less often'],
  offline: ['reconnecting…', 'Lost the Catchment'],
};

store.subscribe((state, prev) => {
  if (state.connection !== prev.connection) {
    const el = $('#connection');
    const [label, title] = CONNECTION[state.connection.state] || CONNECTION.offline;
    el.dataset.state = state.connection.state;
    el.textContent = label;
    el.title = state.connection.error ? `${title}: ${state.connection.error.message}` : title;
    $('#forget-key').hidden = !storedKey();
  }
  if (state.doc === prev.doc) return;
  const doc = state.doc;
  const name = doc.catchment && doc.catchment.name;
  $('#catchment-name').textContent = name || '';
  document.title = name ? `${name} · duckstring` : 'duckstring';
  $('#summary').innerHTML = summary(doc);
  $('#app').setAttribute('aria-busy', 'false');
  if (state.selected && !pondOf(state, state.selected)) select(null); // removed, or never there
});

$('#forget-key').addEventListener('click', () => {
  forgetKey();
  location.reload();
});

document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape' || event.defaultPrevented) return;
  if (document.querySelector('dialog[open]')) return;
  const inForm = event.target.closest && event.target.closest('input, select, textarea');
  const id = store.state.selected;
  if (!inForm && id) {
    select(null);
    const box = document.querySelector(`.pond[data-id="${CSS.escape(id)}"]`);
    if (box) box.focus({ preventScroll: true });
  }
});

window.addEventListener('hashchange', () => select(fromHash()));

splitter($('.splitter'), $('.main'));
startTicker(store, () => performance.now());
startLive({
  onStatus: (doc, at) => store.set({ doc, receivedAt: at, now: at }),
  onConnection: (state, error) => {
    const c = store.state.connection;
    if (c.state !== state || c.error !== (error || null)) store.set({ connection: { state, error: error || null } });
  },
});
