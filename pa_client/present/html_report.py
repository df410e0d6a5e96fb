"""The audit report as one self-contained HTML file for a customs officer: inline CSS, inline SVG
charts, no JavaScript, no external resource (it opens offline and prints on A4).

Order: the summary (authorisation, holder, office, the block and time audited, integrity verified or
not, counts, what is still under the procedure per import goods code, duty due, alerts by severity),
then the alerts, the placements with their deadlines, the discharges with their FIFO allocation, the
duty due, the yields, the stock, the recording delays, and how the figures are computed.

The page is built from a view model of display strings (`audit_view`), so that the templates only lay
out; every number in it comes from `pa_client.present.display` (exact, formatted for people).
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Final

import jinja2

from pa_client.audit.rules.frames import rows, utc_day
from pa_client.audit.rules.placements import under_procedure
from pa_client.audit.rules.result import AuditResult
from pa_client.domain.models import Authorisation
from pa_client.present import charts, display

ROW_LIMIT: Final = 2_000  # rows of a table shown in the HTML; the XLSX and CSV carry them all
INFO_ALERTS_LISTED: Final = 12


@functools.cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of the packaged templates (autoescaped, strict), made once: it keeps
    the compiled templates (the dashboard renders a bill per request)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pa_client.present", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["goods_code"] = display.goods_code
    return env


@dataclass
class Cell:
    """A table cell: its text, whether it is a number (right-aligned), a CSS class, a tooltip."""

    text: str
    numeric: bool = False
    css: str = ""
    title: str = ""
    rowspan: int = 1
    sub: str = ""  # a second, smaller line


@dataclass
class Table:
    headers: list[tuple[str, bool]]  # (label, numeric)
    rows: list[list[Cell]] = field(default_factory=list)
    row_classes: list[str] = field(default_factory=list)
    total: int = 0  # rows before the limit
    empty: str = "None."

    @property
    def truncated(self) -> int:
        return max(0, self.total - len(self.rows))

    def add_spanning(self, head: list[Cell], groups: list[tuple[list[Cell], list[list[Cell]]]]) -> None:
        """One item over several lines (`group-start`, then `group-cont` rows): the `head` cells span
        them all; each group's own cells span its lines, one line per member's cells (a discharge:
        per import code its equivalent, then one line per FIFO share)."""
        groups = [(own, members) for own, members in groups if members] or [([], [[]])]
        for cell in head:
            cell.rowspan = sum(len(members) for _, members in groups)
        first = True
        for own, members in groups:
            for cell in own:
                cell.rowspan = len(members)
            for i, member in enumerate(members):
                self.rows.append([*(head if first else []), *(own if i == 0 else []), *member])
                self.row_classes.append("group-start" if first else "group-cont")
                first = False


def num_cell(text: str, *, css: str = "", title: str = "") -> Cell:
    return Cell(text, numeric=True, css=css, title=title)


def text_cell(text: str | None, *, css: str = "", title: str = "") -> Cell:
    return Cell(display.DASH if text in (None, "") else str(text), css=css, title=title)


def _unit(code: str) -> str:
    return display.unit_symbol(code)


# ---------------------------------------------------------------- summary


def _terms_view(terms: Authorisation | None) -> dict[str, Any] | None:
    if terms is None:
        return None
    products = []
    for product in terms.products:
        for code, ratio in product.contains.items():
            products.append(
                {
                    "code": product.code,
                    "description": product.description,
                    "unit": _unit(product.unit),
                    "goods_code": code,
                    "contains": display.ratio(ratio),
                    "rate": display.ratio(1 / ratio),
                }
            )
    return {
        "holder_eori": terms.holder_eori,
        "holder": terms.holder,
        "supervising_office": terms.supervising_office,
        "valid": f"{display.long_day(terms.valid_from)} to {display.long_day(terms.valid_until)}",
        "period": f"{terms.discharge_period_months} months, {display.PERIOD_END_LABELS.get(terms.period_end.value, terms.period_end.value)}",
        "allocation_key": f"{terms.allocation_key.value} key",
        "tolerance": f"{display.plain(terms.yield_tolerance_percent)} %",
        "deemed_release": "yes: goods left at expiry are deemed released for free circulation"
        if terms.deemed_release_on_expiry
        else "no: customs regularise goods left at expiry",
        "import_goods": [display.goods_code(c) for c in terms.import_goods],
        "products": products,
    }


def _under_procedure(result: AuditResult, units: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for row in rows(under_procedure(result.placements)):
        code = row["goods_code"]
        unit = units.get(code, "")
        out.append(
            {
                "code": display.goods_code(code),
                "placements": row["placements"],
                "open": row["open"],
                "placed": display.equivalent_quantity(row["placed"], unit),
                "discharged": display.equivalent_quantity(row["discharged"], unit),
                "remaining": display.equivalent_quantity(row["remaining"], unit),
                "overdue": display.equivalent_quantity(row["overdue"], unit)
                if row["overdue"]
                else display.DASH,
                "unit_title": display.unit_title(unit),
            }
        )
    return out


def lot_cell(lot: str, lot_code: str, basis: str, import_goods: dict[str, int]) -> Cell:
    """A discharged lot with its CN code at the discharge and, when a usual form of handling changed
    it, the import goods codes it counts against."""
    cell = Cell(f"{lot} ({display.goods_code(lot_code)})", css="nowrap")
    if lot_code != basis:
        cell.sub = "counts against " + ", ".join(display.goods_code(code) for code in sorted(import_goods))
    return cell


# ---------------------------------------------------------------- sections


def _alerts(result: AuditResult) -> tuple[Table, list[dict[str, Any]], Table]:
    """Critical and warning alerts in full; info alerts counted per kind and the first few listed."""
    main = Table(
        [("Severity", False), ("Kind", False), ("Concerns", False), ("Message", False), ("Due", False)]
    )
    info = Table([("Kind", False), ("Concerns", False), ("Message", False)])
    info_counts: Counter[str] = Counter()
    for row in rows(result.alerts):
        concerns = " · ".join(x for x in (row["entry_ref"], f"lot {row['lot']}" if row["lot"] else None) if x)
        if row["severity"] == "info":
            info_counts[row["kind"]] += 1
            info.total += 1
            if len(info.rows) < INFO_ALERTS_LISTED:
                info.rows.append(
                    [
                        text_cell(display.ALERT_KIND_LABELS.get(row["kind"], row["kind"])),
                        text_cell(concerns),
                        text_cell(row["message"]),
                    ]
                )
            continue
        main.total += 1
        if len(main.rows) < ROW_LIMIT:
            main.rows.append(
                [
                    Cell(
                        display.label(display.SEVERITY_LABELS, row["severity"]),
                        css=f"badge sev-{row['severity']}",
                    ),
                    text_cell(display.ALERT_KIND_LABELS.get(row["kind"], row["kind"])),
                    text_cell(concerns, css="nowrap"),
                    text_cell(row["message"]),
                    text_cell(display.day(row["due"]), css="nowrap"),
                ]
            )
            main.row_classes.append(f"sev-row-{row['severity']}")
    main.empty = "No critical alert and no warning."
    summary = [
        {
            "kind": display.ALERT_KIND_LABELS.get(kind, kind),
            "count": count,
            "anchor": "delays" if kind == "late_record" else "alerts",
        }
        for kind, count in sorted(info_counts.items())
    ]
    return main, summary, info


def _placements(result: AuditResult) -> Table:
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
            ("Discharged", True),
            ("Remaining", True),
            ("Status", False),
        ]
    )
    for row in rows(result.placements):
        table.total += 1
        if len(table.rows) >= ROW_LIMIT:
            continue
        unit = row["unit"]
        discharged = "; ".join(
            f"{display.mode_label(mode).lower()} {display.equivalent_quantity(amount, unit)}"
            for mode, amount in row["discharged"].items()
        )
        deadline = Cell(display.day(row["deadline"]), css="nowrap")
        if row["extended"]:
            deadline.sub = f"extended; was {display.day(row['period_deadline'])}"
        table.rows.append(
            [
                Cell(row["entry_ref"], css="nowrap strong", sub=row["declaration"]),
                text_cell(display.day(row["date"]), css="nowrap"),
                Cell(row["lot"], css="nowrap", sub=display.goods_code(row["goods_code"])),
                text_cell(row["description"], css="desc"),
                num_cell(display.quantity(row["quantity"], unit), title=display.unit_title(unit)),
                num_cell(display.money(row["customs_value_cents"])),
                num_cell(display.percent(row["duty_rate_ppm"])),
                num_cell(display.money(row["suspended_duty_cents"])),
                deadline,
                Cell(
                    display.equivalent_quantity(row["discharged_total"], unit),
                    numeric=True,
                    title=discharged,
                    sub="; ".join(
                        f"{display.MODE_SHORT.get(mode, mode)} {display.equivalent_quantity(amount, unit)}"
                        for mode, amount in row["discharged"].items()
                        if mode != "reexport"
                    ),
                ),
                num_cell(
                    display.equivalent_quantity(row["remaining"], unit),
                    css="strong" if row["status"] != "discharged" else "",
                ),
                Cell(display.label(display.STATUS_LABELS, row["status"]), css=f"pill st-{row['status']}"),
            ]
        )
        table.row_classes.append(f"st-row-{row['status']}")
    table.empty = "No placement."
    return table


def _discharges(result: AuditResult, units: dict[str, str]) -> Table:
    """One row per FIFO share; the discharge's own cells span its shares."""
    table = Table(
        [
            ("Discharge", False),
            ("Date", False),
            ("Mode", False),
            ("Declaration (MRN)", False),
            ("Lot (CN code)", False),
            ("Quantity", True),
            ("Import goods", False),
            ("Equivalent", True),
            ("Placement (FIFO)", False),
            ("Allocated", True),
        ]
    )
    placement_dates = {row["entry_ref"]: row["date"] for row in rows(result.placements)}
    for row in rows(result.discharges):
        table.total += 1
        if len(table.rows) >= ROW_LIMIT:
            continue
        shares: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for share in row["allocation"]:
            shares[share["goods_code"]].append(share)
        head = [
            Cell(row["entry_ref"], css="nowrap strong"),
            Cell(display.day(row["date"]), css="nowrap"),
            Cell(display.mode_label(row["mode"]), css=f"mode mode-{row['mode']}"),
            Cell(row["declaration"] or display.DASH, css="mono"),
            lot_cell(row["lot"], row["lot_code"], row["product_code"], row["import_equivalent"]),
            Cell(display.quantity(row["quantity"], row["unit"]), numeric=True),
        ]
        groups = []
        codes: list[str | None] = [*sorted(set(row["import_equivalent"]) | set(shares))] or [None]
        for code in codes:
            if code is None:  # nothing to allocate: one line of dashes
                groups.append(([text_cell(None), text_cell(None)], [[text_cell(None), text_cell(None)]]))
                continue
            unit = units.get(code, "")
            equivalent = display.equivalent_quantity(row["import_equivalent"].get(code, 0), unit)
            own = [Cell(display.goods_code(code), css="nowrap"), Cell(equivalent, numeric=True)]
            members = []
            for share in shares[code]:
                placement = share["placement"]
                label = (
                    f"{placement} ({display.day(placement_dates.get(placement))})"
                    if placement
                    else "no placement: exceeds what was placed"
                )
                members.append(
                    [
                        text_cell(label, css="nowrap" if placement else "bad"),
                        num_cell(display.equivalent_quantity(share["quantity"], unit)),
                    ]
                )
            groups.append((own, members or [[text_cell(None), text_cell(None)]]))
        table.add_spanning(head, groups)
    table.empty = "No discharge."
    return table


