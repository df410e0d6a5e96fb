"""Signing in and out, for the pages and the API alike: the Sign-In with Ethereum challenge and its
answer (EIP-4361, `auth.py` checks them), the session cookie, and on a local development chain the
development accounts' one-click sign-in. The client's errors raised here (`SignInError` and its
kinds) are answered by the application's one handler (`errors.py`)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from pa_client.chain.accounts import DEV_ALIASES, dev_account
from pa_client.web.api import Detail
from pa_client.web.auth import (
    SESSION_COOKIE,
    SignInError,
    checksum,
    new_challenge,
    sign_message,
    verify_sign_in,
)
from pa_client.web.context import WebContext
from pa_client.web.deps import Ctx, context
from pa_client.web.pages import render

__all__ = ["api_router", "end_session", "host_of", "origin_of", "router", "safe_next", "start_session"]

api_router = APIRouter(prefix="/api/v1")
# What the request guard answers before a state-changing route runs (docs/web.md): another site's
# Origin, or a body beyond the 64 KiB every request but a submission takes.
FORM_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": Detail, "description": "Sent from another site's page (Origin or Referer)."},
    413: {"model": Detail, "description": "The body is larger than 64 KiB."},
}
router = APIRouter(include_in_schema=False)
DEV_SIGN_IN = ("customs", "holder", "broker", "holder2", "broker2", "stranger")


class ChallengeIn(BaseModel):
    address: str = Field(max_length=100, description="The account that will sign, 0x-hex.")


class ChallengeOut(BaseModel):
    message: str = Field(description="Sign this text with personal_sign (EIP-191).")


class SessionIn(BaseModel):
    message: str = Field(max_length=4000)
    signature: str = Field(max_length=200)


class SessionOut(BaseModel):
    address: str
    expires: float


def start_session(ctx: WebContext, request: Request, response: Response, address: str) -> float:
    """Opens a session for `address` (an HttpOnly cookie set on `response`); when it expires."""
    lifetime = ctx.config.session_hours * 3600
    session_id = ctx.store.create_session(address, lifetime)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(lifetime),
        httponly=True,
        samesite="lax",
        secure=ctx.config.secure_cookies or origin_of(request).startswith("https:"),
        path="/",
    )
    return time.time() + lifetime


def end_session(ctx: WebContext, request: Request, response: Response) -> None:
    """Ends the caller's session, if any, and drops its cookie."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        ctx.store.end_session(session_id)
    response.delete_cookie(SESSION_COOKIE, path="/")


def safe_next(value: str | None) -> str:
    """Only a path of this site (no scheme, no host): an open redirect is refused."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    return "/" if parts.scheme or parts.netloc else value


def origin_of(request: Request) -> str:
    """The server's canonical origin: the configured one (`pa serve --origin`), else the address it
    serves on — the listening socket's, which no caller chooses (a `Host` header is the caller's)."""
    ctx = context(request)
    if ctx.origin is not None:
        return ctx.origin
    host, port = request.scope.get("server") or ("127.0.0.1", 80)
    scheme = "https" if request.scope.get("scheme") == "https" else "http"
    shown = f"[{host}]" if ":" in str(host) else str(host)
    return f"{scheme}://{shown}" + ("" if port in (None, 443 if scheme == "https" else 80) else f":{port}")


def host_of(request: Request) -> str:
    """The domain a Sign-In with Ethereum message names and is checked against: the host (and port)
    of the server's canonical origin, never the `Host` header a caller sent."""
    return urlsplit(origin_of(request)).netloc


def requester_of(request: Request) -> str:
    """Who asks, for the bounds on pending challenges: the caller's IP address (a reverse proxy on
    this host gives it in `X-Forwarded-For`, which uvicorn reads from 127.0.0.1 only)."""
    return request.client.host if request.client else ""


@api_router.post(
    "/auth/challenge",
    response_model=ChallengeOut,
    responses={**FORM_ERRORS, 422: {"model": Detail}, 429: {"model": Detail}},
    summary="Sign-in message",
    operation_id="requestSignInMessage",
)
def challenge(body: ChallengeIn, request: Request, ctx: Ctx) -> Any:
    """A one-time Sign-In with Ethereum message (EIP-4361) for `address` to sign."""
    message = new_challenge(
        ctx.store,
        address=checksum(body.address),
        host=host_of(request),
        uri=origin_of(request),
        chain_id=ctx.chain_id,
        now=time.time(),
        requester=requester_of(request),
    )
    return ChallengeOut(message=message)


