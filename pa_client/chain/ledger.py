"""The typed Python API of the ledger: what `pa deploy|authorise|suspend|extend|appoint` and the
submission call. One method per state change, reads for the questions people ask."""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils.abi import function_signature_to_4byte_selector
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError, Web3RPCError
from web3.types import BlockIdentifier

from pa_client.chain import rpc
from pa_client.chain.deployment import Deployment
from pa_client.chain.extract import read_pages
from pa_client.chain.sender import Sender, Sent, as_chain_error
from pa_client.contract import ids
from pa_client.contract.artifacts import load_artifact
from pa_client.contract.encoding import (
    ENTRY_KINDS,
    LOT_ORIGINS,
    RECORD_EVENTS,
    UNCORRECTABLE_KINDS,
    AnyEntry,
    encode_entry,
    encode_terms,
    from_unix,
)
from pa_client.contract.events import RecordLog, decode_record, topic_of
from pa_client.contract.hashing import keccak
from pa_client.contract.reverts import not_correctable
from pa_client.domain import codes
from pa_client.domain.models import Authorisation, Correction, DeadlineExtension
from pa_client.domain.quantities import from_micro
from pa_client.errors import AccountError, ChainError, InputError

log = logging.getLogger("pa_client")


class NotCorrectableError(InputError):
    """A correction names a record that cannot be corrected (a correction, a deadline extension)."""


_CHAIN_OF = function_signature_to_4byte_selector("chainOf(bytes32)")
_REGISTRY_CHAIN = function_signature_to_4byte_selector("registryChain()")
# The contract keeps the low 248 bits of the hash of each entry's logged data (`entryOf`).
_DATA_HASH_MASK = (1 << 248) - 1

CUSTOMS_ROLE = Web3.keccak(text="CUSTOMS_ROLE")


class Status(enum.IntEnum):
    UNKNOWN = 0
    ACTIVE = 1
    SUSPENDED = 2
    REVOKED = 3


@dataclass(frozen=True)
class AuthorisationState:
    reference: str
    holder: str
    status: Status
    version: int
    valid_from: date
    valid_until: date


@dataclass(frozen=True)
class EntryState:
    kind: str
    corrected: bool


@dataclass(frozen=True)
class LotState:
    stock: Decimal
    basis_code: str
    version: int
    dependents: int
    origin: str


