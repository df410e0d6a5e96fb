"""Each entry kind's effect on the ledger's state, and every refusal it can raise, on the session's Anvil.

Quantities read back through `LedgerClient` are decimals of the lot's unit; totals are import goods
equivalents in 10^-18 of the import goods' unit. Refusals are asserted by error name and all arguments.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from eth_utils.crypto import keccak
from support import factories
from support.chain import Parties
from support.factories import IMPORT_CASING, IMPORT_TREAD, PRODUCT_SCRAP, PRODUCT_TYRE
from web3 import Web3
from web3.logs import DISCARD

from pa_client.chain.ledger import CUSTOMS_ROLE, EntryState, LedgerClient, LotState
from pa_client.chain.sender import Sent
from pa_client.contract import ids
from pa_client.contract.encoding import AnyEntry, day_end, day_start, encode_entry, encode_terms, unix
from pa_client.domain.models import DischargeMode
from pa_client.errors import AccessDenied, ContractError

UNIT = 10**18  # one unit of import goods, in the ledger's equivalents
TREAD = int(IMPORT_TREAD)
CASING = int(IMPORT_CASING)
TYRE = int(PRODUCT_TYRE)
SCRAP = int(PRODUCT_SCRAP)
SITE = "BOURGES"
OTHER_SITE = "CLERMONT"
NOTHING = EntryState("none", False)


def expect(error: ContractError, name: str, **args: object) -> None:
    """`error` is the custom error `name` with exactly `args`."""
    assert (error.error_name, error.args_by_name) == (name, args), str(error)


def send_raw(client: LedgerClient, function: str, struct: tuple[Any, ...]) -> Sent:
    """Calls a ledger function with a hand-made struct, bypassing the models' validation."""
    return client.sender.send(client.ledger.get_function_by_name(function)(struct), f"raw {function}")


def register(parties: Parties, **changes: object) -> str:
    """A second authorisation of `holder`, with changed terms."""
    reference = factories.fresh_reference()
    parties.customs.register(factories.authorisation(reference, **changes))
    return reference


def yield_events(client: LedgerClient, sent: Sent) -> list[tuple[int, int, int, int]]:
    """(import goods code, input, output, tolerance) of each YieldDeviated in the receipt."""
    events = client.ledger.events.YieldDeviated().process_receipt(sent.receipt, errors=DISCARD)
    return [
        (
            e["args"]["importGoodsCode"],
            e["args"]["inputEquivalent"],
            e["args"]["outputEquivalent"],
            e["args"]["yieldTolerancePpm"],
        )
        for e in events
    ]


def latest_time(parties: Parties) -> int:
    return int(parties.reader.w3.eth.get_block("latest")["timestamp"])


def scrap(lot: str, quantity: str) -> tuple[str, str, str, str]:
    return (lot, PRODUCT_SCRAP, quantity, "KGM")


def tyres(lot: str, quantity: str) -> tuple[str, str, str, str]:
    return (lot, PRODUCT_TYRE, quantity, "NAR")


# ---------------------------------------------------------------- placement


def test_placement_creates_the_lot_its_stock_and_placed_total(parties: Parties, auth: str) -> None:
    """A placement creates a lot with its stock at its site only, adds to the placed total of its
    code only, and is the authorisation's first record, extending the rolling hash from zero."""
    holder = parties.holder
    sent = holder.record(factories.placement(auth, "P1", "L1", "100.5"))

    assert holder.stock(auth, "L1", SITE) == Decimal("100.5")
    assert holder.stock(auth, "L1", OTHER_SITE) == 0
    assert holder.lot(auth, "L1") == LotState(Decimal("100.5"), IMPORT_TREAD, 1, 0, "placement")
    assert holder.totals(auth, IMPORT_TREAD) == (100_500_000_000_000_000_000, 0)
    assert holder.totals(auth, IMPORT_CASING) == (0, 0)
    assert holder.entry_state(auth, "P1") == EntryState("placement", False)
    (log,) = sent.receipt["logs"]
    topics = b"".join(bytes(t) for t in log["topics"])
    assert holder.chain_of(auth) == (1, keccak(b"\0" * 32 + keccak(topics + keccak(bytes(log["data"])))))


def test_placements_of_two_codes_keep_separate_totals(parties: Parties, auth: str) -> None:
    """Each import goods code has its own placed total; placements of one code add up."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "T1", "100"))
    holder.record(factories.placement(auth, "P2", "T2", "0.000001"))
    holder.record(factories.placement(auth, "P3", "C1", "20", code=IMPORT_CASING, unit="NAR"))

    assert holder.totals(auth, IMPORT_TREAD) == (100 * UNIT + 10**12, 0)
    assert holder.totals(auth, IMPORT_CASING) == (20 * UNIT, 0)
    assert holder.lot(auth, "C1") == LotState(Decimal(20), IMPORT_CASING, 1, 0, "placement")
    assert holder.chain_of(auth)[0] == 3


def test_placement_of_a_code_not_allowed_is_refused(parties: Parties, auth: str) -> None:
    """The goods code must be among the authorisation's import goods."""
    with pytest.raises(ContractError) as caught:
        parties.holder.record(factories.placement(auth, "P1", "L1", code="40111000"))
    expect(
        caught.value,
        "LedgerGoodsCodeNotAllowed",
        authorisationId=ids.authorisation_id(auth),
        goodsCode=40111000,
    )
    assert parties.holder.lot(auth, "L1") is None
    assert parties.holder.chain_of(auth)[0] == 0


def test_placement_of_an_existing_lot_is_refused(parties: Parties, auth: str) -> None:
    """A lot reference is created once per authorisation."""
    parties.holder.record(factories.placement(auth, "P1", "L1", "100"))
    with pytest.raises(ContractError) as caught:
        parties.broker.record(factories.placement(auth, "P2", "L1", "5"))
    expect(caught.value, "LedgerLotExists", authorisationId=ids.authorisation_id(auth), lot="L1")
    assert parties.holder.stock(auth, "L1", SITE) == 100
    assert parties.holder.totals(auth, IMPORT_TREAD) == (100 * UNIT, 0)


@pytest.mark.parametrize(
    "when",
    [datetime(2023, 12, 31, 23, 59, 59, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)],
    ids=["before", "after"],
)
def test_placement_outside_validity_is_refused(parties: Parties, auth: str, when: datetime) -> None:
    """`occurred_at` must lie within the validity (2024-01-01 00:00:00 to 2026-12-31 23:59:59 UTC)."""
    with pytest.raises(ContractError) as caught:
        parties.holder.record(factories.placement(auth, "P1", "L1", when=when))
    expect(
        caught.value,
        "LedgerOutsideValidity",
        entryRef="P1",
        occurredAt=unix(when),
        validFrom=day_start(date(2024, 1, 1)),
        validUntil=day_end(date(2026, 12, 31)),
    )


