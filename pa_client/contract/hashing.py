"""Keccak-256, the chain's hash, in one place.

`safe-pysha3` (C) hashes a record's log in about a microsecond; `eth_utils.keccak` (through
eth_hash's backend dispatch and pycryptodome's ctypes) takes tens. The audit hashes three times per
record to recompute the rolling hash, so everything that hashes goes through here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, cast

import sha3  # type: ignore[import-untyped,import-not-found,unused-ignore]


class _Hash(Protocol):
    def digest(self) -> bytes: ...


keccak_256 = cast(Callable[[bytes], _Hash], sha3.keccak_256)
"""The hash object constructor (`keccak_256(data).digest()`), for loops that hash per record."""


def keccak(data: bytes) -> bytes:
    """keccak256(data), 32 bytes."""
    return keccak_256(data).digest()


def keccak_text(text: str) -> bytes:
    """keccak256 of the UTF-8 bytes of `text` (Solidity's `keccak256(bytes(text))`)."""
    return keccak_256(text.encode("utf-8")).digest()
