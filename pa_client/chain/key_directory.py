"""The registry's key directory and key envelopes, and what parties do with them.

Reads: an account's published encryption key (`key_of`), an authorisation's key epoch (`epoch_of`), the
envelopes in the registry's logs (`envelopes`). Writes: publishing one's own key, an envelope. Use
cases on top: wrapping an authorisation's keys for recipients (`grant`), opening the envelopes an
account received (`keys_received`), a new epoch's key after a declarant's removal (`start_epoch`), and
customs re-wrapping every epoch for a holder that lost its key (`recover`).

Authorisations are named by their id (`bytes32`), whatever makes it: today `keccak256` of the
reference (`contract.ids.authorisation_id`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode
from eth_utils.abi import event_signature_to_log_topic
from web3 import Web3

from pa_client.chain.encryption_keys import EncryptionKeyring
from pa_client.chain.extract import read_pages
from pa_client.chain.ledger import LedgerClient
from pa_client.chain.sender import Sent
from pa_client.errors import ChainError, SealingError
from pa_client.sealing import AuthorisationKeys, unwrap, wrap

__all__ = [
    "KEY_ENVELOPE_PUBLISHED",
    "KeyDirectory",
    "KeyEnvelope",
    "PublishedKey",
    "ReceivedKeys",
]

log = logging.getLogger(__name__)

KEY_ENVELOPE_PUBLISHED = "KeyEnvelopePublished(bytes32,address,uint32,address,bytes)"


@dataclass(frozen=True)
class PublishedKey:
    """An account's encryption public key in the directory, and its version (1 for its first)."""

    account: str
    public_key: bytes
    version: int


@dataclass(frozen=True)
class KeyEnvelope:
    """One `KeyEnvelopePublished` log."""

    authorisation_id: bytes
    recipient: str
    epoch: int
    published_by: str
    envelope: bytes
    block: int
    log_index: int


@dataclass(frozen=True)
class ReceivedKeys:
    """What an account's envelopes of an authorisation gave: the keys (None: no envelope opened) and
    the envelopes that did not open with any of its key pairs (wrapped for a key it no longer has)."""

    keys: AuthorisationKeys | None
    unopened: tuple[KeyEnvelope, ...]


def _checksum(address: str) -> str:
    return str(Web3.to_checksum_address(address))


