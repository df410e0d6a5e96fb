"""The demo chain's clock: a past season recorded in its own time.

The sample season happened in 2019. Recorded today, each record would be years late (a `late_record`
alert for every one) and deadlines would be judged years after the season. On the demo's embedded
Anvil, whose chain starts on the eve of the season (`EmbeddedNode.start(genesis_time)`), the demo sets
the node's clock before each day's records, so that blocks carry the hours the pilot recorded in; at
the end the clock goes on from now, so that what is recorded afterwards is dated as it happens.

Only the demo uses this (`anvil_setTime` is Anvil's, no other node has it), and only on a chain whose
clock has not passed the season: a node that ran before the demo keeps its time, and the demo says so.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from web3 import Web3

from pa_client.chain import rpc

# What a record waits before its block: the broker sends a day's events when the last is over.
RECORDING_DELAY = timedelta(minutes=15)


def _timestamp(when: datetime) -> int:
    return int(when.timestamp())


class SeasonClock:
    """Moves the demo node's clock forward to the season's days; never backwards."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3

    def latest(self) -> int:
        """The latest block's time (Unix seconds)."""
        block = rpc.request(self.w3, "eth_getBlockByNumber", ["latest", False], what="read the latest block")
        return int(block["timestamp"], 16)

    def can_date(self, first: datetime) -> bool:
        """Whether records from `first` on can get blocks of their own times: the chain's clock has not
        passed it."""
        return self.latest() < _timestamp(first)

    def record_after(self, last: datetime) -> None:
        """The next blocks are dated `RECORDING_DELAY` after `last` (or just after the latest block,
        if that is later: block times only go forward)."""
        self._set(_timestamp(last + RECORDING_DELAY))

    def resume_now(self) -> None:
        """The clock goes on from now (what is recorded after the demo is dated as it happens)."""
        self._set(_timestamp(datetime.now(UTC)))

    def _set(self, target: int) -> None:
        # An empty block at that time: the client checks a record against the latest block (a record
        # cannot be later than the block recording it) before it sends it.
        rpc.request(
            self.w3, "anvil_setTime", [max(target, self.latest() + 1)], what="set the demo node's clock"
        )
        rpc.request(self.w3, "evm_mine", [], what="mine the demo node's block of that time")
