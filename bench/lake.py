"""The Delta data plane (issue 11), side by side in one run:

- publish of N rows (a new Delta table) vs DuckDB `COPY … TO parquet`     target ≤ 2×
- republish of the unchanged N-row table vs that COPY                     target ≤ 0.3×
- a 1% change to an M-row table via `merge_table` vs a full rewrite       target ≤ 0.2×
- `read_changes` of that 1% vs a full read of the table                   target ≤ 0.1×
- the publish of N rows to a local S3 server (moto) vs local disk         (reported)

`python bench/lake.py` uses N = 200k, M = 1M (the machine is shared); `--full` uses the issue's
N = 2M, M = 10M. Figures are recorded in bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from duckstring.duck.handle import PondHandle
from duckstring.duck.registry import Registry
from duckstring.lake.publish import publish
from duckstring.lake.where import Line

FACTS = ("SELECT range AS id, range % 97 AS k, random() AS v, 'item-' || (range % 1000) AS label "
         "FROM range({n})")


def timed(step: Any) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def handle(reg: Registry, f: int, previous_f: int | None = None,
           sources: dict[str, Line] | None = None) -> PondHandle:
    return PondHandle(name="bench", version="1.0.0", f=f, previous_f=previous_f,
                      con=reg.cursor(), sources=sources, catalog=reg.catalog,
                      write_lock=reg.swap_lock)


def publish_vs_copy(work: Path, n: int) -> tuple[float, float, float]:
    reg = Registry(work / "p" / "registry.duckdb")
    con = reg.cursor()
    con.execute(f"CREATE TABLE facts AS {FACTS.format(n=n)}")
    copy_s = timed(lambda: con.execute(f"COPY facts TO '{work / 'copy.parquet'}' (FORMAT parquet)"))
    line = Line(str(work / "p" / "data"))
    publish_s = timed(lambda: publish(reg.cursor(), line, f=1, run="r1"))
    again_s = timed(lambda: publish(reg.cursor(), line, f=2, run="r2"))
    reg.close()
    return copy_s, publish_s, again_s


def merge_vs_rewrite(work: Path, m: int) -> tuple[float, float, float, float]:
    """The same 1% change made two ways, each timed from the Ripple's write to the published
    version: `merge_table` of the changed rows, or the whole new content written and published
    as a new table (the cheapest full rewrite: no diff)."""
    src = Registry(work / "src" / "registry.duckdb")
    h = handle(src, 1)
    h.write_table("facts", h.con.sql(FACTS.format(n=m)), key="id")
    line = Line(str(work / "src" / "data"))
    publish(src.cursor(), line, f=1, run="r1")
    # the newest 1% of the keys, as incremental loads usually touch: without deletion vectors a
    # change scattered over every file rewrites every file
    cut = m - m // 100
    change = f"SELECT id, k, v + 1 AS v, label FROM facts WHERE id >= {cut}"

    def merge() -> None:
        h2 = handle(src, 2, 1)
        h2.merge_table("facts", h2.con.sql(change), key="id")
        publish(src.cursor(), line, f=2, run="r2")
    merge_s = timed(merge)

    full = Registry(work / "full" / "registry.duckdb")
    h3 = handle(full, 1)
    h3.con.execute(f"CREATE TABLE base AS {FACTS.format(n=m)}")
    content = f"SELECT id, k, CASE WHEN id >= {cut} THEN v + 1 ELSE v END AS v, label FROM base"
    full_line = Line(str(work / "full" / "data"))

    def rewrite() -> None:
        h3.write_table("facts", h3.con.sql(content))
        h3.con.execute("DROP TABLE base")  # untimed otherwise, but it must not be published
        publish(full.cursor(), full_line, f=1, run="r1")
    rewrite_s = timed(rewrite)

    sink = Registry(work / "sink" / "registry.duckdb")
    every_column = "count(*), sum(hash(id, k, v, label))"  # both read every row they return whole
    # reads change nothing: each is the best of three, as a Sink's next run would find it
    changes_s = min(timed(lambda: handle(sink, 2, 1, {"src": line}).read_changes("src.facts")
                          .aggregate(every_column).fetchall()) for _ in range(3))
    full_read_s = min(timed(lambda: handle(sink, 2, None, {"src": line}).read_table("src.facts")
                            .aggregate(every_column).fetchall()) for _ in range(3))
    for r in (src, full, sink):
        r.close()
    return merge_s, rewrite_s, changes_s, full_read_s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def s3_vs_disk(work: Path, n: int) -> tuple[float, float] | None:
    exe = shutil.which("moto_server")
    if exe is None:
        return None
    import httpx

    port = free_port()
    proc = subprocess.Popen([exe, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                httpx.put(f"{url}/bench").raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                           "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": url,
                           "AWS_ALLOW_HTTP": "true"})
        reg = Registry(work / "s3" / "registry.duckdb")
        reg.cursor().execute(f"CREATE TABLE facts AS {FACTS.format(n=n)}")
        disk_s = timed(lambda: publish(reg.cursor(), Line(str(work / "s3" / "data")), f=1, run="r"))
        s3_s = timed(lambda: publish(reg.cursor(), Line("s3://bench/lake"), f=1, run="r"))
        reg.close()
        return s3_s, disk_s
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", action="store_true", help="the issue's sizes: 2M and 10M rows")
    args = parser.parse_args()
    n, m = (2_000_000, 10_000_000) if args.full else (200_000, 1_000_000)
    with tempfile.TemporaryDirectory(prefix="duckstring-lake-bench-") as tmp:
        work = Path(tmp)
        publish_vs_copy(work / "warm-up", 1000)  # a Duck imports pyarrow and delta-rs once
        copy_s, publish_s, again_s = publish_vs_copy(work, n)
        merge_s, rewrite_s, changes_s, full_read_s = merge_vs_rewrite(work, m)
        s3 = s3_vs_disk(work, n)
    rows = [
        (f"publish {n:,} rows vs DuckDB COPY",
         f"{publish_s:.2f} s vs {copy_s:.2f} s → {publish_s / copy_s:.2f}", "≤ 2", publish_s / copy_s <= 2),
        (f"republish unchanged {n:,} rows vs COPY",
         f"{again_s:.2f} s vs {copy_s:.2f} s → {again_s / copy_s:.2f}", "≤ 0.3", again_s / copy_s <= 0.3),
        (f"1% change of {m:,} rows: merge_table vs rewrite, write to version",
         f"{merge_s:.2f} s vs {rewrite_s:.2f} s → {merge_s / rewrite_s:.2f}", "≤ 0.2",
         merge_s / rewrite_s <= 0.2),
        ("read_changes of that 1% vs a full read",
         f"{changes_s:.2f} s vs {full_read_s:.2f} s → {changes_s / full_read_s:.2f}", "≤ 0.1",
         changes_s / full_read_s <= 0.1),
    ]
    if s3 is not None:
        rows.append((f"publish {n:,} rows to local S3 (moto) vs disk",
                     f"{s3[0]:.2f} s vs {s3[1]:.2f} s → {s3[0] / s3[1]:.2f}", "—", True))
    width = max(len(r[0]) for r in rows)
    for name, value, target, ok in rows:
        print(f"{name.ljust(width)}  {value:<34} target {target:<6} {'ok' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
