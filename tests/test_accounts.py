"""Development aliases (local chains only), keystores, and the signing backend."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from eth_account import Account
from eth_keys.backends import get_backend
from eth_keys.backends.coincurve import CoinCurveECCBackend
from web3 import Web3

from pa_client.chain.accounts import (
    DEV_ALIASES,
    DEV_MNEMONIC,
    DEV_PRIVATE_KEYS,
    create_keystore,
    dev_account,
    is_local_dev_chain,
    load_account,
    resolve_account,
)
from pa_client.errors import AccountError
from pa_client.settings import Settings

if TYPE_CHECKING:
    from support.chain import AnvilNode

# Low scrypt work factor: the default (2**18) costs about a second per keystore.
FAST_KDF = 2**10


def test_aliases_are_anvils_accounts(w3: Web3) -> None:
    accounts = list(w3.eth.accounts)
    assert [dev_account(f"dev{i}").address for i in range(10)] == accounts
    roles = ["customs", "holder", "broker", "holder2", "broker2", "stranger"]
    assert [dev_account(role).address for role in roles] == accounts[:6]
    assert dev_account("HOLDER").address == accounts[1]


def test_hard_coded_keys_derive_from_the_mnemonic() -> None:
    Account.enable_unaudited_hdwallet_features()
    for index, key in enumerate(DEV_PRIVATE_KEYS):
        derived = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
        assert derived.key.hex() == key.removeprefix("0x")


def test_alias_on_embedded_node(tmp_path: Path) -> None:
    account = load_account("broker", Settings(data_dir=tmp_path))
    assert account.address == "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"


def test_alias_on_local_rpc_url_asks_the_chain_id(anvil: AnvilNode) -> None:
    settings = Settings(data_dir=anvil.settings.data_dir, rpc_url=anvil.rpc_url)
    assert load_account("customs", settings).address == dev_account("dev0").address


def test_alias_refused_on_a_remote_chain(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, rpc_url="https://rpc.example.org")
    with pytest.raises(AccountError) as caught:
        load_account("holder", settings)
    assert str(caught.value) == (
        "development account 'holder' refused: chain 'https://rpc.example.org' "
        "is not a local development chain"
    )


def test_alias_refused_on_a_local_chain_with_another_id(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, rpc_url="http://127.0.0.1:8545")
    with pytest.raises(AccountError, match=r"refused: chain 'http://127.0.0.1:8545' \(chain id 1\)"):
        load_account("holder", settings, chain_id=1)


@pytest.mark.parametrize(
    ("url", "chain_id", "local"),
    [
        (None, None, True),
        ("http://127.0.0.1:8545", 31337, True),
        ("http://localhost:8545", 31337, True),
        ("http://[::1]:8545", 31337, True),
        ("http://127.0.0.1:8545", 1337, False),
        ("http://10.0.0.7:8545", 31337, False),
        ("http://127.0.0.1.example.org:8545", 31337, False),
        ("http://[::1:8545", 31337, False),
    ],
)
def test_is_local_dev_chain(url: str | None, chain_id: int | None, local: bool) -> None:
    assert is_local_dev_chain(url, chain_id) is local


def test_keystore_roundtrip_with_pa_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "keys" / "customs.json"
    created = create_keystore(path, "correct horse", kdf_iterations=FAST_KDF)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["address"].lower() == created.address.lower()[2:]

    monkeypatch.setenv("PA_ACCOUNT", str(path))
    monkeypatch.setenv("PA_PASSWORD", "correct horse")
    # A keystore works on any chain, unlike the development aliases.
    monkeypatch.setenv("PA_RPC_URL", "https://rpc.example.org")
    loaded = resolve_account(Settings.load())
    assert loaded.address == created.address
    assert loaded.key == created.key


def test_keystore_of_a_given_key(tmp_path: Path) -> None:
    account = create_keystore(
        tmp_path / "k.json", "pw", private_key=DEV_PRIVATE_KEYS[2], kdf_iterations=FAST_KDF
    )
    assert account.address == dev_account("broker").address


def test_wrong_password(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    create_keystore(path, "right", kdf_iterations=FAST_KDF)
    settings = Settings(data_dir=tmp_path, password="wrong")  # type: ignore[arg-type]
    with pytest.raises(AccountError) as caught:
        load_account(str(path), settings)
    assert str(caught.value) == f"cannot decrypt keystore {path}: wrong password (PA_PASSWORD)"


def test_missing_password(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    create_keystore(path, "right", kdf_iterations=FAST_KDF)
    with pytest.raises(AccountError, match="needs its password: set PA_PASSWORD"):
        load_account(str(path), Settings(data_dir=tmp_path))


def test_keystore_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    first = create_keystore(path, "pw", kdf_iterations=FAST_KDF)
    with pytest.raises(AccountError, match="already exists"):
        create_keystore(path, "pw", kdf_iterations=FAST_KDF)
    settings = Settings(data_dir=tmp_path, password="pw")  # type: ignore[arg-type]
    assert load_account(str(path), settings).address == first.address


@pytest.mark.parametrize(
    ("content", "message"),
    [("not json", "not a keystore file (not JSON)"), ('{"a": 1}', "no 'crypto' section")],
)
def test_not_a_keystore(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "k.json"
    path.write_text(content)
    settings = Settings(data_dir=tmp_path, password="pw")  # type: ignore[arg-type]
    with pytest.raises(AccountError) as caught:
        load_account(str(path), settings)
    assert str(caught.value).startswith(f"{path} is not a keystore file")
    assert message in str(caught.value)


def test_unknown_account(tmp_path: Path) -> None:
    with pytest.raises(AccountError, match=r"neither a development account .* nor an existing"):
        load_account(str(tmp_path / "nope.json"), Settings(data_dir=tmp_path))
    with pytest.raises(AccountError, match="no account given: use --account or set PA_ACCOUNT"):
        resolve_account(Settings(data_dir=tmp_path))


def test_every_alias_resolves() -> None:
    assert {dev_account(alias).address for alias in DEV_ALIASES} == {
        Account.from_key(key).address for key in DEV_PRIVATE_KEYS
    }


def test_signing_uses_coincurve() -> None:
    # eth-keys picks coincurve when installed; the pure-Python backend is ~100x slower to sign.
    assert isinstance(get_backend(), CoinCurveECCBackend)
    assert isinstance(Account._keys.backend, CoinCurveECCBackend)
