"""Encryption keys kept beside the signing keys: the X25519 key pairs an account opens key envelopes with.

A keystore account `ACCOUNT.json` keeps its encryption keys in `ACCOUNT.json.pa-enc.json`, in the same
folder, encrypted with the keystore's password (PA_PASSWORD): scrypt (n = 2^18, r = 8, p = 1, a random
salt) gives a 256-bit key, and each private key is sealed with AES-256-GCM under it, bound to the
account's address and its public key. The file is written atomically (a temporary file renamed over
it) with mode 0600. It holds every key the account has had, oldest first: the last is the one in the
key directory, the earlier ones still open the envelopes wrapped for them.

Anvil's development accounts derive theirs from their (published) signing keys
(`sealing.development_encryption_key`): nothing is stored, and they are for a local chain only.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from eth_account.signers.local import LocalAccount
from pydantic import SecretStr

from pa_client.chain.accounts import DEV_ALIASES, read_json_file
from pa_client.errors import AccountError, SealingError
from pa_client.sealing import EncryptionKeyPair, development_encryption_key

__all__ = [
    "KEY_FILE_SUFFIX",
    "EncryptionKeyring",
    "add_encryption_key",
    "key_file_of",
    "load_encryption_keys",
    "read_key_file",
    "write_key_file",
]

log = logging.getLogger(__name__)

KEY_FILE_SUFFIX = ".pa-enc.json"
FORMAT = "pa-ledger encryption keys"
SCRYPT_N = 2**18
_SCRYPT_R, _SCRYPT_P = 8, 1
_AAD_LABEL = b"pa-ledger/v1/encryption-key-file\0"


@dataclass(frozen=True)
class EncryptionKeyring:
    """An account's encryption key pairs, oldest first; `current` is the newest."""

    address: str
    pairs: tuple[EncryptionKeyPair, ...]
    source: str  # "development account" or the key file's path
    development: bool = False

    @property
    def current(self) -> EncryptionKeyPair:
        return self.pairs[-1]

    def pair_of(self, public_key: bytes) -> EncryptionKeyPair | None:
        return next((pair for pair in self.pairs if pair.public_key == public_key), None)


def key_file_of(keystore: Path) -> Path:
    """Where the encryption keys of the keystore account `keystore` are kept."""
    return keystore.with_name(keystore.name + KEY_FILE_SUFFIX)


def load_encryption_keys(
    spec: str, account: LocalAccount, password: SecretStr | str | None
) -> EncryptionKeyring | None:
    """The encryption keys of the account `--account spec` names (already resolved to `account`): a
    development account's derived key, or the keystore's key file (None when it has none yet)."""
    if spec.lower() in DEV_ALIASES:
        pair = development_encryption_key(bytes(account.key))
        return EncryptionKeyring(account.address, (pair,), "development account", development=True)
    path = key_file_of(Path(spec).expanduser())
    if not path.exists():
        return None
    return read_key_file(path, account.address, password)


def add_encryption_key(
    spec: str,
    account: LocalAccount,
    password: SecretStr | str | None,
    pair: EncryptionKeyPair | None = None,
    *,
    scrypt_n: int = SCRYPT_N,
) -> EncryptionKeyring:
    """Adds a new key pair (generated unless given) to a keystore account's key file, creating the file
    when there is none; returns the keys with it as the current one. Development accounts have one
    derived key, which cannot change."""
    if spec.lower() in DEV_ALIASES:
        raise AccountError(
            f"development account {spec!r} derives its encryption key from its signing key: it has no other "
            "(rotate the key of a keystore account)"
        )
    path = key_file_of(Path(spec).expanduser())
    held = read_key_file(path, account.address, password).pairs if path.exists() else ()
    pairs = (*held, pair or EncryptionKeyPair.generate())
    write_key_file(path, account.address, password, pairs, scrypt_n=scrypt_n)
    log.info("%s: encryption key %s added", path, pairs[-1].public_key.hex())
    return EncryptionKeyring(account.address, pairs, str(path))


def write_key_file(
    path: Path,
    address: str,
    password: SecretStr | str | None,
    pairs: tuple[EncryptionKeyPair, ...],
    *,
    scrypt_n: int = SCRYPT_N,
) -> None:
    """Writes the key file whole, atomically, mode 0600 (`scrypt_n` lower for tests only)."""
    secret = _secret(path, password)
    salt = os.urandom(16)
    cipher = AESGCM(_derive(secret, salt, scrypt_n))
    entries = []
    for pair in pairs:
        nonce = os.urandom(12)
        sealed = cipher.encrypt(nonce, pair.private_key, _aad(address, pair.public_key))
        entries.append(
            {"public_key": pair.public_key.hex(), "nonce": nonce.hex(), "ciphertext": sealed.hex()}
        )
    content = {
        "format": FORMAT,
        "version": 1,
        "address": address,
        "kdf": {"name": "scrypt", "n": scrypt_n, "r": _SCRYPT_R, "p": _SCRYPT_P, "salt": salt.hex()},
        "cipher": "aes-256-gcm",
        "keys": entries,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(content, handle, indent=1)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def read_key_file(path: Path, address: str, password: SecretStr | str | None) -> EncryptionKeyring:
    """The key pairs of a key file, decrypted with the password and checked against `address`."""
    secret = _secret(path, password)
    content = read_json_file(path, "encryption key file", "an encryption key file")
    try:
        if content["format"] != FORMAT or content["version"] != 1:
            raise AccountError(f"{path} is not an encryption key file of version 1")
        if str(content["address"]).lower() != address.lower():
            raise AccountError(
                f"encryption key file {path} is of account {content['address']}, not {address}"
            )
        kdf = content["kdf"]
        if (kdf["name"], kdf["r"], kdf["p"]) != ("scrypt", _SCRYPT_R, _SCRYPT_P):
            raise AccountError(f"{path}: unknown key derivation {kdf['name']}")
        cipher = AESGCM(_derive(secret, bytes.fromhex(kdf["salt"]), int(kdf["n"])))
        pairs = tuple(_open_entry(cipher, address, entry) for entry in content["keys"])
    except InvalidTag:
        raise AccountError(
            f"cannot decrypt encryption key file {path}: wrong password (PA_PASSWORD), or altered"
        ) from None
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, AccountError):
            raise
        raise AccountError(f"{path} is not a usable encryption key file: {exc}") from None
    if not pairs:
        raise AccountError(f"encryption key file {path} holds no key")
    return EncryptionKeyring(address, pairs, str(path))


def _open_entry(cipher: AESGCM, address: str, entry: dict[str, Any]) -> EncryptionKeyPair:
    public_key = bytes.fromhex(entry["public_key"])
    private_key = cipher.decrypt(
        bytes.fromhex(entry["nonce"]), bytes.fromhex(entry["ciphertext"]), _aad(address, public_key)
    )
    try:
        return EncryptionKeyPair(private_key, public_key)
    except SealingError as error:
        raise ValueError(str(error)) from None


def _aad(address: str, public_key: bytes) -> bytes:
    return _AAD_LABEL + bytes.fromhex(address.removeprefix("0x").lower()) + public_key


def _derive(secret: str, salt: bytes, n: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=_SCRYPT_R, p=_SCRYPT_P).derive(secret.encode("utf-8"))


def _secret(path: Path, password: SecretStr | str | None) -> str:
    if password is None:
        raise AccountError(f"encryption key file {path} needs the keystore's password: set PA_PASSWORD")
    secret = password.get_secret_value() if isinstance(password, SecretStr) else password
    if not secret:
        raise AccountError("refusing to keep encryption keys under an empty password")
    return secret


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
