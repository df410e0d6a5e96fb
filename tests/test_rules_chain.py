"""The audit rules on the real chain: the worked example of docs/spec/domain.md recorded through the example
authorisation files, read back from the logs into the ledger tables, audited end to end."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from support import factories
from support.chain import Parties
from web3 import Web3

from pa_client.audit.rules import AlertThresholds, AuditResult, IntegrityResult, audit, bill_of_discharge
from pa_client.audit.rules.frames import rows
from pa_client.audit.tables import LedgerTables, TableBuilder
from pa_client.chain.extract import block_times, read_pages
from pa_client.domain.models import DischargeMode
from pa_client.domain.quantities import display_equivalent, equivalent, micro_to_equivalent, to_micro
from pa_client.present.audit_document import audit_document
from pa_client.records.authorisation_file import load_authorisation


class Rec(dict[str, Any]):
    """A table row whose columns read as attributes (Python values, as the rules produce them)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def records(frame: pd.DataFrame) -> list[Rec]:
    return [Rec(row) for row in rows(frame)]


def alerts_of(result: AuditResult, kind: str) -> list[Rec]:
    return [row for row in records(result.alerts) if row.kind == kind]


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
IMPORT, MPP, SPP = "39011010", "39012090", "39151000"
JAN_10 = datetime(2024, 1, 10, 8, 0, tzinfo=UTC)
FEB_20 = datetime(2024, 2, 20, 8, 0, tzinfo=UTC)
KEYS = {
    "audit": {"authorisation", "as_of_block", "as_of_time", "integrity", "placements", "discharges", "duty_due", "alerts", "corrected", "bills", "basis", "left_out"},
    "integrity": {"entries", "sequence", "head", "verified"},
    "placement": {
        "entry_ref", "lot", "declaration", "date", "goods_code", "quantity", "unit", "customs_value", "duty_rate",
        "suspended_duty", "deadline", "discharged", "remaining", "status",
    },
    "discharge": {"entry_ref", "lot", "lot_code", "mode", "declaration", "date", "quantity", "import_equivalent", "allocation"},
    "alert": {"kind", "severity", "entry_ref", "lot", "message", "due"},
}  # fmt: skip
_serial = itertools.count(1)


def _register(parties: Parties, file: str) -> str:
    authorisation = load_authorisation(EXAMPLES / file)
    reference = f"FRIPO8{next(_serial):04d}{abs(hash(file)) % 10**6:06d}"
    parties.customs.register(authorisation.model_copy(update={"reference": reference}))
    return reference


def _tables(w3: Web3, parties: Parties) -> LedgerTables:
    """The ledger tables read from the logs of both contracts, deployment block to the latest."""
    client = parties.reader
    latest = w3.eth.block_number
    builder = TableBuilder()
    for page in read_pages(
        w3, [client.registry.address, client.ledger.address], client.deployment.block, latest
    ):
        builder.add_logs(page.logs, block_times(w3, page.logs))
    return builder.build(latest, int(w3.eth.get_block(latest)["timestamp"]))


def _integrity(parties: Parties, tables: LedgerTables, reference: str) -> dict[str, IntegrityResult]:
    """The caller's check: the rolling hash from the logs against the contract's at the same block."""
    chain = tables.chains[reference]
    on_chain = parties.reader.chain_of(reference, tables.as_of_block)
    verified = (chain.sequence, chain.head) == (on_chain[0], bytes(on_chain[1])) and not chain.gaps
    return {reference: IntegrityResult(chain.sequence, chain.sequence, chain.head, verified)}


# (file, MPP contains, re-exported 700 MPP, SPP released, 100 MPP left, duty on SPP, duty on the rest)
CASES = [
    ("worked-example-quantity-key.toml", Fraction(20, 19), "736.842", "157.895", "105.263", "47.37", "31.58"),
    ("worked-example-value-key.toml", Fraction(200, 163), "858.896", "18.405", "122.699", "5.52", "36.81"),
]


