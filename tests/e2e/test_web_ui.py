"""The web UI (issues 5, 9 and 10) in a real headless Chromium against real Catchments with real
Ducks: the canvas, a Pulse flowing through it, the Fit view's essentials, a failure traced to
its traceback, Remove, the empty graph, the key prompt, a path-prefix mount, a narrow window
and a 50-Pond deployment whose edges never pass under a box. Screenshots land in each test's
tmp dir (DUCKSTRING_DOCS_IMAGES=1 also refreshes docs/images/)."""

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


# Each box's essentials as drawn: the name, state and age texts that are displayed (the
# detail's, or the overview's when zoomed out), their screen rectangles and rendered font sizes.
ESSENTIALS = """
const far = document.querySelector('#canvas svg').classList.contains('far');
const canvas = document.querySelector('#canvas svg').getBoundingClientRect();
const rect = (el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
const font = (el) => parseFloat(getComputedStyle(el).fontSize) * el.getScreenCTM().a;
const part = (el) => ({ text: el.textContent, rect: rect(el), px: font(el),
                        shown: getComputedStyle(el.closest('g.detail, g.overview')).display !== 'none' });
return { far, canvas: [canvas.left, canvas.top, canvas.right, canvas.bottom],
  boxes: [...document.querySelectorAll('.pond')].map((el) => ({
    id: el.dataset.id, box: rect(el.querySelector('.pond-box')),
    parts: far
      ? { name: part(el.querySelector('.overview-name')), state: part(el.querySelector('.overview-state')) }
      : { name: part(el.querySelector('.pond-name')), state: part(el.querySelector('.pond-status')),
          age: part(el.querySelector('.pond-age')) },
  })) };
"""


def inside(inner: list[float], outer: list[float], slack: float = 1.0) -> bool:
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack
            and inner[2] <= outer[2] + slack and inner[3] <= outer[3] + slack)


def overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def assert_essentials(driver: Any, expect: set[str], age_pattern: str, *, all_in_view: bool = True) -> list[str]:
    """Every box in view shows its name (whole), state and freshness age, legibly (≥ 9 px),
    inside the box and not on top of each other; returns the ids in view."""
    import re

    got = js(driver, ESSENTIALS)
    status = ponds(driver)
    in_view = [b for b in got["boxes"] if overlap(b["box"], got["canvas"])]
    assert {b["id"] for b in got["boxes"]} == expect
    if all_in_view:
        assert all(inside(b["box"], got["canvas"]) for b in got["boxes"]), "the Fit view leaves boxes out"
    for b in in_view:
        name, state = b["parts"]["name"], b["parts"]["state"]
        texts = list(b["parts"].values())
        assert all(t["shown"] for t in texts), b
        assert name["text"] == b["id"].split("@")[0], f"{b['id']}: name shown as {name['text']!r}"
        assert state["text"].startswith(status[b["id"]]), b
        age = b["parts"]["age"]["text"] if "age" in b["parts"] else state["text"].split(" · ", 1)[1]
        assert re.search(age_pattern if "age" in b["parts"] else r"^(\d+[smhd]|never|no output)$", age), \
            f"{b['id']}: age {age!r}"
        for t in texts:
            assert t["px"] >= 9, f"{b['id']}: {t['text']!r} renders at {t['px']:.1f}px"
            assert inside(t["rect"], b["box"]), f"{b['id']}: {t['text']!r} spills out of its box"
        for i, t in enumerate(texts):
            for u in texts[i + 1:]:
                assert not overlap(t["rect"], u["rect"]), f"{b['id']}: {t['text']!r} overlaps {u['text']!r}"
    return [b["id"] for b in in_view]