def _duties(result: AuditResult, units: dict[str, str]) -> Table:
    table = Table(
        [
            ("Basis", False),
            ("Entry", False),
            ("Placement", False),
            ("CN code", False),
            ("Date", False),
            ("Quantity (equivalent)", True),
            ("Customs value per unit EUR", True),
            ("Duty rate", True),
            ("Duty EUR", True),
        ]
    )
    for row in rows(result.duty_due):
        table.total += 1
        unit = units.get(row["goods_code"], "")
        per_unit = (
            Decimal(int(row["customs_value_cents"])) / 100 / display.micro(int(row["placement_quantity"]))
            if int(row["placement_quantity"])
            else Decimal(0)
        )
        table.rows.append(
            [
                text_cell(display.mode_label(row["basis"])),
                text_cell(row["entry_ref"], css="nowrap"),
                text_cell(row["placement"], css="nowrap"),
                text_cell(display.goods_code(row["goods_code"]), css="nowrap"),
                text_cell(display.day(row["date"]), css="nowrap"),
                num_cell(display.equivalent_quantity(row["quantity"], unit)),
                num_cell(
                    display.plain(per_unit.quantize(Decimal("0.0001"), ROUND_HALF_UP))
                    if per_unit
                    else display.DASH,
                    title="customs value ÷ quantity of the placement, shown to 4 decimals",
                ),
                num_cell(display.percent(row["duty_rate_ppm"])),
                num_cell(display.money(row["amount_cents"]), css="strong"),
            ]
        )
    table.empty = "No duty due."
    return table


