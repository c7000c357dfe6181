"""Status long-polls are bounded (issue 8.5): past `poll_slots` waiting watchers, the next is
answered at once — a short "unchanged" with `retry_s` — so API requests always find a thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import deploy, wait_until
from tests.embedded.test_server import Server, _serve, feed

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def one_slot(tmp_path: Path) -> Iterator[Server]:
    yield from _serve(tmp_path, poll_slots=1)


def test_a_watcher_past_the_slots_is_answered_at_once(one_slot: Server) -> None:
    client = one_slot.client
    version = client.get("/api/status").json()["version"]
    held: list[dict[str, object]] = []
    waiter = threading.Thread(target=lambda: held.append(
        client.get("/api/status", params={"since": version, "wait": 30}).json()))
    waiter.start()

    def busy() -> dict[str, object] | None:  # (it waits half a second if it got the slot)
        doc = client.get("/api/status", params={"since": version, "wait": 0.5}).json()
        return doc if doc.get("unchanged") else None

    doc = wait_until(busy, 20, what="the one slot to be taken")
    assert doc == {"version": version, "unchanged": True, "retry_s": 2.0}
    assert client.get("/api/health").status_code == 200
    assert deploy(client, feed(one_slot.base)).status_code == 201
    waiter.join(20)
    assert held and held[0]["version"] > version and "ponds" in held[0]
    # a watcher behind the change gets the new document at once, slot or not
    late = client.get("/api/status", params={"since": version, "wait": 30}).json()
    assert late["version"] > version and [p["name"] for p in late["ponds"]] == ["feed"]
