"""The HTTP API for the operator's and the brokers' information systems (`/api/v1`, described by the
OpenAPI document at `/openapi.json`): submit entries, follow an entry, read the audit, the bill of
discharge and the alerts of the authorisations the caller may see, and sign in."""

from __future__ import annotations

import time
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from pa_client.audit.rules import AuditResult, BillOfDischarge, bill_of_discharge
from pa_client.errors import InputError
from pa_client.present.audit_document import audit_document
from pa_client.submission.bills import lodge_bill, lodging_of
from pa_client.submission.service import submit as submit_items
from pa_client.submission.submitter import Outcome, Report
from pa_client.web.access import SEVERITY_RANK, may_submit_with, may_view, relation, visible
from pa_client.web.auth import Principal
from pa_client.web.context import WebContext
from pa_client.web.deps import (
    Caller,
    Ctx,
    audit_state,
    dated_result,
    not_found,
    visible_reference,
)
from pa_client.web.entries_json import JsonProblem, read_json_entries
from pa_client.web.live import AlertItem
from pa_client.web.views import status_of

router = APIRouter(prefix="/api/v1")

Scalar = str | int | float


def _field(description: str) -> Any:
    return Field(default=None, description=description)


class LineIn(BaseModel):
    """One input or output of a processing given as `inputs` / `outputs`."""

    model_config = ConfigDict(extra="allow")
    lot: Scalar | None = _field("Lot consumed (input) or created (output).")
    quantity: Scalar | None = _field("Decimal > 0, at most 6 decimals (a string keeps it exact).")
    goods_code: Scalar | None = _field("Output: CN code of the product, 8 digits.")
    description: Scalar | None = _field("Output: usual commercial description.")
    unit: Scalar | None = _field("Output: UN/ECE Rec. 20 unit code.")


class EntryIn(BaseModel):
    """An entry with the fields of docs/spec/interfaces.md §1 (the columns of the entries file); empty or absent
    means "not given". Unknown fields are refused, as unknown columns are."""

    model_config = ConfigDict(extra="allow")
    entry_ref: Scalar | None = _field("The sender's reference, unique within the authorisation.")
    kind: Scalar | None = _field("placement, movement, processing, handling, discharge or correction.")
    authorisation: Scalar | None = _field("Authorisation reference.")
    occurred_at: Scalar | None = _field("ISO 8601 date or date-time; UTC where no offset is given.")
    line: Scalar | None = _field("Processing given line by line: in or out.")
    lot: Scalar | None = _field("Lot reference.")
    goods_code: Scalar | None = _field("CN code, 8 digits.")
    description: Scalar | None = _field("Usual commercial description.")
    quantity: Scalar | None = _field("Decimal > 0, at most 6 decimals, in the lot's unit.")
    unit: Scalar | None = _field("UN/ECE Rec. 20 code (KGM, NAR, LTR, MTR, …).")
    site: Scalar | None = _field("Site code (a movement: where from).")
    to_site: Scalar | None = _field("Movement: where to.")
    declaration: Scalar | None = _field("MRN, 18 characters, check character verified.")
    procedure: Scalar | None = _field("Procedure code, 4 digits (e.g. 5100, 3151).")
    mode: Scalar | None = _field(
        "Discharge: reexport, free_circulation, warehousing, transfer, destruction, abandonment."
    )
    customs_value: Scalar | None = _field("Placement: EUR, at most 2 decimals.")
    duty_rate: Scalar | None = _field("Placement: percent, e.g. 3 or 4.5.")
    origin: Scalar | None = _field("Placement: ISO 3166-1 alpha-2.")
    documents: str | list[str] | None = _field("SHA-256 hex digests, a list or ';'-separated.")
    corrects: Scalar | None = _field("Correction: entry_ref of the record corrected.")
    reason: Scalar | None = _field("Correction: free text.")
    inputs: list[LineIn] | None = _field("Processing in one object: its inputs (lot, quantity).")
    outputs: list[LineIn] | None = _field(
        "Processing in one object: its outputs (lot, goods_code, description, quantity, unit)."
    )


