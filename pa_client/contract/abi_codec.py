"""A fast ABI encoder and decoder for the ledger's own types.

eth_abi is general and validates every value; submitting or auditing hundreds of thousands of entries
spends most of its time there. The encoders are compiled once per type string into nested closures,
the decoders into straight-line Python source (the audit reads many records at once with
`abi_columns`; this decoder serves one record at a time); both are checked against eth_abi by `tests/test_abi_codec.py`. They support
what the ledger's ABI uses: tuples, dynamic arrays, string, bytes, bytesN, uintN, bool and address.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from eth_abi.grammar import ABIType, BasicType, TupleType, parse


def type_name(node: ABIType) -> str:
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
            raise NotImplementedError(f"fixed-size arrays are not used by the ledger: {type_name(node)}")
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
    raise NotImplementedError(f"type {type_name(node)} is not used by the ledger")


@cache
def encoder_for(types: tuple[str, ...]) -> Encoder:
    """An encoder of a sequence of values of `types` (like `eth_abi.encode(types, values)`)."""
    return _tuple_encoder([parse(t) for t in types])


def encode(types: tuple[str, ...], values: Any) -> bytes:
    return encoder_for(types)(values)


# ---------------------------------------------------------------- decoding
#
# A decoder is compiled once per type string into straight-line Python (one function per tuple,
# array elements through a helper each): no per-field dispatch, every offset folded where it is
# constant. Reading a record's log is then a few dozen slices and `int.from_bytes`.


def _as_tuple(leaves: list[Any]) -> str:
    """The tuple expression of nested leaves (`_Compiler.leaves`)."""
    return "(" + "".join(f"{_as_tuple(v) if isinstance(v, list) else v}, " for v in leaves) + ")"


class _Compiler:
    """Generates the source of a decoder: `value(node, at)` emits the statements a value needs and
    returns the expression that gives it, `at` being the expression of where its encoding starts."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {"_fb": int.from_bytes}
        self.functions = 0
        self.lines: list[str] = []
        self.temporaries = 0

    def _temporary(self) -> str:
        self.temporaries += 1
        return f"t{self.temporaries}"

    @staticmethod
    def _plus(at: str, offset: int) -> str:
        if offset == 0:
            return at
        if at.isdigit():
            return str(int(at) + offset)
        name, plus, constant = at.rpartition(" + ")
        if plus and constant.isdigit() and name.isidentifier():
            return f"{name} + {int(constant) + offset}"
        return f"{at} + {offset}"

    def _word(self, at: str) -> str:
        return f"_fb(data[{at}:{self._plus(at, 32)}], 'big')"

    def value(self, node: ABIType, at: str) -> str:
        if node.arrlist:
            return self._array(node, at)
        if isinstance(node, TupleType):
            return self._tuple(list(node.components), at)
        assert isinstance(node, BasicType)
        base, sub = node.base, node.sub
        if base == "uint":
            return self._word(at)
        if base == "bool":
            return f"({self._word(at)} != 0)"
        if base == "address":
            return f"'0x' + data[{self._plus(at, 12)}:{self._plus(at, 32)}].hex()"
        if base in ("string", "bytes") and sub is None:
            length = self._temporary()
            self.lines.append(f"{length} = {self._word(at)}")
            body = self._plus(at, 32)
            raw = f"data[{body}:{body} + {length}]"
            return f"{raw}.decode('utf-8')" if base == "string" else f"bytes({raw})"
        if base == "bytes":
            return f"bytes(data[{at}:{self._plus(at, int(sub))}])"
        raise NotImplementedError(f"type {type_name(node)} is not used by the ledger")

    def leaves(self, node: ABIType, at: str) -> Any:
        """Like `value`, but a tuple gives the list of its components' leaves (nested), so that a
        caller can pick the values it needs and combine them as it likes."""
        if isinstance(node, TupleType) and not node.arrlist:
            return self._parts(list(node.components), at)
        return self.value(node, at)

    def _parts(self, components: list[ABIType], at: str) -> list[Any]:
        if not at.isidentifier() and not at.isdigit():
            start = self._temporary()
            self.lines.append(f"{start} = {at}")
            at = start
        parts: list[Any] = []
        offset = 0
        for component in components:
            head = self._plus(at, offset)
            if _is_dynamic(component):
                start = self._temporary()
                self.lines.append(f"{start} = {at} + {self._word(head)}")
                parts.append(self.leaves(component, start))
                offset += 32
            else:
                parts.append(self.leaves(component, head))
                offset += _static_size(component)
        return parts

    def _tuple(self, components: list[ABIType], at: str) -> str:
        return _as_tuple(self._parts(components, at))

    def _array(self, node: ABIType, at: str) -> str:
        if node.arrlist[-1]:
            raise NotImplementedError(f"fixed-size arrays are not used by the ledger: {type_name(node)}")
        element = node.item_type
        count, base = self._temporary(), self._temporary()
        self.lines.append(f"{count} = {self._word(at)}")
        # Each element takes a word at least: a longer count is damaged data, not a loop to run.
        self.lines.append(f"if {count} > len(data) // 32: raise ValueError('an array longer than its data')")
        self.lines.append(f"{base} = {self._plus(at, 32)}")
        if isinstance(element, BasicType) and not element.arrlist and not _is_dynamic(element):
            inline = self.value(element, f"{base} + 32 * i")  # no statements: a word or bytesN
            return f"tuple([{inline} for i in range({count})])"
        single = self.function(element)
        if _is_dynamic(element):
            return f"tuple([{single}(data, {base} + _fb(data[{base} + 32 * i:{base} + 32 * i + 32], 'big')) for i in range({count})])"
        size = _static_size(element)
        return f"tuple([{single}(data, {base} + {size} * i) for i in range({count})])"

    def function(self, node: ABIType) -> str:
        """The name of a compiled `(data, at) -> value` function for `node`."""
        return self._compile(type_name(node), lambda: self.value(node, "at"))

    def tuple_function(self, components: list[ABIType]) -> str:
        """The name of a compiled `(data, at) -> tuple` function for values of `components`."""
        return self._compile(
            ",".join(type_name(c) for c in components), lambda: self._tuple(components, "at")
        )

    def _compile(self, what: str, body: Callable[[], str]) -> str:
        outer_lines, outer_temporaries = self.lines, self.temporaries
        self.lines, self.temporaries = [], 0
        result = body()
        self.functions += 1
        name = f"_f{self.functions}"
        source = "\n    ".join([f"def {name}(data, at):", *self.lines, f"return {result}"])
        exec(compile(source, f"<abi decoder {what}>", "exec"), self.namespace)
        self.lines, self.temporaries = outer_lines, outer_temporaries
        return name


@cache
def decoder_for(types: tuple[str, ...]) -> Callable[[bytes], tuple[Any, ...]]:
    """A decoder of data holding values of `types` (like `eth_abi.decode(types, data)`)."""
    compiler = _Compiler()
    compiled: Decoder = compiler.namespace[compiler.tuple_function([parse(t) for t in types])]
    return lambda data: compiled(data, 0)  # type: ignore[no-any-return,unused-ignore]


def decode(types: tuple[str, ...], data: bytes) -> tuple[Any, ...]:
    return decoder_for(types)(data)
