"""Raw JSON-RPC for the hot paths, through the client's one transport (`transport.py`): many
`eth_call`s in one batch request, `eth_simulateV1`.

web3's contract objects cost about a millisecond a call to build; a submission of 10 000 entries asks
the chain about each one, so these helpers send pre-encoded calls in JSON-RPC batches instead.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from web3 import HTTPProvider, Web3

from pa_client.chain.provider import TransportProvider
from pa_client.chain.transport import Transport
from pa_client.errors import ChainError

CALLS_PER_BATCH = 500

# Transports for web3 objects made elsewhere (Ape's, a test's HTTPProvider): one per provider.
_transports: weakref.WeakKeyDictionary[object, Transport] = weakref.WeakKeyDictionary()


def transport_of(w3: Web3) -> Transport:
    """The transport under `w3`: its own when `connect` made it, otherwise one made once for the
    provider's URL and headers (a provider that is not HTTP has none: ChainError)."""
    provider = w3.provider
    if isinstance(provider, TransportProvider):
        return provider.transport
    transport = _transports.get(provider)
    if transport is None:
        if not isinstance(provider, HTTPProvider) or provider.endpoint_uri is None:
            raise ChainError(f"the client reads the chain over HTTP JSON-RPC, not through {provider}")
        options = dict(provider.get_request_kwargs())
        headers = dict(options.get("headers") or {})
        token = headers.get("Authorization", "").removeprefix("Bearer ") or None
        transport = Transport(
            str(provider.endpoint_uri), token=token, timeout=float(options.get("timeout", 30))
        )
        _transports[provider] = transport
    return transport


def request(
    w3: Web3,
    method: str,
    params: Sequence[Any],
    *,
    what: str,
    decode: Callable[[bytes], dict[str, Any]] = json.loads,
) -> Any:
    """One JSON-RPC request through `w3`'s transport (its retry policy); its result, or ChainError."""
    return transport_of(w3).request(method, params, what=what, decode=decode)


def call_many(
    w3: Web3, to: str, calls: Sequence[bytes], *, what: str, block: int | str = "latest"
) -> list[bytes]:
    """`eth_call`s of pre-encoded data to one contract at a block, in JSON-RPC batches."""
    at = hex(block) if isinstance(block, int) else block
    transport = transport_of(w3)
    results: list[bytes] = []
    for start in range(0, len(calls), CALLS_PER_BATCH):
        chunk = calls[start : start + CALLS_PER_BATCH]
        answers = transport.batch(
            [("eth_call", [{"to": to, "data": "0x" + c.hex()}, at]) for c in chunk], what=what
        )
        results.extend(bytes.fromhex(str(answer)[2:]) for answer in answers)
    return results


@dataclass(frozen=True)
class SimulatedCall:
    """The outcome of one call of an `eth_simulateV1` run."""

    ok: bool
    gas_used: int
    return_data: bytes
    logs: tuple[dict[str, Any], ...]


def simulate(
    w3: Web3, sender: str, to: str, calls: Sequence[bytes], *, calls_per_block: int = 200
) -> list[SimulatedCall]:
    """Runs the calls in order on top of the latest block, each seeing the previous ones' effects
    (a failed call changes nothing), with `eth_simulateV1` — the standard execution API."""
    blocks = [
        {
            "calls": [
                {"from": sender, "to": to, "data": "0x" + c.hex()} for c in calls[i : i + calls_per_block]
            ]
        }
        for i in range(0, len(calls), calls_per_block)
    ]
    if not blocks:
        return []
    result = request(
        w3,
        "eth_simulateV1",
        [{"blockStateCalls": blocks, "validation": False}, "latest"],
        what="simulate the entries",
    )
    outcomes = []
    for block in result:
        for call in block["calls"]:
            outcomes.append(
                SimulatedCall(
                    ok=call["status"] == "0x1",
                    gas_used=int(call["gasUsed"], 16),
                    return_data=bytes.fromhex(call["returnData"][2:]),
                    logs=tuple(call.get("logs", ())),
                )
            )
    return outcomes