def _yields(result: AuditResult, units: dict[str, str]) -> tuple[Table, int]:
    table = Table(
        [
            ("Processing", False),
            ("Date", False),
            ("Site", False),
            ("Import goods", False),
            ("Input (equivalent)", True),
            ("Output by the authorised rates", True),
            ("Difference", True),
            ("Deviation", True),
            ("Tolerance", True),
            ("Within tolerance", False),
        ]
    )
    beyond = 0
    data = rows(result.yields)
    spans: Counter[str] = Counter(row["entry_ref"] for row in data)
    previous = None
    for row in data:
        table.total += 1
        unit = units.get(row["goods_code"], "")
        if row["beyond_tolerance"]:
            beyond += 1
        if len(table.rows) >= ROW_LIMIT:
            continue
        difference = display.equivalent(row["difference"])
        cells: list[Cell] = []
        first = row["entry_ref"] != previous
        if first:
            span = spans[row["entry_ref"]]
            cells = [
                Cell(row["entry_ref"], css="nowrap", rowspan=span),
                Cell(display.day(utc_day(row["occurred_at"])), css="nowrap", rowspan=span),
                Cell(row["site"], rowspan=span),
            ]
        previous = row["entry_ref"]
        cells += [
            text_cell(display.goods_code(row["goods_code"]), css="nowrap"),
            num_cell(display.equivalent_quantity(row["input_equivalent"], unit)),
            num_cell(display.equivalent_quantity(row["output_equivalent"], unit)),
            num_cell(
                ("+" if difference > 0 else "") + display.quantity_of(difference, unit).replace("-", "\u2212")
            ),
            num_cell(
                display.signed_percent(row["deviation_percent"]),
                css="strong" if row["beyond_tolerance"] else "",
            ),
            num_cell(display.percent(row["tolerance_ppm"])),
            Cell(
                "NO" if row["beyond_tolerance"] else "yes",
                css="pill bad" if row["beyond_tolerance"] else "ok",
            ),
        ]
        table.rows.append(cells)
        table.row_classes.append(
            ("group-start" if first else "group-cont") + (" bad-row" if row["beyond_tolerance"] else "")
        )
    table.empty = "No processing recorded."
    return table, beyond


