"""Run history: one `runs` row per Pond Run and one `attempts` row per Ripple attempt, with
error, traceback and log (docs/operating.md §4). Attempts are keyed `(line, f, ripple, attempt)`, so a
replayed Duck report updates the same row instead of adding one.

Consecutive no-change passes of a line share one row: `count` passes from `first_f` (at
`started_at`) to `f` (at `finished_at`), so a fast Wave over an unchanged graph does not bury
the runs that did work. `prune` applies the Catchment's retention (age and rows per line),
always keeping each line's newest row."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

FINAL = ("success", "failed", "killed", "passed")


def begin(conn: sqlite3.Connection, line: str, name: str, major: int, version: str | None,
          f: int, executed: bool, at: int, predicted_at: int | None = None) -> int:
    """`predicted_at`: when a dry-run said this run would finish."""
    if not executed and predicted_at is None:
        merged = _extend_passes(conn, line, version, f, at)
        if merged is not None:
            return merged
    cur = conn.execute(
        "INSERT INTO runs (line, name, major, version, f, executed, status, started_at, "
        "predicted_at) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?)",
        (line, name, major, version, f, int(executed), at, predicted_at),
    )
    return int(cur.lastrowid or 0)


def _extend_passes(conn: sqlite3.Connection, line: str, version: str | None, f: int,
                   at: int) -> int | None:
    """Fold a pass into the line's newest row when that is a pass of the same version."""
    last = conn.execute(
        "SELECT id, status, version FROM runs WHERE line = ? ORDER BY id DESC LIMIT 1", (line,)
    ).fetchone()
    if last is None or last["status"] != "passed" or last["version"] != version:
        return None
    conn.execute(
        "UPDATE runs SET count = count + 1, first_f = coalesce(first_f, f), f = ?, "
        "finished_at = ? WHERE id = ?", (f, at, last["id"]),
    )
    return int(last["id"])


def latest_id(conn: sqlite3.Connection, line: str, f: int) -> int | None:
    r = conn.execute(
        "SELECT id FROM runs WHERE line = ? AND f = ? ORDER BY id DESC LIMIT 1", (line, f)
    ).fetchone()
    return None if r is None else int(r[0])


def finish(conn: sqlite3.Connection, line: str, f: int, status: str, at: int, *,
           changed: bool | None = None, error: str | None = None,
           where: Mapping[str, str | None] | None = None) -> None:
    """Close the open run `(line, f)`; a failure copies the failing attempt's traceback;
    `where` is where its Duck ran (launcher, node)."""
    run_id = conn.execute(
        "SELECT id FROM runs WHERE line = ? AND f = ? AND status = 'running' "
        "ORDER BY id DESC LIMIT 1", (line, f)
    ).fetchone()
    if run_id is None:
        return
    traceback = None
    if status == "failed":
        r = conn.execute(
            "SELECT traceback FROM attempts WHERE run_id = ? AND status = 'failed' "
            "ORDER BY id DESC LIMIT 1", (run_id[0],)
        ).fetchone()
        traceback = None if r is None else r[0]
    conn.execute(
        "UPDATE runs SET status = ?, finished_at = ?, changed = ?, error = ?, traceback = ?, "
        "launcher = coalesce(?, launcher), node = coalesce(?, node) WHERE id = ?",
        (status, at, None if changed is None else int(changed), error, traceback,
         (where or {}).get("launcher"), (where or {}).get("node"), run_id[0]),
    )


def attempt_started(conn: sqlite3.Connection, line: str, f: int, ripple: str, attempt: int,
                    at: int) -> bool:
    """Record a started attempt; False when it was already known (a replay). A start reported
    after its run was killed is recorded killed too (the kill stopped it)."""
    run_id = latest_id(conn, line, f)
    run = None if run_id is None else conn.execute(
        "SELECT status, finished_at FROM runs WHERE id = ?", (run_id,)).fetchone()
    killed = run is not None and run["status"] == "killed"
    cur = conn.execute(
        "INSERT OR IGNORE INTO attempts "
        "(run_id, line, f, ripple, attempt, status, started_at, finished_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (run_id, line, f, ripple, attempt, "killed" if killed else "running", at,
         run["finished_at"] if killed else None),
    )
    return cur.rowcount > 0


def attempt_finished(conn: sqlite3.Connection, line: str, f: int, ripple: str, attempt: int,
                     status: str, at: int, *, error: str | None = None,
                     traceback: str | None = None, log: str | None = None) -> bool:
    """Close an attempt; False when it was already closed (a replay).

    A success reported for an attempt already failed is the Duck's word against our guess:
    a Duck killed after it finished the Ripple delivers the success from its ledger only after
    we failed the attempt for the lost Duck, and its run then completes on that success (the
    Ripple is checkpointed), so the attempt must say success too."""
    attempt_started(conn, line, f, ripple, attempt, at)  # a lost start report
    cur = conn.execute(
        "UPDATE attempts SET status = ?, finished_at = ?, error = ?, traceback = ?, log = ? "
        "WHERE line = ? AND f = ? AND ripple = ? AND attempt = ? "
        "AND (status = 'running' OR (status = 'failed' AND ? = 'success'))",
        (status, at, error, traceback, log, line, f, ripple, attempt, status),
    )
    return cur.rowcount > 0


