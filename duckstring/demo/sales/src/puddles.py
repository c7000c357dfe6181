"""Puddles: small local copies of the Sources' tables, for `pond hydrate` and `pond run`."""

from __future__ import annotations

from duckstring import puddle


@puddle("transactions.transaction")
def transactions(p):
    return p.con.sql("""
        SELECT CAST(i AS BIGINT) AS txn_id,
               TIMESTAMP '2026-01-05 09:00:00' + to_seconds(i * 600) AS sold_at,
               CAST(1 + i % 5 AS INTEGER) AS store_id,
               CAST(1 + i % 12 AS INTEGER) AS product_id,
               CAST(1 + i % 4 AS INTEGER) AS quantity,
               TIMESTAMP '2026-01-05 09:00:00' AS batch_at
        FROM range(50) AS t(i)
    """)


@puddle("products.product")
def products(p):
    return p.con.sql("""
        SELECT CAST(i AS INTEGER) AS product_id, 'product ' || i AS name, 'misc' AS category,
               CAST(i * 2.5 AS DECIMAL(10, 2)) AS unit_price
        FROM range(1, 13) AS t(i)
    """)
