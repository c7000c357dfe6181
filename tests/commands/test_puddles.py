"""Local testing of a Pond project: `pond hydrate` materialises the Puddles, `pond run` runs the
Ripples against them into puddles/out/, and `puddle ls|show|query` look at both."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.commands.conftest import Cli, make_cli


def count(path: Path) -> int:
    with duckdb.connect() as con:
        return int(con.sql("SELECT count(*) FROM read_parquet($1)", params=[str(path)])
                   .fetchall()[0][0])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cli, Path]]:
    cli = make_cli(tmp_path_factory.mktemp("puddles"))
    cli.ok("pond", "demo", "demo")
    yield cli, cli.base / "demo" / "sales"


def test_run_before_hydrate_names_the_missing_file(demo: tuple[Cli, Path]) -> None:
    cli, sales = demo
    r = cli("pond", "run", cwd=sales)
    assert r.code == 5, r
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.err
    assert "puddles/ponds/transactions/data/transaction.parquet is missing" in lines[0]
    assert "duckstring pond hydrate" in lines[0]
    assert not (sales / "puddles/out/sale_line.parquet").exists()


def test_hydrate_run_and_look(demo: tuple[Cli, Path]) -> None:
    cli, sales = demo
    r = cli.ok("pond", "hydrate", cwd=sales)
    data = sales / "puddles/ponds"
    assert count(data / "transactions/data/transaction.parquet") == 50
    assert count(data / "products/data/product.parquet") == 12
    assert "transactions.transaction: 50 rows" in r.out and "products.product: 12 rows" in r.out
    assert not list(data.glob("*/data/.*"))  # no temporary file left

    r = cli.ok("pond", "run", cwd=sales)
    for ripple in ("daily_sales", "price_tiers", "join_lines"):
        assert f"{ripple}: ok in" in r.out
    out = sales / "puddles/out"
    rows = {t: count(out / f"{t}.parquet") for t in ("daily_sales", "price_tier", "sale_line")}
    assert rows["price_tier"] == 12
    assert rows["daily_sales"] > 0 and rows["sale_line"] == rows["daily_sales"]
    for table, n in rows.items():
        assert f"sales.{table}: {n:,} row" in r.out

    listed = json.loads(cli.ok("puddle", "ls", "--json", cwd=sales).out)
    seen = {(s["pond"], s["table"], s["kind"]): s["rows"] for s in listed}
    assert seen[("transactions", "transaction", "source")] == 50
    assert seen[("products", "product", "source")] == 12
    assert seen[("sales", "sale_line", "output")] == rows["sale_line"]

    shown = cli.ok("puddle", "show", "transactions.transaction", "-n", "3", cwd=sales).out
    assert "txn_id" in shown and "2026-01-05 09:20:00" in shown
    assert "2026-01-05 09:30:00" not in shown  # the 4th row
    records = json.loads(cli.ok("puddle", "show", "sales.sale_line", "-n", "2", "--json",
                                cwd=sales).out)
    assert len(records) == 2 and {"day", "revenue", "tier"} <= set(records[0])

    r = cli.ok("puddle", "query", "select count(*) from transactions.transaction", cwd=sales)
    assert "50" in r.out
    (sales / "q.sql").write_text("SELECT count(*) AS n FROM sale_line JOIN sales.price_tier "
                                 "USING (product_id)")
    q = json.loads(cli.ok("puddle", "query", "@q.sql", "--json", cwd=sales).out)
    assert q == [{"n": rows["sale_line"]}]
    assert cli("puddle", "show", "sales.nothing", cwd=sales).code == 5


def test_one_ripple_and_a_seed(demo: tuple[Cli, Path]) -> None:
    cli, sales = demo  # after test_hydrate_run_and_look: the registry holds a full run
    r = cli.ok("pond", "run", "--ripple", "join_lines", cwd=sales)
    assert "join_lines: ok" in r.out and "daily_sales" not in r.out.split("sales.")[0]
    r = cli("pond", "run", "--ripple", "join_lines", "--fresh", cwd=sales)
    assert r.code == 2 and "duckstring pond run" in r.err and len(r.err.strip().splitlines()) == 1

    with (sales / "src/puddles.py").open("a") as fh:
        fh.write('\n\n@puddle("sales.price_tier")\ndef seed(p):\n'
                 '    return p.con.sql("SELECT 1 AS product_id, \'seeded\' AS name, "\n'
                 '                     "\'misc\' AS category, 2.5 AS unit_price, \'budget\' AS tier")\n')
    r = cli.ok("pond", "hydrate", "-s", "sales", cwd=sales)
    assert "sales.price_tier: 1 row → puddles/out/seed/price_tier.parquet" in r.out
    assert "transactions" not in r.out
    r = cli.ok("pond", "run", "--ripple", "join_lines", cwd=sales)
    assert "seeded price_tier" in r.err  # the seed replaced price_tier before the run
    assert count(sales / "puddles/out/price_tier.parquet") == 1
    assert 0 < count(sales / "puddles/out/sale_line.parquet") < 12  # product 1 only
    cli.ok("pond", "run", "--fresh", cwd=sales)  # the seed ignored, everything rebuilt
    assert count(sales / "puddles/out/price_tier.parquet") == 12


def test_a_puddle_for_an_undeclared_source_is_one_line(demo: tuple[Cli, Path]) -> None:
    cli, _ = demo
    reports = cli.base / "demo" / "reports"
    puddles = reports / "src/puddles.py"
    puddles.write_text(puddles.read_text().replace("sales.sale_line", "stores.store"))
    r = cli("pond", "hydrate", cwd=reports)
    assert r.code == 2, r
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and "src/puddles.py" in lines[0] and "'stores.store'" in lines[0]
    assert "[sources] in pond.toml" in lines[0]
    assert not (reports / "puddles").exists()


@pytest.fixture
def tiny(cli: Cli) -> Path:
    cli.ok("pond", "init", "tiny")
    return cli.base / "tiny"


def test_a_failing_ripple_exits_1_with_the_users_traceback(cli: Cli, tiny: Path) -> None:
    (tiny / "src/pond.py").write_text(
        "from duckstring import ripple\n\n\n@ripple\ndef numbers(pond):\n"
        "    pond.write_table('numbers', pond.con.sql('SELECT 1 AS n'))\n\n\n"
        "@ripple(parents=[numbers])\ndef explode(pond):\n"
        "    raise ValueError('the user broke it')\n")
    r = cli("pond", "run", cwd=tiny)
    assert r.code == 1, r
    assert "numbers: ok" in r.out and "explode: failed" in r.out
    assert "error: Ripple explode failed: ValueError: the user broke it" in r.err
    assert "Traceback (most recent call last)" in r.err
    assert 'src/pond.py", line 11, in explode' in r.err
    assert "duckstring/duck" not in r.err  # only the author's frames
    assert not list((tiny / "puddles/out").glob("*.parquet"))  # a failed run exports nothing


def test_a_failing_puddle_writes_nothing_for_it(cli: Cli, tiny: Path) -> None:
    (tiny / "pond.toml").write_text('[pond]\nname = "tiny"\nversion = "0.1.0"\n\n'
                                    '[sources]\nsales = "1.0.0"\n')
    (tiny / "src/puddles.py").write_text(
        "from duckstring import puddle\n\n\n@puddle('sales.ok')\ndef fine(p):\n"
        "    p.write_table(p.con.sql('SELECT 42 AS answer'))\n\n\n"
        "@puddle('sales.bad')\ndef bad(p):\n    raise RuntimeError('no data today')\n")
    r = cli("pond", "hydrate", cwd=tiny)
    assert r.code == 1, r
    assert "Puddle sales.bad (bad) failed: RuntimeError: no data today" in r.err
    assert 'in bad\n' in r.err and "1 of 2 Puddles failed" in r.err
    data = tiny / "puddles/ponds/sales/data"
    assert count(data / "ok.parquet") == 1
    assert sorted(p.name for p in data.iterdir()) == ["ok.parquet"]


def test_pond_run_twice_shows_the_sources_changes(cli: Cli, tiny: Path) -> None:
    (tiny / "pond.toml").write_text('[pond]\nname = "tiny"\nversion = "0.1.0"\n\n'
                                    '[sources]\nsales = "1.0.0"\n')
    (tiny / "src/pond.py").write_text(
        "from duckstring import ripple\n\n\n@ripple\ndef seen(pond):\n"
        "    changes = pond.read_changes('sales.item')\n"
        "    complete = pond.changes_complete('sales.item')\n"
        "    pond.write_table('seen', changes.select(\n"
        "        f\"_change_type AS change, id, qty, {complete} AS complete\"))\n")
    data = tiny / "puddles/ponds/sales/data"
    data.mkdir(parents=True)

    def hydrate(rows: str) -> None:  # what `pond hydrate` leaves: one Parquet file per table
        with duckdb.connect() as con:
            con.execute(f"COPY (SELECT * FROM (VALUES {rows}) v(id, qty)) "
                        f"TO '{data / 'item.parquet'}' (FORMAT parquet)")

    def seen() -> list[tuple]:
        with duckdb.connect() as con:
            return sorted(con.sql("SELECT * FROM read_parquet($1)", params=[
                str(tiny / "puddles/out/seen.parquet")]).fetchall())

    hydrate("(1, 10), (2, 20)")
    cli.ok("pond", "run", cwd=tiny)
    assert seen() == [("insert", 1, 10, False), ("insert", 2, 20, False)]  # first run: all
    hydrate("(1, 10), (2, 21), (3, 30)")
    cli.ok("pond", "run", cwd=tiny)
    assert seen() == [("delete", 2, 20, True), ("insert", 2, 21, True), ("insert", 3, 30, True)]
    cli.ok("pond", "run", cwd=tiny)
    assert seen() == []  # nothing re-hydrated: no changes
