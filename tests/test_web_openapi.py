"""The published OpenAPI document reads as written for the systems' developers: operation ids named
for what they do (`submitEntries`, not FastAPI's generated `submit_entries_api_v1_entries_post`), and
every status the server documents (docs/web.md, `pa_client/web/errors.py`) declared where it is
answered. The pages' favicon is served and linked."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from pa_client.web import api, signin

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    app = FastAPI()  # the API's routers as create_app includes them (the pages are not in the schema)
    app.include_router(api.router)
    app.include_router(signin.api_router)
    return app.openapi()


def _operations(document: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        op["operationId"]: (f"{method.upper()} {path}", op)
        for path, methods in document["paths"].items()
        for method, op in methods.items()
    }


def test_operation_ids_are_named_for_people(document: dict[str, Any]) -> None:
    operations = _operations(document)
    assert {name: where for name, (where, _) in operations.items()} == {
        "submitEntries": "POST /api/v1/entries",
        "getEntryStatus": "GET /api/v1/authorisations/{reference}/entries/{entry_ref}",
        "listAuthorisations": "GET /api/v1/authorisations",
        "getAudit": "GET /api/v1/authorisations/{reference}/audit",
        "getBillOfDischarge": "GET /api/v1/authorisations/{reference}/bill",
        "lodgeBill": "POST /api/v1/authorisations/{reference}/bills",
        "getBillLodgingTransaction": "GET /api/v1/authorisations/{reference}/bills/transaction",
        "listAlerts": "GET /api/v1/alerts",
        "getMe": "GET /api/v1/me",
        "getHealth": "GET /api/v1/health",
        "requestSignInMessage": "POST /api/v1/auth/challenge",
        "signIn": "POST /api/v1/auth/session",
        "signOut": "DELETE /api/v1/auth/session",
    }
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)*", name) for name in operations)
    assert all(op.get("summary") for _, op in operations.values())


def test_every_documented_status_is_declared(document: dict[str, Any]) -> None:
    declared = {where: set(op["responses"]) for where, op in _operations(document).values()}
    # docs/web.md, "Status codes" of POST /entries: 401 before the body is read, 403 no signing
    # account (or another site's page), 413 beyond --max-body-mb, 422 problems, 502 the chain.
    assert declared["POST /api/v1/entries"] >= {"200", "401", "403", "413", "422", "502"}
    # What needs the chain answers 502 while the node is down; another holder's authorisation 404.
    for where, statuses in declared.items():
        if "{reference}" in where or where.endswith(("/authorisations", "/alerts")):
            assert statuses >= {"401", "404", "502"}, where
    # The request guard refuses another site's state-changing requests (403) and bodies over 64 KiB
    # (413) before a route runs; a flood of challenges 429.
    for where in ("POST /api/v1/auth/challenge", "POST /api/v1/auth/session"):
        assert declared[where] >= {"403", "413", "422"}, where
    assert "429" in declared["POST /api/v1/auth/challenge"]
    assert "403" in declared["DELETE /api/v1/auth/session"]


def test_the_pages_link_a_favicon_that_is_served() -> None:
    base = (ROOT / "pa_client" / "web" / "templates" / "base.html.j2").read_text(encoding="utf-8")
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in base
    icon = (ROOT / "pa_client" / "web" / "static" / "favicon.svg").read_text(encoding="utf-8")
    assert icon.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and len(icon) < 1024
