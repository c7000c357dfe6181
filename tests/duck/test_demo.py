"""The demo Ponds: manifests, topology, and a full pass of every Ripple into reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from duckstring import manifest
from duckstring.authoring import import_file, puddles_of, ripples_of
from duckstring.demo import FILES, PONDS, source, write_demo
from duckstring.duck import loader as project_mod
from duckstring.duck.handle import PondHandle
from duckstring.duck.registry import Registry
from duckstring.lake.publish import publish
from duckstring.lake.runs import latest
from duckstring.lake.where import line
from duckstring.layout import Layout
from tests.duck.duckkit import F1, F2, deploy_dir

pytestmark = pytest.mark.timeout(60)


def test_manifests_parse():
    kinds = {n: manifest.load(source(n)) for n in PONDS}
    assert {n: m.kind for n, m in kinds.items()} == {
        "transactions": "inlet", "products": "inlet", "sales": "pond", "reports": "outlet"}
    assert {n: str(m.version) for n, m in kinds.items()} == dict.fromkeys(PONDS, "1.0.0")
    assert [(s.name, str(s.version), s.required) for s in kinds["sales"].sources] == [
        ("transactions", "1.0.0", True), ("products", "1.0.0", True)]
    assert [s.line for s in kinds["reports"].sources] == ["sales@1"]


def topology(name: str) -> dict[str, tuple[str, ...]]:
    module = import_file(source(name) / "src" / "pond.py", source(name), f"_demo_topo_{name}")
    return {r.name: r.parents for r in ripples_of(module)}


def test_topology():
    assert topology("transactions") == {"append_transactions": ()}
    assert topology("products") == {"catalogue": ()}
    assert topology("sales") == {
        "daily_sales": (), "price_tiers": (), "join_lines": ("daily_sales", "price_tiers")}
    assert topology("reports") == {"monthly_summary": ()}


def test_puddles_target_declared_sources():
    for name in PONDS:
        m = manifest.load(source(name))
        module = import_file(source(name) / m.puddles, source(name), f"_demo_puddles_{name}")
        for p in puddles_of(module):
            assert p.target.split(".")[0] in {s.name for s in m.sources}


def test_write_demo(tmp_path: Path):
    dirs = write_demo(tmp_path)
    assert [d.name for d in dirs] == list(PONDS)
    for d in dirs:
        for rel in FILES:
            assert (d / rel).is_file(), d / rel
    assert "puddles/" in (tmp_path / "sales" / ".gitignore").read_text()


def run_pond(layout: Layout, name: str, f: int) -> dict:
    """One Pond Run the way a Duck does it, without the loop: Ripples in topological order,
    each with a real handle, then publish."""
    proj = project_mod.load(layout, name, "1.0.0")
    reg = Registry(layout.registry(name, 1))
    try:
        for spec in proj.specs:
            h = PondHandle(name=name, version="1.0.0", f=f, con=reg.cursor(),
                           sources=proj.source_dirs(layout), catalog=reg.catalog,
                           write_lock=reg.swap_lock)
            try:
                proj.functions[spec.name](h)
            finally:
                h._close()
        result = publish(reg.cursor(), line(layout, name, 1), f=f, run=f"{name}@1@{f}",
                         label=f"{name}@1")
    finally:
        reg.close()
    assert result.rejected is None, result.rejected
    return result.tables


def test_the_demo_runs_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DUCKSTRING_DEMO_SPEED", "0")
    layout = Layout(tmp_path / "root")
    for d in write_demo(tmp_path / "projects"):
        deploy_dir(layout, d)
    first = run_pond(layout, "transactions", F1)
    assert 20 <= first["transaction"]["rows"] <= 30
    again = run_pond(layout, "transactions", F1)  # a re-run at the same F replaces its batch
    assert again["transaction"]["rows"] == first["transaction"]["rows"]
    more = run_pond(layout, "transactions", F2)
    assert more["transaction"]["rows"] > first["transaction"]["rows"]
    assert run_pond(layout, "products", F1)["product"]["rows"] == 12
    sales = run_pond(layout, "sales", F2)
    assert sales["sale_line"]["rows"] > 0
    assert set(sales) == {"daily_sales", "price_tier", "sale_line"}
    reports = run_pond(layout, "reports", F2)
    assert reports["monthly_summary"]["rows"] > 0
    assert reports["monthly_summary"]["columns"] == {
        "month": "DATE", "tier": "VARCHAR", "quantity": "BIGINT", "revenue": "DECIMAL(18,2)",
        "lines": "BIGINT"}
    assert more["transaction"]["version"] == 1 and reports["monthly_summary"]["version"] == 0
    import pyarrow.compute as pc
    from deltalake import DeltaTable

    # a second reader (delta-rs, no duckstring) reads every published table
    for name in PONDS:
        for table in latest(line(layout, name, 1)).tables:  # type: ignore[union-attr]
            DeltaTable(line(layout, name, 1).table(table)).to_pyarrow_table()
    summary = DeltaTable(str(layout.data_dir("reports", 1) / "monthly_summary")).to_pyarrow_table()
    tx = DeltaTable(str(layout.data_dir("transactions", 1) / "transaction")).to_pyarrow_table()
    quantity, sold = pc.sum(summary["quantity"]).as_py(), pc.sum(tx["quantity"]).as_py()
    assert quantity == sold  # every transaction lands in the summary