def test_placement_on_the_validity_bounds_is_accepted(parties: Parties) -> None:
    """The first and the last second of the validity are inside it, the next second is not (a validity
    ending ten minutes from now, registered directly with second precision)."""
    reference = factories.fresh_reference()
    valid_until = latest_time(parties) + 600
    terms = list(encode_terms(factories.authorisation(reference)))
    terms[5] = valid_until
    customs = parties.customs
    customs.sender.send(customs.registry.functions.register(tuple(terms)), "register")
    holder = parties.holder
    first = datetime(2024, 1, 1, tzinfo=UTC)
    holder.record(factories.placement(reference, "P1", "L1", when=first))
    holder.record(factories.placement(reference, "P2", "L2", when=datetime.fromtimestamp(valid_until, UTC)))
    assert holder.entry_state(reference, "P1").kind == "placement"
    assert holder.entry_state(reference, "P2").kind == "placement"
    with pytest.raises(ContractError) as caught:
        holder.record(
            factories.placement(reference, "P3", "L3", when=datetime.fromtimestamp(valid_until + 1, UTC))
        )
    expect(
        caught.value,
        "LedgerOutsideValidity",
        entryRef="P3",
        occurredAt=valid_until + 1,
        validFrom=unix(first),
        validUntil=valid_until,
    )


def test_after_the_validity_goods_are_no_longer_placed_but_still_discharged(parties: Parties) -> None:
    """Validity ended 2024-12-31: a placement dated after it is refused; the goods placed before it
    still move and leave the procedure (within the period for discharge), even recorded late."""
    reference = register(parties, valid_until=date(2024, 12, 31))
    parties.holder.record(factories.placement(reference, "P1", "L1", when=datetime(2024, 6, 3, tzinfo=UTC)))
    late = datetime(2025, 1, 2, tzinfo=UTC)
    with pytest.raises(ContractError) as caught:
        parties.holder.record(factories.placement(reference, "P2", "L2", when=late))
    assert caught.value.error_name == "LedgerOutsideValidity"
    assert caught.value.args_by_name["occurredAt"] == int(late.timestamp())
    assert parties.holder.entry_state(reference, "P2") == NOTHING
    discharge = factories.discharge(reference, "D1", "L1", "40").model_copy(update={"occurred_at": late})
    parties.holder.record(discharge)
    assert parties.holder.stock(reference, "L1", "BOURGES") == 60


def test_placement_in_the_future_is_refused_beyond_the_clock_skew(parties: Parties) -> None:
    """An entry may say it happened up to one hour after the block that records it, not later."""
    reference = register(parties, valid_until=date(2099, 12, 31))
    now = latest_time(parties)
    too_late = now + 2 * 3600
    with pytest.raises(ContractError) as caught:
        parties.holder.record(
            factories.placement(reference, "P1", "L1", when=datetime.fromtimestamp(too_late, UTC))
        )
    assert caught.value.error_name == "LedgerOccurredInFuture"
    args = caught.value.args_by_name
    assert (args["entryRef"], args["occurredAt"]) == ("P1", too_late)
    assert isinstance(args["blockTime"], int)
    assert now <= args["blockTime"] < too_late - 3600

    parties.holder.record(
        factories.placement(reference, "P2", "L2", when=datetime.fromtimestamp(now + 1800, UTC))
    )
    assert parties.holder.entry_state(reference, "P2").kind == "placement"


def test_placement_with_a_used_entry_ref_is_refused(parties: Parties, auth: str) -> None:
    """An entry reference is used once per authorisation, whatever the lot."""
    parties.holder.record(factories.placement(auth, "P1", "L1"))
    with pytest.raises(ContractError) as caught:
        parties.broker.record(factories.placement(auth, "P1", "L2"))
    expect(caught.value, "LedgerEntryExists", authorisationId=ids.authorisation_id(auth), entryRef="P1")
    assert parties.holder.lot(auth, "L2") is None


# ---------------------------------------------------------------- fields the model checks first


def _raw_placement(auth: str, **changes: Any) -> tuple[str, tuple[Any, ...]]:
    fields = (
        "header",
        "lot",
        "goodsCode",
        "description",
        "quantity",
        "unit",
        "site",
        "declaration",
        "procedure",
        "customsValueCents",
        "dutyRatePpm",
        "origin",
    )
    function, struct = encode_entry(factories.placement(auth, "P1", "L1"))
    values = dict(zip(fields, struct, strict=True))
    values.update(changes)
    return function, tuple(values[name] for name in fields)


RAW_REFUSALS: dict[str, tuple[Any, str, dict[str, Any]]] = {
    "placement-without-unit": (
        lambda a: _raw_placement(a, unit=b"\0\0\0"),
        "LedgerMissingField",
        {"entryRef": "P1", "field": "unit"},
    ),
    "placement-without-site": (
        lambda a: _raw_placement(a, site=""),
        "LedgerMissingField",
        {"entryRef": "P1", "field": "site"},
    ),
    "placement-without-lot": (
        lambda a: _raw_placement(a, lot=""),
        "LedgerMissingField",
        {"entryRef": "P1", "field": "lot"},
    ),
    "placement-without-entry-ref": (
        lambda a: _raw_placement(a, header=(a, "", unix(factories.WHEN), [])),
        "LedgerMissingField",
        {"entryRef": "", "field": "entryRef"},
    ),
    "placement-of-zero": (lambda a: _raw_placement(a, quantity=0), "LedgerZeroQuantity", {"entryRef": "P1"}),
    "placement-with-short-mrn": (
        lambda a: _raw_placement(a, declaration="24FR0000000000001"),
        "LedgerInvalidDeclaration",
        {"entryRef": "P1", "declaration": "24FR0000000000001"},
    ),
    "transfer-with-short-mrn": (
        lambda a: (
            "recordDischarge",
            (
                *encode_entry(factories.discharge(a, "D1", "T0", "1", mode=DischargeMode.TRANSFER))[1][:5],
                "X",
                0,
            ),
        ),
        "LedgerInvalidDeclaration",
        {"entryRef": "D1", "declaration": "X"},
    ),
    "correction-without-reason": (
        lambda a: ("recordCorrection", ((a, "C1", unix(factories.WHEN), []), "P0", "", b"")),
        "LedgerMissingField",
        {"entryRef": "C1", "field": "reason"},
    ),
}


