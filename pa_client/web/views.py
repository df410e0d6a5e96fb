"""What each page shows, as display strings, tables and SVG charts, from the live audit
(`live.AuditState`) and the tracker's records. Numbers are formatted by `present.display` (exact), the
charts are `present.charts`; the templates only lay out."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from pa_client.audit.rules.deadlines import BILL_DUE_DAYS
from pa_client.audit.rules.frames import rows
from pa_client.audit.rules.placements import under_procedure
from pa_client.audit.rules.result import AuditResult
from pa_client.domain.models import Authorisation
from pa_client.present import display
from pa_client.present.html_report import Cell, Table, deadline_chart, yield_chart
from pa_client.web import i18n
from pa_client.web.live import AlertItem, AuditState, RecordMeta, Tracker

LATEST_RECORDS = 25
ROW_LIMIT = 500


@dataclass
class Link(Cell):
    """A table cell whose text links to a page."""

    href: str = ""


@dataclass
class Lines(Cell):
    """A table cell of several lines, each with an optional link."""

    lines: list[tuple[str, str | None]] = field(default_factory=list)


def auth_url(reference: str) -> str:
    return f"/authorisations/{quote(reference, safe='')}"


def record_url(reference: str, entry_ref: str) -> str:
    return f"{auth_url(reference)}/records/{quote(entry_ref, safe='')}"


def short_address(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}" if len(address) > 12 else address


def moment(seconds: int) -> str:
    return display.moment(datetime.fromtimestamp(seconds, UTC))


def _by_reference(frame_rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in frame_rows:
        grouped[row["authorisation"]].append(row)
    return grouped


def status_of(result: AuditResult, reference: str) -> str:
    changes = result.tables.statuses.get(reference, [])
    return changes[-1].status if changes else "active"


def record_view(meta: RecordMeta, lang: str) -> dict[str, Any]:
    return {
        **meta.to_json(),
        "kind_label": i18n.kind_label(lang, meta.kind),
        "url": record_url(meta.authorisation, meta.entry_ref),
    }


def alert_view(alert: AlertItem, lang: str) -> dict[str, Any]:
    subject = " · ".join(x for x in (alert.entry_ref, f"lot {alert.lot}" if alert.lot else None) if x)
    return {
        **alert.to_json(),
        "kind_label": i18n.alert_label(lang, alert.kind),
        "severity_label": i18n.translator(lang).get(alert.severity, alert.severity),
        "subject": subject,
        "due_text": display.day(alert.due) if alert.due else "",
        "url": _alert_url(alert),
    }


def _alert_url(alert: AlertItem) -> str | None:
    """Where an alert leads: the bill of discharge it is about, or the record it names."""
    if alert.kind in ("bill_due", "bill_overdue") and alert.due is not None:
        period_end = (alert.due - timedelta(days=BILL_DUE_DAYS)).isoformat()
        return f"{auth_url(alert.authorisation)}/bill?from={period_end}&to={period_end}"
    return record_url(alert.authorisation, alert.entry_ref) if alert.entry_ref else None


# ---------------------------------------------------------------- the overview


def overview(state: AuditState, tracker: Tracker, references: list[str], lang: str) -> list[dict[str, Any]]:
    """One row per authorisation the account may see."""
    t = i18n.translator(lang)
    result = state.result
    units = result.import_units()
    placements = _by_reference(rows(result.placements))
    alerts: dict[str, Counter[str]] = defaultdict(Counter)
    for alert in state.alerts:
        alerts[alert.authorisation][alert.severity] += 1
    out = []
    for reference in references:
        terms = result.terms.get(reference)
        remaining: dict[str, int] = defaultdict(int)
        open_deadlines: list[date] = []
        overdue = opened = 0
        for row in placements.get(reference, []):
            if row["status"] == "discharged":
                continue
            remaining[row["goods_code"]] += int(row["remaining"])
            if row["status"] == "overdue":
                overdue += 1
            else:
                opened += 1
                open_deadlines.append(row["deadline"])
        latest = tracker.records(reference, limit=1)
        last = record_view(latest[0], lang) if latest else None
        next_deadline = min(open_deadlines) if open_deadlines else None
        status = status_of(result, reference)
        out.append(
            {
                "reference": reference,
                "url": auth_url(reference),
                "holder_eori": terms.holder_eori if terms else "",
                "holder": terms.holder if terms else "",
                "holder_short": short_address(terms.holder) if terms else "",
                "status": status,
                "status_label": i18n.status_label(lang, status),
                "open": [
                    {
                        "code": display.goods_code(code),
                        "quantity": display.equivalent_quantity(amount, units.get(code, "")),
                    }
                    for code, amount in sorted(remaining.items())
                ],
                "next_deadline": display.day(next_deadline) if next_deadline else None,
                "days_left": (next_deadline - result.today).days if next_deadline else None,
                "in_days": t["in_days"].format((next_deadline - result.today).days) if next_deadline else "",
                "overdue": overdue,
                "overdue_text": f"{overdue} {t['overdue_count']}" if overdue else "",
                "open_placements": opened,
                "alerts": {s: alerts[reference][s] for s in ("critical", "warning", "info")},
                "last": last,
                "records": tracker.record_count(reference),
            }
        )
    return out


# ---------------------------------------------------------------- one authorisation


def _terms(terms: Authorisation | None) -> dict[str, Any] | None:
    if terms is None:
        return None
    return {
        "holder_eori": terms.holder_eori,
        "holder": terms.holder,
        "office": terms.supervising_office,
        "valid": f"{display.day(terms.valid_from)} – {display.day(terms.valid_until)}",
        "period": f"{terms.discharge_period_months} months"
        + (
            f", {display.PERIOD_END_LABELS[terms.period_end.value]}"
            if terms.period_end.value != "none"
            else ""
        ),
        "tolerance": f"{display.plain(terms.yield_tolerance_percent)} %",
        "import_goods": ", ".join(display.goods_code(c) for c in terms.import_goods),
    }


def _placements_table(result: AuditResult, t: dict[str, str], lang: str) -> Table:
    table = Table(
        [
            (t["placement"], False),
            (t["date"], False),
            (t["lot"], False),
            (t["goods_code"], False),
            (t["quantity"], True),
            (t["remaining"], True),
            (t["deadline"], False),
            (t["status"], False),
        ]
    )
    for row in rows(result.placements):
        table.total += 1
        if len(table.rows) >= ROW_LIMIT:
            continue
        deadline = Cell(display.day(row["deadline"]), css="nowrap")
        if row["extended"]:
            deadline.sub = f"↻ {display.day(row['period_deadline'])}"
        table.rows.append(
            [
                Link(
                    row["entry_ref"],
                    css="nowrap strong",
                    href=record_url(row["authorisation"], row["entry_ref"]),
                ),
                Cell(display.day(row["date"]), css="nowrap"),
                Cell(row["lot"], css="nowrap"),
                Cell(display.goods_code(row["goods_code"]), css="nowrap"),
                Cell(display.quantity(row["quantity"], row["unit"]), numeric=True),
                Cell(display.equivalent_quantity(row["remaining"], row["unit"]), numeric=True),
                deadline,
                Cell(i18n.status_label(lang, row["status"]), css=f"badge st-{row['status']}"),
            ]
        )
    table.empty = t["none"]
    return table


def _discharges_table(result: AuditResult, t: dict[str, str], lang: str) -> Table:
    units = result.import_units()
    table = Table(
        [
            (t["entry"], False),
            (t["date"], False),
            (t["mode"], False),
            (t["lot"], False),
            (t["quantity"], True),
            (t["import_equivalent"], False),
            (t["allocation"], False),
        ]
    )
    for row in rows(result.discharges):
        table.total += 1
        if len(table.rows) >= ROW_LIMIT:
            continue
        equivalents: list[tuple[str, str | None]] = [
            (f"{display.goods_code(code)}: {display.equivalent_quantity(amount, units.get(code, ''))}", None)
            for code, amount in sorted(row["import_equivalent"].items())
        ]
        shares = [
            (
                f"{share['placement'] or t['allocation_none']} ← "
                f"{display.equivalent_quantity(share['quantity'], units.get(share['goods_code'], ''))}",
                record_url(row["authorisation"], share["placement"]) if share["placement"] else None,
            )
            for share in row["allocation"]
        ]
        table.rows.append(
            [
                Link(
                    row["entry_ref"],
                    css="nowrap strong",
                    href=record_url(row["authorisation"], row["entry_ref"]),
                ),
                Cell(display.day(row["date"]), css="nowrap"),
                Cell(i18n.mode_label(lang, row["mode"]), css=f"mode mode-{row['mode']}"),
                Cell(row["lot"], css="nowrap"),
                Cell(display.quantity(row["quantity"], row["unit"]), numeric=True),
                Lines(display.DASH, css="small nowrap", lines=equivalents),
                Lines(display.DASH, css="small nowrap", lines=shares),
            ]
        )
    table.empty = t["none"]
    return table


def _stock_table(result: AuditResult, t: dict[str, str]) -> Table:
    table = Table(
        [
            (t["lot"], False),
            (t["site"], False),
            (t["goods_code"], False),
            (t["description"], False),
            (t["quantity"], True),
        ]
    )
    for row in rows(result.stock):
        table.total += 1
        if len(table.rows) >= ROW_LIMIT:
            continue
        table.rows.append(
            [
                Cell(row["lot"], css="nowrap strong"),
                Cell(row["site"], css="nowrap"),
                Cell(display.goods_code(row["goods_code"]), css="nowrap"),
                Cell(row["description"] or display.DASH, css="desc"),
                Cell(
                    display.quantity(row["quantity"], row["unit"]),
                    numeric=True,
                    title=display.unit_title(row["unit"]),
                ),
            ]
        )
    table.empty = t["none"]
    return table


def _under_procedure(result: AuditResult) -> list[dict[str, str]]:
    units = result.import_units()
    return [
        {
            "code": display.goods_code(row["goods_code"]),
            "placed": display.equivalent_quantity(row["placed"], units.get(row["goods_code"], "")),
            "remaining": display.equivalent_quantity(row["remaining"], units.get(row["goods_code"], "")),
        }
        for row in rows(under_procedure(result.placements))
    ]


def overview_cards(rows_shown: list[dict[str, Any]], lang: str) -> dict[str, dict[str, Any]]:
    """The overview's summary cards (the page renders them, and its live updates fetch them)."""
    t = i18n.translator(lang)
    upcoming = sorted((row["next_deadline"], row["reference"]) for row in rows_shown if row["next_deadline"])
    critical = sum(row["alerts"]["critical"] for row in rows_shown)
    warning = sum(row["alerts"]["warning"] for row in rows_shown)
    overdue = sum(row["overdue"] for row in rows_shown)
    opened = sum(row["open_placements"] for row in rows_shown)
    records = sum(row["records"] for row in rows_shown)
    open_alerts = t["open_alerts"].lower()
    return {
        "authorisations": {"value": str(len(rows_shown)), "detail": f"{records:,} {t['records']}"},
        "critical": {"value": str(critical), "detail": open_alerts, "alarm": "crit" if critical else ""},
        "warning": {"value": str(warning), "detail": open_alerts, "alarm": "warnc" if warning else ""},
        "overdue": {
            "value": str(overdue),
            "detail": f"{opened} {t['open']}",
            "alarm": "crit" if overdue else "",
        },
        "next_deadline": {
            "value": upcoming[0][0] if upcoming else display.DASH,
            "detail": upcoming[0][1] if upcoming else "",
        },
    }


