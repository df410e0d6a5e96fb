"""Batches: entries applied in order in one transaction, all or nothing, safe to re-send, and only
entry-recording calls accepted."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from support import factories
from support.chain import Parties
from support.factories import IMPORT_TREAD

from pa_client.chain.ledger import EntryState, LedgerClient, LotState
from pa_client.contract import ids
from pa_client.contract.encoding import AnyEntry
from pa_client.errors import ContractError

UNIT = 10**18
SITE = "BOURGES"
OTHER_SITE = "CLERMONT"
NOTHING = EntryState("none", False)


def expect(error: ContractError, name: str, **args: object) -> None:
    """`error` is the custom error `name` with exactly `args`."""
    assert (error.error_name, error.args_by_name) == (name, args), str(error)


def snapshot(client: LedgerClient, auth: str, lots: list[str], entries: list[str]) -> tuple[object, ...]:
    """What a refused batch must leave unchanged: the chain, the lots, their stock and the entries."""
    return (
        client.chain_of(auth),
        client.totals(auth, IMPORT_TREAD),
        [
            (client.lot(auth, lot), client.stock(auth, lot, SITE), client.stock(auth, lot, OTHER_SITE))
            for lot in lots
        ],
        [client.entry_state(auth, entry) for entry in entries],
    )


def test_a_batch_applies_its_entries_in_order(parties: Parties, auth: str) -> None:
    """A placement and movements of the same lot share one transaction; they get consecutive sequence
    numbers in the batch's order, recorded by the sender."""
    entries: list[AnyEntry] = [
        factories.placement(auth, "P1", "T1", "100"),
        factories.movement(auth, "M1", "T1", "60", SITE, OTHER_SITE),
        factories.movement(auth, "M2", "T1", "10", OTHER_SITE, SITE),
        factories.discharge(auth, "D1", "T1", "50", site=OTHER_SITE),
    ]
    sent = parties.broker.record_batch(entries)

    broker = parties.broker
    assert broker.stock(auth, "T1", SITE) == 50
    assert broker.stock(auth, "T1", OTHER_SITE) == 0
    assert broker.lot(auth, "T1") == LotState(Decimal(50), IMPORT_TREAD, 1, 3, "placement")
    assert broker.totals(auth, IMPORT_TREAD) == (100 * UNIT, 50 * UNIT)
    records = broker.records(auth)
    assert [(r.sequence, r.entry) for r in records] == list(enumerate(entries, start=1))
    assert {r.transaction_hash for r in records} == {sent.tx_hash}
    assert {r.account.lower() for r in records} == {broker.sender.address.lower()}
    assert broker.chain_of(auth)[0] == 4


def test_a_batch_that_uses_a_lot_before_placing_it_is_refused(parties: Parties, auth: str) -> None:
    """Order matters: a movement before the placement of its lot fails at its own index."""
    with pytest.raises(ContractError) as caught:
        parties.holder.record_batch(
            [
                factories.movement(auth, "M1", "T1", "60", SITE, OTHER_SITE),
                factories.placement(auth, "P1", "T1", "100"),
            ]
        )
    expect(caught.value, "LedgerUnknownLot", authorisationId=ids.authorisation_id(auth), lot="T1")
    assert caught.value.batch_index == 0