def fail_running_attempts(conn: sqlite3.Connection, line: str, at: int, reason: str) -> None:
    """A lost Duck leaves its attempts in the history as failed, with the reason."""
    conn.execute(
        "UPDATE attempts SET status = 'failed', finished_at = ?, error = ? "
        "WHERE line = ? AND status = 'running'",
        (at, reason, line),
    )


def kill_running_attempts(conn: sqlite3.Connection, line: str, at: int) -> None:
    conn.execute(
        "UPDATE attempts SET status = 'killed', finished_at = ? WHERE line = ? AND status = 'running'",
        (at, line),
    )


def history(conn: sqlite3.Connection, *, lines: list[str] | None, status: str | None,
            limit: int, with_ripples: bool, run_id: int | None = None) -> list[dict[str, Any]]:
    where, params = [], []  # type: ignore[var-annotated]
    if run_id is not None:
        where.append("id = ?")
        params.append(run_id)
    if lines is not None:
        where.append(f"line IN ({', '.join('?' for _ in lines)})")
        params.extend(lines)
    if status:
        where.append("status = ?")
        params.append(status)
    sql = "SELECT * FROM runs"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id DESC LIMIT ?"
    rows = [dict(r) for r in conn.execute(sql, (*params, limit))]
    if with_ripples and rows:
        ids = [r["id"] for r in rows]
        attempts: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        for a in conn.execute(
            f"SELECT * FROM attempts WHERE run_id IN ({', '.join('?' for _ in ids)}) "
            "ORDER BY started_at, id", ids
        ):
            attempts[a["run_id"]].append(dict(a))
        for r in rows:
            r["ripples"] = attempts[r["id"]]
    return rows


def prune(conn: sqlite3.Connection, *, before: int | None, keep_per_line: int | None,
          batch: int = 5000) -> int:
    """Delete up to `batch` finished runs (with their attempts) that ended before `before` or
    fall outside the newest `keep_per_line` of their line; each line's newest row stays.
    Returns how many runs went; call again while it returns `batch`."""
    clauses, params = [], []  # type: ignore[var-annotated]
    if before is not None:
        clauses.append("finished_at < ?")
        params.append(before)
    if keep_per_line:
        clauses.append("rn > ?")
        params.append(keep_per_line)
    if not clauses:
        return 0
    ids = [r[0] for r in conn.execute(
        "SELECT id FROM (SELECT id, finished_at, status, row_number() OVER "
        "(PARTITION BY line ORDER BY id DESC) AS rn FROM runs) "
        f"WHERE rn > 1 AND status != 'running' AND ({' OR '.join(clauses)}) LIMIT ?",
        (*params, batch),
    )]
    if ids:
        marks = ", ".join("?" for _ in ids)
        conn.execute(f"DELETE FROM attempts WHERE run_id IN ({marks})", ids)
        conn.execute(f"DELETE FROM runs WHERE id IN ({marks})", ids)
    return len(ids)


def lines_named(conn: sqlite3.Connection, name: str) -> list[str]:
    """The lines of `name` that have history (also after `pond remove`), by major."""
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT line, major FROM runs WHERE name = ? ORDER BY major", (name,))]


def newest(conn: sqlite3.Connection, line: str, statuses: tuple[str, ...]) -> dict[str, Any] | None:
    """The line's newest run in one of `statuses` (`why`: since when it runs, when it failed)."""
    r = conn.execute(
        f"SELECT * FROM runs WHERE line = ? AND status IN ({', '.join('?' for _ in statuses)}) "
        "ORDER BY id DESC LIMIT 1", (line, *statuses),
    ).fetchone()
    return None if r is None else dict(r)


def running_attempts(conn: sqlite3.Connection, line: str) -> dict[str, int]:
    """When each running attempt of the line started, by Ripple."""
    return {
        r["ripple"]: int(r["started_at"])
        for r in conn.execute(
            "SELECT ripple, max(started_at) AS started_at FROM attempts "
            "WHERE line = ? AND status = 'running' AND started_at IS NOT NULL GROUP BY ripple",
            (line,),
        )
    }


def recent_durations(conn: sqlite3.Connection, line: str, per_ripple: int) -> dict[str, list[int]]:
    """The durations (ms) of each Ripple's newest `per_ripple` successful attempts."""
    out: dict[str, list[int]] = {}
    for r in conn.execute(
        "SELECT ripple, finished_at - started_at AS ms FROM attempts WHERE line = ? "
        "AND status = 'success' AND started_at IS NOT NULL AND finished_at IS NOT NULL "
        "ORDER BY id DESC LIMIT 1000", (line,),
    ):
        got = out.setdefault(r["ripple"], [])
        if len(got) < per_ripple:
            got.append(int(r["ms"]))
    return out


def recent_delays(conn: sqlite3.Connection, line: str, runs: int) -> list[tuple[int, int]]:
    """For the line's newest `runs` executed successes: ms from begin run to its first Ripple
    (dispatch, or a Duck's launch) and from its last Ripple to its end (publishing)."""
    return [(max(0, int(r[0])), max(0, int(r[1]))) for r in conn.execute(
        "SELECT min(a.started_at) - r.started_at, r.finished_at - max(a.finished_at) "
        "FROM runs r JOIN attempts a ON a.run_id = r.id WHERE r.line = ? AND "
        "r.status = 'success' AND r.executed = 1 AND a.finished_at IS NOT NULL "
        "GROUP BY r.id ORDER BY r.id DESC LIMIT ?", (line, runs))]
