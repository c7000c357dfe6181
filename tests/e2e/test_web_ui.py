"""The web UI (issue 5) in a real headless Chromium against real Catchments with real Ducks:
the canvas, a Pulse flowing through it, a failure traced to its traceback, the key prompt, a
path-prefix mount, and a 50-Pond deployment. Screenshots land in test-output/."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.browser import (
    browser_missing,
    console_errors,
    screenshot,
    start_browser,
    stop_browser,
)
from tests.e2e.conftest import deploy_demo, write_pond
from tests.e2e.harness import deploy, wait_until

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=browser_missing() or "")

DEMO = {"transactions@1", "products@1", "sales@1", "reports@1"}
DEMO_EDGES = {"transactions@1>sales@1", "products@1>sales@1", "sales@1>reports@1"}

# Records every status each Pond box has shown, so a brief `running` is never missed.
RECORD_STATUSES = """
window.__seen = {};
const record = () => document.querySelectorAll('.pond').forEach((el) => {
  const st = [...el.classList].find((c) => c.startsWith('st-')).slice(3);
  (window.__seen[el.dataset.id] = window.__seen[el.dataset.id] || []).includes(st)
    || window.__seen[el.dataset.id].push(st);
});
new MutationObserver(record).observe(document.querySelector('.viewport'), { childList: true, subtree: true });
record();
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    driver, profile = start_browser()
    yield driver
    stop_browser(driver, profile)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """The browser, with its console checked for errors after the test."""
    console_errors(browser)
    browser.allowed_errors = ()
    yield browser
    errors = console_errors(browser, browser.allowed_errors)
    browser.get("about:blank")
    assert not errors, f"console errors: {errors}"


def js(driver: Any, script: str, *args: Any) -> Any:
    return driver.execute_script(script, *args)


def ponds(driver: Any) -> dict[str, str]:
    """Pond id → status class, as drawn on the canvas."""
    return js(driver, """return Object.fromEntries([...document.querySelectorAll('.pond')].map(
        (el) => [el.dataset.id, [...el.classList].find((c) => c.startsWith('st-')).slice(3)]));""")


def click(driver: Any, css: str, timeout: float = 10) -> None:
    """Click the element once it exists; the canvas redraws on every state change, so a stale
    reference is simply looked up again."""
    from selenium.common.exceptions import (
        ElementClickInterceptedException,
        NoSuchElementException,
        StaleElementReferenceException,
    )
    from selenium.webdriver.common.by import By

    def attempt() -> bool:
        try:
            driver.find_element(By.CSS_SELECTOR, css).click()
            return True
        except (NoSuchElementException, StaleElementReferenceException,
                ElementClickInterceptedException):
            return False

    wait_until(attempt, timeout, what=f"a clickable {css}")


def fill(driver: Any, css: str, value: str) -> None:
    from selenium.webdriver.common.by import By

    field = driver.find_element(By.CSS_SELECTOR, css)
    field.clear()
    field.send_keys(value)


def text_of(driver: Any, css: str) -> str:
    return js(driver, "const el = document.querySelector(arguments[0]); return el ? el.textContent : '';", css)


def open_ui(driver: Any, url: str, expect: set[str]) -> None:
    driver.get(url)
    wait_until(lambda: set(ponds(driver)) == expect, 20, what=f"the canvas to show {sorted(expect)}")