@pytest.mark.parametrize("case", list(RAW_REFUSALS))
def test_fields_the_model_checks_are_checked_by_the_contract_too(
    parties: Parties, auth: str, case: str
) -> None:
    """Missing fields, zero quantities and malformed declarations sent directly are refused by name."""
    parties.holder.record(factories.placement(auth, "P0", "T0", "100"))
    build, name, args = RAW_REFUSALS[case]
    function, struct = build(auth)
    with pytest.raises(ContractError) as caught:
        send_raw(parties.holder, function, struct)
    expect(caught.value, name, **args)
    assert parties.holder.chain_of(auth)[0] == 1


# ---------------------------------------------------------------- movement


def test_movement_moves_stock_between_sites(parties: Parties, auth: str) -> None:
    """A movement takes from one site and adds to the other; the lot's total stock and the totals do
    not change; the lot gains a dependent."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "L1", "100"))
    holder.record(factories.movement(auth, "M1", "L1", "30.25", SITE, OTHER_SITE))
    parties.broker.record(factories.movement(auth, "M2", "L1", "0.25", OTHER_SITE, "TOULOUSE"))

    assert holder.stock(auth, "L1", SITE) == Decimal("69.75")
    assert holder.stock(auth, "L1", OTHER_SITE) == Decimal("30")
    assert holder.stock(auth, "L1", "TOULOUSE") == Decimal("0.25")
    assert holder.lot(auth, "L1") == LotState(Decimal(100), IMPORT_TREAD, 1, 2, "placement")
    assert holder.totals(auth, IMPORT_TREAD) == (100 * UNIT, 0)
    assert holder.entry_state(auth, "M1") == EntryState("movement", False)
    assert holder.chain_of(auth)[0] == 3


def test_movement_of_all_the_stock_at_a_site_is_accepted(parties: Parties, auth: str) -> None:
    """Stock may reach zero at a site, not below."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "L1", "100"))
    holder.record(factories.movement(auth, "M1", "L1", "100", SITE, OTHER_SITE))
    assert holder.stock(auth, "L1", SITE) == 0
    assert holder.stock(auth, "L1", OTHER_SITE) == 100


@pytest.mark.parametrize(
    ("site", "quantity", "available"),
    [(SITE, "100.000001", 100_000_000), (OTHER_SITE, "1", 0)],
    ids=["more-than-placed", "site-without-stock"],
)
def test_movement_beyond_the_stock_at_the_site_is_refused(
    parties: Parties, auth: str, site: str, quantity: str, available: int
) -> None:
    """A lot's stock at a site never goes below zero; the error gives what is there and what was asked."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "L1", "100"))
    with pytest.raises(ContractError) as caught:
        holder.record(factories.movement(auth, "M1", "L1", quantity, site, "TOULOUSE"))
    expect(
        caught.value,
        "LedgerInsufficientStock",
        lot="L1",
        site=site,
        available=available,
        requested=int(Decimal(quantity) * 10**6),
    )
    assert holder.stock(auth, "L1", SITE) == 100
    assert holder.entry_state(auth, "M1") == NOTHING


def test_movement_of_an_unknown_lot_is_refused(parties: Parties, auth: str) -> None:
    """Only a lot of this authorisation can move (a lot of another authorisation is unknown here)."""
    other = register(parties)
    parties.holder.record(factories.placement(other, "P1", "L1", "100"))
    with pytest.raises(ContractError) as caught:
        parties.holder.record(factories.movement(auth, "M1", "L1", "1", SITE, OTHER_SITE))
    expect(caught.value, "LedgerUnknownLot", authorisationId=ids.authorisation_id(auth), lot="L1")


def test_movement_to_the_same_site_is_refused_by_the_contract(parties: Parties, auth: str) -> None:
    """The model refuses a movement to its own site; the contract refuses it too when sent directly."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "L1", "100"))
    function, struct = encode_entry(factories.movement(auth, "M1", "L1", "10", SITE, OTHER_SITE))
    header, lot, quantity, from_site, _ = struct
    with pytest.raises(ContractError) as caught:
        send_raw(holder, function, (header, lot, quantity, from_site, from_site))
    expect(caught.value, "LedgerSameSite", entryRef="M1", site=SITE)
    assert holder.stock(auth, "L1", SITE) == 100
    assert holder.entry_state(auth, "M1") == NOTHING


def test_movement_of_zero_is_refused_by_the_contract(parties: Parties, auth: str) -> None:
    """A zero quantity, which the model cannot express, is refused by the contract."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "L1", "100"))
    function, struct = encode_entry(factories.movement(auth, "M1", "L1", "10", SITE, OTHER_SITE))
    header, lot, _, from_site, to_site = struct
    with pytest.raises(ContractError) as caught:
        send_raw(holder, function, (header, lot, 0, from_site, to_site))
    expect(caught.value, "LedgerZeroQuantity", entryRef="M1")


# ---------------------------------------------------------------- processing


def test_processing_consumes_inputs_and_creates_product_lots(parties: Parties, auth: str) -> None:
    """Processing takes its inputs' quantities at its site, creates each output lot there under the
    current version, leaves the totals alone, and emits no deviation when the yield is exact."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "C1", "20", code=IMPORT_CASING, unit="NAR"))
    holder.record(factories.placement(auth, "P2", "T1", "1000"))
    sent = holder.record(
        factories.processing(
            auth, "X1", [("C1", "10"), ("T1", "125")], [tyres("Y1", "10"), scrap("S1", "10")]
        )
    )

    assert holder.stock(auth, "C1", SITE) == 10
    assert holder.stock(auth, "T1", SITE) == 875
    assert holder.lot(auth, "C1") == LotState(Decimal(10), IMPORT_CASING, 1, 1, "placement")
    assert holder.lot(auth, "T1") == LotState(Decimal(875), IMPORT_TREAD, 1, 1, "placement")
    assert holder.lot(auth, "Y1") == LotState(Decimal(10), PRODUCT_TYRE, 1, 0, "processing")
    assert holder.lot(auth, "S1") == LotState(Decimal(10), PRODUCT_SCRAP, 1, 0, "processing")
    assert holder.stock(auth, "Y1", SITE) == 10
    assert holder.stock(auth, "S1", SITE) == 10
    assert holder.totals(auth, IMPORT_CASING) == (20 * UNIT, 0)
    assert holder.totals(auth, IMPORT_TREAD) == (1000 * UNIT, 0)
    assert holder.entry_state(auth, "X1") == EntryState("processing", False)
    assert yield_events(holder, sent) == []


