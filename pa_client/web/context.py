"""The server's parts, built once per application: the ledger (read-only), the store, the live
tracker, the roles reader, the event broker, the webhook sender and the signing accounts."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pa_client.audit.rules import AlertThresholds
from pa_client.chain.accounts import is_local_dev_chain
from pa_client.chain.connection import open_ledger
from pa_client.chain.ledger import LedgerClient
from pa_client.settings import Settings
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


class WebContext:
    def __init__(self, config: WebConfig, ledger: LedgerClient | None = None) -> None:
        settings = config.settings
        self.config = config
        self.settings = settings
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
