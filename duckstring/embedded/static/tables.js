// On a Pond: its published tables and each table's versions (`GET api/ponds/{name}/tables`):
// the version in the latest run, rows and columns, and the versions the kept runs published
// (docs/operating.md §4), newest first. Fetched once per selection and again when a run
// completes.

import { api, pondPath } from './api.js';
import { h } from './dom.js';
import { clock } from './format.js';

const SHOWN = 10; // versions listed per table

export function tableVersions(runs) {
  // {table: [{version, freshness, run}]}, newest first: each version with the first run that
  // published it (runs come newest first, so the last one seen is the first).
  const out = {};
  for (const run of runs) {
    for (const [table, version] of Object.entries(run.tables || {})) {
      const list = out[table] || (out[table] = []);
      const same = list.find((v) => v.version === version);
      if (same) Object.assign(same, { freshness: run.freshness, run: run.run });
      else list.push({ version, freshness: run.freshness, run: run.run });
    }
  }
  for (const list of Object.values(out)) list.sort((a, b) => b.version - a.version);
  return out;
}

function tableBlock(table, versions) {
  const shown = versions.slice(0, SHOWN);
  return h('details', { class: 'table-entry', 'data-table': table.name },
    h('summary', {}, h('span', { class: 'table-name' }, table.name),
      ` v${table.version} · ${table.rows ?? '?'} rows · ${Object.keys(table.columns || {}).length} columns`),
    shown.length
      ? h('ul', { class: 'versions' }, shown.map((v) => h('li', { 'data-version': v.version },
        `v${v.version}`, h('span', { class: 'muted' }, ` · freshness ${clock(v.freshness)} · ${v.run}`))))
      : h('p', { class: 'muted small' }, 'No kept run lists it.'),
    versions.length > SHOWN ? h('p', { class: 'muted small' }, `and ${versions.length - SHOWN} older`) : null);
}

export function tablesSection(pond) {
  const body = h('div', { class: 'tables-body' }, h('p', { class: 'muted small' }, 'Loading…'));
  const el = h('section', { class: 'panel-section', 'aria-labelledby': 'tables-h' },
    h('h3', { id: 'tables-h' }, 'Tables'), body);
  let seen = null;
  const update = (p) => {
    const key = `${p.runs_completed}|${p.end_f}`;
    if (key === seen) return;
    seen = key;
    api(pondPath(p, 'tables')).then(({ tables, runs }) => {
      if (seen !== key) return;
      const versions = tableVersions(runs || []);
      body.replaceChildren(...(tables.length
        ? tables.map((t) => tableBlock(t, versions[t.name] || []))
        : [h('p', { class: 'muted small' }, 'Nothing published yet.')]));
    }, () => {
      seen = null; // try again on the next update
    });
  };
  return { el, update };
}
