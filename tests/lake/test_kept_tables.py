"""The Delta tables a process keeps open (duckstring/lake/tables.py) follow the table at their
path, including one removed and made again there (`pond remove --wipe`, then a deploy): its
versions restart at 0, so a kept object must not serve the old table's files for them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
from deltalake import write_deltalake

from duckstring.lake import tables
from duckstring.lake.where import Line


def test_a_table_made_again_at_its_path_is_read_afresh(tmp_path: Path) -> None:
    line = Line(str(tmp_path / "products"))
    write_deltalake(line.table("product"), pa.table({"n": [1, 2]}))
    assert ds.dataset(tables.files(line, "product", 0)).to_table().column("n").to_pylist() == [1, 2]

    shutil.rmtree(tmp_path / "products")  # wiped, then published again by a new deploy
    write_deltalake(line.table("product"), pa.table({"n": [7]}))

    assert ds.dataset(tables.files(line, "product", 0)).to_table().column("n").to_pylist() == [7]
    assert tables.dataset(line, "product", 0).to_table().column("n").to_pylist() == [7]
