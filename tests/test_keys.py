"""Encryption keys: the key files beside the keystores, the registry's key directory, key envelopes and
epochs on the real chain, and `pa keys publish | show | rotate | recover`."""

from __future__ import annotations

import itertools
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from support import factories
from support.chain import AnvilNode, Parties
from web3 import Web3
from web3.logs import DISCARD

from pa_client.chain.accounts import DEV_PRIVATE_KEYS, create_keystore
from pa_client.chain.deployment import save_deployment
from pa_client.chain.encryption_keys import (
    add_encryption_key,
    key_file_of,
    load_encryption_keys,
    read_key_file,
)
from pa_client.chain.key_directory import KeyDirectory
from pa_client.chain.ledger import LedgerClient
from pa_client.cli import main
from pa_client.contract import ids
from pa_client.errors import AccessDenied, AccountError, ChainError, ContractError, UnreadableError
from pa_client.sealing import (
    AuthorisationKeys,
    EncryptionKeyPair,
    associated_data,
    development_encryption_key,
    new_root_secret,
    open_sealed,
    seal,
)

FAST_SCRYPT = 2**10
PASSWORD = "correct horse"
_references = itertools.count(1)


def _directory(client: LedgerClient) -> KeyDirectory:
    return KeyDirectory(client)


def _dev_pair(client: LedgerClient) -> EncryptionKeyPair:
    return development_encryption_key(bytes(client.sender.account.key))


def _published(client: LedgerClient) -> EncryptionKeyPair:
    """The development account's derived key, published if the directory holds another (or none)."""
    pair = _dev_pair(client)
    directory = _directory(client)
    current = directory.key_of(client.sender.address)
    if current is None or current.public_key != pair.public_key:
        directory.publish_key(pair.public_key)
    return pair


def _fresh_account(w3: Web3) -> LocalAccount:
    """A new account with some ether from dev9 (which no other test uses); on a free-gas consortium-like
    node, where no account has ether, it needs none."""
    account: LocalAccount = Account.create()
    funder: LocalAccount = Account.from_key(DEV_PRIVATE_KEYS[9])
    if w3.eth.get_balance(funder.address) < 2 * 10**18:
        return account
    tx: dict[str, Any] = {
        "to": account.address,
        "value": 10**18,
        "gas": 21_000,
        "gasPrice": w3.eth.gas_price,
        "nonce": w3.eth.get_transaction_count(funder.address, "pending"),
        "chainId": w3.eth.chain_id,
    }
    tx_hash = w3.eth.send_raw_transaction(funder.sign_transaction(tx).raw_transaction)
    w3.eth.wait_for_transaction_receipt(tx_hash)
    return account


def _fresh_reference() -> str:
    return f"FRKEY{os.getpid() % 10000:04d}{next(_references):08d}"


@dataclass
class Pa:
    """`pa` on the session's deployment, with its own data folder; PA_PASSWORD set for keystores."""

    rpc_url: str
    data_dir: Path
    capsys: pytest.CaptureFixture[str]

    def __call__(self, *args: str, account: str) -> tuple[int, str, str]:
        code = main(
            ["--rpc-url", self.rpc_url, "--data-dir", str(self.data_dir), "--account", account, *args]
        )
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def pa(
    anvil: AnvilNode,
    parties: Parties,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Pa:
    save_deployment(tmp_path / "data", parties.deployment)
    monkeypatch.setenv("PA_PASSWORD", PASSWORD)
    return Pa(anvil.rpc_url, tmp_path / "data", capsys)


def _keystore(tmp_path: Path, account: LocalAccount, name: str = "holder.json") -> Path:
    path = tmp_path / name
    create_keystore(path, PASSWORD, private_key=account.key, kdf_iterations=2**10)
    return path


# ---------------------------------------------------------------- key files (no chain)


def test_a_keystore_accounts_keys_are_kept_encrypted_beside_it(tmp_path: Path) -> None:
    account: LocalAccount = Account.create()
    keystore = _keystore(tmp_path, account)
    assert load_encryption_keys(str(keystore), account, PASSWORD) is None  # none yet
    first = add_encryption_key(str(keystore), account, PASSWORD, scrypt_n=FAST_SCRYPT)
    path = key_file_of(keystore)
    assert path == tmp_path / "holder.json.pa-enc.json" and first.source == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = path.read_text(encoding="utf-8")
    assert first.current.private_key.hex() not in content and first.current.public_key.hex() in content
    assert json.loads(content)["kdf"]["name"] == "scrypt"
    second = add_encryption_key(str(keystore), account, PASSWORD, scrypt_n=FAST_SCRYPT)
    assert second.pairs[0] == first.current and second.current != first.current  # earlier keys kept
    assert load_encryption_keys(str(keystore), account, PASSWORD) == second
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "holder.json",
        "holder.json.pa-enc.json",
    ]  # no temporary