class EntriesIn(BaseModel):
    entries: list[EntryIn] = Field(min_length=1, max_length=10_000)  # entries in one request
    dry_run: bool = Field(default=False, description="Check against the chain; send nothing.")
    on_error: Literal["stop", "skip"] = Field(
        default="stop",
        description="stop: send nothing while any entry is refused; skip: record the good ones.",
    )


class ProblemOut(BaseModel):
    entry: int | None
    path: str
    field: str | None
    value: str | None
    message: str
    text: str


class EntryResultOut(BaseModel):
    entry: int
    authorisation: str
    entry_ref: str
    kind: str
    outcome: str
    reason: str | None = None
    error: str | None = None
    transaction: str | None = None
    block: int | None = None


class SubmissionOut(BaseModel):
    status: Literal["recorded", "checked", "refused", "partial"]
    message: str
    recorded: int = 0
    already_recorded: int = 0
    refused: int = 0
    transactions: int = 0
    problems: list[ProblemOut] = Field(default_factory=list)
    results: list[EntryResultOut] = Field(default_factory=list)


class EntryStatusOut(BaseModel):
    authorisation: str
    entry_ref: str
    status: Literal["recorded", "not recorded"]
    kind: str | None = None
    corrected: bool = False
    sequence: int | None = None
    block: int | None = None
    log_index: int | None = None
    transaction: str | None = None
    occurred_at: str | None = None
    recorded_at: str | None = None
    delay_seconds: int | None = None
    account: str | None = None
    head: str | None = Field(default=None, description="The authorisation's rolling hash after this record.")


# A bill's span in a query (`?from=…&to=…`).
PeriodStart = Annotated[date, Query(alias="from", description="First day of the period.")]
PeriodEnd = Annotated[date, Query(alias="to", description="Last day of the period.")]


class BillLodgingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    period_start: date = Field(alias="from", description="First day of the bill's period.")
    period_end: date = Field(alias="to", description="Last day of the bill's period.")


class BillLodgingOut(BaseModel):
    status: Literal["lodged", "already lodged"]
    message: str
    entry_ref: str = Field(description="The reference of the ledger's record of the lodging.")
    bill_sha256: str = Field(description="SHA-256 of the bill's content (its JSON, canonical).")
    due: date
    transaction: str | None = None
    block: int | None = None


class BillTransactionOut(BaseModel):
    entry_ref: str
    bill_sha256: str
    due: date
    lodged: bool = Field(description="The same bill is already lodged on the ledger.")
    audited: bool = Field(description="The served audit already counts that lodging.")
    chain_id: int = Field(
        description="The chain the transaction is for: a wallet on another one must not send it."
    )
    to: str | None = Field(default=None, description="The ledger contract to send the transaction to.")
    data: str | None = Field(default=None, description="The transaction's input: the `lodgeBill` call.")


class AlertOut(BaseModel):
    key: str = Field(description="Stable: the same alert keeps its key.")
    authorisation: str
    kind: str
    severity: str
    entry_ref: str | None
    lot: str | None
    message: str
    due: str | None
    first_seen: str


class AlertsOut(BaseModel):
    as_of_block: int
    today: str
    alerts: list[AlertOut]


class AuthorisationOut(BaseModel):
    reference: str
    holder: str
    holder_eori: str
    status: str
    relation: str | None
    records: int
    open_alerts: dict[str, int]


class MeOut(BaseModel):
    address: str
    via: str
    roles: list[str]
    authorisations: list[str]
    expires: float | None = None


class HealthOut(BaseModel):
    ready: bool
    block: int | None = Field(description="The newest block read.")
    audited_block: int | None = Field(description="The block of the latest audit (alerts).")
    audit_seconds: float | None = Field(description="How long the latest audit took.")
    error: str | None


