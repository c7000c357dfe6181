"""transactions: an Inlet that appends a batch of synthetic sales events on every run."""

from __future__ import annotations

import os
import time

from duckstring import ripple

KEEP = 100_000  # newest transactions kept, so a long-running demo stays small


def nap(seconds: float) -> None:
    """Stand in for real work: the nominal time scaled by DUCKSTRING_DEMO_SPEED (0 = none)."""
    time.sleep(seconds * float(os.environ.get("DUCKSTRING_DEMO_SPEED", "1")))


def has_table(pond, name: str) -> bool:
    sql = "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?"
    [(n,)] = pond.con.execute(sql, [name]).fetchall()
    return n > 0


@ripple
def append_transactions(pond):
    """Append this run's batch to `transaction`. The batch is a pure function of `pond.f`, and
    a re-run at the same freshness replaces its own batch instead of adding it twice."""
    nap(1)
    seed = int(pond.f.timestamp() * 1000)
    at = pond.f.strftime("%Y-%m-%d %H:%M:%S.%f")
    batch = f"""
        SELECT CAST({seed} * 100 + i AS BIGINT)                    AS txn_id,
               TIMESTAMP '{at}' - to_seconds(i * 37)                AS sold_at,
               CAST(1 + (i * 7 + {seed}) % 5 AS INTEGER)            AS store_id,
               CAST(1 + (i * 13 + {seed} // 7) % 12 AS INTEGER)     AS product_id,
               CAST(1 + (i * 3 + {seed} // 11) % 4 AS INTEGER)      AS quantity,
               TIMESTAMP '{at}'                                     AS batch_at
        FROM range({20 + seed % 11}) AS t(i)
    """
    if has_table(pond, "transaction"):
        batch = f"""
            SELECT * FROM "transaction" WHERE batch_at <> TIMESTAMP '{at}'
            UNION ALL BY NAME ({batch})
        """
    pond.write_table(
        "transaction", pond.con.sql(f"SELECT * FROM ({batch}) ORDER BY txn_id DESC LIMIT {KEEP}")
    )
    pond.log.info("appended a batch of transactions at %s", at)