LIVE_ROW_FIELDS = ("open", "next_deadline", "in_days", "overdue_text")


def overview_live_rows(rows_shown: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """What a new block can change in each overview row besides its alert counts and last record
    (which the events update): the goods still under the procedure and the next deadline."""
    return {row["reference"]: {name: row[name] for name in LIVE_ROW_FIELDS} for row in rows_shown}


def authorisation_cards(one: AuditResult, reference: str, lang: str) -> dict[str, Any]:
    """An authorisation's summary cards: the page renders them, and its live updates fetch them
    after each audited block."""
    t = i18n.translator(lang)
    statuses = Counter(row["status"] for row in rows(one.placements))
    check = one.integrity[reference]
    return {
        "records": {
            "verified": check.verified,
            "sequence": f"{check.sequence:,}",
            "head": "0x" + check.head.hex(),
            "head_short": display.short_hash(check.head),
        },
        "placements": {
            "value": str(sum(statuses.values())),
            "detail": f"{statuses['open']} {t['open']} · {statuses['overdue']} {t['overdue']} · "
            f"{statuses['discharged']} {t['discharged']}",
        },
        "under_procedure": _under_procedure(one),
        "duty_due": {
            "value": display.eur(one.duty_total_cents(reference)),
            # Which audit the figures come from (at block N, or as of a day's end): updated with them.
            "detail": f"{t['as_of']} {display.day(one.today)} · {one.basis}",
        },
    }


def authorisation(
    state: AuditState, tracker: Tracker, reference: str, lang: str, cut: int | None = None
) -> dict[str, Any]:
    """The authorisation page's view; with `cut` (an `as_of` day's end, Unix seconds) its records
    are those of the audited blocks that occurred by then, as in the audit."""
    t = i18n.translator(lang)
    records = tracker.records(reference)
    if cut is not None:
        records = [r for r in records if r.block <= state.block and r.occurred_at <= cut]
    one = state.result.for_authorisation(reference)
    cards = authorisation_cards(one, reference, lang)
    alerts = [alert_view(a, lang) for a in state.alerts if a.authorisation == reference]
    status = status_of(one, reference)
    return {
        "reference": reference,
        "url": auth_url(reference),
        "terms": _terms(one.terms.get(reference)),
        "status": status,
        "status_label": i18n.status_label(lang, status),
        "today": display.day(one.today),
        "basis": one.basis,
        "integrity": {**cards["records"], "detail": one.integrity[reference].detail},
        "cards": cards,
        "alerts": [a for a in alerts if a["severity"] != "info"],
        "info_alerts": [a for a in alerts if a["severity"] == "info"],
        "stock": _stock_table(one, t),
        "placements": _placements_table(one, t, lang),
        "deadline_chart": deadline_chart(one),
        "discharges": _discharges_table(one, t, lang),
        "yield_chart": yield_chart(one),
        "bills": bills_of(one, reference),
        "records": [record_view(r, lang) for r in records[:LATEST_RECORDS]],
        "record_count": len(records),
    }


def lodged_bill(result: AuditResult, reference: str, start: date, end: date) -> dict[str, Any] | None:
    """The bill lodged for exactly this span, as the audit's `bills` table counts it (`rules.lodging`:
    the latest lodging that was the ledger's bill, its day the block's), and whether it still is;
    None when no counted lodging has this span."""
    for row in rows(result.for_authorisation(reference).bills):
        if row["lodged"] and (row["bill_period_start"], row["bill_period_end"]) == (start, end):
            return {
                "entry_ref": row["lodging"],
                "date": display.day(row["lodged_at"]),
                "account": row["lodged_by"],
                "bill_sha256": row["bill_sha256"],
                "current": bool(row["current"]),
                "url": record_url(reference, row["lodging"]),
            }
    return None


def bills_of(result: AuditResult, reference: str) -> list[dict[str, Any]]:
    """Each end of a period for discharge with its bill's due date and whether it is lodged."""
    return [
        {
            "period_end": display.day(row["period_end"]),
            "due": display.day(row["due"]),
            "placements": len(row["placements"]),
            "lodged": row["lodged"],
            "lodging": row["lodging"],
            "lodging_url": record_url(reference, row["lodging"]) if row["lodging"] else None,
            "lodged_at": display.day(row["lodged_at"]) if row["lodged_at"] else "",
            "current": row["current"],
            "days_late": row["days_late"],
            # The lodged bill's own span when there is one (its page then says it is lodged), else the month.
            "url": f"{auth_url(reference)}/bill?from="
            f"{(row['bill_period_start'] or row['period_end'].replace(day=1)).isoformat()}"
            f"&to={(row['bill_period_end'] or row['period_end']).isoformat()}",
        }
        for row in rows(result.for_authorisation(reference).bills)
    ]


def default_bill_period(result: AuditResult, reference: str) -> tuple[date, date]:
    """From the first to the last placement deadline (the whole season), or the audit day."""
    deadlines = [row["deadline"] for row in rows(result.for_authorisation(reference).placements)]
    if not deadlines:
        return result.today, result.today
    first, last = min(deadlines), max(deadlines)
    return first.replace(day=1), last
