"""The audit's tables as the CSV folder and the XLSX workbook carry them: one table per `AuditResult`
table, every cell an exact Python value (`str`, `int`, `Decimal`, `date`, aware `datetime`, `bool` or
None), with the ledger's integers scaled back to their units.

- quantities (millionths) → `Decimal` with 6 decimals;
- import goods equivalents (10^-18) → `Decimal` with 6 decimals rounded half up, as the JSON and the
  ledger's documentation show them (money is computed from these);
- cents → `Decimal` with 2 decimals, the column renamed without `_cents`;
- rates in millionths → `Decimal` percent, the column renamed `…_percent`;
- dict columns are spread: `discharged` (by mode) into one `discharged_<mode>` column per discharge
  mode; `import_equivalent` (by import goods code) into `import_equivalent_<code>`; a discharge's
  `allocation` list is the `allocations` table.

Each table's column kinds are declared below for every column of the rules' schemas (a test checks
that they match); a column the rules add later is still exported, its kind inferred from its values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

import pandas as pd

from pa_client.audit.rules.frames import rows
from pa_client.audit.rules.result import AuditResult
from pa_client.domain.models import DischargeMode
from pa_client.present import display

Cell = str | int | Decimal | date | datetime | bool | None

TEXT: Final = "text"
INT: Final = "int"
MICRO: Final = "quantity"  # millionths of the unit
EQUIV: Final = "equivalent"  # 10^-18 of the import goods' unit
CENTS: Final = "money"
RATE: Final = "rate"  # millionths of a percent base (3 % = 30 000)
DECIMAL: Final = "decimal"  # already a Decimal (e.g. a deviation in %)
DATE: Final = "date"
TIME: Final = "time"
BOOL: Final = "bool"
BY_MODE: Final = "by_mode"  # dict: discharge mode -> 10^-18
BY_CODE: Final = "by_code"  # dict: import goods code -> 10^-18
DROP: Final = "drop"

_COMMON: Final[dict[str, str]] = {
    "authorisation": TEXT,
    "entry_ref": TEXT,
    "sequence": INT,
    "block": INT,
    "occurred_at": TIME,
    "block_time": TIME,
}

SPECS: Final[dict[str, dict[str, str]]] = {
    "placements": {
        **_COMMON,
        "date": DATE,
        "lot": TEXT,
        "declaration": TEXT,
        "procedure": INT,
        "goods_code": TEXT,
        "description": TEXT,
        "quantity": MICRO,
        "unit": TEXT,
        "site": TEXT,
        "origin": TEXT,
        "customs_value_cents": CENTS,
        "duty_rate_ppm": RATE,
        "suspended_duty_cents": CENTS,
        "period_deadline": DATE,
        "deadline": DATE,
        "extended": BOOL,
        "extension": TEXT,
        "placed": EQUIV,
        "discharged": BY_MODE,
        "discharged_total": EQUIV,
        "remaining": EQUIV,
        "status": TEXT,
        "deemed_release": BOOL,
    },
    "discharges": {
        **_COMMON,
        "date": DATE,
        "lot": TEXT,
        "product_code": TEXT,
        "lot_code": TEXT,
        "site": TEXT,
        "mode": TEXT,
        "declaration": TEXT,
        "procedure": INT,
        "quantity": MICRO,
        "unit": TEXT,
        "import_equivalent": BY_CODE,
        "allocation": DROP,
    },
    "allocations": {
        **_COMMON,
        "discharge": TEXT,
        "discharge_sequence": INT,
        "mode": TEXT,
        "goods_code": TEXT,
        "placement": TEXT,
        "quantity": EQUIV,
        "after_release": BOOL,
    },
    "duty_due": {
        **_COMMON,
        "basis": TEXT,
        "placement": TEXT,
        "goods_code": TEXT,
        "date": DATE,
        "quantity": EQUIV,
        "customs_value_cents": CENTS,
        "placement_quantity": MICRO,
        "duty_rate_ppm": RATE,
        "amount_cents": CENTS,
    },
    "yields": {
        **_COMMON,
        "site": TEXT,
        "version": INT,
        "goods_code": TEXT,
        "input_equivalent": EQUIV,
        "output_equivalent": EQUIV,
        "difference": EQUIV,
        "deviation_percent": DECIMAL,
        "tolerance_ppm": RATE,
        "beyond_tolerance": BOOL,
    },
    "recording_delays": {
        **_COMMON,
        "kind": TEXT,
        "account": TEXT,
        "corrected": BOOL,
        "delay_seconds": INT,
    },
    "stock": {
        **_COMMON,
        "lot": TEXT,
        "site": TEXT,
        "origin": TEXT,
        "goods_code": TEXT,
        "basis_code": TEXT,
        "description": TEXT,
        "unit": TEXT,
        "quantity": MICRO,
    },
    "stock_history": {**_COMMON, "lot": TEXT, "site": TEXT, "quantity": MICRO},
    "stock_by_code": {**_COMMON, "goods_code": TEXT, "on_hand": EQUIV, "placed": EQUIV, "discharged": EQUIV},
    "alerts": {
        **_COMMON,
        "kind": TEXT,
        "severity": TEXT,
        "lot": TEXT,
        "message": TEXT,
        "due": DATE,
    },
    "corrected": {
        "authorisation": TEXT,
        "entry_ref": TEXT,
        "kind": TEXT,
        "sequence": INT,
        "occurred_at": TIME,
        "date": DATE,
        "lot": TEXT,
        "corrected_by": TEXT,
        "correction_date": DATE,
        "reason": TEXT,
    },
}

TITLES: Final[dict[str, tuple[str, str]]] = {
    "summary": ("Summary", "Synthèse"),
    "placements": ("Placements", "Placements sous le régime"),
    "discharges": ("Discharges", "Apurements"),
    "allocations": ("FIFO allocation", "Imputation PEPS"),
    "duty_due": ("Duty due", "Droits exigibles"),
    "yields": ("Yields", "Taux de rendement"),
    "recording_delays": ("Recording delays", "Délais d'inscription"),
    "stock": ("Stock", "Stock"),
    "stock_history": ("Stock history", "Historique du stock"),
    "stock_by_code": ("Stock by import code", "Stock par code"),
    "alerts": ("Alerts", "Alertes"),
    "corrected": ("Corrected records", "Écritures rectifiées"),
    "bill_placements": ("Placements", "Placements"),
    "bill_rates": ("Rates of yield", "Taux de rendement"),
    "bill_products": ("Processed products", "Produits transformés"),
    "bill_discharges": ("Discharges (FIFO)", "Apurements (PEPS)"),
    "bill_released": ("Free circulation", "Mise en libre pratique"),
    "bill_deemed_released": ("Deemed released", "Mise en libre pratique réputée"),
    "bill_carried_forward": ("Carried forward", "Quantités reportées"),
}

# Headers people read (the XLSX); the CSV keeps the machine names.
HEADERS: Final[dict[str, str]] = {
    "authorisation": "Authorisation",
    "entry_ref": "Entry",
    "sequence": "Sequence",
    "block": "Block",
    "occurred_at": "Occurred at (UTC)",
    "block_time": "Recorded at (UTC)",
    "date": "Date",
    "lot": "Lot",
    "declaration": "Declaration (MRN)",
    "procedure": "Procedure",
    "goods_code": "CN code",
    "product_code": "Counts against (basis CN code)",
    "lot_code": "Lot's CN code at discharge",
    "basis_code": "Code at creation",
    "description": "Description",
    "quantity": "Quantity",
    "unit": "Unit",
    "site": "Site",
    "origin": "Origin",
    "customs_value": "Customs value (EUR)",
    "duty_rate_percent": "Duty rate (%)",
    "suspended_duty": "Suspended duty (EUR)",
    "period_deadline": "End of period",
    "deadline": "Deadline",
    "extended": "Extended",
    "extension": "Extension",
    "placed": "Placed",
    "discharged_total": "Discharged",
    "remaining": "Remaining",
    "status": "Status",
    "deemed_release": "Deemed release on expiry",
    "mode": "Mode",
    "discharge": "Discharge",
    "discharge_sequence": "Discharge sequence",
    "placement": "Placement",
    "basis": "Basis",
    "placement_quantity": "Placement quantity",
    "amount": "Amount (EUR)",
    "version": "Authorisation version",
    "input_equivalent": "Input equivalent",
    "output_equivalent": "Output equivalent",
    "difference": "Output − input",
    "deviation_percent": "Deviation (%)",
    "tolerance_percent": "Tolerance (%)",
    "beyond_tolerance": "Beyond tolerance",
    "kind": "Kind",
    "account": "Recorded by",
    "corrected": "Corrected",
    "delay_seconds": "Delay (s)",
    "on_hand": "On hand (equivalent)",
    "discharged": "Discharged",
    "severity": "Severity",
    "message": "Message",
    "due": "Due",
    "role": "Product",
    "processing": "Processing",
    "allocated": "Allocated (FIFO)",
    "contains": "Import goods per unit",
    "contains_decimal": "Import goods per unit (6 decimals)",
    "rate_of_yield": "Rate of yield",
    "rate_of_yield_decimal": "Rate of yield (6 decimals)",
    "reason": "Reason",
    "corrected_by": "Corrected by",
    "correction_date": "Corrected on",
    "item": "Item",
    "value": "Value",
}


@dataclass(frozen=True)
class ExportColumn:
    name: str  # machine name (CSV header)
    kind: str

    @property
    def header(self) -> str:
        if self.name in HEADERS:
            return HEADERS[self.name]
        for prefix, label in (("discharged_", "Discharged: "), ("import_equivalent_", "Equivalent ")):
            if self.name.startswith(prefix):
                rest = self.name[len(prefix) :]
                return label + (display.mode_label(rest) if prefix == "discharged_" else rest)
        return self.name.replace("_", " ").capitalize()


@dataclass(frozen=True)
class ExportTable:
    name: str
    columns: tuple[ExportColumn, ...]
    rows: tuple[tuple[Cell, ...], ...]

    @property
    def title(self) -> str:
        return TITLES.get(self.name, (self.name.replace("_", " ").capitalize(), ""))[0]

    def column(self, name: str) -> list[Cell]:
        index = [c.name for c in self.columns].index(name)
        return [row[index] for row in self.rows]


def _infer(values: Iterable[Any]) -> str:
    for value in values:
        if value is None:
            continue
        if isinstance(value, bool):
            return BOOL
        if isinstance(value, int):
            return INT
        if isinstance(value, Decimal):
            return DECIMAL
        if isinstance(value, datetime | pd.Timestamp):
            return TIME
        if isinstance(value, date):
            return DATE
        return TEXT
    return TEXT


def convert(value: Any, kind: str) -> Cell:
    """One table value as an exact cell of its kind."""
    if value is None or (kind != TEXT and value is pd.NaT):
        return None
    if kind == MICRO:
        return display.micro(int(value))
    if kind == EQUIV:
        return display.equivalent(int(value))
    if kind == CENTS:
        return display.cents(int(value))
    if kind == RATE:
        return display.percent_of_ppm(int(value))
    if kind == INT:
        return int(value)
    if kind == BOOL:
        return bool(value)
    if kind == DATE:
        if isinstance(value, datetime | pd.Timestamp):
            return display.as_datetime(value).date()
        if isinstance(value, date):
            return value
        raise TypeError(f"a {type(value).__name__} where a date was expected")
    if kind == TIME:
        return display.as_datetime(value)
    if kind == DECIMAL:
        if isinstance(value, Decimal):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return Decimal(value)
        raise TypeError(f"a {type(value).__name__} where an exact decimal was expected")
    return str(value)


def _renamed(name: str, kind: str) -> str:
    if kind == CENTS and name.endswith("_cents"):
        return name[: -len("_cents")]
    if kind == RATE and name.endswith("_ppm"):
        return name[: -len("_ppm")] + "_percent"
    return name


def export_frame(
    name: str, frame: pd.DataFrame, *, import_codes: Sequence[str] = (), spec: Mapping[str, str] | None = None
) -> ExportTable:
    """A rules table as an export table (see the module's docstring)."""
    kinds = dict(SPECS.get(name, {}) if spec is None else spec)
    data = rows(frame)
    columns: list[ExportColumn] = []
    getters: list[Any] = []
    for source in (str(c) for c in frame.columns):
        kind = kinds.get(source) or _infer(row[source] for row in data)
        if kind == DROP:
            continue
        if kind == BY_MODE:
            for mode in DischargeMode:
                columns.append(ExportColumn(f"{source}_{mode.value}", EQUIV))
                getters.append(lambda row, s=source, m=mode.value: display.equivalent(row[s].get(m, 0)))
            continue
        if kind == BY_CODE:
            codes = sorted(set(import_codes).union(*(row[source].keys() for row in data)))
            for code in codes:
                columns.append(ExportColumn(f"{source}_{code}", EQUIV))
                getters.append(lambda row, s=source, c=code: display.equivalent(row[s].get(c, 0)))
            continue
        columns.append(ExportColumn(_renamed(source, kind), kind))
        getters.append(lambda row, s=source, k=kind: convert(row[s], k))
    return ExportTable(
        name=name,
        columns=tuple(columns),
        rows=tuple(tuple(get(row) for get in getters) for row in data),
    )


TABLE_NAMES: Final = (
    "alerts",
    "placements",
    "discharges",
    "allocations",
    "duty_due",
    "yields",
    "stock",
    "stock_by_code",
    "stock_history",
    "recording_delays",
    "corrected",
)


def summary_table(result: AuditResult, reference: str) -> ExportTable:
    """Key facts of the audit of one authorisation, one per row (item, value), exact text."""
    one = result.for_authorisation(reference)
    check = result.integrity[reference]
    terms = result.terms.get(reference)
    items: list[tuple[str, Cell]] = [
        ("authorisation", reference),
        ("holder_eori", terms.holder_eori if terms else None),
        ("supervising_office", terms.supervising_office if terms else None),
        ("as_of_block", result.as_of_block),
        ("as_of_time", display.as_datetime(result.as_of_time)),
        ("audit_date", result.today),
        ("basis", result.basis),
        ("left_out", result.left_out),
        ("integrity_verified", check.verified),
        ("integrity_entries", check.entries),
        ("integrity_sequence", check.sequence),
        ("integrity_head", "0x" + check.head.hex()),
        ("placements", len(one.placements)),
    ]
    for status in ("open", "overdue", "discharged"):
        count = int((one.placements["status"] == status).sum()) if len(one.placements) else 0
        items.append((f"placements_{status}", count))
    items.append(("discharges", len(one.discharges)))
    for basis in ("free_circulation", "deemed_release"):
        items.append((f"duty_due_{basis}", display.cents(result.duty_total_cents(reference, basis))))
    items.append(("duty_due_total", display.cents(result.duty_total_cents(reference))))
    for severity in ("critical", "warning", "info"):
        count = int((one.alerts["severity"] == severity).sum()) if len(one.alerts) else 0
        items.append((f"alerts_{severity}", count))
    return ExportTable(
        name="summary",
        columns=(ExportColumn("item", TEXT), ExportColumn("value", TEXT)),
        rows=tuple((item, value) for item, value in items),
    )


def export_tables(result: AuditResult, reference: str) -> list[ExportTable]:
    """The summary, then every table of the audit of `reference` (see `TABLE_NAMES`)."""
    one = result.for_authorisation(reference)
    terms = result.terms.get(reference)
    codes = tuple(terms.import_goods) if terms else ()
    tables = [summary_table(result, reference)]
    for name in TABLE_NAMES:
        tables.append(export_frame(name, getattr(one, name), import_codes=codes))
    return tables
