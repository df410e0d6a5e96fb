"""Short answers to the questions developers ask of a deployed ledger, for an interactive session.

`ape console` loads them through `ape_console_extras.py`, bound to the ledger of the network Ape is
on; any Python shell can do the same with `namespace(open_ledger_at(url))`. They are plain functions
over a `LedgerClient` and need nothing of Ape: stocks and lots are read from the contract, records
from the logs, open placements and the audit summary from the audit (`pa_client.audit.run`, as
`pa audit` runs it). Also here: where the embedded node of a data folder runs, so that Ape's scripts
and console use that node (its state) rather than a chain of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pa_client.chain.connection import open_ledger
from pa_client.chain.ledger import LedgerClient, LotState
from pa_client.chain.node import EmbeddedNode
from pa_client.chain.transport import redact
from pa_client.domain.quantities import format_quantity
from pa_client.errors import AccountError, InputError, NodeError
from pa_client.present.audit_document import audit_document
from pa_client.present.display import goods_code
from pa_client.settings import Settings

if TYPE_CHECKING:  # the audit (pandas, the rules) is imported when first asked for
    import pandas as pd

    from pa_client.audit.rules import AuditResult
    from pa_client.audit.run import AuditRun

__all__ = [
    "APE_PORT",
    "OPEN_PLACEMENT_COLUMNS",
    "AuditSummary",
    "RecordLine",
    "RecordLines",
    "ape_console_hint",
    "audit",
    "audit_summary",
    "describe",
    "embedded_node_for_ape",
    "embedded_node_mismatch",
    "embedded_node_url",
    "last_records",
    "lot",
    "namespace",
    "open_ledger_at",
    "open_placements",
    "same_endpoint",
    "stock",
]

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


# ---------------------------------------------------------------- opening the ledger


def open_ledger_at(rpc_url: str, *, data_dir: Path | None = None, account: str | None = None) -> LedgerClient:
    """The ledger deployed on the chain at `rpc_url`, as recorded in the data folder (`data_dir`, else
    PA_DATA_DIR, else the default). It signs with `account` (else PA_ACCOUNT) when one is given; a
    development alias (customs, holder, broker...) only on a local development chain."""
    settings = Settings.load(rpc_url=rpc_url, data_dir=data_dir, account=account)
    return open_ledger(settings, signing=settings.account is not None)


def describe(ledger: LedgerClient) -> str:
    """One line: which ledger this is, and who signs."""
    d = ledger.deployment
    try:
        signer = f"; signing as {ledger.sender.address}"
    except AccountError:
        signer = "; read only (PA_ACCOUNT names no account)"
    return (
        f"PA ledger {d.ledger} (registry {d.registry}) on chain {d.chain_id}, deployed at block "
        f"{d.block:,}{signer}"
    )


# ---------------------------------------------------------------- the questions


def stock(ledger: LedgerClient, reference: str, lot: str, site: str | None = None) -> Decimal:
    """The stock of a lot of authorisation `reference`, in the lot's unit: at `site`, or in all
    sites when no site is given."""
    if site is not None:
        return ledger.stock(reference, lot, site)
    state = ledger.lot(reference, lot)
    if state is None:
        raise InputError(f"lot {lot} of {reference} is not on the ledger")
    return state.stock


def lot(ledger: LedgerClient, reference: str, lot: str) -> LotState | None:
    """What the ledger holds of a lot (stock in all sites, import goods code, origin...); None when
    the lot is not on the ledger."""
    return ledger.lot(reference, lot)


@dataclass(frozen=True)
class RecordLine:
    """One record of an authorisation, as a line for people."""

    sequence: int
    kind: str
    entry_ref: str
    occurred_at: datetime
    block: int
    transaction: str

    def __str__(self) -> str:
        return (
            f"#{self.sequence:<5} {self.occurred_at:%Y-%m-%d %H:%M}Z  {self.kind:<10}  "
            f"{self.entry_ref}  (block {self.block:,})"
        )

    __repr__ = __str__


class RecordLines(list[RecordLine]):
    """Records, shown one per line."""

    def __str__(self) -> str:
        return "\n".join(str(line) for line in self) if self else "(no records)"

    __repr__ = __str__


def last_records(ledger: LedgerClient, reference: str, count: int = 10) -> RecordLines:
    """The last `count` records of authorisation `reference`, oldest first (read from the logs)."""
    if count < 1:
        raise InputError("count must be at least 1")
    records = ledger.records(reference)[-count:]
    return RecordLines(
        RecordLine(
            sequence=r.sequence,
            kind=r.kind,
            entry_ref=r.entry.entry_ref,
            occurred_at=r.entry.occurred_at,
            block=r.block_number,
            transaction=r.transaction_hash,
        )
        for r in records
    )


def audit(
    ledger: LedgerClient, reference: str, *, today: date | None = None, settings: Settings | None = None
) -> AuditRun:
    """The audit of authorisation `reference` now, as `pa audit` runs it (the local index in the data
    folder of `settings`, else of PA_DATA_DIR, brought up to date first). Deadlines are judged as of
    `today` (default: the day of the audited block)."""
    from pa_client.audit.run import run_audit

    run = run_audit(ledger, settings or Settings.load(), today=today, references=[reference])
    if reference not in run.result.references:
        raise InputError(f"no authorisation {reference} on this ledger")
    return run


OPEN_PLACEMENT_COLUMNS = (
    "entry_ref",
    "lot",
    "goods_code",
    "quantity",
    "unit",
    "remaining",
    "deadline",
    "status",
)


def open_placements(
    ledger: LedgerClient, reference: str, *, today: date | None = None, settings: Settings | None = None
) -> pd.DataFrame:
    """The placements of authorisation `reference` not yet discharged (status open or overdue), in
    the audit's words: quantities and remaining import goods as exact decimal strings, deadlines as
    ISO dates."""
    import pandas as pd

    report = audit_document(audit(ledger, reference, today=today, settings=settings).result, reference)
    rows = [
        {column: placement[column] for column in OPEN_PLACEMENT_COLUMNS}
        for placement in report["placements"]
        if placement["status"] != "discharged"
    ]
    return pd.DataFrame(rows, columns=list(OPEN_PLACEMENT_COLUMNS))


_SEVERITIES = ("critical", "warning", "info")


@dataclass(frozen=True)
class AuditSummary:
    """An authorisation's audit in one line."""

    reference: str
    block: int
    records: int
    verified: bool
    placements: dict[str, int]
    """Placements by status: open, overdue, discharged."""
    open_quantities: dict[tuple[str, str], Decimal]
    """What is left under the procedure, by (import goods code, unit), of placements not discharged."""
    duty_due: Decimal
    """Duty due in EUR (free circulation and deemed release)."""
    alerts: dict[str, int]
    """Alerts by severity, most severe first."""

    @classmethod
    def of(cls, result: AuditResult, reference: str) -> AuditSummary:
        return cls.of_report(audit_document(result, reference))

    @classmethod
    def of_report(cls, report: dict[str, Any]) -> AuditSummary:
        """The summary of one authorisation's audit report (`AuditResult.to_json`)."""
        reference = str(report["authorisation"])
        statuses = [p["status"] for p in report["placements"]]
        open_quantities: dict[tuple[str, str], Decimal] = {}
        for placement in report["placements"]:
            if placement["status"] != "discharged":
                key = (placement["goods_code"], placement["unit"])
                open_quantities[key] = open_quantities.get(key, Decimal(0)) + Decimal(placement["remaining"])
        severities = [a["severity"] for a in report["alerts"]]
        ranked = sorted(set(severities), key=lambda s: (_SEVERITIES.index(s) if s in _SEVERITIES else 9, s))
        return cls(
            reference=reference,
            block=int(report["as_of_block"]),
            records=int(report["integrity"]["entries"]),
            verified=bool(report["integrity"]["verified"]),
            placements={status: statuses.count(status) for status in ("open", "overdue", "discharged")},
            open_quantities=dict(sorted(open_quantities.items())),
            duty_due=Decimal(report["duty_due"]["total"]),
            alerts={severity: severities.count(severity) for severity in ranked},
        )

    def __str__(self) -> str:
        placements = ", ".join(f"{n:,} {status}" for status, n in self.placements.items())
        alerts = ", ".join(f"{n:,} {severity}" for severity, n in self.alerts.items()) or "none"
        left = ", ".join(
            f"{format_quantity(quantity, unit)} of {goods_code(code)}"
            for (code, unit), quantity in self.open_quantities.items()
        )
        return (
            f"{self.reference} at block {self.block:,}: {self.records:,} records, integrity "
            f"{'verified' if self.verified else 'NOT VERIFIED'}; placements: {placements}; "
            f"under the procedure: {left or 'nothing'}; duty due EUR {self.duty_due:,.2f}; alerts: {alerts}"
        )

    __repr__ = __str__