def test_processing_takes_inputs_at_its_own_site(parties: Parties, auth: str) -> None:
    """An input lot must have the stock at the processing site, wherever else it is."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "T1", "100"))
    with pytest.raises(ContractError) as caught:
        holder.record(factories.processing(auth, "X1", [("T1", "10")], [scrap("S1", "10")], site=OTHER_SITE))
    expect(caught.value, "LedgerInsufficientStock", lot="T1", site=OTHER_SITE, available=0, requested=10**7)
    assert holder.lot(auth, "S1") is None


def test_processing_output_with_the_wrong_unit_is_refused(parties: Parties, auth: str) -> None:
    """An output is counted in its product's unit from the authorisation's table."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "T1", "100"))
    with pytest.raises(ContractError) as caught:
        holder.record(factories.processing(auth, "X1", [("T1", "100")], [(("Y1", PRODUCT_TYRE, "8", "KGM"))]))
    expect(caught.value, "LedgerUnitMismatch", productCode=TYRE, expected=b"NAR", given=b"KGM")
    assert holder.stock(auth, "T1", SITE) == 100
    assert holder.lot(auth, "Y1") is None


def test_processing_into_a_product_not_in_the_table_is_refused(parties: Parties, auth: str) -> None:
    """Each output's product code must be in the authorisation's table at the current version."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "T1", "100"))
    with pytest.raises(ContractError) as caught:
        holder.record(factories.processing(auth, "X1", [("T1", "100")], [("Y1", "40169300", "100", "KGM")]))
    expect(
        caught.value,
        "RegistryUnknownProduct",
        authorisationId=ids.authorisation_id(auth),
        version=1,
        productCode=40169300,
    )


def test_processing_output_on_an_existing_lot_is_refused(parties: Parties, auth: str) -> None:
    """A processing output creates a new lot: an existing reference is refused."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "T1", "100"))
    with pytest.raises(ContractError) as caught:
        holder.record(factories.processing(auth, "X1", [("T1", "50")], [scrap("T1", "50")]))
    expect(caught.value, "LedgerLotExists", authorisationId=ids.authorisation_id(auth), lot="T1")
    assert holder.stock(auth, "T1", SITE) == 100


def test_processing_without_input_is_refused_by_the_contract(parties: Parties, auth: str) -> None:
    """Processing needs at least one input and one output, also when sent directly."""
    holder = parties.holder
    function, struct = encode_entry(factories.processing(auth, "X1", [("T1", "1")], [scrap("S1", "1")]))
    header, site, _, outputs = struct
    with pytest.raises(ContractError) as caught:
        send_raw(holder, function, (header, site, [], outputs))
    expect(caught.value, "LedgerEmptyProcessing", entryRef="X1", inputs=0, outputs=1)


@pytest.mark.parametrize("output", ["98", "100", "102"])
def test_processing_within_the_yield_tolerance_emits_no_deviation(
    parties: Parties, auth: str, output: str
) -> None:
    """Output equivalents within 2 % of the inputs' (bounds included) raise no alert."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "T1", "100"))
    sent = holder.record(factories.processing(auth, "X1", [("T1", "100")], [scrap("S1", output)]))
    assert yield_events(holder, sent) == []
    assert holder.lot(auth, "S1") == LotState(Decimal(output), PRODUCT_SCRAP, 1, 0, "processing")


@pytest.mark.parametrize("output", ["97.999999", "102.000001", "60"])
def test_processing_beyond_the_yield_tolerance_emits_a_deviation_and_is_recorded(
    parties: Parties, auth: str, output: str
) -> None:
    """Beyond 2 % the entry is still recorded and YieldDeviated gives the code, both equivalents and
    the tolerance."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "T1", "100"))
    sent = holder.record(factories.processing(auth, "X1", [("T1", "100")], [scrap("S1", output)]))
    assert yield_events(holder, sent) == [(TREAD, 100 * UNIT, int(Decimal(output) * UNIT), 20_000)]
    (event,) = holder.ledger.events.YieldDeviated().process_receipt(sent.receipt, errors=DISCARD)
    assert event["args"]["authorisationId"] == ids.authorisation_id(auth)
    assert event["args"]["entryId"] == ids.entry_id("X1")
    assert holder.entry_state(auth, "X1") == EntryState("processing", False)
    assert holder.stock(auth, "S1", SITE) == Decimal(output)


def test_yield_deviation_is_reported_per_import_goods_code(parties: Parties, auth: str) -> None:
    """With two import goods, only the code whose equivalents differ is reported: 10 tyres contain
    10 casings (exact) and 115 kg of tread, from 100 kg consumed."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "C1", "10", code=IMPORT_CASING, unit="NAR"))
    holder.record(factories.placement(auth, "P2", "T1", "100"))
    sent = holder.record(factories.processing(auth, "X1", [("C1", "10"), ("T1", "100")], [tyres("Y1", "10")]))
    assert yield_events(holder, sent) == [(TREAD, 100 * UNIT, 115 * UNIT, 20_000)]


def test_processing_a_product_lot_counts_its_table_contents(parties: Parties, auth: str) -> None:
    """A product lot consumed by processing brings in its import goods equivalents: 2 tyres are 2
    casings and 23 kg of tread; 23 kg of scrap gives back the tread but no casing (alert on casing)."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "C1", "2", code=IMPORT_CASING, unit="NAR"))
    holder.record(factories.placement(auth, "P2", "T1", "23"))
    holder.record(factories.processing(auth, "X1", [("C1", "2"), ("T1", "23")], [tyres("Y1", "2")]))
    sent = holder.record(factories.processing(auth, "X2", [("Y1", "2")], [scrap("S1", "23")]))
    assert yield_events(holder, sent) == [(CASING, 2 * UNIT, 0, 20_000)]
    assert holder.lot(auth, "Y1") == LotState(Decimal(0), PRODUCT_TYRE, 1, 1, "processing")


def test_processing_involving_more_than_16_import_goods_codes_is_refused(parties: Parties) -> None:
    """A product lot of version 1 containing 16 import goods codes, processed under version 2 into a
    product of a 17th code, exceeds the bound on one entry's codes."""
    sixteen = (IMPORT_TREAD, *(f"400000{i:02d}" for i in range(15)))
    reference = register(
        parties,
        import_goods=sixteen,
        products=(
            {
                "code": "40169300",
                "description": "Mix",
                "unit": "KGM",
                "contains": dict.fromkeys(sixteen, "1"),
            },
        ),
    )
    holder = parties.holder
    holder.record(factories.placement(reference, "P1", "T1", "10"))
    sent = holder.record(
        factories.processing(reference, "X1", [("T1", "1")], [("A1", "40169300", "1", "KGM")])
    )
    # tread: 1 kg in and out; each of the 15 other codes: nothing in, 1 out
    assert sorted(e[0] for e in yield_events(holder, sent)) == [40_000_000 + i for i in range(15)]
    parties.customs.amend(
        factories.authorisation(
            reference,
            import_goods=("40111000",),
            products=(
                {"code": "40169900", "description": "New", "unit": "KGM", "contains": {"40111000": "1"}},
            ),
        )
    )
    with pytest.raises(ContractError) as caught:
        holder.record(factories.processing(reference, "X2", [("A1", "1")], [("B1", "40169900", "1", "KGM")]))
    expect(caught.value, "LedgerTooManyImportGoods", entryRef="X2", maxCount=16)
    assert holder.lot(reference, "B1") is None


