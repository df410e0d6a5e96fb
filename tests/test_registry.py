"""The authorisation registry: terms in the events, versions and their product tables, status changes,
declarants, and every validation of the terms (sent as raw tuples, bypassing the Python model)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from eth_utils.abi import event_signature_to_log_topic
from support import factories
from support.chain import Parties
from support.factories import IMPORT_CASING, IMPORT_TREAD, PRODUCT_SCRAP, PRODUCT_TYRE
from web3.logs import DISCARD

from pa_client.chain.ledger import AuthorisationState, EntryState, LedgerClient, LotState, Status
from pa_client.chain.sender import Sent
from pa_client.contract import ids
from pa_client.contract.artifacts import abi_type
from pa_client.contract.encoding import day_end, day_start, decode_terms, encode_terms
from pa_client.contract.rolling_hash import next_head
from pa_client.domain.models import Authorisation
from pa_client.errors import ChainError, ContractError

UNIT = 10**18
TREAD = int(IMPORT_TREAD)
CASING = int(IMPORT_CASING)
TYRE = int(PRODUCT_TYRE)
SCRAP = int(PRODUCT_SCRAP)
TERMS_FIELDS = (
    "ref",
    "holder",
    "holderEori",
    "supervisingOffice",
    "validFrom",
    "validUntil",
    "dischargePeriodMonths",
    "periodEnd",
    "allocationKey",
    "yieldTolerancePpm",
    "deemedReleaseOnExpiry",
    "importGoods",
    "products",
)


def expect(error: ContractError, name: str, **args: object) -> None:
    """`error` is the custom error `name` with exactly `args`."""
    assert (error.error_name, error.args_by_name) == (name, args), str(error)


def plain(value: Any) -> Any:
    """A struct as web3 decodes it from an event (nested mappings) back to ABI tuples."""
    if isinstance(value, Mapping):
        return tuple(plain(v) for v in value.values())
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def as_lists(value: Any) -> Any:
    """Structs and arrays, whether decoded or encoded, as nested lists (to compare them)."""
    if isinstance(value, Mapping):
        return [as_lists(v) for v in value.values()]
    if isinstance(value, list | tuple):
        return [as_lists(v) for v in value]
    return value


def event_args(client: LedgerClient, sent: Sent, name: str) -> Mapping[str, Any]:
    (event,) = getattr(client.registry.events, name)().process_receipt(sent.receipt, errors=DISCARD)
    args: Mapping[str, Any] = event["args"]
    return args


def raw_terms(reference: str | None = None, **changes: Any) -> tuple[Any, ...]:
    """IAuthorisationRegistry.Terms of a valid authorisation of `holder`, with fields replaced."""
    terms = dict(
        zip(
            TERMS_FIELDS,
            encode_terms(factories.authorisation(reference or factories.fresh_reference())),
            strict=True,
        )
    )
    terms.update(changes)
    return tuple(terms[name] for name in TERMS_FIELDS)


def send_register(client: LedgerClient, terms: tuple[Any, ...]) -> Sent:
    return client.sender.send(client.registry.functions.register(terms), "raw register")


def full_terms(reference: str) -> Authorisation:
    """Terms using every field away from its default, and a ratio that is not a decimal."""
    return factories.authorisation(
        reference,
        holder_eori="FR98765432100017",
        supervising_office="FR00A150",
        valid_from=date(2024, 2, 29),
        valid_until=date(2030, 6, 30),
        discharge_period_months=18,
        period_end="quarter",
        allocation_key="value",
        yield_tolerance_percent="2.5",
        deemed_release_on_expiry=False,
        products=(
            {
                "code": PRODUCT_TYRE,
                "description": "Retreaded aircraft tyres",
                "unit": "NAR",
                "contains": {IMPORT_CASING: "1", IMPORT_TREAD: "1000/950"},
            },
        ),
    )


# ---------------------------------------------------------------- registration and amendment


def test_registration_logs_the_terms_and_makes_the_authorisation_active(parties: Parties) -> None:
    """AuthorisationRegistered carries the terms exactly (they decode back to the registered model),
    version 1, the holder and customs; the authorisation is then active at version 1."""
    reference = factories.fresh_reference()
    terms = full_terms(reference)
    sent = parties.customs.register(terms)

    args = event_args(parties.reader, sent, "AuthorisationRegistered")
    assert args["authorisationId"] == ids.authorisation_id(reference)
    assert args["holder"] == factories.HOLDER
    assert args["registeredBy"] == parties.customs.sender.address
    assert args["version"] == 1
    assert decode_terms(plain(args["terms"])) == terms
    assert as_lists(args["terms"]) == as_lists(encode_terms(terms))
    assert parties.reader.authorisation_state(reference) == AuthorisationState(
        reference, factories.HOLDER, Status.ACTIVE, 1, date(2024, 2, 29), date(2030, 6, 30)
    )
    _, _, _, valid_from, valid_until = parties.reader.registry.functions.authorisationOf(
        ids.authorisation_id(reference)
    ).call()
    assert (valid_from, valid_until) == (day_start(date(2024, 2, 29)), day_end(date(2030, 6, 30)))


def test_amendment_logs_the_new_terms_and_bumps_the_version(parties: Parties, auth: str) -> None:
    """Each amendment is a new version whose terms AuthorisationAmended carries; the status is kept."""
    amended = full_terms(auth)
    sent = parties.customs.amend(amended)
    args = event_args(parties.reader, sent, "AuthorisationAmended")
    assert (args["authorisationId"], args["holder"], args["amendedBy"], args["version"]) == (
        ids.authorisation_id(auth),
        factories.HOLDER,
        parties.customs.sender.address,
        2,
    )
    assert decode_terms(plain(args["terms"])) == amended

    sent = parties.customs.amend(factories.authorisation(auth))
    assert event_args(parties.reader, sent, "AuthorisationAmended")["version"] == 3
    state = parties.reader.authorisation_state(auth)
    assert (state.status, state.version, state.valid_until) == (Status.ACTIVE, 3, date(2026, 12, 31))


def test_a_registered_reference_cannot_be_registered_again(parties: Parties, auth: str) -> None:
    """Registering an existing reference is refused (it is amended instead); the version stays."""
    with pytest.raises(ContractError) as caught:
        parties.customs.register(factories.authorisation(auth, yield_tolerance_percent="9"))
    expect(caught.value, "RegistryAuthorisationExists", authorisationId=ids.authorisation_id(auth), ref=auth)
    assert parties.reader.authorisation_state(auth).version == 1


def test_an_unknown_authorisation_cannot_be_amended_or_suspended(parties: Parties) -> None:
    """Amending or changing the status of an unregistered reference is refused, naming its id."""
    reference = factories.fresh_reference()
    actions: list[Callable[[], Sent]] = [
        lambda: parties.customs.amend(factories.authorisation(reference)),
        lambda: parties.customs.suspend(reference, "audit"),
        lambda: parties.holder.appoint(reference, parties.broker.sender.address),
    ]
    for action in actions:
        with pytest.raises(ContractError) as caught:
            action()
        expect(caught.value, "RegistryUnknownAuthorisation", authorisationId=ids.authorisation_id(reference))
    assert parties.reader.authorisation_state(reference).status is Status.UNKNOWN


def test_a_new_version_applies_to_new_entries_and_old_product_lots_keep_their_ratios(
    parties: Parties, auth: str
) -> None:
    """Version 2 (tread per tyre 12 instead of 11.5, scrap dropped, one more import code) governs new
    placements and processing; product lots processed under version 1 still discharge with version 1's
    ratios, as the discharged totals show."""
    holder = parties.holder
    holder.record(factories.placement(auth, "P1", "C1", "20", code=IMPORT_CASING, unit="NAR"))
    holder.record(factories.placement(auth, "P2", "T1", "1000"))
    holder.record(
        factories.processing(
            auth,
            "X1",
            [("C1", "10"), ("T1", "125")],
            [("Y1", PRODUCT_TYRE, "10", "NAR"), ("S1", PRODUCT_SCRAP, "10", "KGM")],
        )
    )
    with pytest.raises(ContractError) as caught:
        holder.record(factories.placement(auth, "P3", "R1", code="40111000"))
    assert caught.value.error_name == "LedgerGoodsCodeNotAllowed"

    version2 = factories.authorisation(
        auth,
        import_goods=(IMPORT_CASING, IMPORT_TREAD, "40111000"),
        products=(
            {
                "code": PRODUCT_TYRE,
                "description": "Retreaded aircraft tyres",
                "unit": "NAR",
                "contains": {IMPORT_CASING: "1", IMPORT_TREAD: "12"},
            },
        ),
    )
    parties.customs.amend(version2)
    assert parties.reader.authorisation_state(auth).version == 2

    holder.record(factories.placement(auth, "P3", "R1", code="40111000"))
    assert holder.totals(auth, "40111000") == (100 * UNIT, 0)
    sent = holder.record(
        factories.processing(auth, "X2", [("C1", "5"), ("T1", "60")], [("Y2", PRODUCT_TYRE, "5", "NAR")])
    )
    assert holder.ledger.events.YieldDeviated().process_receipt(sent.receipt, errors=DISCARD) == ()
    assert holder.lot(auth, "Y1") == LotState(Decimal(10), PRODUCT_TYRE, 1, 0, "processing")
    assert holder.lot(auth, "Y2") == LotState(Decimal(5), PRODUCT_TYRE, 2, 0, "processing")
    with pytest.raises(ContractError) as caught:
        holder.record(factories.processing(auth, "X3", [("T1", "1")], [("S2", PRODUCT_SCRAP, "1", "KGM")]))
    expect(
        caught.value,
        "RegistryUnknownProduct",
        authorisationId=ids.authorisation_id(auth),
        version=2,
        productCode=SCRAP,
    )

    holder.record(factories.discharge(auth, "D1", "Y1", "10"))
    assert holder.totals(auth, IMPORT_TREAD) == (1000 * UNIT, 115 * UNIT)
    assert holder.totals(auth, IMPORT_CASING) == (20 * UNIT, 10 * UNIT)
    holder.record(factories.discharge(auth, "D2", "Y2", "5"))
    assert holder.totals(auth, IMPORT_TREAD) == (1000 * UNIT, 175 * UNIT)
    assert holder.totals(auth, IMPORT_CASING) == (20 * UNIT, 15 * UNIT)
    holder.record(factories.discharge(auth, "D3", "S1", "10"))
    assert holder.totals(auth, IMPORT_TREAD) == (1000 * UNIT, 185 * UNIT)


def test_amendment_with_invalid_terms_is_refused(parties: Parties, auth: str) -> None:
    """An amendment is checked like a registration; a refused one leaves the version as it was."""
    terms = raw_terms(auth, yieldTolerancePpm=1_000_001)
    with pytest.raises(ContractError) as caught:
        parties.customs.sender.send(parties.customs.registry.functions.amend(terms), "raw amend")
    expect(caught.value, "RegistryInvalidTolerance", yieldTolerancePpm=1_000_001)
    assert parties.reader.authorisation_state(auth).version == 1


# ---------------------------------------------------------------- status


def _status_change(client: LedgerClient, sent: Sent) -> tuple[Any, ...]:
    args = event_args(client, sent, "AuthorisationStatusChanged")
    return (
        args["authorisationId"],
        args["changedBy"],
        args["previousStatus"],
        args["status"],
        args["reason"],
    )


def test_status_changes_are_logged_and_govern_entries(parties: Parties, auth: str) -> None:
    """Suspension stops entries, reinstatement lets them in again, revocation is final; each change is
    logged with the previous and new status and the reason."""
    customs = parties.customs
    auth_id = ids.authorisation_id(auth)
    address = customs.sender.address

    sent = customs.suspend(auth, "audit opened")
    assert _status_change(parties.reader, sent) == (auth_id, address, 1, 2, "audit opened")
    assert parties.reader.authorisation_state(auth).status is Status.SUSPENDED
    with pytest.raises(ContractError) as caught:
        parties.holder.record(factories.placement(auth, "P1", "T1"))
    expect(caught.value, "RegistryAuthorisationNotActive", authorisationId=auth_id, status=2)

    sent = customs.reinstate(auth, "audit closed")
    assert _status_change(parties.reader, sent) == (auth_id, address, 2, 1, "audit closed")
    parties.holder.record(factories.placement(auth, "P1", "T1"))
    assert parties.reader.entry_state(auth, "P1") == EntryState("placement", False)

    sent = customs.revoke(auth, "fraud")
    assert _status_change(parties.reader, sent) == (auth_id, address, 1, 3, "fraud")
    assert parties.reader.authorisation_state(auth).status is Status.REVOKED


def test_a_suspended_authorisation_can_be_revoked_and_amended(parties: Parties, auth: str) -> None:
    """Amending a suspended authorisation keeps it suspended; revoking it records 2 → 3."""
    parties.customs.suspend(auth, "audit")
    parties.customs.amend(factories.authorisation(auth, yield_tolerance_percent="3"))
    state = parties.reader.authorisation_state(auth)
    assert (state.status, state.version) == (Status.SUSPENDED, 2)
    sent = parties.customs.revoke(auth, "fraud")
    assert _status_change(parties.reader, sent)[2:4] == (2, 3)


@pytest.mark.parametrize(
    ("history", "action", "status", "requested"),
    [
        (["suspend"], "suspend", 2, 2),
        ([], "reinstate", 1, 1),
        (["revoke"], "revoke", 3, 3),
        (["revoke"], "suspend", 3, 2),
        (["suspend", "revoke"], "reinstate", 3, 1),
    ],
    ids=["suspend-suspended", "reinstate-active", "revoke-revoked", "suspend-revoked", "reinstate-revoked"],
)
def test_invalid_status_changes_are_refused(
    parties: Parties, auth: str, history: list[str], action: str, status: int, requested: int
) -> None:
    """Only active → suspended, suspended → active and anything but revoked → revoked are allowed."""
    for step in history:
        getattr(parties.customs, step)(auth, "before")
    with pytest.raises(ContractError) as caught:
        getattr(parties.customs, action)(auth, "again")
    expect(
        caught.value,
        "RegistryInvalidStatusChange",
        authorisationId=ids.authorisation_id(auth),
        status=status,
        requested=requested,
    )
    assert parties.reader.authorisation_state(auth).status is Status(status)


def test_a_revoked_authorisation_cannot_be_amended(parties: Parties, auth: str) -> None:
    """Revocation is final: amending is refused and the version stays."""
    parties.customs.revoke(auth, "fraud")
    with pytest.raises(ContractError) as caught:
        parties.customs.amend(factories.authorisation(auth))
    expect(
        caught.value,
        "RegistryInvalidStatusChange",
        authorisationId=ids.authorisation_id(auth),
        status=3,
        requested=3,
    )
    assert parties.reader.authorisation_state(auth).version == 1


# ---------------------------------------------------------------- declarants


def test_declarants_are_appointed_and_removed_once(parties: Parties, auth: str) -> None:
    """Appointing an appointed declarant or removing one that is not appointed is refused; both
    changes are logged."""
    auth_id = ids.authorisation_id(auth)
    broker = parties.broker.sender.address
    broker2 = parties.broker2.sender.address
    with pytest.raises(ContractError) as caught:
        parties.holder.appoint(auth, broker)
    expect(
        caught.value, "RegistryDeclarantUnchanged", authorisationId=auth_id, declarant=broker, appointed=True
    )
    with pytest.raises(ContractError) as caught:
        parties.holder.remove_declarant(auth, broker2)
    expect(
        caught.value,
        "RegistryDeclarantUnchanged",
        authorisationId=auth_id,
        declarant=broker2,
        appointed=False,
    )

    sent = parties.holder.appoint(auth, broker2)
    args = event_args(parties.reader, sent, "DeclarantAppointed")
    assert (args["authorisationId"], args["declarant"], args["appointedBy"]) == (
        auth_id,
        broker2,
        parties.holder.sender.address,
    )
    sent = parties.holder.remove_declarant(auth, broker)
    args = event_args(parties.reader, sent, "DeclarantRemoved")
    assert (args["authorisationId"], args["declarant"], args["removedBy"]) == (
        auth_id,
        broker,
        parties.holder.sender.address,
    )
    assert parties.reader.is_declarant(auth, broker2)
    assert not parties.reader.is_declarant(auth, broker)


# ---------------------------------------------------------------- validation of the terms


def _product(code: int, unit: bytes, contains: list[tuple[int, int, int]]) -> tuple[Any, ...]:
    return (code, "product", unit, contains)


TYRE_RAW = _product(TYRE, b"NAR", [(CASING, 1, 1), (TREAD, 23, 2)])
SCRAP_RAW = _product(SCRAP, b"KGM", [(TREAD, 1, 1)])
SEVENTEEN = [40_000_000 + i for i in range(15)] + [CASING, TREAD]
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
FROM = day_start(date(2024, 1, 1))

INVALID_TERMS: dict[str, tuple[dict[str, Any], str, dict[str, Any]]] = {
    "empty-ref": ({"ref": ""}, "RegistryMissingField", {"field": "ref"}),
    "empty-eori": ({"holderEori": ""}, "RegistryMissingField", {"field": "holderEori"}),
    "empty-office": ({"supervisingOffice": ""}, "RegistryMissingField", {"field": "supervisingOffice"}),
    "zero-holder": ({"holder": ZERO_ADDRESS}, "RegistryZeroHolder", {}),
    "empty-validity": (
        {"validFrom": FROM, "validUntil": FROM},
        "RegistryInvalidValidity",
        {"validFrom": FROM, "validUntil": FROM},
    ),
    "reversed-validity": (
        {"validFrom": FROM, "validUntil": FROM - 1},
        "RegistryInvalidValidity",
        {"validFrom": FROM, "validUntil": FROM - 1},
    ),
    "zero-months": (
        {"dischargePeriodMonths": 0},
        "RegistryInvalidDischargePeriod",
        {"months": 0, "maxMonths": 120},
    ),
    "121-months": (
        {"dischargePeriodMonths": 121},
        "RegistryInvalidDischargePeriod",
        {"months": 121, "maxMonths": 120},
    ),
    "zero-import-code": ({"importGoods": [CASING, TREAD, 0]}, "RegistryInvalidGoodsCode", {"code": 0}),
    "nine-digit-import-code": (
        {"importGoods": [CASING, TREAD, 100_000_000]},
        "RegistryInvalidGoodsCode",
        {"code": 100_000_000},
    ),
    "nine-digit-product-code": (
        {"products": [TYRE_RAW, _product(100_000_000, b"KGM", [(TREAD, 1, 1)])]},
        "RegistryInvalidGoodsCode",
        {"code": 100_000_000},
    ),
    "duplicate-import-code": (
        {"importGoods": [CASING, TREAD, CASING]},
        "RegistryDuplicateCode",
        {"code": CASING},
    ),
    "duplicate-product": (
        {"products": [TYRE_RAW, SCRAP_RAW, TYRE_RAW]},
        "RegistryDuplicateCode",
        {"code": TYRE},
    ),
    "duplicate-content": (
        {"products": [_product(TYRE, b"NAR", [(TREAD, 23, 2), (CASING, 1, 1), (TREAD, 1, 1)])]},
        "RegistryDuplicateCode",
        {"code": TREAD},
    ),
    "17-import-codes": (
        {"importGoods": SEVENTEEN},
        "RegistryTooManyImportGoods",
        {"count": 17, "maxCount": 16},
    ),
    "product-without-unit": (
        {"products": [_product(TYRE, b"\0\0\0", [(CASING, 1, 1)])]},
        "RegistryInvalidProduct",
        {"productCode": TYRE},
    ),
    "product-without-content": (
        {"products": [TYRE_RAW, _product(SCRAP, b"KGM", [])]},
        "RegistryInvalidProduct",
        {"productCode": SCRAP},
    ),
    "content-not-allowed": (
        {"products": [_product(SCRAP, b"KGM", [(TREAD, 1, 1), (40111000, 1, 2)])]},
        "RegistryContentNotAllowed",
        {"productCode": SCRAP, "importGoodsCode": 40111000},
    ),
    "zero-numerator": (
        {"products": [_product(SCRAP, b"KGM", [(TREAD, 0, 1)])]},
        "RegistryInvalidRatio",
        {"productCode": SCRAP, "importGoodsCode": TREAD, "numerator": 0, "denominator": 1},
    ),
    "zero-denominator": (
        {"products": [_product(SCRAP, b"KGM", [(TREAD, 5, 0)])]},
        "RegistryInvalidRatio",
        {"productCode": SCRAP, "importGoodsCode": TREAD, "numerator": 5, "denominator": 0},
    ),
    "tolerance-above-100-percent": (
        {"yieldTolerancePpm": 1_000_001},
        "RegistryInvalidTolerance",
        {"yieldTolerancePpm": 1_000_001},
    ),
}


@pytest.mark.parametrize("case", list(INVALID_TERMS))
def test_invalid_terms_are_refused(parties: Parties, case: str) -> None:
    """Each invalid field of the terms is refused with its own error and the offending values; nothing
    is registered."""
    changes, name, args = INVALID_TERMS[case]
    terms = raw_terms(**changes)
    with pytest.raises(ContractError) as caught:
        send_register(parties.customs, terms)
    expect(caught.value, name, **args)
    assert parties.reader.authorisation_state(terms[0]).status is Status.UNKNOWN


def test_terms_at_their_bounds_are_accepted(parties: Parties) -> None:
    """One second of validity, 120 months, a 100 % tolerance and 16 import goods codes are accepted,
    and the registry answers for each allowed code and the product's table."""
    reference = factories.fresh_reference()
    sixteen = SEVENTEEN[1:]
    send_register(
        parties.customs,
        raw_terms(
            reference,
            validFrom=FROM,
            validUntil=FROM + 1,
            dischargePeriodMonths=120,
            yieldTolerancePpm=1_000_000,
            importGoods=sixteen,
            products=[_product(SCRAP, b"KGM", [(code, 1, 3) for code in sixteen])],
        ),
    )
    auth_id = ids.authorisation_id(reference)
    registry = parties.reader.registry.functions
    assert all(registry.isImportGoodsAllowed(auth_id, 1, code).call() for code in sixteen)
    assert not registry.isImportGoodsAllowed(auth_id, 1, SEVENTEEN[0]).call()
    unit, contains = registry.productOf(auth_id, 1, SCRAP).call()
    assert (unit, [tuple(c) for c in contains]) == (b"KGM", [(code, 1, 3) for code in sixteen])