def test_a_key_file_refuses_a_wrong_password_another_account_and_alteration(tmp_path: Path) -> None:
    account: LocalAccount = Account.create()
    keystore = _keystore(tmp_path, account)
    add_encryption_key(str(keystore), account, PASSWORD, scrypt_n=FAST_SCRYPT)
    path = key_file_of(keystore)
    with pytest.raises(AccountError, match=r"wrong password \(PA_PASSWORD\)"):
        read_key_file(path, account.address, "wrong")
    with pytest.raises(AccountError, match="needs the keystore's password: set PA_PASSWORD"):
        read_key_file(path, account.address, None)
    with pytest.raises(AccountError, match="is of account"):
        read_key_file(path, Account.create().address, PASSWORD)
    content = json.loads(path.read_text(encoding="utf-8"))
    content["keys"][0]["public_key"] = EncryptionKeyPair.generate().public_key.hex()  # bound: refused
    path.write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(AccountError, match="cannot decrypt"):
        read_key_file(path, account.address, PASSWORD)


def test_a_development_account_derives_its_key_and_cannot_rotate_it() -> None:
    account: LocalAccount = Account.from_key(DEV_PRIVATE_KEYS[1])
    keyring = load_encryption_keys("holder", account, None)
    assert keyring is not None and keyring.development
    assert keyring.current == development_encryption_key(bytes(account.key))
    with pytest.raises(AccountError, match="derives its encryption key from its signing key"):
        add_encryption_key("holder", account, PASSWORD)


# ---------------------------------------------------------------- the directory and envelopes


def test_an_account_publishes_its_key_and_anyone_reads_it(parties: Parties) -> None:
    w3 = parties.reader.w3
    account = _fresh_account(w3)
    client = LedgerClient(w3, parties.deployment, account)
    directory, reader = _directory(client), _directory(parties.reader)
    assert reader.key_of(account.address) is None
    first, second = EncryptionKeyPair.generate(), EncryptionKeyPair.generate()
    directory.publish_key(first.public_key)
    assert reader.key_of(account.address).public_key == first.public_key  # type: ignore[union-attr]
    assert reader.key_of(account.address).version == 1  # type: ignore[union-attr]
    with pytest.raises(ContractError) as caught:
        directory.publish_key(first.public_key)
    assert caught.value.error_name == "RegistryEncryptionKeyUnchanged"
    with pytest.raises(ContractError, match="an encryption key cannot be zero"):
        directory.publish_key(bytes(32))
    directory.publish_key(second.public_key)
    published = reader.key_of(account.address)
    assert published is not None and (published.public_key, published.version) == (second.public_key, 2)


