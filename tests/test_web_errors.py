"""The client's errors as HTTP answers: one table, one handler, for the API and the pages alike."""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from typing import Any

import pytest
from fastapi import FastAPI

from pa_client.errors import (
    AccessDenied,
    AccountError,
    ChainError,
    ConfigError,
    ContractError,
    InputError,
    NodeError,
    PaClientError,
)
from pa_client.web import errors
from pa_client.web.app import install_error_handlers
from pa_client.web.auth import AddressError, SignInBusyError, SignInError


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (SignInBusyError("too many"), 429),
        (AddressError("not an address"), 422),
        (SignInError("bad signature"), 401),
        (AccessDenied("LedgerNotAuthorised", {"account": "0x…"}), 403),
        (AccountError("no signing account"), 403),
        (InputError("row 3: bad quantity"), 422),
        (NodeError("node down"), 502),
        (ChainError("read logs: the node did not answer after 5 tries"), 502),
        (ContractError("LedgerUnknownLot"), 502),
        (ConfigError("PA_CONFIRMATIONS is not a number"), 500),
    ],
)
def test_each_kind_of_error_has_its_status(error: PaClientError, status: int) -> None:
    assert errors.status_of(error) == status


def test_a_failed_node_is_said_as_the_gateway_s_error() -> None:
    assert (
        errors.detail_of(ChainError("read logs: refused")) == "the ledger did not answer: read logs: refused"
    )
    assert errors.detail_of(InputError("row 3: bad")) == "row 3: bad"


def test_the_application_answers_a_route_s_client_error_with_its_status() -> None:
    """The handler the dashboard's app installs, on a route that raises (no try/except in routes)."""
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/api/v1/down")
    def down() -> None:
        raise ChainError("read the head: the node did not answer after 5 tries")

    @app.get("/api/v1/refused")
    def refused() -> None:
        raise SignInError("the signature is not that of account 0x…")

    status, body = _get(app, "/api/v1/down")
    assert status == 502
    assert body == {
        "detail": "the ledger did not answer: read the head: the node did not answer after 5 tries"
    }
    assert _get(app, "/api/v1/refused")[0] == 401


def _get(app: FastAPI, path: str) -> tuple[int, Any]:
    """One GET through the ASGI interface (no HTTP client library needed): status and JSON body."""
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": [], "scheme": "http", "server": ("test", 80), "http_version": "1.1"}  # fmt: skip
    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body)