def test_canvas_shows_the_demo_then_a_pulse_flows_through_it_into_history(
        start_catchment, demo: Path, page: Any, tmp_path: Path) -> None:
    c = start_catchment(DUCKSTRING_DEMO_SPEED="0.1")
    page.set_window_size(1400, 900)
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
    screenshot(page, tmp_path / "ui-demo-canvas.png")

    js(page, RECORD_STATUSES)
    click(page, '.pond[data-id="reports@1"]')
    wait_until(lambda: text_of(page, "#panel-title") == "reports", 5, what="the sidebar for reports")
    # Why? says it is idle without demand, with its rule; Preview predicts a Pulse, runs nothing
    wait_until(lambda: "no demand" in text_of(page, "#sidebar .why-list"), 10, what="Why? for reports")
    assert "§3" in text_of(page, "#sidebar .why-list")
    click(page, '#sidebar [data-preview="pulse"]')
    wait_until(lambda: "would settle in" in text_of(page, "#sidebar .result.ok"), 10,
               what="the Preview of a Pulse")
    assert js(page, "return document.querySelectorAll('#sidebar .preview-list li').length;") >= 4
    assert set(ponds(page).values()) == {"idle"}
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
    # the list is fetched without attempts; one run's attempts are fetched when it is opened
    fetched = js(page, "return performance.getEntriesByType('resource').map((e) => e.name).filter((u) => u.includes('api/runs'));")
    with_attempts = [u for u in fetched if "ripples=true" in u]
    assert with_attempts and all("run=" in u for u in with_attempts), fetched
    # the sidebar lists reports' published table with the version the Pulse's run committed
    wait_until(lambda: "monthly_summary" in text_of(page, "#sidebar .tables-body"), 10,
               what="the Tables section of reports")
    click(page, '#sidebar .table-entry[data-table="monthly_summary"] summary')
    assert text_of(page, '#sidebar .table-entry[data-table="monthly_summary"] summary').split()[1] == "v0"
    assert "reports@1@" in text_of(page, '#sidebar .table-entry[data-table="monthly_summary"] [data-version="0"]')
    screenshot(page, tmp_path / "ui-after-pulse.png")

    click(page, '[data-zoom="fit"]')
    assert_essentials(page, DEMO, age_pattern=r"^fresh \d")
    screenshot(page, tmp_path / "ui-demo-fit.png", docs="graph.png")


def test_preview_predicts_a_wave_and_a_tide_and_triggers_nothing(
        start_catchment, demo: Path, page: Any) -> None:
    c = start_catchment(DUCKSTRING_DEMO_SPEED="0.1")
    with c.client() as client:
        deploy_demo(client, demo)
        open_ui(page, f"{c.url}/", DEMO)
        click(page, '.pond[data-id="reports@1"]')
        wait_until(lambda: text_of(page, "#panel-title") == "reports", 5, what="the sidebar for reports")
        preview = "#sidebar section[aria-labelledby='preview-h']"
        rows = f"return [...document.querySelectorAll(\"{preview} .preview-list li\")].map((li) => li.textContent);"

        click(page, f'{preview} [data-preview="wave"]')
        wait_until(lambda: "would settle in" in text_of(page, f"{preview} .result.ok"), 10,
                   what="the Preview of a Wave")
        assert text_of(page, f"{preview} .result.ok").startswith("Preview: reports@1 would settle in")
        # the whole lineage runs from cold (a Wave keeps upstream busy meanwhile)
        runs = [r.split()[1:3] for r in js(page, rows) if r.startswith("+")]
        assert {pond for verb, pond in runs if verb == "run"} == DEMO, runs
        assert ["run", "reports@1"] in runs, runs

        # a Tide needs its bound: none given is one message, and nothing is asked
        click(page, f'{preview} [data-preview="tide"]')
        wait_until(lambda: "bound like 90s" in text_of(page, f"{preview} .result.error"), 5,
                   what="the missing bound's message")
        fill(page, "#preview-bound", "1h")
        click(page, f'{preview} [data-preview="tide"]')
        wait_until(lambda: "would settle in" in text_of(page, f"{preview} .result.ok"), 10,
                   what="the Preview of a Tide")
        runs = [r.split()[1:3] for r in js(page, rows) if r.startswith("+")]
        assert {pond for verb, pond in runs if verb == "run"} == DEMO, runs

        # previews only: no trigger was set, nothing ran
        status = {p["id"]: p for p in client.get("/api/status").json()["ponds"]}
        assert status["reports@1"]["trigger"] is None
        assert {p["status"] for p in status.values()} == {"idle"}
        assert client.get("/api/runs").json()["runs"] == []
        assert set(ponds(page).values()) == {"idle"}


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
    """The failing Ripple's message is in the failed Pond's sidebar, its traceback one click
    away; the run history opens to every attempt."""
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
    screenshot(page, tmp_path / "ui-failure-canvas.png")

    click(page, '.pond[data-id="feed@1"]')
    wait_until(lambda: "Ripple feed failed" in text_of(page, "#sidebar .pond-error-head"), 10,
               what="the failing Ripple named in the sidebar")
    assert "the feed is down" in text_of(page, "#sidebar .pond-error-msg")
    tb = '#sidebar .pond-error details.tb'
    assert js(page, f"return document.querySelector('{tb}').open;") is False
    assert js(page, f"return document.querySelector('{tb} pre').checkVisibility();") is False
    click(page, f"{tb} summary")  # one click to the traceback
    shown = text_of(page, f"{tb} pre")
    assert "Traceback (most recent call last)" in shown and 'raise RuntimeError("the feed is down")' in shown
    assert js(page, f"return document.querySelector('{tb} pre').checkVisibility();") is True
    screenshot(page, tmp_path / "ui-failure-sidebar.png")
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
    screenshot(page, tmp_path / "ui-failure-traceback.png")

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
    from duckstring.embedded.app import Catchment, create_app
    from duckstring.embedded.runner import Server
    from duckstring.embedded.settings import Settings

    page.allowed_errors = ("409 (Conflict)",)  # Chromium logs the refused duplicate itself
    app = create_app(Catchment.open(Settings(root=tmp_path / "mounted")))
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


