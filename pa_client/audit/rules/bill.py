"""The bill of discharge (décompte d'apurement, UCC-DA art. 175) of one authorisation for a period.

The period covered is a span of ends of periods for discharge. The bill covers the placements whose
period for discharge — as extended — ends in [period_start, period_end]: only those are charged
(their deemed release, the duty of what was released). A placement whose own period ended in the span
but which customs extended past it (UCC art. 257(2)) is not covered: it is carried forward, with the
extension's reference, and charged in the bill of its new period. Each covered placement's bill is due
30 days after its period ends (UCC-DA art. 175(1)); the bill is due on the earliest of these dates.
Contents (docs/spec/domain.md): the authorisation, holder (EORI) and supervising office; each
placement; the rates of yield used; the processed products obtained from those placements; each
discharge of them with its FIFO allocation; the goods deemed released and the duty due; the quantities
carried forward or extended.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from pa_client.audit.rules.alerts import AlertThresholds
from pa_client.audit.rules.deadlines import bill_due_date
from pa_client.audit.rules.duties import DEEMED_RELEASE, FREE_CIRCULATION
from pa_client.audit.rules.equivalents import lot_bases
from pa_client.audit.rules.frames import live, ratio_text, rows, utc_day
from pa_client.audit.rules.result import AuditResult
from pa_client.audit.tables import LedgerTables
from pa_client.domain.quantities import display_equivalent, from_cents, from_micro, ppm_to_percent

MAIN = "main"
SECONDARY = "secondary"


@dataclass(frozen=True)
class BillPlacement:
    entry_ref: str
    declaration: str  # MRN
    date: dt.date
    lot: str
    goods_code: str  # CN8
    description: str
    quantity: int  # millionths of the unit
    unit: str
    customs_value_cents: int
    duty_rate_ppm: int
    suspended_duty_cents: int
    period_deadline: dt.date
    deadline: dt.date
    due: dt.date  # this placement's bill: 30 days after its period for discharge (as extended) ends
    discharged: dict[str, int]  # by mode, 10^-18
    remaining: int  # 10^-18
    status: str


@dataclass(frozen=True)
class BillRate:
    """A rate of yield used: import goods per unit of product (and its inverse, the rate itself)."""

    version: int
    product_code: str
    description: str
    unit: str
    goods_code: str
    contains: Fraction

    @property
    def rate_of_yield(self) -> Fraction:
        return 1 / self.contains


@dataclass(frozen=True)
class BillProduct:
    processing: str  # entry_ref of the processing
    date: dt.date
    lot: str
    product_code: str  # CN8
    description: str
    quantity: int
    unit: str
    role: str  # main or secondary: the output holding the largest import goods equivalent is the main
    version: int
    import_equivalent: dict[str, int]


@dataclass(frozen=True)
class BillShare:
    placement: str | None
    goods_code: str
    quantity: int  # 10^-18


@dataclass(frozen=True)
class BillDischarge:
    entry_ref: str
    mode: str
    declaration: str | None
    date: dt.date
    lot: str
    product_code: str  # the lot's basis: its import goods code, or the product code it was made as
    quantity: int
    unit: str
    import_equivalent: dict[str, int]
    allocation: tuple[BillShare, ...]
    lot_code: str = ""  # the lot's CN code at the discharge (after any usual form of handling)


@dataclass(frozen=True)
class BillDuty:
    basis: str  # free_circulation or deemed_release
    entry_ref: str
    placement: str
    goods_code: str
    date: dt.date
    quantity: int  # 10^-18
    duty_rate_ppm: int
    amount_cents: int


@dataclass(frozen=True)
class BillCarriedForward:
    placement: str
    goods_code: str
    unit: str
    remaining: int  # 10^-18
    deadline: dt.date
    reason: str  # "extended" or "not discharged"
    extension: str | None = None  # the extension's entry_ref, when extended


@dataclass(frozen=True)
class BillOfDischarge:
    authorisation: str
    holder_eori: str
    supervising_office: str
    allocation_key: str
    period_start: dt.date
    period_end: dt.date
    due: dt.date
    as_of_block: int
    placements: tuple[BillPlacement, ...]
    rates_of_yield: tuple[BillRate, ...]
    processed_products: tuple[BillProduct, ...]
    discharges: tuple[BillDischarge, ...]
    released: tuple[BillDuty, ...]  # released for free circulation (shares of the covered placements)
    deemed_released: tuple[BillDuty, ...]
    carried_forward: tuple[BillCarriedForward, ...]
    basis: str = ""  # the audit's: "as of end of 2019-04-01 (block 1,200)", "at block 1,200", …

    @property
    def duty_free_circulation_cents(self) -> int:
        return sum(d.amount_cents for d in self.released)

    @property
    def duty_deemed_release_cents(self) -> int:
        return sum(d.amount_cents for d in self.deemed_released)

    def content_sha256(self) -> str:
        """The SHA-256 (hex) of the bill's content: its JSON, keys sorted, without spaces, UTF-8, without
        the block it was drawn at (the same bill drawn a block later is the same bill). What lodging
        records on the ledger, and what the audit compares the ledger's bill with."""
        content = self.to_json()
        del content["as_of_block"], content["basis"]
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def to_json(self) -> dict[str, Any]:
        """JSON-ready (decimals as strings: quantities 6 places, equivalents shown with 6, money 2)."""
        return {
            "authorisation": self.authorisation,
            "holder_eori": self.holder_eori,
            "supervising_office": self.supervising_office,
            "allocation_key": self.allocation_key,
            "period": {"start": self.period_start.isoformat(), "end": self.period_end.isoformat()},
            "due": self.due.isoformat(),
            "as_of_block": self.as_of_block,
            "basis": self.basis,
            "placements": [
                {
                    "entry_ref": p.entry_ref,
                    "declaration": p.declaration,
                    "date": p.date.isoformat(),
                    "lot": p.lot,
                    "goods_code": p.goods_code,
                    "description": p.description,
                    "quantity": str(from_micro(p.quantity)),
                    "unit": p.unit,
                    "customs_value": str(from_cents(p.customs_value_cents)),
                    "duty_rate": _percent(p.duty_rate_ppm),
                    "suspended_duty": str(from_cents(p.suspended_duty_cents)),
                    "deadline": p.deadline.isoformat(),
                    "due": p.due.isoformat(),
                    "discharged": {mode: _eq(amount) for mode, amount in p.discharged.items()},
                    "remaining": _eq(p.remaining),
                    "status": p.status,
                }
                for p in self.placements
            ],
            "rates_of_yield": [
                {
                    "version": r.version,
                    "product_code": r.product_code,
                    "description": r.description,
                    "unit": r.unit,
                    "goods_code": r.goods_code,
                    "contains": ratio_text(r.contains),
                    "rate_of_yield": ratio_text(r.rate_of_yield),
                }
                for r in self.rates_of_yield
            ],
            "processed_products": [
                {
                    "processing": p.processing,
                    "date": p.date.isoformat(),
                    "lot": p.lot,
                    "product_code": p.product_code,
                    "description": p.description,
                    "role": p.role,
                    "quantity": str(from_micro(p.quantity)),
                    "unit": p.unit,
                    "import_equivalent": {code: _eq(a) for code, a in p.import_equivalent.items()},
                }
                for p in self.processed_products
            ],
            "discharges": [
                {
                    "entry_ref": d.entry_ref,
                    "mode": d.mode,
                    "declaration": d.declaration,
                    "date": d.date.isoformat(),
                    "lot": d.lot,
                    "lot_code": d.lot_code,
                    "quantity": str(from_micro(d.quantity)),
                    "unit": d.unit,
                    "import_equivalent": {code: _eq(a) for code, a in d.import_equivalent.items()},
                    "allocation": [
                        {"placement": s.placement, "goods_code": s.goods_code, "quantity": _eq(s.quantity)}
                        for s in d.allocation
                    ],
                }
                for d in self.discharges
            ],
            "released_for_free_circulation": [_duty(d) for d in self.released],
            "deemed_released": [_duty(d) for d in self.deemed_released],
            "duty_due": {
                "free_circulation": str(from_cents(self.duty_free_circulation_cents)),
                "deemed_release": str(from_cents(self.duty_deemed_release_cents)),
                "total": str(from_cents(self.duty_free_circulation_cents + self.duty_deemed_release_cents)),
            },
            "carried_forward": [
                {
                    "placement": c.placement,
                    "goods_code": c.goods_code,
                    "remaining": _eq(c.remaining),
                    "deadline": c.deadline.isoformat(),
                    "reason": c.reason,
                    "extension": c.extension,
                }
                for c in self.carried_forward
            ],
        }


