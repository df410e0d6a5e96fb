"""The audit of one authorisation as the JSON document of docs/spec/interfaces.md §4: decimals as
strings, exact (quantities with 6 decimals, import goods equivalents shown with 6 decimals rounded
half up, money with 2), dates ISO 8601. `pa audit --format json`, the API's audit route and the
console all give this one document."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pa_client.audit.rules.duties import DEEMED_RELEASE, FREE_CIRCULATION
from pa_client.audit.rules.frames import rows
from pa_client.audit.rules.result import AuditResult, IntegrityResult
from pa_client.domain.quantities import display_equivalent, from_cents, from_micro, ppm_to_percent

__all__ = ["audit_document"]


def audit_document(result: AuditResult, reference: str) -> dict[str, Any]:
    """The audit of one authorisation as docs/spec/interfaces.md §4 defines it (JSON-ready: decimals are
    strings, exact; quantities with 6 decimals, equivalents shown with 6 decimals rounded half up,
    money with 2)."""
    one = result.for_authorisation(reference)
    check = result.integrity[reference]
    duties = rows(one.duty_due)
    return {
        "authorisation": reference,
        "as_of_block": result.as_of_block,
        "as_of_time": datetime.fromtimestamp(result.as_of_time, UTC).isoformat().replace("+00:00", "Z"),
        "basis": result.basis,
        "left_out": result.left_out,
        "integrity": {
            "entries": check.entries,
            "sequence": check.sequence,
            "head": "0x" + check.head.hex(),
            "verified": check.verified,
            **({} if result.registry is None else {"registry": _registry_json(result.registry)}),
        },
        "placements": [_placement_json(row) for row in rows(one.placements)],
        "discharges": [_discharge_json(row) for row in rows(one.discharges)],
        "duty_due": {
            "free_circulation": _money(result.duty_total_cents(reference, FREE_CIRCULATION)),
            "deemed_release": _money(result.duty_total_cents(reference, DEEMED_RELEASE)),
            "total": _money(result.duty_total_cents(reference)),
            "items": [_duty_json(row) for row in duties],
        },
        "alerts": [_alert_json(row) for row in rows(one.alerts)],
        # Listed, never counted: the records a correction reversed, and why.
        "corrected": [
            {
                "entry_ref": row["entry_ref"],
                "kind": row["kind"],
                "date": _day(row["date"]),
                "lot": row["lot"],
                "corrected_by": row["corrected_by"],
                "correction_date": _day(row["correction_date"]),
                "reason": row["reason"],
            }
            for row in rows(one.corrected)
        ],
        # Each end of a period for discharge: its bill's due date, and whether a bill covering it was
        # lodged on the ledger (and is still the ledger's bill).
        "bills": [
            {
                "period_end": _day(row["period_end"]),
                "due": _day(row["due"]),
                "placements": list(row["placements"]),
                "lodged": row["lodged"],
                "lodging": row["lodging"],
                "lodged_at": _day(row["lodged_at"]),
                "lodged_by": row["lodged_by"],
                "bill_period": (
                    {"start": _day(row["bill_period_start"]), "end": _day(row["bill_period_end"])}
                    if row["lodged"]
                    else None
                ),
                "bill_sha256": row["bill_sha256"],
                "current": row["current"],
                "days_late": row["days_late"],
            }
            for row in rows(one.bills)
        ],
    }


def _money(cents: int) -> str:
    return str(from_cents(cents))


def _equivalent(amount: int) -> str:
    return str(display_equivalent(amount))


def _percent(ppm: int) -> str:
    return f"{ppm_to_percent(ppm).normalize():f}"


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _placement_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "entry_ref": row["entry_ref"],
        "lot": row["lot"],
        "declaration": row["declaration"],
        "date": _day(row["date"]),
        "goods_code": row["goods_code"],
        "quantity": str(from_micro(row["quantity"])),
        "unit": row["unit"],
        "customs_value": _money(row["customs_value_cents"]),
        "duty_rate": _percent(row["duty_rate_ppm"]),
        "suspended_duty": _money(row["suspended_duty_cents"]),
        "deadline": _day(row["deadline"]),
        "discharged": {mode: _equivalent(amount) for mode, amount in row["discharged"].items()},
        "remaining": _equivalent(row["remaining"]),
        "status": row["status"],
    }


def _discharge_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "entry_ref": row["entry_ref"],
        "lot": row["lot"],
        "lot_code": row["lot_code"],
        "mode": row["mode"],
        "declaration": row["declaration"],
        "date": _day(row["date"]),
        "quantity": str(from_micro(row["quantity"])),
        "import_equivalent": {code: _equivalent(amount) for code, amount in row["import_equivalent"].items()},
        "allocation": [
            {
                "placement": share["placement"],
                "goods_code": share["goods_code"],
                "quantity": _equivalent(share["quantity"]),
            }
            for share in row["allocation"]
        ],
    }


def _duty_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "basis": row["basis"],
        "entry_ref": row["entry_ref"],
        "placement": row["placement"],
        "goods_code": row["goods_code"],
        "date": _day(row["date"]),
        "quantity": _equivalent(row["quantity"]),
        "duty_rate": _percent(row["duty_rate_ppm"]),
        "amount": _money(row["amount_cents"]),
    }


def _registry_json(check: IntegrityResult) -> dict[str, Any]:
    return {"events": check.entries, "head": "0x" + check.head.hex(), "verified": check.verified}


def _alert_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": row["kind"],
        "severity": row["severity"],
        "entry_ref": row["entry_ref"],
        "lot": row["lot"],
        "message": row["message"],
        "due": _day(row["due"]),
    }