def test_canvas_shows_the_demo_then_a_pulse_flows_through_it_into_history(
        start_catchment, demo: Path, page: Any) -> None:
    c = start_catchment(DUCKSTRING_DEMO_SPEED="0.1")
    with c.client() as client:
        deploy_demo(client, demo)
    open_ui(page, f"{c.url}/", DEMO)
    assert set(ponds(page).values()) == {"idle"}
    edges = js(page, "return [...document.querySelectorAll('.edge')].map((e) => e.dataset.edge);")
    assert set(edges) == DEMO_EDGES
    sales = '.pond[data-id="sales@1"]'
    ripples = js(page, f"return [...document.querySelectorAll('{sales} .ripple text')].map((t) => t.textContent);")
    assert set(ripples) == {"daily_sales", "price_tiers", "join_lines"}
    assert js(page, f"return document.querySelectorAll('{sales} .ripple-edge').length;") == 2
    assert "v1.0.0" in text_of(page, f"{sales} .pond-version")
    assert "4 Ponds" in text_of(page, "#summary")
    screenshot(page, "ui-demo-canvas.png")

    js(page, RECORD_STATUSES)
    click(page, '.pond[data-id="reports@1"]')
    wait_until(lambda: text_of(page, "#panel-title") == "reports", 5, what="the sidebar for reports")
    click(page, '#sidebar [data-verb="pulse"]')
    wait_until(lambda: "Pulse sent" in text_of(page, "#sidebar .result.ok"), 5, what="the Pulse to be accepted")

    def settled() -> bool:
        return js(page, """return [...document.querySelectorAll('.pond')].every((el) =>
            el.classList.contains('st-idle')
            && el.querySelector('.pond-age').textContent.startsWith('fresh'));""")

    wait_until(settled, 60, what="every Pond idle and fresh again")
    seen = js(page, "return window.__seen;")
    for pond_id in DEMO:
        assert "running" in seen[pond_id], f"{pond_id} never showed running: {seen[pond_id]}"
    wait_until(lambda: "success" in text_of(page, "#history tbody tr.run"), 10,
               what="the reports run in the history")
    rows = js(page, "return [...document.querySelectorAll('#history tr.run')].map((r) => r.textContent);")
    assert len(rows) == 1 and "reports@1" in rows[0]
    click(page, "#history tr.run")
    wait_until(lambda: "monthly_summary" in text_of(page, "#history tr.detail"), 5, what="the run detail")
    screenshot(page, "ui-after-pulse.png")


FAILING = """
from duckstring import ripple


@ripple
def feed(pond):
    raise RuntimeError("the feed is down")
"""

SINK = """
from duckstring import ripple


@ripple
def summary(pond):
    pass
"""


