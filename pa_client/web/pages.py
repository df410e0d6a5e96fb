"""The pages: server-rendered HTML (Jinja2), with a little JavaScript only for the live updates
(`/events`, server-sent events) and for signing in with a browser wallet."""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse

from pa_client.audit.rules import AuditResult, bill_of_discharge
from pa_client.audit.run import end_of_day
from pa_client.contract import ids
from pa_client.contract.events import decode_record
from pa_client.errors import InputError
from pa_client.present import display
from pa_client.present.bill import bill_html, bill_view, write_bill_xlsx
from pa_client.web import i18n, views
from pa_client.web.access import DECLARANT, HOLDER, Access, event_for, may_subscribe, relation, visible
from pa_client.web.auth import (
    SESSION_COOKIE,
    Principal,
)
from pa_client.web.context import WebContext
from pa_client.web.deps import (
    audit_state,
    caller,
    context,
    dated_result,
    lang,
    not_found,
    visible_reference,
)
from pa_client.web.events import Event
from pa_client.web.live import dated_state

router = APIRouter(include_in_schema=False)
HEARTBEAT_SECONDS = 15.0
ALLOWED_CHECK_SECONDS = 1.0
"""How often a live stream checks that its token or session is still valid, however busy it is."""


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pa_client.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


_ENV = environment()


class SignInRequiredError(Exception):
    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def _user(ctx: WebContext, principal: Principal, language: str) -> dict[str, Any]:
    access = ctx.access(principal.address)
    t = i18n.translator(language)
    roles = ", ".join(t[f"role_{role}"] for role in access.roles) or t["role_none"]
    return {"address": principal.address, "short": views.short_address(principal.address), "roles": roles}


