"""reports: an Outlet summarising sales per month and price tier."""

from __future__ import annotations

import os
import time

from duckstring import ripple


def nap(seconds: float) -> None:
    """Stand in for real work: the nominal time scaled by DUCKSTRING_DEMO_SPEED (0 = none)."""
    time.sleep(seconds * float(os.environ.get("DUCKSTRING_DEMO_SPEED", "1")))


@ripple
def monthly_summary(pond):
    nap(1)
    pond.read_table("sales.sale_line")
    pond.write_table("monthly_summary", pond.con.sql("""
        SELECT CAST(date_trunc('month', day) AS DATE) AS month, tier,
               CAST(sum(quantity) AS BIGINT) AS quantity,
               CAST(sum(revenue) AS DECIMAL(18, 2)) AS revenue,
               CAST(count(*) AS BIGINT) AS lines
        FROM sale_line
        GROUP BY ALL
        ORDER BY month, tier
    """))
    [(lines,)] = pond.con.sql("SELECT count(*) FROM sale_line").fetchall()
    pond.log.info("summarised %d sale lines", lines)