def _eq(amount: int) -> str:
    return str(display_equivalent(amount))


def _percent(ppm: int) -> str:
    return f"{ppm_to_percent(ppm).normalize():f}"


def _duty(d: BillDuty) -> dict[str, Any]:
    return {
        "entry_ref": d.entry_ref,
        "placement": d.placement,
        "goods_code": d.goods_code,
        "date": d.date.isoformat(),
        "quantity": _eq(d.quantity),
        "duty_rate": _percent(d.duty_rate_ppm),
        "amount": str(from_cents(d.amount_cents)),
    }


def bill_of_discharge(
    source: AuditResult | LedgerTables,
    reference: str,
    period_start: date,
    period_end: date,
    *,
    today: date | None = None,
) -> BillOfDischarge:
    """The bill of discharge of `reference` for the periods for discharge ending from `period_start` to
    `period_end`. From tables, the audit is run as of `today` (by default the day after the period, so
    that goods left at its end are overdue, and deemed released where the authorisation says so)."""
    if period_end < period_start:
        raise ValueError(f"the period ends ({period_end}) before it starts ({period_start})")
    if isinstance(source, LedgerTables):
        # Here, not at the top: the audit itself builds bills (to check the lodged ones, `lodging`).
        from pa_client.audit.rules.audit import audit

        source = audit(
            source,
            today=today or period_end + timedelta(days=1),
            thresholds=AlertThresholds(),
            integrity={},
            references=[reference],
        )
    result = source.for_authorisation(reference)
    terms = result.terms[reference]
    tables = result.tables

    covered: list[BillPlacement] = []
    carried: list[BillCarriedForward] = []
    for row in rows(result.placements):
        if row["extended"] and period_start <= row["period_deadline"] <= period_end < row["deadline"]:
            # Extended past the span: charged in the bill of its new period, only carried forward here.
            if display_equivalent(row["remaining"]) != 0:
                carried.append(_carried_forward(row, "extended"))
            continue
        if not period_start <= row["deadline"] <= period_end:
            continue
        covered.append(
            BillPlacement(
                entry_ref=row["entry_ref"],
                declaration=row["declaration"],
                date=row["date"],
                lot=row["lot"],
                goods_code=row["goods_code"],
                description=row["description"],
                quantity=int(row["quantity"]),
                unit=row["unit"],
                customs_value_cents=int(row["customs_value_cents"]),
                duty_rate_ppm=int(row["duty_rate_ppm"]),
                suspended_duty_cents=int(row["suspended_duty_cents"]),
                period_deadline=row["period_deadline"],
                deadline=row["deadline"],
                due=bill_due_date(row["deadline"]),
                discharged=dict(row["discharged"]),
                remaining=int(row["remaining"]),
                status=row["status"],
            )
        )
        if display_equivalent(row["remaining"]) != 0 and not (
            row["deemed_release"] and row["status"] == "overdue"
        ):
            carried.append(_carried_forward(row, "not discharged"))
    refs = {p.entry_ref for p in covered}

    discharges = [
        BillDischarge(
            entry_ref=row["entry_ref"],
            mode=row["mode"],
            declaration=row["declaration"],
            date=row["date"],
            lot=row["lot"],
            product_code=row["product_code"],
            quantity=int(row["quantity"]),
            unit=row["unit"],
            import_equivalent=dict(row["import_equivalent"]),
            allocation=tuple(
                BillShare(s["placement"], s["goods_code"], s["quantity"]) for s in row["allocation"]
            ),
            lot_code=row["lot_code"],
        )
        for row in rows(result.discharges)
        if any(s["placement"] in refs for s in row["allocation"])
    ]
    released: list[BillDuty] = []
    deemed: list[BillDuty] = []
    for row in rows(result.duty_due):
        if row["placement"] not in refs:
            continue
        duty = BillDuty(
            row["basis"],
            row["entry_ref"],
            row["placement"],
            row["goods_code"],
            row["date"],
            int(row["quantity"]),
            int(row["duty_rate_ppm"]),
            int(row["amount_cents"]),
        )
        if row["basis"] == FREE_CIRCULATION:
            released.append(duty)
        elif row["basis"] == DEEMED_RELEASE:
            deemed.append(duty)

    products = _products(tables, {p.lot for p in covered})
    rates: dict[tuple[int, str, str], BillRate] = {}
    for product in products:
        version_terms = tables.version(reference, product.version)
        for table_product in version_terms.products:
            if table_product.code != product.product_code:
                continue
            for code, ratio in table_product.contains.items():
                rates[(product.version, product.product_code, code)] = BillRate(
                    product.version,
                    product.product_code,
                    table_product.description,
                    table_product.unit,
                    code,
                    ratio,
                )
    return BillOfDischarge(
        authorisation=reference,
        holder_eori=terms.holder_eori,
        supervising_office=terms.supervising_office,
        allocation_key=terms.allocation_key.value,
        period_start=period_start,
        period_end=period_end,
        # The earliest due date of the placements covered (UCC-DA art. 175(1)): a holder following the
        # bill is never late for any of them. With none covered, 30 days after the span.
        due=min((p.due for p in covered), default=bill_due_date(period_end)),
        as_of_block=result.as_of_block,
        basis=result.basis,
        placements=tuple(covered),
        rates_of_yield=tuple(rates[key] for key in sorted(rates)),
        processed_products=tuple(products),
        discharges=tuple(discharges),
        released=tuple(released),
        deemed_released=tuple(deemed),
        carried_forward=tuple(carried),
    )


