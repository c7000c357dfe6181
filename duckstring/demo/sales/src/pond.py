"""sales: daily sales per product, priced and tiered from the catalogue.

    daily_sales (2 s)  ─┐
                        ├─> join_lines (3 s) -> sale_line
    price_tiers (1 s)  ─┘
"""

from __future__ import annotations

import os
import time

from duckstring import ripple


def nap(seconds: float) -> None:
    """Stand in for real work: the nominal time scaled by DUCKSTRING_DEMO_SPEED (0 = none)."""
    time.sleep(seconds * float(os.environ.get("DUCKSTRING_DEMO_SPEED", "1")))


@ripple
def daily_sales(pond):
    nap(2)
    pond.read_table("transactions.transaction")  # the Source's snapshot, as view "transaction"
    pond.write_table("daily_sales", pond.con.sql("""
        SELECT CAST(sold_at AS DATE) AS day, product_id,
               CAST(sum(quantity) AS BIGINT) AS quantity,
               CAST(count(*) AS BIGINT) AS transactions
        FROM "transaction"
        GROUP BY ALL
        ORDER BY day, product_id
    """))


@ripple
def price_tiers(pond):
    nap(1)
    pond.read_table("products.product")
    pond.write_table("price_tier", pond.con.sql("""
        SELECT product_id, name, category, unit_price,
               CASE WHEN unit_price < 5 THEN 'budget'
                    WHEN unit_price < 20 THEN 'standard'
                    ELSE 'premium' END AS tier
        FROM product
        ORDER BY product_id
    """))


@ripple(parents=[daily_sales, price_tiers])
def join_lines(pond):
    nap(3)
    pond.write_table("sale_line", pond.con.sql("""
        SELECT d.day, d.product_id, p.name, p.category, p.tier, d.quantity, d.transactions,
               CAST(d.quantity * p.unit_price AS DECIMAL(18, 2)) AS revenue
        FROM daily_sales AS d JOIN price_tier AS p USING (product_id)
        ORDER BY d.day, d.product_id
    """))
