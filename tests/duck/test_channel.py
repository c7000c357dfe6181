"""The HTTP side of the Duck channel: verdicts, retry_s, and finding a restarted Catchment."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from duckstring.duck.channel import Channel, Unreachable, Verdict

pytestmark = pytest.mark.timeout(10)


def channel(handler, url_file: Path | None = None, url: str = "http://a.example") -> Channel:
    ch = Channel(url, "tok", "sales", 1, 42, url_file)
    ch.client.close()
    ch.client = httpx.Client(base_url=ch.url, transport=httpx.MockTransport(handler),
                             headers={"Authorization": "Bearer tok"})
    return ch


def test_jobs_carry_heartbeat_and_retry_hints():
    seen = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200, json={"jobs": [{"type": "kill"}], "heartbeat_s": 2,
                                         "retry_s": 0.1})

    assert channel(handler).jobs(1.5) == ([{"type": "kill"}], 2.0, 0.1)
    assert seen[0].url == "http://a.example/api/duck/sales/1/jobs?wait=1.5&pid=42"
    assert seen[0].headers["Authorization"] == "Bearer tok"


def test_a_path_prefix_is_kept():
    seen = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(str(req.url))
        return httpx.Response(200, json={"ok": True})

    assert channel(handler, url="http://h/prefix/").post([]) is Verdict.OK
    assert seen == ["http://h/prefix/api/duck/sales/1/events"]


@pytest.mark.parametrize(("status", "body", "verdict"), [
    (200, {"ok": True}, Verdict.OK),
    (200, {"ok": False}, Verdict.RETRY),
    (422, {"error": {}}, Verdict.REFUSED),
    (401, {"error": {}}, Verdict.RETRY),
    (503, {}, Verdict.RETRY),
])
def test_post_verdicts(status, body, verdict):
    def handler(req: httpx.Request) -> httpx.Response:
        assert json.loads(req.content) == {"pid": 42, "events": [{"type": "heartbeat", "at": 1}]}
        return httpx.Response(status, json=body)

    assert channel(handler).post([{"type": "heartbeat", "at": 1}]) is verdict


def test_an_unanswered_duck_alternates_with_the_address_the_root_names(tmp_path: Path):
    url_file = tmp_path / "catchment.url"
    calls = []

    def handler(req: httpx.Request) -> httpx.Response:
        calls.append(req.url.host)
        if req.url.host == "a.example":
            raise httpx.ConnectError("refused")
        return httpx.Response(200, json={"jobs": [], "heartbeat_s": 1})

    ch = channel(handler, url_file)
    with pytest.raises(Unreachable):
        ch.jobs(0)  # nothing written yet: stays on its own address
    url_file.write_text("http://b.example:7475\n")
    with pytest.raises(Unreachable):
        ch.jobs(0)
    assert ch.jobs(0) == ([], 1.0, 0.0)
    assert calls == ["a.example", "a.example", "b.example"]
