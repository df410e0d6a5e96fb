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
from typing import Any

import numpy as np
import pandas as pd

from pa_client.audit.rules.frames import BOOL, INT, OBJ, TIME, frame_of, group_codes, objects, sort_ranks
from pa_client.audit.tables import LedgerTables
from pa_client.domain.quantities import PPM, percent_to_ppm

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


def _deviations(inputs: list[int], outputs: list[int]) -> list[Decimal | None]:
    """`deviation_percent` of each pair: the same decimal division, without a Fraction each."""
    places, rounding = PERCENT_PLACES, ROUND_HALF_UP
    return [
        None if i == 0 else (Decimal(100 * (o - i)) / Decimal(i)).quantize(places, rounding)
        for i, o in zip(inputs, outputs, strict=True)
    ]


def yields(
    tables: LedgerTables, processing: pd.DataFrame, *, tolerance_ppm: int | None = None
) -> pd.DataFrame:
    """One row per live processing entry and import goods code involved.

    `processing`: `equivalents.processing_equivalents`. The tolerance is that of the authorisation
    version the processing was recorded under, unless `tolerance_ppm` overrides it."""
    outputs = tables.processing_outputs
    versions = {
        key: int(version)
        for key, version in zip(
            zip(outputs["authorisation"].tolist(), outputs["entry_ref"].tolist(), strict=True),
            outputs["version"].tolist(),
            strict=True,
        )
    }
    groups = group_codes(processing["authorisation"], processing["entry_ref"], processing["goods_code"])
    count = int(groups.max()) + 1 if len(groups) else 0
    first = np.unique(groups, return_index=True)[1].astype(np.int64)  # each group's first row
    is_input = processing["is_input"].to_numpy(dtype=bool)
    amounts = objects(processing["equivalent"].to_numpy())
    inputs = objects([0] * count)
    outputs_sum = objects([0] * count)
    if len(groups):
        np.add.at(inputs, groups[is_input], amounts[is_input])
        np.add.at(outputs_sum, groups[~is_input], amounts[~is_input])
    columns: dict[str, Any] = {
        name: processing[name].to_numpy()[first]
        for name in ("authorisation", "entry_ref", "sequence", "block", "site", "goods_code")
    }
    columns["occurred_at"] = processing["occurred_at"].array[first]
    references, entry_refs = columns["authorisation"].tolist(), columns["entry_ref"].tolist()
    version = [versions[key] for key in zip(references, entry_refs, strict=True)]
    if tolerance_ppm is None:
        tolerances: dict[tuple[str, int], int] = {}
        for key in set(zip(references, version, strict=True)):
            tolerances[key] = percent_to_ppm(tables.version(*key).yield_tolerance_percent)
        tolerance = [tolerances[key] for key in zip(references, version, strict=True)]
    else:
        tolerance = [tolerance_ppm] * count
    difference = outputs_sum - inputs
    columns["version"] = np.asarray(version, dtype=np.int64)
    columns["input_equivalent"] = inputs
    columns["output_equivalent"] = outputs_sum
    columns["difference"] = difference
    columns["deviation_percent"] = _deviations(inputs.tolist(), outputs_sum.tolist())
    columns["tolerance_ppm"] = np.asarray(tolerance, dtype=np.int64)
    columns["beyond_tolerance"] = np.asarray(
        np.abs(difference) * PPM > inputs * objects(np.asarray(tolerance, dtype=np.int64)), dtype=bool
    )
    frame = frame_of(columns, YIELDS, count)
    if count == 0:
        return frame
    order = np.lexsort(
        (
            sort_ranks(frame["goods_code"].to_numpy()),
            frame["sequence"].to_numpy(dtype=np.int64),
            sort_ranks(frame["authorisation"].to_numpy()),
        )
    )
    return frame.take(order).reset_index(drop=True)
