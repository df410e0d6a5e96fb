"""Raw JSON-RPC for the hot paths: many `eth_call`s in one batch request, `eth_simulateV1`.

web3's contract objects cost about a millisecond a call to build; a submission of 10 000 entries asks
the chain about each one, so these helpers send pre-encoded calls in JSON-RPC batches instead.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import urllib3
from web3 import HTTPProvider, Web3
from web3.types import RPCEndpoint

from pa_client.errors import ChainError

log = logging.getLogger("pa_client")

T = TypeVar("T")

CALLS_PER_BATCH = 500
RETRIES = 4


def request(
    w3: Web3,
    method: str,
    params: Sequence[Any],
    *,
    what: str,
    decode: Callable[[bytes], dict[str, Any]] = json.loads,
) -> Any:
    """One JSON-RPC request with retries on transport errors (connection reset, timeout, 5xx).

    Over HTTP the request goes through the provider's session but not through web3's own retries
    (they would multiply these), and the answer is read in one go: web3 reads 10 KB at a time, and
    each read takes the GIL back, so a page of logs read beside the audit's decoding
    (`index.prefetched`) waited for it thousands of times. `decode` turns an HTTP answer's body into
    the JSON-RPC response (`extract.decode_logs_answer` for pages of logs); it raises ValueError on
    text that is not JSON, which is tried again like a dropped connection."""
    delay = 0.2
    send = _http_request if isinstance(w3.provider, HTTPProvider) else _web3_request
    for attempt in range(RETRIES + 1):
        try:
            response = send(w3, method, params, decode)
        except (OSError, ValueError, urllib3.exceptions.HTTPError) as error:
            # requests' ConnectionError and Timeout derive from OSError; HTTP 5xx raise HTTPError.
            if attempt == RETRIES:
                raise ChainError(
                    f"{what}: the node did not answer after {RETRIES + 1} tries: {error}"
                ) from None
            log.warning("%s: %s; retrying in %.1f s", what, error, delay)
            time.sleep(delay)
            delay *= 2
            continue
        if "error" in response:
            raise ChainError(f"{what}: {response['error'].get('message', response['error'])}")
        return response["result"]
    raise AssertionError("unreachable")


def _web3_request(w3: Web3, method: str, params: Sequence[Any], decode: Callable[[bytes], Any]) -> Any:
    del decode  # the provider decodes its own answers
    return w3.provider.make_request(RPCEndpoint(method), list(params))


def _http_request(w3: Web3, method: str, params: Sequence[Any], decode: Callable[[bytes], Any]) -> Any:
    """The request through the provider's own session and settings (headers, time-out), its answer
    read whole at once."""
    provider = cast(HTTPProvider, w3.provider)
    uri = provider.endpoint_uri
    assert uri is not None  # an HTTPProvider made from a URL
    session = provider._request_session_manager.cache_and_return_session(uri)
    options = dict(provider.get_request_kwargs())
    options.setdefault("timeout", 30)
    options["headers"] = {"Content-Type": "application/json", **dict(options.get("headers") or {})}
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
    with session.post(uri, data=body, stream=True, **options) as answer:
        answer.raise_for_status()
        content = answer.raw.read(decode_content=True)
    return decode(content)


def retrying(call: Callable[[], T], *, what: str) -> T:
    """A web3 read (`w3.eth.get_block(...)`, ...) with the retries of `request`: a dropped connection,
    a time-out, an HTTP 5xx or an unreadable answer is tried again, then ends in ChainError."""
    delay = 0.2
    for attempt in range(RETRIES + 1):
        try:
            return call()
        except (OSError, ValueError) as error:
            if attempt == RETRIES:
                raise ChainError(
                    f"{what}: the node did not answer after {RETRIES + 1} tries: {error}"
                ) from None
            log.warning("%s: %s; retrying in %.1f s", what, error, delay)
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


def call_many(
    w3: Web3, to: str, calls: Sequence[bytes], *, what: str, block: int | str = "latest"
) -> list[bytes]:
    """`eth_call`s of pre-encoded data to one contract at a block, in JSON-RPC batches."""
    at = hex(block) if isinstance(block, int) else block
    results: list[bytes] = []
    provider = cast(Any, w3.provider)
    for start in range(0, len(calls), CALLS_PER_BATCH):
        chunk = calls[start : start + CALLS_PER_BATCH]
        requests = [(RPCEndpoint("eth_call"), [{"to": to, "data": "0x" + c.hex()}, at]) for c in chunk]
        delay = 0.2
        for attempt in range(RETRIES + 1):
            try:
                responses = provider.make_batch_request(requests)
                break
            except (OSError, ValueError) as error:
                if attempt == RETRIES:
                    raise ChainError(f"{what}: the node did not answer: {error}") from None
                time.sleep(delay)
                delay *= 2
        if not isinstance(responses, list):
            raise ChainError(f"{what}: {responses.get('error', responses)}")
        for response in sorted(responses, key=lambda r: int(r["id"])):
            if "error" in response:
                raise ChainError(f"{what}: {response['error'].get('message', response['error'])}")
            results.append(bytes.fromhex(str(response["result"])[2:]))
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
