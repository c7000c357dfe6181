"""Listing a line's published tables from Parquet footers, and finding one safely."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from duckstring.embedded.tables import NotFound, list_tables, table_path
from duckstring.layout import Layout


def publish(layout: Layout, table: str, select: str) -> Path:
    path = layout.table_file("sales", 1, table)
    path.parent.mkdir(parents=True, exist_ok=True)
    duckdb.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet)")
    return path


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    layout = Layout(tmp_path / "root")
    publish(layout, "sale_line", "SELECT range AS id, 'x' || range AS label, "
                                 "DATE '2024-01-01' AS day FROM range(1000)")
    publish(layout, "product", "SELECT 1::INTEGER AS id, 1.5::DECIMAL(4,1) AS price")
    data = layout.data_dir("sales", 1)
    (data / ".product.parquet.tmp").write_bytes(b"half written")
    (data / "notes.txt").write_text("not a table")
    (data / "bad-name.parquet").write_bytes(b"not an identifier")
    (data / "linked.parquet").symlink_to(data / "product.parquet")
    return layout


def test_lists_tables_with_rows_columns_and_size(layout: Layout) -> None:
    tables = list_tables(layout, "sales", 1)
    assert [t["name"] for t in tables] == ["product", "sale_line"]
    product, sale_line = tables
    assert product["rows"] == 1
    assert product["columns"] == [{"name": "id", "type": "INTEGER"},
                                  {"name": "price", "type": "DECIMAL(4,1)"}]
    assert sale_line["rows"] == 1000
    assert [c["type"] for c in sale_line["columns"]] == ["BIGINT", "VARCHAR", "DATE"]
    path = layout.table_file("sales", 1, "sale_line")
    assert sale_line["bytes"] == path.stat().st_size
    assert sale_line["modified"].endswith("Z")


def test_a_damaged_file_is_listed_with_its_error(layout: Layout) -> None:
    layout.table_file("sales", 1, "broken").write_bytes(b"PAR1 but not really")
    broken = next(t for t in list_tables(layout, "sales", 1) if t["name"] == "broken")
    assert broken["rows"] is None and broken["error"]


def test_no_data_yet(tmp_path: Path) -> None:
    assert list_tables(Layout(tmp_path), "sales", 1) == []


def test_table_path(layout: Layout) -> None:
    assert table_path(layout, "sales", 1, "product") == layout.table_file("sales", 1, "product")


@pytest.mark.parametrize("table", [
    "missing", "linked", "bad-name", "../m1/data/product", "/etc/passwd", "product.parquet",
    ".product", "", "a/b", "a\\b", "x" * 200,
])
def test_table_path_refuses_anything_else(layout: Layout, table: str) -> None:
    with pytest.raises(NotFound):
        table_path(layout, "sales", 1, table)


@pytest.mark.parametrize("name", ["../sales", "Sales", "", "a/b"])
def test_pond_names_are_checked_before_touching_paths(layout: Layout, name: str) -> None:
    with pytest.raises(NotFound):
        table_path(layout, name, 1, "product")
    with pytest.raises(NotFound):
        list_tables(layout, name, 1)