def test_a_batch_with_one_bad_entry_leaves_no_trace(parties: Parties, auth: str) -> None:
    """When entry 3 fails, entries 0-2 before it are undone too: chain, stocks, lots and entry states
    are as before, and the error names the failing index and its own error."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P0", "T0", "100"))
    lots = ["T0", "T1"]
    refs = ["P1", "M1", "M2", "M3"]
    before = snapshot(holder, auth, lots, refs)

    with pytest.raises(ContractError) as caught:
        parties.broker.record_batch(
            [
                factories.placement(auth, "P1", "T1", "5"),
                factories.movement(auth, "M1", "T0", "60", SITE, OTHER_SITE),
                factories.movement(auth, "M2", "T1", "5", SITE, OTHER_SITE),
                factories.movement(auth, "M3", "T0", "40.000001", SITE, OTHER_SITE),
            ]
        )
    error = caught.value
    assert error.batch_index == 3
    expect(error, "LedgerInsufficientStock", lot="T0", site=SITE, available=40 * 10**6, requested=40_000_001)
    assert "batch entry 3" in str(error)
    assert snapshot(holder, auth, lots, refs) == before
    assert holder.chain_of(auth)[0] == 1


def test_a_batch_entry_refused_by_the_registry_names_its_index(parties: Parties, auth: str) -> None:
    """Errors raised by the registry inside a batch (here a product not in the table) are unwrapped
    with their index too."""
    holder = parties.holder
    with pytest.raises(ContractError) as caught:
        holder.record_batch(
            [
                factories.placement(auth, "P1", "T1", "100"),
                factories.processing(auth, "X1", [("T1", "10")], [("Y1", "40169300", "10", "KGM")]),
            ]
        )
    assert caught.value.batch_index == 1
    expect(
        caught.value,
        "RegistryUnknownProduct",
        authorisationId=ids.authorisation_id(auth),
        version=1,
        productCode=40169300,
    )
    assert holder.lot(auth, "T1") is None


def test_a_resent_entry_is_refused(parties: Parties, auth: str) -> None:
    """The same record sent twice is refused the second time, and nothing changes."""
    entry = factories.placement(auth, "P1", "T1", "100")
    parties.broker.record(entry)
    before = snapshot(parties.holder, auth, ["T1"], ["P1"])
    with pytest.raises(ContractError) as caught:
        parties.broker.record(entry)
    expect(caught.value, "LedgerEntryExists", authorisationId=ids.authorisation_id(auth), entryRef="P1")
    assert caught.value.batch_index is None
    assert snapshot(parties.holder, auth, ["T1"], ["P1"]) == before


def test_a_resent_batch_is_refused_at_its_first_entry(parties: Parties, auth: str) -> None:
    """Re-sending a recorded batch is refused at index 0 and records nothing twice."""
    entries: list[AnyEntry] = [
        factories.placement(auth, "P1", "T1", "100"),
        factories.movement(auth, "M1", "T1", "60", SITE, OTHER_SITE),
    ]
    parties.broker.record_batch(entries)
    before = snapshot(parties.holder, auth, ["T1"], ["P1", "M1"])
    with pytest.raises(ContractError) as caught:
        parties.broker.record_batch(entries)
    expect(caught.value, "LedgerEntryExists", authorisationId=ids.authorisation_id(auth), entryRef="P1")
    assert caught.value.batch_index == 0
    assert snapshot(parties.holder, auth, ["T1"], ["P1", "M1"]) == before


def test_a_batch_containing_a_recorded_entry_is_refused_whole(parties: Parties, auth: str) -> None:
    """A batch mixing new entries with one already recorded is refused at that entry; the new ones
    before it are not recorded."""
    recorded = factories.placement(auth, "P1", "T1", "100")
    parties.holder.record(recorded)
    before = snapshot(parties.holder, auth, ["T1", "T2"], ["P1", "P2", "M1"])
    with pytest.raises(ContractError) as caught:
        parties.broker.record_batch(
            [
                factories.placement(auth, "P2", "T2", "5"),
                factories.movement(auth, "M1", "T1", "1", SITE, OTHER_SITE),
                recorded,
            ]
        )
    expect(caught.value, "LedgerEntryExists", authorisationId=ids.authorisation_id(auth), entryRef="P1")
    assert caught.value.batch_index == 2
    assert snapshot(parties.holder, auth, ["T1", "T2"], ["P1", "P2", "M1"]) == before


def test_a_batch_cannot_repeat_an_entry_ref(parties: Parties, auth: str) -> None:
    """Two entries of one batch with the same reference: the second is refused, the first undone."""
    with pytest.raises(ContractError) as caught:
        parties.holder.record_batch(
            [factories.placement(auth, "P1", "T1", "100"), factories.placement(auth, "P1", "T2", "1")]
        )
    expect(caught.value, "LedgerEntryExists", authorisationId=ids.authorisation_id(auth), entryRef="P1")
    assert caught.value.batch_index == 1
    assert parties.holder.entry_state(auth, "P1") == NOTHING


@pytest.mark.parametrize("element", ["recordBatch", "chainOf", "empty", "short"])
def test_a_batch_element_that_is_not_an_entry_is_refused(parties: Parties, auth: str, element: str) -> None:
    """Only entry-recording calls may be batched: a nested batch, a view, or bytes too short for a
    selector are refused with the element's index and selector, and the entries before are undone."""
    holder = parties.holder
    ledger = holder.ledger
    calls = holder.batch_call_data([factories.placement(auth, "P1", "T1", "100")])
    bad = {
        "recordBatch": bytes.fromhex(ledger.encode_abi("recordBatch", args=[calls])[2:]),
        "chainOf": bytes.fromhex(ledger.encode_abi("chainOf", args=[ids.authorisation_id(auth)])[2:]),
        "empty": b"",
        "short": b"\x01\x02",
    }[element]
    with pytest.raises(ContractError) as caught:
        holder.sender.send(ledger.functions.recordBatch([*calls, bad]), "raw batch")
    selector = (bad + b"\0\0\0\0")[:4]
    expect(caught.value, "LedgerNotAnEntry", index=1, selector=selector)
    assert holder.entry_state(auth, "P1") == NOTHING
    assert holder.chain_of(auth)[0] == 0


