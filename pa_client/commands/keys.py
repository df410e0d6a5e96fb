"""`pa keys publish | show | rotate | recover`: the account's encryption keys and the key directory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from pa_client.commands import PaTyper, console, settings_from
from pa_client.errors import AccountError, ChainError

if TYPE_CHECKING:  # the libraries are imported by the commands that use them (`pa --help` stays fast)
    from eth_account.signers.local import LocalAccount

    from pa_client.chain.encryption_keys import EncryptionKeyring
    from pa_client.chain.key_directory import KeyDirectory
    from pa_client.chain.ledger import LedgerClient
    from pa_client.chain.sender import Sent
    from pa_client.settings import Settings

keys_app = PaTyper(
    help=(
        "Encryption keys: each account publishes an encryption public key (X25519) in the registry's key "
        "directory; the keys of an authorisation reach it wrapped for that key (key envelopes). The "
        "private key is kept beside the signing key: KEYSTORE.pa-enc.json, encrypted with PA_PASSWORD "
        "(development accounts derive theirs)."
    ),
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")


def _directory(ledger: LedgerClient) -> KeyDirectory:
    from pa_client.chain.key_directory import KeyDirectory

    return KeyDirectory(ledger)


def _signing(settings: Settings) -> tuple[LedgerClient, str, LocalAccount]:
    from pa_client.chain.connection import open_ledger

    ledger = open_ledger(settings)
    assert settings.account is not None  # open_ledger resolved it
    return ledger, settings.account, ledger.sender.account


def _keyring(settings: Settings, spec: str, account: LocalAccount) -> EncryptionKeyring:
    from pa_client.chain.encryption_keys import load_encryption_keys

    keyring = load_encryption_keys(spec, account, settings.password)
    if keyring is None:
        raise AccountError(
            f"account {account.address} has no encryption key beside its keystore yet: "
            "create and publish one with 'pa keys publish'"
        )
    return keyring


def _done(what: str, sent: Sent) -> None:
    console.print(f"{what} (transaction {sent.tx_hash}, block {sent.block_number:,})", markup=False)


@keys_app.command("publish")
def publish(ctx: typer.Context) -> None:
    """Publish the account's encryption public key in the key directory.

    A keystore account without an encryption key gets one first (a new X25519 key pair, stored encrypted beside the keystore). Nothing is sent when the directory already holds this key.
    """
    from pa_client.chain.encryption_keys import add_encryption_key, load_encryption_keys

    settings = settings_from(ctx)
    ledger, spec, account = _signing(settings)
    keyring = load_encryption_keys(spec, account, settings.password)
    if keyring is None:
        keyring = add_encryption_key(spec, account, settings.password)
        console.print(f"created an encryption key in {keyring.source}", markup=False)
    directory = _directory(ledger)
    published = directory.key_of(account.address)
    public_key = keyring.current.public_key
    if published is not None and published.public_key == public_key:
        console.print(
            f"{account.address}: encryption key {public_key.hex()} is published already "
            f"(version {published.version})",
            markup=False,
        )
        return
    sent = directory.publish_key(public_key)
    version = 1 if published is None else published.version + 1
    _done(f"published encryption key {public_key.hex()} of {account.address} (version {version})", sent)


@keys_app.command("show")
def show(
    ctx: typer.Context,
    account: Annotated[
        str | None,
        typer.Argument(help="Account address (0x…); default: the --account's, with its local keys compared."),
    ] = None,
) -> None:
    """Show an account's published encryption key and the key envelopes wrapped for it.

    With the account's own keys (--account, no address), also whether the local key is the published one and which envelopes it opens.
    """
    from pa_client.chain.connection import open_ledger
    from pa_client.chain.encryption_keys import load_encryption_keys

    settings = settings_from(ctx)
    keyring: EncryptionKeyring | None = None
    address: str
    if account is None:
        ledger, spec, signer = _signing(settings)
        address = signer.address
        keyring = load_encryption_keys(spec, signer, settings.password)
    else:
        ledger = open_ledger(settings, signing=False)
        address = account
    directory = _directory(ledger)
    published = directory.key_of(address)
    if published is None:
        console.print(f"{address}: no encryption key published", markup=False)
    else:
        console.print(
            f"{published.account}: encryption key {published.public_key.hex()} (version {published.version})",
            markup=False,
        )
    if account is None:
        if keyring is None:
            console.print("local key: none (create and publish one with 'pa keys publish')", markup=False)
        else:
            state = (
                "the published one"
                if published is not None and keyring.current.public_key == published.public_key
                else "not published yet ('pa keys publish')"
            )
            console.print(
                f"local key: {keyring.current.public_key.hex()}, {state}; {len(keyring.pairs)} kept "
                f"({keyring.source})",
                markup=False,
            )
    envelopes = directory.envelopes(recipient=address)
    console.print(f"key envelopes for it: {len(envelopes)}", markup=False)
    unopened = {
        item
        for authorisation_id in {e.authorisation_id for e in envelopes}
        if keyring is not None
        for item in directory.keys_received(keyring, authorisation_id).unopened
    }
    for item in envelopes:
        opens = ""
        if keyring is not None:
            opens = ", does not open with the local keys" if item in unopened else ", opens"
        console.print(
            f"  authorisation 0x{item.authorisation_id.hex()}  epoch {item.epoch}  from {item.published_by}  "
            f"block {item.block:,}{opens}",
            markup=False,
        )


@keys_app.command("rotate")
def rotate(ctx: typer.Context) -> None:
    """Replace the account's encryption key: generate a new key pair, store it and publish it.

    Keystore accounts only. The earlier keys stay in the key file, so envelopes wrapped for them still open; envelopes wrapped from now on are for the new key.
    """
    from pa_client.chain.encryption_keys import add_encryption_key

    settings = settings_from(ctx)
    ledger, spec, account = _signing(settings)
    keyring = add_encryption_key(spec, account, settings.password)
    sent = _directory(ledger).publish_key(keyring.current.public_key)
    _done(
        f"new encryption key {keyring.current.public_key.hex()} of {account.address} stored in "
        f"{keyring.source} and published",
        sent,
    )


@keys_app.command("recover")
def recover(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="Authorisation reference, e.g. FRIPO000000000042.")],
    recipient: Annotated[
        str | None,
        typer.Option("--for", metavar="ADDRESS", help="Whom to wrap the keys for (default: the holder)."),
    ] = None,
) -> None:
    """Wrap an authorisation's keys again, every epoch, for a holder that lost its key (customs).

    The holder first publishes a new key ('pa keys publish' with its new keystore key, or 'pa keys rotate'); customs then open their own envelopes of the authorisation and wrap each epoch's keys for the holder's published key.
    """
    from pa_client.chain.ledger import Status
    from pa_client.contract import ids

    settings = settings_from(ctx)
    ledger, spec, account = _signing(settings)
    state = ledger.authorisation_state(reference)
    if state.status is Status.UNKNOWN:
        raise ChainError(f"authorisation {reference} is not registered")
    target = recipient or state.holder
    directory = _directory(ledger)
    sent = directory.recover(_keyring(settings, spec, account), ids.authorisation_id(reference), target)
    epochs = directory.epoch_of(ids.authorisation_id(reference)) + 1
    console.print(
        f"wrapped the keys of {reference} for {target}: {epochs} epoch{'s' if epochs != 1 else ''}, "
        f"{len(sent)} envelope{'s' if len(sent) != 1 else ''} published (last in block {sent[-1].block_number:,})",
        markup=False,
    )
