"""Actual against authorised yield (UCC art. 255), per processing entry and import goods code.

The input equivalent is what the processing consumed (an import lot counts its quantity, a product lot
its table equivalent); the output equivalent is what the authorised rates say its products contain. If
the products were obtained at exactly the authorised rates the two are equal; the deviation is
(output − input) in % of the input. Beyond the tolerance means |output − input| × 10^6 > input ×
tolerance (millionths), the chain's own test (YieldDeviated): a rate too low in the table lets goods
be discharged that were never processed, a rate too high hides goods.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pandas as pd

from ..ledger_tables import LedgerTables
from ..quantities import PPM, percent_to_ppm
from .frames import BOOL, INT, OBJ, TIME, Row, make_frame, rows

PERCENT_PLACES = Decimal("0.0001")

YIELDS = {
    "authorisation": OBJ,
    "entry_ref": OBJ,
    "sequence": INT,
    "occurred_at": TIME,
    "block": INT,
    "site": OBJ,
    "version": INT,
    "goods_code": OBJ,
    "input_equivalent": OBJ,  # 10^-18
    "output_equivalent": OBJ,  # 10^-18
    "difference": OBJ,  # output − input, 10^-18
    "deviation_percent": OBJ,  # Decimal, 4 places half up; None when nothing of the code went in
    "tolerance_ppm": INT,
    "beyond_tolerance": BOOL,
}


def deviation_percent(inputs: int, outputs: int) -> Decimal | None:
    if inputs == 0:
        return None
    exact = Fraction(100 * (outputs - inputs), inputs)
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(PERCENT_PLACES, ROUND_HALF_UP)


def beyond_tolerance(inputs: int, outputs: int, tolerance_ppm: int) -> bool:
    return abs(outputs - inputs) * PPM > inputs * tolerance_ppm


def yields(
    tables: LedgerTables, processing: pd.DataFrame, *, tolerance_ppm: int | None = None
) -> pd.DataFrame:
    """One row per live processing entry and import goods code involved.

    `processing`: `equivalents.processing_equivalents`. The tolerance is that of the authorisation
    version the processing was recorded under, unless `tolerance_ppm` overrides it."""
    sums: dict[tuple[str, str, str], Row] = {}
    versions = {
        (row["authorisation"], row["entry_ref"]): int(row["version"])
        for row in rows(tables.processing_outputs, "authorisation", "entry_ref", "version")
    }
    for row in rows(processing):
        key = (row["authorisation"], row["entry_ref"], row["goods_code"])
        entry = sums.get(key)
        if entry is None:
            entry = sums[key] = {
                "authorisation": row["authorisation"],
                "entry_ref": row["entry_ref"],
                "sequence": row["sequence"],
                "occurred_at": row["occurred_at"],
                "block": row["block"],
                "site": row["site"],
                "version": versions[(row["authorisation"], row["entry_ref"])],
                "goods_code": row["goods_code"],
                "input_equivalent": 0,
                "output_equivalent": 0,
            }
        column = "input_equivalent" if row["is_input"] else "output_equivalent"
        entry[column] += int(row["equivalent"])
    out: list[Row] = []
    for entry in sums.values():
        terms = tables.version(entry["authorisation"], entry["version"])
        tolerance = percent_to_ppm(terms.yield_tolerance_percent) if tolerance_ppm is None else tolerance_ppm
        inputs, outputs = entry["input_equivalent"], entry["output_equivalent"]
        out.append(
            {
                **entry,
                "difference": outputs - inputs,
                "deviation_percent": deviation_percent(inputs, outputs),
                "tolerance_ppm": tolerance,
                "beyond_tolerance": beyond_tolerance(inputs, outputs, tolerance),
            }
        )
    frame = make_frame(out, YIELDS)
    return frame.sort_values(["authorisation", "sequence", "goods_code"], kind="stable").reset_index(
        drop=True
    )