# ---------------------------------------------------------------- handling


def test_handling_records_a_new_code_and_makes_the_lot_a_dependency(parties: Parties, auth: str) -> None:
    """A usual form of handling is recorded with its new CN code in the log; the lot keeps its stock,
    its import goods basis (the totals' key) and gains a dependent."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "T1", "100"))
    holder.record(factories.handling(auth, "H1", "T1", "40169300"))

    assert holder.entry_state(auth, "H1") == EntryState("handling", False)
    assert holder.lot(auth, "T1") == LotState(Decimal(100), IMPORT_TREAD, 1, 1, "placement")
    assert holder.stock(auth, "T1", SITE) == 100
    assert holder.totals(auth, IMPORT_TREAD) == (100 * UNIT, 0)
    (last,) = [r for r in holder.records(auth) if r.sequence == 2]
    assert last.entry == factories.handling(auth, "H1", "T1", "40169300")


def test_handling_of_an_unknown_lot_is_refused(parties: Parties, auth: str) -> None:
    """Handling needs an existing lot of the authorisation."""
    with pytest.raises(ContractError) as caught:
        parties.holder.record(factories.handling(auth, "H1", "T1", "40169300"))
    expect(caught.value, "LedgerUnknownLot", authorisationId=ids.authorisation_id(auth), lot="T1")


def test_handling_to_an_invalid_code_is_refused_by_the_contract(parties: Parties, auth: str) -> None:
    """A new code that is not an 8-digit CN code is refused when sent directly."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "T1", "100"))
    function, struct = encode_entry(factories.handling(auth, "H1", "T1", "40169300"))
    with pytest.raises(ContractError) as caught:
        send_raw(holder, function, (struct[0], struct[1], 100_000_000))
    expect(caught.value, "LedgerInvalidGoodsCode", entryRef="H1", goodsCode=100_000_000)


# ---------------------------------------------------------------- discharge


@pytest.mark.parametrize("mode", list(DischargeMode))
def test_discharge_by_each_mode_takes_stock_and_adds_to_the_discharged_total(
    parties: Parties, auth: str, mode: DischargeMode
) -> None:
    """Every mode takes the quantity out of the lot at the site and adds its equivalent to the
    discharged total; modes without a declaration need none."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "T1", "100"))
    entry = factories.discharge(auth, "D1", "T1", "40.5", mode=mode)
    assert (entry.declaration is None) is not mode.needs_declaration
    parties.broker.record(entry)

    assert holder.stock(auth, "T1", SITE) == Decimal("59.5")
    assert holder.lot(auth, "T1") == LotState(Decimal("59.5"), IMPORT_TREAD, 1, 1, "placement")
    assert holder.totals(auth, IMPORT_TREAD) == (100 * UNIT, 40_500_000_000_000_000_000)
    assert holder.entry_state(auth, "D1") == EntryState("discharge", False)
    (last,) = [r for r in holder.records(auth) if r.sequence == 2]
    assert last.entry == entry


@pytest.mark.parametrize("mode", [m for m in DischargeMode if m.needs_declaration])
def test_discharge_without_a_required_declaration_is_refused_by_the_contract(
    parties: Parties, auth: str, mode: DischargeMode
) -> None:
    """Re-export, free circulation and warehousing need a declaration, also when sent directly."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "T1", "100"))
    function, struct = encode_entry(factories.discharge(auth, "D1", "T1", "10", mode=DischargeMode.TRANSFER))
    index = list(DischargeMode).index(mode)
    altered = (*struct[:4], index, "", 0)
    with pytest.raises(ContractError) as caught:
        send_raw(holder, function, altered)
    expect(caught.value, "LedgerDeclarationRequired", entryRef="D1", mode=index)
    assert holder.totals(auth, IMPORT_TREAD) == (100 * UNIT, 0)


def test_discharge_beyond_the_stock_is_refused(parties: Parties, auth: str) -> None:
    """A discharge takes at most the lot's stock at its site."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "T1", "100"))
    with pytest.raises(ContractError) as caught:
        holder.record(factories.discharge(auth, "D1", "T1", "100.000001"))
    expect(caught.value, "LedgerInsufficientStock", lot="T1", site=SITE, available=10**8, requested=10**8 + 1)


def test_discharge_of_a_product_lot_adds_its_table_equivalents(parties: Parties, auth: str) -> None:
    """Discharging 4 tyres discharges 4 casings and 4 × 11.5 kg of tread."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "C1", "20", code=IMPORT_CASING, unit="NAR"))
    holder.record(factories.placement(auth, "P2", "T1", "1000"))
    holder.record(factories.processing(auth, "X1", [("C1", "10"), ("T1", "115")], [tyres("Y1", "10")]))
    holder.record(factories.discharge(auth, "D1", "Y1", "4"))

    assert holder.totals(auth, IMPORT_CASING) == (20 * UNIT, 4 * UNIT)
    assert holder.totals(auth, IMPORT_TREAD) == (1000 * UNIT, 46 * UNIT)
    assert holder.lot(auth, "Y1") == LotState(Decimal(6), PRODUCT_TYRE, 1, 1, "processing")


