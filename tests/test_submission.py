"""The submission engine against the real chain: exactly once, refusals named before sending,
skipping, corrections of entries of the same run, and a batch that fails on chain."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import factories
from support.chain import Parties

from pa_client.contract.rolling_hash import recompute
from pa_client.errors import InputError
from pa_client.submission.journal import Journal
from pa_client.submission.submitter import Item, Outcome, Submitter

SITE, OTHER = "BOURGES", "TOULOUSE"


def _season(ref: str, lots: int = 6) -> list[Item]:
    items: list[Item] = []
    for i in range(lots):
        items += [
            Item(factories.placement(ref, f"P{i}", f"L{i}", "10"), rows=(2 + 4 * i,), source="season.csv"),
            Item(
                factories.movement(ref, f"M{i}", f"L{i}", "4", SITE, OTHER),
                rows=(3 + 4 * i,),
                source="season.csv",
            ),
            Item(factories.discharge(ref, f"D{i}", f"L{i}", "3"), rows=(4 + 4 * i,), source="season.csv"),
            Item(factories.correction(ref, f"C{i}", f"M{i}"), rows=(5 + 4 * i,), source="season.csv"),
        ]
    return items


def test_records_every_entry_once_and_a_rerun_records_nothing(
    parties: Parties, auth: str, tmp_path: Path
) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    submitter = Submitter(parties.broker, batch_size=5, journal=journal)
    items = _season(auth)
    report = submitter.submit(items)
    assert report.count(Outcome.RECORDED) == len(items) and not report.rejected
    assert report.transactions == 5  # 24 entries in batches of 5
    assert parties.reader.chain_of(auth)[0] == len(items)
    assert parties.reader.stock(auth, "L0", SITE) == 7  # 10 placed, 4 moved and moved back, 3 discharged
    line = journal.find(auth, "C5")
    assert line is not None and line.status == "recorded" and line.source == "season.csv:25"

    again = submitter.submit(items)
    assert again.count(Outcome.ALREADY) == len(items) and again.transactions == 0
    check = recompute(parties.reader.records(auth))
    assert check.complete and (check.sequence, check.head) == parties.reader.chain_of(auth)


def test_a_refusal_is_named_by_row_before_anything_is_sent(parties: Parties, auth: str) -> None:
    items = _season(auth, lots=2)
    items.insert(3, Item(factories.discharge(auth, "X1", "L0", "8"), rows=(99,), source="season.csv"))
    items.append(
        Item(factories.movement(auth, "X2", "NOPE", "1", SITE, OTHER), rows=(100,), source="season.csv")
    )
    report = Submitter(parties.broker).submit(items)
    assert [(r.item.where, r.error_name, r.reason) for r in report.rejected] == [
        (
            "season.csv:99",
            "LedgerInsufficientStock",
            "lot L0 has 3.000000 at site BOURGES, less than the 8.000000 taken",
        ),
        ("season.csv:100", "LedgerUnknownLot", "lot NOPE exists neither on chain nor earlier in the file"),
    ]
    assert report.count(Outcome.NOT_SENT) == len(items) - 2 and report.transactions == 0
    assert parties.reader.chain_of(auth)[0] == 0


def test_dry_run_checks_and_sends_nothing(parties: Parties, auth: str) -> None:
    report = Submitter(parties.broker).submit(_season(auth, lots=2), dry_run=True)
    assert report.count(Outcome.CHECKED) == 8 and report.transactions == 0
    assert parties.reader.chain_of(auth)[0] == 0


def test_skip_records_the_good_entries_and_reports_the_others(parties: Parties, auth: str) -> None:
    items = _season(auth, lots=2)
    # Refused: an overdraw, a stranger's code, and a correction of an entry that does not exist.
    items.insert(2, Item(factories.discharge(auth, "X1", "L0", "11")))
    items.append(Item(factories.placement(auth, "X2", "L9", "1", code="01012100")))
    items.append(Item(factories.correction(auth, "X3", "NEVER")))
    report = Submitter(parties.broker).submit(items, skip_rejected=True)
    assert {r.item.entry.entry_ref: r.error_name for r in report.rejected} == {
        "X1": "LedgerInsufficientStock",
        "X2": "LedgerGoodsCodeNotAllowed",
        "X3": "LedgerUnknownEntry",
    }
    assert report.count(Outcome.RECORDED) == 8
    # The corrections of this run were built on the sequence numbers that skipping changed.
    assert parties.reader.entry_state(auth, "M1").corrected


def test_a_stranger_is_refused_for_every_entry(parties: Parties, auth: str) -> None:
    report = Submitter(parties.stranger).submit(_season(auth, lots=1))
    assert {r.error_name for r in report.rejected} == {"RegistryNotRecorder"}
    assert len(report.rejected) == 4


def test_a_batch_failing_on_chain_is_checked_again(parties: Parties, auth: str) -> None:
    """Another account drains a lot between the simulation and a later batch: that batch fails on
    chain, leaves no trace, and its entries are simulated again (the drained one is refused)."""
    parties.broker.record(factories.placement(auth, "P-A", "LOT-A", "5"))
    items = [Item(factories.placement(auth, f"P{i}", f"L{i}", "1")) for i in range(4)]
    items.append(Item(factories.movement(auth, "M-A", "LOT-A", "5", SITE, OTHER)))
    items += [Item(factories.placement(auth, f"Q{i}", f"K{i}", "1")) for i in range(3)]
    drained: list[object] = []

    def interfere(done: int, total: int) -> None:
        if not drained:
            drained.append(parties.holder.record(factories.discharge(auth, "H-A", "LOT-A", "5")))

    submitter = Submitter(parties.broker, batch_size=4, in_flight=1, progress=interfere)
    report = submitter.submit(items, skip_rejected=True)
    assert report.transactions == 3  # two batches, the second failed, then its good entries again
    assert [r.item.entry.entry_ref for r in report.rejected] == ["M-A"]
    assert report.count(Outcome.RECORDED) == 7
    check = recompute(parties.reader.records(auth))
    assert check.complete and check.entries == 1 + 1 + 7


def test_the_rest_of_a_file_after_a_partial_submission(parties: Parties, auth: str) -> None:
    """After a crash, a correction in the rest of the file corrects an entry already on chain (its
    logged data is read from the chain, not predicted), and an entry that needs the correction's
    effect is recorded too."""
    items = [
        Item(factories.placement(auth, "P", "L", "10")),
        Item(factories.movement(auth, "M", "L", "6", SITE, OTHER)),
        Item(factories.correction(auth, "C", "M")),
        Item(factories.discharge(auth, "X", "L", "9")),  # needs the 6 that the correction brings back
    ]
    Submitter(parties.broker).submit(items[:2])
    report = Submitter(parties.broker).submit(items)
    assert (report.count(Outcome.ALREADY), report.count(Outcome.RECORDED), report.rejected) == (2, 2, [])
    assert parties.reader.stock(auth, "L", SITE) == 1


def test_an_input_larger_than_the_window_is_sent_window_by_window(parties: Parties, auth: str) -> None:
    """A lot placed in the first window is used in the second: windows follow one another on chain."""
    items = _season(auth, lots=3)  # 12 entries, windows of 5
    report = Submitter(parties.broker, window=5, batch_size=2).submit(items)
    assert report.count(Outcome.RECORDED) == 12 and not report.rejected
    assert parties.reader.chain_of(auth)[0] == 12


def test_a_refusal_in_a_later_window_stops_after_the_earlier_ones(parties: Parties, auth: str) -> None:
    items = _season(auth, lots=2)
    items.append(Item(factories.discharge(auth, "X", "L0", "99")))
    report = Submitter(parties.broker, window=4).submit(items)
    assert report.count(Outcome.RECORDED) == 8 and [r.item.entry.entry_ref for r in report.rejected] == ["X"]
    with pytest.raises(InputError, match="a dry run simulates at most 4 entries at once"):
        Submitter(parties.broker, window=4).submit(items, dry_run=True)
