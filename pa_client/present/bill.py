"""The bill of discharge (décompte d'apurement, UCC-DA art. 175) as a printable HTML page and an XLSX
workbook, from `pa_client.audit.rules.bill.BillOfDischarge`.

Contents (docs/spec/domain.md): the authorisation, holder (EORI) and supervising office; the period covered and
the date the bill is due; each placement (MRN, date, CN8, description, quantity and unit, customs
value, duty rate, suspended duty); the rates of yield used; the processed products (main or
secondary, CN8, quantity); each discharge (mode, MRN, date, quantity, import goods equivalent, by
placement under FIFO); goods released for free circulation and deemed released, with the duty due;
the quantities carried forward or extended. A balance per import goods code closes the account.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Final

from pa_client.audit.rules.bill import BillDuty, BillOfDischarge, BillShare
from pa_client.domain.models import DischargeMode
from pa_client.domain.quantities import micro_to_equivalent
from pa_client.present import display
from pa_client.present.html_report import Cell, Table, environment, lot_cell, num_cell, text_cell
from pa_client.present.tables import (
    CENTS,
    DATE,
    DECIMAL,
    EQUIV,
    INT,
    MICRO,
    RATE,
    TEXT,
    ExportColumn,
    ExportTable,
)
from pa_client.present.xlsx_report import Cover, write_workbook

ROLE_LABELS: Final = {"main": "Main (MPP)", "secondary": "Secondary (SPP)"}
CARRIED_LABELS: Final = {"extended": "Period extended by customs", "not discharged": "Not discharged"}


def bill_name(bill: BillOfDischarge) -> str:
    return f"bill-of-discharge-{bill.authorisation}-{bill.period_start.isoformat()}-{bill.period_end.isoformat()}"


def _import_units(bill: BillOfDischarge) -> dict[str, str]:
    units: dict[str, str] = {}
    for placement in bill.placements:
        units.setdefault(placement.goods_code, placement.unit)
    return units


# ---------------------------------------------------------------- HTML


def _placements(bill: BillOfDischarge) -> Table:
    table = Table(
        [
            ("Placement / MRN", False),
            ("Date", False),
            ("Lot / CN code", False),
            ("Description", False),
            ("Quantity", True),
            ("Customs value EUR", True),
            ("Duty rate", True),
            ("Suspended duty EUR", True),
            ("Deadline", False),
            ("Bill due", False),
            ("Discharged", True),
            ("Remaining", True),
            ("Status", False),
        ]
    )
    for p in bill.placements:
        table.total += 1
        deadline = Cell(display.day(p.deadline), css="nowrap")
        if p.deadline != p.period_deadline:
            deadline.sub = f"extended; period ended {display.day(p.period_deadline)}"
        table.rows.append(
            [
                Cell(p.entry_ref, css="nowrap strong", sub=p.declaration),
                text_cell(display.day(p.date), css="nowrap"),
                Cell(p.lot, css="nowrap", sub=display.goods_code(p.goods_code)),
                text_cell(p.description, css="desc"),
                num_cell(display.quantity(p.quantity, p.unit), title=display.unit_title(p.unit)),
                num_cell(display.money(p.customs_value_cents)),
                num_cell(display.percent(p.duty_rate_ppm)),
                num_cell(display.money(p.suspended_duty_cents)),
                deadline,
                text_cell(display.day(p.due), css="nowrap"),
                Cell(
                    display.equivalent_quantity(sum(p.discharged.values()), p.unit),
                    numeric=True,
                    sub="; ".join(
                        f"{display.MODE_SHORT.get(mode, mode)} {display.equivalent_quantity(amount, p.unit)}"
                        for mode, amount in p.discharged.items()
                        if mode != "reexport"
                    ),
                ),
                num_cell(
                    display.equivalent_quantity(p.remaining, p.unit),
                    css="strong" if p.status != "discharged" else "",
                ),
                Cell(display.label(display.STATUS_LABELS, p.status), css=f"pill st-{p.status}"),
            ]
        )
        table.row_classes.append(f"st-row-{p.status}")
    table.empty = "No placement's period for discharge ends in this period."
    return table


def _rates(bill: BillOfDischarge) -> Table:
    table = Table(
        [
            ("Product", False),
            ("Description", False),
            ("Import goods", False),
            ("Import goods per unit of product", True),
            ("Rate of yield (product per unit of import goods)", True),
            ("Authorisation version", True),
        ]
    )
    for r in bill.rates_of_yield:
        table.total += 1
        table.rows.append(
            [
                text_cell(
                    f"{display.goods_code(r.product_code)} ({display.unit_symbol(r.unit)})", css="nowrap"
                ),
                text_cell(r.description, css="desc"),
                text_cell(display.goods_code(r.goods_code), css="nowrap"),
                num_cell(display.ratio(r.contains)),
                num_cell(display.ratio(r.rate_of_yield)),
                num_cell(str(r.version)),
            ]
        )
    table.empty = "No processed product was obtained from these placements."
    return table


def _products(bill: BillOfDischarge, units: dict[str, str]) -> Table:
    table = Table(
        [
            ("Processing", False),
            ("Date", False),
            ("Lot", False),
            ("Product", False),
            ("CN code", False),
            ("Description", False),
            ("Quantity", True),
            ("Import goods contained", True),
        ]
    )
    for p in bill.processed_products:
        table.total += 1
        contained = "; ".join(
            f"{display.goods_code(code)}: {display.equivalent_quantity(amount, units.get(code, ''))}"
            for code, amount in p.import_equivalent.items()
        )
        table.rows.append(
            [
                text_cell(p.processing, css="nowrap"),
                text_cell(display.day(p.date), css="nowrap"),
                text_cell(p.lot, css="nowrap"),
                text_cell(ROLE_LABELS.get(p.role, p.role), css="nowrap"),
                text_cell(display.goods_code(p.product_code), css="nowrap"),
                text_cell(p.description, css="desc"),
                num_cell(display.quantity(p.quantity, p.unit), title=display.unit_title(p.unit)),
                num_cell(contained),
            ]
        )
    table.empty = "No processed product."
    return table


def _discharges(bill: BillOfDischarge, units: dict[str, str]) -> Table:
    table = Table(
        [
            ("Discharge", False),
            ("Mode", False),
            ("MRN", False),
            ("Date", False),
            ("Lot (CN code)", False),
            ("Quantity", True),
            ("Import goods", False),
            ("Equivalent", True),
            ("Placement (FIFO)", False),
            ("Allocated", True),
        ]
    )
    covered = {p.entry_ref for p in bill.placements}
    for d in bill.discharges:
        table.total += 1
        shares: dict[str, list[BillShare]] = defaultdict(list)
        for part in d.allocation:
            shares[part.goods_code].append(part)
        head = [
            Cell(d.entry_ref, css="nowrap strong"),
            Cell(display.mode_label(d.mode), css=f"mode mode-{d.mode}"),
            Cell(d.declaration or display.DASH, css="mono"),
            Cell(display.day(d.date), css="nowrap"),
            lot_cell(d.lot, d.lot_code or d.product_code, d.product_code, d.import_equivalent),
            Cell(display.quantity(d.quantity, d.unit), numeric=True),
        ]
        groups = []
        codes: list[str | None] = [*sorted(set(d.import_equivalent) | set(shares))] or [None]
        for code in codes:
            if code is None:  # nothing to allocate: one line of dashes
                groups.append(([text_cell(None), text_cell(None)], [[text_cell(None), text_cell(None)]]))
                continue
            unit = units.get(code, "")
            equivalent = display.equivalent_quantity(d.import_equivalent.get(code, 0), unit)
            own = [Cell(display.goods_code(code), css="nowrap"), Cell(equivalent, numeric=True)]
            members = []
            for share in shares[code]:
                inside = share.placement in covered
                label = (share.placement or "no placement") + ("" if inside else " (not in this bill)")
                members.append(
                    [
                        text_cell(label, css="nowrap" if inside else "nowrap muted"),
                        num_cell(
                            display.equivalent_quantity(share.quantity, unit), css="" if inside else "muted"
                        ),
                    ]
                )
            groups.append((own, members or [[text_cell(None), text_cell(None)]]))
        table.add_spanning(head, groups)
    table.empty = "No discharge of these placements."
    return table


def _duties(duties: tuple[BillDuty, ...], units: dict[str, str], empty: str) -> Table:
    table = Table(
        [
            ("Entry", False),
            ("Placement", False),
            ("CN code", False),
            ("Date", False),
            ("Quantity (equivalent)", True),
            ("Duty rate", True),
            ("Duty EUR", True),
        ]
    )
    for d in duties:
        table.total += 1
        table.rows.append(
            [
                text_cell(d.entry_ref, css="nowrap"),
                text_cell(d.placement, css="nowrap"),
                text_cell(display.goods_code(d.goods_code), css="nowrap"),
                text_cell(display.day(d.date), css="nowrap"),
                num_cell(display.equivalent_quantity(d.quantity, units.get(d.goods_code, ""))),
                num_cell(display.percent(d.duty_rate_ppm)),
                num_cell(display.money(d.amount_cents), css="strong"),
            ]
        )
    table.empty = empty
    return table


def _carried(bill: BillOfDischarge, units: dict[str, str]) -> Table:
    table = Table(
        [
            ("Placement", False),
            ("CN code", False),
            ("Remaining", True),
            ("Deadline", False),
            ("Reason", False),
        ]
    )
    for c in bill.carried_forward:
        table.total += 1
        table.rows.append(
            [
                text_cell(c.placement, css="nowrap"),
                text_cell(display.goods_code(c.goods_code), css="nowrap"),
                num_cell(display.equivalent_quantity(c.remaining, c.unit), css="strong"),
                text_cell(display.day(c.deadline), css="nowrap"),
                Cell(CARRIED_LABELS.get(c.reason, c.reason), sub=c.extension or ""),
            ]
        )
    table.empty = "Nothing is carried forward: every placement of the period is accounted for."
    return table


def balance(bill: BillOfDischarge) -> list[dict[str, Any]]:
    """Per import goods code: placed = discharged by each mode + deemed released + carried forward
    (+ remaining otherwise), all as import goods equivalents (10^-18)."""
    out: dict[str, dict[str, Any]] = {}
    for p in bill.placements:
        entry = out.setdefault(
            p.goods_code,
            {
                "placed": 0,
                "modes": defaultdict(int),
                "deemed": 0,
                "carried": 0,
                "remaining": 0,
                "unit": p.unit,
            },
        )
        entry["placed"] += micro_to_equivalent(p.quantity)
        for mode, amount in p.discharged.items():
            entry["modes"][mode] += amount
        entry["remaining"] += p.remaining
    for d in bill.deemed_released:
        if d.goods_code in out:
            out[d.goods_code]["deemed"] += d.quantity
    for c in bill.carried_forward:
        if c.goods_code in out and c.reason != "extended":  # an extended placement is not covered
            out[c.goods_code]["carried"] += c.remaining
    return [{"code": code, **values} for code, values in sorted(out.items())]


def _balance_table(bill: BillOfDischarge) -> Table:
    modes = [m.value for m in DischargeMode if any(m.value in b["modes"] for b in balance(bill))]
    table = Table(
        [("Import goods", False), ("Placed", True)]
        + [(display.mode_label(m), True) for m in modes]
        + [("Deemed released", True), ("Carried forward", True)]
    )
    for b in balance(bill):
        unit = b["unit"]
        table.total += 1
        table.rows.append(
            [
                text_cell(display.goods_code(b["code"]), css="nowrap strong"),
                num_cell(display.equivalent_quantity(b["placed"], unit)),
            ]
            + [num_cell(display.equivalent_quantity(b["modes"].get(m, 0), unit)) for m in modes]
            + [
                num_cell(display.equivalent_quantity(b["deemed"], unit)),
                num_cell(display.equivalent_quantity(b["carried"], unit)),
            ]
        )
    table.empty = "No placement."
    return table


def bill_view(bill: BillOfDischarge) -> dict[str, Any]:
    units = _import_units(bill)
    free = bill.duty_free_circulation_cents
    deemed = bill.duty_deemed_release_cents
    return {
        "bill": bill,
        "period_start": display.long_day(bill.period_start),
        "period_end": display.long_day(bill.period_end),
        "due": display.long_day(bill.due),
        "as_of_block": f"{bill.as_of_block:,}",
        "basis": bill.basis,
        "allocation_key": bill.allocation_key,
        "value_key": bill.allocation_key == "value",
        "counts": {
            "placements": len(bill.placements),
            "discharges": len(bill.discharges),
            "products": len(bill.processed_products),
            "carried": len(bill.carried_forward),
        },
        "duty": {
            "free_circulation": display.eur(free),
            "deemed_release": display.eur(deemed),
            "total": display.eur(free + deemed),
            "suspended": display.eur(sum(p.suspended_duty_cents for p in bill.placements)),
            "customs_value": display.eur(sum(p.customs_value_cents for p in bill.placements)),
        },
        "placements": _placements(bill),
        "balance": _balance_table(bill),
        "rates": _rates(bill),
        "products": _products(bill, units),
        "discharges": _discharges(bill, units),
        "released": _duties(
            bill.released, units, "No goods of these placements were released for free circulation."
        ),
        "deemed": _duties(bill.deemed_released, units, "No goods are deemed released for free circulation."),
        "carried": _carried(bill, units),
    }


def bill_html(bill: BillOfDischarge) -> str:
    """The bill of discharge as one self-contained, printable HTML page."""
    return environment().get_template("bill.html.j2").render(**bill_view(bill))


def write_bill_html(bill: BillOfDischarge, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(bill_html(bill), encoding="utf-8")
    return path


# ---------------------------------------------------------------- XLSX


def _table(name: str, columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]) -> ExportTable:
    return ExportTable(name, tuple(ExportColumn(n, k) for n, k in columns), tuple(rows))


def bill_tables(bill: BillOfDischarge) -> list[ExportTable]:
    """The bill's lists as tables of exact cells (the XLSX sheets)."""
    eq, micro, cents, rate = display.equivalent, display.micro, display.cents, display.percent_of_ppm
    placements = _table(
        "bill_placements",
        [
            ("entry_ref", TEXT), ("declaration", TEXT), ("date", DATE), ("lot", TEXT), ("goods_code", TEXT),
            ("description", TEXT), ("quantity", MICRO), ("unit", TEXT), ("customs_value", CENTS),
            ("duty_rate_percent", RATE), ("suspended_duty", CENTS), ("period_deadline", DATE), ("deadline", DATE),
            ("due", DATE), *((f"discharged_{m.value}", EQUIV) for m in DischargeMode), ("remaining", EQUIV),
            ("status", TEXT),
        ],
        [
            (
                p.entry_ref, p.declaration, p.date, p.lot, p.goods_code, p.description, micro(p.quantity), p.unit,
                cents(p.customs_value_cents), rate(p.duty_rate_ppm), cents(p.suspended_duty_cents),
                p.period_deadline, p.deadline, p.due, *(eq(p.discharged.get(m.value, 0)) for m in DischargeMode),
                eq(p.remaining), p.status,
            )
            for p in bill.placements
        ],
    )  # fmt: skip
    rates = _table(
        "bill_rates",
        [
            ("version", INT), ("product_code", TEXT), ("description", TEXT), ("unit", TEXT), ("goods_code", TEXT),
            ("contains", TEXT), ("contains_decimal", DECIMAL), ("rate_of_yield", TEXT), ("rate_of_yield_decimal", DECIMAL),
        ],
        [
            (
                r.version, r.product_code, r.description, r.unit, r.goods_code,
                _ratio_text(r.contains), _ratio_decimal(r.contains),
                _ratio_text(r.rate_of_yield), _ratio_decimal(r.rate_of_yield),
            )
            for r in bill.rates_of_yield
        ],
    )  # fmt: skip
    codes = sorted({code for p in bill.processed_products for code in p.import_equivalent})
    products = _table(
        "bill_products",
        [
            ("processing", TEXT), ("date", DATE), ("lot", TEXT), ("role", TEXT), ("product_code", TEXT),
            ("description", TEXT), ("quantity", MICRO), ("unit", TEXT), *((f"import_equivalent_{c}", EQUIV) for c in codes),
        ],
        [
            (
                p.processing, p.date, p.lot, p.role, p.product_code, p.description, micro(p.quantity), p.unit,
                *(eq(p.import_equivalent.get(c, 0)) for c in codes),
            )
            for p in bill.processed_products
        ],
    )  # fmt: skip
    discharges = _table(
        "bill_discharges",
        [
            ("entry_ref", TEXT), ("mode", TEXT), ("declaration", TEXT), ("date", DATE), ("lot", TEXT),
            ("product_code", TEXT), ("lot_code", TEXT), ("quantity", MICRO), ("unit", TEXT), ("goods_code", TEXT),
            ("import_equivalent", EQUIV), ("placement", TEXT), ("allocated", EQUIV),
        ],
        [
            (
                d.entry_ref, d.mode, d.declaration, d.date, d.lot, d.product_code, d.lot_code, micro(d.quantity), d.unit,
                s.goods_code, eq(d.import_equivalent.get(s.goods_code, 0)), s.placement, eq(s.quantity),
            )
            for d in bill.discharges
            for s in d.allocation
        ],
    )  # fmt: skip

    def duties(name: str, items: tuple[BillDuty, ...]) -> ExportTable:
        return _table(
            name,
            [
                ("entry_ref", TEXT), ("placement", TEXT), ("goods_code", TEXT), ("date", DATE),
                ("quantity", EQUIV), ("duty_rate_percent", RATE), ("amount", CENTS),
            ],
            [
                (d.entry_ref, d.placement, d.goods_code, d.date, eq(d.quantity), rate(d.duty_rate_ppm), cents(d.amount_cents))
                for d in items
            ],
        )  # fmt: skip

    carried = _table(
        "bill_carried_forward",
        [
            ("placement", TEXT),
            ("goods_code", TEXT),
            ("remaining", EQUIV),
            ("deadline", DATE),
            ("reason", TEXT),
            ("extension", TEXT),
        ],
        [
            (c.placement, c.goods_code, eq(c.remaining), c.deadline, c.reason, c.extension)
            for c in bill.carried_forward
        ],
    )
    return [
        placements,
        rates,
        products,
        discharges,
        duties("bill_released", bill.released),
        duties("bill_deemed_released", bill.deemed_released),
        carried,
    ]