def test_discharged_equivalents_are_rounded_down(parties: Parties) -> None:
    """With 1000/950 kg of tread per kg of scrap, each discharge's equivalent is rounded down, so the
    950 kg produced from 1000 kg discharge one 10^-18 kg less than placed, never more."""
    reference = register(
        parties,
        products=(
            {
                "code": PRODUCT_SCRAP,
                "description": "Scrap",
                "unit": "KGM",
                "contains": {IMPORT_TREAD: "1000/950"},
            },
        ),
    )
    holder = parties.holder
    holder.record(factories.placement(reference, "P1", "T1", "1000"))
    holder.record(factories.processing(reference, "X1", [("T1", "1000")], [scrap("S1", "950")]))
    holder.record(factories.discharge(reference, "D1", "S1", "0.000001"))
    assert holder.totals(reference, IMPORT_TREAD) == (1000 * UNIT, 10**12 * 20 // 19)
    holder.record(factories.discharge(reference, "D2", "S1", "949.999999"))
    expected = 10**12 * 20 // 19 + 949_999_999 * 10**12 * 20 // 19
    assert expected == 1000 * UNIT - 1
    assert holder.totals(reference, IMPORT_TREAD) == (1000 * UNIT, expected)


def test_discharge_beyond_the_placed_total_is_refused(parties: Parties, auth: str) -> None:
    """Products that over-yield (110 kg of scrap from 100 kg of tread) can be discharged only up to the
    placed total of their import goods."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "T1", "100"))
    holder.record(factories.processing(auth, "X1", [("T1", "100")], [scrap("S1", "110")]))
    holder.record(factories.discharge(auth, "D1", "S1", "100"))
    assert holder.totals(auth, IMPORT_TREAD) == (100 * UNIT, 100 * UNIT)

    with pytest.raises(ContractError) as caught:
        holder.record(factories.discharge(auth, "D2", "S1", "10", mode=DischargeMode.DESTRUCTION))
    expect(
        caught.value,
        "LedgerDischargeExceedsPlaced",
        authorisationId=ids.authorisation_id(auth),
        importGoodsCode=TREAD,
        placed=100 * UNIT,
        discharged=110 * UNIT,
    )
    assert holder.totals(auth, IMPORT_TREAD) == (100 * UNIT, 100 * UNIT)
    assert holder.stock(auth, "S1", SITE) == 10


# ---------------------------------------------------------------- correction


def test_correcting_a_placement_removes_the_lot_and_its_placed_total(parties: Parties, auth: str) -> None:
    """A corrected placement leaves no lot, no stock and no placed total; its lot ref can be placed
    again; the placement is marked corrected and the correction is the next record."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P0", "T0", "7"))
    holder.record(factories.placement(auth, "P1", "T1", "100"))
    parties.broker.record(factories.correction(auth, "C1", "P1"))

    assert holder.lot(auth, "T1") is None
    assert holder.stock(auth, "T1", SITE) == 0
    assert holder.totals(auth, IMPORT_TREAD) == (7 * UNIT, 0)
    assert holder.entry_state(auth, "P1") == EntryState("placement", True)
    assert holder.entry_state(auth, "C1") == EntryState("correction", False)
    assert holder.chain_of(auth)[0] == 3

    holder.record(factories.placement(auth, "P2", "T1", "90"))
    assert holder.lot(auth, "T1") == LotState(Decimal(90), IMPORT_TREAD, 1, 0, "placement")
    assert holder.totals(auth, IMPORT_TREAD) == (97 * UNIT, 0)


def test_correcting_a_movement_moves_the_stock_back(parties: Parties, auth: str) -> None:
    """A corrected movement restores both sites' stock and the lot's dependents, so the placement
    itself becomes correctable again."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "T1", "100"))
    holder.record(factories.movement(auth, "M1", "T1", "30", SITE, OTHER_SITE))
    holder.record(factories.correction(auth, "C1", "M1"))

    assert holder.stock(auth, "T1", SITE) == 100
    assert holder.stock(auth, "T1", OTHER_SITE) == 0
    assert holder.lot(auth, "T1") == LotState(Decimal(100), IMPORT_TREAD, 1, 0, "placement")
    assert holder.entry_state(auth, "M1") == EntryState("movement", True)
    holder.record(factories.correction(auth, "C2", "P1"))
    assert holder.lot(auth, "T1") is None


def test_correcting_a_processing_restores_inputs_and_removes_outputs(parties: Parties, auth: str) -> None:
    """A corrected processing gives its inputs back at its site and removes its product lots, whose
    refs can then be produced again."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "C1", "20", code=IMPORT_CASING, unit="NAR"))
    holder.record(factories.placement(auth, "P2", "T1", "1000"))
    holder.record(
        factories.processing(
            auth, "X1", [("C1", "10"), ("T1", "125")], [tyres("Y1", "10"), scrap("S1", "10")]
        )
    )
    holder.record(factories.correction(auth, "C1", "X1"))

    assert holder.lot(auth, "C1") == LotState(Decimal(20), IMPORT_CASING, 1, 0, "placement")
    assert holder.lot(auth, "T1") == LotState(Decimal(1000), IMPORT_TREAD, 1, 0, "placement")
    assert holder.stock(auth, "C1", SITE) == 20
    assert holder.stock(auth, "T1", SITE) == 1000
    assert holder.lot(auth, "Y1") is None
    assert holder.lot(auth, "S1") is None
    assert holder.stock(auth, "Y1", SITE) == 0
    assert holder.totals(auth, IMPORT_CASING) == (20 * UNIT, 0)
    assert holder.totals(auth, IMPORT_TREAD) == (1000 * UNIT, 0)
    assert holder.entry_state(auth, "X1") == EntryState("processing", True)

    holder.record(factories.processing(auth, "X2", [("T1", "5")], [scrap("S1", "5")]))
    assert holder.lot(auth, "S1") == LotState(Decimal(5), PRODUCT_SCRAP, 1, 0, "processing")


def test_correcting_a_handling_releases_the_lot(parties: Parties, auth: str) -> None:
    """A corrected handling takes its dependent off the lot."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "T1", "100"))
    holder.record(factories.handling(auth, "H1", "T1", "40169300"))
    holder.record(factories.correction(auth, "C1", "H1"))
    assert holder.lot(auth, "T1") == LotState(Decimal(100), IMPORT_TREAD, 1, 0, "placement")
    assert holder.entry_state(auth, "H1") == EntryState("handling", True)


@pytest.mark.parametrize("lot", ["T1", "Y1"], ids=["placed-lot", "product-lot"])
def test_correcting_a_discharge_restores_stock_and_discharged_total(
    parties: Parties, auth: str, lot: str
) -> None:
    """A corrected discharge puts the quantity back at its site and takes its equivalents off the
    discharged totals exactly."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "C1", "20", code=IMPORT_CASING, unit="NAR"))
    holder.record(factories.placement(auth, "P2", "T1", "1000"))
    holder.record(factories.processing(auth, "X1", [("C1", "10"), ("T1", "115")], [tyres("Y1", "10")]))
    holder.record(factories.discharge(auth, "D0", "T1", "0.5", mode=DischargeMode.DESTRUCTION))
    before = (
        holder.lot(auth, lot),
        holder.stock(auth, lot, SITE),
        holder.totals(auth, IMPORT_CASING),
        holder.totals(auth, IMPORT_TREAD),
    )
    holder.record(factories.discharge(auth, "D1", lot, "3.333333"))
    assert holder.totals(auth, IMPORT_TREAD) != before[3]
    holder.record(factories.correction(auth, "C1", "D1"))

    after = (
        holder.lot(auth, lot),
        holder.stock(auth, lot, SITE),
        holder.totals(auth, IMPORT_CASING),
        holder.totals(auth, IMPORT_TREAD),
    )
    assert after == before
    assert holder.entry_state(auth, "D1") == EntryState("discharge", True)