class Detail(BaseModel):
    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Detail, "description": "No valid session or token."},
    404: {"model": Detail, "description": "No such authorisation that this account may see."},
    502: {"model": Detail, "description": "The ledger's node did not answer, or refused."},
}
Reference = Annotated[str, Field(min_length=1, max_length=128)]
AsOfQuery = Annotated[
    date | None,
    Query(
        description="The ledger as it stood at the end of this day (UTC): its last block by then, the "
        "records that occurred by then, deadlines judged that day (as `pa audit --as-of`)."
    ),
]


# ---------------------------------------------------------------- entries


def _problem_out(problem: JsonProblem) -> ProblemOut:
    return ProblemOut(
        entry=problem.entry,
        path=problem.path,
        field=problem.field,
        value=problem.value,
        message=problem.message,
        text=problem.text,
    )


def _results(report: Report, entries: list[int]) -> list[EntryResultOut]:
    out = []
    for result, entry in zip(report.results, entries, strict=True):
        item = result.item.entry
        out.append(
            EntryResultOut(
                entry=entry,
                authorisation=item.authorisation,
                entry_ref=item.entry_ref,
                kind=item.kind,
                outcome=result.outcome.value,
                reason=result.reason,
                error=result.error_name,
                transaction=result.transaction,
                block=result.block,
            )
        )
    return out


@router.post(
    "/entries",
    response_model=SubmissionOut,
    responses={
        **ERRORS,
        403: {
            "model": Detail,
            "description": "The caller cannot submit (no signing account), or sent from another site's page.",
        },
        413: {"model": Detail, "description": "The body is larger than the server takes (`--max-body-mb`)."},
        422: {"model": SubmissionOut, "description": "Problems found: nothing was sent."},
    },
    summary="Submit entries",
    operation_id="submitEntries",
)
def submit_entries(body: EntriesIn, principal: Caller, ctx: Ctx) -> Any:
    """Checks the entries whole (the same checks and messages as `pa submit`), simulates them on the
    ledger, then records them signed with the account the token is bound to. Idempotent by
    `entry_ref`: an entry already on the ledger is reported `already recorded`, never recorded twice."""
    token = principal.token
    if token is None or not may_submit_with(principal.via, token.can_sign):
        return JSONResponse(
            status_code=403,
            content={"detail": "entries are submitted with an API token bound to a signing account"},
        )
    skip = body.on_error == "skip"
    checked = read_json_entries([entry.model_dump(exclude_none=True) for entry in body.entries])
    access = ctx.access(principal.address)
    for item, entry in zip(list(checked.items), list(checked.entry_of_item), strict=True):
        reference = item.entry.authorisation
        if not may_view(access, reference):
            checked.problems.append(
                JsonProblem(
                    entry,
                    f"entries[{entry}]",
                    "authorisation",
                    reference,
                    f"no authorisation {reference} that account {principal.address} may record for",
                )
            )
    if checked.problems:
        bad = {p.entry for p in checked.problems}
        keep = [(i, e) for i, e in zip(checked.items, checked.entry_of_item, strict=True) if e not in bad]
        checked.items, checked.entry_of_item = [i for i, _ in keep], [e for _, e in keep]
        checked.problems.sort(key=lambda p: p.entry if p.entry is not None else -1)
        if not skip or not checked.items:
            count = len(checked.problems)
            return JSONResponse(
                status_code=422,
                content=SubmissionOut(
                    status="refused",
                    message=f"{count:,} problem{'' if count == 1 else 's'} found in the entries: nothing was sent",
                    refused=len(bad),
                    problems=[_problem_out(p) for p in checked.problems],
                ).model_dump(),
            )
    client = ctx.signers.client_for(token)
    with ctx.signers.lock_for(principal.address):
        submission = submit_items(
            client, checked.items, data_dir=ctx.settings.data_dir, dry_run=body.dry_run, skip_rejected=skip
        )
    ctx.tracker.nudge()
    report = submission.report
    results = _results(report, checked.entry_of_item)
    problems = [_problem_out(p) for p in checked.problems]
    for result, out in zip(
        report.rejected, [r for r in results if r.outcome == Outcome.REJECTED.value], strict=True
    ):
        problems.append(
            ProblemOut(
                entry=out.entry,
                path=f"entries[{out.entry}]",
                field=None,
                value=None,
                message=result.reason or str(result.error_name),
                text=f"entries[{out.entry}]: entry {out.entry_ref}: {result.reason}",
            )
        )
    refused = len({p.entry for p in problems})
    summary = dict(
        recorded=submission.recorded,
        already_recorded=submission.already,
        refused=refused,
        transactions=report.transactions,
        problems=problems,
        results=results,
    )
    if submission.refused_by_ledger:
        return JSONResponse(
            status_code=422,
            content=SubmissionOut(
                status="refused",
                message=submission.refusal("entries"),
                **summary,  # type: ignore[arg-type]
            ).model_dump(),
        )
    message = submission.summary(refused=refused)
    if body.dry_run:
        return SubmissionOut(status="checked", message=message, **summary)  # type: ignore[arg-type]
    return SubmissionOut(
        status="partial" if refused else "recorded",
        message=message,
        **summary,  # type: ignore[arg-type]
    )


