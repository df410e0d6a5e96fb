"""The completeness proof: the rolling hash recomputed in Python from the logs alone equals the
contract's, at every block; a missing or altered log is detected."""

from __future__ import annotations

import dataclasses

from support import factories
from support.chain import Parties

from pa_client.contract.rolling_hash import recompute


def _season(parties: Parties, ref: str) -> list[int]:
    """Records one entry of each kind; returns the block of each."""
    broker, holder, customs = parties.broker, parties.holder, parties.customs
    return [
        broker.record(factories.placement(ref, "P1", "TRD-1", "120")).block_number,
        broker.record(
            factories.placement(ref, "P2", "CAS-1", "8", code=factories.IMPORT_CASING, unit="NAR")
        ).block_number,
        holder.record(factories.movement(ref, "M1", "TRD-1", "20", "BOURGES", "TOULOUSE")).block_number,
        holder.record(factories.handling(ref, "H1", "TRD-1", "40069000")).block_number,
        holder.record(
            factories.processing(
                ref, "T1", [("TRD-1", "93"), ("CAS-1", "8")], [("TYR-1", factories.PRODUCT_TYRE, "8", "NAR")]
            )
        ).block_number,
        broker.record(factories.discharge(ref, "D1", "TYR-1", "5")).block_number,
        holder.record(factories.correction(ref, "C1", "M1")).block_number,
        customs.extend(
            factories.extension(ref, "E1", "P1", factories.WHEN.date().replace(year=2025))
        ).block_number,
    ]


def test_rolling_hash_from_logs_equals_contract_at_every_block(parties: Parties, auth: str) -> None:
    blocks = _season(parties, auth)
    records = parties.reader.records(auth)
    assert [r.kind for r in records] == [
        "placement",
        "placement",
        "movement",
        "handling",
        "processing",
        "discharge",
        "correction",
        "extension",
    ]
    for count, block in enumerate(blocks, start=1):
        check = recompute(r for r in records if r.block_number <= block)
        assert check.complete
        assert (check.sequence, check.head) == parties.reader.chain_of(auth, block=block)
        assert check.entries == count


def test_missing_or_altered_log_is_detected(parties: Parties, auth: str) -> None:
    _season(parties, auth)
    records = parties.reader.records(auth)
    sequence, head = parties.reader.chain_of(auth)

    missing = recompute(records[:3] + records[4:])
    assert missing.gaps == (4,)
    assert not missing.complete

    tampered = list(records)
    data = bytearray(tampered[5].data)
    data[-1] ^= 1
    tampered[5] = dataclasses.replace(tampered[5], data=bytes(data))
    altered = recompute(tampered)
    assert altered.complete  # nothing is missing ...
    assert altered.head != head  # ... but the head proves the change

    reordered = recompute(records[:-1])
    assert (reordered.sequence, reordered.head) != (sequence, head)


def test_records_decode_back_to_the_entries_sent(parties: Parties, auth: str) -> None:
    entry = factories.placement(auth, "P1", "TRD-1", "120.123456")
    parties.broker.record(entry)
    (record,) = parties.reader.records(auth)
    assert record.entry == entry
    assert record.account == parties.broker.sender.address.lower()
    assert record.sequence == 1