@api_router.post(
    "/auth/session",
    response_model=SessionOut,
    responses={**FORM_ERRORS, 401: {"model": Detail}},
    summary="Sign in",
    operation_id="signIn",
)
async def sign_in(body: SessionIn, request: Request, response: Response, ctx: Ctx) -> Any:
    """Opens a session (an HttpOnly cookie) for the account that signed a challenge."""
    address = await run_in_threadpool(
        verify_sign_in,
        ctx.store,
        message=body.message,
        signature=body.signature,
        host=host_of(request),
        chain_id=ctx.chain_id,
        now=time.time(),
    )
    return SessionOut(address=address, expires=start_session(ctx, request, response, address))


@api_router.delete(
    "/auth/session",
    status_code=204,
    responses={403: FORM_ERRORS[403]},
    summary="Sign out",
    operation_id="signOut",
)
def sign_out(request: Request, ctx: Ctx) -> Response:
    response = Response(status_code=204)
    end_session(ctx, request, response)
    return response


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request, next: str = "/", address: str = "", error: str = "") -> HTMLResponse:
    ctx = context(request)
    message = ""
    if address:
        try:
            message = new_challenge(
                ctx.store,
                address=address,
                host=host_of(request),
                uri=origin_of(request),
                chain_id=ctx.chain_id,
                now=time.time(),
                requester=requester_of(request),
            )
        except SignInError as problem:
            error = str(problem)
    dev_accounts = (
        [(alias, dev_account(alias).address) for alias in DEV_SIGN_IN if alias in DEV_ALIASES]
        if ctx.dev_sign_in
        else []
    )
    return render(
        request,
        "signin.html.j2",
        next=safe_next(next),
        address=address,
        message=message,
        error=error,
        dev_accounts=dev_accounts,
        status_code=422 if error else 200,
    )


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body()).decode("utf-8", errors="replace")
    return {key: values[0] for key, values in parse_qs(body, keep_blank_values=True).items()}


def _signed_in_response(ctx: WebContext, request: Request, address: str, next_url: str) -> Response:
    response = RedirectResponse(safe_next(next_url), status_code=303)
    start_session(ctx, request, response, address)
    return response


@router.post("/signin")
async def signin_post(request: Request) -> Response:
    ctx = context(request)
    form = await _form(request)
    try:
        address = await run_in_threadpool(
            verify_sign_in,
            ctx.store,
            message=form.get("message", ""),
            signature=form.get("signature", ""),
            host=host_of(request),
            chain_id=ctx.chain_id,
            now=time.time(),
        )
    except SignInError as problem:
        return await run_in_threadpool(signin_page, request, form.get("next", "/"), "", str(problem))
    return _signed_in_response(ctx, request, address, form.get("next", "/"))


@router.post("/signin/dev")
async def signin_dev(request: Request) -> Response:
    """On a local development chain only: sign in as a public development account (the server signs
    the same challenge with the account's published key)."""
    ctx = context(request)
    form = await _form(request)
    alias = form.get("alias", "")
    if not ctx.dev_sign_in or alias not in DEV_SIGN_IN:
        return Response("not found", status_code=404, media_type="text/plain")
    account = dev_account(alias)
    host = host_of(request)

    def sign_in() -> str:
        message = new_challenge(
            ctx.store,
            address=account.address,
            host=host,
            uri=origin_of(request),
            chain_id=ctx.chain_id,
            now=time.time(),
            requester=requester_of(request),
        )
        return verify_sign_in(
            ctx.store,
            message=message,
            signature=sign_message(account, message),
            host=host,
            chain_id=ctx.chain_id,
            now=time.time(),
        )

    address = await run_in_threadpool(sign_in)
    return _signed_in_response(ctx, request, address, form.get("next", "/"))


@router.post("/signout")
def signout(request: Request) -> Response:
    response = RedirectResponse("/signin", status_code=303)
    end_session(context(request), request, response)
    return response
