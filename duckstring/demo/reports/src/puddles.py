"""Puddles: a small local copy of `sales.sale_line`, for `pond hydrate` and `pond run`."""

from __future__ import annotations

from duckstring import puddle


@puddle("sales.sale_line")
def sale_lines(p):
    return p.con.sql("""
        SELECT DATE '2026-01-01' + CAST(i % 40 AS INTEGER) AS day,
               CAST(1 + i % 12 AS INTEGER) AS product_id, 'product ' || (1 + i % 12) AS name,
               'misc' AS category, ['budget', 'standard', 'premium'][1 + i % 3] AS tier,
               CAST(1 + i % 4 AS BIGINT) AS quantity, CAST(1 AS BIGINT) AS transactions,
               CAST((1 + i % 4) * 2.5 AS DECIMAL(18, 2)) AS revenue
        FROM range(60) AS t(i)
    """)
