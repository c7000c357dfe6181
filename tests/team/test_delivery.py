"""Alert delivery with real receivers: a webhook and a Slack-compatible endpoint served over
HTTP on 127.0.0.1, an SMTP server (aiosmtpd) with and without STARTTLS and AUTH; retries with
backoff, permanent failures, a dead receiver that must not hold anything up, and pending
deliveries that survive a restart."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from duckstring.embedded.access.secrets import Secrets
from duckstring.embedded.alerts.alerting import Alerting
from duckstring.embedded.alerts.delivery import Deliverer, Policy
from duckstring.embedded.alerts.rules import LineView
from duckstring.embedded.alerts.targets import Senders, display, parse_target
from duckstring.embedded.domain_errors import BadInput
from duckstring.embedded.store import Store
from tests.e2e.harness import wait_until
from tests.team.receivers import self_signed

CATCHMENT = {"id": "c-1", "name": "prod"}
FAILED = {
    "raw@1": LineView("raw@1", "failed", (), None, 3, "ValueError: bad row 7"),
    "sales@1": LineView("sales@1", "blocked", ("raw@1",), None, 2),
    "crm@1": LineView("crm@1", "blocked", ("raw@1",), None, 2),
}
FAST = Policy(attempts=4, first_retry_s=0.2, max_retry_s=5, concurrency=4)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class Rig:
    """A store, the rules over it, and a delivery thread — started on demand, all closed at
    the end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.store = Store(path)
        self.deliverer: Deliverer | None = None
        self.alerting = Alerting(self.store, CATCHMENT, wake=lambda: self.deliverer
                                 and self.deliverer.wake())

    def start(self, senders: Senders | None = None, policy: Policy = FAST) -> Deliverer:
        self.deliverer = Deliverer(self.store, senders or Senders(timeout_s=5), now_ms,
                                   policy=policy)
        self.deliverer.start()
        return self.deliverer

    def log(self, **kw: Any) -> list[dict[str, Any]]:
        return self.alerting.log(**kw)

    def settled(self, n: int = 1) -> Callable[[], list[dict[str, Any]] | None]:
        def check() -> list[dict[str, Any]] | None:
            entries = self.log()
            done = [e for e in entries if e["status"] != "pending"]
            return entries if len(done) >= n else None
        return check

    def close(self) -> None:
        if self.deliverer is not None:
            self.deliverer.stop()
        self.store.close()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = Rig(tmp_path / "duck.db")
    yield r
    r.close()



def test_a_webhook_gets_one_json_alert_per_root_cause(rig: Rig, receiver: Any) -> None:
    hook = receiver()
    rig.start()
    rig.alerting.add("ops", f"webhook:{hook.url}", now_ms())
    sent = rig.alerting.observe(FAILED, now_ms())
    assert [(a.kind, a.pond) for a in sent] == [("failed", "raw@1")]
    assert rig.alerting.observe(FAILED, now_ms()) == []

    [entry] = wait_until(rig.settled(), what="the alert delivered")
    [got] = hook.got
    body = got.json()
    assert got.headers["Content-Type"] == "application/json"
    assert (body["kind"], body["pond"], body["blocks"]) == ("failed", "raw@1", ["crm@1", "sales@1"])
    assert body["catchment"] == CATCHMENT and body["id"] == entry["id"]
    assert body["summary"] == "raw@1 failed: ValueError: bad row 7 — blocks crm@1, sales@1"
    assert entry["status"] == "sent" and entry["attempts"] == 1
    assert [d["ok"] for d in entry["deliveries"]] == [True]
    assert entry["deliveries"][0]["detail"] == "HTTP 200"
    assert entry["target"].endswith("/…") and "secretpath" not in str(rig.log())


def test_slack_gets_its_text_and_a_test_alert_goes_through_the_log(rig: Rig, receiver: Any) -> None:
    slack = receiver()
    rig.start()
    rig.alerting.add("chat", f"slack:{slack.url}", now_ms(), on=["failed"])
    rig.alerting.observe(FAILED, now_ms())
    outbox_id = rig.alerting.test("chat", now_ms())
    entries = wait_until(rig.settled(2), what="both delivered")
    assert sorted(r.json()["text"] for r in slack.got) == [
        "raw@1 failed: ValueError: bad row 7 — blocks crm@1, sales@1",
        "test alert from rule chat: delivery works"]
    assert {e["id"]: e["kind"] for e in entries}[outbox_id] == "test"


def test_failures_are_retried_with_backoff_until_one_gets_through(rig: Rig,
                                                                   receiver: Any) -> None:
    hook = receiver(statuses=[500, 503, 200])
    rig.start()
    rig.alerting.add("ops", f"webhook:{hook.url}", now_ms())
    rig.alerting.observe(FAILED, now_ms())
    [entry] = wait_until(rig.settled(), what="delivered after retries")
    assert entry["status"] == "sent" and entry["attempts"] == 3
    assert [(d["ok"], d["detail"].split(":")[0]) for d in entry["deliveries"]] == [
        (False, "HTTP 500"), (False, "HTTP 503"), (True, "HTTP 200")]
    first, second = (b.at - a.at for a, b in zip(hook.got, hook.got[1:], strict=False))
    assert first >= 0.2 and second >= 0.4  # 0.2 s, then doubled
    assert len({r.json()["id"] for r in hook.got}) == 1  # the same alert, by its id


