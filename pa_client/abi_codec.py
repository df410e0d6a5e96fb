"""A fast ABI encoder and decoder for the ledger's own types.

eth_abi is general and validates every value; submitting or auditing hundreds of thousands of entries
spends most of its time there. These codecs are compiled once per type string into nested closures
and checked against eth_abi by `tests/test_abi_codec.py`. They support what the ledger's ABI uses:
tuples, dynamic arrays, string, bytes, bytesN, uintN, bool and address.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from eth_abi.grammar import ABIType, BasicType, TupleType, parse


def _name(node: ABIType) -> str:
    return str(node.to_type_str())  # type: ignore[no-untyped-call]


Encoder = Callable[[Any], bytes]
Decoder = Callable[[bytes, int], Any]  # (data, start of this value's encoding) → value

_ZERO = b"\0" * 32


def _word(n: int) -> bytes:
    return n.to_bytes(32, "big")


def _padded(raw: bytes) -> bytes:
    return _word(len(raw)) + raw + b"\0" * (-len(raw) % 32)


def _is_dynamic(node: ABIType) -> bool:
    return bool(node.is_dynamic)


def _static_size(node: ABIType) -> int:
    if isinstance(node, TupleType) and not node.arrlist:
        return sum(_static_size(c) for c in node.components)
    return 32


# ---------------------------------------------------------------- encoding


def _tuple_encoder(components: list[ABIType]) -> Encoder:
    encoders = [_encoder(c) for c in components]
    dynamic = [_is_dynamic(c) for c in components]
    head_size = sum(32 if d else _static_size(c) for c, d in zip(components, dynamic, strict=True))
    if not any(dynamic):
        return lambda values: b"".join(e(v) for e, v in zip(encoders, values, strict=True))

    def encode(values: Any) -> bytes:
        heads: list[bytes] = []
        tails: list[bytes] = []
        offset = head_size
        for enc, dyn, value in zip(encoders, dynamic, values, strict=True):
            part = enc(value)
            if dyn:
                heads.append(_word(offset))
                tails.append(part)
                offset += len(part)
            else:
                heads.append(part)
        return b"".join(heads) + b"".join(tails)

    return encode


def _encoder(node: ABIType) -> Encoder:
    if node.arrlist:
        if node.arrlist[-1]:
            raise NotImplementedError(f"fixed-size arrays are not used by the ledger: {_name(node)}")
        element = node.item_type
        single = _encoder(element)
        dynamic = _is_dynamic(element)

        def encode_array(values: Any) -> bytes:
            items = list(values)
            if not dynamic:
                return _word(len(items)) + b"".join(single(v) for v in items)
            parts = [single(v) for v in items]
            offset = 32 * len(parts)
            heads = []
            for part in parts:
                heads.append(_word(offset))
                offset += len(part)
            return _word(len(items)) + b"".join(heads) + b"".join(parts)

        return encode_array
    if isinstance(node, TupleType):
        return _tuple_encoder(list(node.components))
    assert isinstance(node, BasicType)
    base, sub = node.base, node.sub
    if base == "uint":
        return _word
    if base == "bool":
        return lambda v: _word(1 if v else 0)
    if base == "address":
        return lambda v: bytes.fromhex(str(v)[2:]).rjust(32, b"\0")
    if base == "string":
        return lambda v: _padded(v.encode("utf-8"))
    if base == "bytes" and sub is None:
        return lambda v: _padded(bytes(v))
    if base == "bytes":
        size = int(sub)

        def encode_fixed(v: Any) -> bytes:
            raw = bytes(v)
            if len(raw) > size:
                raise ValueError(f"bytes{size} value is {len(raw)} bytes long")
            return raw.ljust(32, b"\0")

        return encode_fixed
    raise NotImplementedError(f"type {_name(node)} is not used by the ledger")


@cache
def encoder_for(types: tuple[str, ...]) -> Encoder:
    """An encoder of a sequence of values of `types` (like `eth_abi.encode(types, values)`)."""
    return _tuple_encoder([parse(t) for t in types])


def encode(types: tuple[str, ...], values: Any) -> bytes:
    return encoder_for(types)(values)


# ---------------------------------------------------------------- decoding


def _read_int(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 32], "big")


def _tuple_decoder(components: list[ABIType]) -> Decoder:
    decoders = [_decoder(c) for c in components]
    dynamic = [_is_dynamic(c) for c in components]
    sizes = [32 if d else _static_size(c) for c, d in zip(components, dynamic, strict=True)]

    def decode(data: bytes, start: int) -> tuple[Any, ...]:
        values = []
        at = start
        for dec, dyn, size in zip(decoders, dynamic, sizes, strict=True):
            values.append(dec(data, start + _read_int(data, at)) if dyn else dec(data, at))
            at += size
        return tuple(values)

    return decode


def _decoder(node: ABIType) -> Decoder:
    if node.arrlist:
        if node.arrlist[-1]:
            raise NotImplementedError(f"fixed-size arrays are not used by the ledger: {_name(node)}")
        element = node.item_type
        single = _decoder(element)
        dynamic = _is_dynamic(element)
        size = 32 if dynamic else _static_size(element)

        def decode_array(data: bytes, start: int) -> tuple[Any, ...]:
            count = _read_int(data, start)
            base = start + 32
            if dynamic:
                return tuple(single(data, base + _read_int(data, base + 32 * i)) for i in range(count))
            return tuple(single(data, base + size * i) for i in range(count))

        return decode_array
    if isinstance(node, TupleType):
        return _tuple_decoder(list(node.components))
    assert isinstance(node, BasicType)
    base, sub = node.base, node.sub
    if base == "uint":
        return _read_int
    if base == "bool":
        return lambda data, at: _read_int(data, at) != 0
    if base == "address":
        return lambda data, at: "0x" + data[at + 12 : at + 32].hex()
    if base == "string":
        return lambda data, at: data[at + 32 : at + 32 + _read_int(data, at)].decode("utf-8")
    if base == "bytes" and sub is None:
        return lambda data, at: bytes(data[at + 32 : at + 32 + _read_int(data, at)])
    if base == "bytes":
        size = int(sub)
        return lambda data, at: bytes(data[at : at + size])
    raise NotImplementedError(f"type {_name(node)} is not used by the ledger")


@cache
def decoder_for(types: tuple[str, ...]) -> Callable[[bytes], tuple[Any, ...]]:
    """A decoder of data holding values of `types` (like `eth_abi.decode(types, data)`)."""
    decode = _tuple_decoder([parse(t) for t in types])
    return lambda data: decode(data, 0)


def decode(types: tuple[str, ...], data: bytes) -> tuple[Any, ...]:
    return decoder_for(types)(data)
