// Human formats shared by the views, pure: ages, durations, instants, duration input ("90s",
// "15m", "4h", "1d"), and the words for a Pond's state, trigger and freshness.

const UNITS = [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]];

export function age(seconds) {
  if (seconds === null || seconds === undefined) return 'never';
  const t = Math.max(0, Math.floor(seconds));
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m ${String(t % 60).padStart(2, '0')}s`;
  if (t < 86400) return `${Math.floor(t / 3600)}h ${String(Math.floor(t / 60) % 60).padStart(2, '0')}m`;
  return `${Math.floor(t / 86400)}d ${Math.floor(t / 3600) % 24}h`;
}

export function shortAge(seconds) {
  // The leading unit only (12s, 3m, 2h, 5d): for the overview, where room is scarce.
  const t = Math.max(0, Math.floor(seconds));
  const [unit, size] = UNITS.find(([, n]) => t >= n) || ['s', 1];
  return `${Math.floor(t / size)}${unit}`;
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 10) return `${seconds.toFixed(2)}s`;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  return age(seconds);
}

export function span(seconds) {
  // A bound or period, as compact as it can be said: 4h, 1h30m, 90s.
  let rest = Math.round(seconds);
  if (rest <= 0) return `${seconds}s`;
  const parts = [];
  for (const [unit, size] of UNITS) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}

export function parseSpan(text) {
  // "90" and "90s" are seconds; "15m", "4h", "1d", "1h30m" combine. NaN when unreadable.
  const raw = String(text).trim().toLowerCase().replace(/\s+/g, '');
  if (raw === '') return NaN;
  if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw);
  const re = /(\d+(?:\.\d+)?)([dhms])/g;
  let total = 0;
  let used = 0;
  for (const m of raw.matchAll(re)) {
    total += Number(m[1]) * Object.fromEntries(UNITS)[m[2]];
    used += m[0].length;
  }
  return used === raw.length ? total : NaN;
}

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth()
    && a.getDate() === b.getDate();
}

export function clock(iso) {
  // Local wall time of an instant: 14:03:07, with the date when it is not today.
  if (!iso) return '—';
  const d = new Date(iso);
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  if (sameDay(d, new Date())) return time;
  return `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}`;
}

export function since(iso, nowMs = Date.now()) {
  return iso ? age((nowMs - Date.parse(iso)) / 1000) : 'never';
}

export function triggerLabel(trigger) {
  if (!trigger) return null;
  return trigger.type === 'tide' ? `Tide ${span(trigger.bound_s)}` : 'Wave';
}

export function statusLine(p) {
  if (p.status === 'failed') return p.failures > 1 ? `failed ×${p.failures}` : 'failed';
  if (p.status === 'blocked' && p.blocked_by.length) return `blocked by ${p.blocked_by.join(', ')}`;
  return p.status;
}

export function staleness(p, elapsedS) {
  // Seconds since the Pond's output was fresh, `elapsedS` after the status document said
  // `staleness_s`; null when it has no output.
  return p.staleness_s === null || p.staleness_s === undefined ? null : p.staleness_s + Math.max(0, elapsedS);
}

export function noOutput(p) {
  return p.runs_started ? 'no output yet' : 'never ran';
}

export function freshness(p, elapsedS) {
  // "fresh 3m 20s ago", or why there is no age.
  const s = staleness(p, elapsedS);
  return s === null ? noOutput(p) : `fresh ${age(s)} ago`;
}

export function freshnessShort(p, elapsedS) {
  // "3m", or "never" / "no output": for the zoomed-out graph.
  const s = staleness(p, elapsedS);
  if (s !== null) return shortAge(s);
  return p.runs_started ? 'no output' : 'never';
}
