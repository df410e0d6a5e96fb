"""The local index catches up incrementally and gives the same tables as a cold read of the chain;
an index whose last block left the chain is rebuilt."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pandas as pd
import pytest
from support import factories
from support.chain import Parties

from pa_client.audit.index import FileLock, LedgerIndex, cold_tables
from pa_client.audit.tables import LedgerTables
from pa_client.contract.ids import authorisation_id


def _index(parties: Parties, folder: Path) -> LedgerIndex:
    d = parties.deployment
    return LedgerIndex(folder, d.registry, d.ledger, d.block)


def _latest(parties: Parties) -> int:
    return int(parties.reader.w3.eth.block_number)


def _same(a: LedgerTables, b: LedgerTables, reference: str) -> None:
    for name in a.tables:
        left = a.tables[name][a.tables[name]["authorisation"] == reference].reset_index(drop=True)
        right = b.tables[name][b.tables[name]["authorisation"] == reference].reset_index(drop=True)
        pd.testing.assert_frame_equal(left, right, check_dtype=False)
    assert a.chains[reference] == b.chains[reference]
    assert a.authorisations[reference] == b.authorisations[reference]


def test_incremental_index_equals_a_cold_read(parties: Parties, auth: str, tmp_path: Path) -> None:
    broker, holder = parties.broker, parties.holder
    broker.record(factories.placement(auth, "P1", "L1", "100"))
    holder.record(factories.movement(auth, "M1", "L1", "30", "BOURGES", "TOULOUSE"))
    index = _index(parties, tmp_path / "index")
    first_block = _latest(parties)
    first = index.update(parties.reader.w3, first_block)
    assert first.chains[auth].sequence == 2

    broker.record(factories.discharge(auth, "D1", "L1", "20"))
    holder.record(factories.correction(auth, "C1", "M1"))
    second_block = _latest(parties)
    warm = index.update(parties.reader.w3, second_block)
    parts = sorted(p.name for p in (index.folder / "placements").glob("*.parquet"))
    discharge_parts = sorted(p.name for p in (index.folder / "discharges").glob("*.parquet"))
    assert len(parts) >= 1 and discharge_parts[-1].startswith(f"{first_block + 1:012d}-")

    d = parties.deployment
    cold = cold_tables(parties.reader.w3, [d.registry, d.ledger], d.block, second_block)
    _same(warm, cold, auth)
    assert warm.chains[auth].sequence == 4
    assert (warm.chains[auth].sequence, warm.chains[auth].head) == parties.reader.chain_of(auth)
    moved = warm.movements[warm.movements["authorisation"] == auth]
    assert moved["corrected"].tolist() == [True]


def test_an_index_whose_last_block_left_the_chain_is_rebuilt(
    parties: Parties, auth: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    parties.broker.record(factories.placement(auth, "P1", "L1", "100"))
    index = _index(parties, tmp_path / "index")
    index.update(parties.reader.w3, _latest(parties))
    state_file = index.folder / "state.json"
    state = json.loads(state_file.read_text())
    state["last_block_hash"] = "0x" + "00" * 32  # as after a chain reset
    state_file.write_text(json.dumps(state))
    parties.broker.record(factories.placement(auth, "P2", "L2", "5"))
    rebuilt = index.update(parties.reader.w3, _latest(parties))
    assert "no longer on the chain" in caplog.text
    placed = rebuilt.placements[rebuilt.placements["authorisation"] == auth]
    assert placed["entry_ref"].tolist() == ["P1", "P2"]


def test_parts_of_a_crashed_update_are_dropped(parties: Parties, auth: str, tmp_path: Path) -> None:
    """An update that died after writing its parts but before its state left parts the state does
    not name: the next update drops them and reads those blocks again, so no row counts twice."""
    parties.broker.record(factories.placement(auth, "P1", "L1", "100"))
    index = _index(parties, tmp_path / "index")
    block = _latest(parties)
    index.update(parties.reader.w3, block)
    (part,) = (index.folder / "placements").glob("*.parquet")
    stale = part.with_name(f"{block + 1:012d}-{block + 9:012d}.parquet")
    stale.write_bytes(part.read_bytes())
    parties.broker.record(factories.placement(auth, "P2", "L2", "5"))
    tables = index.update(parties.reader.w3, _latest(parties))
    assert not stale.exists()
    placed = tables.placements[tables.placements["authorisation"] == auth]
    assert placed["entry_ref"].tolist() == ["P1", "P2"]
    assert tables.records_per_authorisation()[auth] == tables.chains[auth].sequence == 2


def test_registry_logs_of_a_crashed_update_are_dropped(parties: Parties, auth: str, tmp_path: Path) -> None:
    """An update that died after writing registry.jsonl but before its state left logs of blocks the
    state does not cover; those blocks are read again, so the kept copy must not count as well."""
    index = _index(parties, tmp_path / "index")
    block = _latest(parties)
    first = index.update(parties.reader.w3, block)
    versions = len(first.authorisations[auth])
    registry = index.folder / "registry.jsonl"
    own = "0x" + authorisation_id(auth).hex()
    stale = next(
        log for log in map(json.loads, registry.read_text().splitlines()) if log["topics"][1:2] == [own]
    )
    stale["blockNumber"] = hex(block + 1)
    registry.write_text(registry.read_text() + json.dumps(stale) + "\n")
    parties.broker.record(factories.placement(auth, "P9", "L9", "1"))
    tables = index.update(parties.reader.w3, _latest(parties))
    assert len(tables.authorisations[auth]) == versions
    assert all(
        int(json.loads(line)["blockNumber"], 16) <= block for line in registry.read_text().splitlines()
    )


def test_an_index_another_process_is_writing_is_waited_for(
    parties: Parties, auth: str, tmp_path: Path
) -> None:
    parties.broker.record(factories.placement(auth, "P1", "L1", "100"))
    folder = tmp_path / "index"
    index = _index(parties, folder)
    other = FileLock(folder.with_name("index.lock"))  # as another process's update holds it
    other.acquire()
    done: list[LedgerTables] = []
    reader = threading.Thread(target=lambda: done.append(index.update(parties.reader.w3, _latest(parties))))
    reader.start()
    reader.join(2.0)
    assert reader.is_alive() and not done and not folder.exists(), "the update did not wait for the lock"
    other.release()
    reader.join(30)
    assert done and done[0].chains[auth].sequence == parties.reader.chain_of(auth)[0]
    again = FileLock(folder.with_name("index.lock"))
    again.acquire()  # the update let go of it
    again.release()


def test_an_index_beyond_the_chains_head_is_rebuilt_not_kept_for_audits_of_the_past(
    parties: Parties, auth: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # As after the node went back to an older snapshot: the index read blocks the chain no longer has.
    parties.broker.record(factories.placement(auth, "P1", "L1", "100"))
    index = _index(parties, tmp_path / "index")
    head = _latest(parties)
    index.update(parties.reader.w3, head)
    state_file = index.folder / "state.json"
    state = json.loads(state_file.read_text())
    state["last_block"] = head + 1_000
    state_file.write_text(json.dumps(state))
    tables = index.update(parties.reader.w3, head)
    assert "no longer on the chain" in caplog.text
    assert json.loads(state_file.read_text())["last_block"] == head
    placed = tables.placements[tables.placements["authorisation"] == auth]
    assert placed["entry_ref"].tolist() == ["P1"]
