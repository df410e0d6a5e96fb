"""Small helpers shared by the rules: building DataFrames with exact column types, reading rows back
as Python values, the live (uncorrected) part of a table, and the terms in force for an entry.

Columns of 10^-18 equivalents are `object` columns of Python ints (they pass 2^63); quantities in
millionths, cents and millionths of rates are `int64`; dates are `datetime.date` objects in `object`
columns; times stay `datetime64[ns, UTC]`. Nothing here ever makes a float.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from fractions import Fraction
from typing import Any, Final

import numpy as np
import pandas as pd

from pa_client.audit.tables import LedgerTables, factorize
from pa_client.domain.models import Authorisation

TIME: Final = "datetime64[ns, UTC]"
INT: Final = "int64"
OBJ: Final = "object"
BOOL: Final = "bool"

Row = dict[str, Any]
Objects = np.ndarray[Any, np.dtype[np.object_]]
Ints = np.ndarray[Any, np.dtype[np.int64]]
Bools = np.ndarray[Any, np.dtype[np.bool_]]


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


def frame_of(
    columns: Mapping[str, Any], schema: Mapping[str, str], length: int | None = None
) -> pd.DataFrame:
    """A DataFrame of the schema's columns, each given whole (a list, an array or a Series, or one
    value for every row): the vectorised `make_frame`. `object` columns hold Python values (NumPy
    integers become Python ints), `int64` columns must hold integers, times are made UTC."""
    if length is None:
        length = next(
            len(v) for v in columns.values() if isinstance(v, list | np.ndarray | pd.Series | pd.Index)
        )
    data: dict[str, Any] = {}
    for name, dtype in schema.items():
        value = columns[name]
        if isinstance(value, pd.Series | pd.Index):
            value = value.array if dtype == TIME else value.to_numpy()
        if not isinstance(value, list | np.ndarray | pd.api.extensions.ExtensionArray):
            value = [value] * length
        if dtype == TIME:
            data[name] = pd.Series(_utc(value), dtype=TIME)
        elif dtype == OBJ:
            data[name] = pd.Series(objects(value), dtype=OBJ)
        else:
            array = np.asarray(value)
            if dtype == INT and array.dtype.kind not in "iub" and len(array):
                raise TypeError(f"column {name} is not integer ({array.dtype})")
            data[name] = pd.Series(array.astype(dtype), dtype=dtype)
    frame = pd.DataFrame(data, columns=list(schema))
    frame.index = pd.RangeIndex(length)
    return frame


def _utc(times: Any) -> pd.DatetimeIndex:
    index = pd.DatetimeIndex(times)
    return index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")


def objects(values: Any) -> Objects:
    """An `object` array of Python values (`int64` and `bool` arrays are converted, element by
    element, to Python ints and bools)."""
    if isinstance(values, np.ndarray):
        return values if values.dtype == object else values.astype(object)
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _codes(values: Any) -> tuple[Ints, int]:
    codes, unique = factorize(values)
    return codes, len(unique)


def group_codes(*columns: Any) -> Ints:
    """A number per distinct combination of the columns' values, numbered in order of first appearance
    (hashing, no sorting)."""
    if len(columns[0]) == 0:
        return np.empty(0, dtype=np.int64)
    combined, _ = _codes(columns[0])
    for column in columns[1:]:
        codes, count = _codes(column)
        combined, _ = _codes(combined * count + codes)
    return combined


def lookup(table: Sequence[Any], query: Sequence[Any]) -> Ints:
    """For each row of the `query` columns, the row of the `table` columns holding the same values
    (the last such row, as a mapping built from the table would give), or -1."""
    size = len(table[0])
    if len(query[0]) == 0:
        return np.empty(0, dtype=np.int64)
    if size == 0:
        return np.full(len(query[0]), -1, dtype=np.int64)
    codes = group_codes(*(_joined(np.asarray(t), np.asarray(q)) for t, q in zip(table, query, strict=True)))
    known, reversed_first = np.unique(codes[:size][::-1], return_index=True)
    position = np.full(int(codes.max()) + 1, -1, dtype=np.int64)
    position[known] = size - 1 - reversed_first
    found: Ints = position[codes[size:]]
    return found


def _joined(first: Any, second: Any) -> Any:
    """Two columns end to end (integers stay integers, anything else becomes Python objects)."""
    if first.dtype.kind in "iu" and second.dtype.kind in "iu":
        return np.concatenate([first.astype(np.int64), second.astype(np.int64)])
    return np.concatenate([objects(first), objects(second)])


def sort_ranks(values: Any) -> Ints:
    """Each value's rank among the distinct values in Python's order (a sort key for `np.lexsort`).
    Many distinct strings are sorted as NumPy unicode, in C (code point order, as Python compares
    them; NumPy ignores trailing NULs, so strings holding one are sorted by Python)."""
    array = objects(values)
    if len(array) == 0:
        return np.empty(0, dtype=np.int64)
    codes, unique = factorize(array)
    distinct = unique.tolist() if isinstance(unique, np.ndarray) else list(unique)
    if (
        len(distinct) > 64
        and pd.api.types.infer_dtype(distinct, skipna=False) == "string"
        and "\0" not in "".join(distinct)
    ):
        order = np.argsort(np.array(distinct, dtype=str), kind="stable")
    else:
        order = np.array(sorted(range(len(distinct)), key=distinct.__getitem__), dtype=np.int64)
    rank = np.empty(len(distinct), dtype=np.int64)
    rank[order] = np.arange(len(distinct), dtype=np.int64)
    result: Ints = rank[np.asarray(codes, dtype=np.int64)]
    return result


def time_values(times: Any) -> Ints:
    """Nanoseconds since 1970 of a time column (for sorting and comparing)."""
    return np.asarray(_utc(times).asi8, dtype=np.int64)


def rows(frame: pd.DataFrame, *only: str) -> list[Row]:
    """The rows (of the `only` columns, when given) as dicts of Python values (ints stay ints: `tolist`
    unboxes NumPy scalars)."""
    columns = list(only) if only else [str(c) for c in frame.columns]
    values = [frame[c].tolist() for c in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection meanwhile: the rules make millions of small dicts and lists and
    no reference cycles, and each full collection would walk all of them (and all the tables')."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def live(frame: pd.DataFrame) -> pd.DataFrame:
    """The entries a correction has not reversed: only these take part in balances."""
    if frame.empty:
        return frame
    return frame.loc[~frame["corrected"].astype(bool)]


def utc_day(moment: Any) -> date:
    """The UTC calendar day of a table time."""
    day: date = pd.Timestamp(moment).tz_convert("UTC").date()
    return day


_DAY_NS: Final = 86_400 * 1_000_000_000
_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()


def day_numbers(times: Any) -> Ints:
    """Days since 1970-01-01 (UTC) of a time column, as integers."""
    values = np.asarray(_utc(times).asi8, dtype=np.int64)
    return values // _DAY_NS


def utc_days(times: Any) -> Objects:
    """`utc_day` of each time of a column: `datetime.date` objects (each distinct day made once)."""
    return dates_of(day_numbers(times))


def dates_of(day_numbers: Ints) -> Objects:
    """`datetime.date` objects of days since 1970-01-01."""
    if len(day_numbers) == 0:
        return np.empty(0, dtype=object)
    unique, inverse = np.unique(day_numbers, return_inverse=True)
    made = np.empty(len(unique), dtype=object)
    made[:] = [date.fromordinal(_EPOCH_ORDINAL + int(d)) for d in unique]
    result: Objects = made[inverse]
    return result


def ordinals(days: Any) -> Ints:
    """The proleptic Gregorian ordinals of an array of `datetime.date` (each distinct day once)."""
    values = objects(days)
    if len(values) == 0:
        return np.empty(0, dtype=np.int64)
    codes, unique = pd.factorize(values)
    made = np.array([d.toordinal() for d in unique], dtype=np.int64)
    result: Ints = made[codes]
    return result


def terms_in_force(tables: LedgerTables, frame: pd.DataFrame) -> tuple[list[Authorisation], Ints]:
    """The authorisation's version in force when each row of `frame` (`authorisation`, `block`,
    `log_index`) was logged — the latest registered before it — as the distinct terms, and for each
    row the position of its terms among them."""
    found: list[Authorisation] = []
    result = np.zeros(len(frame), dtype=np.int64)
    if frame.empty:
        return found, result
    codes, references = factorize(frame["authorisation"].to_numpy())
    blocks = frame["block"].to_numpy(dtype=np.int64)
    logs = frame["log_index"].to_numpy(dtype=np.int64)
    for number, reference in enumerate(references):
        versions = tables.authorisations[reference]
        mine = codes == number
        choice = np.zeros(len(frame), dtype=np.int64)
        for position, version in enumerate(versions):
            before = (version.block < blocks) | ((version.block == blocks) & (version.log_index < logs))
            choice[before] = position
        result[mine] = len(found) + choice[mine]
        found.extend(version.terms for version in versions)
    return found, result


def half_up(value: Fraction) -> int:
    """The nearest integer, halves away from zero (money is rounded half up)."""
    if value < 0:
        return -half_up(-value)
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)


def half_up_ratio(numerators: Objects, denominators: Any) -> Objects:
    """`half_up(numerator / denominator)` of each pair (Python ints, denominators > 0)."""
    numerators = objects(numerators)
    denominators = objects(np.asarray(denominators)) if not isinstance(denominators, int) else denominators
    negative = numerators < 0
    magnitude = np.where(negative, -numerators, numerators)
    rounded: Objects = (2 * magnitude + denominators) // (2 * denominators)
    if negative.any():
        rounded = np.where(negative, -rounded, rounded)
    return rounded


def ratio_text(ratio: Fraction) -> str:
    return str(ratio.numerator) if ratio.denominator == 1 else f"{ratio.numerator}/{ratio.denominator}"
