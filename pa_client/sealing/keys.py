"""An authorisation's keys: the blinding key of its ids and its data keys, one per epoch.

Customs draw a root secret of 32 random bytes when they register an authorisation. The blinding key
and the first data key (epoch 0) are derived from it with HKDF-SHA256, each under its own label. A
later epoch (begun when the holder removes a declarant) has a *fresh random* data key, derived from
nothing: a removed declarant who kept the root, the blinding key and every data key it was given can
derive no key of an epoch after its removal. Envelopes therefore carry the blinding key and one
epoch's data key, never the root (docs/spec/confidentiality.md, docs/security.md "Keys").
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pa_client.errors import SealingError, UnreadableError

__all__ = [
    "BLINDING_LABEL",
    "KEY_SIZE",
    "MAX_EPOCH",
    "AuthorisationKeys",
    "data_label",
    "hkdf_sha256",
    "new_root_secret",
]

KEY_SIZE = 32
MAX_EPOCH = 2**32 - 1  # the contract's uint32
BLINDING_LABEL = b"pa-ledger/v1/blinding"


def data_label(epoch: int) -> bytes:
    """The HKDF label of a data key derived from the root: only epoch 0's is (`pa-ledger/v1/data/0`)."""
    return b"pa-ledger/v1/data/%d" % epoch


def hkdf_sha256(secret: bytes, info: bytes, length: int = KEY_SIZE) -> bytes:
    """HKDF-SHA256 (RFC 5869) of `secret`, no salt, labelled by `info`."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(secret)


def new_root_secret() -> bytes:
    """32 bytes from the operating system's random source: an authorisation's root secret."""
    return os.urandom(KEY_SIZE)


def check_key(key: bytes, what: str) -> bytes:
    if not isinstance(key, bytes) or len(key) != KEY_SIZE:
        shown = f"{len(key)} bytes" if isinstance(key, bytes) else type(key).__name__
        raise SealingError(f"{what} must be {KEY_SIZE} bytes, not {shown}")
    return key


def check_epoch(epoch: int) -> int:
    if isinstance(epoch, bool) or not isinstance(epoch, int) or not 0 <= epoch <= MAX_EPOCH:
        raise SealingError(f"key epoch {epoch!r} is not a number from 0 to {MAX_EPOCH}")
    return epoch


@dataclass(frozen=True)
class AuthorisationKeys:
    """The keys of one authorisation that a party holds: the blinding key and the data keys of the
    epochs it may read (a declarant appointed late, or removed, holds only some)."""

    blinding_key: bytes = field(repr=False)
    data_keys: Mapping[int, bytes] = field(repr=False)

    def __post_init__(self) -> None:
        check_key(self.blinding_key, "a blinding key")
        keys = {
            check_epoch(epoch): check_key(key, f"the data key of epoch {epoch}")
            for epoch, key in self.data_keys.items()
        }
        object.__setattr__(self, "data_keys", MappingProxyType(dict(sorted(keys.items()))))

    def __repr__(self) -> str:
        return f"AuthorisationKeys(epochs={list(self.data_keys)})"

    @classmethod
    def from_root(cls, root: bytes) -> AuthorisationKeys:
        """The blinding key and epoch 0's data key of a root secret."""
        check_key(root, "a root secret")
        return cls(hkdf_sha256(root, BLINDING_LABEL), {0: hkdf_sha256(root, data_label(0))})

    @property
    def epochs(self) -> tuple[int, ...]:
        return tuple(self.data_keys)

    @property
    def latest_epoch(self) -> int:
        """The newest epoch whose data key is held: the one to seal new payloads with."""
        if not self.data_keys:
            raise UnreadableError("no data key of any epoch is held")
        return max(self.data_keys)

    def data_key(self, epoch: int) -> bytes:
        try:
            return self.data_keys[epoch]
        except KeyError:
            raise UnreadableError(f"no data key of epoch {epoch} is held") from None

    def with_epoch(self, epoch: int, data_key: bytes) -> AuthorisationKeys:
        """These keys and `data_key` for `epoch` (from an envelope); the same key again changes nothing,
        another key for an epoch already held is refused."""
        held = self.data_keys.get(epoch)
        if held is not None and held != data_key:
            raise SealingError(f"two different data keys for epoch {epoch}")
        return AuthorisationKeys(self.blinding_key, {**self.data_keys, epoch: data_key})

    def merged(self, other: AuthorisationKeys) -> AuthorisationKeys:
        """The epochs of both (envelopes of several epochs), which must share the blinding key."""
        if other.blinding_key != self.blinding_key:
            raise SealingError("the keys are not of the same authorisation (blinding keys differ)")
        keys = self
        for epoch, data_key in other.data_keys.items():
            keys = keys.with_epoch(epoch, data_key)
        return keys

    def with_new_epoch(self) -> AuthorisationKeys:
        """A new epoch after the latest, with a fresh random data key (not derived from anything)."""
        epoch = self.latest_epoch + 1
        return AuthorisationKeys(
            self.blinding_key, {**self.data_keys, check_epoch(epoch): os.urandom(KEY_SIZE)}
        )
