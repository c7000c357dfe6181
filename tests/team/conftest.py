"""Fixtures of the team-operations tests: a duck.db, an in-process app over a temporary root,
and real receivers (HTTP, SMTP) made on demand and all closed after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import falcon
import pytest

from duckstring.embedded.store import Store
from tests.e2e.conftest import env, root, start_catchment  # noqa: F401 (a real Catchment)
from tests.team.receivers import HttpReceiver, SmtpReceiver

R = TypeVar("R", HttpReceiver, SmtpReceiver)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "root" / "duck.db")
    yield s
    s.close()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[falcon.App]:
    from duckstring.embedded.app import Catchment, create_app
    from duckstring.embedded.settings import Settings

    app = create_app(Catchment.open(Settings(root=tmp_path / "root")))
    yield app
    app.catchment.close()


def _factory(kind: type[R]) -> Iterator[Callable[..., R]]:
    made: list[R] = []

    def make(**kw: Any) -> R:
        made.append(kind(**kw))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture
def receiver() -> Iterator[Callable[..., HttpReceiver]]:
    yield from _factory(HttpReceiver)


@pytest.fixture
def smtp() -> Iterator[Callable[..., SmtpReceiver]]:
    yield from _factory(SmtpReceiver)
