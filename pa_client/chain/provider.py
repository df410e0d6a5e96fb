"""web3 over the client's transport: `TransportProvider` sends web3's requests through a
`Transport` (its session, headers, time-out and retry policy), so that web3 retries nothing itself."""

from __future__ import annotations

from typing import Any

from web3.providers import JSONBaseProvider
from web3.types import RPCEndpoint, RPCResponse

from pa_client.chain.transport import Transport, redact

__all__ = ["TransportProvider"]


class TransportProvider(JSONBaseProvider):
    """web3's requests sent through a `Transport` (its session, headers, time-out and retries)."""

    def __init__(self, transport: Transport) -> None:
        super().__init__()
        self.transport = transport

    def __str__(self) -> str:
        return f"RPC connection {redact(self.transport.url)}"

    @property
    def endpoint_uri(self) -> str:
        return self.transport.url

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        response: RPCResponse = self.transport.post(
            self.encode_rpc_request(method, params), what=str(method), decode=self.decode_rpc_response
        )
        return response

    def make_batch_request(self, requests: list[tuple[RPCEndpoint, Any]]) -> list[RPCResponse] | RPCResponse:
        response = self.transport.post(
            self.encode_batch_rpc_request(requests),
            what="a batch of requests",
            decode=self.decode_rpc_response,
        )
        if isinstance(response, list):
            return sorted(response, key=lambda r: int(r["id"]))
        return response  # type: ignore[no-any-return]
