"""A fault-injecting JSON-RPC proxy for the reliability tests (loopback only).

`RpcProxy(upstream, faults)` listens on 127.0.0.1 (a free port) and forwards every JSON-RPC request,
single or batch, to `upstream`; `Faults` says what goes wrong and how often:

- `drop`: the connection is closed without an answer, half the time before the request reaches the
  node and half the time after (the node did the work; the client cannot know);
- `delay`: the answer is held `delay_seconds` (longer than the client's time-out) after forwarding;
- `http_error`: an HTTP 502/503/504 answer, half the time without forwarding and half the time after
  the node did the work (a gateway that lost the answer);
- `cut_body`: the answer is cut in the middle (not JSON any more);
- `truncate_logs`: an `eth_getLogs` answer loses the second half of its logs (still valid JSON:
  only the integrity proof can tell);
- `max_log_range`: `eth_getLogs` over more blocks is refused as Besu refuses it (a consortium node);
- `refuse_prefixes`: methods refused as unknown (e.g. `anvil_`, `evm_`: a consortium node has none);
- `down`: every request answered HTTP 503 (the node is gone);
- `max_body`: requests larger than this refused with HTTP 413 (a node's request size limit);
- `bearer`: requests without this bearer token refused with HTTP 401 (Besu's JWT authentication);
- `lie_about_chains`: `chainOf` answered one record short with another head (a node hiding records).
- `lie_about_registry`: `registryChain` answered so too (a node hiding an authorisation).

Each fault applies with its probability to requests whose method is in `methods` (all when None),
for at most `budget` faults in all (None: no limit), drawn from a seeded generator. `counts` tells
what happened, for the figures in docs/reliability.md. The proxy is a plain threaded HTTP server
with a bounded number of requests in flight; `close()` stops it.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from eth_utils.abi import function_signature_to_4byte_selector

CHAIN_OF = "0x" + function_signature_to_4byte_selector("chainOf(bytes32)").hex()
REGISTRY_CHAIN = "0x" + function_signature_to_4byte_selector("registryChain()").hex()
_NAMES = {CHAIN_OF: "chainOf", REGISTRY_CHAIN: "registryChain"}
RANGE_ERROR = {"code": -32005, "message": "Requested range exceeds maximum RPC range limit"}


@dataclass
class Faults:
    drop: float = 0.0
    delay: float = 0.0
    delay_seconds: float = 2.0
    http_error: float = 0.0
    cut_body: float = 0.0
    truncate_logs: float = 0.0
    methods: frozenset[str] | None = None
    budget: int | None = None
    max_log_range: int | None = None
    refuse_prefixes: tuple[str, ...] = ()
    down: bool = False  # every request answered 503, nothing forwarded: the node is gone
    max_body: int | None = None  # larger requests refused with HTTP 413, as a node's body limit does
    bearer: str | None = None  # requests without "Authorization: Bearer <this>" refused with HTTP 401
    lie_about_chains: bool = False  # every `chainOf` answer one record short, its head changed
    lie_about_registry: bool = False  # every `registryChain` answer one event short, its head changed
    seed: int = 0


@dataclass
class _State:
    faults: Faults
    upstream: tuple[str, int]
    counts: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    rng: random.Random = field(default_factory=random.Random)
    spent: int = 0

    def draw(self, kind: str, probability: float, methods: list[str]) -> bool:
        """Whether fault `kind` strikes this request (counted when it does)."""
        if probability <= 0:
            return False
        wanted = self.faults.methods
        if wanted is not None and not any(m in wanted for m in methods):
            return False
        with self.lock:
            if self.faults.budget is not None and self.spent >= self.faults.budget:
                return False
            if self.rng.random() >= probability:
                return False
            self.spent += 1
            self.counts[kind] += 1
            return True


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the counts tell what happened

    def do_POST(self) -> None:
        state = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        bearer = state.faults.bearer
        if bearer is not None and self.headers.get("Authorization") != f"Bearer {bearer}":
            with state.lock:
                state.counts["refused: no valid bearer token"] += 1
            self._answer(401, b"unauthorized")
            return
        limit = state.faults.max_body
        if limit is not None and len(body) > limit:
            with state.lock:
                state.counts["refused: request body too large"] += 1
            self._answer(413, b"request entity too large")
            return
        try:
            request = json.loads(body)
        except ValueError:
            request = None
        batch = isinstance(request, list)
        calls = request if batch else [request]
        methods = [str(c.get("method", "")) for c in calls if isinstance(c, dict)]
        with state.lock:
            state.counts["requests"] += 1
            for method in methods:
                state.counts[f"method {method}"] += 1

        refused = self._refused(calls, batch)
        if refused is not None:
            self._answer(200, json.dumps(refused).encode())
            return
        faults = state.faults
        if faults.down:
            with state.lock:
                state.counts["node down (503)"] += 1
            self._answer(503, b"service unavailable")
            return
        if state.draw("drop before forwarding", faults.drop / 2, methods):
            self._drop()
            return
        if state.draw("http error before forwarding", faults.http_error / 2, methods):
            self._answer(503, b"service unavailable")
            return
        status, answer = self._forward(body)
        if state.draw("drop after forwarding", faults.drop / 2, methods):
            self._drop()
            return
        if state.draw("http error after forwarding", faults.http_error / 2, methods):
            self._answer(502, b"bad gateway")
            return
        if state.draw("delay beyond the time-out", faults.delay, methods):
            time.sleep(faults.delay_seconds)
        if state.draw("body cut", faults.cut_body, methods):
            answer = answer[: max(1, len(answer) // 2)]
        elif "eth_getLogs" in methods and faults.truncate_logs > 0:
            answer = self._truncated(answer, methods)
        lies = (CHAIN_OF,) * faults.lie_about_chains + (REGISTRY_CHAIN,) * faults.lie_about_registry
        if lies and "eth_call" in methods:
            answer = self._lying(calls, answer, lies)
        self._answer(status, answer)

    # ------------------------------------------------------------ faults

    def _refused(self, calls: list[Any], batch: bool) -> Any:
        """The answer when the simulated consortium node refuses a call of the request, or None."""
        faults = self.server.state.faults
        errors: dict[int, dict[str, Any]] = {}
        for n, call in enumerate(calls):
            if not isinstance(call, dict):
                continue
            method = str(call.get("method", ""))
            if faults.refuse_prefixes and method.startswith(faults.refuse_prefixes):
                errors[n] = {
                    "code": -32601,
                    "message": f"the method {method} does not exist/is not available",
                }
            elif method == "eth_getLogs" and faults.max_log_range is not None:
                span = self._log_span(call)
                if span is not None and span > faults.max_log_range:
                    errors[n] = RANGE_ERROR
            if n in errors:
                with self.server.state.lock:
                    self.server.state.counts[f"refused {method}"] += 1
        if not errors:
            return None
        if not batch:
            return {"jsonrpc": "2.0", "id": calls[0].get("id"), "error": errors[0]}
        kept = [c for n, c in enumerate(calls) if n not in errors]
        answers = json.loads(self._forward(json.dumps(kept).encode())[1]) if kept else []
        by_id = {a.get("id"): a for a in answers if isinstance(a, dict)}
        return [
            {"jsonrpc": "2.0", "id": c.get("id"), "error": errors[n]}
            if n in errors
            else by_id.get(c.get("id"))
            for n, c in enumerate(calls)
        ]

    def _log_span(self, call: dict[str, Any]) -> int | None:
        params = call.get("params") or [{}]
        query = params[0] if isinstance(params[0], dict) else {}
        if "blockHash" in query:
            return 1
        ends = []
        for key in ("fromBlock", "toBlock"):
            value = query.get(key, "latest")
            if isinstance(value, str) and value.startswith("0x"):
                ends.append(int(value, 16))
            elif value == "earliest":
                ends.append(0)
            else:
                ends.append(self._latest())
        return ends[1] - ends[0] + 1

    def _latest(self) -> int:
        _, answer = self._forward(
            json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"}).encode()
        )
        return int(json.loads(answer)["result"], 16)

    def _truncated(self, answer: bytes, methods: list[str]) -> bytes:
        try:
            reply = json.loads(answer)
        except ValueError:
            return answer
        logs = reply.get("result") if isinstance(reply, dict) else None
        if not isinstance(logs, list) or len(logs) < 2:
            return answer
        if not self.server.state.draw(
            "eth_getLogs page truncated", self.server.state.faults.truncate_logs, methods
        ):
            return answer
        reply["result"] = logs[: len(logs) // 2]
        return json.dumps(reply).encode()

    def _lying(self, calls: list[Any], answer: bytes, selectors: tuple[str, ...]) -> bytes:
        """Answers of the calls of `selectors` (`chainOf`, `registryChain`: single or batched) one
        short, with another head."""
        try:
            replies = json.loads(answer)
        except ValueError:
            return answer
        by_id = {c.get("id"): c for c in calls if isinstance(c, dict)}
        for reply in replies if isinstance(replies, list) else [replies]:
            call = by_id.get(reply.get("id")) if isinstance(reply, dict) else None
            params = call.get("params") if call else None
            data = params[0].get("data", "") if params and isinstance(params[0], dict) else ""
            if not str(data).startswith(selectors) or not isinstance(reply.get("result"), str):
                continue
            sequence = int(reply["result"][2:66], 16)
            head = bytes.fromhex(reply["result"][66:130])
            reply["result"] = "0x" + f"{max(0, sequence - 1):064x}" + bytes(b ^ 0xFF for b in head).hex()
            with self.server.state.lock:
                self.server.state.counts[f"{_NAMES[str(data)[:10]]} answered falsely"] += 1
        return json.dumps(replies).encode()

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    # ------------------------------------------------------------ plumbing

    def _forward(self, body: bytes) -> tuple[int, bytes]:
        host, port = self.server.state.upstream
        connection = http.client.HTTPConnection(host, port, timeout=120)
        try:
            connection.request("POST", "/", body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            return response.status, response.read()
        except OSError as error:
            message = {
                "jsonrpc": "2.0",
                "id": None,
                "error": {"code": -32603, "message": f"upstream: {error}"},
            }
            return 502, json.dumps(message).encode()
        finally:
            connection.close()

    def _answer(self, status: int, body: bytes) -> None:
        with contextlib.suppress(OSError):  # the client may have given up (time-out)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: _State


class RpcProxy:
    """The proxy, listening on 127.0.0.1 at `url` until `close()`."""

    def __init__(self, upstream: str, faults: Faults | None = None) -> None:
        parts = urlsplit(upstream)
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the fault proxy only forwards to a node on this machine")
        faults = faults or Faults()
        state = _State(faults, (parts.hostname, parts.port or 80), rng=random.Random(faults.seed))
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = state
        self._thread = threading.Thread(target=self._server.serve_forever, name="rpc-proxy", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def faults(self) -> Faults:
        return self._server.state.faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        state = self._server.state
        with state.lock:
            state.faults = faults
            state.rng = random.Random(faults.seed)
            state.spent = 0

    @property
    def counts(self) -> Counter[str]:
        with self._server.state.lock:
            return Counter(self._server.state.counts)

    def injected(self) -> dict[str, int]:
        """The faults injected so far, by kind."""
        return {
            k: v
            for k, v in self.counts.items()
            if k != "requests" and not k.startswith(("method ", "refused"))
        }

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextlib.contextmanager
def rpc_proxy(upstream: str, faults: Faults | None = None) -> Iterator[RpcProxy]:
    proxy = RpcProxy(upstream, faults)
    try:
        yield proxy
    finally:
        proxy.close()