def audit_summary(
    ledger: LedgerClient, reference: str, *, today: date | None = None, settings: Settings | None = None
) -> AuditSummary:
    """Authorisation `reference` audited now, in one line: records and integrity, placements by
    status, duty due, alerts by severity."""
    return AuditSummary.of(audit(ledger, reference, today=today, settings=settings).result, reference)


def namespace(ledger: LedgerClient) -> dict[str, Any]:
    """The console's names: `ledger` and the questions bound to it."""

    def bound(function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            return function(ledger, *args, **kwargs)

        call.__name__ = call.__qualname__ = function.__name__
        call.__doc__ = function.__doc__
        return call

    return {
        "ledger": ledger,
        "stock": bound(stock),
        "lot": bound(lot),
        "last_records": bound(last_records),
        "open_placements": bound(open_placements),
        "audit_summary": bound(audit_summary),
        "audit": bound(audit),
        "open_ledger_at": open_ledger_at,
    }


# ---------------------------------------------------------------- the embedded node


def same_endpoint(url: str, other: str) -> bool:
    """Whether two RPC URLs name the same endpoint (`localhost` and `127.0.0.1` are one host)."""
    a, b = urlsplit(url), urlsplit(other)

    def host(hostname: str | None) -> str | None:
        return "127.0.0.1" if hostname in _LOOPBACK else hostname

    return (host(a.hostname), a.port, a.path.rstrip("/")) == (host(b.hostname), b.port, b.path.rstrip("/"))


def embedded_node_url(settings: Settings, port: int | None = None, genesis_time: int | None = None) -> str:
    """The RPC URL of the embedded node of `settings.data_dir`: where it runs, else where it is
    started now (on PA_NODE_PORT if set, else on `port`, else on a free port; a new chain dated
    `genesis_time`)."""
    if settings.node_port is None and port is not None:
        settings = settings.model_copy(update={"node_port": port})
    return EmbeddedNode(settings).ensure_running(genesis_time)


APE_PORT = 8645
"""The port of Ape's local network (ape-config.yaml, `foundry: host:`), where `ape console` looks for
the embedded node: it connects before any code of the project runs, so it cannot follow the node to
another port as the scripts do."""


def embedded_node_for_ape(settings: Settings, genesis_time: int | None = None) -> str:
    """The RPC URL of the embedded node: where it runs, else started on PA_NODE_PORT, else on Ape's
    port (`ape console` then finds it), else, that port being taken, on a free one (a new chain dated
    `genesis_time`)."""
    if settings.node_port is not None or EmbeddedNode(settings).status().running:
        return embedded_node_url(settings, genesis_time=genesis_time)
    try:
        return embedded_node_url(settings, APE_PORT, genesis_time)
    except NodeError:
        # Ape's port is taken (the error again if it was not that)
        return embedded_node_url(settings, genesis_time=genesis_time)


def ape_console_hint(rpc_url: str) -> str | None:
    """One line on how `ape console` reaches the embedded node at `rpc_url`; None when it runs on
    Ape's port."""
    if urlsplit(rpc_url).port == APE_PORT:
        return None
    return (
        f"ape console looks for the node at http://127.0.0.1:{APE_PORT}: point it at this one with "
        f"'export APE_FOUNDRY_HOST={rpc_url}' (ape run scripts find it themselves)"
    )


def embedded_node_mismatch(rpc_url: str, settings: Settings) -> str | None:
    """None when `rpc_url` is the embedded node of `settings.data_dir`, else why it is not."""
    status = EmbeddedNode(settings).status()
    if status.running and status.rpc_url is not None:
        if same_endpoint(status.rpc_url, rpc_url):
            return None
        return (
            f"{redact(rpc_url)} is not the embedded node of {settings.data_dir}, which runs at {status.rpc_url}: "
            f"set APE_FOUNDRY_HOST={status.rpc_url}, or restart the node on Ape's port "
            f"(pa node stop; pa node start --port {urlsplit(rpc_url).port})"
        )
    return (
        f"the embedded node of {settings.data_dir} is not running, so {redact(rpc_url)} is another chain: "
        f"start it there with `pa node start --port {urlsplit(rpc_url).port}`"
    )
