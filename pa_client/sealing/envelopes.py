"""Key envelopes: an authorisation's blinding key and one epoch's data key, encrypted for one account's
encryption key with HPKE (RFC 9180, base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM;
`cryptography`'s `hpke.Suite`).

Wire format (`ENVELOPE_VERSION` 1), `ENVELOPE_SIZE` = 113 bytes:

    version (1 byte) ‖ HPKE encapsulated key (32) ‖ AES-128-GCM ciphertext of blinding key ‖ data key (64) ‖ tag (16)

The envelope is bound to `authorisation id ‖ epoch (uint32 big-endian) ‖ recipient address (20 bytes)`:
an envelope copied to another authorisation, epoch or account does not open. The binding is part of
HPKE's `info` (`pa-ledger/v1/envelope ‖ 0x00 ‖ binding`), which enters the key schedule, so it
authenticates exactly as associated data would: `cryptography`'s public single-shot HPKE API takes an
`info` and no associated data.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

from pa_client.errors import SealingError
from pa_client.sealing.keys import KEY_SIZE, AuthorisationKeys, check_epoch, check_key, hkdf_sha256

__all__ = [
    "ENVELOPE_INFO",
    "ENVELOPE_SIZE",
    "ENVELOPE_VERSION",
    "EncryptionKeyPair",
    "development_encryption_key",
    "envelope_binding",
    "unwrap",
    "wrap",
]

ENVELOPE_VERSION = 1
ENVELOPE_INFO = b"pa-ledger/v1/envelope"
ENVELOPE_SIZE = 1 + 32 + 2 * KEY_SIZE + 16
_DEVELOPMENT_LABEL = b"pa-ledger/v1/development-encryption-key"
_SUITE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_128_GCM)
_ADDRESS_SIZE = 20


@dataclass(frozen=True)
class EncryptionKeyPair:
    """An account's X25519 encryption key pair, as raw 32-byte keys (the public one is what the
    registry's key directory holds)."""

    private_key: bytes = field(repr=False)
    public_key: bytes

    def __post_init__(self) -> None:
        check_key(self.private_key, "an encryption private key")
        if _public_of(self.private_key) != check_key(self.public_key, "an encryption public key"):
            raise SealingError("the encryption public key is not the private key's")

    def __repr__(self) -> str:
        return f"EncryptionKeyPair(public_key={self.public_key.hex()})"

    @classmethod
    def generate(cls) -> EncryptionKeyPair:
        """A new key pair from the operating system's random source."""
        return cls.from_private_key(X25519PrivateKey.generate().private_bytes_raw())

    @classmethod
    def from_private_key(cls, private_key: bytes) -> EncryptionKeyPair:
        check_key(private_key, "an encryption private key")
        return cls(private_key, _public_of(private_key))


def development_encryption_key(signing_private_key: bytes) -> EncryptionKeyPair:
    """The encryption key of one of Anvil's development accounts, derived from its (published) signing
    key with HKDF-SHA256 under its own label: deterministic, for the demo and the tests on a local
    development chain only. Anyone can derive it; never use it for a real account."""
    check_key(signing_private_key, "a signing private key")
    return EncryptionKeyPair.from_private_key(hkdf_sha256(signing_private_key, _DEVELOPMENT_LABEL))


def envelope_binding(authorisation_id: bytes, epoch: int, recipient_address: str) -> bytes:
    """`authorisation id (32) ‖ epoch (uint32 big-endian) ‖ recipient address (20)`."""
    if not isinstance(authorisation_id, bytes) or len(authorisation_id) != 32:
        raise SealingError("an envelope's authorisation id must be 32 bytes")
    return authorisation_id + struct.pack(">I", check_epoch(epoch)) + _address(recipient_address)


def wrap(
    recipient_public: bytes,
    authorisation_id: bytes,
    epoch: int,
    recipient_address: str,
    blinding_key: bytes,
    data_key: bytes,
) -> bytes:
    """The envelope of `blinding_key` and `epoch`'s `data_key` for the account `recipient_address`
    whose published encryption key is `recipient_public`."""
    info = ENVELOPE_INFO + b"\0" + envelope_binding(authorisation_id, epoch, recipient_address)
    plaintext = check_key(blinding_key, "a blinding key") + check_key(data_key, "a data key")
    try:
        public = X25519PublicKey.from_public_bytes(check_key(recipient_public, "an encryption public key"))
        return bytes([ENVELOPE_VERSION]) + _SUITE.encrypt(plaintext, public, info=info)
    except ValueError as error:  # e.g. a low-order point: no shared secret
        raise SealingError(f"cannot wrap keys for encryption key {recipient_public.hex()}: {error}") from None


def unwrap(
    recipient: EncryptionKeyPair,
    authorisation_id: bytes,
    epoch: int,
    recipient_address: str,
    envelope: bytes,
) -> AuthorisationKeys:
    """The blinding key and `epoch`'s data key from an envelope for `recipient_address`, opened with its
    encryption key pair. Raises `SealingError` when the envelope is malformed or altered, was wrapped for
    another key, or for another authorisation, epoch or account."""
    info = ENVELOPE_INFO + b"\0" + envelope_binding(authorisation_id, epoch, recipient_address)
    if len(envelope) != ENVELOPE_SIZE or envelope[0] != ENVELOPE_VERSION:
        raise SealingError(
            f"not a key envelope of version {ENVELOPE_VERSION} ({ENVELOPE_SIZE} bytes): "
            f"{len(envelope)} bytes{f', version {envelope[0]}' if envelope else ''}"
        )
    try:
        plaintext = _SUITE.decrypt(
            envelope[1:], X25519PrivateKey.from_private_bytes(recipient.private_key), info=info
        )
    except (InvalidTag, ValueError):
        raise SealingError(
            f"the key envelope of epoch {epoch} for {recipient_address} does not open with encryption key "
            f"{recipient.public_key.hex()}: wrapped for another key, altered, or for another record"
        ) from None
    return AuthorisationKeys(plaintext[:KEY_SIZE], {epoch: plaintext[KEY_SIZE:]})


def _public_of(private_key: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(private_key).public_key().public_bytes_raw()


def _address(address: str) -> bytes:
    hex_digits = address[2:] if isinstance(address, str) and address[:2] in ("0x", "0X") else ""
    try:
        raw = bytes.fromhex(hex_digits)
    except ValueError:
        raw = b""
    if len(raw) != _ADDRESS_SIZE:
        raise SealingError(f"{address!r} is not an account address (0x and 40 hexadecimal digits)")
    return raw