def test_envelopes_are_published_by_customs_and_the_holder_only_for_whom_they_may(
    parties: Parties, auth: str
) -> None:
    authorisation_id = ids.authorisation_id(auth)
    for client in (parties.customs, parties.holder, parties.broker, parties.broker2):
        _published(client)
    keys = AuthorisationKeys.from_root(new_root_secret())
    customs, holder = _directory(parties.customs), _directory(parties.holder)
    holder_address, broker_address = parties.holder.sender.address, parties.broker.sender.address
    customs.grant(keys, authorisation_id, [parties.customs.sender.address, holder_address])
    holder.grant(keys, authorisation_id, [holder_address, broker_address, parties.customs.sender.address])
    # Each recipient opens its own envelope and gets the same keys.
    for client in (parties.customs, parties.holder, parties.broker):
        keyring = load_encryption_keys(_alias(parties, client), client.sender.account, None)
        assert keyring is not None
        assert _directory(parties.reader).keys_received(keyring, authorisation_id).keys == keys

    envelope = b"\x01" * 113
    broker2 = parties.broker2.sender.address
    with pytest.raises(ContractError) as refused:
        holder.publish_envelope(authorisation_id, 0, broker2, envelope)  # not its declarant
    assert (refused.value.error_name, refused.value.args_by_name) == (
        "RegistryKeyRecipientNotAllowed",
        {"authorisationId": authorisation_id, "recipient": broker2},
    )
    for client in (parties.broker, parties.stranger, parties.holder2):
        with pytest.raises(AccessDenied) as denied:
            _directory(client).publish_envelope(authorisation_id, 0, holder_address, envelope)
        assert denied.value.args_by_name == {
            "account": client.sender.address,
            "authorisationId": authorisation_id,
        }
    nobody = Account.create().address
    with pytest.raises(ContractError, match="has published no encryption key"):
        customs.publish_envelope(authorisation_id, 0, nobody, envelope)
    with pytest.raises(ChainError, match="has published no encryption key"):
        customs.grant(keys, authorisation_id, [nobody])
    with pytest.raises(
        ContractError, match=r"key epoch 1 has not started \(the authorisation is at epoch 0\)"
    ):
        customs.publish_envelope(authorisation_id, 1, holder_address, envelope)
    with pytest.raises(ContractError, match="a key envelope of 0 bytes"):
        customs.publish_envelope(authorisation_id, 0, holder_address, b"")
    customs.publish_envelope(authorisation_id, 0, broker2, envelope)  # customs: for anyone with a key
    assert [e.recipient for e in _directory(parties.reader).envelopes(authorisation_id=authorisation_id)] == [
        parties.customs.sender.address,
        holder_address,
        holder_address,
        broker_address,
        parties.customs.sender.address,
        broker2,
    ]


def _alias(parties: Parties, client: LedgerClient) -> str:
    return next(name for name in ("customs", "holder", "broker") if getattr(parties, name) is client)


def test_removing_a_declarant_starts_an_epoch_the_removed_one_cannot_read(
    parties: Parties, auth: str
) -> None:
    authorisation_id = ids.authorisation_id(auth)
    for client in (parties.customs, parties.holder, parties.broker):
        _published(client)
    reader = _directory(parties.reader)
    keys = AuthorisationKeys.from_root(new_root_secret())
    holder = _directory(parties.holder)
    holder.grant(keys, authorisation_id, [parties.holder.sender.address, parties.broker.sender.address])
    assert reader.epoch_of(authorisation_id) == 0
    with pytest.raises(ChainError, match="no new epoch to start"):
        holder.start_epoch(keys, authorisation_id, [parties.holder.sender.address])

    sent = parties.holder.remove_declarant(auth, parties.broker.sender.address)
    (started,) = parties.reader.registry.events.KeyEpochStarted().process_receipt(
        sent.receipt, errors=DISCARD
    )
    assert (started["args"]["authorisationId"], started["args"]["epoch"]) == (authorisation_id, 1)
    assert reader.epoch_of(authorisation_id) == 1
    renewed = holder.start_epoch(
        keys, authorisation_id, [parties.holder.sender.address, parties.customs.sender.address]
    )
    assert renewed.epochs == (0, 1) and renewed.data_key(1) != renewed.data_key(0)
    parties.holder.appoint(auth, parties.broker.sender.address)  # appointing starts no epoch
    assert reader.epoch_of(authorisation_id) == 1

    broker_keys = load_encryption_keys("broker", parties.broker.sender.account, None)
    assert broker_keys is not None
    kept = reader.keys_received(broker_keys, authorisation_id).keys
    assert kept == AuthorisationKeys(keys.blinding_key, {0: keys.data_key(0)})  # what it was given
    associated = associated_data(authorisation_id, ids.entry_id("AFTER-1"), "placement")
    later = seal(renewed.data_key(1), 1, associated, b"after the removal")
    with pytest.raises(UnreadableError, match="no data key of epoch 1"):
        open_sealed(kept.data_keys, associated, later)
    customs_keys = load_encryption_keys("customs", parties.customs.sender.account, None)
    assert customs_keys is not None
    customs_view = reader.keys_received(customs_keys, authorisation_id).keys
    assert (
        customs_view is not None
        and open_sealed(customs_view.data_keys, associated, later) == b"after the removal"
    )


# ---------------------------------------------------------------- pa keys


