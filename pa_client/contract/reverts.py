"""Decoding the ledger's reverts into typed errors with a sentence for people.

Custom errors carry the offending values; here they get words. `LedgerBatchEntryFailed` is unwrapped
so that the caller learns which entry of a batch failed and why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from eth_abi.abi import decode
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address

from pa_client.contract.artifacts import abi_type, all_abi_items
from pa_client.contract.encoding import AUTHORISATION_STATUSES, DISCHARGE_MODES, ENTRY_KINDS, from_unix
from pa_client.domain import codes
from pa_client.domain.quantities import display_equivalent, from_micro, ppm_to_percent
from pa_client.errors import AccessDenied, ContractError

_ACCESS_ERRORS = {
    "AccessControlUnauthorizedAccount",
    "RegistryNotRecorder",
    "RegistryNotHolder",
    "RegistryNotKeyPublisher",
}


@dataclass(frozen=True)
class DecodedError:
    name: str
    args: Mapping[str, Any]
    batch_index: int | None = None
    inner: DecodedError | None = field(default=None, repr=False)


# What to do instead of correcting a record that cannot be corrected (docs/entries-file.md).
_INSTEAD = {
    "correction": "to undo a correction, record the corrected entry again under a new entry_ref",
    "extension": "customs record a new deadline extension, which replaces it (the latest one applies)",
    "bill": "lodge the bill of discharge again (`pa bill … --lodge`): the latest lodging of a period applies",
}


def not_correctable(entry_ref: str, kind: str) -> str:
    """Why a correction of `entry_ref`, a record of `kind`, is refused, and what to do instead."""
    instead = _INSTEAD.get(kind)
    words = {"extension": "a deadline extension", "bill": "a lodged bill of discharge"}.get(kind, f"a {kind}")
    return f"entry {entry_ref} is {words}, which cannot be corrected" + (f": {instead}" if instead else "")


@cache
def _errors_by_selector() -> dict[bytes, tuple[str, list[str], list[str]]]:
    table: dict[bytes, tuple[str, list[str], list[str]]] = {
        function_signature_to_4byte_selector("Error(string)"): ("Error", ["message"], ["string"]),
        function_signature_to_4byte_selector("Panic(uint256)"): ("Panic", ["code"], ["uint256"]),
    }
    for item in all_abi_items():
        if item["type"] != "error":
            continue
        types = [abi_type(i) for i in item["inputs"]]
        selector = function_signature_to_4byte_selector(f"{item['name']}({','.join(types)})")
        table[selector] = (item["name"], [i["name"] for i in item["inputs"]], types)
    return table


def decode_revert(data: bytes) -> DecodedError:
    """The custom error in revert data (unknown selectors are reported as such, not guessed)."""
    if len(data) < 4:
        return DecodedError("EmptyRevert", {})
    entry = _errors_by_selector().get(data[:4])
    if entry is None:
        return DecodedError("UnknownError", {"data": "0x" + data.hex()})
    name, names, types = entry
    values = decode(types, data[4:])
    args: dict[str, Any] = {
        arg: to_checksum_address(value) if type_ == "address" else value
        for arg, type_, value in zip(names, types, values, strict=True)
    }
    if name == "LedgerBatchEntryFailed":
        inner = decode_revert(bytes(args["reason"]))
        return DecodedError(inner.name, inner.args, batch_index=int(args["index"]), inner=inner)
    return DecodedError(name, args)


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _qty(value: int) -> str:
    return f"{from_micro(value):,f}"


def _eq(value: int) -> str:
    return f"{display_equivalent(value):,f}"


def _text(value: bytes) -> str:
    return value.rstrip(b"\0").decode("ascii", "replace")


_MESSAGES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "AccessControlUnauthorizedAccount": lambda a: (
        f"account {a['account']} lacks the role {_role_name(a['neededRole'])}"
    ),
    "RegistryNotRecorder": lambda a: (
        f"account {a['account']} is neither the holder nor an appointed declarant of the authorisation"
    ),
    "RegistryNotHolder": lambda a: f"account {a['account']} is not the holder of the authorisation",
    "RegistryUnknownAuthorisation": lambda a: (
        f"no authorisation is registered with id {_hex(a['authorisationId'])}"
    ),
    "RegistryAuthorisationExists": lambda a: (
        f"authorisation {a['ref']} is already registered (amend it instead)"
    ),
    "RegistryAuthorisationNotActive": lambda a: (
        f"the authorisation is {AUTHORISATION_STATUSES[a['status']]} and accepts no new entries"
    ),
    "RegistryInvalidStatusChange": lambda a: (
        f"the authorisation is {AUTHORISATION_STATUSES[a['status']]}: it cannot become {AUTHORISATION_STATUSES[a['requested']]}"
    ),
    "RegistryDeclarantUnchanged": lambda a: (
        f"{a['declarant']} is {'already' if a['appointed'] else 'not'} an appointed declarant"
    ),
    "RegistryUnknownProduct": lambda a: (
        f"product {codes.int_to_cn(a['productCode'])} is not in the authorisation's table (version {a['version']})"
    ),
    "RegistryContentNotAllowed": lambda a: (
        f"product {codes.int_to_cn(a['productCode'])} contains {codes.int_to_cn(a['importGoodsCode'])}, "
        "which the authorisation does not allow"
    ),
    "RegistryZeroEncryptionKey": lambda a: f"account {a['account']}: an encryption key cannot be zero",
    "RegistryEncryptionKeyUnchanged": lambda a: (
        f"account {a['account']} has published encryption key {_hex(a['publicKey'])} already"
    ),
    "RegistryNoEncryptionKey": lambda a: (
        f"account {a['recipient']} has published no encryption key: nothing can be wrapped for it "
        "(it publishes one with 'pa keys publish')"
    ),
    "RegistryNotKeyPublisher": lambda a: (
        f"account {a['account']} is neither customs nor the holder of the authorisation: it may not publish "
        "its key envelopes"
    ),
    "RegistryKeyRecipientNotAllowed": lambda a: (
        f"the holder may wrap the authorisation's keys for itself, its appointed declarants and customs, not "
        f"for {a['recipient']}"
    ),
    "RegistryInvalidKeyEpoch": lambda a: (
        f"key epoch {a['epoch']} has not started (the authorisation is at epoch {a['currentEpoch']})"
    ),
    "RegistryInvalidEnvelopeLength": lambda a: (
        f"a key envelope of {a['length']} bytes (from 1 to {a['maxLength']} are accepted)"
    ),
    "LedgerEntryExists": lambda a: f"entry {a['entryRef']} is already recorded",
    "LedgerMissingField": lambda a: f"entry {a['entryRef']}: {a['field']} is missing",
    "LedgerZeroQuantity": lambda a: f"entry {a['entryRef']}: the quantity is zero",
    "LedgerOutsideValidity": lambda a: (
        f"entry {a['entryRef']} happened on {_date(a['occurredAt'])}, outside the authorisation's validity "
        f"({_date(a['validFrom'])} to {_date(a['validUntil'])})"
    ),
    "LedgerOccurredInFuture": lambda a: (
        f"entry {a['entryRef']} says it happened on {_date(a['occurredAt'])}, after the block recording it "
        f"({_date(a['blockTime'])})"
    ),
    "LedgerGoodsCodeNotAllowed": lambda a: (
        f"goods code {codes.int_to_cn(a['goodsCode'])} is not among the authorisation's import goods"
    ),
    "LedgerInvalidGoodsCode": lambda a: f"entry {a['entryRef']}: {a['goodsCode']} is not an 8-digit CN code",
    "LedgerInvalidDeclaration": lambda a: (
        f"entry {a['entryRef']}: declaration '{a['declaration']}' is not an 18-character MRN"
    ),
    "LedgerLotExists": lambda a: f"lot {a['lot']} already exists in the authorisation",
    "LedgerUnknownLot": lambda a: f"lot {a['lot']} does not exist in the authorisation",
    "LedgerInsufficientStock": lambda a: (
        f"lot {a['lot']} has {_qty(a['available'])} at site {a['site']}, less than the {_qty(a['requested'])} taken"
    ),
    "LedgerInvalidBillPeriod": lambda a: (
        f"entry {a['entryRef']}: the bill's period ends ({from_unix(a['periodEnd']).date()}) before it starts "
        f"({from_unix(a['periodStart']).date()})"
    ),
    "LedgerBillPeriodNotEnded": lambda a: (
        f"entry {a['entryRef']}: the bill's period ends on {from_unix(a['periodEnd']).date()}; a bill is lodged "
        "once its period has ended"
    ),
    "LedgerSameSite": lambda a: f"entry {a['entryRef']}: a movement from {a['site']} to itself",
    "LedgerEmptyProcessing": lambda a: (
        f"processing {a['entryRef']} needs at least one input and one output "
        f"(has {a['inputs']} and {a['outputs']})"
    ),
    "LedgerUnitMismatch": lambda a: (
        f"product {codes.int_to_cn(a['productCode'])} is counted in {_text(a['expected'])}, not {_text(a['given'])}"
    ),
    "LedgerDischargeExceedsPlaced": lambda a: (
        f"import goods {codes.int_to_cn(a['importGoodsCode'])}: {_eq(a['discharged'])} would be discharged, "
        f"more than the {_eq(a['placed'])} placed"
    ),
    "LedgerDeclarationRequired": lambda a: (
        f"entry {a['entryRef']}: a discharge by {DISCHARGE_MODES[a['mode']]} needs its declaration (MRN)"
    ),
    "LedgerUnknownEntry": lambda a: f"entry {a['entryRef']} does not exist in the authorisation",
    "LedgerAlreadyCorrected": lambda a: f"entry {a['entryRef']} was already corrected",
    "LedgerNotCorrectable": lambda a: not_correctable(a["entryRef"], ENTRY_KINDS[a["kind"]]),
    "LedgerCorrectionMismatch": lambda a: (
        f"the data given for entry {a['entryRef']} is not what was recorded"
    ),
    "LedgerLotInUse": lambda a: (
        f"lot {a['lot']} is used by {a['dependents']} later entries or has moved: correct those first"
    ),
    "LedgerTooManyImportGoods": lambda a: (
        f"processing {a['entryRef']} involves more than {a['maxCount']} import goods codes"
    ),
    "LedgerNotAPlacement": lambda a: f"{a['placement']} is not a recorded placement of the authorisation",
    "LedgerNotAnEntry": lambda a: f"batch element {a['index']} is not an entry",
    "RegistryInvalidValidity": lambda a: (
        f"validity from {_date(a['validFrom'])} to {_date(a['validUntil'])} is empty or reversed"
    ),
    "RegistryInvalidTolerance": lambda a: (
        f"a yield tolerance of {ppm_to_percent(a['yieldTolerancePpm'])} % is above 100 %"
    ),
}


def _date(seconds: int) -> str:
    return from_unix(seconds).strftime("%Y-%m-%d %H:%M:%S UTC")


def _role_name(role: bytes) -> str:
    from eth_utils.crypto import keccak

    names = {keccak(text="CUSTOMS_ROLE"): "CUSTOMS_ROLE", b"\0" * 32: "DEFAULT_ADMIN_ROLE"}
    return names.get(role, _hex(role))


def describe(error: DecodedError) -> str:
    """One sentence for people, naming the offending values."""
    render = _MESSAGES.get(error.name)
    if render is not None:
        return render(error.args)
    shown = ", ".join(f"{k}={_hex(v) if isinstance(v, bytes) else v}" for k, v in error.args.items())
    return f"{error.name}({shown})"


def to_exception(error: DecodedError, action: str | None = None) -> ContractError:
    """The typed exception for a decoded revert: `AccessDenied` when an account lacked a role.
    `action` says what was refused (e.g. "appoint 0x… for FRIPO…")."""
    message = describe(error)
    if error.batch_index is not None:
        message = f"batch entry {error.batch_index}: {message}"
    if action:
        message = f"{action} refused: {message}"
    cls = AccessDenied if error.name in _ACCESS_ERRORS else ContractError
    return cls(error.name, dict(error.args), message, error.batch_index)