# Samples every edge's rendered path (getPointAtLength) and reports each sample strictly inside
# a box that is neither the edge's Source nor its Sink, all in the graph's own coordinates.
EDGES_UNDER_BOXES = """
const boxes = [...document.querySelectorAll('.pond')].map((el) => {
  const m = el.transform.baseVal.consolidate().matrix;
  const r = el.querySelector('.pond-box');
  return [el.dataset.id, m.e, m.f, m.e + r.width.baseVal.value, m.f + r.height.baseVal.value];
});
const hits = [];
const paths = [...document.querySelectorAll('.edge')];
for (const path of paths) {
  const [from, to] = path.dataset.edge.split('>');
  const length = path.getTotalLength();
  const points = [];
  for (let d = 0; d <= length; d += 2) points.push(path.getPointAtLength(d));
  for (const [id, x0, y0, x1, y1] of boxes) {
    if (id === from || id === to) continue;
    if (points.some((p) => p.x > x0 + 1 && p.x < x1 - 1 && p.y > y0 + 1 && p.y < y1 - 1)) {
      hits.push(`${path.dataset.edge} passes under ${id}`);
    }
  }
}
return { hits, edges: paths.length, boxes: boxes.length };
"""


def test_fifty_ponds_edges_go_around_boxes_and_fit_stays_legible(
        start_catchment, tmp_path: Path, page: Any) -> None:
    from tests.e2e.many_ponds import plan, write_many

    c = start_catchment()
    projects = write_many(tmp_path / "many")
    with c.client() as client:
        for project in projects:
            assert deploy(client, project).status_code == 201
    expect = {f"{p.name}@1" for p in projects}
    page.set_window_size(1400, 900)
    open_ui(page, f"{c.url}/", expect)

    geometry = js(page, EDGES_UNDER_BOXES)
    assert geometry["edges"] == sum(len(sources) for _, sources, _ in plan())
    assert geometry["hits"] == [], geometry["hits"]
    boxes = js(page, """return [...document.querySelectorAll('.pond-box')].map((r) => {
        const b = r.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; });""")
    assert not [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if overlap(a, b)]

    # Fit keeps the essentials legible: zoomed out to the overview, as far as it stays readable,
    # from the Inlets at the top left; the rest is a pan away
    assert js(page, "return document.querySelector('#canvas svg').classList.contains('far');")
    shown = assert_essentials(page, expect, "", all_in_view=False)
    assert len(shown) >= 20, f"only {len(shown)} boxes in the fitted view"
    assert {"customers_raw@1", "inventory_raw@1"} <= set(shown)
    screenshot(page, tmp_path / "ui-fifty-ponds.png")
    for _ in range(3):
        click(page, '[data-zoom="out"]')  # further out is the whole map, readable up close only
    screenshot(page, tmp_path / "ui-fifty-ponds-map.png")
    click(page, '.pond[data-id="finance_report@1"]')
    for _ in range(7):
        click(page, '[data-zoom="in"]')
    assert not js(page, "return document.querySelector('#canvas svg').classList.contains('far');")
    screenshot(page, tmp_path / "ui-fifty-ponds-zoomed.png")
    page.set_window_size(1440, 900)


