"""The live ledger behind the pages: a poller that reads each new block's logs as soon as it is
final (every `poll_seconds`, or at once when nudged after an API submission) and pushes its records
to the connected pages, and an auditor that re-runs the audit rules on the tables (in memory,
incremental: only new logs are decoded) to find new alerts, which are pushed too and queued for the
webhooks.

Reading and decoding are the audit's own (`extract.read_pages`, `ledger_tables.TableBuilder`), the
integrity proof is `auditing.verify` and the rules are `rules.audit`: the dashboard shows what
`pa audit` reports. Besides the tables, the poller keeps, per record, what the record page shows and
the tables do not hold: the transaction, and the rolling hash after the record (its place in the
completeness proof).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from pa_client.audit.index import READ_RANGE, block_header, prefetched
from pa_client.audit.rules import AlertThresholds, AuditResult, audit
from pa_client.audit.rules.alerts import BILL_DUE, BILL_OVERDUE, CRITICAL, DEADLINE_NEAR, OVERDUE
from pa_client.audit.rules.frames import gc_paused, rows
from pa_client.audit.run import basis, verify, verify_registry
from pa_client.audit.tables import LedgerTables, RecordTrace, TableBuilder
from pa_client.chain.extract import block_times, head_block, read_pages
from pa_client.chain.ledger import LedgerClient
from pa_client.present import display
from pa_client.web.events import Broker, Event

log = logging.getLogger("pa_client")

DEFAULT_POLL_SECONDS = 0.5


@dataclass(frozen=True)
class RecordMeta:
    """One record as the pages show it."""

    authorisation: str
    sequence: int
    entry_ref: str
    kind: str
    block: int
    log_index: int
    transaction: str
    block_time: int  # Unix seconds: when it was recorded
    occurred_at: int  # Unix seconds: when it happened
    account: str
    head: bytes  # the authorisation's rolling hash after this record

    @property
    def delay_seconds(self) -> int:
        return self.block_time - self.occurred_at

    def to_json(self) -> dict[str, Any]:
        return {
            "authorisation": self.authorisation,
            "sequence": self.sequence,
            "entry_ref": self.entry_ref,
            "kind": self.kind,
            "block": self.block,
            "log_index": self.log_index,
            "transaction": self.transaction,
            "recorded_at": _iso(self.block_time),
            "occurred_at": _iso(self.occurred_at),
            "recorded": display.moment(self.block_time),
            "happened": display.moment(self.occurred_at),
            "delay_seconds": self.delay_seconds,
            "delay": display.duration(self.delay_seconds),
            "account": self.account,
            "head": "0x" + self.head.hex(),
        }


@dataclass(frozen=True)
class AlertItem:
    key: str
    authorisation: str
    kind: str
    severity: str
    entry_ref: str | None
    lot: str | None
    message: str
    due: date | None
    first_seen: float

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "authorisation": self.authorisation,
            "kind": self.kind,
            "severity": self.severity,
            "entry_ref": self.entry_ref,
            "lot": self.lot,
            "message": self.message,
            "due": None if self.due is None else self.due.isoformat(),
            "first_seen": _iso(int(self.first_seen)),
        }


@dataclass(frozen=True)
class AuditState:
    """The latest audit of the whole ledger, and its alerts with their keys."""

    result: AuditResult
    block: int
    block_time: int
    alerts: tuple[AlertItem, ...]
    seconds: float


def alert_items(result: AuditResult, known: Mapping[str, float], now: float) -> dict[str, AlertItem]:
    """The audit's alerts by key, each first seen when `known` says (else `now`)."""
    items: dict[str, AlertItem] = {}
    for row in rows(result.alerts):
        key = alert_key(row)
        if key not in items:
            items[key] = AlertItem(
                key,
                row["authorisation"],
                row["kind"],
                row["severity"],
                row["entry_ref"],
                row["lot"],
                row["message"],
                row["due"],
                known.get(key, now),
            )
    return items


def dated_state(result: AuditResult) -> AuditState:
    """An audit drawn as of a day (`as_of`), shown as the pages show the live one."""
    items = alert_items(result, {}, time.time())
    return AuditState(result, result.as_of_block, result.as_of_time, tuple(items.values()), 0.0)


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


# Alerts whose message changes while the alert stays the same (days left, quantity left).
_VOLATILE = {DEADLINE_NEAR, BILL_DUE, BILL_OVERDUE}


def alert_key(alert: Mapping[str, Any]) -> str:
    """A stable key of an alert: the same alert found by the next audit (or after a restart) has the
    same key, so that it is pushed and posted once. The message is part of the key except where it
    changes from day to day or with each discharge (deadline near, bill due or overdue, an overdue placement)."""
    kind, severity = str(alert["kind"]), str(alert["severity"])
    due = alert.get("due")
    parts = [
        str(alert["authorisation"]),
        kind,
        severity,
        str(alert.get("entry_ref") or ""),
        str(alert.get("lot") or ""),
        due.isoformat() if isinstance(due, date) else str(due or ""),
    ]
    if not (kind in _VOLATILE or (kind == OVERDUE and severity == CRITICAL)):
        parts.append(str(alert["message"]))
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