@router.get(
    "/authorisations/{reference}/entries/{entry_ref}",
    response_model=EntryStatusOut,
    responses=ERRORS,
    summary="Status of an entry",
    operation_id="getEntryStatus",
)
def entry_status(reference: Reference, entry_ref: Reference, principal: Caller, ctx: Ctx) -> EntryStatusOut:
    """Whether the entry is recorded, and where: its sequence, block, transaction and times."""
    visible_reference(ctx, ctx.access(principal.address), reference)
    state = ctx.ledger.entry_state(reference, entry_ref)
    if state.kind == "none":
        return EntryStatusOut(authorisation=reference, entry_ref=entry_ref, status="not recorded")
    meta = ctx.tracker.record(reference, entry_ref)
    if meta is None:
        ctx.tracker.nudge()
        deadline = time.monotonic() + 3
        while meta is None and time.monotonic() < deadline:
            time.sleep(0.05)
            meta = ctx.tracker.record(reference, entry_ref)
    details: dict[str, Any] = {}
    if meta is not None:
        found = meta.to_json()
        details = {
            k: found[k]
            for k in (
                "sequence",
                "block",
                "log_index",
                "transaction",
                "occurred_at",
                "recorded_at",
                "delay_seconds",
                "account",
                "head",
            )
        }
    return EntryStatusOut(
        authorisation=reference,
        entry_ref=entry_ref,
        status="recorded",
        kind=state.kind,
        corrected=state.corrected,
        **details,
    )


# ---------------------------------------------------------------- audit, bill, alerts


@router.get(
    "/authorisations",
    response_model=list[AuthorisationOut],
    responses=ERRORS,
    summary="Authorisations the caller may see",
    operation_id="listAuthorisations",
)
def authorisations(principal: Caller, ctx: Ctx) -> list[AuthorisationOut]:
    """The authorisations the caller may see."""
    access = ctx.access(principal.address)
    state = audit_state(ctx)
    result = state.result
    out = []
    for reference in visible(access, result.references):
        terms = result.terms.get(reference)
        counts = {s: 0 for s in SEVERITY_RANK}
        for alert in state.alerts:
            if alert.authorisation == reference:
                counts[alert.severity] = counts.get(alert.severity, 0) + 1
        out.append(
            AuthorisationOut(
                reference=reference,
                holder=terms.holder if terms else "",
                holder_eori=terms.holder_eori if terms else "",
                status=status_of(result, reference),
                relation=relation(access, reference),
                records=ctx.tracker.record_count(reference),
                open_alerts=counts,
            )
        )
    return out


