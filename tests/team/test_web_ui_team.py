"""The web UI for teams in a real headless Chromium against a real keyed Catchment with real
Ducks: a read key sees the controls it may not use disabled (naming the level needed) and the
team panel (keys, secrets by name only, alerts, audit); a full key sees a Pond's trend chart
with its alert's stale bound drawn on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import (
    browser_missing,
    console_errors,
    screenshot,
    start_browser,
    stop_browser,
)
from tests.e2e.conftest import write_pond
from tests.e2e.harness import deploy, pond, wait_until
from tests.e2e.test_web_ui import click, js, open_ui, text_of

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=browser_missing() or "")

ADMIN = "dsk_admin-key-for-the-ui-tests-0123456789abcdef"
VALUE = "ui-secret-value-never-shown-4f2a"
SOURCE = """
    from duckstring import ripple

    @ripple
    def numbers(pond):
        pond.write_table("numbers", pond.con.sql("SELECT range AS n FROM range(5)"))
    """


@pytest.fixture
def page() -> Iterator[Any]:
    driver, profile = start_browser()
    console_errors(driver)
    try:
        yield driver
        errors = console_errors(driver, ("favicon.ico",))  # /api/health has no icon
        assert not errors, f"console errors: {errors}"
    finally:
        stop_browser(driver, profile)


def _login(page: Any, url: str, key: str) -> None:
    page.get(f"{url}/api/health")  # same origin, no key asked: store the key as the UI does
    js(page, "localStorage.setItem('duckstring.key:/', arguments[0]);", key)
    open_ui(page, f"{url}/", {"numbers@1"})


def test_levels_team_panel_and_trend_chart(start_catchment, tmp_path: Path, page: Any) -> None:
    c = start_catchment(key=ADMIN)
    with c.client() as admin:
        assert deploy(admin, write_pond(tmp_path, "numbers", "1.0.0", SOURCE, kind="inlet")).status_code == 201
        for _ in range(2):
            target = admin.post("/api/ponds/numbers/pulse").json()["target"]
            wait_until(lambda t=target: (p := pond(admin, "numbers"))["end_f"] and p["end_f"] >= t
                       and p["status"] == "idle", 60, what="a run")
        read = admin.post("/api/keys", json={"name": "analyst", "level": "read"}).json()["key"]
        assert admin.put("/api/secrets/DB_PASSWORD", json={"value": VALUE}).status_code == 200
        assert admin.post("/api/alerts", json={
            "name": "fresh", "on": ["stale"], "stale_s": 3600, "ponds": ["numbers"],
            "to": "webhook:http://127.0.0.1:9/hook"}).status_code == 201

    _login(page, c.url, read)
    click(page, '.pond[data-id="numbers@1"]')
    wait_until(lambda: text_of(page, "#panel-title") == "numbers", 10, what="the sidebar")
    buttons = js(page, """return Object.fromEntries([...document.querySelectorAll('#sidebar button[data-verb]')]
        .map((b) => [b.dataset.verb, [b.disabled, b.title]]));""")
    assert buttons["pulse"] == [True, "Needs a demand key (this one is read)"]
    assert buttons["kill"][0] and buttons["remove-pond"][0]
    assert js(page, "return document.querySelector('#sidebar [aria-labelledby=budget-h] button').disabled;")

    click(page, "#open-team")
    wait_until(lambda: "analyst" in text_of(page, "#team-dialog"), 10, what="the team panel")
    panel = text_of(page, "#team-dialog")
    assert "You are analyst (read key)" in panel and "DB_PASSWORD" in panel and VALUE not in panel
    assert "fresh" in panel and "key-add" in panel
    assert js(page, "return [...document.querySelectorAll('#team-dialog button[data-need]')].every((b) => b.disabled);")
    screenshot(page, tmp_path / "team-panel-read.png")
    js(page, "document.getElementById('team-dialog').close();")

    _login(page, c.url, ADMIN)
    click(page, '.pond[data-id="numbers@1"]')
    wait_until(lambda: js(page, "return document.querySelectorAll('#sidebar svg.trend rect.bar').length;") == 2,
               15, what="two run bars in the trend chart")
    assert js(page, "return document.querySelector('#sidebar svg.trend .bound').dataset.alert;") == "fresh"
    assert js(page, "return document.querySelector('#sidebar svg.trend polyline.stale-line') !== null;")
    assert not js(page, "return document.querySelector('#sidebar button[data-verb=pulse]').disabled;")
    screenshot(page, tmp_path / "trend-chart-full.png")