@pytest.mark.parametrize(
    ("file", "mpp", "reexported", "released", "left", "duty_released", "duty_left"), CASES
)
def test_worked_example_audited_from_the_logs(
    w3: Web3,
    parties: Parties,
    file: str,
    mpp: Fraction,
    reexported: str,
    released: str,
    left: str,
    duty_released: str,
    duty_left: str,
) -> None:
    ref = _register(parties, file)
    holder = parties.holder
    holder.record(
        factories.placement(ref, "A", "IMP-1", "1000", code=IMPORT, value="10000", duty="3", when=JAN_10)
    )
    holder.record(
        factories.processing(
            ref, "T", [("IMP-1", "1000")], [("MPP-1", MPP, "800", "KGM"), ("SPP-1", SPP, "150", "KGM")]
        )
    )
    holder.record(factories.discharge(ref, "X1", "MPP-1", "700"))
    holder.record(factories.discharge(ref, "X2", "SPP-1", "150", mode=DischargeMode.FREE_CIRCULATION))
    tables = _tables(w3, parties)
    integrity = _integrity(parties, tables, ref)
    assert integrity[ref].verified

    # The day after the period for discharge (10 Jan + 6 months, no end-of-period rule) ends.
    result = audit(
        tables, today=date(2024, 7, 11), thresholds=AlertThresholds(), integrity=integrity
    ).for_authorisation(ref)

    discharges = {row.entry_ref: row for row in records(result.discharges)}
    reexport = equivalent(to_micro(700), mpp)
    assert discharges["X1"].import_equivalent == {IMPORT: reexport}
    assert f"{display_equivalent(discharges['X1'].import_equivalent[IMPORT], 3)}" == reexported
    assert f"{display_equivalent(discharges['X2'].import_equivalent[IMPORT], 3)}" == released
    assert [(s["placement"], s["quantity"]) for s in discharges["X1"].allocation] == [("A", reexport)]

    [placement] = records(result.placements)
    assert placement.deadline == date(2024, 7, 10)
    assert (
        placement.remaining
        == micro_to_equivalent(to_micro(1000)) - reexport - discharges["X2"].import_equivalent[IMPORT]
    )
    assert f"{display_equivalent(placement.remaining, 3)}" == left
    assert placement.status == "overdue"
    assert placement.suspended_duty_cents == 30000

    duties = {row.basis: row for row in records(result.duty_due)}
    assert set(duties) == {"free_circulation", "deemed_release"}
    assert (duties["free_circulation"].entry_ref, duties["free_circulation"].placement) == ("X2", "A")
    assert Decimal(duties["free_circulation"].amount_cents) / 100 == Decimal(duty_released)
    assert Decimal(duties["deemed_release"].amount_cents) / 100 == Decimal(duty_left)
    assert duties["deemed_release"].date == date(2024, 7, 10)

    [yield_row] = records(result.yields)
    assert yield_row.input_equivalent == micro_to_equivalent(to_micro(1000))
    assert not yield_row.beyond_tolerance

    kinds = set(result.alerts["kind"])
    assert "overdue" in kinds
    assert "late_record" in kinds  # recorded in 2026 what happened in 2024
    assert "integrity" not in kinds

    report = audit_document(result, ref)
    assert set(report) == KEYS["audit"]
    assert set(report["integrity"]) == KEYS["integrity"]
    assert report["integrity"]["verified"] is True
    assert report["integrity"]["sequence"] == 4
    assert [set(p) for p in report["placements"]] == [KEYS["placement"]]
    assert all(set(d) == KEYS["discharge"] for d in report["discharges"])
    assert all(set(a) == KEYS["alert"] for a in report["alerts"])
    assert report["placements"][0]["remaining"] == str(display_equivalent(placement.remaining))
    assert report["placements"][0]["deadline"] == "2024-07-10"
    assert report["placements"][0]["suspended_duty"] == "300.00"
    assert report["placements"][0]["duty_rate"] == "3"
    assert report["discharges"][0]["import_equivalent"] == {IMPORT: str(display_equivalent(reexport))}
    assert report["duty_due"]["free_circulation"] == duty_released
    assert report["duty_due"]["deemed_release"] == duty_left
    assert report["duty_due"]["total"] == str(Decimal(duty_released) + Decimal(duty_left))

    bill = bill_of_discharge(result, ref, date(2024, 7, 1), date(2024, 7, 31))
    # Due 30 days after the placement's period ends (10 Jul: 9 Aug, as docs/spec/domain.md says), not
    # after the bill's range.
    assert bill.due == date(2024, 8, 9)
    assert [p.entry_ref for p in bill.placements] == ["A"]
    assert [(p.lot, p.role) for p in bill.processed_products] == [("MPP-1", "main"), ("SPP-1", "secondary")]
    assert {(r.product_code, r.contains) for r in bill.rates_of_yield} >= {(MPP, mpp)}
    assert [d.entry_ref for d in bill.discharges] == ["X1", "X2"]
    assert Decimal(bill.duty_deemed_release_cents) / 100 == Decimal(duty_left)
    assert Decimal(bill.duty_free_circulation_cents) / 100 == Decimal(duty_released)
    assert bill.carried_forward == ()


