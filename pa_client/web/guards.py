"""What every request goes through before a route sees it (an ASGI middleware, `RequestGuard`).

Bodies: a body is read only up to what its route may take, and only once the caller is known where
the route needs one. `POST /api/v1/entries` takes up to `WebConfig.max_body_bytes` (32 MiB by
default: twice 10 000 placements — the most one request may carry — with every text at its
longest), and only from an authenticated caller: without a valid token or session it is answered
401 before a byte of its body is read. Any other request takes up to `SMALL_BODY_BYTES` (the
sign-in forms and messages). A body announced larger (`Content-Length`) is answered 413 at once;
one sent without a length is read until it passes the limit, then answered 413. Nothing is parsed
before that: a 500 MB body costs the server nothing but the connection.

Cross-site requests: a state-changing request (POST, PUT, PATCH, DELETE) that a browser says comes
from another site is refused (403) before it reaches its route — the sign-in forms too, so that no
page elsewhere can sign a visitor in as someone else (login CSRF) or out. A browser names the page's
origin in `Origin` (every current browser does on a POST); it must be the server's canonical origin
(`pa serve --origin`, `signin.origin_of`). Without `Origin`, a `Referer` must be of that origin; a
request with neither comes from no browser page (a system with its API token, `curl`) and is let
through.

Every answer carries `SECURITY_HEADERS`: no framing by another site (`X-Frame-Options`, the CSP's
`frame-ancestors`), scripts and everything else from the server only (`Content-Security-Policy`;
inline styles are allowed, scripts are not), no URL of a page sent to another site (`Referrer-Policy`),
no content-type guessing (`X-Content-Type-Options`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from pa_client.domain.text import escaped
from pa_client.web.auth import SESSION_COOKIE, principal_from
from pa_client.web.context import WebContext
from pa_client.web.deps import UNAUTHENTICATED
from pa_client.web.signin import origin_of

__all__ = ["AUTHENTICATED_BODIES", "SECURITY_HEADERS", "SMALL_BODY_BYTES", "STATE_CHANGING", "RequestGuard"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

SMALL_BODY_BYTES: Final = 64 * 1024
AUTHENTICATED_BODIES: Final = frozenset({"/api/v1/entries"})
"""Routes whose body is read only once the caller is known (their route needs a token or session)."""
STATE_CHANGING: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SECURITY_HEADERS: Final[dict[str, str]] = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


class _TooLargeError(Exception):
    pass


def _headers(scope: Scope) -> dict[str, str]:
    """The request's headers by lower-case name (the last of a repeated one)."""
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


async def _answer(send: Send, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode("ascii")
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    raw.append((b"connection", b"close"))  # the rest of a refused body is not read
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class RequestGuard:
    """The body limits above, for every HTTP request of the application."""

    def __init__(self, app: App, ctx: WebContext) -> None:
        self.app = app
        self.ctx = ctx

    def limit_of(self, path: str) -> int:
        return self.ctx.config.max_body_bytes if path in AUTHENTICATED_BODIES else SMALL_BODY_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_security_headers(send)
        headers = _headers(scope)
        path = str(scope.get("path", ""))
        if scope.get("method") in STATE_CHANGING:
            refused = self._cross_site(scope, headers)
            if refused is not None:
                await _answer(send, 403, refused)
                return
        if path in AUTHENTICATED_BODIES and not await run_in_threadpool(self._authenticated, headers):
            await _answer(send, 401, UNAUTHENTICATED, {"WWW-Authenticate": "Bearer"})
            return
        limit = self.limit_of(path)
        too_large = f"the request's body is larger than the {limit:,} bytes {path} accepts"
        announced = headers.get("content-length", "")
        if announced.isdigit() and int(announced) > limit:
            await _answer(send, 413, too_large)
            return
        try:
            body = await _read(receive, limit)
        except _TooLargeError:
            await _answer(send, 413, too_large)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: the disconnect, for the live streams

        await self.app(scope, replay, send)

    def _cross_site(self, scope: Scope, headers: dict[str, str]) -> str | None:
        """Why a state-changing request is refused as another site's, or None."""
        origin = headers.get("origin")
        if origin is None and "referer" in headers:
            parts = urlsplit(headers["referer"])
            origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "null"
        if origin is None:
            return None  # no browser page sent it
        own = origin_of(Request(scope))
        if origin.rstrip("/").lower() == own.lower():
            return None
        return f"a request from another site ({escaped(origin)[:100]}) is refused: this server is {own}"

    def _authenticated(self, headers: dict[str, str]) -> bool:
        session = _cookie(headers.get("cookie", ""), SESSION_COOKIE)
        return (
            principal_from(self.ctx.store, authorization=headers.get("authorization"), session_id=session)
            is not None
        )


def _with_security_headers(send: Send) -> Send:
    """`send`, adding SECURITY_HEADERS to the answer's (those a route set itself are kept)."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            present = {name.lower() for name, _ in message.get("headers", [])}
            extra = [
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in SECURITY_HEADERS.items()
                if name.lower().encode("latin-1") not in present
            ]
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return sending


async def _read(receive: Receive, limit: int) -> bytes:
    """The whole body, or _TooLargeError as soon as it passes `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)  # the client went away
        chunk = bytes(message.get("body", b""))
        size += len(chunk)
        if size > limit:
            raise _TooLargeError
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