def test_correcting_a_placement_whose_lot_moved_is_refused(parties: Parties, auth: str) -> None:
    """A placement cannot be corrected while a later entry uses its lot."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "T1", "100"))
    holder.record(factories.movement(auth, "M1", "T1", "1", SITE, OTHER_SITE))
    with pytest.raises(ContractError) as caught:
        holder.record(factories.correction(auth, "C1", "P1"))
    expect(caught.value, "LedgerLotInUse", lot="T1", dependents=1)
    assert holder.entry_state(auth, "P1") == EntryState("placement", False)
    assert holder.totals(auth, IMPORT_TREAD) == (100 * UNIT, 0)


def test_correcting_a_processing_whose_product_was_discharged_is_refused(parties: Parties, auth: str) -> None:
    """A processing cannot be corrected while one of its product lots is used."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "T1", "100"))
    holder.record(factories.processing(auth, "X1", [("T1", "100")], [scrap("S1", "100")]))
    holder.record(factories.discharge(auth, "D1", "S1", "1"))
    with pytest.raises(ContractError) as caught:
        holder.record(factories.correction(auth, "C1", "X1"))
    expect(caught.value, "LedgerLotInUse", lot="S1", dependents=1)
    assert holder.stock(auth, "T1", SITE) == 0


def test_correcting_a_placement_needed_by_the_discharged_total_is_refused(
    parties: Parties, auth: str
) -> None:
    """An untouched placement cannot be corrected when the discharged total (over-yielding products)
    would then exceed the placed total."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "T1", "100"))
    holder.record(factories.placement(auth, "P2", "T2", "10"))
    holder.record(factories.processing(auth, "X1", [("T1", "100")], [scrap("S1", "110")]))
    holder.record(factories.discharge(auth, "D1", "S1", "110"))
    with pytest.raises(ContractError) as caught:
        holder.record(factories.correction(auth, "C1", "P2"))
    expect(
        caught.value,
        "LedgerDischargeExceedsPlaced",
        authorisationId=ids.authorisation_id(auth),
        importGoodsCode=TREAD,
        placed=100 * UNIT,
        discharged=110 * UNIT,
    )
    assert holder.lot(auth, "T2") == LotState(Decimal(10), IMPORT_TREAD, 1, 0, "placement")


def test_correcting_twice_is_refused(parties: Parties, auth: str) -> None:
    """An entry is corrected at most once."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "T1", "100"))
    holder.record(factories.correction(auth, "C1", "P1"))
    with pytest.raises(ContractError) as caught:
        parties.broker.record(factories.correction(auth, "C2", "P1"))
    expect(caught.value, "LedgerAlreadyCorrected", authorisationId=ids.authorisation_id(auth), entryRef="P1")
    assert holder.totals(auth, IMPORT_TREAD) == (0, 0)


def test_correcting_an_unknown_entry_is_refused(parties: Parties, auth: str) -> None:
    """Only a recorded entry of the same authorisation can be corrected (an entry of another one is
    unknown here)."""
    other = register(parties)
    parties.holder.record(factories.placement(other, "P1", "T1", "100"))
    function, struct = encode_entry(
        factories.correction(auth, "C1", "P1"), parties.holder.original_data(other, "P1")
    )
    with pytest.raises(ContractError) as caught:
        send_raw(parties.holder, function, struct)
    expect(caught.value, "LedgerUnknownEntry", authorisationId=ids.authorisation_id(auth), entryRef="P1")


@pytest.mark.parametrize("kind", ["correction", "extension", "bill"])
def test_corrections_extensions_and_lodged_bills_are_not_correctable(
    parties: Parties, auth: str, kind: str
) -> None:
    """A correction, a deadline extension or a lodged bill cannot itself be corrected, even with its
    exact data."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "T1", "100"))
    if kind == "correction":
        sent = holder.record(factories.correction(auth, "E1", "P1"))
    elif kind == "bill":
        sent = holder.record(factories.bill_lodging(auth, "E1"))
    else:
        sent = parties.customs.extend(factories.extension(auth, "E1", "P1", date(2025, 3, 31)))
    (log,) = sent.receipt["logs"]
    function, struct = encode_entry(factories.correction(auth, "C2", "E1"), bytes(log["data"]))
    with pytest.raises(ContractError) as caught:
        send_raw(holder, function, struct)
    expect(
        caught.value,
        "LedgerNotCorrectable",
        entryRef="E1",
        kind={"correction": 6, "extension": 7, "bill": 8}[kind],
    )
    assert holder.entry_state(auth, "E1") == EntryState(kind, False)


def test_correction_with_other_data_than_logged_is_refused(parties: Parties, auth: str) -> None:
    """`original` must be the corrected entry's logged data: another entry's data is refused."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "T1", "100"))
    holder.record(factories.placement(auth, "P2", "T2", "1"))
    function, struct = encode_entry(factories.correction(auth, "C1", "P1"), holder.original_data(auth, "P2"))
    with pytest.raises(ContractError) as caught:
        send_raw(holder, function, struct)
    expect(caught.value, "LedgerCorrectionMismatch", entryRef="P1")
    assert holder.lot(auth, "T1") is not None
    assert holder.lot(auth, "T2") is not None
    assert holder.totals(auth, IMPORT_TREAD) == (101 * UNIT, 0)


# ---------------------------------------------------------------- deadline extension


def test_customs_extend_a_placement_deadline(parties: Parties, auth: str) -> None:
    """Customs record a deadline extension as the next record, logged with what it extends."""
    parties.holder.record(factories.placement(auth, "P1", "T1", "100"))
    extension = factories.extension(auth, "E1", "P1", date(2025, 3, 31))
    parties.customs.extend(extension)

    assert parties.reader.entry_state(auth, "E1") == EntryState("extension", False)
    assert parties.reader.chain_of(auth)[0] == 2
    last = parties.reader.records(auth)[-1]
    assert (last.kind, last.sequence, last.entry) == ("extension", 2, extension)
    assert Web3.to_checksum_address(last.account) == parties.customs.sender.address


@pytest.mark.parametrize("client", ["holder", "broker"])
def test_deadline_extension_is_for_customs_only(parties: Parties, auth: str, client: str) -> None:
    """The holder and its declarant cannot extend a deadline: the error names them and the role."""
    parties.holder.record(factories.placement(auth, "P1", "T1", "100"))
    sender: LedgerClient = getattr(parties, client)
    with pytest.raises(AccessDenied) as caught:
        sender.extend(factories.extension(auth, "E1", "P1", date(2025, 3, 31)))
    expect(
        caught.value,
        "AccessControlUnauthorizedAccount",
        account=sender.sender.address,
        neededRole=bytes(CUSTOMS_ROLE),
    )


