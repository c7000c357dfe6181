"""Bad input gets a clear error and loses nothing: manifests, archives, modules, cycles, pins,
unknown Ponds and SQL that tries to leave the published data."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest

from tests.e2e.conftest import deploy_demo, write_pond
from tests.e2e.harness import deploy, settled, wait_until
from tests.embedded.test_probe import daemon_module

GOOD = """
    from duckstring import ripple

    @ripple
    def make(pond):
        pond.write_table("t", pond.con.sql("SELECT 1 AS v"))
    """


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under the root with size and mtime (SQLite's own WAL churn aside)."""
    return {
        p.relative_to(root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith("duck.db") and not p.name.endswith(".log")
    }


def _upload(client, manifest: str, archive: bytes):
    return client.post("/api/deploy", files={
        "manifest": ("pond.toml", manifest.encode(), "text/plain"),
        "archive": ("p.zip", archive, "application/zip"),
    })


def _zip(entries: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            z.writestr(info, target)
    return buf.getvalue()


MANIFEST = '[pond]\nname = "evil"\nversion = "1.0.0"\ntype = "inlet"\n'
MODULE = b"from duckstring import ripple\n\n@ripple\ndef make(pond):\n    pass\n"


@pytest.mark.parametrize("entries,links", [
    ({"src/pond.py": MODULE, "../escape.txt": b"x"}, None),
    ({"src/pond.py": MODULE, "/etc/cron.d/evil": b"x"}, None),
    ({"src/pond.py": MODULE}, {"src/link": "/etc/passwd"}),
], ids=["dotdot", "absolute", "symlink"])
def test_unsafe_archives_are_refused_and_leave_nothing(start_catchment, entries, links) -> None:
    c = start_catchment()
    with c.client() as client:
        before = _tree(c.root)
        r = _upload(client, MANIFEST, _zip(entries, links))
        assert r.status_code == 422, r.text
        assert r.json()["error"]["message"]
        assert _tree(c.root) == before
        assert not (c.root.parent / "escape.txt").exists()
        assert not list((c.root / "tmp").iterdir())
        assert client.get("/api/ponds").json()["ponds"] == []


def test_oversize_upload_is_413(start_catchment) -> None:
    c = start_catchment(DUCKSTRING_MAX_UPLOAD_MB="0.01")
    with c.client() as client:
        r = _upload(client, MANIFEST, _zip({"src/pond.py": MODULE, "big.bin": b"x" * 50_000}))
        assert r.status_code == 413, r.text
        assert client.get("/api/ponds").json()["ponds"] == []


def test_malformed_manifest_lists_every_problem(start_catchment) -> None:
    c = start_catchment()
    with c.client() as client:
        r = _upload(client, '[pond]\nname = "Bad Name"\nversion = "1.0"\ncolour = 1\n',
                    _zip({"src/pond.py": MODULE}))
        assert r.status_code == 422
        problems = r.json()["error"]["problems"]
        assert any("pond.toml:2" in p and "name" in p for p in problems)
        assert any("pond.toml:3" in p and "version" in p for p in problems)
        assert any("colour" in p for p in problems)


def test_broken_module_is_422_with_traceback_and_the_server_lives(start_catchment, tmp_path: Path) -> None:
    c = start_catchment()
    with c.client() as client:
        broken = write_pond(tmp_path, "broken", "1.0.0", "import no_such_module_here\n", kind="inlet")
        r = deploy(client, broken)
        assert r.status_code == 422, r.text
        assert "no_such_module_here" in r.json()["error"]["traceback"]
        assert client.get("/api/health").json() == {"status": "ok"}
        assert not (c.root / "ponds" / "broken").exists()


def test_deploy_never_runs_ripple_bodies(start_catchment, tmp_path: Path) -> None:
    marker = tmp_path / "ran.txt"
    project = write_pond(tmp_path, "quiet", "1.0.0", f"""
        from duckstring import ripple

        @ripple
        def noisy(pond):
            open({str(marker)!r}, "w").write("ran")
        """, kind="inlet")
    c = start_catchment()
    with c.client() as client:
        assert deploy(client, project).status_code == 201
        assert not marker.exists()


def test_cycles_and_pins_are_refused(start_catchment, tmp_path: Path) -> None:
    c = start_catchment()
    with c.client() as client:
        a = write_pond(tmp_path, "a", "1.0.0", GOOD, sources={"b": "1.0.0"})
        b = write_pond(tmp_path, "b", "1.0.0", GOOD, sources={"a": "1.0.0"})
        assert deploy(client, a).status_code == 201  # b is absent: the edge binds later
        r = deploy(client, b)
        assert r.status_code == 422 and "cycle" in r.text
        base = write_pond(tmp_path, "base", "1.0.0", GOOD, kind="inlet")
        needs = write_pond(tmp_path, "needs", "1.0.0", GOOD, sources={"base": "1.2.0"})
        assert deploy(client, base).status_code == 201
        r = deploy(client, needs)
        assert r.status_code == 422 and "1.2.0" in r.text


def test_unknown_pond_is_404(start_catchment) -> None:
    c = start_catchment()
    with c.client() as client:
        for method, path in (("POST", "/api/ponds/ghost/pulse"), ("GET", "/api/ponds/ghost/tables"),
                             ("GET", "/api/runs?pond=ghost"), ("POST", "/api/ponds/ghost/wave")):
            r = client.request(method, path)
            assert r.status_code == 404, (path, r.text)
            assert "ghost" in r.json()["error"]["message"]


@pytest.mark.parametrize("sql", [
    "SELECT * FROM read_csv('/etc/passwd')",
    "COPY (SELECT 1) TO 'escaped.csv'",
    "ATTACH 'other.duckdb' AS other",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "SELECT * FROM monthly_summary; COPY (SELECT 1) TO 'x.csv'",
])
def test_queries_cannot_leave_the_published_data(start_catchment, demo: Path, tmp_path: Path, sql: str) -> None:
    c = start_catchment()
    with c.client() as client:
        deploy_demo(client, demo)
        target = client.post("/api/ponds/reports/pulse").json()["target"]
        wait_until(lambda: settled(client, "reports", target), 60, what="reports")
        before = _tree(c.root)
        r = client.post("/api/query", json={"pond": "reports", "sql": sql})
        assert r.status_code == 400, r.text
        assert r.json()["error"]["message"]
        assert _tree(c.root) == before
        assert not list(Path.cwd().glob("escaped.csv"))


INLET = '[pond]\nname = "{name}"\nversion = "{version}"\ntype = "inlet"\n'
DEEP = "[" * 5000 + "]" * 5000


def _state(client) -> object:
    """What bad input must leave as it was: every line's trigger, budget and Windows."""
    out = {}
    for p in client.get("/api/status").json()["ponds"]:
        out[p["id"]] = (p["trigger"], client.get(f"/api/ponds/{p['name']}/budget").json(),
                        client.get(f"/api/ponds/{p['name']}/windows").json()["windows"])
    return out


BAD_JSON = [
    ("tide", '{"bound_s": NaN}', "NaN is not a JSON number"),
    ("tide", '{"bound_s": Infinity}', "Infinity is not a JSON number"),
    ("tide", '{"bound_s": -Infinity}', "-Infinity is not a JSON number"),
    ("tide", '{"bound_s": 1e400}', "too large for a number"),
    ("tide", '{"bound_s": 1e300}', "bound_s must be a number from 0.001 to 315360000"),
    ("budget", '{"immediate_retries": NaN}', "NaN is not a JSON number"),
    ("budget", '{"immediate_retries": 1e300}', "immediate_retries must be a whole number"),
    ("budget", '{"source_retries": 100000000000000000000000000}', "source_retries must be"),
    ("budget", '{"immediate_retries": 1.5}', "immediate_retries must be a whole number"),
    ("windows", '{"name": "w", "every_s": NaN}', "NaN is not a JSON number"),
    ("windows", '{"name": "w", "every_s": 1e300}', "every_s must be a number"),
    ("windows", '{"name": "w", "every_s": 60, "duration_s": Infinity}', "Infinity is not"),
    ("windows", '{"name": "' + "w" * 300 + '", "every_s": 60}', "the limit is 64"),
    *[(verb, DEEP, "nests deeper than 32 levels")
      for verb in ("tap", "pulse", "wave", "tide", "sleep", "budget", "windows")],
    *[(verb, '{"a": ' * 40 + "1" + "}" * 40, "nests deeper than 32 levels")
      for verb in ("tide", "query")],
]


def test_bad_json_is_400_and_changes_nothing(start_catchment) -> None:
    c = start_catchment()
    with c.client() as client:
        assert _upload(client, INLET.format(name="inlet", version="1.0.0"),
                       _zip({"src/pond.py": MODULE})).status_code == 201
        before, state = _tree(c.root), _state(client)
        for path, text, message in BAD_JSON:
            url = "/api/query" if path == "query" else f"/api/ponds/inlet/{path}"
            r = client.post(url, content=text, headers={"content-type": "application/json"})
            case = f"{path} {text[:60]}"
            assert r.status_code == 400, (case, r.text)
            assert message in r.json()["error"]["message"], (case, r.text)
            assert len(r.json()["error"]["message"]) < 200, case
            assert _tree(c.root) == before and _state(client) == state, case
        for wait in ("nan", "inf", "-inf"):  # a NaN wait would hold the thread for ever
            r = client.get("/api/status", params={"since": 1 << 62, "wait": wait}, timeout=10)
            assert r.status_code == 400 and "finite number of seconds" in r.text, r.text
        assert client.get("/api/health").json() == {"status": "ok"}


BAD_VERSIONS = [
    ("1.0.0-" + "a" * 300, "306 characters long; a version has at most 128"),
    ("1.0.0-" + "a" * 100_000, "100006 characters long"),
    (f"{1 << 63}.0.0", "must each be below 2^63"),
    (f"1.{1 << 70}.0", "must each be below 2^63"),
]


def test_unusable_versions_are_422_and_leave_nothing(start_catchment) -> None:
    c = start_catchment()
    with c.client() as client:
        before = _tree(c.root)
        for version, message in BAD_VERSIONS:
            r = _upload(client, INLET.format(name="odd", version=version),
                        _zip({"src/pond.py": MODULE}))
            assert r.status_code == 422, (version[:40], r.text[:300])
            assert any(message in p for p in r.json()["error"]["problems"]), r.text[:300]
            assert len(r.text) < 2000  # the offending text is cut, not echoed
            assert _tree(c.root) == before
            assert not (c.root / "ponds" / "odd").exists()
            assert not list((c.root / "tmp").iterdir())
        assert client.get("/api/ponds").json()["ponds"] == []


BAD_ENTRIES = [
    ("src/" + "x" * 300 + ".py", "is over 255 bytes"),
    ("a/" * 2000 + "x.py", "the limit is 1024"),
    ("a/" * 40 + "x.py", "levels deep; the limit is 32"),
    ("src/" + "é" * 200, "is over 255 bytes"),  # 400 bytes in 200 characters
]


def test_unwritable_zip_entries_are_422_and_leave_nothing(start_catchment) -> None:
    c = start_catchment()
    with c.client() as client:
        before = _tree(c.root)
        for entry, message in BAD_ENTRIES:
            r = _upload(client, MANIFEST, _zip({"src/pond.py": MODULE, entry: b"x"}))
            assert r.status_code == 422, (entry[:40], r.text[:300])
            assert message in r.json()["error"]["message"], r.text[:300]
            assert len(r.json()["error"]["message"]) < 300
            assert _tree(c.root) == before
            assert not (c.root / "ponds" / "evil").exists()
            assert not list((c.root / "tmp").iterdir())


def test_a_daemon_forked_at_import_does_not_outlive_the_deploy(start_catchment,
                                                               tmp_path: Path) -> None:
    pidfile = tmp_path / "daemon.pid"
    project = write_pond(tmp_path, "forky", "1.0.0", daemon_module(pidfile), kind="inlet")
    c = start_catchment()
    with c.client() as client:
        assert deploy(client, project).status_code == 201
    wait_until(pidfile.exists, 30, what="the daemon to write its pid")
    daemon = Path(f"/proc/{pidfile.read_text()}")
    wait_until(lambda: not daemon.exists() or daemon.joinpath("stat").read_text().split()[2] == "Z",
               10, what="the probe's daemon to be gone")