class LedgerClient:
    """The deployed registry and ledger, read by anyone, written by `account`."""

    def __init__(self, w3: Web3, deployment: Deployment, account: LocalAccount | None = None) -> None:
        self.w3 = w3
        self.deployment = deployment
        self.registry: Contract = w3.eth.contract(
            address=Web3.to_checksum_address(deployment.registry),
            abi=load_artifact("AuthorisationRegistry").abi,
        )
        self.ledger: Contract = w3.eth.contract(
            address=Web3.to_checksum_address(deployment.ledger), abi=load_artifact("PaLedger").abi
        )
        self._sender = Sender(w3, account) if account is not None else None

    @property
    def sender(self) -> Sender:
        if self._sender is None:
            raise AccountError("this action needs an account: give --account or PA_ACCOUNT")
        return self._sender

    # ------------------------------------------------------------ customs

    def register(self, authorisation: Authorisation) -> Sent:
        return self.sender.send(
            self.registry.functions.register(encode_terms(authorisation)),
            f"register authorisation {authorisation.reference}",
        )

    def amend(self, authorisation: Authorisation) -> Sent:
        return self.sender.send(
            self.registry.functions.amend(encode_terms(authorisation)),
            f"amend authorisation {authorisation.reference}",
        )

    def authorise(self, authorisation: Authorisation) -> tuple[str, Sent]:
        """Registers the authorisation, or amends it when it is already registered."""
        if self.authorisation_state(authorisation.reference).status is Status.UNKNOWN:
            return "registered", self.register(authorisation)
        return "amended", self.amend(authorisation)

    def suspend(self, reference: str, reason: str) -> Sent:
        return self.sender.send(
            self.registry.functions.suspend(ids.authorisation_id(reference), reason),
            f"suspend {reference}",
        )

    def reinstate(self, reference: str, reason: str) -> Sent:
        return self.sender.send(
            self.registry.functions.reinstate(ids.authorisation_id(reference), reason),
            f"reinstate {reference}",
        )

    def revoke(self, reference: str, reason: str) -> Sent:
        return self.sender.send(
            self.registry.functions.revoke(ids.authorisation_id(reference), reason),
            f"revoke {reference}",
        )

    def grant_customs(self, account: str) -> Sent:
        return self.sender.send(
            self.registry.functions.grantRole(CUSTOMS_ROLE, Web3.to_checksum_address(account)),
            f"grant the customs role to {account}",
        )

    def revoke_customs(self, account: str) -> Sent:
        return self.sender.send(
            self.registry.functions.revokeRole(CUSTOMS_ROLE, Web3.to_checksum_address(account)),
            f"revoke the customs role of {account}",
        )

    def extend(self, extension: DeadlineExtension) -> Sent:
        return self.record(extension)

    # ------------------------------------------------------------ holder

    def appoint(self, reference: str, declarant: str) -> Sent:
        return self.sender.send(
            self.registry.functions.appointDeclarant(
                ids.authorisation_id(reference), Web3.to_checksum_address(declarant)
            ),
            f"appoint {declarant} for {reference}",
        )

    def remove_declarant(self, reference: str, declarant: str) -> Sent:
        return self.sender.send(
            self.registry.functions.removeDeclarant(
                ids.authorisation_id(reference), Web3.to_checksum_address(declarant)
            ),
            f"remove {declarant} from {reference}",
        )

    # ------------------------------------------------------------ entries

    def _encoded(self, entry: AnyEntry) -> tuple[str, tuple[Any, ...]]:
        original = (
            self.original_data(entry.authorisation, entry.corrects) if isinstance(entry, Correction) else b""
        )
        return encode_entry(entry, original)

    def record(self, entry: AnyEntry) -> Sent:
        """Records one entry in its own transaction."""
        function, struct = self._encoded(entry)
        return self.sender.send(
            self.ledger.get_function_by_name(function)(struct),
            f"record {entry.kind} {entry.entry_ref}",
        )

    def batch_call_data(self, entries: Sequence[AnyEntry]) -> list[bytes]:
        """The ABI-encoded `record*` calls of a batch, in order."""
        calls = []
        for entry in entries:
            function, struct = self._encoded(entry)
            calls.append(bytes.fromhex(self.ledger.encode_abi(function, args=[struct])[2:]))
        return calls

    def record_batch(self, entries: Sequence[AnyEntry]) -> Sent:
        """Records entries in one transaction, in order, all or nothing."""
        return self.sender.send(
            self.ledger.functions.recordBatch(self.batch_call_data(entries)),
            f"record a batch of {len(entries)}",
        )

    # ------------------------------------------------------------ reads

    def read(self, function: Any, action: str, block: BlockIdentifier = "latest") -> Any:
        """The answer of a view function of the registry or the ledger; a revert is a `ChainError`
        saying `action`."""
        return self._call(function, action, block)

    def _call(self, function: Any, action: str, block: BlockIdentifier = "latest") -> Any:
        try:
            return function.call(block_identifier=block)
        except (ContractLogicError, Web3RPCError, ValueError) as error:
            raise as_chain_error(error, action) from None

    def authorisation_state(self, reference: str, block: BlockIdentifier = "latest") -> AuthorisationState:
        holder, status, version, valid_from, valid_until = self._call(
            self.registry.functions.authorisationOf(ids.authorisation_id(reference)),
            "read the authorisation",
            block,
        )
        return AuthorisationState(
            reference,
            holder,
            Status(status),
            version,
            from_unix(valid_from).date(),
            from_unix(valid_until).date(),
        )

    def is_customs(self, account: str) -> bool:
        return bool(
            self._call(self.registry.functions.isCustoms(Web3.to_checksum_address(account)), "read roles")
        )

    def is_declarant(self, reference: str, account: str) -> bool:
        return bool(
            self._call(
                self.registry.functions.isDeclarant(
                    ids.authorisation_id(reference), Web3.to_checksum_address(account)
                ),
                "read declarants",
            )
        )

    def chain_of(self, reference: str, block: BlockIdentifier = "latest") -> tuple[int, bytes]:
        """(sequence, head) of the authorisation's completeness proof."""
        sequence, head = self._call(
            self.ledger.functions.chainOf(ids.authorisation_id(reference)), "read the chain", block
        )
        return int(sequence), bytes(head)

    def chains(self, references: Sequence[str], block: int) -> list[tuple[int, bytes]]:
        """(sequence, head) of many authorisations at `block`, in JSON-RPC batches."""
        answers = rpc.call_many(
            self.w3,
            str(self.ledger.address),
            [_CHAIN_OF + ids.authorisation_id(reference) for reference in references],
            what="read the authorisations' chains",
            block=block,
        )
        return [(int.from_bytes(answer[:32], "big"), answer[32:64]) for answer in answers]

    def registry_chain(self, block: int) -> tuple[int, bytes]:
        """(number of events, rolling hash) of the registry at `block`."""
        try:
            (answer,) = rpc.call_many(
                self.w3,
                self.deployment.registry,
                [_REGISTRY_CHAIN],
                what="read the registry's chain",
                block=block,
            )
        except ChainError as error:
            if "revert" not in str(error).lower():
                raise
            answer = b""
        if len(answer) < 64:
            raise ChainError(
                f"the registry at {self.deployment.registry} has no registryChain(): it was deployed by an "
                "earlier version of pa-ledger, whose registry does not prove its own completeness; deploy "
                "the ledger again ('pa deploy') to audit with this version"
            )
        return int.from_bytes(answer[:32], "big"), answer[32:64]

    def latest_block_time(self) -> datetime:
        """The time of the chain's latest block (UTC)."""
        block = self.w3.eth.get_block("latest")
        return datetime.fromtimestamp(int(block["timestamp"]), UTC)

    def entry_state(self, reference: str, entry_ref: str) -> EntryState:
        kind, corrected, _ = self._call(
            self.ledger.functions.entryOf(ids.authorisation_id(reference), ids.entry_id(entry_ref)),
            "read an entry",
        )
        return EntryState(ENTRY_KINDS[kind], bool(corrected))

    def lot(self, reference: str, lot: str) -> LotState | None:
        stock, basis, version, dependents, origin = self._call(
            self.ledger.functions.lotOf(ids.lot_id(reference, lot)), "read a lot"
        )
        if origin == 0:
            return None
        return LotState(from_micro(stock), codes.int_to_cn(basis), version, dependents, LOT_ORIGINS[origin])

    def stock(self, reference: str, lot: str, site: str, block: BlockIdentifier = "latest") -> Decimal:
        micro = self._call(
            self.ledger.functions.stockOf(ids.lot_id(reference, lot), ids.site_id(site)),
            "read a stock",
            block,
        )
        return from_micro(micro)

    def totals(self, reference: str, goods_code: str, block: BlockIdentifier = "latest") -> tuple[int, int]:
        """(placed, discharged) import goods of a code, in 10^-18 of its unit."""
        placed, discharged = self._call(
            self.ledger.functions.totalsOf(ids.authorisation_id(reference), codes.cn_to_int(goods_code)),
            "read totals",
            block,
        )
        return int(placed), int(discharged)

    def records(self, reference: str, *, to_block: BlockIdentifier = "latest") -> list[RecordLog]:
        """Every record of an authorisation from the logs, in sequence order (small ledgers; the audit
        pages its reads)."""
        raw = self._logs([None, "0x" + ids.authorisation_id(reference).hex()], to_block)
        decoded = [decode_record(item) for item in raw]
        return sorted((r for r in decoded if r is not None), key=lambda r: r.sequence)

    def original_data(self, reference: str, entry_ref: str, *, block: int | None = None) -> bytes:
        """The logged data of a recorded entry: what a correction of it must carry. `block`: where it
        is expected (the journal's block), read first; else the whole history, in pages (slow on a long
        chain whose node limits the range of one read). The data found must hash as the contract's
        record of the entry says, so a wrong hint costs one read and nothing else."""
        authorisation_id, entry_id = ids.authorisation_id(reference), ids.entry_id(entry_ref)
        kind, _corrected, data_hash = self._call(
            self.ledger.functions.entryOf(authorisation_id, entry_id), "read an entry"
        )
        if ENTRY_KINDS[kind] == "none":
            raise ChainError(f"entry {entry_ref} of {reference} is not recorded: nothing to correct")
        if ENTRY_KINDS[kind] in UNCORRECTABLE_KINDS:
            raise NotCorrectableError(not_correctable(entry_ref, ENTRY_KINDS[kind]))
        topics = [
            ["0x" + topic_of(RECORD_EVENTS[k]).hex() for k in RECORD_EVENTS if k not in UNCORRECTABLE_KINDS],
            "0x" + authorisation_id.hex(),
            "0x" + entry_id.hex(),
        ]
        latest = self._block()
        ranges = [(block, block)] if block is not None and self.deployment.block <= block <= latest else []
        for start, end in [*ranges, (self.deployment.block, latest)]:
            for page in read_pages(self.w3, [str(self.ledger.address)], start, end, topics=topics):
                for item in page.logs:
                    data = bytes.fromhex(str(item["data"]).removeprefix("0x"))
                    if int.from_bytes(keccak(data), "big") & _DATA_HASH_MASK == int(data_hash):
                        return data
        raise ChainError(f"the logs of {reference} do not hold the data the ledger recorded for {entry_ref}")

    def _block(self, block: BlockIdentifier = "latest") -> int:
        if isinstance(block, int):
            return block
        return int(self.w3.eth.get_block(block)["number"])

    def _logs(self, topics: list[Any], to_block: BlockIdentifier = "latest") -> list[dict[str, Any]]:
        """The ledger's logs with `topics` since its deployment, read in pages (a consortium node limits
        the block range of one eth_getLogs)."""
        pages = read_pages(
            self.w3, [str(self.ledger.address)], self.deployment.block, self._block(to_block), topics=topics
        )
        return [item for page in pages for item in page.logs]