def _stock(result: AuditResult) -> Table:
    table = Table(
        [
            ("Lot", False),
            ("Site", False),
            ("Created by", False),
            ("CN code now", False),
            ("Description", False),
            ("Quantity", True),
        ]
    )
    for row in rows(result.stock):
        table.total += 1
        if len(table.rows) >= ROW_LIMIT:
            continue
        code = display.goods_code(row["goods_code"])
        if row["goods_code"] != row["basis_code"]:
            code += f" (was {display.goods_code(row['basis_code'])})"
        table.rows.append(
            [
                text_cell(row["lot"], css="nowrap"),
                text_cell(row["site"], css="nowrap"),
                text_cell(row["origin"]),
                text_cell(code, css="nowrap"),
                text_cell(row["description"], css="desc"),
                num_cell(
                    display.quantity(row["quantity"], row["unit"]), title=display.unit_title(row["unit"])
                ),
            ]
        )
    table.empty = "Nothing in stock."
    return table


def _stock_by_code(result: AuditResult) -> Table:
    """What the lots hold now per CN code (as the lots' codes stand), unit and site."""
    totals: dict[tuple[str, str, str], int] = defaultdict(int)
    lots: Counter[tuple[str, str, str]] = Counter()
    origin: dict[str, str] = {}
    for row in rows(result.stock):
        key = (row["goods_code"], row["unit"], row["site"])
        totals[key] += int(row["quantity"])
        lots[key] += 1
        origin.setdefault(
            row["goods_code"], "import goods" if row["origin"] == "placement" else "processed product"
        )
    table = Table([("CN code", False), ("Goods", False), ("Site", False), ("Lots", True), ("Quantity", True)])
    for (code, unit, site), amount in sorted(totals.items()):
        table.total += 1
        table.rows.append(
            [
                text_cell(display.goods_code(code), css="nowrap strong"),
                text_cell(origin[code]),
                text_cell(site, css="nowrap"),
                num_cell(f"{lots[(code, unit, site)]:,}"),
                num_cell(display.quantity(amount, unit), css="strong", title=display.unit_title(unit)),
            ]
        )
    table.empty = "Nothing in stock."
    return table


