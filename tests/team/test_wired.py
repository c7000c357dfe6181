"""Issue 13 wired into the product, over real HTTP with a real Catchment process and real
Ducks: keys with levels at the gate, the audit trail, `/metrics`, alerts from real failures
to real receivers, and secrets a Ripple reads from its environment but nobody else sees."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.e2e.conftest import write_pond
from tests.e2e.harness import deploy, pond, wait_until

ADMIN = "dsk_admin-key-for-the-wired-tests-0123456789abc"

SOURCE = """
    from duckstring import ripple

    @ripple
    def numbers(pond):
        pond.write_table("numbers", pond.con.sql("SELECT range AS n FROM range(5)"))
    """


def _deploy(client: httpx.Client, project: Path) -> None:
    r = deploy(client, project)
    assert r.status_code == 201, r.text


def _key(admin: httpx.Client, name: str, level: str) -> str:
    r = admin.post("/api/keys", json={"name": name, "level": level})
    assert r.status_code == 201, r.text
    return str(r.json()["key"])


def test_levels_refuse_with_the_level_needed_and_the_audit_names_the_key(
        start_catchment, tmp_path: Path) -> None:
    c = start_catchment(key=ADMIN)
    with c.client() as admin:
        _deploy(admin, write_pond(tmp_path, "numbers", "1.0.0", SOURCE, kind="inlet"))
        read, demand = _key(admin, "analyst", "read"), _key(admin, "ci", "demand")
        assert admin.get("/api/status").json()["caller"] == {
            "name": "admin", "level": "full", "keyed": True}
        listed = admin.get("/api/keys").json()["keys"]
        assert [(k["name"], k["level"]) for k in listed] == [
            ("admin", "full"), ("analyst", "read"), ("ci", "demand")]
        assert read not in str(listed) and demand not in str(listed)

    with c.client(read) as analyst:
        assert analyst.get("/api/status").json()["caller"]["level"] == "read"
        refused = analyst.post("/api/ponds/numbers/pulse")
        assert refused.status_code == 403
        assert refused.json()["error"]["level_needed"] == "demand"
        assert "demand" in refused.json()["error"]["message"]
        assert analyst.get("/metrics").status_code == 200
    with c.client(demand) as ci:
        assert ci.post("/api/ponds/numbers/pulse").status_code == 200
        refused = deploy(ci, write_pond(tmp_path, "numbers", "1.0.1", SOURCE, kind="inlet"))
        assert refused.status_code == 403 and refused.json()["error"]["level_needed"] == "full"
    with c.client() as admin:
        assert admin.delete("/api/keys/ci").status_code == 200
    with c.client(demand) as gone:
        assert gone.post("/api/ponds/numbers/pulse").status_code == 401
    with c.client("") as nobody:
        metrics = nobody.get("/metrics")
        assert metrics.status_code == 401 and "numbers" not in metrics.text

    with c.client() as admin:
        wait_until(lambda: pond(admin, "numbers")["status"] == "idle"
                   and pond(admin, "numbers")["end_f"], 60, what="the Pulse to be served")
        trail = admin.get("/api/audit").json()["entries"]
        seen = [(e["who"], e["verb"], e["pond"]) for e in reversed(trail)]
        assert seen == [("admin", "deploy", "numbers"), ("admin", "key-add", None),
                        ("admin", "key-add", None), ("ci", "pulse", "numbers@1"),
                        ("admin", "key-revoke", None)]
        assert trail[0]["detail"] == {"name": "ci"} and trail[0]["at"].endswith("Z")
        admin.post("/api/query", json={"pond": "numbers", "table": "numbers"}).raise_for_status()
        text = admin.get("/metrics").text
        assert 'duckstring_runs_total{pond="numbers@1",status="success"} 1.0' in text
        assert 'duckstring_queries_total{pond="numbers@1",result="ok"} 1.0' in text
        assert 'duckstring_ripple_duration_seconds_count{pond="numbers@1",ripple="numbers"} 1.0' \
            in text
        assert "duckstring_ducks_alive" in text and "duckstring_staleness_seconds" in text


VALUE = "pa55-w0rd-from-the-vault-7c1e"

READS_SECRET = """
    import hashlib, os
    from duckstring import ripple

    @ripple
    def vault(pond):
        value = os.environ["DB_PASSWORD"]
        print("connecting with", value)
        pond.log.info("using password %s", value)
        digest = hashlib.sha256(value.encode()).hexdigest()
        pond.write_table("vault", pond.con.sql(f"SELECT '{digest}' AS digest"))
    """

LEAKS_SECRET = """
    import os
    from duckstring import ripple

    @ripple
    def leak(pond):
        raise ValueError("login refused for " + os.environ["DB_PASSWORD"])
    """


def _files(under: Path) -> list[Path]:
    return [p for p in under.rglob("*") if p.is_file()]


def test_a_secret_reaches_the_ripple_and_nothing_else(start_catchment, tmp_path: Path,
                                                       root: Path) -> None:
    import hashlib

    c = start_catchment(key=ADMIN)
    with c.client() as admin:
        r = admin.put("/api/secrets/DB_PASSWORD", json={"value": VALUE})
        assert r.status_code == 200 and VALUE not in r.text, r.text
        _deploy(admin, write_pond(tmp_path, "vault", "1.0.0", READS_SECRET, kind="inlet"))
        _deploy(admin, write_pond(tmp_path, "leak", "1.0.0", LEAKS_SECRET, kind="inlet"))
        admin.post("/api/ponds/vault/pulse").raise_for_status()
        admin.post("/api/ponds/leak/pulse").raise_for_status()
        wait_until(lambda: pond(admin, "vault")["status"] == "idle"
                   and pond(admin, "vault")["end_f"], 60, what="vault to run")
        wait_until(lambda: pond(admin, "leak")["status"] == "failed", 60, what="leak to fail")

        rows = admin.post("/api/query", json={"pond": "vault", "table": "vault"}).json()["rows"]
        assert rows == [[hashlib.sha256(VALUE.encode()).hexdigest()]]  # read from its env
        runs = admin.get("/api/runs", params={"ripples": "true"}).json()["runs"]
        attempts = {a["ripple"]: a for r in runs for a in r["ripples"]}
        assert "using password ***" in attempts["vault"]["log"]
        assert "login refused for ***" in attempts["leak"]["error"]
        assert "login refused for ***" in attempts["leak"]["traceback"]
        responses = [admin.get(p).text for p in (
            "/api/status", "/api/runs?ripples=true", "/api/secrets", "/api/audit", "/metrics",
            "/api/ponds/vault/tables/vault")]
        assert all(VALUE not in text for text in responses)
    [vault_log] = [p for p in root.rglob("duck.log") if "vault" in str(p)]
    wait_until(lambda: "connecting with ***" in vault_log.read_text(), 10,
               what="the Ripple's print in duck.log")
    c.stop()
    leaked = [p for p in _files(root) if VALUE.encode() in p.read_bytes()]
    assert leaked == [] and VALUE not in c.log.read_text()
    assert not (root / "secrets-key").exists() and (tmp_path / "root.secrets-key").exists()


def _waits_then_fails(flag: Path) -> str:
    return f"""
    import pathlib, time
    from duckstring import ripple

    @ripple
    def check(pond):
        pond.read_table("numbers.numbers")
        deadline = time.monotonic() + 60
        while not pathlib.Path({str(flag)!r}).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        raise ValueError("prices must not be negative")
    """


def _sink(name: str) -> str:
    return f"""
    from duckstring import ripple

    @ripple
    def {name}(pond):
        pond.read_table("check.checked")
        pond.write_table("{name}", pond.con.sql("SELECT 1 AS n"))
    """


def test_a_failed_pond_alerts_once_naming_the_sinks_it_blocks(
        start_catchment, tmp_path: Path, receiver, smtp) -> None:
    hook, mail, flag = receiver(), smtp(), tmp_path / "fail-now"
    c = start_catchment(key=ADMIN, DUCKSTRING_SMTP_URL=f"smtp://127.0.0.1:{mail.port}")
    with c.client() as admin:
        for body in ({"name": "ops", "to": f"webhook:{hook.url}"},
                     {"name": "mail", "on": ["failed"], "to": "email:oncall@example.com"}):
            assert admin.post("/api/alerts", json=body).status_code == 201
        _deploy(admin, write_pond(tmp_path, "numbers", "1.0.0", SOURCE, kind="inlet"))
        _deploy(admin, write_pond(tmp_path, "check", "1.0.0", _waits_then_fails(flag),
                                  sources={"numbers": "1.0.0"}))
        for sink in ("east", "west"):
            _deploy(admin, write_pond(tmp_path, sink, "1.0.0", _sink(sink),
                                      sources={"check": "1.0.0"}, kind="outlet"))
            admin.post(f"/api/ponds/{sink}/pulse").raise_for_status()
        wait_until(lambda: pond(admin, "check")["status"] == "running", 60, what="check runs")
        flag.touch()
        wait_until(lambda: {pond(admin, s)["status"] for s in ("east", "west")} == {"blocked"},
                   60, what="both Sinks blocked")
        wait_until(lambda: hook.got and mail.messages, 30, what="the alerts delivered")
        # another step over the same root cause (a Pulse decides alerts in its own step)
        admin.post("/api/ponds/east/pulse").raise_for_status()
        log = wait_until(lambda: (entries := admin.get("/api/alerts/log").json()["log"]) and all(
            e["status"] == "sent" for e in entries) and entries, 30, what="every alert sent")

    [alert] = [r.json() for r in hook.got]
    assert alert["kind"] == "failed" and alert["pond"] == "check@1"
    assert alert["blocks"] == ["east@1", "west@1"]
    assert "prices must not be negative" in alert["summary"] and "east@1, west@1" in alert["summary"]
    [msg] = mail.messages
    assert msg["to"] == ["oncall@example.com"] and "check@1 failed" in msg["data"]
    assert sorted((e["rule"], e["kind"]) for e in log) == [("mail", "failed"), ("ops", "failed")]


def test_a_stale_alert_fires_once_and_recovers_after_a_pulse(
        start_catchment, tmp_path: Path, receiver) -> None:
    hook = receiver()
    c = start_catchment(key=ADMIN)
    with c.client() as admin:
        _deploy(admin, write_pond(tmp_path, "numbers", "1.0.0", SOURCE, kind="inlet"))
        admin.post("/api/ponds/numbers/pulse").raise_for_status()
        wait_until(lambda: pond(admin, "numbers")["end_f"], 60, what="a first run")
        r = admin.post("/api/alerts", json={"name": "fresh", "on": ["stale", "recovered"],
                                            "stale_s": 3, "ponds": ["numbers"],
                                            "to": f"webhook:{hook.url}"})
        assert r.status_code == 201, r.text
        wait_until(lambda: hook.got, 30, what="the stale alert")
        stale = hook.got[0].json()
        assert stale["kind"] == "stale" and stale["pond"] == "numbers@1"
        assert stale["bound_s"] == 3 and stale["staleness_s"] > 3
        assert len(hook.got) == 1  # once, not every check
        admin.post("/api/ponds/numbers/pulse").raise_for_status()
        wait_until(lambda: len(hook.got) >= 2, 30, what="the recovered alert")
        assert [r.json()["kind"] for r in hook.got] == ["stale", "recovered"]
        sent = 'duckstring_alerts_total{result="sent",target="webhook"} 2.0'
        wait_until(lambda: sent in admin.get("/metrics").text, 10,  # counted once logged
                   what="both deliveries counted")


def test_a_wrong_secrets_key_stops_the_start_with_the_fix(start_catchment, env, root) -> None:
    import subprocess
    import sys

    from cryptography.fernet import Fernet

    c = start_catchment(key=ADMIN)
    with c.client() as admin:
        assert admin.put("/api/secrets/TOKEN", json={"value": VALUE}).status_code == 200
    c.stop()
    started = subprocess.run(
        [sys.executable, "-m", "duckstring.embedded", "--root", str(root), "--port", "0"],
        env={**env, "DUCKSTRING_SECRETS_KEY": Fernet.generate_key().decode()},
        capture_output=True, text=True, timeout=60)
    assert started.returncode == 1, started
    assert "DUCKSTRING_SECRETS_KEY does not open this Catchment's secrets" in started.stderr
    assert "Traceback" not in started.stderr and VALUE not in started.stderr
