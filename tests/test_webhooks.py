"""Webhook deliveries against real HTTP receivers on this machine: what the sender posts to, what
it never does (follow a redirect, reach a loopback or link-local address it was not allowed to), and
what it gives up on (a URL no try can succeed with)."""

from __future__ import annotations

import http.server
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pa_client.errors import InputError
from pa_client.web.access import Access
from pa_client.web.live import AlertItem
from pa_client.web.store import ALERTS_PER_DELIVERY, Store
from pa_client.web.webhooks import WebhookSender, WebhookTargetError, check_url, queue_alerts

LEDGER = {"chain_id": 31337, "registry": "0x1", "ledger": "0x2"}


@dataclass
class Local:
    """An HTTP server on 127.0.0.1 that records every request; POST /redirect answers 302 to
    /internal-admin (what an attacker's receiver would answer to reach the server's own network)."""

    requests: list[tuple[str, str]] = field(default_factory=list)
    server: http.server.ThreadingHTTPServer | None = None

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        assert self.server is not None
        return f"http://{host}:{self.server.server_address[1]}{path}"


@pytest.fixture
def local() -> Iterator[Local]:
    found = Local()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            found.requests.append(("POST", self.path))
            if self.path == "/redirect":
                self.send_response(302)
                self.send_header("Location", found.url("/internal-admin"))
            else:
                self.send_response(204)
            self.end_headers()

        def do_GET(self) -> None:
            found.requests.append(("GET", self.path))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    found.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=found.server.serve_forever, daemon=True).start()
    try:
        yield found
    finally:
        found.server.shutdown()
        found.server.server_close()


def _alert(key: str) -> AlertItem:
    return AlertItem(
        key, "FRIPO1", "overdue", "critical", "P1", "L1", "overdue", date(2024, 9, 30), time.time()
    )


def _deliver(store: Store, url: str, *, allow_local: bool) -> dict[str, Any]:
    """A new alert queued for a webhook at `url` and one pass of the sender: the delivery's record."""
    hook = store.add_webhook(url, None, allow_local=allow_local)
    queue_alerts(store, [_alert(f"key-{hook.id}")], Access, LEDGER)
    WebhookSender(store).drain_once()
    return next(d for d in store.outbox() if d["webhook_id"] == hook.id)


def test_webhook_urls_are_checked_when_added() -> None:
    for good in (
        "https://erp.example/pa-alerts",
        "http://10.1.2.3:8080/hook",
        "https://erp.example:8443/h?x=1",
    ):
        assert check_url(good) == good
    for bad in (
        "ftp://erp.example/x",
        "https:///path",
        "https://erp.example:99999/x",
        "https://erp example/x",
        "https://erp.example/\x1b[31m",
        "http://127.0.0.1:9000/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/hook",
    ):
        with pytest.raises(WebhookTargetError):
            check_url(bad)
    assert check_url("http://127.0.0.1:9000/hook", allow_local=True)  # explicitly allowed
    assert issubclass(WebhookTargetError, InputError)  # `pa serve webhook add` says it in one line


def test_a_redirect_is_never_followed(tmp_path: Path, local: Local) -> None:
    with Store(tmp_path / "web.sqlite3") as store:
        delivery = _deliver(store, local.url("/redirect"), allow_local=True)
    assert local.requests == [("POST", "/redirect")]  # no GET /internal-admin
    assert delivery["delivered"] is None and "302" in delivery["last_error"]
    assert "redirects are not followed" in delivery["last_error"]


def test_a_loopback_target_is_refused_unless_allowed(tmp_path: Path, local: Local) -> None:
    with Store(tmp_path / "web.sqlite3") as store:
        allowed = _deliver(store, local.url("/allowed"), allow_local=True)
        literal = _deliver(store, local.url("/literal"), allow_local=False)  # stored by an earlier version
        named = _deliver(store, local.url("/named", host="localhost"), allow_local=False)
        assert allowed["delivered"] is not None
        # A literal loopback address can never be posted to: given up at once, not retried.
        assert literal["abandoned"] is not None and "loopback" in literal["last_error"]
        # A name is resolved at each try, and refused while it resolves to loopback (retried later).
        assert named["abandoned"] is None and named["delivered"] is None
        assert "resolves to" in named["last_error"] and "loopback" in named["last_error"]
        assert store.next_attempt_at() is not None  # the named one's deliveries only
    assert {path for _, path in local.requests} == {"/allowed"}  # each alert went to every webhook