def test_failure_shows_red_blocks_its_sinks_and_opens_to_the_traceback(
        start_catchment, tmp_path: Path, page: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    c = start_catchment()
    with c.client() as client:
        for project in (
            write_pond(tmp_path, "feed", "1.0.0", FAILING, kind="inlet", extra="immediate_retries = 1"),
            write_pond(tmp_path, "digest", "1.0.0", SINK, sources={"feed": "1.0.0"}),
        ):
            assert deploy(client, project).status_code == 201
    open_ui(page, f"{c.url}/#digest%401", {"feed@1", "digest@1"})
    wait_until(lambda: text_of(page, "#panel-title") == "digest", 5, what="the sidebar for digest")
    click(page, '#sidebar [data-verb="pulse"]')
    wait_until(lambda: ponds(page) == {"feed@1": "failed", "digest@1": "blocked"}, 30,
               what="feed failed and digest blocked")
    assert js(page, "return getComputedStyle(document.querySelector('.pond.st-failed .pond-box')).stroke;") \
        == "rgb(220, 38, 38)"
    assert "blocked by feed@1" in text_of(page, '.pond[data-id="digest@1"] .pond-status')
    assert "feed@1" in text_of(page, "#sidebar dl.state")
    screenshot(page, "ui-failure-canvas.png")

    click(page, '.pond[data-id="feed@1"]')
    wait_until(lambda: "the feed is down" in text_of(page, "#sidebar .pond-error"), 5,
               what="the error in the sidebar")
    wait_until(lambda: "failed" in text_of(page, "#history tr.run"), 10, what="the failed run")
    click(page, "#history tr.run")
    wait_until(lambda: text_of(page, "#history tr.detail details.tb pre"), 5, what="the traceback")
    tb = text_of(page, "#history tr.detail details.tb pre")
    assert "Traceback (most recent call last)" in tb
    assert 'raise RuntimeError("the feed is down")' in tb
    assert "RuntimeError: the feed is down" in text_of(page, "#history tr.detail .error-msg")
    attempts = js(page, "return [...document.querySelectorAll('#history tr.attempt')].map((r) => r.textContent);")
    assert len(attempts) == 2, attempts  # one immediate retry in the same run
    assert "retry" in attempts[1] and "#2" in attempts[1]
    before = js(page, "return document.getElementById('history').offsetHeight;")
    page.find_element(By.CSS_SELECTOR, ".splitter").send_keys(*[Keys.ARROW_UP] * 5)
    assert js(page, "return document.getElementById('history').offsetHeight;") >= before + 150
    js(page, "document.querySelector('#history tr.detail details.tb').scrollIntoView({block: 'end'});")
    screenshot(page, "ui-failure-traceback.png")

    click(page, '.pond[data-id="digest@1"]')  # drop the Pulse's demand, upstream too
    click(page, "#sleep-upstream")
    click(page, '#sidebar [data-verb="sleep"]')
    wait_until(lambda: "Slept, with upstream" in text_of(page, "#control-h ~ .result.ok"), 5, what="slept")
    click(page, '.pond[data-id="feed@1"]')
    click(page, '#sidebar [data-verb="clear"]')  # back to idle without running; the Sink unblocks
    wait_until(lambda: ponds(page) == {"feed@1": "idle", "digest@1": "idle"}, 10, what="cleared")
    click(page, '#sidebar [data-verb="kill"]')  # Kill asks for a second click
    assert text_of(page, '#sidebar [data-verb="kill"]') == "Kill now?"
    assert ponds(page)["feed@1"] == "idle"
    click(page, '#sidebar [data-verb="kill"]')
    wait_until(lambda: ponds(page) == {"feed@1": "killed", "digest@1": "blocked"}, 10, what="killed")


def test_key_prompt_then_the_graph_loads(start_catchment, demo: Path, page: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    page.allowed_errors = ("401",)  # the refused requests are logged by Chromium itself
    c = start_catchment(key="sesame")
    with c.client() as client:
        deploy_demo(client, demo)
    page.get(f"{c.url}/")
    wait_until(lambda: js(page, "return document.getElementById('key-dialog').open;"), 10,
               what="the key prompt")
    field = page.find_element(By.CSS_SELECTOR, "#key-dialog input[type=password]")
    field.send_keys("wrong\n")
    wait_until(lambda: "refused" in text_of(page, "#key-dialog .key-note"), 10, what="the refusal")
    page.find_element(By.CSS_SELECTOR, "#key-dialog input[type=password]").send_keys("sesame\n")
    wait_until(lambda: set(ponds(page)) == DEMO, 10, what="the graph after the key")
    assert not js(page, "return document.getElementById('key-dialog').open;")
    stored = js(page, "return Object.entries(localStorage).filter(([k]) => k.startsWith('duckstring.key'));")
    assert [v for _, v in stored] == ["sesame"]
    open_ui(page, f"{c.url}/", DEMO)  # kept in the browser: no prompt the second time
    assert not js(page, "return document.getElementById('key-dialog').open;")

    # keyboard: Enter on a focused Pond opens its sidebar, Esc comes back to the Pond
    js(page, "document.querySelector('.pond[data-id=\"reports@1\"]').focus();")
    page.switch_to.active_element.send_keys(Keys.ENTER)
    wait_until(lambda: js(page, "return document.activeElement.id;") == "panel-title", 5,
               what="the focus in the sidebar")
    assert text_of(page, "#panel-title") == "reports"
    page.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait_until(lambda: js(page, "return document.activeElement.dataset.id;") == "reports@1", 5,
               what="the focus back on the Pond")
    assert "Nothing selected" in text_of(page, "#sidebar")


class Mounted:
    """Serve a WSGI app under a path prefix, as a hosting platform does: the prefix moves from
    PATH_INFO to SCRIPT_NAME, and nothing outside it is served."""

    def __init__(self, app: Any, prefix: str) -> None:
        self.app = app
        self.prefix = prefix
        self.catchment = app.catchment  # Server.stop closes it

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path != self.prefix and not path.startswith(self.prefix + "/"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"outside the mount\n"]
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + self.prefix
        environ["PATH_INFO"] = path[len(self.prefix):]
        return self.app(environ, start_response)


def test_the_ui_works_under_a_path_prefix(tmp_path: Path, demo: Path, page: Any) -> None:
    """Mounted at /content/abc/: the graph loads, the bare prefix redirects to it, and the
    sidebar's writes (budgets, Windows, a Tide) reach the API, with errors shown in place."""
    from duckstring.embedded.app import create_app
    from duckstring.embedded.runner import Server
    from duckstring.embedded.settings import Settings

    page.allowed_errors = ("409 (Conflict)",)  # Chromium logs the refused duplicate itself
    app = create_app(Settings(root=tmp_path / "mounted"))
    server = Server(Mounted(app, "/content/abc"), "127.0.0.1", 0, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        base = f"{server.url}/content/abc"
        with httpx.Client(base_url=base, timeout=60) as client:
            deploy_demo(client, demo)
        open_ui(page, f"{base}/", DEMO)
        open_ui(page, base, DEMO)  # without the slash: redirected to it
        assert page.current_url == f"{base}/"
        assert "No runs yet" in text_of(page, "#history .empty")

        click(page, '.pond[data-id="transactions@1"]')
        wait_until(lambda: js(page, "return document.getElementById('budget-immediate_retries').value;") == "0",
                   5, what="the budget form")
        fill(page, "#budget-immediate_retries", "2")
        click(page, "form.budget button")
        wait_until(lambda: "Budgets saved" in text_of(page, "#sidebar .result.ok"), 5, what="budgets saved")
        assert app.catchment.coordinator.engine.pond("transactions@1").immediate_retries == 2

        click(page, "details.add-window summary")
        for _ in range(2):  # the second add of the same name is refused, in place
            fill(page, '.window-form input[name="name"]', "nightly")
            fill(page, '.window-form input[name="every"]', "1d")
            fill(page, '.window-form input[name="duration"]', "2h")
            click(page, ".window-form button")
            wait_until(lambda: text_of(page, "#windows-h ~ .result"), 5, what="the window answer")
        assert "nightly" in text_of(page, "#windows-h ~ .result.error")
        assert "nightly" in text_of(page, ".windows-list")
        assert "every 1d · open 2h" in text_of(page, ".windows-list")
        click(page, '.windows-list button[aria-label="Remove window nightly"]')
        wait_until(lambda: "No windows" in text_of(page, ".windows-list"), 5, what="the window removed")

        fill(page, "#tide-bound", "soon")
        click(page, '#sidebar [data-verb="tide"]')
        assert "like 90s" in text_of(page, "#triggers-h ~ .result.error")
        fill(page, "#tide-bound", "4h")
        click(page, '#sidebar [data-verb="tide"]')
        wait_until(lambda: "Tide 4h" in text_of(page, '.pond[data-id="transactions@1"] .pill.trigger'), 5,
                   what="the Tide on the canvas")
        click(page, '#sidebar [data-verb="untrigger"]')
        wait_until(lambda: not text_of(page, '.pond[data-id="transactions@1"] .pill.trigger'), 5,
                   what="the Tide removed")
    finally:
        page.get("about:blank")
        server.stop()
        thread.join(10)


def test_fifty_ponds_stay_readable(start_catchment, tmp_path: Path, page: Any) -> None:
    from tests.e2e.many_ponds import write_many

    c = start_catchment()
    projects = write_many(tmp_path / "many")
    with c.client() as client:
        for project in projects:
            assert deploy(client, project).status_code == 201
    expect = {f"{p.name}@1" for p in projects}
    page.set_window_size(1600, 1000)  # a desktop browser window
    open_ui(page, f"{c.url}/", expect)
    boxes = js(page, """return [...document.querySelectorAll('.pond')].map((el) => {
        const r = el.querySelector('.pond-box').getBoundingClientRect();
        return [el.dataset.id, r.left, r.top, r.right, r.bottom]; });""")
    overlaps = [(a[0], b[0]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]]
    assert not overlaps
    canvas = js(page, "const r = document.querySelector('#canvas svg').getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom];")
    outside = [b[0] for b in boxes if b[1] < canvas[0] or b[2] < canvas[1] or b[3] > canvas[2] or b[4] > canvas[3]]
    assert not outside, f"the fitted view leaves Ponds out: {outside}"
    # zoomed out to fit, each box shows just its name in letters still big enough to read
    assert js(page, "return document.querySelector('#canvas svg').classList.contains('far');")
    heights = js(page, "return [...document.querySelectorAll('.overview tspan')].map((t) => t.getBoundingClientRect().height);")
    assert min(heights) >= 8.5, f"names render {min(heights):.1f}px tall"
    screenshot(page, "ui-fifty-ponds.png")
    click(page, '.pond[data-id="finance_report@1"]')
    for _ in range(4):
        click(page, '[data-zoom="in"]')
    assert not js(page, "return document.querySelector('#canvas svg').classList.contains('far');")
    screenshot(page, "ui-fifty-ponds-zoomed.png")
    page.set_window_size(1440, 900)
