"""Listing a line's published Delta tables from their metadata, and finding one safely."""

from __future__ import annotations

from pathlib import Path

import pytest

from duckstring.embedded.tables import TableNotFound, dataset, history, list_tables, snapshot
from duckstring.layout import Layout
from tests.lakekit import publish

TABLES = {
    "sale_line": "SELECT range AS id, 'x' || range AS label, DATE '2024-01-01' AS day "
                 "FROM range(1000)",
    "product": "SELECT 1::INTEGER AS id, 1.5::DECIMAL(4,1) AS price",
}


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    layout = Layout(tmp_path / "root")
    publish(layout, "sales", 1, TABLES)
    data = layout.data_dir("sales", 1)
    (data / "notes.txt").write_text("not a table")
    (data / "half").mkdir()  # a table directory no manifest names is not published
    return layout


def test_lists_tables_with_version_rows_columns_and_size(layout: Layout) -> None:
    tables = list_tables(layout, "sales", 1)
    assert [t["name"] for t in tables] == ["product", "sale_line"]
    product, sale_line = tables
    assert product["rows"] == 1 and product["version"] == 0
    assert product["columns"] == [{"name": "id", "type": "INTEGER"},
                                  {"name": "price", "type": "DECIMAL(4,1)"}]
    assert sale_line["rows"] == 1000
    assert [c["type"] for c in sale_line["columns"]] == ["BIGINT", "VARCHAR", "DATE"]
    assert sale_line["bytes"] > 0
    assert sale_line["modified"].endswith("Z")


def test_a_new_run_is_a_new_version_and_history_keeps_the_old(layout: Layout) -> None:
    publish(layout, "sales", 1, {**TABLES, "product": "SELECT 2::INTEGER AS id, "
                                 "2.5::DECIMAL(4,1) AS price"}, f=2000)
    assert {t["name"]: t["version"] for t in list_tables(layout, "sales", 1)} == {
        "product": 1, "sale_line": 0}
    runs = history(layout, "sales", 1)
    assert [r["f"] for r in runs] == [2000, 1000]
    assert runs[1]["tables"] == {"product": 0, "sale_line": 0}
    old = snapshot(layout, "sales", 1, as_of=1500)
    assert old.dataset("product").to_table().to_pylist() == [{"id": 1, "price": 1.5}] or \
        float(old.dataset("product").to_table().column("price")[0].as_py()) == 1.5
    by_version = snapshot(layout, "sales", 1, version=0, table="product")
    assert by_version.manifest.f == 1000


def test_no_data_yet(tmp_path: Path) -> None:
    assert list_tables(Layout(tmp_path), "sales", 1) == []


@pytest.mark.parametrize("table", [
    "missing", "half", "bad-name", "../m1/data/product", "/etc/passwd", "product.parquet",
    ".product", "", "a/b", "a\\b", "x" * 200, "_duckstring_runs",
])
def test_dataset_refuses_anything_else(layout: Layout, table: str) -> None:
    with pytest.raises(TableNotFound):
        dataset(snapshot(layout, "sales", 1), "sales", 1, table)


def test_unknown_versions_and_times(layout: Layout) -> None:
    with pytest.raises(TableNotFound):
        snapshot(layout, "sales", 1, version=7, table="product")
    with pytest.raises(TableNotFound):
        snapshot(layout, "sales", 1, as_of=5)


@pytest.mark.parametrize("name", ["../sales", "Sales", "", "a/b"])
def test_pond_names_are_checked_before_touching_paths(layout: Layout, name: str) -> None:
    with pytest.raises(TableNotFound):
        snapshot(layout, name, 1)
    with pytest.raises(TableNotFound):
        list_tables(layout, name, 1)
