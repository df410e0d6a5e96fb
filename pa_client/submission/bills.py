"""Lodging a bill of discharge (UCC-DA art. 175; docs/audit.md, rule 4): one use case, called by
`pa bill --lodge`, the API's `POST …/bills` and the dashboard's bill page.

The bill stays off chain; the ledger records its span, its due date and the SHA-256 of its content
(`BillOfDischarge.content_sha256`). The record's reference is made of the span and the digest, so
lodging the same bill again is safe: it is found lodged and nothing is sent."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from pa_client.audit.rules import BillOfDischarge
from pa_client.chain.ledger import LedgerClient
from pa_client.chain.sender import Sent
from pa_client.domain.models import BillLodging
from pa_client.errors import ContractError, InputError


@dataclass(frozen=True)
class Lodging:
    """A bill lodged: its record's reference, digest and due date; `sent` is None when the same bill
    was already lodged (nothing sent)."""

    authorisation: str
    entry_ref: str
    period_start: date
    period_end: date
    due: date
    bill_sha256: str
    sent: Sent | None

    def summary(self) -> str:
        span = f"{self.period_start} to {self.period_end}"
        if self.sent is None:
            return f"bill of discharge of {self.authorisation} for {span} already lodged as {self.entry_ref}"
        return (
            f"bill of discharge of {self.authorisation} for {span} lodged as {self.entry_ref} "
            f"(SHA-256 {self.bill_sha256}, due {self.due}) in block {self.sent.block_number:,}"
        )


def lodging_ref(bill: BillOfDischarge) -> str:
    """The reference of the record that lodges this bill: its span and the start of its digest."""
    return f"BILL-{bill.period_start:%Y%m%d}-{bill.period_end:%Y%m%d}-{bill.content_sha256()[:12]}"


def lodging_of(
    ledger: LedgerClient, bill: BillOfDischarge, *, today: date, now: datetime | None = None
) -> tuple[Lodging, BillLodging | None]:
    """What lodging `bill` takes: its lodging, and the record to send (None when the same bill is
    already lodged). A bill is lodged once its span has ended: before, what it covers can still
    change. Used by `lodge_bill` and by the dashboard, whose users' wallets send the record."""
    if today <= bill.period_end:
        raise InputError(
            f"the bill of discharge of {bill.authorisation} for {bill.period_start} to {bill.period_end} can "
            f"be lodged from the day after its period ends ({bill.period_end}); today is {today}"
        )
    digest = bill.content_sha256()
    entry_ref = lodging_ref(bill)
    lodging = Lodging(
        bill.authorisation, entry_ref, bill.period_start, bill.period_end, bill.due, digest, None
    )
    if ledger.entry_state(bill.authorisation, entry_ref).kind == "bill":
        return lodging, None
    # Now, but never beyond the clock skew the ledger allows past its latest block (a node whose
    # clock is behind, the demo's chain set to the season's days).
    moment = min(now or datetime.now(UTC), ledger.latest_block_time() + timedelta(minutes=30))
    record = BillLodging(
        authorisation=bill.authorisation,
        entry_ref=entry_ref,
        occurred_at=moment.replace(microsecond=0),
        period_start=bill.period_start,
        period_end=bill.period_end,
        due=bill.due,
        bill_sha256=digest,
    )
    return lodging, record


def lodge_bill(
    ledger: LedgerClient, bill: BillOfDischarge, *, today: date, now: datetime | None = None
) -> Lodging:
    """Records on the ledger that `bill` was lodged, as the ledger's account (the holder or a declarant
    of the authorisation; the contract refuses anyone else). Lodging the same bill again sends nothing."""
    lodging, record = lodging_of(ledger, bill, today=today, now=now)
    if record is None:
        return lodging
    try:
        return replace(lodging, sent=ledger.record(record))
    except ContractError as error:
        # Another process lodged the same bill between the check and the sending: it is lodged.
        if error.error_name == "LedgerEntryExists":
            return lodging
        raise
