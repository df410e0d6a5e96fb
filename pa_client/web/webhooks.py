"""Alerts out: each new alert is POSTed as JSON to the configured webhooks, once.

The tracker stores a new alert and queues one delivery per webhook that wants it in the same SQLite
transaction (`Store.record_new_alerts`): the outbox survives a restart, and a key (webhook, alert) is
queued once. This sender drains the outbox: a 2xx answer marks the delivery done; anything else
(an error status, a refused connection, a time-out) is retried with exponential backoff (1 s, 2 s,
4 s … at most 10 minutes apart), for as long as the webhook is registered. Each POST carries the
alert's key in `Idempotency-Key`: a receiver that saw a delivery whose answer was lost (the server
stopped between the POST and its answer) can tell the repeat.

Each POST is signed: `X-PA-Signature: t=UNIX_SECONDS,v1=HEX`, HEX being the HMAC-SHA256 of
`UNIX_SECONDS` + `.` + the body under the webhook's own secret (shown when it is added; docs/web.md
shows how a receiver checks it). A receiver that checks it knows the alert comes from this server and
the body is the one signed, and refuses an old delivery replayed (the time is signed too).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

from pa_client.web.access import Access, webhook_wants
from pa_client.web.live import AlertItem
from pa_client.web.store import OutboxItem, Store

log = logging.getLogger("pa_client")

FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 600.0
TIMEOUT_SECONDS = 5.0
USER_AGENT = "pa-ledger-webhooks/1"
SIGNATURE_HEADER = "X-PA-Signature"


def backoff(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failed try (1, 2, 4 … capped)."""
    return float(min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1)))


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The `X-PA-Signature` header of a delivery: the HMAC-SHA256 of `timestamp.body` under `secret`."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def post_json(url: str, body: bytes, headers: dict[str, str], timeout: float = TIMEOUT_SECONDS) -> None:
    """POSTs `body`; raises OSError (urllib's errors derive from it) unless the answer is 2xx."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        status = int(response.status)
    if not 200 <= status < 300:
        raise urllib.error.HTTPError(url, status, f"status {status}", response.headers, None)


def queue_alerts(
    store: Store, alerts: Sequence[AlertItem], access_of: Callable[[str], Access], ledger: dict[str, Any]
) -> None:
    """Stores new alerts as seen and queues a delivery per webhook that wants each (one transaction)."""
    payloads = [{**alert.to_json(), "ledger": ledger} for alert in alerts]
    deliveries: list[tuple[int, str]] = []
    for hook in store.webhooks():
        access = access_of(hook.address) if hook.address else None
        for alert in alerts:
            if webhook_wants(access, hook.min_severity, alert.authorisation, alert.severity):
                deliveries.append((hook.id, alert.key))
    store.record_new_alerts(payloads, deliveries, time.time())


class WebhookSender:
    """Drains the outbox in a thread."""

    def __init__(
        self,
        store: Store,
        *,
        post: Callable[[str, bytes, dict[str, str]], None] = post_json,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.post = post
        self.clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent = 0

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="pa-web-webhooks", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def nudge(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.drain_once()
            except Exception as error:  # the store is busy or the disk full: try again later
                log.warning("webhooks: %s", error)
            upcoming = self.store.next_attempt_at()
            wait = 5.0 if upcoming is None else min(5.0, max(0.05, upcoming - self.clock()))
            self._wake.wait(wait)
            self._wake.clear()

    def drain_once(self) -> int:
        """Tries every delivery that is due; returns how many succeeded."""
        done = 0
        for item in self.store.due_deliveries(self.clock()):
            if self._stop.is_set():
                break
            if self.deliver(item):
                done += 1
        return done

    def deliver(self, item: OutboxItem) -> bool:
        body = item.payload.encode("utf-8")
        headers = {
            "Idempotency-Key": item.alert_key,
            "X-PA-Alert-Key": item.alert_key,
            SIGNATURE_HEADER: signature(item.secret, body, int(self.clock())),
        }
        try:
            self.post(item.url, body, headers)
        except Exception as error:  # any failure is retried later
            reason = f"{type(error).__name__}: {error}"
            wait = backoff(item.attempts + 1)
            log.info("webhook %s: %s; retrying in %.0f s", item.url, reason, wait)
            self.store.failed(item.id, reason, self.clock() + wait)
            return False
        self.store.delivered(item.id, self.clock())
        self.sent += 1
        return True
