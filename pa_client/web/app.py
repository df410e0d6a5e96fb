"""The web application: pages, live events and the HTTP API in one FastAPI app, with the live
tracker and the webhook sender running while it serves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from pa_client.chain.ledger import LedgerClient
from pa_client.errors import PaClientError
from pa_client.web import api, errors, pages, signin
from pa_client.web.context import WebConfig, WebContext
from pa_client.web.guards import RequestGuard

STATIC = Path(__file__).resolve().parent / "static"
DESCRIPTION = """The PA Ledger API: submit inward processing entries (docs/spec/interfaces.md §1, the same checks
and messages as `pa submit`), follow them, and read the audit (docs/spec/interfaces.md §4), the bill of discharge
and the alerts of the authorisations the caller may see.

Authenticate with an API token (`Authorization: Bearer pat_…`, created by `pa serve token create`)
bound to an account, or with the session cookie of a person signed in with Sign-In with Ethereum
(EIP-4361). Customs see every authorisation; a holder and its declarants see only theirs. Live events
(records, alerts) stream from `GET /events` (text/event-stream)."""


def _version() -> str:
    try:
        return version("pa-ledger")
    except PackageNotFoundError:
        return "0"


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and request.url.path != "/events"


def create_app(config: WebConfig, *, ledger: LedgerClient | None = None) -> FastAPI:
    """The application for one deployed ledger (`ledger`, or the one the settings name)."""
    ctx = WebContext(config, ledger)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        ctx.start()
        try:
            yield
        finally:
            ctx.stop()

    app = FastAPI(
        title="PA Ledger",
        version=_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # the interactive pages load scripts from a CDN: the server stays offline
        redoc_url=None,
    )
    app.state.ctx = ctx
    app.include_router(api.router)
    app.include_router(signin.api_router)
    app.include_router(pages.router)
    app.include_router(signin.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:  # for the clients that ask before reading the page's <link rel="icon">
        return RedirectResponse("/static/favicon.svg", status_code=308)

    app.add_middleware(RequestGuard, ctx=ctx)  # body limits, before any route reads a byte

    install_error_handlers(app)
    return app


def install_error_handlers(app: FastAPI) -> None:
    """The application's error handlers: the client's errors by the one table of `errors.py`, HTTP
    and validation errors, and the sign-in a page requires; a page gets the error page, the API JSON."""

    @app.exception_handler(pages.SignInRequiredError)
    async def login(_request: Request, error: pages.SignInRequiredError) -> Response:
        return RedirectResponse(f"/signin?next={quote(error.next_url, safe='')}", status_code=303)

    @app.exception_handler(PaClientError)
    async def client_error(request: Request, error: PaClientError) -> Response:
        status = errors.status_of(error)
        if _wants_html(request):
            return pages.error_page(request, status, errors.detail_of(error))
        return JSONResponse({"detail": errors.detail_of(error)}, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if _wants_html(request) and error.status_code in (404, 422, 503):
            return pages.error_page(request, error.status_code, str(error.detail))
        return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        problems: list[dict[str, Any]] = []
        for item in error.errors():
            where = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
            problems.append({"path": where, "message": str(item.get("msg", "invalid"))})
        text = "; ".join(f"{p['path']}: {p['message']}" for p in problems[:20])
        if _wants_html(request):
            return pages.error_page(request, 422, text)
        return JSONResponse(
            {"detail": f"the request is not valid: {text}", "problems": problems}, status_code=422
        )
