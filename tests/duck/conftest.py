"""Fixtures for the Duck tests (helpers live in duckkit.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from duckstring.layout import Layout
from tests.duck.duckkit import FakeChannel, Running


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return Layout(tmp_path / "root")


@pytest.fixture
def channel() -> FakeChannel:
    return FakeChannel()


@pytest.fixture
def start(layout: Layout, channel: FakeChannel):
    started: list[Running] = []

    def go(name: str = "p", **settings: Any) -> Running:
        r = Running(layout, name, channel, **settings)
        started.append(r)
        return r

    yield go
    for r in started:
        if r.thread.is_alive():
            r.stop()