def render(
    request: Request,
    template: str,
    *,
    principal: Principal | None = None,
    stream: str | None = None,
    cards_url: str | None = None,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    ctx = context(request)
    language = lang(request)
    t = i18n.translator(language)
    state = ctx.tracker.audit_state
    html = _ENV.get_template(template).render(
        lang=language,
        t=t,
        user=_user(ctx, principal, language) if principal else None,
        stream=stream,
        cards_url=cards_url,
        block=state.block if state else ctx.tracker.last_block,
        ledger=ctx.ledger.deployment.ledger,
        live_labels={
            "kinds": i18n.KIND_LABELS[language],
            "alerts": i18n.ALERT_LABELS[language],
            "severities": {s: t[s] for s in ("critical", "warning", "info")},
            "delay": t["delay"],
            "new_record": t["new_record"],
            "new_alert": t["new_alert"],
        },
        **values,
    )
    response = HTMLResponse(html, status_code=status_code)
    asked = request.query_params.get("lang")
    if asked in i18n.LANGUAGES:
        response.set_cookie(i18n.LANG_COOKIE, asked, max_age=365 * 86400, samesite="lax")
    return response


def signed_in(request: Request) -> tuple[WebContext, Principal, Access]:
    principal = caller(request)
    if principal is None:
        raise SignInRequiredError(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    ctx = context(request)
    return ctx, principal, ctx.access(principal.address)


def error_page(request: Request, status_code: int, detail: str = "") -> HTMLResponse:
    t = i18n.translator(lang(request))
    principal = caller(request)
    title, lead = (t["not_found"], t["not_found_lead"]) if status_code == 404 else (str(status_code), "")
    return render(
        request,
        "error.html.j2",
        principal=principal,
        status_code=status_code,
        title=title,
        lead=lead,
        detail=detail,
    )


def _loading(request: Request, principal: Principal) -> HTMLResponse:
    t = i18n.translator(lang(request))
    response = render(
        request, "error.html.j2", principal=principal, title=t["app"], lead=t["loading"], detail=""
    )
    response.headers["Refresh"] = "2"
    return response


# ---------------------------------------------------------------- pages


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request) -> HTMLResponse:
    ctx, principal, access = signed_in(request)
    state = ctx.tracker.audit_state
    if state is None:
        return _loading(request, principal)
    language = lang(request)
    references = visible(access, state.result.references)
    rows = views.overview(state, ctx.tracker, references, language)
    registry = state.result.registry  # an authorisation hidden whole leaves no other trace
    verified = (registry is None or registry.verified) and all(
        state.result.integrity[r].verified for r in references
    )
    return render(
        request,
        "overview.html.j2",
        principal=principal,
        stream="/events",
        cards_url="/cards",
        rows=rows,
        cards=views.overview_cards(rows, language),
        today=display.day(state.result.today),
        as_of_time=views.moment(state.block_time),
        verified=verified,
    )


def _audited(ctx: WebContext, reference: str) -> Any:
    """The live audit once it includes `reference` (just registered: the next audit)."""
    deadline = time.monotonic() + 3
    state = audit_state(ctx)
    while reference not in state.result.references and time.monotonic() < deadline:
        time.sleep(0.05)
        state = audit_state(ctx)
    if reference not in state.result.references:
        raise not_found(reference)
    return state


@router.get("/authorisations/{reference}", response_class=HTMLResponse)
def authorisation_page(request: Request, reference: str) -> HTMLResponse:
    ctx, principal, access = signed_in(request)
    visible_reference(ctx, access, reference)
    state = _audited(ctx, reference)
    as_of = _day(request.query_params.get("as_of"))
    cut = None
    if as_of is not None:  # the ledger as it stood at the end of that day: no live updates
        state = dated_state(_dated(ctx, reference, as_of))
        cut = end_of_day(as_of)
    view = views.authorisation(state, ctx.tracker, reference, lang(request), cut)
    return render(
        request,
        "authorisation.html.j2",
        principal=principal,
        # A dated page (as_of) is not live: no stream, no card updates.
        stream=None if as_of else f"/events?authorisation={quote(reference, safe='')}",
        cards_url=None if as_of else f"{views.auth_url(reference)}/cards",
        a=view,
    )


def _day(text: str | None) -> date | None:
    """A `YYYY-MM-DD` query parameter, or 422."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HTTPException(status_code=422, detail="dates are written YYYY-MM-DD") from None


# The summary cards as the pages render them, fetched by the pages after each audited block (the
# figures of the same view functions: nothing is computed twice).


@router.get("/cards", include_in_schema=False)
def overview_cards(request: Request) -> JSONResponse:
    ctx, _principal, access = signed_in(request)
    state = audit_state(ctx)
    language = lang(request)
    rows = views.overview(state, ctx.tracker, visible(access, state.result.references), language)
    return JSONResponse(
        {
            "block": state.block,
            "cards": views.overview_cards(rows, language),
            "rows": views.overview_live_rows(rows),
        }
    )


@router.get("/authorisations/{reference}/cards", include_in_schema=False)
def authorisation_cards(request: Request, reference: str) -> JSONResponse:
    ctx, _principal, access = signed_in(request)
    visible_reference(ctx, access, reference)
    state = _audited(ctx, reference)
    one = state.result.for_authorisation(reference)
    return JSONResponse(
        {"block": state.block, "cards": views.authorisation_cards(one, reference, lang(request))}
    )


def _shown(name: str, value: Any, unit: str) -> str:
    """A recorded value as people read it (exact decimals, codes spaced, units named)."""
    if isinstance(value, Decimal):
        if name == "customs_value":
            return f"EUR {display.plain(value, min_decimals=2)}"
        if name == "duty_rate":
            return f"{display.plain(value)} %"
        return display.quantity_of(value, unit) if name == "quantity" and unit else display.plain(value)
    if isinstance(value, datetime):
        return display.moment(value)
    if isinstance(value, date):
        return display.day(value)
    if name in ("goods_code", "product_code"):
        return display.goods_code(str(value))
    if name == "mode":
        return display.mode_label(str(getattr(value, "value", value)))
    if name == "unit":
        return display.unit_title(str(value))
    return str(getattr(value, "value", value))


def _fields(entry: Any, language: str) -> tuple[list[tuple[str, str]], list[str], list[dict[str, Any]]]:
    """An entry's fields for people, its documents, and the lines of a processing."""
    t = i18n.translator(language)
    hidden = {"authorisation", "entry_ref", "kind", "occurred_at", "inputs", "outputs", "documents"}
    unit = str(getattr(entry, "unit", "") or "")
    fields = []
    for name in type(entry).model_fields:
        value = getattr(entry, name)
        if name in hidden or value in (None, "", ()):
            continue
        fields.append((t.get(name, name.replace("_", " ").capitalize()), _shown(name, value, unit)))
    lines = []
    for part, columns in (
        ("inputs", ("lot", "quantity")),
        ("outputs", ("lot", "goods_code", "description", "quantity", "unit")),
    ):
        items = getattr(entry, part, None)
        if items:
            lines.append(
                {
                    "title": t.get(part, part.capitalize()),
                    "headers": [t.get(c, c) for c in columns],
                    "rows": [
                        [_shown(c, getattr(line, c), str(getattr(line, "unit", "") or "")) for c in columns]
                        for line in items
                    ],
                }
            )
    documents = [str(d) for d in getattr(entry, "documents", ())]
    return fields, documents, lines


def _decoded_entry(ctx: WebContext, reference: str, entry_ref: str, block: int) -> Any:
    raw = ctx.ledger.w3.eth.get_logs(
        {
            "address": ctx.ledger.ledger.address,
            "fromBlock": block,
            "toBlock": block,
            "topics": [
                None,
                "0x" + ids.authorisation_id(reference).hex(),
                "0x" + ids.entry_id(entry_ref).hex(),
            ],
        }
    )
    for item in raw:
        record = decode_record(dict(item))
        if record is not None:
            return record.entry
    return None


@router.get("/authorisations/{reference}/records/{entry_ref:path}", response_class=HTMLResponse)
def record_page(request: Request, reference: str, entry_ref: str) -> HTMLResponse:
    ctx, principal, access = signed_in(request)
    visible_reference(ctx, access, reference)
    meta = ctx.tracker.record(reference, entry_ref)
    if meta is None:
        raise HTTPException(status_code=404, detail=f"no record {entry_ref} of {reference}")
    language = lang(request)
    entry = _decoded_entry(ctx, reference, entry_ref, meta.block)
    fields, documents, lines = _fields(entry, language) if entry is not None else ([], [], [])
    sequence_now, head_now = ctx.tracker.head_of(reference)
    state = ctx.tracker.audit_state
    verified = None
    corrected: dict[str, str] | None = None
    if state is not None and reference in state.result.integrity:
        verified = state.result.integrity[reference].verified
        found = state.result.corrected
        match = found.loc[(found["authorisation"] == reference) & (found["entry_ref"] == entry_ref)]
        if len(match):
            row = match.iloc[0]
            corrected = {
                "by": str(row["corrected_by"]),
                "on": display.day(row["correction_date"]),
                "reason": str(row["reason"]),
                "url": views.record_url(reference, str(row["corrected_by"])),
            }
    thresholds = ctx.config.thresholds
    late = (
        i18n.alert_label(language, "late_record")
        if meta.delay_seconds > thresholds.late_record_hours * 3600
        else ""
    )
    previous = ctx.tracker.record_at(reference, meta.sequence - 1)
    following = ctx.tracker.record_at(reference, meta.sequence + 1)
    return render(
        request,
        "record.html.j2",
        principal=principal,
        stream=f"/events?authorisation={quote(reference, safe='')}",
        r=views.record_view(meta, language),
        auth_url=views.auth_url(reference),
        fields=fields,
        documents=documents,
        lines=lines,
        corrected=corrected,
        late=late,
        sequence_now=f"{sequence_now:,}",
        proof_percent=round(100 * meta.sequence / max(1, sequence_now), 1),
        head_now="0x" + head_now.hex(),
        verified=verified,
        previous=views.record_view(previous, language) if previous else None,
        next=views.record_view(following, language) if following else None,
    )


def _period(request: Request, ctx: WebContext, reference: str) -> tuple[date, date, date | None, str]:
    """The bill's span and `as_of` day (`?from=&to=&as_of=`), and what is wrong with them."""
    state = _audited(ctx, reference)
    start, end = views.default_bill_period(state.result, reference)
    as_of = None
    error = ""
    try:
        if request.query_params.get("from"):
            start = date.fromisoformat(request.query_params["from"])
        if request.query_params.get("to"):
            end = date.fromisoformat(request.query_params["to"])
        if request.query_params.get("as_of"):
            as_of = date.fromisoformat(request.query_params["as_of"])
    except ValueError:
        error = "dates are written YYYY-MM-DD"
    if end < start:
        error = f"{end} is before {start}"
    return start, end, as_of, error


def _dated(ctx: WebContext, reference: str, as_of: date | None) -> AuditResult:
    """The live audit, or with `as_of` the ledger as it stood at the end of that day."""
    result = _audited(ctx, reference).result if as_of is None else dated_result(ctx, as_of)
    if reference not in result.references:
        raise not_found(reference)
    return result


@router.get("/authorisations/{reference}/bill", response_class=HTMLResponse)
def bill_page(request: Request, reference: str) -> HTMLResponse:
    ctx, principal, access = signed_in(request)
    visible_reference(ctx, access, reference)
    start, end, as_of, error = _period(request, ctx, reference)
    bill = lodged = None
    result = _audited(ctx, reference).result
    if not error:
        try:
            result = _dated(ctx, reference, as_of)
        except InputError as refused:  # a day before the deployment
            error = str(refused)
    if not error:
        drawn = bill_of_discharge(result, reference, start, end)
        bill = bill_view(drawn)
        lodged = views.lodged_bill(result, reference, start, end)
    return render(
        request,
        "bill.html.j2",
        principal=principal,
        reference=reference,
        auth_url=views.auth_url(reference),
        start=start.isoformat(),
        end=end.isoformat(),
        as_of=as_of.isoformat() if as_of else "",
        error=error,
        bill=bill is not None,
        b=bill,
        lodged=lodged,
        # The holder and its declarants lodge, from their wallet, once the period has ended.
        may_lodge=relation(access, reference) in (HOLDER, DECLARANT),
        period_ended=result.today > end,
        lodge_command=f"pa --account ACCOUNT bill {reference} --from {start} --to {end} --lodge",
    )


def _bill(request: Request, reference: str) -> Any:
    ctx, _principal, access = signed_in(request)
    visible_reference(ctx, access, reference)
    start, end, as_of, error = _period(request, ctx, reference)
    if error:
        raise HTTPException(status_code=422, detail=error)
    return bill_of_discharge(_dated(ctx, reference, as_of), reference, start, end)


@router.get("/authorisations/{reference}/bill.xlsx")
def bill_xlsx(request: Request, reference: str) -> Response:
    bill = _bill(request, reference)
    name = f"bill-of-discharge-{reference}-{bill.period_start}-{bill.period_end}.xlsx"
    with tempfile.TemporaryDirectory(prefix="pa-bill-") as folder:
        content = write_bill_xlsx(bill, Path(folder) / name).read_bytes()
    return Response(
        content,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/authorisations/{reference}/bill.html", response_class=HTMLResponse)
def bill_printable(request: Request, reference: str) -> HTMLResponse:
    return HTMLResponse(bill_html(_bill(request, reference)))


# ---------------------------------------------------------------- live events


@router.get("/events")
async def events(request: Request, authorisation: str | None = None) -> Response:
    """Server-sent events for the pages (and any system): records, alerts and the audited block of
    what the caller may see (of one authorisation with `?authorisation=`)."""
    principal = caller(request)
    if principal is None:
        return Response("sign in first", status_code=401, media_type="text/plain")
    ctx = context(request)
    access = await run_in_threadpool(ctx.access, principal.address)
    if not may_subscribe(access, authorisation):
        return Response("not found", status_code=404, media_type="text/plain")
    address, only = principal.address, authorisation
    subscription = ctx.broker.subscribe(lambda reference: event_for(ctx.access(address), reference, only))
    session_id = request.cookies.get(SESSION_COOKIE) if principal.via == "session" else None
    token_id = principal.token.id if principal.via == "token" and principal.token is not None else None

    def still_allowed() -> bool:
        """The session still open, or the token neither revoked nor expired (SQLite: off the loop)."""
        if session_id is not None:
            return ctx.store.session(session_id) is not None
        if token_id is not None:
            token = ctx.store.token_by_id(token_id)
            return token is not None and token.usable(time.time())
        return True

    async def stream() -> Any:
        try:
            yield "retry: 1500\n\n"
            yield Event("hello", None, {"block": ctx.tracker.last_block}).sse()
            quiet, checked = 0.0, time.monotonic()
            while not ctx.stopping.is_set():
                try:
                    event: Event | None = await asyncio.wait_for(
                        subscription.queue.get(), timeout=ALLOWED_CHECK_SECONDS
                    )
                except TimeoutError:
                    event = None
                # The caller is checked on a short timer whatever the traffic: a busy stream of a
                # revoked token or an ended session stops within ALLOWED_CHECK_SECONDS.
                if time.monotonic() - checked >= ALLOWED_CHECK_SECONDS:
                    checked = time.monotonic()
                    if not await run_in_threadpool(still_allowed):
                        yield "event: expired\ndata: {}\n\n"
                        return
                if event is None:
                    quiet += ALLOWED_CHECK_SECONDS
                    if quiet >= HEARTBEAT_SECONDS:
                        quiet = 0.0
                        yield ": keep-alive\n\n"
                    continue
                quiet = 0.0
                yield event.sse()
        finally:
            ctx.broker.unsubscribe(subscription)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


__all__ = ["SignInRequiredError", "error_page", "router"]