@router.get(
    "/authorisations/{reference}/audit",
    responses={**ERRORS, 200: {"description": "The audit JSON of docs/spec/interfaces.md §4."}},
    summary="Audit of an authorisation",
    operation_id="getAudit",
)
def audit_json(reference: Reference, principal: Caller, ctx: Ctx, as_of: AsOfQuery = None) -> dict[str, Any]:
    """The audit JSON (docs/spec/interfaces.md §4, as `pa audit --format json`) as of the latest final
    block, or with `as_of` as the ledger stood at the end of that day."""
    visible_reference(ctx, ctx.access(principal.address), reference)
    result = dated_result(ctx, as_of)
    if reference not in result.references:
        raise not_found(reference)
    return audit_document(result, reference)


@router.get(
    "/authorisations/{reference}/bill",
    responses={**ERRORS, 200: {"description": "The bill of discharge as JSON."}, 422: {"model": Detail}},
    summary="Bill of discharge",
    operation_id="getBillOfDischarge",
)
def bill_json(
    reference: Reference,
    principal: Caller,
    ctx: Ctx,
    period_start: PeriodStart,
    period_end: PeriodEnd,
    as_of: AsOfQuery = None,
) -> Any:
    """The bill of discharge (UCC-DA art. 175) of the placements whose period for discharge ends in
    the period, drawn from the ledger as it stands or, with `as_of`, as it stood at the end of that day."""
    return _drawn_bill(ctx, principal, reference, period_start, period_end, as_of)[1].to_json()


def _drawn_bill(
    ctx: WebContext,
    principal: Principal,
    reference: str,
    period_start: date,
    period_end: date,
    as_of: date | None = None,
) -> tuple[AuditResult, BillOfDischarge]:
    """The served audit and the bill of discharge of the period, for a caller who may see it."""
    visible_reference(ctx, ctx.access(principal.address), reference)
    if period_end < period_start:
        raise InputError(f"'to' {period_end} is before 'from' {period_start}")
    result = dated_result(ctx, as_of)
    if reference not in result.references:
        raise not_found(reference)
    return result, bill_of_discharge(result, reference, period_start, period_end)


@router.post(
    "/authorisations/{reference}/bills",
    response_model=BillLodgingOut,
    responses={
        **ERRORS,
        403: {"model": Detail, "description": "The caller cannot sign, or is not the holder or a declarant."},
        422: {"model": Detail, "description": "The period is reversed or has not ended yet."},
    },
    summary="Lodge a bill of discharge",
    operation_id="lodgeBill",
)
def lodge_bill_json(reference: Reference, body: BillLodgingIn, principal: Caller, ctx: Ctx) -> Any:
    """Draws the bill of discharge of the period from the ledger as it stands and records on the
    ledger that it was lodged (its SHA-256 and due date), signed with the token's account: the holder
    or a declarant of the authorisation. The same bill lodged again is found lodged: nothing is sent."""
    token = principal.token
    if token is None or not may_submit_with(principal.via, token.can_sign):
        return JSONResponse(
            status_code=403,
            content={"detail": "bills are lodged with an API token bound to a signing account"},
        )
    result, bill = _drawn_bill(ctx, principal, reference, body.period_start, body.period_end)
    with ctx.signers.lock_for(principal.address):
        lodging = lodge_bill(ctx.signers.client_for(token), bill, today=result.today)
    ctx.tracker.nudge()
    return BillLodgingOut(
        status="already lodged" if lodging.sent is None else "lodged",
        message=lodging.summary(),
        entry_ref=lodging.entry_ref,
        bill_sha256=lodging.bill_sha256,
        due=lodging.due,
        transaction=lodging.sent.tx_hash if lodging.sent else None,
        block=lodging.sent.block_number if lodging.sent else None,
    )


