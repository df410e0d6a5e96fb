"""The entries file's columns (docs/spec/interfaces.md §1) and what each kind of row needs and may
hold: the one column list that the reader checks against and the writer fills by name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from pydantic import BaseModel

from pa_client.domain.models import (
    Correction,
    Discharge,
    DischargeMode,
    Handling,
    Movement,
    Placement,
    Processing,
)

FileEntry = Placement | Movement | Processing | Handling | Discharge | Correction

COLUMNS: Final[tuple[str, ...]] = (
    "entry_ref",
    "kind",
    "authorisation",
    "occurred_at",
    "line",
    "lot",
    "goods_code",
    "description",
    "quantity",
    "unit",
    "site",
    "to_site",
    "declaration",
    "procedure",
    "mode",
    "customs_value",
    "duty_rate",
    "origin",
    "documents",
    "corrects",
    "reason",
)
KINDS: Final[tuple[str, ...]] = ("placement", "movement", "processing", "handling", "discharge", "correction")
LINES: Final[tuple[str, ...]] = ("in", "out")
MODES: Final[tuple[str, ...]] = tuple(mode.value for mode in DischargeMode)

EVERY_ROW: Final = ("entry_ref", "kind", "authorisation", "occurred_at")
ANY_ROW: Final = frozenset((*EVERY_ROW, "documents"))


@dataclass(frozen=True)
class Role:
    """What one kind of row needs and may hold."""

    name: str  # how the "used by" hints name it
    phrase: str  # "a placement"
    required: frozenset[str]
    optional: frozenset[str]
    allowed: frozenset[str]
    ordered: tuple[str, ...]  # the required columns in file order


def _role(name: str, phrase: str, required: str, optional: str = "") -> Role:
    needed, possible = frozenset(required.split()), frozenset(optional.split())
    ordered = tuple(column for column in COLUMNS if column in needed)
    return Role(name, phrase, needed, possible, ANY_ROW | needed | possible, ordered)


ROLES: Final[dict[str, Role]] = {
    "placement": _role(
        "placement",
        "a placement",
        "lot goods_code description quantity unit site declaration customs_value duty_rate origin",
        "procedure",
    ),
    "movement": _role("movement", "a movement", "lot quantity site to_site"),
    "in": _role("processing input", "a processing input (line = in)", "line lot quantity site"),
    "out": _role(
        "processing output",
        "a processing output (line = out)",
        "line lot goods_code description quantity unit site",
    ),
    "handling": _role("handling", "a handling", "lot goods_code"),
    "discharge": _role("discharge", "a discharge", "lot quantity site mode", "declaration procedure"),
    "correction": _role("correction", "a correction", "corrects reason"),
}
# A processing row whose line is unknown: only what every processing row has is checked.
PROCESSING_ANY_LINE: Final = _role(
    "processing", "a processing", "line site", "lot goods_code description quantity unit"
)
UNKNOWN_KIND: Final = _role("", "every entry", "", " ".join(COLUMNS))


def _users(column: str) -> str:
    names = [role.name for role in ROLES.values() if column in role.required | role.optional]
    if "processing input" in names and "processing output" in names:
        names[names.index("processing input")] = "processing"
        names.remove("processing output")
    return ", ".join(names)


USERS: Final[dict[str, str]] = {column: _users(column) for column in COLUMNS}
MODELS: Final[dict[str, type[BaseModel]]] = {
    "placement": Placement,
    "movement": Movement,
    "handling": Handling,
    "discharge": Discharge,
    "correction": Correction,
}
# Model-level rules and the column they concern.
MODEL_RULE_COLUMN: Final[dict[str, str]] = {"movement": "to_site", "discharge": "declaration"}