def test_a_refusal_fails_at_once_and_running_out_of_tries_fails_too(rig: Rig,
                                                                     receiver: Any) -> None:
    gone = receiver(statuses=[404])
    broken = receiver(statuses=[500])
    rig.start(policy=Policy(attempts=2, first_retry_s=0.1))
    rig.alerting.add("a", f"webhook:{gone.url}", now_ms())
    rig.alerting.add("b", f"webhook:{broken.url}", now_ms())
    rig.alerting.observe(FAILED, now_ms())
    entries = {e["rule"]: e for e in wait_until(rig.settled(2), what="both given up")}
    assert entries["a"]["status"] == "failed" and entries["a"]["attempts"] == 1
    assert entries["b"]["status"] == "failed" and entries["b"]["attempts"] == 2
    assert len(gone.got) == 1 and len(broken.got) == 2


def test_a_dead_webhook_slows_nothing_down(rig: Rig, receiver: Any) -> None:
    dead = receiver(hold=threading.Event())  # takes the request, never answers
    alive = receiver()
    rig.start(Senders(timeout_s=1.5))
    rig.alerting.add("dead", f"webhook:{dead.url}", now_ms())
    rig.alerting.add("alive", f"webhook:{alive.url}", now_ms())
    rig.alerting.observe(FAILED, now_ms())
    wait_until(lambda: dead.got, what="the dead webhook called")

    # while it hangs: new alerts queue at once, and other targets are delivered, however
    # long the dead one's backlog
    started = time.monotonic()
    for _ in range(150):
        rig.alerting.test("dead", now_ms())
    for _ in range(20):
        rig.alerting.test("alive", now_ms())
    assert time.monotonic() - started < 10
    wait_until(lambda: len(alive.got) == 21, what="every alert to the live webhook")
    # one at a time per target: the dead one holds one thread, each send waiting out the last
    gaps = [b.at - a.at for a, b in zip(dead.got, dead.got[1:], strict=False)]
    assert all(gap >= 1.4 for gap in gaps), gaps

    # the hung send times out, is logged, and is tried again later
    def timed_out() -> bool:
        [first] = [e for e in rig.log(rule="dead", limit=1000) if e["kind"] == "failed"]
        return bool(first["deliveries"]) and "no answer within 1.5s" in first["deliveries"][0]["detail"]

    wait_until(timed_out, what="the timeout logged")


def test_pending_alerts_survive_a_restart(tmp_path: Path, receiver: Any) -> None:
    hook = receiver(hold=threading.Event())
    first = Rig(tmp_path / "duck.db")
    first.alerting.add("ops", f"webhook:{hook.url}", now_ms())
    first.alerting.add("other", f"webhook:{hook.url.replace('hooks', 'other')}", now_ms())
    first.alerting.observe(FAILED, now_ms())  # queued, nothing delivering yet
    first.start(Senders(timeout_s=30))
    wait_until(lambda: hook.got, what="a send in flight")
    first.close()  # shut down mid-send: its row stays pending
    assert {e["status"] for e in Rig(tmp_path / "duck.db").log()} == {"pending"}

    hook.hold.set()  # type: ignore[union-attr]
    second = Rig(tmp_path / "duck.db")
    try:
        second.start()
        entries = wait_until(second.settled(2), what="both delivered after the restart")
        assert {e["status"] for e in entries} == {"sent"}
        assert second.alerting.observe(FAILED, now_ms()) == []  # the memory survived too
    finally:
        second.close()


def test_removing_a_rule_cancels_its_pending_alerts(rig: Rig, receiver: Any) -> None:
    hook = receiver()
    rig.alerting.add("ops", f"webhook:{hook.url}", now_ms())
    rig.alerting.observe(FAILED, now_ms())
    rig.alerting.remove("ops", now_ms())
    rig.start()
    [entry] = rig.log()
    assert entry["status"] == "cancelled"
    time.sleep(0.3)  # give a wrongly-delivering thread the chance to show itself
    assert hook.got == [] and rig.alerting.listing() == []