@pytest.mark.parametrize("target", ["movement", "corrected-placement", "unknown"])
def test_deadline_extension_of_something_else_than_a_placement_is_refused(
    parties: Parties, auth: str, target: str
) -> None:
    """Only a recorded, uncorrected placement has a deadline to extend."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "T1", "100"))
    holder.record(factories.movement(auth, "M1", "T1", "1", SITE, OTHER_SITE))
    holder.record(factories.placement(auth, "P2", "T2", "100"))
    holder.record(factories.correction(auth, "C2", "P2"))
    extended = {"movement": "M1", "corrected-placement": "P2", "unknown": "P9"}[target]
    with pytest.raises(ContractError) as caught:
        parties.customs.extend(factories.extension(auth, "E1", extended, date(2025, 3, 31)))
    expect(
        caught.value, "LedgerNotAPlacement", authorisationId=ids.authorisation_id(auth), placement=extended
    )
    assert holder.entry_state(auth, "E1") == NOTHING


@pytest.mark.parametrize("status", ["suspend", "revoke"])
def test_deadline_extension_is_allowed_on_an_inactive_authorisation(
    parties: Parties, auth: str, status: str
) -> None:
    """Customs can still extend a deadline when the authorisation is suspended or revoked."""
    parties.holder.record(factories.placement(auth, "P1", "T1", "100"))
    getattr(parties.customs, status)(auth, "audit")
    parties.customs.extend(factories.extension(auth, "E1", "P1", date(2025, 3, 31)))
    assert parties.reader.entry_state(auth, "E1") == EntryState("extension", False)


# ---------------------------------------------------------------- lodged bills of discharge


def test_a_lodged_bill_is_the_next_record_logged_with_its_digest(parties: Parties, auth: str) -> None:
    """Lodging a bill extends the authorisation's chain like any record: logged as sent, read back."""
    parties.holder.record(factories.placement(auth, "P1", "T1", "100"))
    lodging = factories.bill_lodging(auth, "B1", date(2024, 7, 1), date(2024, 7, 31), "0f" * 32)
    parties.broker.record(lodging)
    assert parties.reader.entry_state(auth, "B1") == EntryState("bill", False)
    last = parties.reader.records(auth)[-1]
    assert (last.kind, last.sequence, last.entry) == ("bill", 2, lodging)
    assert Web3.to_checksum_address(last.account) == parties.broker.sender.address
    with pytest.raises(ContractError) as caught:
        parties.holder.record(lodging)
    expect(caught.value, "LedgerEntryExists", authorisationId=ids.authorisation_id(auth), entryRef="B1")


def test_a_bill_whose_period_has_not_ended_is_refused_by_the_contract(parties: Parties, auth: str) -> None:
    """Before its last day is over, what a bill covers can still change (found by review: a span
    reaching into the future would cover every period end and silence the overdue alerts)."""
    today = datetime.fromtimestamp(parties.reader.w3.eth.get_block("latest")["timestamp"], UTC).date()
    with pytest.raises(ContractError) as caught:
        parties.holder.record(factories.bill_lodging(auth, "B1", date(2024, 1, 1), today))
    expect(
        caught.value,
        "LedgerBillPeriodNotEnded",
        entryRef="B1",
        periodEnd=day_start(today),
        blockTime=caught.value.args_by_name["blockTime"],
    )
    yesterday = today - timedelta(days=1)
    parties.holder.record(factories.bill_lodging(auth, "B2", date(2024, 1, 1), yesterday))
    assert parties.reader.entry_state(auth, "B2") == EntryState("bill", False)


@pytest.mark.parametrize("status", ["suspend", "revoke"])
def test_bills_are_lodged_on_an_inactive_authorisation(parties: Parties, auth: str, status: str) -> None:
    """The bill of discharge is due whatever became of the authorisation."""
    parties.holder.record(factories.placement(auth, "P1", "T1", "100"))
    getattr(parties.customs, status)(auth, "audit")
    parties.holder.record(factories.bill_lodging(auth, "B1"))
    assert parties.reader.entry_state(auth, "B1") == EntryState("bill", False)


def test_a_bill_with_a_reversed_period_or_no_digest_is_refused_by_the_contract(
    parties: Parties, auth: str
) -> None:
    """The model refuses both; the contract does too, for a client that sends them anyway."""
    function, (header, _start, _end, due, digest) = encode_entry(factories.bill_lodging(auth, "B1"))
    with pytest.raises(ContractError) as caught:
        send_raw(
            parties.holder,
            function,
            (header, day_start(date(2024, 7, 31)), day_start(date(2024, 7, 1)), due, digest),
        )
    expect(
        caught.value,
        "LedgerInvalidBillPeriod",
        entryRef="B1",
        periodStart=day_start(date(2024, 7, 31)),
        periodEnd=day_start(date(2024, 7, 1)),
    )
    function, struct = encode_entry(factories.bill_lodging(auth, "B2"))
    with pytest.raises(ContractError) as caught:
        send_raw(parties.holder, function, (*struct[:4], bytes(32)))
    expect(caught.value, "LedgerMissingField", entryRef="B2", field="billSha256")
    assert parties.reader.chain_of(auth)[0] == 0


# ---------------------------------------------------------------- inactive authorisations


@pytest.mark.parametrize(("status", "code"), [("suspend", 2), ("revoke", 3)])
@pytest.mark.parametrize("kind", ["placement", "movement", "discharge", "correction"])
def test_an_inactive_authorisation_refuses_entries(
    parties: Parties, auth: str, status: str, code: int, kind: str
) -> None:
    """A suspended or revoked authorisation accepts no new entry, from the holder or its declarant."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "T1", "100"))
    getattr(parties.customs, status)(auth, "audit")
    entries: dict[str, AnyEntry] = {
        "placement": factories.placement(auth, "P2", "T2"),
        "movement": factories.movement(auth, "P2", "T1", "1", SITE, OTHER_SITE),
        "discharge": factories.discharge(auth, "P2", "T1", "1"),
        "correction": factories.correction(auth, "P2", "P1"),
    }
    entry = entries[kind]
    for sender in (holder, parties.broker):
        with pytest.raises(ContractError) as caught:
            sender.record(entry)
        expect(
            caught.value,
            "RegistryAuthorisationNotActive",
            authorisationId=ids.authorisation_id(auth),
            status=code,
        )
    assert holder.chain_of(auth)[0] == 1
    assert holder.stock(auth, "T1", SITE) == 100