def test_pa_keys_publish_show_and_rotate_a_keystore_account(pa: Pa, parties: Parties, tmp_path: Path) -> None:
    account = _fresh_account(parties.reader.w3)
    keystore = str(_keystore(tmp_path, account))
    code, out, _ = pa("keys", "show", account=keystore)
    assert code == 0 and "no encryption key published" in out and "local key: none" in out
    code, out, _ = pa("keys", "publish", account=keystore)
    assert code == 0 and "created an encryption key in" in out and "(version 1)" in out
    keyring = read_key_file(key_file_of(Path(keystore)), account.address, PASSWORD)
    assert _directory(parties.reader).key_of(account.address).public_key == keyring.current.public_key  # type: ignore[union-attr]
    code, out, _ = pa("keys", "publish", account=keystore)
    assert code == 0 and "is published already (version 1)" in out
    code, out, _ = pa("keys", "rotate", account=keystore)
    assert code == 0 and "stored in" in out and "and published" in out
    rotated = read_key_file(key_file_of(Path(keystore)), account.address, PASSWORD)
    assert rotated.pairs[0] == keyring.current and len(rotated.pairs) == 2
    code, out, _ = pa("keys", "show", account=keystore)
    assert code == 0 and f"encryption key {rotated.current.public_key.hex()} (version 2)" in out
    assert "the published one; 2 kept" in out
    code, out, err = pa("keys", "rotate", account="holder")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "derives its encryption key from its signing key" in err


def test_pa_keys_recover_gives_a_holder_that_lost_its_key_every_epoch_again(
    pa: Pa, parties: Parties, tmp_path: Path
) -> None:
    w3 = parties.reader.w3
    holder_account = _fresh_account(w3)
    keystore = _keystore(tmp_path, holder_account)
    holder = LedgerClient(w3, parties.deployment, holder_account)
    reference = _fresh_reference()
    parties.customs.register(factories.authorisation(reference, holder=holder_account.address))
    authorisation_id = ids.authorisation_id(reference)
    assert pa("keys", "publish", account=str(keystore))[0] == 0
    _published(parties.customs)
    _published(parties.broker)

    # Customs generate the keys at registration; the holder appoints and removes a declarant (epoch 1).
    keys = AuthorisationKeys.from_root(new_root_secret())
    _directory(parties.customs).grant(
        keys, authorisation_id, [parties.customs.sender.address, holder_account.address]
    )
    holder.appoint(reference, parties.broker.sender.address)
    _directory(holder).grant(keys, authorisation_id, [parties.broker.sender.address])
    holder.remove_declarant(reference, parties.broker.sender.address)
    keys = _directory(holder).start_epoch(
        keys, authorisation_id, [holder_account.address, parties.customs.sender.address]
    )
    sealed = {
        epoch: seal(
            keys.data_key(epoch),
            epoch,
            associated_data(authorisation_id, bytes(32), "placement"),
            b"%d" % epoch,
        )
        for epoch in (0, 1)
    }

    # The holder loses its key file, makes and publishes a new key: nothing opens for it any more.
    key_file_of(keystore).unlink()
    assert pa("keys", "publish", account=str(keystore))[0] == 0
    lost = read_key_file(key_file_of(keystore), holder_account.address, PASSWORD)
    reader = _directory(parties.reader)
    before = reader.keys_received(lost, authorisation_id)
    assert before.keys is None and len(before.unopened) == 2

    code, out, err = pa("keys", "recover", reference, account="broker")  # not customs: one line
    assert code == 1 and err.count("\n") == 1 and "lacks the data keys of epochs 1" in err
    code, out, _ = pa("keys", "recover", reference, account="customs")
    assert code == 0 and f"wrapped the keys of {reference} for {holder_account.address}: 2 epochs" in out
    after = reader.keys_received(lost, authorisation_id)
    assert after.keys == keys and len(after.unopened) == 2  # the old envelopes stay unopened
    for epoch, payload in sealed.items():
        assert (
            open_sealed(
                after.keys.data_keys, associated_data(authorisation_id, bytes(32), "placement"), payload
            )
            == b"%d" % epoch
        )
    code, out, _ = pa("keys", "show", account=str(keystore))
    assert code == 0 and "key envelopes for it: 4" in out
    assert out.count(", opens") == 2 and out.count("does not open with the local keys") == 2
