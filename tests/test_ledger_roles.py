"""The role matrix: every state-changing function of the registry and the ledger, called by customs,
the holder of the authorisation, its declarant, the holder of another authorisation and a stranger.

Allowed calls succeed and change what they should; refused ones raise `AccessDenied` naming the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from eth_account import Account
from support import factories
from support.chain import Parties
from web3 import Web3
from web3.types import Nonce

from pa_client.chain.accounts import dev_account
from pa_client.chain.ledger import CUSTOMS_ROLE, EntryState, LedgerClient, Status
from pa_client.chain.sender import Sent
from pa_client.contract import ids
from pa_client.errors import AccessDenied, ContractError

ROLES = ("customs", "holder", "declarant", "holder2", "stranger")
CLIENT_OF_ROLE = {
    "customs": "customs",
    "holder": "holder",
    "declarant": "broker",
    "holder2": "holder2",
    "stranger": "stranger",
}
ADMIN_ROLE = b"\0" * 32
BROKER = dev_account("broker").address
BROKER2 = dev_account("broker2").address
SITE = "BOURGES"


@dataclass(frozen=True)
class Case:
    """One state-changing function: how to prepare for it, call it and see that it took effect.
    `refusal` is the error for everyone outside `allowed`; `needs` is the role named in it (None when the
    error names the authorisation instead)."""

    prepare: Callable[[Parties, str], None]
    call: Callable[[LedgerClient, str], Sent]
    took_effect: Callable[[Parties, str], bool]
    allowed: frozenset[str]
    refusal: str
    needs: bytes | None = None


def _nothing(parties: Parties, auth: str) -> None:
    pass


def _placed(parties: Parties, auth: str) -> None:
    parties.holder.record(factories.placement(auth, "P1", "T1", "100"))


def _suspended(parties: Parties, auth: str) -> None:
    parties.customs.suspend(auth, "audit")


def _recorded(entry_ref: str, kind: str) -> Callable[[Parties, str], bool]:
    def check(parties: Parties, auth: str) -> bool:
        return bool(parties.reader.entry_state(auth, entry_ref) == EntryState(kind, False))

    return check


def _status(status: Status) -> Callable[[Parties, str], bool]:
    def check(parties: Parties, auth: str) -> bool:
        return parties.reader.authorisation_state(auth).status is status

    return check


_registered: dict[str, str] = {}  # auth → reference registered by the `register` case
_granted: dict[str, str] = {}  # auth → account granted the customs role by the `grantRole` case


def _register(client: LedgerClient, auth: str) -> Sent:
    _registered[auth] = factories.fresh_reference()
    return client.register(factories.authorisation(_registered[auth]))


def _grant(client: LedgerClient, auth: str) -> Sent:
    _granted[auth] = Account.create().address  # a throwaway account: no other test is affected
    return client.grant_customs(_granted[auth])


def _batch(client: LedgerClient, auth: str) -> Sent:
    return client.record_batch(
        [
            factories.placement(auth, "B1", "T2", "5"),
            factories.movement(auth, "B2", "T2", "5", SITE, "CLERMONT"),
        ]
    )


RECORDERS = frozenset({"holder", "declarant"})
CUSTOMS = frozenset({"customs"})
HOLDER = frozenset({"holder"})

CASES: dict[str, Case] = {
    # ---- registry
    "register": Case(
        _nothing,
        _register,
        lambda p, a: p.reader.authorisation_state(_registered[a]).status is Status.ACTIVE,
        CUSTOMS,
        "AccessControlUnauthorizedAccount",
        bytes(CUSTOMS_ROLE),
    ),
    "amend": Case(
        _nothing,
        lambda c, a: c.amend(factories.authorisation(a, yield_tolerance_percent="5")),
        lambda p, a: p.reader.authorisation_state(a).version == 2,
        CUSTOMS,
        "AccessControlUnauthorizedAccount",
        bytes(CUSTOMS_ROLE),
    ),
    "suspend": Case(
        _nothing,
        lambda c, a: c.suspend(a, "audit"),
        _status(Status.SUSPENDED),
        CUSTOMS,
        "AccessControlUnauthorizedAccount",
        bytes(CUSTOMS_ROLE),
    ),
    "reinstate": Case(
        _suspended,
        lambda c, a: c.reinstate(a, "audit done"),
        _status(Status.ACTIVE),
        CUSTOMS,
        "AccessControlUnauthorizedAccount",
        bytes(CUSTOMS_ROLE),
    ),
    "revoke": Case(
        _nothing,
        lambda c, a: c.revoke(a, "fraud"),
        _status(Status.REVOKED),
        CUSTOMS,
        "AccessControlUnauthorizedAccount",
        bytes(CUSTOMS_ROLE),
    ),
    "appointDeclarant": Case(
        _nothing,
        lambda c, a: c.appoint(a, BROKER2),
        lambda p, a: p.reader.is_declarant(a, BROKER2),
        HOLDER,
        "RegistryNotHolder",
    ),
    "removeDeclarant": Case(
        _nothing,
        lambda c, a: c.remove_declarant(a, BROKER),
        lambda p, a: not p.reader.is_declarant(a, BROKER),
        HOLDER,
        "RegistryNotHolder",
    ),
    "grantRole(CUSTOMS_ROLE)": Case(
        _nothing,
        _grant,
        lambda p, a: p.reader.is_customs(_granted[a]),
        CUSTOMS,
        "AccessControlUnauthorizedAccount",
        ADMIN_ROLE,
    ),
    # ---- ledger
    "recordPlacement": Case(
        _nothing,
        lambda c, a: c.record(factories.placement(a, "E1", "T1", "100")),
        _recorded("E1", "placement"),
        RECORDERS,
        "RegistryNotRecorder",
    ),
    "recordMovement": Case(
        _placed,
        lambda c, a: c.record(factories.movement(a, "E1", "T1", "10", SITE, "CLERMONT")),
        _recorded("E1", "movement"),
        RECORDERS,
        "RegistryNotRecorder",
    ),
    "recordProcessing": Case(
        _placed,
        lambda c, a: c.record(
            factories.processing(a, "E1", [("T1", "10")], [("S1", factories.PRODUCT_SCRAP, "10", "KGM")])
        ),
        _recorded("E1", "processing"),
        RECORDERS,
        "RegistryNotRecorder",
    ),
    "recordHandling": Case(
        _placed,
        lambda c, a: c.record(factories.handling(a, "E1", "T1", "40169300")),
        _recorded("E1", "handling"),
        RECORDERS,
        "RegistryNotRecorder",
    ),
    "recordDischarge": Case(
        _placed,
        lambda c, a: c.record(factories.discharge(a, "E1", "T1", "10")),
        _recorded("E1", "discharge"),
        RECORDERS,
        "RegistryNotRecorder",
    ),
    "recordCorrection": Case(
        _placed,
        lambda c, a: c.record(factories.correction(a, "E1", "P1")),
        _recorded("E1", "correction"),
        RECORDERS,
        "RegistryNotRecorder",
    ),
    "extendDeadline": Case(
        _placed,
        lambda c, a: c.extend(factories.extension(a, "E1", "P1", date(2025, 3, 31))),
        _recorded("E1", "extension"),
        CUSTOMS,
        "AccessControlUnauthorizedAccount",
        bytes(CUSTOMS_ROLE),
    ),
    "lodgeBill": Case(
        _placed,
        lambda c, a: c.record(factories.bill_lodging(a, "E1")),
        _recorded("E1", "bill"),
        RECORDERS,
        "RegistryNotRecorder",
    ),
    "recordBatch": Case(
        _nothing,
        _batch,
        lambda p, a: p.reader.entry_state(a, "B2") == EntryState("movement", False),
        RECORDERS,
        "RegistryNotRecorder",
    ),
}


def _client(parties: Parties, role: str) -> LedgerClient:
    client: LedgerClient = getattr(parties, CLIENT_OF_ROLE[role])
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("function", list(CASES))
def test_role_matrix(parties: Parties, auth: str, function: str, role: str) -> None:
    """Allowed callers change the state; anyone else is refused with AccessDenied naming the caller (and
    the role or the authorisation it lacked), and nothing changes."""
    case = CASES[function]
    case.prepare(parties, auth)
    client = _client(parties, role)
    sequence = parties.reader.chain_of(auth)

    if role in case.allowed:
        case.call(client, auth)
        assert case.took_effect(parties, auth)
        return

    with pytest.raises(AccessDenied) as caught:
        case.call(client, auth)
    error: ContractError = caught.value
    assert issubclass(type(error), PermissionError)
    assert error.error_name == case.refusal, str(error)
    assert error.args_by_name["account"] == client.sender.address
    if case.needs is not None:
        assert error.args_by_name == {"account": client.sender.address, "neededRole": case.needs}
    else:
        assert error.args_by_name == {
            "account": client.sender.address,
            "authorisationId": ids.authorisation_id(auth),
        }
    assert error.batch_index == (0 if function == "recordBatch" else None)
    assert parties.reader.chain_of(auth) == sequence
    assert not case.took_effect(parties, auth)


def test_a_removed_declarant_can_no_longer_record(parties: Parties, auth: str) -> None:
    """After the holder removes it, the declarant is refused as any stranger, and the holder still
    records."""
    broker = parties.broker
    broker.record(factories.placement(auth, "P1", "T1", "100"))
    parties.holder.remove_declarant(auth, broker.sender.address)
    assert not parties.reader.is_declarant(auth, broker.sender.address)

    with pytest.raises(AccessDenied) as caught:
        broker.record(factories.movement(auth, "M1", "T1", "1", SITE, "CLERMONT"))
    assert caught.value.error_name == "RegistryNotRecorder"
    assert caught.value.args_by_name == {
        "account": broker.sender.address,
        "authorisationId": ids.authorisation_id(auth),
    }
    parties.holder.record(factories.movement(auth, "M1", "T1", "1", SITE, "CLERMONT"))
    assert parties.reader.entry_state(auth, "M1") == EntryState("movement", False)


def test_a_declarant_of_another_authorisation_cannot_record_here(parties: Parties, auth: str) -> None:
    """Appointment is per authorisation: broker2, declarant of holder2's authorisation, is refused on
    holder's, and holder's broker is refused on holder2's."""
    other = factories.fresh_reference()
    parties.customs.register(factories.authorisation(other, holder=parties.holder2.sender.address))
    parties.holder2.appoint(other, parties.broker2.sender.address)
    parties.broker2.record(factories.placement(other, "P1", "T1", "100"))

    for client, reference in ((parties.broker2, auth), (parties.broker, other)):
        with pytest.raises(AccessDenied) as caught:
            client.record(factories.placement(reference, "P2", "T2", "1"))
        assert caught.value.args_by_name == {
            "account": client.sender.address,
            "authorisationId": ids.authorisation_id(reference),
        }


def test_a_customs_role_granted_by_customs_can_register_and_be_revoked(parties: Parties) -> None:
    """A newly granted customs account registers authorisations; once its role is revoked, it is
    refused like anyone else."""
    officer = Account.create()
    parties.customs.grant_customs(officer.address)
    funding = parties.customs.sender
    funding.send_built(
        {
            "to": officer.address,
            "value": Web3.to_wei(1, "ether"),
            "gas": 21_000,
            "nonce": Nonce(funding.next_nonce()),
            "chainId": funding.chain_id,
            "gasPrice": parties.reader.w3.eth.gas_price,
        },
        "fund the officer",
    )
    client = LedgerClient(parties.reader.w3, parties.deployment, officer)
    reference = factories.fresh_reference()
    client.register(factories.authorisation(reference))
    assert parties.reader.authorisation_state(reference).status is Status.ACTIVE

    parties.customs.revoke_customs(officer.address)
    with pytest.raises(AccessDenied) as caught:
        client.suspend(reference, "audit")
    assert caught.value.args_by_name == {"account": officer.address, "neededRole": bytes(CUSTOMS_ROLE)}
