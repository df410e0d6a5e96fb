"""The ledger's record events: topics, data types and decoding of raw logs into typed records.

Decoding works on raw `eth_getLogs` results with eth_abi directly (web3's per-event decoder is far
slower), so that the audit can read millions of records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_utils.abi import event_signature_to_log_topic

from pa_client.contract.abi_codec import decode
from pa_client.contract.artifacts import abi_type, load_artifact
from pa_client.contract.encoding import KIND_OF_EVENT, AnyEntry, decode_entry


@dataclass(frozen=True)
class RecordEvent:
    name: str
    kind: str
    topic: bytes
    data_types: tuple[str, ...]


@cache
def record_events() -> dict[bytes, RecordEvent]:
    """topic0 → record event, for the seven events that extend an authorisation's rolling hash."""
    events: dict[bytes, RecordEvent] = {}
    for item in load_artifact("PaLedger").abi:
        if item["type"] != "event" or item["name"] not in KIND_OF_EVENT:
            continue
        all_types = [abi_type(i) for i in item["inputs"]]
        topic = event_signature_to_log_topic(f"{item['name']}({','.join(all_types)})")
        data_types = tuple(abi_type(i) for i in item["inputs"] if not i["indexed"])
        events[topic] = RecordEvent(item["name"], KIND_OF_EVENT[item["name"]], topic, data_types)
    return events


def topic_of(event_name: str) -> bytes:
    for event in record_events().values():
        if event.name == event_name:
            return event.topic
    raise KeyError(event_name)


@dataclass(frozen=True)
class RecordLog:
    """One record as logged: what the audit and the integrity proof work from."""

    kind: str
    authorisation_id: bytes
    entry_id: bytes
    account: str
    sequence: int
    entry: AnyEntry
    topics: tuple[bytes, ...]
    data: bytes
    block_number: int
    transaction_hash: str
    log_index: int


def _bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return bytes.fromhex(str(value).removeprefix("0x"))


def decode_record(raw: Mapping[str, Any]) -> RecordLog | None:
    """A raw log (as `eth_getLogs` returns it) decoded, or None when it is not a record event."""
    topics = tuple(_bytes(t) for t in raw["topics"])
    event = record_events().get(topics[0]) if topics else None
    if event is None:
        return None
    data = _bytes(raw["data"])
    sequence, struct = decode(event.data_types, data)
    block = raw["blockNumber"]
    index = raw["logIndex"]
    return RecordLog(
        kind=event.kind,
        authorisation_id=topics[1],
        entry_id=topics[2],
        account="0x" + topics[3][-20:].hex(),
        sequence=sequence,
        entry=decode_entry(event.kind, struct),
        topics=topics,
        data=data,
        block_number=int(block, 16) if isinstance(block, str) else int(block),
        transaction_hash="0x" + _bytes(raw["transactionHash"]).hex(),
        log_index=int(index, 16) if isinstance(index, str) else int(index),
    )
