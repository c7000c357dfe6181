"""Bootstrap credentials and the artifact route (embedded/bootstrap.py, issue 12): through the
real app in-process. A credential works once, for its line, and every refusal is a clear 4xx."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from duckstring.embedded.access.gate import line_token
from duckstring.embedded.bootstrap import Bootstraps
from duckstring.packaging import digest
from tests.embedded.test_server import Server, _serve, feed


@pytest.fixture
def lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"file://{tmp_path}/lake"
    monkeypatch.setenv("DUCKSTRING_DATA_URL", url)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "the-catchment-s-own")
    monkeypatch.setenv("DUCKSTRING_DUCK_REST_S", "3")
    monkeypatch.setenv("DUCKSTRING_SMTP_URL", "smtp://user:pw@mail")
    return url


@pytest.fixture
def served(tmp_path: Path, lake: str) -> Iterator[Server]:
    from tests.e2e.harness import deploy

    for server in _serve(tmp_path):
        assert deploy(server.client, feed(tmp_path)).status_code == 201
        server.client.put("/api/secrets/FEED_TOKEN", json={"value": "s3cr3t-value",
                                                           "ponds": ["feed"]}
                          ).raise_for_status()
        yield server


def _mint(server: Server, line: str = "feed@1") -> str:
    return str(server.client._transport.app.catchment.bootstraps.mint(line))  # type: ignore[attr-defined]


def _redeem(server: Server, credential: object, path: str = "/api/duck/feed/1/bootstrap"):
    return server.client.post(path, json={"bootstrap": credential})


def test_a_bootstrap_is_redeemed_once_for_the_grant(served: Server, lake: str) -> None:
    credential = _mint(served)
    got = _redeem(served, credential)
    assert got.status_code == 200, got.text
    grant = got.json()
    catchment = served.client._transport.app.catchment  # type: ignore[attr-defined]
    assert grant["token"] == line_token(catchment.duck_token, "feed@1")
    assert grant["data_url"] == lake
    assert grant["secrets"] == {"FEED_TOKEN": "s3cr3t-value"}
    # the Duck's knobs travel; the Catchment's own settings and credentials stay
    assert grant["env"] == {"DUCKSTRING_DUCK_REST_S": "3"}
    assert got.headers["Cache-Control"] == "no-store"

    again = _redeem(served, credential)
    assert served.error(again, 409).startswith("this bootstrap credential was already redeemed")


def test_refusals_are_clear_and_never_a_500(served: Server) -> None:
    assert "not valid" in served.error(_redeem(served, "dsb_made-up"), 401)
    assert "bootstrap" in served.error(served.client.post("/api/duck/feed/1/bootstrap"), 400)
    assert "bootstrap" in served.error(_redeem(served, 42), 400)
    assert "no line" in served.error(_redeem(served, _mint(served), "/api/duck/nope/1/bootstrap"),
                                     404)
    # bound to its line: presented for another one it is refused, and spent
    credential = _mint(served, "other@1")
    assert "another line" in served.error(_redeem(served, credential), 401)
    assert served.error(_redeem(served, credential), 409)


def test_an_expired_bootstrap_is_refused() -> None:
    now = [0.0]
    boot = Bootstraps(ttl_s=5, monotonic=lambda: now[0])
    credential = boot.mint("feed@1")
    now[0] = 6
    from duckstring.embedded.domain_errors import Unauthorized

    with pytest.raises(Unauthorized, match="expired"):
        boot.redeem("feed@1", credential)


def test_no_data_url_no_remote_duck(tmp_path: Path) -> None:
    from tests.e2e.harness import deploy

    for server in _serve(tmp_path):
        assert deploy(server.client, feed(tmp_path)).status_code == 201
        assert "--data-url" in server.error(_redeem(server, _mint(server)), 409)


def test_the_artifact_is_the_deployed_version_and_takes_only_the_duck_token(
        served: Server, tmp_path: Path) -> None:
    catchment = served.client._transport.app.catchment  # type: ignore[attr-defined]
    duck = {"Authorization": f"Bearer {line_token(catchment.duck_token, 'feed@1')}"}
    got = served.client.get("/api/duck/feed/1/artifact", params={"version": "1.0.0"},
                            headers=duck)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/zip"
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(io.BytesIO(got.content)).extractall(unpacked)
    deployed = catchment.layout.version_dir("feed", "1.0.0")
    assert got.headers["X-Duckstring-Digest"] == digest(deployed) == digest(unpacked)

    selected = served.client.get("/api/duck/feed/1/artifact", headers=duck)  # no ?version=
    assert selected.status_code == 200 and selected.content == got.content
    served.error(served.client.get("/api/duck/feed/1/artifact"), 401)
    assert "2.0.0" in served.error(served.client.get(
        "/api/duck/feed/1/artifact", params={"version": "2.0.0"}, headers=duck), 404)
    # another line's token is refused: a Duck can fetch only its own line's code
    served.error(served.client.get("/api/duck/feed/2/artifact", headers=duck), 401)
    served.error(served.client.get("/api/duck/feed/2/artifact", headers={
        "Authorization": f"Bearer {line_token(catchment.duck_token, 'feed@2')}"}), 404)


def test_applying_a_grant_lets_secrets_win_and_the_worker_keep_its_knobs(tmp_path: Path) -> None:
    from duckstring.duck.remote import Grant, apply
    from duckstring.layout import Layout

    env = {"DUCKSTRING_DUCK_BOOTSTRAP": "dsb_x", "DUCKSTRING_DUCK_THREADS": "8",
           "AWS_SECRET_ACCESS_KEY": "the-node-s"}
    layout = Layout(tmp_path / "work")
    apply(Grant(token="tok", data_url="s3://b/p", env={"DUCKSTRING_DUCK_THREADS": "2",
                                                      "DUCKSTRING_STUCK_S": "5"},
                secrets={"AWS_SECRET_ACCESS_KEY": "the-pond-s"}), layout, env)
    assert env == {"DUCKSTRING_DUCK_THREADS": "8", "DUCKSTRING_STUCK_S": "5",
                   "AWS_SECRET_ACCESS_KEY": "the-pond-s",
                   "DUCKSTRING_SECRET_NAMES": "AWS_SECRET_ACCESS_KEY",
                   "DUCKSTRING_DUCK_TOKEN": "tok"}
    assert layout.data_url.read_text().strip() == "s3://b/p"


def test_a_malformed_line_is_a_4xx(served: Server) -> None:
    catchment = served.client._transport.app.catchment  # type: ignore[attr-defined]
    duck = {"Authorization": f"Bearer {line_token(catchment.duck_token, 'feed@x')}"}
    got = served.client.get("/api/duck/feed/x/artifact", headers=duck)
    assert 400 <= got.status_code < 500, got.text
    got = served.client.post("/api/duck/feed/x/bootstrap", json={"bootstrap": "dsb_x"})
    assert 400 <= got.status_code < 500, got.text