def _carried_forward(row: dict[str, Any], reason: str) -> BillCarriedForward:
    """A placement's remaining goods carried forward, with the extension's reference when extended."""
    return BillCarriedForward(
        row["entry_ref"],
        row["goods_code"],
        row["unit"],
        row["remaining"],
        row["deadline"],
        reason,
        row["extension"] if reason == "extended" else None,
    )


def _products(tables: LedgerTables, placed_lots: set[str]) -> list[BillProduct]:
    """The outputs of every live processing that consumed goods descending from the given import lots
    (directly, or through intermediate products), in chain order."""
    bases = lot_bases(tables)
    descends = set(placed_lots)
    inputs: dict[str, set[str]] = defaultdict(set)
    for row in rows(live(tables.processing_inputs)):
        inputs[row["entry_ref"]].add(row["lot"])
    outputs = live(tables.processing_outputs).sort_values("sequence", kind="stable")
    by_entry: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows(outputs):
        by_entry[row["entry_ref"]].append(row)
    products: list[BillProduct] = []
    for entry_ref, made in by_entry.items():
        if not inputs[entry_ref] & descends:
            continue
        equivalents = [
            bases[(row["authorisation"], row["lot"])].equivalents(int(row["quantity"])) for row in made
        ]
        main = max(range(len(made)), key=lambda i: sum(equivalents[i].values()))
        for i, row in enumerate(made):
            descends.add(row["lot"])
            products.append(
                BillProduct(
                    processing=entry_ref,
                    date=utc_day(row["occurred_at"]),
                    lot=row["lot"],
                    product_code=row["product_code"],
                    description=row["description"],
                    quantity=int(row["quantity"]),
                    unit=row["unit"],
                    role=MAIN if i == main else SECONDARY,
                    version=int(row["version"]),
                    import_equivalent=dict(sorted(equivalents[i].items())),
                )
            )
    return products