def test_an_invalid_url_is_given_up_not_retried_for_ever(tmp_path: Path) -> None:
    with Store(tmp_path / "web.sqlite3") as store:
        delivery = _deliver(store, "http://erp.example:99999/hook", allow_local=False)
        assert delivery["abandoned"] is not None and delivery["attempts"] == 1
        assert store.next_attempt_at() is None and store.due_deliveries(time.time() + 3600) == []


def test_a_large_submissions_alerts_are_stored_once_and_posted_together(tmp_path: Path, local: Local) -> None:
    """Two alerts for each of the 10 000 entries a request may carry, for three webhooks: each alert is
    stored once, and posted in deliveries of at most ALERTS_PER_DELIVERY (it was a row with a copy of
    the payload per webhook and alert, 53 MB, and 60 000 POSTs)."""
    alerts = [
        AlertItem(
            f"{kind}:FRIPO000000000042:API-IM-{n:06d}",
            "FRIPO000000000042",
            kind,
            "warning",
            f"API-IM-{n:06d}",
            f"API-LOT-{n:06d}",
            "recorded 20 days after it happened (more than 72 hours)",
            None,
            time.time(),
        )
        for n in range(10_000)
        for kind in ("late_record", "deadline_near")
    ]
    path = tmp_path / "web.sqlite3"
    with Store(path) as store:
        for name in ("/a", "/b", "/c"):
            store.add_webhook(local.url(name), None, allow_local=True)
        queue_alerts(store, alerts, Access, LEDGER)
        queue_alerts(store, alerts, Access, LEDGER)  # found again by the next audit: nothing more queued
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = sum(f.stat().st_size for f in tmp_path.iterdir())
        assert size < 20_000_000, size  # the payloads once: about 16 MB
        assert len(store.outbox()) == 3 * len(alerts) // ALERTS_PER_DELIVERY
        sender = WebhookSender(store)
        while sender.drain_once():
            pass
        assert all(d["delivered"] for d in store.outbox())
    posts = [path for method, path in local.requests if method == "POST"]
    assert sorted(posts) == sorted(["/a", "/b", "/c"] * (len(alerts) // ALERTS_PER_DELIVERY))


def test_a_store_of_the_earlier_version_keeps_what_it_owed(tmp_path: Path) -> None:
    """Its webhooks get a secret; its outbox (a row per webhook and alert) becomes deliveries."""
    path = tmp_path / "web.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE webhooks (id INTEGER PRIMARY KEY AUTOINCREMENT, url TEXT NOT NULL, address TEXT,
                min_severity TEXT NOT NULL DEFAULT 'info', created REAL NOT NULL, removed REAL);
            CREATE TABLE alerts_seen (key TEXT PRIMARY KEY, authorisation TEXT NOT NULL, severity TEXT NOT NULL,
                payload TEXT NOT NULL, first_seen REAL NOT NULL);
            CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, webhook_id INTEGER NOT NULL,
                alert_key TEXT NOT NULL, payload TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt REAL NOT NULL, delivered REAL, last_error TEXT, UNIQUE (webhook_id, alert_key));
            INSERT INTO webhooks (url, created) VALUES ('https://erp.example/hook', 0);
            INSERT INTO alerts_seen VALUES ('k1', 'FRIPO1', 'critical', '{"key": "k1", "ledger": {}}', 0);
            INSERT INTO outbox (webhook_id, alert_key, payload, attempts, next_attempt, last_error)
                VALUES (1, 'k1', '{}', 3, 0, 'refused');
            """
        )
    db.close()
    with Store(path) as store:
        (hook,) = store.webhooks()
        assert hook.secret.startswith("whsec_") and not hook.allow_local
        assert [(d["alert_keys"], d["attempts"], d["delivered"]) for d in store.outbox()] == [
            (["k1"], 3, None)
        ]
        (due,) = store.due_deliveries(time.time())
        assert due.payloads == ({"key": "k1", "ledger": {}},)
