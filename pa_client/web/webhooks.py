"""Alerts out: each new alert is POSTed as JSON to the configured webhooks, once.

The tracker stores a new alert and queues its deliveries in the same SQLite transaction
(`Store.record_new_alerts`): the outbox survives a restart, and an alert is queued once. A webhook's
new alerts of one audit travel together, up to `ALERTS_PER_DELIVERY` in a POST, and each alert is
stored once whatever the number of webhooks: a submission of 10 000 entries raising 20 000 alerts
makes 200 POSTs per webhook, not 20 000, and the store keeps 20 000 payloads, not one per webhook
too. This sender drains the outbox: a 2xx answer marks the delivery done; anything else (an error
status, a refused connection, a time-out) is retried with exponential backoff (1 s, 2 s, 4 s … at
most 10 minutes apart), for as long as the webhook is registered. Each POST carries its delivery's
key in `Idempotency-Key` (and the body's `delivery`): a receiver that saw a delivery whose answer was
lost (the server stopped between the POST and its answer) can tell the repeat.

Each POST is signed: `X-PA-Signature: t=UNIX_SECONDS,v1=HEX`, HEX being the HMAC-SHA256 of
`UNIX_SECONDS` + `.` + the body under the webhook's own secret (shown when it is added; docs/web.md
shows how a receiver checks it). A receiver that checks it knows the alert comes from this server and
the body is the one signed, and refuses an old delivery replayed (the time is signed too).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Final
from urllib.parse import urlsplit

from pa_client.domain.text import escaped, text_problem
from pa_client.errors import InputError
from pa_client.web.access import Access, webhook_wants
from pa_client.web.live import AlertItem
from pa_client.web.store import OutboxItem, Store

log = logging.getLogger("pa_client")

FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 600.0
TIMEOUT_SECONDS = 5.0
USER_AGENT = "pa-ledger-webhooks/1"
SIGNATURE_HEADER = "X-PA-Signature"
_THIS_NETWORK: Final = ipaddress.ip_network("0.0.0.0/8")  # "this host" to Linux


def backoff(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failed try (1, 2, 4 … capped)."""
    return float(min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1)))


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The `X-PA-Signature` header of a delivery: the HMAC-SHA256 of `timestamp.body` under `secret`."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class WebhookTargetError(InputError):
    """A webhook URL that is not a valid http(s) URL, or that names a host the server does not post
    to (loopback, link-local, unspecified, multicast) without being allowed to."""


class RefusedAddressError(OSError):
    """The webhook's host name resolves to an address the server does not post to (tried again later:
    the name may be fixed)."""


def refused_address(address: str) -> str | None:
    """Why the server does not post to this IP address, or None. Loopback and link-local (the cloud
    metadata service at 169.254.169.254 among them) reach the server's own machine and network, not a
    receiver's; a private LAN address (an ERP in the same network) is allowed."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_unspecified or (isinstance(ip, ipaddress.IPv4Address) and ip in _THIS_NETWORK):
        return "an unspecified address"
    if ip.is_multicast:
        return "a multicast address"
    return None


def check_url(url: str, *, allow_local: bool = False) -> str:
    """`url` when a webhook may have it: http or https, a host, a valid port, printable text, and —
    unless `allow_local` — no loopback or link-local address literally; else WebhookTargetError."""
    shown = escaped(url)
    if text_problem(url) is not None or any(c.isspace() for c in url):
        raise WebhookTargetError(f"a webhook URL holds no spaces or control characters: {shown!r}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookTargetError(f"a webhook is an http:// or https:// URL with a host, not {shown!r}")
    try:
        parts.port  # noqa: B018 - it raises for a port that is not a number from 0 to 65535
    except ValueError:
        raise WebhookTargetError(f"the port of {shown!r} is not a port number") from None
    if not allow_local:
        try:
            reason = refused_address(parts.hostname)
        except ValueError:
            reason = None  # a host name: its addresses are checked when it is posted to
        if reason is not None:
            raise WebhookTargetError(
                f"{shown} names {reason}: webhooks post to other machines (allow it explicitly with --allow-local)"
            )
    return url


def _address(host: str, port: int, allow_local: bool) -> str:
    """The address to connect to: the host's first, once every address it resolves to is allowed
    (the check and the connection use the same address: a name cannot resolve again elsewhere)."""
    found = [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
    if not found:
        raise OSError(f"{host} has no address")
    for address in found:
        reason = None if allow_local else refused_address(str(address))
        if reason is not None:
            raise RefusedAddressError(f"{host} resolves to {address}, {reason}: not posted to")
    return str(found[0])


class _Connection(http.client.HTTPConnection):
    """HTTP to the checked address, naming the host."""

    def __init__(self, host: str, port: int | None, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _TlsConnection(http.client.HTTPSConnection):
    """HTTPS to the checked address; the certificate is checked against the host's name."""

    def __init__(self, host: str, port: int | None, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post_json(
    url: str,
    body: bytes,
    headers: dict[str, str],
    allow_local: bool = False,
    timeout: float = TIMEOUT_SECONDS,
) -> None:
    """POSTs `body` to `url` itself: no redirect is followed (a 3xx is a failed delivery, as any answer
    but 2xx), no proxy is used, and the address is checked before connecting. Raises
    WebhookTargetError for a URL no delivery can succeed with, OSError for a failed try."""
    parts = urlsplit(check_url(url, allow_local=allow_local))
    secure = parts.scheme == "https"
    host = str(parts.hostname)
    port = parts.port or (443 if secure else 80)
    address = _address(host, port, allow_local)
    kind = _TlsConnection if secure else _Connection
    connection = kind(host, parts.port, address, timeout)
    try:
        connection.request(
            "POST",
            (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
            body=body,
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
        )
        response = connection.getresponse()
        status, reason = response.status, response.reason
        response.read(64 * 1024)
    finally:
        connection.close()
    if 300 <= status < 400:
        raise OSError(f"answered {status} {reason}: redirects are not followed")
    if not 200 <= status < 300:
        raise OSError(f"answered {status} {reason}")


def delivery_key(item: OutboxItem) -> str:
    """The delivery's own key, the same at each try: `Idempotency-Key` and the body's `delivery`."""
    return f"pa-delivery-{item.id}"


def delivery_body(item: OutboxItem) -> bytes:
    """The JSON a delivery POSTs: its key, the ledger and its alerts (each as `GET /alerts` gives it)."""
    ledger = next((p["ledger"] for p in item.payloads if "ledger" in p), None)
    alerts = [{k: v for k, v in payload.items() if k != "ledger"} for payload in item.payloads]
    document = {"delivery": delivery_key(item), "ledger": ledger, "alerts": alerts}
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")


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
        post: Callable[[str, bytes, dict[str, str], bool], None] = post_json,
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
        body = delivery_body(item)
        headers = {
            "Idempotency-Key": delivery_key(item),
            SIGNATURE_HEADER: signature(item.secret, body, int(self.clock())),
        }
        try:
            self.post(item.url, body, headers, item.allow_local)
        except WebhookTargetError as error:  # no try can succeed: not retried
            log.warning("webhook %s: %s; delivery %s abandoned", escaped(item.url), error, item.id)
            self.store.abandon(item.id, str(error), self.clock())
            return False
        except Exception as error:  # any other failure is retried later
            reason = f"{type(error).__name__}: {error}"
            wait = backoff(item.attempts + 1)
            log.info("webhook %s: %s; retrying in %.0f s", item.url, reason, wait)
            self.store.failed(item.id, reason, self.clock() + wait)
            return False
        self.store.delivered(item.id, self.clock())
        self.sent += 1
        return True
