"""The newcomer's tour: on the embedded chain, deploy the ledger, register the sample authorisation
(aircraft tyre retreading at Bourges), appoint the broker, submit the sample season of the 2019
pilot, record a usual form of handling and a deadline extension.

Idempotent: run again, it finds the deployment, the authorisation and the entries already there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from web3 import Web3

from pa_client.audit.rules import audit, bill_of_discharge
from pa_client.audit.rules.alerts import SEVERITIES
from pa_client.audit.run import run_audit
from pa_client.chain.accounts import dev_account
from pa_client.chain.deployment import Deployment, deploy, load_deployment, save_deployment
from pa_client.chain.ledger import LedgerClient, Status
from pa_client.chain.sender import Sender
from pa_client.dev.console import AuditSummary
from pa_client.dev.season_clock import SeasonClock
from pa_client.domain.models import DeadlineExtension, Handling
from pa_client.errors import ChainError
from pa_client.present import write_audit, write_bill
from pa_client.present.audit_document import audit_document
from pa_client.records.authorisation_file import load_authorisation
from pa_client.records.entries_file import read_entries
from pa_client.settings import Settings
from pa_client.submission.service import file_items, submit
from pa_client.submission.submitter import Item

log = logging.getLogger("pa_client")

# Package data (pyproject's package-data), so that `pa demo` runs from an installed wheel too;
# `examples/` of a checkout links to these files.
SAMPLE = resources.files("pa_client.dev") / "sample"
SAMPLE_AUTHORISATION = Path(str(SAMPLE / "authorisation-bourges.toml"))
SAMPLE_SEASON = Path(str(SAMPLE / "season-bourges-2019.csv"))
REFERENCE = "FRIPO000000000042"
CASING, TREAD, TYRE, SCRAP = "40122000", "40061000", "40121300", "40040000"
STORE, WORKSHOP = "BOURGES-STORE", "BOURGES-WORKSHOP"
# The demo chain starts on the eve of the season (its first entry is on 15 February 2019), so that
# the deployment and the registration come before the records, all in the season's time.
GENESIS = datetime(2019, 2, 14, 9, 0, tzinfo=UTC)


def _at(day: int, month: int = 2, hour: int = 9) -> datetime:
    return datetime(2019, month, day, hour, 0, tzinfo=UTC)


def handling_entry() -> Handling:
    """The season has no usual form of handling: the holder repacks a tread rubber lot."""
    return Handling(
        authorisation=REFERENCE,
        entry_ref="MIC-HD-2019-0001",
        occurred_at=_at(28, month=3),
        lot="TRD-2019-0001",
        goods_code="40069000",
    )


@dataclass
class DemoReport:
    """What the demo did."""

    deployment: Deployment
    recorded: int = 0
    already: int = 0
    sequence: int = 0
    head: bytes = b""
    reports: dict[str, Path] = field(default_factory=dict)
    summary: AuditSummary | None = None
    season_time: bool = False
    """Whether the records' blocks carry the season's own times (a fresh demo chain)."""
    first_finding: str | None = None
    """The most severe alert of the audit, said first."""


def _ensure_deployment(
    w3: Web3, settings: Settings, customs: Sender, say: Callable[[str], None]
) -> Deployment:
    try:
        deployment = load_deployment(settings.data_dir, w3)
        say(f"ledger already deployed at {deployment.ledger}")
    except ChainError:
        deployment = deploy(customs)
        save_deployment(settings.data_dir, deployment)
        say(f"deployed the registry at {deployment.registry} and the ledger at {deployment.ledger}")
    return deployment


def run_demo(settings: Settings, w3: Web3, say: Callable[[str], None] = log.info) -> DemoReport:
    """Deploys, registers, appoints and records the sample entries on the chain `w3`."""
    customs_account, holder_account, broker_account = (
        dev_account(a) for a in ("customs", "holder", "broker")
    )
    deployment = _ensure_deployment(w3, settings, Sender(w3, customs_account), say)
    report = DemoReport(deployment)
    customs = LedgerClient(w3, deployment, customs_account)
    holder = LedgerClient(w3, deployment, holder_account)
    broker = LedgerClient(w3, deployment, broker_account)

    if customs.authorisation_state(REFERENCE).status is Status.UNKNOWN:
        customs.register(load_authorisation(SAMPLE_AUTHORISATION))
        say(f"customs registered authorisation {REFERENCE} from {SAMPLE_AUTHORISATION.name}")
    else:
        say(f"authorisation {REFERENCE} already registered")
    if not holder.is_declarant(REFERENCE, broker_account.address):
        holder.appoint(REFERENCE, broker_account.address)
        say(f"the holder appointed the broker {broker_account.address} as declarant")

    items, _ = file_items(read_entries(SAMPLE_SEASON), skip=False)
    clock = SeasonClock(w3)
    report.season_time = clock.can_date(items[0].entry.occurred_at)
    recorded = already = transactions = 0
    # The broker lodges the declarations and, here, sends the holder's ERP records with them: each
    # day's at the end of that day when the chain can be dated so, else the whole season at once.
    for day in _days(items) if report.season_time else [items]:
        if report.season_time:
            clock.record_after(max(item.entry.occurred_at for item in day))
        submitted = submit(broker, day, data_dir=settings.data_dir)
        if submitted.report.rejected:
            raise ChainError(f"the sample season was refused: {submitted.rejected_lines()[0]}")
        recorded += submitted.recorded
        already += submitted.already
        transactions += submitted.report.transactions
    report.recorded += recorded
    report.already += already
    if recorded and not report.season_time:
        say(
            "this node's clock is past the 2019 season (it ran before the demo): the records are dated "
            "now and show as late; run the demo in a new data folder for the season's own times"
        )
    say(
        f"the broker submitted {SAMPLE_SEASON.name}: {recorded:,} recorded, {already:,} already there, "
        f"in {transactions} transaction(s)"
        + (
            ", each day's at the end of that day, in the season's time"
            if report.season_time and recorded
            else ""
        )
    )
    handling = handling_entry()
    if holder.entry_state(REFERENCE, handling.entry_ref).kind == "none":
        if report.season_time:
            clock.record_after(handling.occurred_at)
        sent = holder.record(handling)
        report.recorded += 1
        say(
            f"the holder recorded the usual form of handling {handling.entry_ref} in block {sent.block_number:,}"
        )
    else:
        report.already += 1

    extension = DeadlineExtension(
        authorisation=REFERENCE,
        entry_ref="DGDDI-EXT-2019-0001",
        occurred_at=_at(29, month=3),
        placement="BDP-IM-2019-0003",
        new_deadline=date(2019, 12, 31),
        reason="processing delayed by a supplier's strike",
    )
    if customs.entry_state(REFERENCE, extension.entry_ref).kind == "none":
        if report.season_time:
            clock.record_after(extension.occurred_at)
        sent = customs.extend(extension)
        report.recorded += 1
        say(
            f"customs extended the deadline of BDP-IM-2019-0003 to 31 Dec 2019 in block {sent.block_number:,}"
        )
    else:
        report.already += 1
    if report.season_time:
        clock.resume_now()
    report.sequence, report.head = customs.chain_of(REFERENCE)
    _audit(settings, customs, report, say)
    return report


def _days(items: Sequence[Item]) -> list[list[Item]]:
    """The items in runs of the same day (of their own time zone), in the file's order."""
    days: list[list[Item]] = []
    for item in items:
        if days and days[-1][-1].entry.occurred_at.date() == item.entry.occurred_at.date():
            days[-1].append(item)
        else:
            days.append([item])
    return days


