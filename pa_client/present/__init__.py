"""Presenting the audit (docs/audit-model.md, last step): the audit JSON of docs/spec/interfaces.md §4, a
self-contained HTML report for a customs officer (inline CSS and SVG charts, no JavaScript, no
network), an XLSX workbook and a folder of CSV files carrying every table, and the bill of discharge
(décompte d'apurement) as HTML and XLSX.

    write_audit(result, reference, folder, formats, *, stem=None) -> {format: path}
    write_bill(bill, folder, formats, *, stem=None) -> {format: path}

Numbers are exact end to end: the rules' integers become `Decimal`s (`display`), never floats; SVG
coordinates alone are computed with floats, and only to place marks.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Final

from pa_client.audit.rules.bill import BillOfDischarge
from pa_client.audit.rules.result import AuditResult
from pa_client.present.bill import bill_html, bill_name, write_bill_html, write_bill_xlsx
from pa_client.present.csv_report import write_csv_folder
from pa_client.present.html_report import render_audit_html, write_html
from pa_client.present.json_report import audit_json, dumps, write_json
from pa_client.present.xlsx_report import write_xlsx

AUDIT_FORMATS: Final = ("json", "html", "xlsx", "csv")
BILL_FORMATS: Final = ("html", "xlsx", "json")


def audit_name(result: AuditResult, reference: str) -> str:
    """The files' common name: `audit-<reference>-<audit date>`."""
    return f"audit-{reference}-{result.today.isoformat()}"


def write_audit(
    result: AuditResult,
    reference: str,
    folder: Path,
    formats: Collection[str] = AUDIT_FORMATS,
    *,
    stem: str | None = None,
) -> dict[str, Path]:
    """Writes the audit of `reference` into `folder` in each of `formats` (`json`, `html`, `xlsx`,
    `csv`) as `<stem>.json`, `<stem>.html`, `<stem>.xlsx` and the folder `<stem>-csv/` (one CSV per
    table); `stem` defaults to `audit-<reference>-<audit date>`. Returns the path written per format."""
    unknown = sorted(set(formats) - set(AUDIT_FORMATS))
    if unknown:
        raise ValueError(
            f"unknown audit format(s) {', '.join(unknown)}; choose from {', '.join(AUDIT_FORMATS)}"
        )
    if reference not in result.references:
        raise KeyError(f"authorisation {reference} is not in this audit")
    folder.mkdir(parents=True, exist_ok=True)
    name = stem or audit_name(result, reference)
    written: dict[str, Path] = {}
    for fmt in AUDIT_FORMATS:
        if fmt not in formats:
            continue
        if fmt == "json":
            written[fmt] = write_json(result, reference, folder / f"{name}.json")
        elif fmt == "html":
            written[fmt] = write_html(result, reference, folder / f"{name}.html")
        elif fmt == "xlsx":
            written[fmt] = write_xlsx(result, reference, folder / f"{name}.xlsx")
        else:
            written[fmt] = write_csv_folder(result, reference, folder / f"{name}-csv")
    return written


def write_bill(
    bill: BillOfDischarge,
    folder: Path,
    formats: Collection[str] = ("html", "xlsx"),
    *,
    stem: str | None = None,
) -> dict[str, Path]:
    """Writes the bill of discharge into `folder` as `<stem>.html`, `<stem>.xlsx` and/or `<stem>.json`
    (`BillOfDischarge.to_json`, keys sorted); `stem` defaults to
    `bill-of-discharge-<reference>-<start>-<end>`. Returns the path written per format."""
    unknown = sorted(set(formats) - set(BILL_FORMATS))
    if unknown:
        raise ValueError(
            f"unknown bill format(s) {', '.join(unknown)}; choose from {', '.join(BILL_FORMATS)}"
        )
    folder.mkdir(parents=True, exist_ok=True)
    name = stem or bill_name(bill)
    written: dict[str, Path] = {}
    if "html" in formats:
        written["html"] = write_bill_html(bill, folder / f"{name}.html")
    if "xlsx" in formats:
        written["xlsx"] = write_bill_xlsx(bill, folder / f"{name}.xlsx")
    if "json" in formats:
        path = folder / f"{name}.json"
        path.write_text(dumps(bill.to_json()), encoding="utf-8")
        written["json"] = path
    return written


__all__ = [
    "AUDIT_FORMATS",
    "BILL_FORMATS",
    "audit_json",
    "audit_name",
    "bill_html",
    "render_audit_html",
    "write_audit",
    "write_bill",
]
