"""Sealed payloads: a record's business data encrypted under its authorisation's data key.

Wire format (`SEALED_VERSION` 1):

    version (1 byte) ‖ epoch (uint32, big-endian) ‖ nonce (12 bytes) ‖ AES-256-GCM ciphertext ‖ tag (16)

The nonce is random for every seal (96 bits: no two seals under one key share one, in any number a
ledger will see). The associated data authenticated with it is the 5-byte header followed by the
caller's `associated` bytes, normally `associated_data(authorisation id, entry id, kind)`: a payload
opens only for the record it was sealed for, so it cannot be moved to another one, and its epoch byte
cannot be changed either.
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from pa_client.errors import SealingError, UnreadableError
from pa_client.sealing.keys import check_epoch, check_key

__all__ = [
    "NONCE_SIZE",
    "SEALED_OVERHEAD",
    "SEALED_VERSION",
    "TAG_SIZE",
    "associated_data",
    "open_sealed",
    "seal",
    "sealed_epoch",
]

SEALED_VERSION = 1
NONCE_SIZE = 12
TAG_SIZE = 16
_HEADER = struct.Struct(">BI")  # version, epoch
SEALED_OVERHEAD = _HEADER.size + NONCE_SIZE + TAG_SIZE  # 33 bytes beyond the plaintext
_PAYLOAD_LABEL = b"pa-ledger/v1/payload"
_KIND = re.compile(r"[a-z][a-z0-9-]{0,31}")
_ID_SIZE = 32


def associated_data(authorisation_id: bytes, entry_id: bytes, kind: str) -> bytes:
    """What binds a payload to its record: `pa-ledger/v1/payload ‖ 0x00 ‖ authorisation id (32) ‖
    entry id (32) ‖ kind` (lower-case ASCII, e.g. `placement`; the ids' fixed size keeps it unambiguous)."""
    for name, value in (("authorisation id", authorisation_id), ("entry id", entry_id)):
        if not isinstance(value, bytes) or len(value) != _ID_SIZE:
            raise SealingError(f"the {name} of a payload's associated data must be {_ID_SIZE} bytes")
    if not _KIND.fullmatch(kind):
        raise SealingError(f"a record kind is lower-case ASCII, not {kind!r}")
    return _PAYLOAD_LABEL + b"\0" + authorisation_id + entry_id + kind.encode("ascii")


def seal(data_key: bytes, epoch: int, associated: bytes, plaintext: bytes) -> bytes:
    """`plaintext` sealed under the data key of `epoch`, bound to `associated`."""
    check_key(data_key, "a data key")
    header = _HEADER.pack(SEALED_VERSION, check_epoch(epoch))
    nonce = os.urandom(NONCE_SIZE)
    return header + nonce + AESGCM(data_key).encrypt(nonce, plaintext, header + associated)


def sealed_epoch(sealed: bytes) -> int:
    """The epoch whose data key opens a sealed payload (read from its header, not yet authenticated)."""
    if len(sealed) < SEALED_OVERHEAD:
        raise SealingError(f"a sealed payload has at least {SEALED_OVERHEAD} bytes, this one {len(sealed)}")
    version, epoch = _HEADER.unpack_from(sealed)
    if version != SEALED_VERSION:
        raise SealingError(
            f"sealed payload of unknown version {version} (this client reads {SEALED_VERSION})"
        )
    return int(epoch)


def open_sealed(keys_by_epoch: Mapping[int, bytes], associated: bytes, sealed: bytes) -> bytes:
    """The plaintext of a sealed payload, with the data key of its epoch.

    Raises `UnreadableError` when no key of its epoch is held, and `SealingError` when it is malformed,
    altered, or sealed for other associated data (another record)."""
    epoch = sealed_epoch(sealed)
    data_key = keys_by_epoch.get(epoch)
    if data_key is None:
        raise UnreadableError(f"no data key of epoch {epoch} is held: the payload cannot be read")
    header, nonce = sealed[: _HEADER.size], sealed[_HEADER.size : _HEADER.size + NONCE_SIZE]
    try:
        return AESGCM(check_key(data_key, "a data key")).decrypt(
            nonce, sealed[_HEADER.size + NONCE_SIZE :], header + associated
        )
    except InvalidTag:
        raise SealingError(
            f"the sealed payload (epoch {epoch}) does not open: altered, or sealed for another record"
        ) from None
