"""Accounts that sign transactions: development aliases of the local node, or encrypted keystores.

`--account holder` names one of Anvil's development accounts and is accepted only on a local
development chain; anything else is the path of an encrypted keystore JSON file whose password
comes from PA_PASSWORD.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from eth_account import Account
from eth_account.signers.local import LocalAccount
from pydantic import SecretStr

from pa_client.chain.node import DEV_MNEMONIC, local_rpc
from pa_client.chain.transport import redact
from pa_client.errors import AccountError, NodeError
from pa_client.settings import Settings

__all__ = [
    "DEV_ALIASES",
    "DEV_CHAIN_ID",
    "DEV_MNEMONIC",
    "DEV_PRIVATE_KEYS",
    "create_keystore",
    "dev_account",
    "is_local_dev_chain",
    "load_account",
    "resolve_account",
]

log = logging.getLogger(__name__)

DEV_CHAIN_ID = 31337
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

# Anvil's public development keys: the first ten accounts of DEV_MNEMONIC, published in Foundry's
# documentation and known to everyone. Any funds sent to them on a real chain are taken at once;
# they are only ever accepted on a local development chain (see `is_local_dev_chain`).
DEV_PRIVATE_KEYS: tuple[str, ...] = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
)

# Role names used by the demo and the tests, then dev0..dev9 for the same keys by index.
DEV_ALIASES: dict[str, int] = {
    "customs": 0,
    "holder": 1,
    "broker": 2,
    "holder2": 3,
    "broker2": 4,
    "stranger": 5,
    **{f"dev{i}": i for i in range(len(DEV_PRIVATE_KEYS))},
}


def dev_account(alias: str) -> LocalAccount:
    """The development account named `alias`, with no check of the chain (tests, demo)."""
    try:
        index = DEV_ALIASES[alias.lower()]
    except KeyError:
        known = ", ".join(DEV_ALIASES)
        raise AccountError(f"unknown development account {alias!r} (known: {known})") from None
    return _from_key(DEV_PRIVATE_KEYS[index])


def is_local_dev_chain(rpc_url: str | None, chain_id: int | None) -> bool:
    """True for the embedded node (`rpc_url` None) or a loopback URL with chain id 31337."""
    if rpc_url is None:
        return True
    return _host(rpc_url) in LOCAL_HOSTS and chain_id == DEV_CHAIN_ID


def load_account(spec: str, settings: Settings, *, chain_id: int | None = None) -> LocalAccount:
    """Resolve `spec` (a development alias or a keystore path) to a signing account.

    `chain_id` is the connected chain's id; when it is needed and not given, it is asked of a
    loopback `settings.rpc_url`. A file named like an alias is reached as `./holder`.
    """
    if spec.lower() in DEV_ALIASES:
        _refuse_unless_local(spec, settings.rpc_url, chain_id)
        return dev_account(spec)
    path = Path(spec).expanduser()
    if not path.exists():
        raise AccountError(
            f"account {spec!r} is neither a development account "
            f"({', '.join(list(DEV_ALIASES)[:6])}, dev0..dev9) nor an existing keystore file"
        )
    return decrypt_keystore(path, settings.password)


def resolve_account(settings: Settings, *, chain_id: int | None = None) -> LocalAccount:
    """The account named by `--account` / PA_ACCOUNT."""
    if settings.account is None:
        raise AccountError("no account given: use --account or set PA_ACCOUNT")
    return load_account(settings.account, settings, chain_id=chain_id)


def decrypt_keystore(path: Path, password: SecretStr | str | None) -> LocalAccount:
    """Decrypt an eth-account keystore JSON file."""
    if password is None:
        raise AccountError(f"keystore {path} needs its password: set PA_PASSWORD")
    secret = password.get_secret_value() if isinstance(password, SecretStr) else password
    keystore = read_json_file(path, "keystore", "a keystore file")
    if not isinstance(keystore, dict) or "crypto" not in {k.lower() for k in keystore}:
        raise AccountError(f"{path} is not a keystore file (no 'crypto' section)")
    try:
        key = Account.decrypt(keystore, secret)
    except ValueError as exc:
        if "MAC mismatch" in str(exc):
            raise AccountError(f"cannot decrypt keystore {path}: wrong password (PA_PASSWORD)") from None
        raise AccountError(f"cannot decrypt keystore {path}: {exc}") from None
    except (KeyError, TypeError, NotImplementedError) as exc:
        raise AccountError(f"{path} is not a usable keystore file: {exc}") from None
    return _from_key(key)


def read_json_file(path: Path, what: str, kind: str) -> Any:
    """A JSON file kept beside the signing keys: `what` names it in a read error ("keystore"), `kind`
    what it is not when it is no JSON ("a keystore file")."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AccountError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except ValueError:
        raise AccountError(f"{path} is not {kind} (not JSON)") from None


def create_keystore(
    path: Path,
    password: SecretStr | str,
    *,
    private_key: str | bytes | None = None,
    kdf_iterations: int | None = None,
) -> LocalAccount:
    """Write a new encrypted keystore (mode 0600, never overwriting) and return its account.

    `kdf_iterations` lowers the scrypt work factor (default 262144) for tests only.
    """
    secret = password.get_secret_value() if isinstance(password, SecretStr) else password
    if not secret:
        raise AccountError("refusing to create a keystore with an empty password")
    account: LocalAccount = Account.create() if private_key is None else Account.from_key(private_key)
    keystore = Account.encrypt(account.key, secret, kdf="scrypt", iterations=kdf_iterations)
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: an existing keystore is never replaced; 0600: only the owner may read the key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise AccountError(f"{path} already exists; not overwriting a keystore") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(keystore, handle)
        handle.write("\n")
    log.info("created keystore %s for %s", path, account.address)
    return account


def _refuse_unless_local(alias: str, rpc_url: str | None, chain_id: int | None) -> None:
    if rpc_url is not None and chain_id is None and _host(rpc_url) in LOCAL_HOSTS:
        try:
            chain_id = int(local_rpc(rpc_url, "eth_chainId"), 16)
        except NodeError as exc:
            raise AccountError(f"development account {alias!r}: {exc}") from None
    if not is_local_dev_chain(rpc_url, chain_id):
        shown = f" (chain id {chain_id})" if chain_id is not None else ""
        raise AccountError(
            f"development account {alias!r} refused: chain {redact(rpc_url or '')!r}{shown} is not a local "
            "development chain"
        )


def _host(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:  # e.g. a malformed IPv6 literal
        return None


def _from_key(key: str | bytes) -> LocalAccount:
    account: LocalAccount = Account.from_key(key)  # typed Any by eth-account's decorator
    return account