def test_a_narrow_window_stacks_graph_pond_and_runs(start_catchment, demo: Path, page: Any,
                                                     tmp_path: Path) -> None:
    c = start_catchment()
    with c.client() as client:
        deploy_demo(client, demo)
    page.set_window_size(420, 860)
    try:
        open_ui(page, f"{c.url}/", DEMO)
        width = js(page, "return document.documentElement.clientWidth;")
        assert width <= 480
        assert js(page, "return document.documentElement.scrollWidth;") <= width, "the page scrolls sideways"
        order = js(page, """return ['#canvas', '#sidebar', '#history'].map((s) => {
            const r = document.querySelector(s).getBoundingClientRect();
            return [r.top + scrollY, r.bottom + scrollY, r.left, r.right]; });""")
        (canvas, side, runs) = order
        assert canvas[1] <= side[0] + 1 and side[1] <= runs[0] + 1, f"not stacked: {order}"
        assert canvas[1] - canvas[0] >= 250, "the graph has no room"
        assert all(r[2] >= 0 and r[3] <= width + 1 for r in order)
        assert_essentials(page, DEMO, r"^never ran$")
        screenshot(page, tmp_path / "ui-narrow-graph.png")

        click(page, '.pond[data-id="sales@1"]')
        wait_until(lambda: text_of(page, "#panel-title") == "sales", 5, what="the sidebar for sales")
        wait_until(lambda: js(page, """const r = document.getElementById('panel-title').getBoundingClientRect();
            return r.top >= 0 && r.bottom <= innerHeight;"""), 5, what="the selected Pond scrolled into view")
        spill = js(page, """return [...document.querySelectorAll('#sidebar button, #sidebar input, #history th')]
            .filter((el) => el.offsetParent && el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
            .map((el) => el.textContent || el.name);""")
        assert spill == [], f"cut off at the right: {spill}"
        assert js(page, "return document.documentElement.scrollWidth;") <= width
        screenshot(page, tmp_path / "ui-narrow-sidebar.png")
    finally:
        page.set_window_size(1440, 900)


def test_the_empty_graph_names_commands_that_exist(start_catchment, page: Any, tmp_path: Path) -> None:
    import shlex

    from typer.testing import CliRunner

    from duckstring.cli import app

    c = start_catchment()
    page.get(f"{c.url}/")
    wait_until(lambda: js(page, "return !document.querySelector('.canvas-empty').hidden;"), 10,
               what="the empty graph's hint")
    commands = js(page, "return [...document.querySelectorAll('.canvas-empty code')].map((c) => c.textContent);")
    assert "duckstring pond deploy" in commands
    for command in commands:
        words = shlex.split(command)
        assert words[0] == "duckstring"
        result = CliRunner().invoke(app, [*words[1:], "--help"])
        assert result.exit_code == 0, f"{command}: {result.output}"
    written = CliRunner().invoke(app, ["pond", "demo", str(tmp_path / "demo"), "-y"])  # as hinted
    assert written.exit_code == 0, written.output
    assert (tmp_path / "demo" / "sales" / "pond.toml").is_file()


def test_remove_takes_two_clicks_and_the_line_leaves_the_graph(start_catchment, tmp_path: Path,
                                                              page: Any) -> None:
    c = start_catchment()
    with c.client() as client:
        for project in (
            write_pond(tmp_path, "feed", "1.0.0", SINK, kind="inlet"),
            write_pond(tmp_path, "digest", "1.0.0", SINK, sources={"feed": "1.0.0"}),
        ):
            assert deploy(client, project).status_code == 201
        allowed = client.options("/api/ponds/feed", params={"major": 1})
        if allowed.status_code in (404, 405) or "DELETE" not in allowed.headers.get("allow", ""):
            pytest.skip("DELETE /api/ponds/{name} is not in this build yet")
    open_ui(page, f"{c.url}/#feed%401", {"feed@1", "digest@1"})
    wait_until(lambda: text_of(page, "#panel-title") == "feed", 5, what="the sidebar for feed")
    remove = '#sidebar [data-verb="remove-pond"]'
    click(page, remove)
    assert text_of(page, remove) == "Remove feed@1?"
    assert set(ponds(page)) == {"feed@1", "digest@1"}  # one click does nothing yet
    click(page, remove)
    wait_until(lambda: set(ponds(page)) == {"digest@1"}, 15, what="feed@1 gone from the graph")
    wait_until(lambda: "feed@1 removed" in text_of(page, "#sidebar"), 5, what="the removal said")
    assert "feed" not in page.current_url.split("#", 1)[-1]
    with c.client() as client:
        doc = client.get("/api/status").json()
    assert [p["id"] for p in doc["ponds"]] == ["digest@1"]
    assert "feed@1" in doc["ponds"][0]["missing_sources"]
    click(page, '.pond[data-id="digest@1"]')
    wait_until(lambda: "feed@1" in text_of(page, "#sidebar dl.state"), 5, what="feed@1 missing")
    screenshot(page, tmp_path / "ui-removed.png")