def test_customs_can_batch_deadline_extensions(parties: Parties, auth: str) -> None:
    """extendDeadline is an entry call too: customs extend two placements in one batch."""
    parties.holder.record_batch(
        [factories.placement(auth, "P1", "T1", "100"), factories.placement(auth, "P2", "T2", "100")]
    )
    parties.customs.record_batch(
        [
            factories.extension(auth, "E1", "P1", date(2025, 3, 31)),
            factories.extension(auth, "E2", "P2", date(2025, 6, 30)),
        ]
    )
    assert parties.reader.entry_state(auth, "E1") == EntryState("extension", False)
    assert parties.reader.entry_state(auth, "E2") == EntryState("extension", False)
    assert parties.reader.chain_of(auth)[0] == 4


def test_the_same_entry_ref_may_be_used_in_two_authorisations(parties: Parties, auth: str) -> None:
    """Entry and lot references are scoped by authorisation: one batch records P1/T1 in both, each
    authorisation's chain, lot and totals being its own."""
    other = factories.fresh_reference()
    parties.customs.register(factories.authorisation(other))
    parties.holder.record_batch(
        [
            factories.placement(auth, "P1", "T1", "100"),
            factories.placement(other, "P1", "T1", "7"),
            factories.movement(other, "M1", "T1", "7", SITE, OTHER_SITE),
        ]
    )
    holder = parties.holder
    assert holder.entry_state(auth, "P1") == EntryState("placement", False)
    assert holder.entry_state(other, "P1") == EntryState("placement", False)
    assert holder.lot(auth, "T1") == LotState(Decimal(100), IMPORT_TREAD, 1, 0, "placement")
    assert holder.lot(other, "T1") == LotState(Decimal(7), IMPORT_TREAD, 1, 1, "placement")
    assert holder.totals(auth, IMPORT_TREAD) == (100 * UNIT, 0)
    assert holder.totals(other, IMPORT_TREAD) == (7 * UNIT, 0)
    assert holder.chain_of(auth)[0] == 1
    assert holder.chain_of(other)[0] == 2
    assert holder.chain_of(auth)[1] != holder.chain_of(other)[1]
