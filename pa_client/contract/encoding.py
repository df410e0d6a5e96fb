"""Entries and authorisations to and from the ledger's ABI structs (see contracts/interfaces/).

The only place that knows the field order of the contract structs. Encoding turns the models' decimals
into the ledger's integers (`quantities`); decoding turns logged structs back into models.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from functools import cache
from typing import Any

from eth_utils.abi import function_signature_to_4byte_selector

from pa_client.contract.abi_codec import encode as abi_encode
from pa_client.contract.artifacts import abi_type, load_artifact
from pa_client.domain import codes
from pa_client.domain.models import (
    AllocationKey,
    Authorisation,
    BillLodging,
    Correction,
    DeadlineExtension,
    Discharge,
    DischargeMode,
    EntryBase,
    Handling,
    Movement,
    PeriodEnd,
    Placement,
    Processing,
    ProcessingInput,
    ProcessingOutput,
    Product,
)
from pa_client.domain.quantities import (
    from_cents,
    from_micro,
    percent_to_ppm,
    ppm_to_percent,
    to_cents,
    to_micro,
)

AnyEntry = (
    Placement | Movement | Processing | Handling | Discharge | Correction | DeadlineExtension | BillLodging
)

# Contract enum orders (IPaLedger.DischargeMode, IAuthorisationRegistry.PeriodEnd / AllocationKey).
DISCHARGE_MODES: tuple[DischargeMode, ...] = tuple(DischargeMode)
PERIOD_ENDS = ("none", "month", "quarter", "semester")
ALLOCATION_KEYS = ("quantity", "value")
ENTRY_KINDS = (
    "none",
    "placement",
    "movement",
    "processing",
    "handling",
    "discharge",
    "correction",
    "extension",
    "bill",
)
# Records that cannot be corrected (the contract's `LedgerNotCorrectable`): a new one replaces them.
UNCORRECTABLE_KINDS = ("correction", "extension", "bill")
AUTHORISATION_STATUSES = ("unknown", "active", "suspended", "revoked")
LOT_ORIGINS = ("none", "placement", "processing")

# The contract function that records each kind, and the event that logs it.
RECORD_FUNCTIONS: dict[str, str] = {
    "placement": "recordPlacement",
    "movement": "recordMovement",
    "processing": "recordProcessing",
    "handling": "recordHandling",
    "discharge": "recordDischarge",
    "correction": "recordCorrection",
    "extension": "extendDeadline",
    "bill": "lodgeBill",
}
RECORD_EVENTS: dict[str, str] = {
    "placement": "PlacementRecorded",
    "movement": "MovementRecorded",
    "processing": "ProcessingRecorded",
    "handling": "HandlingRecorded",
    "discharge": "DischargeRecorded",
    "correction": "CorrectionRecorded",
    "extension": "DeadlineExtended",
    "bill": "BillLodged",
}
KIND_OF_EVENT = {event: kind for kind, event in RECORD_EVENTS.items()}


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


def from_unix(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def day_start(day: date) -> int:
    return unix(datetime.combine(day, time(0), tzinfo=UTC))


def day_end(day: date) -> int:
    """The last second of a day (UTC): an authorisation valid until a date is valid all that day."""
    return day_start(day + timedelta(days=1)) - 1


def _bytes_code(text: str, size: int) -> bytes:
    raw = text.encode("ascii")
    return raw + b"\0" * (size - len(raw))


def _text_code(raw: bytes) -> str:
    return raw.rstrip(b"\0").decode("ascii")


def _header(entry: EntryBase) -> tuple[Any, ...]:
    documents = [bytes.fromhex(d.removeprefix("0x")) for d in entry.documents]
    return (entry.authorisation, entry.entry_ref, unix(entry.occurred_at), documents)


def encode_entry(entry: AnyEntry, original: bytes = b"") -> tuple[str, tuple[Any, ...]]:
    """The contract function and its struct argument for an entry. A correction needs `original`, the
    logged data of the entry it corrects."""
    header = _header(entry)
    match entry:
        case Placement():
            struct: tuple[Any, ...] = (
                header,
                entry.lot,
                codes.cn_to_int(entry.goods_code),
                entry.description,
                to_micro(entry.quantity),
                _bytes_code(entry.unit, 3),
                entry.site,
                entry.declaration,
                entry.procedure or 0,
                to_cents(entry.customs_value),
                percent_to_ppm(entry.duty_rate),
                _bytes_code(entry.origin, 2),
            )
        case Movement():
            struct = (header, entry.lot, to_micro(entry.quantity), entry.site, entry.to_site)
        case Processing():
            inputs = [(i.lot, to_micro(i.quantity)) for i in entry.inputs]
            outputs = [
                (
                    o.lot,
                    codes.cn_to_int(o.goods_code),
                    o.description,
                    to_micro(o.quantity),
                    _bytes_code(o.unit, 3),
                )
                for o in entry.outputs
            ]
            struct = (header, entry.site, inputs, outputs)
        case Handling():
            struct = (header, entry.lot, codes.cn_to_int(entry.goods_code))
        case Discharge():
            struct = (
                header,
                entry.lot,
                to_micro(entry.quantity),
                entry.site,
                DISCHARGE_MODES.index(entry.mode),
                entry.declaration or "",
                entry.procedure or 0,
            )
        case Correction():
            struct = (header, entry.corrects, entry.reason, original)
        case DeadlineExtension():
            struct = (header, entry.placement, day_start(entry.new_deadline), entry.reason)
        case BillLodging():
            struct = (
                header,
                day_start(entry.period_start),
                day_start(entry.period_end),
                day_start(entry.due),
                bytes.fromhex(entry.bill_sha256.removeprefix("0x")),
            )
    return RECORD_FUNCTIONS[entry.kind], struct


def decode_entry(kind: str, struct: tuple[Any, ...]) -> AnyEntry:
    """A logged struct (as eth_abi decodes it) back to its model."""
    (authorisation, entry_ref, occurred_at, documents), *fields = struct
    base: dict[str, Any] = {
        "authorisation": authorisation,
        "entry_ref": entry_ref,
        "occurred_at": from_unix(occurred_at),
        "documents": tuple(d.hex() for d in documents),
    }
    match kind:
        case "placement":
            (
                lot,
                goods,
                description,
                quantity,
                unit,
                site,
                declaration,
                procedure,
                value,
                rate,
                origin,
            ) = fields
            return Placement(
                **base,
                lot=lot,
                goods_code=codes.int_to_cn(goods),
                description=description,
                quantity=from_micro(quantity),
                unit=_text_code(unit),
                site=site,
                declaration=declaration,
                procedure=procedure or None,
                customs_value=from_cents(value),
                duty_rate=ppm_to_percent(rate),
                origin=_text_code(origin),
            )
        case "movement":
            lot, quantity, from_site, to_site = fields
            return Movement(**base, lot=lot, quantity=from_micro(quantity), site=from_site, to_site=to_site)
        case "processing":
            site, inputs, outputs = fields
            return Processing(
                **base,
                site=site,
                inputs=tuple(ProcessingInput(lot=lot, quantity=from_micro(q)) for lot, q in inputs),
                outputs=tuple(
                    ProcessingOutput(
                        lot=lot,
                        goods_code=codes.int_to_cn(code),
                        description=description,
                        quantity=from_micro(q),
                        unit=_text_code(unit),
                    )
                    for lot, code, description, q, unit in outputs
                ),
            )
        case "handling":
            lot, goods = fields
            return Handling(**base, lot=lot, goods_code=codes.int_to_cn(goods))
        case "discharge":
            lot, quantity, site, mode, declaration, procedure = fields
            return Discharge(
                **base,
                lot=lot,
                quantity=from_micro(quantity),
                site=site,
                mode=DISCHARGE_MODES[mode],
                declaration=declaration or None,
                procedure=procedure or None,
            )
        case "correction":
            corrects, reason, _original = fields
            return Correction(**base, corrects=corrects, reason=reason)
        case "extension":
            placement, new_deadline, reason = fields
            return DeadlineExtension(
                **base,
                placement=placement,
                new_deadline=from_unix(new_deadline).date(),
                reason=reason,
            )
        case "bill":
            period_start, period_end, due, digest = fields
            return BillLodging(
                **base,
                period_start=from_unix(period_start).date(),
                period_end=from_unix(period_end).date(),
                due=from_unix(due).date(),
                bill_sha256=digest.hex(),
            )
    raise ValueError(f"unknown entry kind {kind!r}")


def _ratio_parts(ratio: Fraction) -> tuple[int, int]:
    return ratio.numerator, ratio.denominator


def encode_terms(authorisation: Authorisation) -> tuple[Any, ...]:
    """IAuthorisationRegistry.Terms for an authorisation."""
    products = [
        (
            codes.cn_to_int(p.code),
            p.description,
            _bytes_code(p.unit, 3),
            [(codes.cn_to_int(code), *_ratio_parts(ratio)) for code, ratio in p.contains.items()],
        )
        for p in authorisation.products
    ]
    return (
        authorisation.reference,
        authorisation.holder,
        authorisation.holder_eori,
        authorisation.supervising_office,
        day_start(authorisation.valid_from),
        day_end(authorisation.valid_until),
        authorisation.discharge_period_months,
        PERIOD_ENDS.index(authorisation.period_end.value),
        ALLOCATION_KEYS.index(authorisation.allocation_key.value),
        percent_to_ppm(authorisation.yield_tolerance_percent),
        authorisation.deemed_release_on_expiry,
        [codes.cn_to_int(code) for code in authorisation.import_goods],
        products,
    )


def decode_terms(terms: tuple[Any, ...]) -> Authorisation:
    """Logged IAuthorisationRegistry.Terms back to the model."""
    (
        reference,
        holder,
        eori,
        office,
        valid_from,
        valid_until,
        months,
        period_end,
        allocation_key,
        tolerance,
        deemed_release,
        import_goods,
        products,
    ) = terms
    return Authorisation(
        reference=reference,
        holder=holder,
        holder_eori=eori,
        supervising_office=office,
        valid_from=from_unix(valid_from).date(),
        valid_until=from_unix(valid_until).date(),
        discharge_period_months=months,
        period_end=PeriodEnd(PERIOD_ENDS[period_end]),
        allocation_key=AllocationKey(ALLOCATION_KEYS[allocation_key]),
        yield_tolerance_percent=ppm_to_percent(tolerance),
        deemed_release_on_expiry=deemed_release,
        import_goods=tuple(codes.int_to_cn(c) for c in import_goods),
        products=tuple(
            Product.model_validate(
                {
                    "code": codes.int_to_cn(code),
                    "description": description,
                    "unit": _text_code(unit),
                    "contains": {codes.int_to_cn(c): Fraction(n, d) for c, n, d in contents},
                }
            )
            for code, description, unit, contents in products
        ),
    )


# ---------------------------------------------------------------- call data, without web3's per-call overhead


@cache
def _function_types() -> dict[str, tuple[bytes, str]]:
    """Contract function name → (selector, ABI type of its single argument), from the shipped ABI."""
    table: dict[str, tuple[bytes, str]] = {}
    for item in load_artifact("PaLedger").abi:
        if item["type"] == "function" and len(item.get("inputs", ())) == 1:
            arg = abi_type(item["inputs"][0])
            table[item["name"]] = (function_signature_to_4byte_selector(f"{item['name']}({arg})"), arg)
    return table


def entry_call(entry: AnyEntry, original: bytes = b"") -> bytes:
    """The ABI-encoded `record*` call of an entry (an element of `recordBatch`)."""
    function, struct = encode_entry(entry, original)
    selector, arg_type = _function_types()[function]
    return selector + abi_encode((arg_type,), (struct,))


def batch_call(calls: list[bytes]) -> bytes:
    """The ABI-encoded `recordBatch(bytes[])` call."""
    selector, arg_type = _function_types()["recordBatch"]
    return selector + abi_encode((arg_type,), (calls,))


def entry_log_data(entry: AnyEntry, sequence: int, original: bytes = b"") -> bytes:
    """The data the ledger will log for an entry recorded as `sequence` of its authorisation: what a
    correction of it must carry as `original`."""
    function, struct = encode_entry(entry, original)
    _, arg_type = _function_types()[function]
    return abi_encode(("uint64", arg_type), (sequence, struct))
