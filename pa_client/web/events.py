"""Live events to the pages: the tracker (a thread) publishes, each connected page (an asyncio
stream) receives only what its account may see (`access.event_for`).

Events are small JSON documents: `record` (a record read from a new block), `alert` (an alert the
audit found for the first time) and `block` (the audited block moved, with the integrity status of
what the subscriber may see: the registry's and its authorisations', never another holder's).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

QUEUE_LIMIT = 1_000
log = logging.getLogger("pa_client")


@dataclass(frozen=True)
class Event:
    name: str  # record, alert, block
    authorisation: str | None  # None: for every subscriber (e.g. the block height)
    data: dict[str, Any]
    verified_by: Mapping[str, bool] | None = field(default=None, repr=False)
    """A `block` event: each authorisation's integrity check. Never sent: each subscriber's
    `verified` is `data["verified"]` (the registry's) and that of the authorisations it may see."""

    def for_viewer(self, allowed: Callable[[str], bool]) -> Event:
        """The event as a subscriber who may see the authorisations `allowed` says gets it."""
        if self.verified_by is None:
            return self
        mine = all(ok for reference, ok in self.verified_by.items() if allowed(reference))
        return Event(
            self.name, self.authorisation, {**self.data, "verified": bool(self.data["verified"]) and mine}
        )

    def sse(self) -> str:
        """The event in the text/event-stream format."""
        return f"event: {self.name}\ndata: {json.dumps(self.data, separators=(',', ':'))}\n\n"


@dataclass(eq=False)
class Subscription:
    allowed: Callable[[str], bool]  # may this subscriber see an event of this authorisation
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[Event] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    dropped: int = 0

    def offer(self, event: Event) -> None:
        """Runs on the subscriber's loop."""
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1  # a stalled page: it reloads when it reconnects


class Broker:
    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()
        self._lock = threading.Lock()
        self.published = 0

    def subscribe(self, allowed: Callable[[str], bool]) -> Subscription:
        """A new subscription on the running loop (call from the stream's coroutine)."""
        subscription = Subscription(allowed, asyncio.get_running_loop())
        with self._lock:
            self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    @property
    def listening(self) -> bool:
        """Whether any page is connected (events made for nobody need not be made)."""
        with self._lock:
            return bool(self._subscriptions)

    def publish(self, event: Event) -> None:
        """From any thread: hands the event to each subscriber allowed to see it."""
        with self._lock:
            subscriptions = list(self._subscriptions)
        self.published += 1
        for subscription in subscriptions:
            try:
                if event.authorisation is not None and not subscription.allowed(event.authorisation):
                    continue
                shown = event.for_viewer(subscription.allowed)
                subscription.loop.call_soon_threadsafe(subscription.offer, shown)
            except RuntimeError:  # the subscriber's loop is closed: it is gone
                self.unsubscribe(subscription)
            except Exception as error:  # the roles could not be read: not sent, the page reloads later
                log.warning("live event not sent: %s", error)
