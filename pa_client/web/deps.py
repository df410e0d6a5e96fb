"""Request helpers shared by the pages and the API: the server's context, the caller, the language,
opening and closing a person's session."""

from __future__ import annotations

import time
from datetime import date
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from pa_client.web.access import Access, may_view
from pa_client.web.auth import SESSION_COOKIE, Principal, principal_from
from pa_client.web.context import WebContext
from pa_client.web.i18n import LANG_COOKIE, language
from pa_client.web.live import AuditState

if TYPE_CHECKING:
    from pa_client.audit.rules import AuditResult

bearer = HTTPBearer(
    auto_error=False,
    description="An API token (`pa serve token create`), bound to an account.",
)
session_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description="The session of a person signed in with Sign-In with Ethereum (`POST /api/v1/auth/session`).",
)

READY_WAIT_SECONDS = 15.0
UNAUTHENTICATED = "sign in (POST /api/v1/auth/session) or send a valid API token (Authorization: Bearer …)"


def context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx


Ctx = Annotated[WebContext, Depends(context)]


def caller(request: Request) -> Principal | None:
    """The caller of a request, or None."""
    return principal_from(
        context(request).store,
        authorization=request.headers.get("authorization"),
        session_id=request.cookies.get(SESSION_COOKIE),
    )


def api_principal(
    request: Request,
    _token: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    _session: Annotated[str | None, Depends(session_cookie)],
) -> Principal:
    """The API's caller; 401 without a valid token or session."""
    principal = caller(request)
    if principal is None:
        raise HTTPException(
            status_code=401,
            detail=UNAUTHENTICATED,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


Caller = Annotated[Principal, Depends(api_principal)]


def lang(request: Request) -> str:
    return language(request.query_params.get("lang") or request.cookies.get(LANG_COOKIE))


def not_found(reference: str) -> HTTPException:
    # The same answer whether the authorisation does not exist or may not be seen.
    return HTTPException(status_code=404, detail=f"no authorisation {reference} that this account may see")


def visible_reference(ctx: WebContext, access: Access, reference: str) -> str:
    """`reference` when the account may see it and it is on the ledger; else 404."""
    if not may_view(access, reference) or reference not in ctx.tracker.references():
        raise not_found(reference)
    return reference


def audit_state(ctx: WebContext, wait: float = READY_WAIT_SECONDS) -> AuditState:
    """The live audit, waiting a little for the first one after a start; 503 if it is not there."""
    deadline = time.monotonic() + wait
    while ctx.tracker.audit_state is None and time.monotonic() < deadline:
        time.sleep(0.05)
    state = ctx.tracker.audit_state
    if state is None:
        raise HTTPException(
            status_code=503,
            detail="the ledger is still being read: try again in a moment",
            headers={"Retry-After": "2"},
        )
    return state


def dated_result(ctx: WebContext, as_of: date | None) -> AuditResult:
    """The live audit, or with `as_of` the ledger as it stood at the end of that day (as `pa audit
    --as-of`: its last block by then, the records that occurred by then, deadlines judged that day)."""
    if as_of is None:
        return audit_state(ctx).result
    from pa_client.audit.run import run_audit

    return run_audit(ctx.ledger, ctx.settings, as_of=as_of, thresholds=ctx.config.thresholds).result