def test_targets_are_checked_and_shown_without_their_secret_part(rig: Rig,
                                                                 tmp_path: Path,
                                                                 receiver: Any) -> None:
    for bad in ("webhook:ftp://x/", "pager:http://x/", "email:not-an-address", "slack:"):
        with pytest.raises(BadInput, match="--to"):
            rig.alerting.add("x", bad, now_ms())
    with pytest.raises(BadInput, match="--stale 2h"):
        rig.alerting.add("x", "email:ops@example.com", now_ms(), on=["stale"])
    assert display(parse_target("slack:https://hooks.slack.com/services/T0/B0/abc")) == \
        "slack:https://hooks.slack.com/…"
    assert display(parse_target("email:ops@example.com")) == "email:ops@example.com"

    # a webhook URL kept as a secret, read at delivery
    hook = receiver()
    secrets = Secrets(rig.store, tmp_path / "root", env_key=None)
    secrets.set("HOOK_URL", hook.url, None, now_ms())
    rig.start(Senders(resolve=secrets.value))
    rig.alerting.add("ops", "webhook:secret:HOOK_URL", now_ms())
    assert rig.alerting.listing()[0]["to"] == "webhook:secret:HOOK_URL"
    rig.alerting.observe(FAILED, now_ms())
    [entry] = wait_until(rig.settled(), what="delivered through the secret URL")
    assert entry["status"] == "sent" and len(hook.got) == 1
    assert hook.url.encode() not in (tmp_path / "duck.db").read_bytes()

    rig.alerting.add("gone", "slack:secret:NOT_SET", now_ms(), on=["failed"])
    rig.alerting.test("gone", now_ms())
    [missing] = [e for e in wait_until(rig.settled(2), what="the missing secret logged")
                 if e["rule"] == "gone"]
    assert missing["status"] == "failed" and missing["attempts"] == 1
    assert "duckstring secret set NOT_SET" in missing["deliveries"][0]["detail"]


# -- e-mail --------------------------------------------------------------------------------
@pytest.fixture
def cert(tmp_path: Path) -> tuple[Path, Path]:
    return self_signed(tmp_path)



def client_tls(cert: tuple[Path, Path]) -> Any:
    import ssl

    return ssl.create_default_context(cafile=str(cert[0]))


def test_email_over_a_plain_local_server(rig: Rig, smtp: Any) -> None:
    server = smtp()
    rig.start(Senders(smtp_url=f"smtp://127.0.0.1:{server.port}?from=ds@example.com"))
    rig.alerting.add("mail", "email:ops@example.com", now_ms(), on=["failed"])
    rig.alerting.observe(FAILED, now_ms())
    [entry] = wait_until(rig.settled(), what="the e-mail sent")
    assert entry["status"] == "sent", entry
    [msg] = server.messages
    assert msg["to"] == ["ops@example.com"] and msg["from"] == "ds@example.com"
    assert "Subject: [duckstring] raw@1 failed: ValueError: bad row 7" in msg["data"]
    assert '"blocks": [' in msg["data"]


def test_email_with_starttls_and_a_password_that_is_never_logged(rig: Rig, smtp: Any,
                                                                  cert: Any, tmp_path: Path) -> None:
    password = "smtp-pa55-w0rd-xyz"
    server = smtp(cert=cert, login=("alerts", password))
    url = f"smtp://alerts:{password}@127.0.0.1:{server.port}"
    rig.start(Senders(smtp_url=url, ssl_context=client_tls(cert)))
    rig.alerting.add("mail", "email:ops@example.com", now_ms(), on=["failed"])
    rig.alerting.observe(FAILED, now_ms())
    [entry] = wait_until(rig.settled(), what="the e-mail sent over STARTTLS")
    assert entry["status"] == "sent", entry
    assert server.messages[0]["tls"] and server.logins == ["alerts"]

    wrong = smtp(cert=cert, login=("alerts", "another-password"))
    rig.deliverer.senders = Senders(  # type: ignore[union-attr]
        smtp_url=f"smtp://alerts:{password}@127.0.0.1:{wrong.port}",
        ssl_context=client_tls(cert))
    rig.alerting.test("mail", now_ms())
    entries = wait_until(rig.settled(2), what="the refused login logged")
    refused = next(e for e in entries if e["kind"] == "test")
    assert refused["status"] == "failed" and "SMTP 535" in refused["deliveries"][0]["detail"]
    assert password not in str(rig.log())
    assert password.encode() not in b"".join(p.read_bytes() for p in tmp_path.glob("duck.db*"))


def test_a_password_is_not_sent_without_tls(rig: Rig, smtp: Any) -> None:
    server = smtp()  # no STARTTLS on offer
    rig.start(Senders(smtp_url=f"smtp://alerts:pw-secret-1@127.0.0.1:{server.port}"))
    rig.alerting.add("mail", "email:ops@example.com", now_ms(), on=["failed"])
    rig.alerting.observe(FAILED, now_ms())
    [entry] = wait_until(rig.settled(), what="the refusal logged")
    assert entry["status"] == "failed" and "refusing to send the password" in \
        entry["deliveries"][0]["detail"]
    assert server.messages == [] and "pw-secret-1" not in str(entry)


def test_email_without_an_smtp_url_says_what_to_set(rig: Rig) -> None:
    rig.start(Senders())
    rig.alerting.add("mail", "email:ops@example.com", now_ms(), on=["failed"])
    rig.alerting.observe(FAILED, now_ms())
    [entry] = wait_until(rig.settled(), what="the refusal logged")
    assert entry["status"] == "failed"
    assert "DUCKSTRING_SMTP_URL" in entry["deliveries"][0]["detail"]
