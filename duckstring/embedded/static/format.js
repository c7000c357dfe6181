// Human formats for ages, durations, instants and duration input ("90s", "15m", "4h", "1d").

const UNITS = [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]];

export function age(seconds) {
  if (seconds === null || seconds === undefined) return 'never';
  const t = Math.max(0, Math.floor(seconds));
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m ${String(t % 60).padStart(2, '0')}s`;
  if (t < 86400) return `${Math.floor(t / 3600)}h ${String(Math.floor(t / 60) % 60).padStart(2, '0')}m`;
  return `${Math.floor(t / 86400)}d ${Math.floor(t / 3600) % 24}h`;
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