def _ratio_text(value: Any) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def _ratio_decimal(value: Any) -> Decimal:
    """A ratio to 6 decimals, rounded half up (the exact ratio is in the text column beside it)."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.000001"), ROUND_HALF_UP
    )


def write_bill_xlsx(bill: BillOfDischarge, path: Path) -> Path:
    """The bill as a workbook: the header and totals first, then one sheet per list."""
    free = bill.duty_free_circulation_cents
    deemed = bill.duty_deemed_release_cents
    header: list[tuple[str, Any, str | None]] = [
        ("Authorisation", bill.authorisation, None),
        ("Holder (EORI)", bill.holder_eori, None),
        ("Supervising office", bill.supervising_office, None),
        ("Periods for discharge ending from", bill.period_start, "yyyy-mm-dd"),
        ("to", bill.period_end, "yyyy-mm-dd"),
        ("Bill due by", bill.due, "yyyy-mm-dd"),
        ("Allocation key", bill.allocation_key, None),
        ("Drawn from the ledger as of block", bill.as_of_block, "0"),
        ("Basis", bill.basis, None),
        ("Placements covered", len(bill.placements), "0"),
        (
            "Customs value of the placements (EUR)",
            display.cents(sum(p.customs_value_cents for p in bill.placements)),
            "#,##0.00",
        ),
        (
            "Duty suspended on placement (EUR)",
            display.cents(sum(p.suspended_duty_cents for p in bill.placements)),
            "#,##0.00",
        ),
        ("Duty due on release for free circulation (EUR)", display.cents(free), "#,##0.00"),
        ("Duty due on deemed release (EUR)", display.cents(deemed), "#,##0.00"),
        ("Duty due, total (EUR)", display.cents(free + deemed), "#,##0.00"),
    ]

    cover = Cover(
        sheet="Bill of discharge",
        title="Bill of discharge",
        subtitle="Décompte d'apurement (UCC-DA art. 175)",
        rows=header,
    )
    moment = datetime.combine(bill.period_end, time())
    return write_workbook(bill_tables(bill), path, cover=cover, moment=moment)
