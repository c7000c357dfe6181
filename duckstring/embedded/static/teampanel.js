// The team panel (docs/operating.md §5): keys, secrets (names only), alert rules with their
// recent deliveries, and the audit trail — opened from the top bar, read on each opening.
// Changes (add or revoke a key, test or remove an alert, remove a secret) need a full key;
// for a lower one their controls are disabled (access.js). No value is ever shown, and a new
// key only once, in the answer that made it.

import { act, resultLine } from './action.js';
import { applyLevel, callerLevel } from './access.js';
import { api } from './api.js';
import { clear, h } from './dom.js';
import { clock, span } from './format.js';

const dash = (v) => (v === null || v === undefined || v === '' ? '—' : v);
const when = (iso) => (iso ? clock(iso) : '—');

function table(cols, rows, empty) {
  if (!rows.length) return h('p', { class: 'muted small' }, empty);
  return h('table', { class: 'team-table' },
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c) => h('td', {}, c))))));
}

function button(label, need, title, call, done, out) {
  const b = h('button', { type: 'button', 'data-need': need, title }, label);
  b.addEventListener('click', () => act(b, out, call, done));
  return b;
}

function keysSection(keys, reload) {
  const out = resultLine();
  const shown = h('p', { class: 'new-key', hidden: true });
  const name = h('input', { name: 'key-name', placeholder: 'name', autocomplete: 'off', size: 10, 'aria-label': 'Key name', required: true });
  const level = h('select', { name: 'key-level', 'aria-label': 'Key level' },
    ['read', 'demand', 'full'].map((l) => h('option', { value: l }, l)));
  const add = h('button', { type: 'submit', 'data-need': 'full' }, 'Add key');
  const form = h('form', { class: 'inline', onSubmit: (event) => {
    event.preventDefault();
    act(add, out, () => api('api/keys', { method: 'POST', body: { name: name.value.trim(), level: level.value } }), (r) => {
      shown.hidden = false;
      clear(shown).append(`Key ${r.name} (${r.level}) — copy it now, it is not shown again: `, h('code', {}, r.key));
      name.value = '';
      reload({ keep: shown });
      return 'Key added';
    });
  } }, name, level, add);
  const rows = keys.map((k) => [k.name, k.level, dash(k.hint), when(k.created_at), when(k.last_used_at),
    k.from_env ? h('span', { class: 'muted small' }, 'from DUCKSTRING_API_KEY')
      : button('Revoke', 'full', `Revoke ${k.name}: requests with it get 401`,
        () => api(`api/keys/${encodeURIComponent(k.name)}`, { method: 'DELETE' }), () => {
          reload();
          return `${k.name} revoked`;
        }, out)]);
  return h('section', { class: 'team-section', 'aria-labelledby': 'keys-h' },
    h('h3', { id: 'keys-h' }, 'Keys'),
    table(['name', 'level', 'starts', 'created', 'last used', ''], rows,
      'No keys: this Catchment is open to everyone who can reach it.'),
    form, shown, out);
}

function secretsSection(secrets, reload) {
  const out = resultLine();
  const rows = secrets.map((x) => [h('code', {}, x.name), x.pond || 'every Pond', when(x.set_at),
    button('Remove', 'full', `Remove ${x.name}${x.pond ? ` for ${x.pond}` : ''}`,
      () => api(`api/secrets/${encodeURIComponent(x.name)}${x.pond ? `?pond=${encodeURIComponent(x.pond)}` : ''}`,
        { method: 'DELETE' }), () => {
        reload();
        return `${x.name} removed`;
      }, out)]);
  return h('section', { class: 'team-section', 'aria-labelledby': 'secrets-h' },
    h('h3', { id: 'secrets-h' }, 'Secrets'),
    h('p', { class: 'muted small' }, 'Names only. Set one with ', h('code', {}, 'duckstring secret set NAME'), ' (the value from a hidden prompt).'),
    table(['name', 'for', 'set', ''], rows, 'No secrets.'), out);
}

function alertsSection(alerts, log, reload) {
  const out = resultLine();
  const rows = alerts.map((a) => [a.name, a.on.join(', '), a.ponds.length ? a.ponds.join(', ') : 'every Pond',
    a.stale_s ? span(a.stale_s) : '—', h('code', {}, a.to),
    h('span', { class: 'buttons' },
      button('Test', 'full', `Send a test alert to ${a.to}`,
        () => api(`api/alerts/${encodeURIComponent(a.name)}/test`, { method: 'POST' }), () => {
          setTimeout(reload, 1500);
          return `Test alert for ${a.name} queued`;
        }, out),
      button('Remove', 'full', `Remove the alert ${a.name}`,
        () => api(`api/alerts/${encodeURIComponent(a.name)}`, { method: 'DELETE' }), () => {
          reload();
          return `${a.name} removed`;
        }, out))]);
  const sent = log.map((e) => [when(e.created_at), e.rule, e.kind, h('span', { class: `delivery d-${e.status}` }, e.status),
    String(e.attempts), dash(e.payload && e.payload.summary)]);
  return h('section', { class: 'team-section', 'aria-labelledby': 'alerts-h' },
    h('h3', { id: 'alerts-h' }, 'Alerts'),
    h('p', { class: 'muted small' }, 'Add one with ', h('code', {}, 'duckstring alert add NAME --to TARGET'), '.'),
    table(['name', 'on', 'Ponds', 'stale after', 'to', ''], rows, 'No alert rules.'),
    h('h4', {}, 'Recent deliveries'),
    table(['at', 'alert', 'kind', 'status', 'tries', 'summary'], sent, 'Nothing sent yet.'), out);
}

function auditSection(entries) {
  const detail = (d) => Object.entries(d || {}).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : v}`).join(' ');
  return h('section', { class: 'team-section', 'aria-labelledby': 'audit-h' },
    h('h3', { id: 'audit-h' }, 'Audit trail'),
    table(['at', 'who', 'what', 'Pond', ''], entries.map((e) => [when(e.at), e.who, e.verb, dash(e.pond), detail(e.detail)]),
      'Nothing recorded yet.'));
}

export function createTeamPanel(dialog, opener, store) {
  const body = dialog.querySelector('.team-body');
  const load = async ({ keep } = {}) => {
    const level = callerLevel(store.state.doc);
    const [keys, secrets, alerts, log, audit] = await Promise.all([
      api('api/keys'), api('api/secrets'), api('api/alerts'), api('api/alerts/log?limit=20'), api('api/audit?limit=50'),
    ]);
    const reload = (opts) => load(opts).catch(showError);
    const parts = [
      h('p', { class: 'muted small who' }, `You are ${store.state.doc?.caller?.name ?? 'connected'} (${level} key).`),
      keysSection(keys.keys, reload), secretsSection(secrets.secrets, reload),
      alertsSection(alerts.alerts, log.log, reload), auditSection(audit.entries),
    ];
    clear(body).append(...parts);
    if (keep) body.querySelector('#keys-h').parentElement.append(keep);
    applyLevel(body, level);
  };
  const showError = (err) => clear(body).append(h('p', { class: 'result error' }, err.message || String(err)));
  opener.addEventListener('click', () => {
    clear(body).append(h('p', { class: 'muted' }, 'Loading…'));
    if (!dialog.open) dialog.showModal();
    load().catch(showError);
  });
  dialog.querySelector('[data-close]').addEventListener('click', () => dialog.close());
}
