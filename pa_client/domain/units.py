"""UN/ECE Recommendation 20 unit codes (Annex I, "Codes for units of measure used in international
trade"), with the package codes of Recommendation 21 that Rec. 20 admits with an `X` prefix, read
from the data file `rec20.csv` beside this module, which names the revision it follows.

Not the whole list of about 2 000 codes: the codes of customs and commercial use that are known with
certainty — every supplementary unit of the Combined Nomenclature, the SI units and their usual
multiples, the imperial and US units, counts, time, energy and the common package codes. A code
missing there is refused; add its line (with its Rec. 20 name) if a user needs it.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from importlib import resources
from typing import Final

from pa_client.domain.quantities import plain

REC20_FILE = "rec20.csv"


def _read_codes() -> dict[str, str]:
    """The list's codes and names, from the data file shipped with the package."""
    text = (resources.files("pa_client.domain") / REC20_FILE).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return {row["code"]: row["name"] for row in csv.DictReader(lines)}


UNIT_NAMES: dict[str, str] = _read_codes()

UNIT_CODES: frozenset[str] = frozenset(UNIT_NAMES)

# What people write instead of the code, and the code they mean.
USUAL_MISTAKES: dict[str, str] = {
    "KG": "KGM",
    "KGS": "KGM",
    "G": "GRM",
    "GR": "GRM",
    "T": "TNE",
    "TO": "TNE",
    "L": "LTR",
    "LT": "LTR",
    "M": "MTR",
    "M2": "MTK",
    "SQM": "MTK",
    "M3": "MTQ",
    "CBM": "MTQ",
    "PC": "NAR",
    "PCE": "NAR",
    "PCS": "NAR",
    "ST": "NAR",
    "STK": "NAR",
    "U": "NAR",
    "UN": "NAR",
    "UNIT": "NAR",
    "PAIR": "PR",
}


# UN/ECE Rec. 20 codes and the symbols customs officers read on declarations and in the CN's
# supplementary units (p/st for a number of articles, pa for pairs).
UNIT_SYMBOLS: Final[dict[str, str]] = {
    "KGM": "kg",
    "GRM": "g",
    "MGM": "mg",
    "TNE": "t",
    "DTN": "dt",
    "LTR": "l",
    "MLT": "ml",
    "HLT": "hl",
    "MTR": "m",
    "CMT": "cm",
    "MMT": "mm",
    "KMT": "km",
    "MTK": "m²",
    "MTQ": "m³",
    "NAR": "p/st",
    "H87": "p/st",
    "C62": "p/st",
    "NPR": "pa",
    "PR": "pa",
    "CEN": "100 p/st",
    "MIL": "1000 p/st",
    "KWH": "kWh",
    "CTM": "ct/l",
}


def unit_symbol(code: str) -> str:
    """The short symbol of a unit code (the code itself when there is no usual symbol)."""
    return UNIT_SYMBOLS.get(code, code)


def in_unit(value: Decimal, unit: str) -> str:
    """A quantity as people write it: only the decimals that matter, then the unit's symbol
    ("40.5 kg", "7 p/st", "1,234.5 kg")."""
    return f"{plain(value)} {unit_symbol(unit)}".rstrip()


def unit_name(code: str) -> str | None:
    """The Rec. 20 name of a code, or None if the code is not in the list."""
    return UNIT_NAMES.get(code)
