"""products: an Inlet that publishes the product catalogue."""

from __future__ import annotations

import os
import time

from duckstring import ripple

CATALOGUE = [
    (1, "Espresso beans", "coffee", "14.50"),
    (2, "Filter papers", "coffee", "3.20"),
    (3, "Oat milk", "dairy", "2.10"),
    (4, "Ceramic mug", "homeware", "9.90"),
    (5, "Grinder", "homeware", "89.00"),
    (6, "Green tea", "tea", "6.40"),
    (7, "Chai blend", "tea", "7.80"),
    (8, "Croissant", "bakery", "2.60"),
    (9, "Sourdough loaf", "bakery", "5.50"),
    (10, "Cold brew kit", "coffee", "34.00"),
    (11, "Honey jar", "pantry", "8.25"),
    (12, "Gift card", "other", "25.00"),
]


def nap(seconds: float) -> None:
    """Stand in for real work: the nominal time scaled by DUCKSTRING_DEMO_SPEED (0 = none)."""
    time.sleep(seconds * float(os.environ.get("DUCKSTRING_DEMO_SPEED", "1")))


@ripple
def catalogue(pond):
    """Write the `product` table. It is the same on every run, so its published snapshot stays
    byte-identical and the Ponds that read it pass instead of re-running."""
    nap(2)
    rows = ", ".join(f"({pid}, '{name}', '{category}', {price})"
                     for pid, name, category, price in CATALOGUE)
    pond.write_table("product", pond.con.sql(f"""
        SELECT CAST(product_id AS INTEGER) AS product_id, name, category,
               CAST(unit_price AS DECIMAL(10, 2)) AS unit_price
        FROM (VALUES {rows}) AS t(product_id, name, category, unit_price)
        ORDER BY product_id
    """))
