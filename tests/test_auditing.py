"""The audit run against the real chain: completeness proven against the contract, a left-out or
altered log detected, the past audited with --at-block, warm equals cold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support import factories
from support.chain import Parties

from pa_client.audit.run import run_audit, verify
from pa_client.audit.tables import TableBuilder
from pa_client.chain.extract import block_times, read_pages
from pa_client.contract import ids
from pa_client.present.audit_document import audit_document
from pa_client.settings import Settings


def _season(parties: Parties, auth: str) -> int:
    broker, holder = parties.broker, parties.holder
    broker.record(factories.placement(auth, "P1", "L1", "100"))
    holder.record(factories.movement(auth, "M1", "L1", "40", "BOURGES", "TOULOUSE"))
    broker.record(factories.discharge(auth, "D1", "L1", "25"))
    return int(parties.reader.w3.eth.block_number)


def _logs(parties: Parties, to_block: int) -> list[dict[str, Any]]:
    d = parties.deployment
    return [
        raw
        for page in read_pages(parties.reader.w3, [d.registry, d.ledger], d.block, to_block)
        for raw in page.logs
    ]


def _tables(parties: Parties, logs: list[dict[str, Any]], block: int) -> Any:
    builder = TableBuilder()
    builder.add_logs(logs)
    return builder.build(block, 0)


def test_the_logs_prove_the_contracts_state(parties: Parties, auth: str) -> None:
    block = _season(parties, auth)
    check = verify(parties.reader, _tables(parties, _logs(parties, block), block), block)[auth]
    assert check.verified and (check.entries, check.sequence) == (3, 3)


def test_a_log_left_out_is_detected(parties: Parties, auth: str) -> None:
    block = _season(parties, auth)
    logs = [raw for raw in _logs(parties, block) if not _is_record(raw, auth, "M1")]
    check = verify(parties.reader, _tables(parties, logs, block), block)[auth]
    assert not check.verified
    assert check.gaps == (2,)
    assert "records 2 are missing" in check.detail


def test_an_altered_log_is_detected(parties: Parties, auth: str) -> None:
    block = _season(parties, auth)
    logs = _logs(parties, block)
    for raw in logs:
        if _is_record(raw, auth, "D1"):
            data = bytearray(
                bytes(raw["data"]) if isinstance(raw["data"], bytes) else bytes.fromhex(raw["data"][2:])
            )
            data[-40] ^= 0x01  # a byte of the entry's text
            raw["data"] = "0x" + data.hex()
    check = verify(parties.reader, _tables(parties, logs, block), block)[auth]
    assert not check.verified and check.sequence == 3
    assert "head" in check.detail


def test_an_authorisation_hidden_whole_is_detected_by_the_registry(
    parties: Parties, auth: str, tmp_path: Path
) -> None:
    """A node that hides an authorisation's registration, its declarant and all its records: its own
    chain cannot be checked (the reader does not know it exists), the registry's proves it missing."""
    hidden = f"{auth}H"
    parties.customs.register(factories.authorisation(hidden))
    parties.holder.appoint(hidden, parties.broker.sender.address)
    parties.broker.record(factories.placement(hidden, "H1", "HL1", "10"))
    block = _season(parties, auth)
    hidden_id = "0x" + ids.authorisation_id(hidden).hex()
    logs = [raw for raw in _logs(parties, block) if raw["topics"][1:2] != [hidden_id]]
    tables = _tables(parties, logs, block)
    assert hidden not in tables.authorisations and auth in tables.authorisations
    check = verify(parties.reader, tables, block)[auth]  # its own chain is whole
    assert (check.entries, check.sequence, check.gaps) == (3, 3, ())
    assert not check.verified and "the registry's logs give" in check.detail
    assert verify(parties.reader, _tables(parties, _logs(parties, block), block), block)[auth].verified


def test_an_altered_registration_is_detected(parties: Parties, auth: str) -> None:
    block = _season(parties, auth)
    logs = _logs(parties, block)
    auth_id = "0x" + ids.authorisation_id(auth).hex()
    registry = parties.deployment.registry.lower()
    # Its registration: the first registry log of the authorisation, the one with data (its terms).
    registration = next(
        raw
        for raw in logs
        if raw["address"].lower() == registry and raw["topics"][1:2] == [auth_id] and raw["data"] != "0x"
    )
    data = bytearray.fromhex(registration["data"][2:])
    data[-1] ^= 0x01  # the last byte of the terms (a product's data)
    registration["data"] = "0x" + data.hex()
    check = verify(parties.reader, _tables(parties, logs, block), block)[auth]
    assert (check.entries, check.sequence) == (3, 3)  # the records themselves are whole
    assert not check.verified and "the registry's logs give" in check.detail


def _is_record(raw: dict[str, Any], auth: str, entry_ref: str) -> bool:
    from pa_client.contract import ids

    topics = [t if isinstance(t, str) else "0x" + bytes(t).hex() for t in raw["topics"]]
    return (
        len(topics) == 4
        and topics[1] == "0x" + ids.authorisation_id(auth).hex()
        and topics[2] == "0x" + ids.entry_id(entry_ref).hex()
    )


def test_at_block_audits_the_past_and_warm_equals_cold(parties: Parties, auth: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    parties.broker.record(factories.placement(auth, "P1", "L1", "100"))
    before = int(parties.reader.w3.eth.block_number)
    parties.broker.record(factories.discharge(auth, "D1", "L1", "25"))

    now = run_audit(parties.reader, settings, references=[auth])
    past = run_audit(parties.reader, settings, references=[auth], at_block=before)
    assert now.verified and past.verified
    assert [p["remaining"] for p in audit_document(now.result, auth)["placements"]] == ["75.000000"]
    assert [p["remaining"] for p in audit_document(past.result, auth)["placements"]] == ["100.000000"]
    assert audit_document(past.result, auth)["discharges"] == []

    warm = run_audit(parties.reader, settings, references=[auth])  # from the index
    cold = run_audit(parties.reader, Settings(data_dir=tmp_path / "cold"), references=[auth])
    assert (
        audit_document(warm.result, auth)
        == audit_document(cold.result, auth)
        == audit_document(now.result, auth)
    )


def test_blocks_of_logs_without_their_time_are_asked_for_it(parties: Parties, auth: str) -> None:
    """Older nodes log no `blockTimestamp`: the times of those blocks are read from the node."""
    block = _season(parties, auth)
    logs = _logs(parties, block)
    assert block_times(parties.reader.w3, logs) is None  # Anvil gives them
    told = {int(raw["blockNumber"], 16): int(raw["blockTimestamp"], 16) for raw in logs}
    bare = [{k: v for k, v in raw.items() if k != "blockTimestamp"} for raw in logs[-3:]]
    assert block_times(parties.reader.w3, bare) == {
        int(raw["blockNumber"], 16): told[int(raw["blockNumber"], 16)] for raw in bare
    }