def test_every_registry_event_extends_the_registry_chain(parties: Parties, auth: str) -> None:
    """Registrations, amendments, status, declarant and role changes, encryption keys, key envelopes and
    key epochs: each log of the registry is one step of `registryChain`, whose head the logs alone give
    (the proof that no authorisation, and no change of one, is missing). A call that changes nothing
    logs nothing and leaves the chain."""
    w3 = parties.reader.w3
    start = w3.eth.block_number
    before = parties.reader.registry_chain(start)
    customs, holder = parties.customs, parties.holder
    customs.amend(full_terms(auth))
    customs.suspend(auth, "inquiry")
    customs.reinstate(auth, "inquiry closed")
    holder.appoint(auth, parties.broker2.sender.address)
    holder.remove_declarant(auth, parties.broker2.sender.address)
    customs.grant_customs(parties.stranger.sender.address)
    customs.grant_customs(parties.stranger.sender.address)  # held already: no event, no step
    customs.revoke_customs(parties.stranger.sender.address)
    # The key directory, envelopes and epochs (the removal above started epoch 1: a log of its own).
    stranger = parties.stranger
    stranger.sender.send(
        stranger.registry.functions.publishEncryptionKey(os.urandom(32)), "publish an encryption key"
    )
    customs.sender.send(
        customs.registry.functions.publishKeyEnvelope(
            ids.authorisation_id(auth), 1, stranger.sender.address, b"\x02" * 113
        ),
        "publish a key envelope",
    )
    end = w3.eth.block_number
    logs = w3.eth.get_logs(
        {
            "address": w3.to_checksum_address(parties.deployment.registry),
            "fromBlock": start + 1,
            "toBlock": end,
        }
    )
    topic_names = {
        event_signature_to_log_topic(
            f"{item['name']}({','.join(abi_type(i) for i in item['inputs'])})"
        ): item["name"]
        for item in customs.registry.abi
        if item["type"] == "event"
    }
    names = [topic_names[bytes(item["topics"][0])] for item in logs]
    assert names == [
        "AuthorisationAmended",
        "AuthorisationStatusChanged",
        "AuthorisationStatusChanged",
        "DeclarantAppointed",
        "DeclarantRemoved",
        "KeyEpochStarted",
        "RoleGranted",
        "RoleRevoked",
        "EncryptionKeyPublished",
        "KeyEnvelopePublished",
    ]
    sequence, head = before
    for item in logs:
        sequence, head = (
            sequence + 1,
            next_head(head, tuple(bytes(t) for t in item["topics"]), bytes(item["data"])),
        )
    assert sequence == before[0] + 10 and parties.reader.registry_chain(end) == (sequence, head)
    assert parties.reader.registry_chain(start) == before  # as of a block, like chainOf


@pytest.mark.parametrize("where", ["a contract without it", "no contract"])
def test_a_registry_without_registry_chain_is_named_in_one_line(parties: Parties, where: str) -> None:
    """A deployment made before the registry proved its completeness: the audit cannot prove it, and
    says what to do rather than fail on an undecodable answer."""
    address = (
        parties.deployment.ledger if where == "a contract without it" else parties.stranger.sender.address
    )
    reader = LedgerClient(parties.reader.w3, dataclasses.replace(parties.deployment, registry=address))
    with pytest.raises(ChainError, match=r"has no registryChain\(\): it was deployed by an earlier version"):
        reader.registry_chain(parties.reader.w3.eth.block_number)