def test_fifo_two_placements_on_chain(w3: Web3, parties: Parties) -> None:
    """A 600 kg (10 Jan) and B 400 kg (20 Feb); a re-export worth 736.842 kg discharges A in full and
    136.842 kg of B; B keeps its own deadline; an extension then replaces it; a corrected discharge
    takes no part."""
    ref = _register(parties, "worked-example-quantity-key.toml")
    holder = parties.holder
    holder.record(factories.placement(ref, "B", "IMP-B", "400", code=IMPORT, value="4000", when=FEB_20))
    holder.record(factories.placement(ref, "A", "IMP-A", "600", code=IMPORT, value="6000", when=JAN_10))
    holder.record(
        factories.processing(
            ref,
            "T",
            [("IMP-A", "600"), ("IMP-B", "400")],
            [("MPP-1", MPP, "800", "KGM"), ("SPP-1", SPP, "150", "KGM")],
        )
    )
    holder.record(factories.discharge(ref, "WRONG", "MPP-1", "10"))
    holder.record(factories.correction(ref, "K1", "WRONG"))
    holder.record(factories.discharge(ref, "X1", "MPP-1", "700"))
    holder.record(factories.discharge(ref, "X2", "SPP-1", "150", mode=DischargeMode.FREE_CIRCULATION))
    tables = _tables(w3, parties)
    integrity = _integrity(parties, tables, ref)
    result = audit(
        tables, today=date(2024, 8, 1), thresholds=AlertThresholds(), integrity=integrity, references=[ref]
    )

    reexport = equivalent(to_micro(700), Fraction(20, 19))
    release = equivalent(to_micro(150), Fraction(20, 19))
    allocation = [(r.discharge, r.placement, r.quantity) for r in records(result.allocations)]
    assert allocation == [
        ("X1", "A", 600 * 10**18),
        ("X1", "B", reexport - 600 * 10**18),
        ("X2", "B", release),
    ]
    assert display_equivalent(reexport - 600 * 10**18, 3) == Decimal("136.842")
    assert "WRONG" not in set(result.discharges["entry_ref"])

    placements = {row.entry_ref: row for row in records(result.placements)}
    assert list(placements) == ["A", "B"]  # by placement date, not by sequence
    assert (placements["A"].status, placements["A"].remaining) == ("discharged", 0)
    assert placements["A"].discharged == {"reexport": 600 * 10**18}
    assert placements["B"].deadline == date(2024, 8, 20)
    assert placements["B"].status == "open"
    assert placements["B"].remaining == 400 * 10**18 - (reexport - 600 * 10**18) - release
    near = result.alerts.loc[result.alerts["kind"] == "deadline_near"]
    assert list(near["entry_ref"]) == ["B"]
    assert list(near["due"]) == [date(2024, 8, 20)]
    [duty] = records(result.duty_due)
    assert (duty.placement, duty.amount_cents) == ("B", 4737)

    # Stock: the corrected discharge is not in it; 100 kg MPP left at the site.
    stock = {(row.lot, row.site): row.quantity for row in records(result.stock)}
    assert stock == {("MPP-1", "BOURGES"): to_micro(100)}

    parties.customs.extend(factories.extension(ref, "EXT-B", "B", date(2024, 12, 31)))
    tables = _tables(w3, parties)
    extended = audit(
        tables, today=date(2024, 9, 1), integrity=_integrity(parties, tables, ref), references=[ref]
    )
    placements = {row.entry_ref: row for row in records(extended.placements)}
    assert (placements["B"].deadline, placements["B"].extended, placements["B"].status) == (
        date(2024, 12, 31),
        True,
        "open",
    )
    bill = bill_of_discharge(extended, ref, date(2024, 7, 1), date(2024, 8, 31))
    # B's period, as extended, ends in December: carried forward here, covered by December's bill.
    assert [p.entry_ref for p in bill.placements] == ["A"]
    assert [(c.placement, c.reason, c.deadline, c.extension) for c in bill.carried_forward] == [
        ("B", "extended", date(2024, 12, 31), "EXT-B")
    ]
    assert bill.deemed_released == ()
