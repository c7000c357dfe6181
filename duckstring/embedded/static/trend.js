// The numbers behind a Pond's trend chart, pure: recent run durations as bars, staleness over
// time as a sawtooth (it drops when a run lands at its freshness, then grows with the clock),
// and the bounds of the alert rules that watch the Pond's staleness.

const ms = (iso) => (iso ? Date.parse(iso) : null);

export function durationBars(runs) {
  // Finished runs, oldest first: { at (ms, when it finished), seconds, status }.
  return runs
    .filter((r) => r.finished_at && r.duration_s !== null && r.duration_s !== undefined)
    .map((r) => ({ at: ms(r.finished_at), seconds: r.duration_s, status: r.status }))
    .sort((a, b) => a.at - b.at);
}

export function stalenessPoints(runs, nowMs) {
  // [at ms, staleness s] from the first completed run to now: at each completion staleness
  // becomes (finished − f); until the next one it grows one second per second.
  const done = runs
    .filter((r) => r.finished_at && r.f && (r.status === 'success' || r.status === 'passed'))
    .map((r) => ({ at: ms(r.finished_at), f: ms(r.f) }))
    .sort((a, b) => a.at - b.at);
  const points = [];
  let f = null;
  for (const run of done) {
    if (f !== null) points.push([run.at, (run.at - f) / 1000]);
    f = Math.max(f ?? run.f, run.f);
    points.push([run.at, (run.at - f) / 1000]);
  }
  if (f !== null && nowMs > points[points.length - 1][0]) points.push([nowMs, (nowMs - f) / 1000]);
  return points;
}

export function staleBounds(alerts, pond) {
  // The stale bounds (seconds) of the rules covering this line, each with its rule's name.
  return alerts
    .filter((a) => a.stale_s && (!a.ponds.length || a.ponds.includes(pond.name) || a.ponds.includes(pond.id)))
    .map((a) => ({ name: a.name, seconds: a.stale_s }));
}

export function scale(domain, range) {
  // A linear map from [d0, d1] onto [r0, r1] (a flat domain maps to the range's start).
  const [d0, d1] = domain;
  const [r0, r1] = range;
  return (v) => (d1 === d0 ? r0 : r0 + ((v - d0) / (d1 - d0)) * (r1 - r0));
}
