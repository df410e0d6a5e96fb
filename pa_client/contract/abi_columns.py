"""ABI decoding of many records of one type at once, into columns.

The audit reads hundreds of thousands of logs of a few event types. Decoding them one by one costs a
few dozen slices and `int.from_bytes` per record (`abi_codec.decoder_for`); here the records of one
type are laid end to end in one buffer and every field is read for all of them with NumPy: a word
at the same place in each record is one gather, a dynamic value's offset one more. Only the text of
strings is cut record by record.

Every read is checked against its record's bounds: data that does not hold what its type says raises
`MalformedDataError`, and the caller decodes those records one by one as before (where the integrity
proof reports an altered log).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from eth_abi.grammar import ABIType, BasicType, TupleType, parse

Ints = np.ndarray[Any, np.dtype[np.int64]]
Column = Any  # an int64 array, an object array of Python ints, or a list of str / bytes
Leaf = Callable[[], Column]
"""A field of every record, decoded when called (fields nobody reads cost nothing)."""

_INT64_MAX = np.uint64(2**63 - 1)


class MalformedDataError(ValueError):
    """A record's data does not hold what its ABI type says (an offset or length beyond its end)."""


class RecordBuffer:
    """The data of n records of one type, end to end: `raw[starts[i]:ends[i]]` is record i."""

    def __init__(self, datas: Sequence[bytes]) -> None:
        self.raw = b"".join(datas)
        lengths = np.fromiter((len(d) for d in datas), dtype=np.int64, count=len(datas))
        if bool((lengths % 32).any()):
            raise MalformedDataError("ABI-encoded data is a whole number of 32-byte words")
        # Big-endian 64-bit quarters of each word: a word (always 32-byte aligned, as every record's
        # data is whole words) is one row, read for all records by one gather.
        self.words = np.frombuffer(self.raw, dtype=">u8").reshape(-1, 4)
        self.ends = np.cumsum(lengths)
        self.starts = self.ends - lengths

    def __len__(self) -> int:
        return len(self.starts)

    def _check(self, at: Ints, size: Ints | int, owner: Ints | None = None) -> None:
        """Each value (at `at`, of `size` bytes) lies within its record: record i, or `owner[i]`."""
        if not len(at):
            return
        starts, ends = (self.starts, self.ends) if owner is None else (self.starts[owner], self.ends[owner])
        if bool(((at < starts) | (at + size > ends)).any()):
            raise MalformedDataError("a value lies beyond its record's data")

    def _words(self, at: Ints, owner: Ints | None = None) -> tuple[Any, Any]:
        """(whether each word at `at` passes 64 bits, its low 64 bits as uint64)."""
        self._check(at, 32, owner)
        if bool((at % 32).any()):
            raise MalformedDataError("an offset that is not a whole number of words")
        quarters = self.words[at // 32]
        return quarters[:, :3].any(axis=1), quarters[:, 3].astype(np.uint64)

    def offset(self, at: Ints, owner: Ints | None = None) -> Ints:
        """Words used as offsets or lengths: they must be small."""
        high, low = self._words(at, owner)
        if bool(high.any()) or bool((low > np.uint64(len(self.raw))).any()):
            raise MalformedDataError("an offset or length passes the data")
        offsets: Ints = low.astype(np.int64)
        return offsets

    def uint(self, at: Ints, owner: Ints | None = None) -> Column:
        """Unsigned integers: an int64 array, or Python ints when one does not fit (as pandas keeps
        them)."""
        high, low = self._words(at, owner)
        if not bool(high.any()) and not bool((low > _INT64_MAX).any()):
            return low.astype(np.int64)
        column = np.empty(len(at), dtype=object)
        column[:] = [int.from_bytes(self.raw[a : a + 32], "big") for a in at.tolist()]
        return column

    def boolean(self, at: Ints, owner: Ints | None = None) -> Column:
        high, low = self._words(at, owner)
        return (high | (low != 0)).tolist()

    def address(self, at: Ints, owner: Ints | None = None) -> Column:
        self._check(at, 32, owner)
        raw = self.raw
        return ["0x" + raw[a + 12 : a + 32].hex() for a in at.tolist()]

    def text(self, at: Ints, owner: Ints | None = None, *, string: bool) -> Column:
        length = self.offset(at, owner)
        body = at + 32
        self._check(body, length, owner)
        raw = self.raw
        pieces = [raw[b : b + n] for b, n in zip(body.tolist(), length.tolist(), strict=True)]
        if not string:
            return pieces
        try:
            return [piece.decode("utf-8") for piece in pieces]
        except UnicodeDecodeError as error:
            raise MalformedDataError(f"a string is not UTF-8: {error}") from None

    def fixed(self, at: Ints, size: int, owner: Ints | None = None) -> Column:
        self._check(at, size, owner)
        raw = self.raw
        return [raw[a : a + size] for a in at.tolist()]


def _static_size(node: ABIType) -> int:
    if isinstance(node, TupleType) and not node.arrlist:
        return sum(_static_size(c) for c in node.components)
    return 32


def _unsupported(what: str) -> Leaf:
    def leaf() -> Column:
        raise NotImplementedError(f"{what} are not decoded into columns")

    return leaf


@dataclass(frozen=True)
class ArrayLeaves:
    """A dynamic array: the elements of every record, one after the other, as leaves of the element
    type; `owner[k]` is the record (its position in the buffer) of element k."""

    owner: Ints
    elements: Any


def _leaves(buffer: RecordBuffer, node: ABIType, at: Ints, owner: Ints | None = None) -> Any:
    """The leaves of `node` encoded at `at` (one position per record, or per element of an array:
    `owner` then gives its record): nested lists for tuples, as `abi_codec._Compiler.leaves` gives
    them, `ArrayLeaves` for arrays."""
    if node.arrlist:
        return _array(buffer, node, at, owner)
    if isinstance(node, TupleType):
        parts: list[Any] = []
        offset = 0
        for component in node.components:
            head = at + offset
            if component.is_dynamic:
                parts.append(_leaves(buffer, component, at + buffer.offset(head, owner), owner))
                offset += 32
            else:
                parts.append(_leaves(buffer, component, head, owner))
                offset += _static_size(component)
        return parts
    assert isinstance(node, BasicType)
    base, sub = node.base, node.sub
    if base == "uint":
        return lambda: buffer.uint(at, owner)
    if base == "bool":
        return lambda: buffer.boolean(at, owner)
    if base == "address":
        return lambda: buffer.address(at, owner)
    if base in ("string", "bytes") and sub is None:
        return lambda: buffer.text(at, owner, string=base == "string")
    if base == "bytes":
        size = int(sub)
        return lambda: buffer.fixed(at, size, owner)
    return _unsupported(f"values of type {base}{sub or ''}")


def _array(buffer: RecordBuffer, node: ABIType, at: Ints, owner: Ints | None) -> Any:
    if node.arrlist[-1]:
        return _unsupported(f"fixed-size arrays ({node.to_type_str()})")  # type: ignore[no-untyped-call]
    element = node.item_type
    if owner is not None:
        return _unsupported(f"arrays within arrays ({node.to_type_str()})")  # type: ignore[no-untyped-call]
    counts = buffer.offset(at)
    base = at + 32
    # The heads of the elements must lie within the record before any element is looked at.
    buffer._check(base, counts * (32 if element.is_dynamic else _static_size(element)))
    records = np.repeat(np.arange(len(at), dtype=np.int64), counts)
    first = np.cumsum(counts) - counts
    index = np.arange(len(records), dtype=np.int64) - np.repeat(first, counts)
    starts = base[records]
    if element.is_dynamic:
        heads = starts + 32 * index
        positions = starts + buffer.offset(heads, records)
    else:
        positions = starts + _static_size(element) * index
    return ArrayLeaves(records, _leaves(buffer, element, positions, records))


@cache
def _tuple_type(types: tuple[str, ...]) -> TupleType:
    node = parse(f"({','.join(types)})")
    assert isinstance(node, TupleType)
    return node


def column_leaves(types: tuple[str, ...], buffer: RecordBuffer) -> list[Any]:
    """The leaves of the records in `buffer`, each holding values of `types`: a list per tuple, nested
    as the types nest, of `Leaf`s (`ArrayLeaves` for an array, of one level). Offsets are read (and
    checked) now, values when a leaf is called."""
    leaves: list[Any] = _leaves(buffer, _tuple_type(types), buffer.starts)
    return leaves
