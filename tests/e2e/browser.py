"""A real headless Chromium for the web UI tests: Debian's `chromium` and `chromium-driver`
driven by selenium, nothing downloaded. `browser_missing()` says why the tests must skip."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"

FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
    # without these Chromium dials out on start, and on a closed network its connections are
    # refused
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1440,900",
)


def browser_missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists():
            return f"{path} is missing (apt-get install chromium chromium-driver; .ci/run does)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install '.[test]')"
    return None


def start_browser() -> tuple[Any, Path]:
    """A Chrome WebDriver with a fresh profile; the caller quits it and removes the profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = Path(tempfile.mkdtemp(prefix="duckstring-chromium-"))
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    return driver, profile


def stop_browser(driver: Any, profile: Path) -> None:
    try:
        driver.quit()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def console_errors(driver: Any, allow: tuple[str, ...] = ()) -> list[str]:
    """Console errors since the last call (reading drains the log), less allowed substrings."""
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" and not any(a in e["message"] for a in allow)]


def screenshot(driver: Any, path: Path, docs: str | None = None) -> Path:
    """Save the page as `path` (in the test's tmp dir). With DUCKSTRING_DOCS_IMAGES=1 a shot
    named by `docs` is also copied to docs/images/ (how the docs' pictures are remade)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(path))
    if docs and os.environ.get("DUCKSTRING_DOCS_IMAGES") == "1":
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_IMAGES / docs)
    return path