@router.get(
    "/authorisations/{reference}/bills/transaction",
    response_model=BillTransactionOut,
    responses={
        **ERRORS,
        422: {"model": Detail, "description": "The period is reversed or has not ended yet."},
    },
    summary="The transaction that lodges a bill of discharge",
    operation_id="getBillLodgingTransaction",
)
def bill_transaction(
    reference: Reference,
    principal: Caller,
    ctx: Ctx,
    period_start: PeriodStart,
    period_end: PeriodEnd,
) -> Any:
    """For a person's wallet (the dashboard's bill page): the unsigned `lodgeBill` call that lodges
    the bill of the period as the ledger gives it now, to be signed by the holder or a declarant; or
    that it is lodged already. The server holds no key of a person: the wallet signs and sends."""
    result, bill = _drawn_bill(ctx, principal, reference, period_start, period_end)
    lodging, record = lodging_of(ctx.ledger, bill, today=result.today)
    audited = lodging.entry_ref in set(result.tables.bills["entry_ref"].tolist())
    out = BillTransactionOut(
        entry_ref=lodging.entry_ref,
        bill_sha256=lodging.bill_sha256,
        due=lodging.due,
        lodged=record is None,
        chain_id=ctx.chain_id,
        audited=audited,
    )
    if record is not None:
        out.to = ctx.ledger.ledger.address
        out.data = "0x" + ctx.ledger.batch_call_data([record])[0].hex()
    return out


def _alert_out(alert: AlertItem) -> AlertOut:
    return AlertOut(**alert.to_json())


@router.get(
    "/alerts", response_model=AlertsOut, responses=ERRORS, summary="Open alerts", operation_id="listAlerts"
)
def alerts(
    principal: Caller,
    ctx: Ctx,
    authorisation: Annotated[str | None, Query(max_length=128)] = None,
    severity: Literal["critical", "warning", "info"] | None = None,
    kind: Literal[
        "deadline_near",
        "overdue",
        "yield_deviation",
        "late_record",
        "bill_due",
        "bill_overdue",
        "bill_outdated",
        "integrity",
    ]
    | None = None,
) -> AlertsOut:
    """The open alerts of the authorisations the caller may see, most severe first; `severity` keeps
    that severity and the more severe ones."""
    access = ctx.access(principal.address)
    if authorisation is not None:
        visible_reference(ctx, access, authorisation)
    state = audit_state(ctx)
    chosen = [
        alert
        for alert in state.alerts
        if may_view(access, alert.authorisation)
        and (authorisation is None or alert.authorisation == authorisation)
        and (severity is None or SEVERITY_RANK[alert.severity] <= SEVERITY_RANK[severity])
        and (kind is None or alert.kind == kind)
    ]
    return AlertsOut(
        as_of_block=state.block,
        today=state.result.today.isoformat(),
        alerts=[_alert_out(a) for a in chosen],
    )


# ---------------------------------------------------------------- who am I, signing in


@router.get(
    "/me",
    response_model=MeOut,
    responses={401: ERRORS[401]},
    summary="Who the caller is",
    operation_id="getMe",
)
def me(principal: Caller, ctx: Ctx) -> MeOut:
    access = ctx.access(principal.address)
    return MeOut(
        address=principal.address,
        via=principal.via,
        roles=list(access.roles),
        authorisations=visible(access, ctx.tracker.references()),
        expires=principal.expires,
    )


@router.get(
    "/health",
    response_model=HealthOut,
    summary="Is the server following the ledger",
    operation_id="getHealth",
)
def health(ctx: Ctx) -> HealthOut:
    state = ctx.tracker.audit_state
    return HealthOut(
        ready=ctx.tracker.ready,
        block=ctx.tracker.last_block,
        audited_block=state.block if state else None,
        audit_seconds=round(state.seconds, 3) if state else None,
        error=ctx.tracker.last_error,
    )