def first_finding(alerts: Sequence[dict[str, Any]]) -> str | None:
    """The most severe alert's kind and message (the report lists alerts most severe first)."""
    ranked = sorted(
        alerts, key=lambda a: SEVERITIES.index(a["severity"]) if a["severity"] in SEVERITIES else 9
    )
    return f"{ranked[0]['severity']} {ranked[0]['kind']}: {ranked[0]['message']}" if ranked else None


AUDIT_DAY = date(2019, 4, 1)  # the day after the pilot: placements open, deadlines ahead
BILL_PERIOD = (date(2019, 8, 1), date(2019, 9, 30))  # the season's periods for discharge end then
BILL_DAY = date(2019, 10, 5)  # after those periods: the bill is due on 30 October


def _audit(settings: Settings, ledger: LedgerClient, report: DemoReport, say: Callable[[str], None]) -> None:
    """Customs' audit as of the day after the pilot, and the holder's bill of discharge of the
    periods ending in August and September 2019, written to DATA_DIR/reports."""
    folder = settings.data_dir / "reports" / REFERENCE
    run = run_audit(ledger, settings, today=AUDIT_DAY, references=[REFERENCE])
    report.reports.update(write_audit(run.result, REFERENCE, folder, stem="audit"))
    document = audit_document(run.result, REFERENCE)
    report.summary = summary = AuditSummary.of_report(document)
    report.first_finding = first_finding(document["alerts"])
    say(
        f"audited {summary.records:,} records from the logs as of {AUDIT_DAY:%d %B %Y}: integrity "
        f"{'verified against the contract' if summary.verified else 'NOT VERIFIED'}"
    )
    # The same tables and proof, as of a later day: only the rules run again.
    later = audit(run.result.tables, today=BILL_DAY, integrity=run.result.integrity, references=[REFERENCE])
    bill = bill_of_discharge(later, REFERENCE, *BILL_PERIOD)
    written = write_bill(bill, folder, ["html", "xlsx"], stem="bill-2019-08-01-2019-09-30")
    report.reports.update({f"bill {kind}": path for kind, path in written.items()})
    say(f"wrote the bill of discharge for August–September 2019 (due {bill.due:%d %B %Y})")
