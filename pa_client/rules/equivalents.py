"""Import goods equivalents, computed exactly as on chain (docs/ledger.md, the rounding rule).

An import lot (created by a placement) is its own goods code at 10^12 per millionth; a product lot
(created by processing) contains, per unit, the import goods its product states in the authorisation
version it was processed under (`processing_outputs.version`), forever. A usual form of handling changes
a lot's CN code, never its import goods basis.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import pandas as pd

from ..ledger_tables import LedgerTables
from ..models import Product
from ..quantities import equivalent
from .frames import BOOL, INT, OBJ, TIME, Row, live, make_frame, rows

PLACEMENT = "placement"
PROCESSING = "processing"


@dataclass(frozen=True)
class LotBasis:
    """What one unit of a lot stands for in import goods."""

    authorisation: str
    lot: str
    origin: str  # "placement" or "processing"
    entry_ref: str  # the entry that created the lot
    code: str  # the import goods code (placement) or the product code (processing)
    description: str
    unit: str
    version: int  # the authorisation version of a product lot's table; 0 for an import lot
    contains: Mapping[str, Fraction]  # import goods code -> import goods per unit of the lot

    def equivalents(self, quantity_micro: int) -> dict[str, int]:
        """The import goods equivalent of a quantity of the lot, per import goods code, in 10^-18."""
        return {code: equivalent(quantity_micro, ratio) for code, ratio in self.contains.items()}


LotKey = tuple[str, str]  # (authorisation, lot)


def lot_bases(tables: LedgerTables) -> dict[LotKey, LotBasis]:
    """Every lot created by an uncorrected placement or processing. A corrected creation removed its
    lot, so a lot reference maps to at most one live creator."""
    bases: dict[LotKey, LotBasis] = {}
    for row in rows(live(tables.placements)):
        key = (row["authorisation"], row["lot"])
        bases[key] = LotBasis(
            authorisation=row["authorisation"],
            lot=row["lot"],
            origin=PLACEMENT,
            entry_ref=row["entry_ref"],
            code=row["goods_code"],
            description=row["description"],
            unit=row["unit"],
            version=0,
            contains={row["goods_code"]: Fraction(1)},
        )
    products: dict[tuple[str, int], dict[str, Product]] = {}
    for row in rows(live(tables.processing_outputs)):
        reference = row["authorisation"]
        table = (reference, int(row["version"]))
        if table not in products:
            products[table] = {p.code: p for p in tables.version(*table).products}
        product = products[table].get(row["product_code"])
        if product is None:
            raise KeyError(
                f"{reference}: product {row['product_code']} of lot {row['lot']} is not in version "
                f"{row['version']} of the authorisation"
            )
        key = (reference, row["lot"])
        bases[key] = LotBasis(
            authorisation=reference,
            lot=row["lot"],
            origin=PROCESSING,
            entry_ref=row["entry_ref"],
            code=row["product_code"],
            description=row["description"],
            unit=row["unit"],
            version=int(row["version"]),
            contains=dict(product.contains),
        )
    return bases


def _basis(bases: Mapping[LotKey, LotBasis], reference: str, lot: str, entry_ref: str) -> LotBasis:
    try:
        return bases[(reference, lot)]
    except KeyError:
        raise KeyError(
            f"{reference}: entry {entry_ref} uses lot {lot}, which no live entry created"
        ) from None


DISCHARGE_EQUIVALENTS = {
    "authorisation": OBJ,
    "entry_ref": OBJ,
    "sequence": INT,
    "occurred_at": TIME,
    "block": INT,
    "lot": OBJ,
    "mode": OBJ,
    "goods_code": OBJ,
    "equivalent": OBJ,
}


def discharge_equivalents(tables: LedgerTables, bases: Mapping[LotKey, LotBasis]) -> pd.DataFrame:
    """One row per live discharge and import goods code: the equivalent it discharges (10^-18)."""
    out: list[Row] = []
    for row in rows(live(tables.discharges)):
        basis = _basis(bases, row["authorisation"], row["lot"], row["entry_ref"])
        for code, amount in basis.equivalents(int(row["quantity"])).items():
            out.append(
                {
                    "authorisation": row["authorisation"],
                    "entry_ref": row["entry_ref"],
                    "sequence": row["sequence"],
                    "occurred_at": row["occurred_at"],
                    "block": row["block"],
                    "lot": row["lot"],
                    "mode": row["mode"],
                    "goods_code": code,
                    "equivalent": amount,
                }
            )
    return make_frame(out, DISCHARGE_EQUIVALENTS)


PROCESSING_EQUIVALENTS = {
    "authorisation": OBJ,
    "entry_ref": OBJ,
    "sequence": INT,
    "occurred_at": TIME,
    "block": INT,
    "site": OBJ,
    "is_input": BOOL,
    "lot": OBJ,
    "quantity": INT,
    "goods_code": OBJ,
    "equivalent": OBJ,
}


def processing_equivalents(tables: LedgerTables, bases: Mapping[LotKey, LotBasis]) -> pd.DataFrame:
    """One row per live processing input or output and import goods code, as the chain's yield check
    counts them: an import lot its quantity, a product lot its table equivalent."""
    out: list[Row] = []
    for table, is_input in ((tables.processing_inputs, True), (tables.processing_outputs, False)):
        for row in rows(live(table)):
            basis = _basis(bases, row["authorisation"], row["lot"], row["entry_ref"])
            for code, amount in basis.equivalents(int(row["quantity"])).items():
                out.append(
                    {
                        "authorisation": row["authorisation"],
                        "entry_ref": row["entry_ref"],
                        "sequence": row["sequence"],
                        "occurred_at": row["occurred_at"],
                        "block": row["block"],
                        "site": row["site"],
                        "is_input": is_input,
                        "lot": row["lot"],
                        "quantity": row["quantity"],
                        "goods_code": code,
                        "equivalent": amount,
                    }
                )
    return make_frame(out, PROCESSING_EQUIVALENTS)
