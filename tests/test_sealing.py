"""The sealing primitives (pa_client/sealing/): key derivation, opaque ids, sealed payloads and key
envelopes. Known answers are literals only where fixed inputs give them (HKDF, HMAC); random parts
(nonces, HPKE's ephemeral keys) are shown by round trips and by what must fail."""

from __future__ import annotations

import hashlib
import hmac
import struct

import pytest

from pa_client.chain.accounts import DEV_PRIVATE_KEYS
from pa_client.errors import PaClientError, SealingError, UnreadableError
from pa_client.sealing import (
    ENVELOPE_SIZE,
    AuthorisationKeys,
    BlindingDomain,
    EncryptionKeyPair,
    associated_data,
    blind,
    development_encryption_key,
    new_root_secret,
    open_sealed,
    seal,
    sealed_epoch,
    unwrap,
    wrap,
)
from pa_client.sealing.payloads import SEALED_OVERHEAD

ROOT = bytes(range(32))
AUTH_ID = bytes.fromhex("11" * 32)
ENTRY_ID = bytes.fromhex("22" * 32)
HOLDER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
BROKER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"


def _hkdf_rfc5869(secret: bytes, info: bytes) -> bytes:
    """HKDF-SHA256 with no salt and 32 bytes out, by RFC 5869's two steps (an independent check)."""
    prk = hmac.new(b"\0" * 32, secret, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


# ---------------------------------------------------------------- keys


def test_the_root_gives_the_blinding_key_and_epoch_0_by_hkdf() -> None:
    keys = AuthorisationKeys.from_root(ROOT)
    assert keys.blinding_key.hex() == "df1c269dd336ddcdd6da3938e46810468d18e204cbe8f5b91ddc1d7ae9a2d0e0"
    assert keys.data_key(0).hex() == "f22ba1daac0b1eb91779d499dd516adad29c80be139e8bb4ee3ef882a69ee9d6"
    assert keys.blinding_key == _hkdf_rfc5869(ROOT, b"pa-ledger/v1/blinding")
    assert keys.data_key(0) == _hkdf_rfc5869(ROOT, b"pa-ledger/v1/data/0")
    assert keys.epochs == (0,) and keys.latest_epoch == 0


def test_a_new_epochs_data_key_is_fresh_and_not_derived_from_the_root() -> None:
    keys = AuthorisationKeys.from_root(ROOT)
    first, second = keys.with_new_epoch(), keys.with_new_epoch()
    assert first.epochs == (0, 1) and first.latest_epoch == 1
    assert first.blinding_key == keys.blinding_key and first.data_key(0) == keys.data_key(0)
    assert first.data_key(1) != second.data_key(1)  # random, not a function of the root
    assert first.data_key(1) != _hkdf_rfc5869(ROOT, b"pa-ledger/v1/data/1")
    assert first.with_new_epoch().epochs == (0, 1, 2)


def test_keys_merge_per_epoch_and_refuse_contradictions() -> None:
    keys = AuthorisationKeys.from_root(ROOT).with_new_epoch()
    only_1 = AuthorisationKeys(keys.blinding_key, {1: keys.data_key(1)})
    only_0 = AuthorisationKeys(keys.blinding_key, {0: keys.data_key(0)})
    assert only_1.merged(only_0) == keys and only_1.merged(only_1) == only_1
    with pytest.raises(UnreadableError, match="no data key of epoch 0"):
        only_1.data_key(0)
    with pytest.raises(SealingError, match="two different data keys for epoch 1"):
        only_1.with_epoch(1, b"\x01" * 32)
    with pytest.raises(SealingError, match="not of the same authorisation"):
        only_1.merged(AuthorisationKeys(b"\x02" * 32, {}))
    with pytest.raises(SealingError, match="must be 32 bytes, not 16 bytes"):
        AuthorisationKeys(b"\0" * 16, {})
    with pytest.raises(SealingError, match="key epoch -1"):
        AuthorisationKeys(keys.blinding_key, {-1: keys.data_key(0)})
    assert "data_key" not in repr(keys) and keys.blinding_key.hex() not in repr(keys)


def test_a_root_secret_is_32_random_bytes() -> None:
    assert len(new_root_secret()) == 32 and new_root_secret() != new_root_secret()


# ---------------------------------------------------------------- ids


@pytest.mark.parametrize(
    ("domain", "text", "expected"),
    [
        (
            "authorisation",
            "FRIPO000000000042",
            "5ca18b4729b143c4aba427adebd772f6c92e7f0b7cbf01704594ebd9060dddd8",
        ),
        ("entry", "BDP-IM-2019-0001", "b4d236486907044bb40e9f257f0f06abb522d6668776e5eceb331af873776fce"),
        ("lot", "TRD-2019-0001", "b0096389fa91e4e45aabae02e90fb6a7df88916135d4e9b3775192e8901bef37"),
        ("site", "BOURGES-STORE", "6f747664123cd4f97233af119de8c3e3db7b3c2bfd4a47c43da85349d6fd2e34"),
        ("goods", "40122000", "6f95e177b0f07c31ec50646243a41a674d370cc9d270e5ac2edbd04012862304"),
        ("unit", "KGM", "b89e3f3548dbcc6b5d3d344fafb590438100ef6874fb7bcdac93b2b8f9615bc4"),
        (
            "declaration",
            "19FR000000000000A1",
            "145bd6265ce7bb3adbf688180b5b70679b1c76ba75395f1d89ea887d8105eb8b",
        ),
    ],
)
def test_blinded_ids_are_hmac_sha256_of_the_label_and_text(domain: str, text: str, expected: str) -> None:
    key = AuthorisationKeys.from_root(ROOT).blinding_key
    assert blind(key, BlindingDomain(domain), text).hex() == expected
    assert (
        blind(key, domain, text)
        == hmac.new(key, domain.encode() + b"\0" + text.encode(), hashlib.sha256).digest()
    )


def test_ids_differ_by_domain_and_by_authorisation() -> None:
    key = AuthorisationKeys.from_root(ROOT).blinding_key
    other = AuthorisationKeys.from_root(bytes(32)).blinding_key
    assert blind(key, BlindingDomain.LOT, "A1") != blind(key, BlindingDomain.SITE, "A1")
    assert blind(key, BlindingDomain.LOT, "A1") != blind(other, BlindingDomain.LOT, "A1")
    # The label's separator: "lot" ‖ 0 ‖ "x" is not "lotx" or any other label's text.
    assert blind(key, BlindingDomain.LOT, "x") != blind(key, BlindingDomain.LOT, "\0x")


def test_blinding_refuses_what_it_cannot_key() -> None:
    key = AuthorisationKeys.from_root(ROOT).blinding_key
    with pytest.raises(SealingError, match="unknown blinding domain 'colour'"):
        blind(key, "colour", "red")
    with pytest.raises(SealingError, match="blinded as its 8 digits, not '4012200'"):
        blind(key, BlindingDomain.GOODS, "4012200")
    with pytest.raises(SealingError, match="lone surrogate"):
        blind(key, BlindingDomain.LOT, "A\udc80")
    with pytest.raises(SealingError, match="blinding key must be 32 bytes"):
        blind(b"short", BlindingDomain.LOT, "A")


# ---------------------------------------------------------------- payloads


def _sealed(keys: AuthorisationKeys, epoch: int, plaintext: bytes = b"lot=TRD-1;site=BOURGES") -> bytes:
    return seal(keys.data_key(epoch), epoch, associated_data(AUTH_ID, ENTRY_ID, "placement"), plaintext)


def test_a_sealed_payload_opens_for_its_record_with_its_epochs_key() -> None:
    keys = AuthorisationKeys.from_root(ROOT).with_new_epoch()
    associated = associated_data(AUTH_ID, ENTRY_ID, "placement")
    for epoch in (0, 1):
        sealed = _sealed(keys, epoch)
        assert (
            sealed[0] == 1 and struct.unpack(">I", sealed[1:5]) == (epoch,) and sealed_epoch(sealed) == epoch
        )
        assert len(sealed) == len(b"lot=TRD-1;site=BOURGES") + SEALED_OVERHEAD
        assert open_sealed(keys.data_keys, associated, sealed) == b"lot=TRD-1;site=BOURGES"
    assert _sealed(keys, 0) != _sealed(keys, 0)  # a fresh nonce each time
    assert open_sealed(keys.data_keys, associated, seal(keys.data_key(0), 0, associated, b"")) == b""


def test_associated_data_binds_authorisation_entry_and_kind() -> None:
    assert associated_data(AUTH_ID, ENTRY_ID, "placement") == (
        b"pa-ledger/v1/payload\0" + AUTH_ID + ENTRY_ID + b"placement"
    )
    with pytest.raises(SealingError, match="entry id of a payload's associated data must be 32 bytes"):
        associated_data(AUTH_ID, b"\0" * 31, "placement")
    with pytest.raises(SealingError, match="lower-case ASCII, not 'Placement'"):
        associated_data(AUTH_ID, ENTRY_ID, "Placement")


@pytest.mark.parametrize("position", [0, 4, 5, 16, -1])
def test_a_flipped_byte_anywhere_is_refused(position: int) -> None:
    keys = AuthorisationKeys.from_root(ROOT)
    sealed = bytearray(_sealed(keys, 0))
    sealed[position] ^= 0x01
    with pytest.raises(SealingError) as caught:
        open_sealed(keys.data_keys, associated_data(AUTH_ID, ENTRY_ID, "placement"), bytes(sealed))
    assert isinstance(caught.value, PaClientError) and str(caught.value)


def test_a_payload_moved_to_another_record_is_refused() -> None:
    keys = AuthorisationKeys.from_root(ROOT)
    sealed = _sealed(keys, 0)
    for associated in (
        associated_data(AUTH_ID, bytes.fromhex("33" * 32), "placement"),  # another entry
        associated_data(bytes.fromhex("44" * 32), ENTRY_ID, "placement"),  # another authorisation
        associated_data(AUTH_ID, ENTRY_ID, "discharge"),  # another kind
    ):
        with pytest.raises(SealingError, match="does not open: altered, or sealed for another record"):
            open_sealed(keys.data_keys, associated, sealed)


def test_a_payload_needs_its_own_epochs_key() -> None:
    keys = AuthorisationKeys.from_root(ROOT).with_new_epoch()
    later = _sealed(keys, 1)
    associated = associated_data(AUTH_ID, ENTRY_ID, "placement")
    removed_declarant = AuthorisationKeys(keys.blinding_key, {0: keys.data_key(0)})
    with pytest.raises(UnreadableError, match="no data key of epoch 1 is held"):
        open_sealed(removed_declarant.data_keys, associated, later)
    # The wrong key under the right epoch number (e.g. epoch 0's key filed as epoch 1): refused.
    with pytest.raises(SealingError, match="does not open"):
        open_sealed({1: keys.data_key(0)}, associated, later)
    with pytest.raises(SealingError, match="at least 33 bytes, this one 10"):
        open_sealed(keys.data_keys, associated, later[:10])
    with pytest.raises(SealingError, match="unknown version 2"):
        open_sealed(keys.data_keys, associated, b"\x02" + later[1:])


# ---------------------------------------------------------------- envelopes


def test_an_envelope_gives_the_recipient_the_blinding_key_and_that_epochs_data_key() -> None:
    keys = AuthorisationKeys.from_root(ROOT).with_new_epoch()
    holder = EncryptionKeyPair.generate()
    envelope = wrap(holder.public_key, AUTH_ID, 1, HOLDER, keys.blinding_key, keys.data_key(1))
    assert len(envelope) == ENVELOPE_SIZE == 113 and envelope[0] == 1
    opened = unwrap(holder, AUTH_ID, 1, HOLDER, envelope)
    assert opened == AuthorisationKeys(keys.blinding_key, {1: keys.data_key(1)})
    assert unwrap(holder, AUTH_ID, 1, HOLDER.lower(), envelope) == opened  # addresses in any case
    assert ROOT not in envelope and keys.data_key(1) not in envelope and keys.blinding_key not in envelope


def test_an_envelope_opens_for_no_other_key_record_or_account() -> None:
    keys = AuthorisationKeys.from_root(ROOT)
    holder, broker = EncryptionKeyPair.generate(), EncryptionKeyPair.generate()
    envelope = wrap(holder.public_key, AUTH_ID, 0, HOLDER, keys.blinding_key, keys.data_key(0))
    for recipient, authorisation_id, epoch, address in (
        (broker, AUTH_ID, 0, HOLDER),  # the wrong recipient's key
        (holder, bytes.fromhex("44" * 32), 0, HOLDER),  # copied to another authorisation
        (holder, AUTH_ID, 1, HOLDER),  # to another epoch
        (holder, AUTH_ID, 0, BROKER),  # to another account
    ):
        with pytest.raises(SealingError, match="does not open with encryption key"):
            unwrap(recipient, authorisation_id, epoch, address, envelope)
    altered = bytearray(envelope)
    altered[50] ^= 0x80
    with pytest.raises(SealingError, match="does not open"):
        unwrap(holder, AUTH_ID, 0, HOLDER, bytes(altered))
    with pytest.raises(SealingError, match=r"not a key envelope of version 1 \(113 bytes\): 112 bytes"):
        unwrap(holder, AUTH_ID, 0, HOLDER, envelope[:-1])
    with pytest.raises(SealingError, match="not an account address"):
        unwrap(holder, AUTH_ID, 0, "holder", envelope)


def test_wrapping_for_a_degenerate_public_key_is_refused() -> None:
    keys = AuthorisationKeys.from_root(ROOT)
    with pytest.raises(SealingError, match="cannot wrap keys for encryption key 0000"):
        wrap(bytes(32), AUTH_ID, 0, HOLDER, keys.blinding_key, keys.data_key(0))


def test_a_key_pair_is_checked_and_keeps_its_private_key_out_of_its_repr() -> None:
    pair = EncryptionKeyPair.generate()
    assert EncryptionKeyPair.from_private_key(pair.private_key) == pair
    assert pair.private_key.hex() not in repr(pair) and repr(pair.private_key) not in repr(pair)
    assert repr(pair) == f"EncryptionKeyPair(public_key={pair.public_key.hex()})"
    with pytest.raises(SealingError, match="public key is not the private key's"):
        EncryptionKeyPair(pair.private_key, EncryptionKeyPair.generate().public_key)


def test_development_encryption_keys_are_derived_from_the_signing_keys() -> None:
    customs = development_encryption_key(bytes.fromhex(DEV_PRIVATE_KEYS[0][2:]))
    holder = development_encryption_key(bytes.fromhex(DEV_PRIVATE_KEYS[1][2:]))
    assert customs.public_key.hex() == "36499525da875c7b07a8c4ebe4548c88154fdf39988bea104ad104a180cd5642"
    assert holder.public_key.hex() == "2d3eab6cf06eaf361d34e9dbb14b4047b9fcbe9559d565f6be37c6b2a510366e"
    label = b"pa-ledger/v1/development-encryption-key"
    assert customs.private_key == _hkdf_rfc5869(bytes.fromhex(DEV_PRIVATE_KEYS[0][2:]), label)
    assert development_encryption_key(bytes.fromhex(DEV_PRIVATE_KEYS[1][2:])) == holder