NewAlerts = Callable[[Sequence[AlertItem]], None]


class Tracker:
    """Follows one deployed ledger; thread-safe readers for the pages and the API."""

    def __init__(
        self,
        ledger: LedgerClient,
        broker: Broker,
        *,
        confirmations: int = 0,
        today: date | None = None,
        thresholds: AlertThresholds | None = None,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        seen: Callable[[], Mapping[str, float]] = dict,
        on_new_alerts: NewAlerts | None = None,
        on_registry_change: Callable[[], None] | None = None,
    ) -> None:
        self.ledger = ledger
        self.broker = broker
        self.confirmations = confirmations
        self.today = today
        self.thresholds = thresholds or AlertThresholds()
        self.poll_seconds = poll_seconds
        self._seen = seen
        self._on_new_alerts = on_new_alerts
        self._on_registry_change = on_registry_change
        deployment = ledger.deployment
        self._addresses = [deployment.registry, deployment.ledger]
        self._registry = deployment.registry.lower()
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._reset()
        self.audit_state: AuditState | None = None
        self.last_error: str | None = None
        self._first_seen: dict[str, float] | None = None  # alert key -> when first seen

    def _reset(self) -> None:
        with self._lock:
            self._builder = TableBuilder()
            self._records: dict[str, list[RecordMeta]] = {}
            self._by_entry: dict[tuple[str, str], RecordMeta] = {}
            self._last_block: int | None = None
            self._last_hash: str | None = None
            self._last_time = 0

    # ------------------------------------------------------------ readers

    @property
    def ready(self) -> bool:
        return self.audit_state is not None

    @property
    def last_block(self) -> int | None:
        return self._last_block

    def references(self) -> list[str]:
        with self._lock:
            return sorted(set(self._builder.authorisations) | set(self._records))

    def records(self, reference: str, limit: int | None = None) -> list[RecordMeta]:
        """The records of an authorisation, newest first."""
        with self._lock:
            found = self._records.get(reference, [])
            chosen = found[-limit:] if limit else list(found)
        return list(reversed(chosen))

    def record_count(self, reference: str) -> int:
        with self._lock:
            return len(self._records.get(reference, []))

    def record(self, reference: str, entry_ref: str) -> RecordMeta | None:
        with self._lock:
            return self._by_entry.get((reference, entry_ref))

    def record_at(self, reference: str, sequence: int) -> RecordMeta | None:
        with self._lock:
            found = self._records.get(reference, [])
            if 1 <= sequence <= len(found) and found[sequence - 1].sequence == sequence:
                return found[sequence - 1]
            return next((r for r in found if r.sequence == sequence), None)

    def head_of(self, reference: str) -> tuple[int, bytes]:
        with self._lock:
            chain = self._builder.chains.get(reference)
            return (chain.sequence, chain.head) if chain else (0, b"\0" * 32)

    # ------------------------------------------------------------ running

    def start(self) -> None:
        self._stop.clear()
        for target, name in ((self._poll_loop, "pa-web-poller"), (self._audit_loop, "pa-web-auditor")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self._dirty.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def nudge(self) -> None:
        """Look for new blocks now (after a submission through the API)."""
        self._wake.set()

    def _poll_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
                self.last_error = None
            except Exception as error:  # the node may be restarting: keep trying
                self.last_error = f"{type(error).__name__}: {error}"
                log.warning("live ledger: %s", self.last_error)
                self._stop.wait(max(2.0, self.poll_seconds))
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def _audit_loop(self) -> None:
        while not self._stop.is_set():
            self._dirty.wait()
            if self._stop.is_set():
                return
            self._dirty.clear()
            try:
                self.audit_once()
            except Exception as error:
                self.last_error = f"{type(error).__name__}: {error}"
                log.warning("live audit: %s", self.last_error)
                self._stop.wait(2.0)
                self._dirty.set()

    # ------------------------------------------------------------ reading blocks

    def poll_once(self) -> list[RecordMeta]:
        """Reads the blocks since the last poll; returns and publishes their records."""
        w3 = self.ledger.w3
        head = head_block(w3, self.confirmations)
        last = self._last_block
        if last is not None and head < last:
            log.warning("the chain is now at block %d, below %d: reading it again", head, last)
            self._reset()
            last = None
        elif last is not None and head == last:
            return []
        if last is not None and block_header(w3, last)["hash"] != self._last_hash:
            log.warning("block %d is no longer on the chain: reading the ledger again", last)
            self._reset()
            last = None
        first_read = last is None
        start = self.ledger.deployment.block if last is None else last + 1
        new: list[RecordMeta] = []
        registry_changed = False
        # As the audit reads: the node prepares the next page while this one is decoded. Each page is
        # taken whole with its last block, under the lock: the tables never hold logs past the block
        # they are audited at, and a poll that fails part way resumes after the last page taken.
        pages = read_pages(w3, self._addresses, start, head, initial_range=READ_RANGE, data_as_bytes=True)
        try:
            with gc_paused():  # as the audit: a first read makes millions of objects and no cycles
                for page in prefetched(pages):
                    times = block_times(w3, page.logs)
                    header = block_header(w3, page.to_block)
                    metas, registry_changed_here = self._take(page.logs, times, page.to_block, header)
                    new += metas
                    registry_changed = registry_changed or registry_changed_here
        finally:  # the pages taken before a failure are kept: what they changed is told
            if registry_changed and self._on_registry_change is not None:
                self._on_registry_change()
        if self._last_block is None:  # the ledger's first block is not confirmed yet: nothing to read
            header = block_header(w3, head)
            with self._lock:
                self._last_block, self._last_hash = head, str(header["hash"])
                self._last_time = int(header["timestamp"], 16)
        # The records of a first read (the whole ledger) are not sent one by one: pages show them when
        # they load, and the audit's `block` event tells connected ones that the state moved.
        if not first_read and self.broker.listening:
            for meta in new:
                self.broker.publish(Event("record", meta.authorisation, meta.to_json()))
        self._dirty.set()
        return new

    def _take(
        self,
        logs: list[dict[str, Any]],
        times: Mapping[int, int] | None,
        block: int,
        header: Mapping[str, Any],
    ) -> tuple[list[RecordMeta], bool]:
        """A page of logs into the builder with its last block, at once for the readers: its records,
        and whether it changed the registry."""
        traces: list[RecordTrace | None] = []
        metas: list[RecordMeta] = []
        registry_changed = False
        with self._lock:
            self._builder.add_logs(logs, times, traces)
            for raw, trace in zip(logs, traces, strict=True):
                if str(raw["address"]).lower() == self._registry:
                    registry_changed = True
                elif trace is not None:
                    meta = RecordMeta(
                        authorisation=trace.authorisation,
                        sequence=trace.sequence,
                        entry_ref=trace.entry_ref,
                        kind=trace.kind,
                        block=trace.block,
                        log_index=trace.log_index,
                        transaction=str(raw["transactionHash"]),
                        block_time=trace.block_time,
                        occurred_at=trace.occurred_at,
                        account=trace.account,
                        head=trace.head,
                    )
                    self._records.setdefault(meta.authorisation, []).append(meta)
                    self._by_entry[(meta.authorisation, meta.entry_ref)] = meta
                    metas.append(meta)
            self._last_block = block
            self._last_hash = str(header["hash"])
            self._last_time = int(header["timestamp"], 16)
        return metas, registry_changed

    # ------------------------------------------------------------ auditing

    def tables(self) -> LedgerTables | None:
        with self._lock:
            if self._last_block is None:
                return None
            return self._builder.build(self._last_block, self._last_time)

    def audit_once(self) -> AuditState | None:
        """Audits the ledger as read so far; records and publishes the alerts not seen before."""
        started = time.perf_counter()
        with self._lock:
            block, block_time = self._last_block, self._last_time
            tables = self.tables()
        if tables is None or block is None:
            return None
        registry = verify_registry(self.ledger, tables, block)
        integrity = verify(self.ledger, tables, block, registry)
        today = self.today or datetime.fromtimestamp(block_time, UTC).date()
        result = audit(
            tables, today=today, thresholds=self.thresholds, integrity=integrity, registry=registry
        )
        result = replace(result, basis=basis(block, None, None, self.today))
        if self._first_seen is None:
            self._first_seen = dict(self._seen())
        known = self._first_seen
        now = time.time()
        items = alert_items(result, known, now)
        new = [item for key, item in items.items() if key not in known]
        if new and self._on_new_alerts is not None:
            self._on_new_alerts(new)  # stored (and queued for webhooks) before anyone is told
        known.update((item.key, item.first_seen) for item in new)
        state = AuditState(result, block, block_time, tuple(items.values()), time.perf_counter() - started)
        self.audit_state = state
        for item in new:
            self.broker.publish(Event("alert", item.authorisation, item.to_json()))
        registry_verified = result.registry is None or result.registry.verified
        self.broker.publish(  # each page's `verified`: the registry's and that of what it may see
            Event(
                "block",
                None,
                {"block": block, "time": _iso(block_time), "verified": registry_verified},
                verified_by={reference: check.verified for reference, check in result.integrity.items()},
            )
        )
        return state
