"""The fast ABI codec gives byte for byte what eth_abi gives, for every type the ledger uses."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from eth_abi.abi import decode as eth_decode
from eth_abi.abi import encode as eth_encode
from eth_abi.grammar import BasicType, TupleType, parse
from hypothesis import given, settings
from hypothesis import strategies as st

from pa_client.contract import abi_codec, abi_columns
from pa_client.contract.abi_codec import type_name
from pa_client.contract.artifacts import abi_type, load_artifact


def _ledger_types() -> list[str]:
    types: set[str] = set()
    for name in ("PaLedger", "AuthorisationRegistry"):
        for item in load_artifact(name).abi:
            if item["type"] in ("function", "event", "error"):
                types.update(abi_type(i) for i in item.get("inputs", ()))
    return sorted(types)


TYPES = _ledger_types()


def _values(type_str: str) -> st.SearchStrategy[Any]:
    node = parse(type_str)
    if node.arrlist:
        return st.lists(_values(type_name(node.item_type)), max_size=3).map(tuple)
    if isinstance(node, TupleType):
        return st.tuples(*(_values(type_name(c)) for c in node.components))
    assert isinstance(node, BasicType)
    if node.base == "uint":
        return st.integers(0, 2 ** int(node.sub) - 1)
    if node.base == "bool":
        return st.booleans()
    if node.base == "address":
        return st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
    if node.base == "string":
        return st.text(max_size=40)
    if node.base == "bytes" and node.sub is None:
        return st.binary(max_size=70)
    return st.binary(min_size=int(node.sub), max_size=int(node.sub))


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_codec_matches_eth_abi_for_every_ledger_type(data: st.DataObject) -> None:
    assert len(TYPES) > 10, "the ledger ABI must list its struct types"
    for type_str in TYPES:
        types = ("uint64", type_str)
        values = (data.draw(st.integers(0, 2**64 - 1)), data.draw(_values(type_str)))
        encoded = eth_encode(list(types), list(values))
        assert abi_codec.encode(types, values) == encoded, type_str
        decoded = abi_codec.decode(types, encoded)
        expected = eth_decode(list(types), encoded)
        assert _normalised(decoded) == _normalised(expected), type_str


def _normalised(value: Any) -> Any:
    """eth_abi returns checksummed addresses; the codec returns lower-case hex."""
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return value.lower()
    if isinstance(value, tuple | list):
        return tuple(_normalised(v) for v in value)
    return value


def _column_values(leaves: Any, decoded: list[Any], type_str: str) -> None:
    """Each leaf's column equals the values eth_abi decoded from each record; an array's elements are
    those of every record in turn, each with its record."""
    node = parse(type_str)
    if node.arrlist:
        if not isinstance(leaves, abi_columns.ArrayLeaves):
            with pytest.raises(NotImplementedError):  # arrays within arrays
                leaves()
            return
        assert leaves.owner.tolist() == [i for i, value in enumerate(decoded) for _ in value]
        _column_values(
            leaves.elements, [item for value in decoded for item in value], type_name(node.item_type)
        )
        return
    if isinstance(node, TupleType):
        for i, (component, leaf) in enumerate(zip(node.components, leaves, strict=True)):
            _column_values(leaf, [value[i] for value in decoded], type_name(component))
        return
    column = leaves()
    values = column.tolist() if isinstance(column, np.ndarray) else list(column)
    assert _normalised(tuple(values)) == _normalised(tuple(decoded)), type_str
    if isinstance(column, np.ndarray) and column.dtype == object:
        assert any(v >= 2**63 for v in values), "Python ints only for values past int64"


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_columns_match_eth_abi_for_every_ledger_type(data: st.DataObject) -> None:
    for type_str in TYPES:
        types = ("uint64", type_str)
        count = data.draw(st.integers(1, 4))
        records = [(data.draw(st.integers(0, 2**64 - 1)), data.draw(_values(type_str))) for _ in range(count)]
        encoded = [eth_encode(list(types), list(values)) for values in records]
        leaves = abi_columns.column_leaves(types, abi_columns.RecordBuffer(encoded))
        for leaf, position, component in zip(leaves, range(2), types, strict=True):
            _column_values(leaf, [eth_decode(list(types), e)[position] for e in encoded], component)


def test_columns_refuse_data_shorter_than_its_type() -> None:
    types = ("uint64", "(string,uint128)")
    whole = eth_encode(list(types), [7, ("lot", 5)])
    # Cut at a word (a string's text then lies past the end), within a word, and an offset moved off
    # the words' grid.
    misaligned = whole[:32] + (int.from_bytes(whole[32:64], "big") + 1).to_bytes(32, "big") + whole[64:]
    for data in (whole[:-32], whole[:40], misaligned):
        with pytest.raises(abi_columns.MalformedDataError):
            buffer = abi_columns.RecordBuffer([whole, data])
            sequence, (text, quantity) = abi_columns.column_leaves(types, buffer)
            sequence(), text(), quantity()


def test_an_array_longer_than_its_data_is_refused_not_looped_over() -> None:
    types = ("uint64", "bytes32[]")
    data = bytearray(eth_encode(list(types), [1, [b"\0" * 32]]))
    data[64:96] = (2**255).to_bytes(32, "big")  # the array's count
    with pytest.raises(ValueError, match="an array longer than its data"):
        abi_codec.decode(types, bytes(data))
