"""Serving the web UI (runtime.md §9) without a browser: every file the page needs is served
with the right type, every reference is relative (so a path-prefix mount works), nothing is
fetched from elsewhere, and the bare prefix redirects to itself with a slash."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import falcon
import falcon.testing
import pytest

from duckstring.embedded.resources.ui import STATIC

REFERENCE = re.compile(r"""(?:src|href)="([^"#]+)"|from '([^']+)'|import\('([^']+)'\)""")
API_CALL = re.compile(r"""`(api/[^`$?]*)|'(api/[^'?]*)""")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[falcon.App]:
    from duckstring.embedded.app import Catchment, create_app
    from duckstring.embedded.settings import Settings

    app = create_app(Catchment.open(Settings(root=tmp_path / "root")))
    yield app
    app.catchment.close()


def test_index_and_every_asset_it_references_are_served(app: falcon.App) -> None:
    index = falcon.testing.simulate_get(app, "/")
    assert index.status_code == 200
    assert index.headers["content-type"].startswith("text/html")
    assets = [a or b or c for a, b, c in REFERENCE.findall(index.text)]
    assert "static/app.js" in assets and "static/style.css" in assets
    types = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
    for asset in assets:
        got = falcon.testing.simulate_get(app, f"/{asset}")
        assert got.status_code == 200, asset
        assert got.headers["content-type"].startswith(types[Path(asset).suffix]), asset


def test_every_reference_is_relative_and_local() -> None:
    for path in STATIC.iterdir():
        text = path.read_text(encoding="utf-8")
        for ref in (a or b or c for a, b, c in REFERENCE.findall(text)):
            assert not ref.startswith(("/", "http:", "https:", "//")), f"{path.name}: {ref}"
            if path.suffix == ".js":
                assert (STATIC / ref).is_file(), f"{path.name} imports a missing {ref}"
        urls = [u for u in re.findall(r"https?://[^\s'\")]+", text) if "www.w3.org" not in u]
        assert not urls, f"{path.name} reaches outside the Catchment: {urls}"
        if path.suffix == ".js":
            calls = [a or b for a, b in API_CALL.findall(text)]
            assert all(not c.startswith("/") for c in calls)


def test_a_prefix_mount_asked_without_its_slash_redirects_to_it(app: falcon.App) -> None:
    got = falcon.testing.simulate_get(app, "/", root_path="/content/abc", extras={"PATH_INFO": ""})
    assert got.status_code == 308
    assert got.headers["location"] == "abc/"
    mounted = falcon.testing.simulate_get(app, "/", root_path="/content/abc")
    assert mounted.status_code == 200 and 'src="static/app.js"' in mounted.text
