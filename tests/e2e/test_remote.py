"""A Duck on another machine needs nothing from the Catchment's disk (issue 12, item 2).

A real Catchment served over HTTP on 127.0.0.1, tables on a real S3 server (moto), and each
line's Duck started the way a launcher on another machine starts it: `remote.command` in a work
directory of its own, with nothing in its environment but the Catchment's address and a
bootstrap credential (`remote.environ`) — no root, no token, no secret, no AWS setting.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from duckstring.duck import remote
from duckstring.embedded.access.gate import line_token
from duckstring.embedded.app import Catchment, create_app
from duckstring.embedded.runner import Server
from duckstring.embedded.settings import Settings
from duckstring.embedded.supervisor import ProcessHandle
from duckstring.lake.read import snapshot
from duckstring.lake.where import Line
from duckstring.layout import Layout
from duckstring.packaging import digest
from tests.e2e.conftest import deploy_demo, write_pond
from tests.e2e.harness import deploy, settled, wait_until
from tests.lake.conftest import s3, s3_server  # noqa: F401 - fixtures

SECRET = "hunter2-very-secret-value"

FEED = f'''
import os
from duckstring import ripple


@ripple
def load(pond):
    assert os.environ["FEED_SECRET"] == {SECRET!r}, "the secret did not reach the Duck"
    print("loading with the secret", os.environ["FEED_SECRET"])
    pond.write_table("numbers", pond.con.sql("SELECT range AS n FROM range(1, 5)"))
'''

REPORT = '''
from duckstring import ripple


@ripple
def total(pond):
    pond.write_table("total", pond.read_table("feed.numbers").aggregate("sum(n) AS n"))
'''

# builds on its own previous output (the registry) and says which run came before
COUNTER = '''
from duckstring import ripple


@ripple
def count(pond):
    had = pond.con.sql("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'runs'"
                       ).fetchall()[0][0]
    n = 1 + (pond.con.sql("SELECT max(n) FROM runs").fetchall()[0][0] if had else 0)
    prev = "none" if pond.previous_f is None else pond.previous_f.isoformat()
    row = f"SELECT {n} AS n, '{prev}' AS previous"
    pond.write_table("runs", pond.con.sql(f"SELECT * FROM runs UNION ALL {row}" if had else row))
'''


@dataclass
class RemoteLauncher:
    """Starts Ducks as a launcher on another machine would (docs/operating.md §2)."""

    base: Path
    mint: Callable[[str], str] | None = None
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    environs: list[dict[str, str]] = field(default_factory=list)
    node_env: dict[str, str] = field(default_factory=dict)  # the worker machine's own

    def work(self, line: str) -> Path:
        return self.base / line.replace("@", "-")

    def spawn(self, line: str, url: str, token: str) -> ProcessHandle:
        assert self.mint is not None
        env = {**self.node_env, **remote.environ(url, self.mint(line))}
        self.environs.append(env)
        self.base.mkdir(parents=True, exist_ok=True)
        with open(self.base / "launcher.log", "ab") as out:  # what Python says before the log
            proc = subprocess.Popen(remote.command(line, self.work(line)), env=env,
                                    stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return ProcessHandle(proc)

    def adopt(self, line: str) -> None:
        return None


@dataclass
class Remote:
    client: httpx.Client
    catchment: Catchment
    launcher: RemoteLauncher
    base: Path
    data_url: str
    url: str

    def tables(self, name: str, table: str) -> list[dict[str, Any]]:
        found = snapshot(Line(f"{self.data_url}/{name}/m1"))
        assert found is not None, f"{name} has published nothing"
        return sorted(found.dataset(table).to_table().to_pylist(), key=lambda r: str(r))

    def pulse(self, name: str) -> str:
        return str(self.client.post(f"/api/ponds/{name}/pulse").raise_for_status().json()
                   ["target"])

    def settle(self, name: str, target: str) -> dict[str, Any]:
        return wait_until(lambda: settled(self.client, name, target), timeout=90)

    def stop_duck(self) -> None:
        """Stop the newest Duck (SIGTERM, as a launcher's stop does) and wait for it."""
        duck = self.launcher.procs[-1]
        duck.send_signal(signal.SIGTERM)
        duck.wait(20)

    def log(self, line: str) -> str:
        name, major = line.split("@")
        path = self.launcher.work(line) / "ponds" / name / f"m{major}" / "duck.log"
        return path.read_text(errors="replace") if path.exists() else ""


@pytest.fixture
def served(tmp_path: Path, s3: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Remote]:  # noqa: F811
    monkeypatch.setenv("DUCKSTRING_DATA_URL", s3)
    # the worker machine's own environment: a PATH and the object store's settings
    launcher = RemoteLauncher(tmp_path / "workers", node_env={
        "PATH": os.environ["PATH"], **{k: v for k, v in os.environ.items()
                                       if k.startswith("AWS_")}})
    catchment = Catchment.open(Settings(root=tmp_path / "root", liveness_s=10, heartbeat_s=0.5,
                                        duck_idle_s=30), launcher=launcher)
    launcher.mint = catchment.bootstraps.mint
    server = Server(create_app(catchment), "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    catchment.supervisor.set_url(server.url)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            yield Remote(client, catchment, launcher, tmp_path, s3, server.url)
    finally:
        server.stop(duck_timeout=10)
        thread.join(10)
        for proc in launcher.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def test_a_source_and_its_sink_run_on_remote_ducks_end_to_end(served: Remote) -> None:
    c = served.client
    c.put("/api/secrets/FEED_SECRET", json={"value": SECRET, "ponds": ["feed"]}
          ).raise_for_status()
    assert deploy(c, write_pond(served.base, "feed", "1.0.0", FEED, kind="inlet")
                  ).status_code == 201
    report = write_pond(served.base, "report", "1.0.0", REPORT, sources={"feed": "1.0.0"})
    assert deploy(c, report).status_code == 201
    served.settle("report", served.pulse("report"))
    assert served.tables("feed", "numbers") == [{"n": n} for n in (1, 2, 3, 4)]
    assert served.tables("report", "total") == [{"n": 10}]

    # each Duck fetched its version into its own work dir and kept its state there
    for line in ("feed@1", "report@1"):
        work = served.launcher.work(line)
        name = line.split("@")[0]
        assert (work / "ponds" / name / "1.0.0" / "pond.toml").is_file()
        assert (work / "ponds" / name / "m1" / "pond.db").is_file()
        assert (work / "ponds" / name / "m1" / "registry.duckdb").is_file()
        assert (work / "data.url").read_text().strip() == served.data_url
    # and its environment held the address and a bootstrap, nothing else of ours
    for env in served.launcher.environs:
        assert set(env) - set(served.launcher.node_env) == {"DUCKSTRING_CATCHMENT_URL",
                                                            "DUCKSTRING_DUCK_BOOTSTRAP"}
        assert not [k for k in env if k.startswith("DUCKSTRING_") and k not in (
            "DUCKSTRING_CATCHMENT_URL", "DUCKSTRING_DUCK_BOOTSTRAP")]

    # the token, the secret and the bootstraps are in no command line and no log
    hidden = [served.catchment.duck_token, SECRET,
              *(line_token(served.catchment.duck_token, line) for line in ("feed@1", "report@1")),
              *(env["DUCKSTRING_DUCK_BOOTSTRAP"] for env in served.launcher.environs)]
    for proc in served.launcher.procs:
        assert proc.poll() is None
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        assert b"--work" in cmdline
        assert not [h for h in hidden if h.encode() in cmdline]
    logs = served.log("feed@1") + served.log("report@1")
    assert "feed@1: Duck" in logs and "report@1: Duck" in logs
    assert not [h for h in hidden if h in logs]
    assert not [h for h in hidden if h in (served.launcher.base / "launcher.log").read_text()]


def test_a_duck_whose_bootstrap_was_spent_says_so_and_exits(served: Remote,
                                                             tmp_path: Path) -> None:
    assert deploy(served.client, write_pond(served.base, "counter", "1.0.0", COUNTER,
                                            kind="inlet")).status_code == 201
    credential = served.catchment.bootstraps.mint("counter@1")
    served.client.post("/api/duck/counter/1/bootstrap", json={"bootstrap": credential}
                       ).raise_for_status()
    work = tmp_path / "second"
    done = subprocess.run(remote.command("counter@1", work), timeout=60,
                          env={**served.launcher.node_env,
                               **remote.environ(served.url, credential)})
    assert done.returncode == 2
    log = (work / "ponds/counter/m1/duck.log").read_text()
    assert "the Catchment refused the bootstrap (409)" in log and credential not in log
    assert not (work / "ponds/counter/m1/registry.duckdb").exists()


def test_a_version_whose_digest_differs_is_refused(served: Remote, tmp_path: Path) -> None:
    assert deploy(served.client, write_pond(served.base, "counter", "1.0.0", COUNTER,
                                            kind="inlet")).status_code == 201
    deployed = digest(served.catchment.layout.version_dir("counter", "1.0.0"))
    layout = Layout(tmp_path / "elsewhere")
    token = line_token(served.catchment.duck_token, "counter@1")
    with pytest.raises(remote.RemoteError, match=r"has digest sha256:.*refusing it"):
        remote.fetch(layout, served.url, token, "counter", 1, "1.0.0", "sha256:" + "0" * 64)
    assert not layout.version_dir("counter", "1.0.0").exists()
    assert list(remote.scratch(layout, "counter", 1).iterdir()) == []  # nothing half-unpacked

    got = remote.fetch(layout, served.url, token, "counter", 1, "1.0.0", deployed)
    assert digest(got) == deployed
    (got / "src" / "pond.py").write_text("# changed here\n")  # a copy that is not that code
    assert digest(remote.fetch(layout, served.url, token, "counter", 1, "1.0.0", deployed)) \
        == deployed
    with pytest.raises(remote.RemoteError, match=r"refused counter 9\.9\.9 \(404\)"):
        remote.fetch(layout, served.url, token, "counter", 1, "9.9.9", deployed)
    with pytest.raises(remote.RemoteError, match=r"\(401\)"):
        remote.fetch(Layout(tmp_path / "third"), served.url, "wrong", "counter", 1, "1.0.0")


def test_a_new_work_dir_rebuilds_the_registry_from_the_published_tables(
        served: Remote) -> None:
    c = served.client
    assert deploy(c, write_pond(served.base, "counter", "1.0.0", COUNTER, kind="inlet")
                  ).status_code == 201
    first = served.settle("counter", served.pulse("counter"))
    assert [r["n"] for r in served.tables("counter", "runs")] == [1]

    # the Duck moves: it stops, and the next one starts in an empty work dir (its first
    # machine keeps the old one)
    work = served.launcher.work("counter@1")
    served.stop_duck()
    work.rename(work.with_name("first-machine"))
    served.settle("counter", served.pulse("counter"))
    assert len(served.launcher.procs) == 2
    rows = served.tables("counter", "runs")
    assert [r["n"] for r in rows] == [1, 2]  # it read its previous output
    assert rows[0]["previous"] == "none"
    # and knew the run before it (`pond.previous_f`)
    assert datetime.fromisoformat(rows[1]["previous"]) == \
        datetime.fromisoformat(first["end_f"].replace("Z", "+00:00"))
    assert "registry rebuilt from run" in served.log("counter@1")

    # back on the first machine, whose work dir is behind by a run: rebuilt again
    served.stop_duck()
    shutil.rmtree(work)
    work.with_name("first-machine").rename(work)
    crashed = remote.scratch(Layout(work), "counter", 1) / ".unpack-crashed"
    crashed.mkdir(parents=True)  # a fetch the first machine's Duck died in
    (crashed / "pond.toml").write_text("half")
    served.settle("counter", served.pulse("counter"))
    assert [r["n"] for r in served.tables("counter", "runs")] == [1, 2, 3]
    assert not crashed.exists()  # the next Duck of the line cleared it
    # and a Duck whose work dir is current keeps it
    served.stop_duck()
    served.settle("counter", served.pulse("counter"))
    assert [r["n"] for r in served.tables("counter", "runs")] == [1, 2, 3, 4]
    assert served.log("counter@1").count("registry rebuilt from run") == 1


def test_a_duck_that_re_execs_keeps_its_grant(served: Remote, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    monkeypatch.setenv("DUCKSTRING_DUCK_REST_S", "0.3")  # forwarded to the Duck by its grant
    assert deploy(served.client, write_pond(served.base, "counter", "1.0.0", COUNTER,
                                            kind="inlet")).status_code == 201
    served.settle("counter", served.pulse("counter"))
    wait_until(lambda: "re-exec" in served.log("counter@1"), timeout=30)
    wait_until(lambda: served.log("counter@1").count("Duck ") >= 2 and "ready" in
               served.log("counter@1").rsplit("re-exec", 1)[1], timeout=30)
    served.settle("counter", served.pulse("counter"))
    assert len(served.launcher.procs) == 1 and served.launcher.procs[0].poll() is None
    assert [r["n"] for r in served.tables("counter", "runs")] == [1, 2]
    assert "refused the bootstrap" not in served.log("counter@1")


def test_the_demo_pipeline_runs_on_remote_ducks(served: Remote, demo: Path) -> None:
    served.launcher.node_env["DUCKSTRING_DEMO_SPEED"] = "0"  # the worker's own setting
    deploy_demo(served.client, demo)
    served.settle("reports", served.pulse("reports"))
    assert len(served.launcher.procs) == 4  # one remote Duck per line, none of the Catchment's
    rows = served.client.post("/api/query", json={"pond": "reports", "table": "monthly_summary"})
    assert rows.status_code == 200, rows.text
    assert len(rows.json()["rows"]) > 0