def _delays(result: AuditResult) -> tuple[dict[str, str], Table]:
    limit = result.thresholds.late_record_hours * 3600
    delays = [int(v) for v in result.recording_delays["delay_seconds"].tolist()]
    ordered = sorted(delays)
    stats = {
        "entries": f"{len(delays):,}",
        "median": display.duration(ordered[(len(ordered) - 1) // 2]) if ordered else display.DASH,
        "maximum": display.duration(ordered[-1]) if ordered else display.DASH,
        "late": f"{sum(1 for d in delays if d > limit):,}",
        "limit": f"{result.thresholds.late_record_hours} hours",
    }
    table = Table(
        [
            ("Entry", False),
            ("Kind", False),
            ("Occurred at", False),
            ("Recorded at", False),
            ("Delay", True),
            ("Recorded by", False),
        ]
    )
    for row in rows(result.recording_delays):
        if int(row["delay_seconds"]) <= limit:
            continue
        table.total += 1
        if len(table.rows) >= ROW_LIMIT:
            continue
        table.rows.append(
            [
                text_cell(row["entry_ref"] + (" (corrected)" if row["corrected"] else ""), css="nowrap"),
                text_cell(display.ENTRY_KIND_LABELS.get(row["kind"], row["kind"])),
                text_cell(display.moment(row["occurred_at"]), css="nowrap"),
                text_cell(display.moment(row["block_time"]), css="nowrap"),
                num_cell(display.duration(int(row["delay_seconds"])), css="strong"),
                text_cell(row["account"], css="mono small"),
            ]
        )
    table.empty = f"Every entry was recorded within {result.thresholds.late_record_hours} hours."
    return stats, table


def _corrected(result: AuditResult) -> Table:
    """The records a correction reversed: listed with the correction and its reason, never counted."""
    table = Table(
        [("Record", False), ("Kind", False), ("Date", False), ("Lot", False), ("Corrected by", False),
         ("On", False), ("Reason", False)]
    )  # fmt: skip
    for row in rows(result.corrected):
        table.total += 1
        table.rows.append(
            [
                text_cell(row["entry_ref"], css="nowrap strong"),
                text_cell(display.ENTRY_KIND_LABELS.get(row["kind"], row["kind"])),
                text_cell(display.day(row["date"]), css="nowrap"),
                text_cell(row["lot"], css="nowrap"),
                text_cell(row["corrected_by"], css="nowrap"),
                text_cell(display.day(row["correction_date"]), css="nowrap"),
                text_cell(row["reason"], css="desc"),
            ]
        )
    table.empty = "No record was corrected."
    return table


# ---------------------------------------------------------------- charts


def _stock_charts(result: AuditResult, units: dict[str, str], start: date, end: date) -> list[dict[str, Any]]:
    """Goods under the procedure per import goods code: placed minus discharged (import goods
    equivalents), by the date the events happened."""
    changes: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows(result.placements):
        changes[row["goods_code"]][row["date"]] += int(row["placed"])
    for row in rows(result.discharges):
        for code, amount in row["import_equivalent"].items():
            changes[code][row["date"]] -= int(amount)
    out = []
    for index, code in enumerate(sorted(changes)):
        running = 0
        points = []
        for day in sorted(changes[code]):
            running += changes[code][day]
            points.append((day, display.equivalent(running)))
        unit = units.get(code, "")
        series = charts.StockSeries(code, unit, tuple(points), charts.colour(index))
        peak_day, peak = max(points, key=lambda p: p[1])
        out.append(
            {
                "code": display.goods_code(code),
                "unit": display.unit_title(unit),
                "peak": f"{display.quantity_of(peak, unit)} on {display.long_day(peak_day)}",
                "now": display.quantity_of(points[-1][1], unit),
                "svg": charts.stock_panel(series, start, end, result.today),
            }
        )
    return out


def deadline_chart(result: AuditResult) -> Any:
    """The placements' deadline timeline (the report's and the dashboard's); None without placements."""
    placements = rows(result.placements)
    if not placements:
        return None
    bars = []
    for row in placements:
        note = ""
        if row["status"] != "discharged":
            note = f"{display.equivalent_quantity(row['remaining'], row['unit'])} left"
        elif row["extended"]:
            note = "discharged (extended)"
        bars.append(
            charts.DeadlineBar(
                label=row["entry_ref"],
                sublabel=f"{row['lot']}",
                start=row["date"],
                period_deadline=row["period_deadline"],
                deadline=row["deadline"],
                status=row["status"],
                note=note,
            )
        )
    if len(bars) > charts.DEADLINE_BARS:
        # Keep what still needs discharging, then the latest placements.
        pending = [b for b in bars if b.status != "discharged"]
        done = [b for b in bars if b.status == "discharged"]
        keep = pending[: charts.DEADLINE_BARS]
        keep += done[-(charts.DEADLINE_BARS - len(keep)) :] if len(keep) < charts.DEADLINE_BARS else []
        bars = sorted(keep, key=lambda b: (b.start, b.label))
    return charts.deadline_chart(bars, result.today)


def yield_chart(result: AuditResult) -> Any:
    """Actual against authorised yields, with the tolerance band; None without processing."""
    data = rows(result.yields)
    if not data:
        return None
    codes = sorted({row["goods_code"] for row in data})
    hues = {code: charts.colour(i) for i, code in enumerate(codes)}
    points = [
        charts.YieldPoint(
            entry_ref=row["entry_ref"],
            day=utc_day(row["occurred_at"]),
            code=row["goods_code"],
            deviation=row["deviation_percent"],
            tolerance=display.percent_of_ppm(row["tolerance_ppm"]),
            beyond=bool(row["beyond_tolerance"]),
            colour=hues[row["goods_code"]],
        )
        for row in data
    ]
    return charts.yield_chart(points, [(c, hues[c]) for c in codes])


# ---------------------------------------------------------------- the page


def audit_view(result: AuditResult, reference: str) -> dict[str, Any]:
    """Everything the audit template shows, as display strings, tables and SVG."""
    one = result.for_authorisation(reference)
    terms = one.terms.get(reference)
    check = one.integrity[reference]
    units = one.import_units()
    statuses = one.tables.statuses.get(reference, [])
    placements = rows(one.placements)
    status_counts = Counter(row["status"] for row in placements)
    severity_counts = Counter(str(s) for s in one.alerts["severity"].tolist())
    alerts, info_summary, info_alerts = _alerts(one)
    yield_table, beyond = _yields(one, units)
    delay_stats, delay_table = _delays(one)
    start, end = charts.chart_span(
        [row["date"] for row in placements],
        [row["date"] for row in rows(one.discharges)],
        result.today,
    )
    processing_entries = len({row["entry_ref"] for row in rows(one.yields)})
    return {
        "reference": reference,
        "terms": _terms_view(terms),
        "authorisation_status": statuses[-1].status if statuses else "active",
        "status_reason": statuses[-1].reason if statuses else "",
        "as_of_block": f"{result.as_of_block:,}",
        "as_of_time": display.moment(result.as_of_time),
        "audit_date": display.long_day(result.today),
        "audit_day": display.day(result.today),
        "basis": result.basis,
        "left_out": result.left_out,
        "integrity": {
            "verified": check.verified,
            "entries": f"{check.entries:,}",
            "sequence": f"{check.sequence:,}",
            "head": "0x" + check.head.hex(),
            "head_short": display.short_hash(check.head),
            "gaps": ", ".join(str(g) for g in check.gaps),
            "detail": check.detail,
            "registry": None
            if result.registry is None
            else {
                "verified": result.registry.verified,
                "events": f"{result.registry.entries:,}",
                "head": "0x" + result.registry.head.hex(),
                "head_short": display.short_hash(result.registry.head),
            },
        },
        "counts": {
            "placements": len(placements),
            "open": status_counts["open"],
            "overdue": status_counts["overdue"],
            "discharged": status_counts["discharged"],
            "discharges": len(one.discharges),
            "processing": processing_entries,
            "beyond": beyond,
        },
        "severities": [
            {"key": key, "label": display.SEVERITY_LABELS[key], "count": severity_counts[key]}
            for key in ("critical", "warning", "info")
        ],
        "under_procedure": _under_procedure(one, units),
        "duty": {
            "free_circulation": display.eur(result.duty_total_cents(reference, "free_circulation")),
            "deemed_release": display.eur(result.duty_total_cents(reference, "deemed_release")),
            "total": display.eur(result.duty_total_cents(reference)),
            "suspended": display.eur(sum(int(row["suspended_duty_cents"]) for row in placements)),
        },
        "thresholds": {
            "deadline_near_days": result.thresholds.deadline_near_days,
            "late_record_hours": result.thresholds.late_record_hours,
            "bill_due_days": result.thresholds.bill_due_days,
            "yield_tolerance": None
            if result.thresholds.yield_tolerance_percent is None
            else f"{display.plain(result.thresholds.yield_tolerance_percent)} %",
        },
        "alerts": alerts,
        "info_summary": info_summary,
        "info_alerts": info_alerts,
        "placements": _placements(one),
        "deadline_chart": deadline_chart(one),
        "discharges": _discharges(one, units),
        "duties": _duties(one, units),
        "yields": yield_table,
        "yield_chart": yield_chart(one),
        "stock_charts": _stock_charts(one, units, start, end),
        "stock": _stock(one),
        "stock_by_code": _stock_by_code(one),
        "delay_stats": delay_stats,
        "delays": delay_table,
        "corrected": _corrected(one),
    }


def render_audit_html(result: AuditResult, reference: str) -> str:
    """The audit report of `reference` as one self-contained HTML page."""
    return environment().get_template("audit.html.j2").render(**audit_view(result, reference))


def write_html(result: AuditResult, reference: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_audit_html(result, reference), encoding="utf-8")
    return path
