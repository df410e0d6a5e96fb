"""Small helpers shared by the rules: building DataFrames with exact column types, reading rows back
as Python values, the live (uncorrected) part of a table, and the terms in force for an entry.

Columns of 10^-18 equivalents are `object` columns of Python ints (they pass 2^63); quantities in
millionths, cents and millionths of rates are `int64`; dates are `datetime.date` objects in `object`
columns; times stay `datetime64[ns, UTC]`. Nothing here ever makes a float.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from fractions import Fraction
from typing import Any, Final

import pandas as pd

from ..ledger_tables import LedgerTables
from ..models import Authorisation

TIME: Final = "datetime64[ns, UTC]"
INT: Final = "int64"
OBJ: Final = "object"
BOOL: Final = "bool"

Row = dict[str, Any]


def make_frame(rows: Sequence[Mapping[str, Any]], schema: Mapping[str, str]) -> pd.DataFrame:
    """A DataFrame with exactly the schema's columns and types (an empty one keeps them too)."""
    data = {}
    for name, dtype in schema.items():
        values = [row[name] for row in rows]
        if dtype == TIME:
            data[name] = pd.Series(pd.to_datetime(pd.Series(values, dtype=OBJ), utc=True), dtype=TIME)
        else:
            data[name] = pd.Series(values, dtype=dtype)
    return pd.DataFrame(data, columns=list(schema))


def rows(frame: pd.DataFrame, *only: str) -> list[Row]:
    """The rows (of the `only` columns, when given) as dicts of Python values (ints stay ints: `tolist`
    unboxes NumPy scalars)."""
    columns = list(only) if only else [str(c) for c in frame.columns]
    values = [frame[c].tolist() for c in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def live(frame: pd.DataFrame) -> pd.DataFrame:
    """The entries a correction has not reversed: only these take part in balances."""
    if frame.empty:
        return frame
    return frame.loc[~frame["corrected"].astype(bool)]


def utc_day(moment: Any) -> date:
    """The UTC calendar day of a table time."""
    day: date = pd.Timestamp(moment).tz_convert("UTC").date()
    return day


def unix_seconds(moment: Any) -> int:
    return int(pd.Timestamp(moment).value) // 1_000_000_000


def terms_for_entry(tables: LedgerTables, reference: str, block: int, log_index: int) -> Authorisation:
    """The version in force when an entry was logged: the latest registered before it (block, log)."""
    versions = tables.authorisations[reference]
    current = versions[0]
    for version in versions:
        if (version.block, version.log_index) < (block, log_index):
            current = version
    return current.terms


def half_up(value: Fraction) -> int:
    """The nearest integer, halves away from zero (money is rounded half up)."""
    if value < 0:
        return -half_up(-value)
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)


def ratio_text(ratio: Fraction) -> str:
    return str(ratio.numerator) if ratio.denominator == 1 else f"{ratio.numerator}/{ratio.denominator}"
