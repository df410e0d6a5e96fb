"""Reading the ledger's logs: paged `eth_getLogs` with a block range that adapts to the node, only
up to a confirmation depth, yielding raw logs in chain order.

A node may refuse a range (too many results, range too large, time-out) or answer slowly for big
pages: the range is halved on refusal and grown while pages stay small, so that the read works on
Anvil as on a consortium node with a log range limit.

The audit asks for the logs' data as bytes (`data_as_bytes`): the answer is then decoded by
`decode_logs_answer`, which skips the fields nobody reads and turns each log's hex data into bytes
straight from the answer's text — half the time of decoding it all as JSON, then the hex.
"""

from __future__ import annotations

import binascii
import contextlib
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from web3 import Web3

from pa_client.chain import rpc
from pa_client.errors import ChainError, InputError

log = logging.getLogger("pa_client")

INITIAL_RANGE = 2_000
MAX_RANGE = 1_000_000
TARGET_LOGS_PER_PAGE = 5_000
_REFUSALS = ("too many", "limit", "range", "exceed", "timeout", "timed out", "larger than", "more than")


class _NodeLog(msgspec.Struct, gc=False):
    """The fields of a log that are read (eth_getLogs), the data left as the answer's text."""

    address: str
    topics: list[str]
    data: msgspec.Raw
    blockNumber: str  # noqa: N815 (JSON-RPC's names)
    logIndex: str  # noqa: N815
    transactionHash: str | None = None  # noqa: N815
    blockTimestamp: str | None = None  # noqa: N815
    removed: bool = False


class _LogsAnswer(msgspec.Struct, gc=False):
    result: list[_NodeLog] | None = None
    error: Any = None


_LOGS_ANSWER = msgspec.json.Decoder(_LogsAnswer)


def decode_logs_answer(content: bytes) -> dict[str, Any]:
    """An eth_getLogs answer with each log's data as bytes. Text that is not JSON raises ValueError; an
    answer of another shape (a field of another type) is decoded as plain JSON, data left as text,
    for the checks downstream to judge it as they would any answer."""
    try:
        answer = _LOGS_ANSWER.decode(content)
    except msgspec.ValidationError:
        return dict(json.loads(content))
    if answer.error is not None or answer.result is None:
        return dict(json.loads(content))
    return {"result": [_log_dict(item) for item in answer.result]}


def _log_dict(item: _NodeLog) -> dict[str, Any]:
    log = {
        "address": item.address,
        "topics": item.topics,
        "data": _data(item.data),
        "blockNumber": item.blockNumber,
        "logIndex": item.logIndex,
        "removed": item.removed,
        "transactionHash": item.transactionHash,
    }
    if item.blockTimestamp is not None:
        log["blockTimestamp"] = item.blockTimestamp
    return log


def _data(text: msgspec.Raw) -> Any:
    """A JSON string of hex digits after "0x" (no escape can hide in valid hex) as bytes; anything
    else as JSON gives it, for the decoder to refuse as it refuses any."""
    raw = memoryview(text)
    if bytes(raw[:3]) == b'"0x' and bytes(raw[-1:]) == b'"':
        with contextlib.suppress(binascii.Error):
            return binascii.unhexlify(raw[3:-1])
    return msgspec.json.decode(text)


@dataclass(frozen=True)
class Page:
    from_block: int
    to_block: int
    logs: list[dict[str, Any]]


def head_block(w3: Web3, confirmations: int) -> int:
    """The newest block the audit may read: `confirmations` below the chain's head."""
    latest = int(rpc.request(w3, "eth_blockNumber", [], what="read the latest block"), 16)
    return max(0, latest - confirmations)


def block_time(w3: Web3, block: int) -> int:
    """The timestamp (Unix seconds) of block `block`'s header."""
    header = rpc.request(w3, "eth_getBlockByNumber", [hex(block), False], what=f"read block {block:,}")
    if not header:
        raise ChainError(f"the node has no block {block:,}")
    return int(header["timestamp"], 16)


def last_block_by(w3: Web3, moment: int, first: int, last: int) -> int:
    """The last block from `first` to `last` whose timestamp is at or before `moment` (Unix
    seconds), by binary search over the headers (about log2(last - first) + 2 reads; block times
    never decrease). `last` when even it is; an InputError when `first` (the deployment) is after."""
    if block_time(w3, first) > moment:
        raise InputError(f"the ledger was deployed after that day (block {first:,}): it held nothing then")
    if block_time(w3, last) <= moment:
        return last
    low, high = first, last  # time(low) <= moment < time(high)
    while high - low > 1:
        middle = (low + high) // 2
        if block_time(w3, middle) <= moment:
            low = middle
        else:
            high = middle
    return low


def read_pages(
    w3: Web3,
    addresses: Sequence[str],
    from_block: int,
    to_block: int,
    *,
    initial_range: int = INITIAL_RANGE,
    topics: Sequence[Any] | None = None,
    data_as_bytes: bool = False,
) -> Iterator[Page]:
    """Pages of raw logs of `addresses` (and `topics`, when given) from `from_block` to `to_block`
    (inclusive), in order. With `data_as_bytes`, each log's data is bytes where the node sent hex text
    over HTTP (another provider's logs keep their data as they come)."""
    decode = decode_logs_answer if data_as_bytes else json.loads
    span = max(1, initial_range)
    ceiling = MAX_RANGE  # below the smallest range the node refused: never asked again
    start = from_block
    while start <= to_block:
        end = min(to_block, start + span - 1)
        query: dict[str, Any] = {"address": list(addresses), "fromBlock": hex(start), "toBlock": hex(end)}
        if topics is not None:
            query["topics"] = list(topics)
        try:
            logs = rpc.request(
                w3, "eth_getLogs", [query], what=f"read logs of blocks {start:,}–{end:,}", decode=decode
            )
        except ChainError as error:
            if end > start and any(word in str(error).lower() for word in _REFUSALS):
                span = max(1, (end - start + 1) // 2)
                ceiling = min(ceiling, end - start)
                log.info("the node refused %d blocks of logs (%s); trying %d", end - start + 1, error, span)
                continue
            raise
        _check_page(logs, start, end)
        yield Page(start, end, logs)
        start = end + 1
        if len(logs) < TARGET_LOGS_PER_PAGE // 4:
            span = min(ceiling, span * 2)
        elif len(logs) > TARGET_LOGS_PER_PAGE * 2:
            span = max(1, span // 2)


def _check_page(logs: list[dict[str, Any]], start: int, end: int) -> None:
    """A truncated or shuffled answer must not pass silently: logs must lie in the range, in order."""
    previous = (-1, -1)
    for item in logs:
        position = (int(item["blockNumber"], 16), int(item["logIndex"], 16))
        if not start <= position[0] <= end or position <= previous:
            raise ChainError(f"the node answered logs out of order or outside blocks {start:,}–{end:,}")
        if item.get("removed"):
            raise ChainError("the node returned a removed log: read below the reorganisation depth")
        previous = position


def block_times(w3: Web3, logs: Sequence[Mapping[str, Any]]) -> dict[int, int] | None:
    """Timestamps of the blocks whose logs do not carry `blockTimestamp` (older nodes), read from the
    node; None when every log carries it."""
    blocks = {int(raw["blockNumber"], 16) for raw in logs if raw.get("blockTimestamp") is None}
    if not blocks:
        return None
    times = {}
    for number in sorted(blocks):
        block = rpc.request(w3, "eth_getBlockByNumber", [hex(number), False], what=f"read block {number:,}")
        times[number] = int(block["timestamp"], 16)
    return times
