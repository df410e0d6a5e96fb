"""The completeness proof: an authorisation's rolling hash recomputed from its logs alone.

`head = keccak256(head ‖ keccak256(topic0 ‖ topic1 ‖ topic2 ‖ topic3 ‖ keccak256(data)))`, starting from
32 zero bytes, one step per record in sequence order (IPaLedger.sol).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pa_client.contract.events import RecordLog
from pa_client.contract.hashing import keccak

ZERO_HEAD = b"\0" * 32


def entry_hash(topics: tuple[bytes, ...], data: bytes) -> bytes:
    return keccak(b"".join(topics) + keccak(data))


def next_head(head: bytes, topics: tuple[bytes, ...], data: bytes) -> bytes:
    return keccak(head + entry_hash(topics, data))


@dataclass(frozen=True)
class ChainCheck:
    """The result of recomputing one authorisation's chain."""

    entries: int
    sequence: int
    head: bytes
    gaps: tuple[int, ...]

    @property
    def complete(self) -> bool:
        return not self.gaps and self.entries == self.sequence


def recompute(records: Iterable[RecordLog]) -> ChainCheck:
    """The head after the given records of one authorisation, in sequence order, and any gap."""
    head = ZERO_HEAD
    expected = 1
    gaps: list[int] = []
    count = 0
    for record in sorted(records, key=lambda r: r.sequence):
        while expected < record.sequence:
            gaps.append(expected)
            expected += 1
        head = next_head(head, record.topics, record.data)
        expected = record.sequence + 1
        count += 1
    return ChainCheck(entries=count, sequence=expected - 1, head=head, gaps=tuple(gaps))