class KeyDirectory:
    """The registry's keys, read by anyone, written by the ledger client's account."""

    def __init__(self, ledger: LedgerClient) -> None:
        self.ledger = ledger
        self._functions = ledger.registry.functions

    # ------------------------------------------------------------ reads

    def key_of(self, account: str) -> PublishedKey | None:
        """The account's current published key, None when it has published none."""
        public_key, version = self.ledger.read(
            self._functions.encryptionKeyOf(_checksum(account)), "read the key directory"
        )
        if version == 0:
            return None
        return PublishedKey(_checksum(account), bytes(public_key), int(version))

    def epoch_of(self, authorisation_id: bytes) -> int:
        return int(self.ledger.read(self._functions.keyEpochOf(authorisation_id), "read the key epoch"))

    def envelopes(
        self, *, authorisation_id: bytes | None = None, recipient: str | None = None
    ) -> list[KeyEnvelope]:
        """The envelopes in the registry's logs since its deployment, oldest first, of one authorisation
        and/or one recipient (both indexed: the node filters them)."""
        ledger = self.ledger
        topics: list[Any] = [
            "0x" + bytes(event_signature_to_log_topic(KEY_ENVELOPE_PUBLISHED)).hex(),
            None if authorisation_id is None else "0x" + authorisation_id.hex(),
            None if recipient is None else "0x" + bytes(12).hex() + _checksum(recipient)[2:].lower(),
        ]
        latest = int(ledger.w3.eth.block_number)
        found = []
        for page in read_pages(
            ledger.w3, [ledger.deployment.registry], ledger.deployment.block, latest, topics=topics
        ):
            for item in page.logs:
                found.append(_envelope(item))
        return sorted(found, key=lambda e: (e.block, e.log_index))

    # ------------------------------------------------------------ writes (the client's account)

    def publish_key(self, public_key: bytes) -> Sent:
        """Publishes the account's encryption public key (its next version)."""
        return self.ledger.sender.send(
            self._functions.publishEncryptionKey(public_key), f"publish encryption key {public_key.hex()}"
        )

    def publish_envelope(self, authorisation_id: bytes, epoch: int, recipient: str, envelope: bytes) -> Sent:
        return self.ledger.sender.send(
            self._functions.publishKeyEnvelope(authorisation_id, epoch, _checksum(recipient), envelope),
            f"publish the key envelope of epoch {epoch} for {recipient}",
        )

    # ------------------------------------------------------------ use cases

    def grant(
        self,
        keys: AuthorisationKeys,
        authorisation_id: bytes,
        recipients: Iterable[str],
        epochs: Sequence[int] | None = None,
    ) -> list[Sent]:
        """Wraps `keys` (the epochs given, default all held) for each recipient's published key and
        publishes the envelopes, one transaction each."""
        sent = []
        for recipient in recipients:
            published = self.key_of(recipient)
            if published is None:
                raise ChainError(
                    f"account {_checksum(recipient)} has published no encryption key: nothing can be wrapped "
                    "for it (it publishes one with 'pa keys publish')"
                )
            for epoch in keys.epochs if epochs is None else epochs:
                envelope = wrap(
                    published.public_key,
                    authorisation_id,
                    epoch,
                    published.account,
                    keys.blinding_key,
                    keys.data_key(epoch),
                )
                sent.append(self.publish_envelope(authorisation_id, epoch, published.account, envelope))
        return sent

    def keys_received(self, keyring: EncryptionKeyring, authorisation_id: bytes) -> ReceivedKeys:
        """The authorisation's keys from every envelope wrapped for the keyring's account that one of its
        key pairs opens. Two envelopes of one epoch giving different keys raise `SealingError`."""
        keys: AuthorisationKeys | None = None
        unopened = []
        for item in self.envelopes(authorisation_id=authorisation_id, recipient=keyring.address):
            opened = _open(keyring, item)
            if opened is None:
                unopened.append(item)
                continue
            keys = opened if keys is None else keys.merged(opened)
        return ReceivedKeys(keys, tuple(unopened))

    def start_epoch(
        self, keys: AuthorisationKeys, authorisation_id: bytes, recipients: Iterable[str]
    ) -> AuthorisationKeys:
        """After a declarant's removal started the registry's next epoch: a fresh data key for it, wrapped
        for `recipients` (those who remain: the holder itself, customs, the other declarants)."""
        epoch = self.epoch_of(authorisation_id)
        if epoch != keys.latest_epoch + 1:
            raise ChainError(
                f"the authorisation is at key epoch {epoch}; the keys held end at epoch {keys.latest_epoch}, so "
                f"there is no new epoch to start"
            )
        renewed = keys.with_new_epoch()
        self.grant(renewed, authorisation_id, recipients, epochs=[epoch])
        return renewed

    def recover(self, keyring: EncryptionKeyring, authorisation_id: bytes, recipient: str) -> list[Sent]:
        """Customs re-wrap every epoch of the authorisation for `recipient`'s newly published key (a
        holder that lost its key): the epochs are those customs' own envelopes give, which must be all
        of them up to the current one."""
        received = self.keys_received(keyring, authorisation_id)
        current = self.epoch_of(authorisation_id)
        if received.keys is None:
            raise ChainError(
                f"account {keyring.address} holds no envelope of the authorisation that its keys open: it "
                "cannot wrap the keys for anyone"
            )
        missing = sorted(set(range(current + 1)) - set(received.keys.epochs))
        if missing:
            raise ChainError(
                f"account {keyring.address} lacks the data keys of epochs {', '.join(map(str, missing))} of "
                "the authorisation: it can recover none of them"
            )
        return self.grant(received.keys, authorisation_id, [recipient])


def _envelope(item: dict[str, Any]) -> KeyEnvelope:
    topics = [bytes.fromhex(str(t).removeprefix("0x")) for t in item["topics"]]
    published_by, envelope = decode(["address", "bytes"], bytes.fromhex(str(item["data"]).removeprefix("0x")))
    return KeyEnvelope(
        authorisation_id=topics[1],
        recipient=_checksum("0x" + topics[2][12:].hex()),
        epoch=int.from_bytes(topics[3], "big"),
        published_by=_checksum(published_by),
        envelope=bytes(envelope),
        block=int(str(item["blockNumber"]), 16),
        log_index=int(str(item["logIndex"]), 16),
    )


def _open(keyring: EncryptionKeyring, item: KeyEnvelope) -> AuthorisationKeys | None:
    for pair in reversed(keyring.pairs):
        try:
            return unwrap(pair, item.authorisation_id, item.epoch, item.recipient, item.envelope)
        except SealingError:
            continue
    log.info(
        "the key envelope of epoch %d (block %d) for %s opens with none of its keys",
        item.epoch,
        item.block,
        item.recipient,
    )
    return None
