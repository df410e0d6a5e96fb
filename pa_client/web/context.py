"""The server's parts, built once per application: the ledger (read-only), the store, the live
tracker, the roles reader, the event broker, the webhook sender and the signing accounts."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from pa_client.audit.rules import AlertThresholds
from pa_client.chain.accounts import is_local_dev_chain
from pa_client.chain.connection import open_ledger
from pa_client.chain.ledger import LedgerClient
from pa_client.errors import ConfigError
from pa_client.settings import Settings, make_private
from pa_client.web.access import Access
from pa_client.web.events import Broker
from pa_client.web.live import DEFAULT_POLL_SECONDS, AlertItem, Tracker
from pa_client.web.roles import RoleReader
from pa_client.web.signing import Signers
from pa_client.web.store import Store
from pa_client.web.webhooks import WebhookSender, queue_alerts

log = logging.getLogger("pa_client")


@dataclass(frozen=True)
class WebConfig:
    settings: Settings
    session_hours: float = 8.0
    poll_seconds: float = DEFAULT_POLL_SECONDS
    today: date | None = None
    """Judge deadlines as of this day (default: the day of the latest block)."""
    thresholds: AlertThresholds = field(default_factory=AlertThresholds)
    secure_cookies: bool = False
    dev_sign_in: bool | None = None
    """Offer sign-in as the development accounts; None: only on a local development chain."""
    max_body_bytes: int = 32 * 1024 * 1024
    """The largest body `POST /api/v1/entries` takes (`guards.py`): twice the 10 000 entries a request
    may carry with every text at its longest."""
    origin: str | None = None
    """The server's canonical origin (`https://pa.example`), as people's browsers reach it: the domain
    of the sign-in messages and the `Origin` that state-changing requests must come from. None: the
    address it serves on (the listening socket's, never a caller's `Host` header)."""


def canonical_origin(text: str) -> str:
    """`scheme://host[:port]` of an origin as people write it (a trailing slash accepted; the port
    left out when it is the scheme's), or ConfigError."""
    parts = urlsplit(text.strip())
    refused = ConfigError(f"an origin is http(s)://HOST or http(s)://HOST:PORT, not {text!r}")
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise refused
    try:
        port = parts.port
    except ValueError:
        raise refused from None
    host = parts.hostname
    shown = f"[{host}]" if ":" in host else host
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{shown}" + ("" if port in (None, default) else f":{port}")


class WebContext:
    def __init__(self, config: WebConfig, ledger: LedgerClient | None = None) -> None:
        settings = config.settings
        self.config = config
        self.settings = settings
        self.origin = canonical_origin(config.origin) if config.origin else None
        make_private(settings.data_dir)
        self.ledger = ledger or open_ledger(settings, signing=False)
        self.chain_id = self.ledger.deployment.chain_id
        self.store = Store.for_data_dir(settings.data_dir)
        self.stopping = threading.Event()  # ends the live streams when the server stops
        self.broker = Broker()
        self.webhooks = WebhookSender(self.store)
        self.roles = RoleReader(self.ledger, lambda: self.tracker.references())
        self.tracker = Tracker(
            self.ledger,
            self.broker,
            confirmations=settings.confirmations,
            today=config.today,
            thresholds=config.thresholds,
            poll_seconds=config.poll_seconds,
            seen=self.store.first_seen,
            on_new_alerts=self._new_alerts,
            on_registry_change=self.roles.invalidate,
        )
        self.signers = Signers(settings, self.ledger)
        self.dev_sign_in = (
            config.dev_sign_in
            if config.dev_sign_in is not None
            else is_local_dev_chain(settings.rpc_url, self.chain_id)
        )

    @property
    def ledger_info(self) -> dict[str, Any]:
        deployment = self.ledger.deployment
        return {"chain_id": deployment.chain_id, "registry": deployment.registry, "ledger": deployment.ledger}

    def access(self, address: str) -> Access:
        return self.roles.access(address)

    def _new_alerts(self, alerts: Sequence[AlertItem]) -> None:
        queue_alerts(self.store, alerts, self.roles.access, self.ledger_info)
        self.webhooks.nudge()

    def start(self) -> None:
        self.stopping.clear()
        self.tracker.start()
        self.webhooks.start()

    def stop(self) -> None:
        self.stopping.set()
        self.tracker.stop()
        self.webhooks.stop()
        self.store.close()
