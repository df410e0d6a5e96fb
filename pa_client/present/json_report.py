"""The audit JSON of docs/spec/interfaces.md §4 as a file: `audit_document`, keys sorted, indented, UTF-8.

Decimals are JSON strings, exact. A float anywhere in the document is refused (it would mean a number
went through binary floating point on its way here)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pa_client.audit.rules.result import AuditResult
from pa_client.present.audit_document import audit_document


def _exact(value: Any, where: str = "$") -> Any:
    """The document with Decimals, dates and times as strings; a float is an error."""
    if isinstance(value, float):
        raise TypeError(f"a float at {where}: decimals must be exact strings")
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _exact(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_exact(v, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def dumps(document: dict[str, Any]) -> str:
    """Sorted keys, two-space indent, non-ASCII kept, a final newline: stable for diffs and goldens."""
    return json.dumps(_exact(document), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def audit_json(result: AuditResult, reference: str) -> str:
    return dumps(audit_document(result, reference))


def write_json(result: AuditResult, reference: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(audit_json(result, reference), encoding="utf-8")
    return path
