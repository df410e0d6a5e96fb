"""The newcomer's tour: on the embedded chain, deploy the ledger, register the sample authorisation
(aircraft tyre retreading at Bourges), appoint the broker and record a few entries of each kind.

Idempotent: run again, it finds the deployment, the authorisation and the entries already there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from web3 import Web3

from .accounts import dev_account
from .authorisation_file import load_authorisation
from .chain import Sender
from .codes import mrn_check_character
from .deploy import Deployment, deploy, load_deployment, save_deployment
from .encoding import AnyEntry
from .errors import ChainError
from .ledger import LedgerClient, Status
from .models import (
    Correction,
    DeadlineExtension,
    Discharge,
    DischargeMode,
    Handling,
    Movement,
    Placement,
    Processing,
    ProcessingInput,
    ProcessingOutput,
)
from .settings import Settings

log = logging.getLogger("pa_client")

SAMPLE_AUTHORISATION = Path(__file__).resolve().parent.parent / "examples" / "authorisation-bourges.toml"
REFERENCE = "FRIPO000000000042"
CASING, TREAD, TYRE, SCRAP = "40122000", "40061000", "40121300", "40040000"
STORE, WORKSHOP = "BOURGES-STORE", "BOURGES-WORKSHOP"


def _mrn(serial: int, country: str = "FR", year: int = 19) -> str:
    first17 = f"{year:02d}{country}{serial:013d}"
    return first17 + mrn_check_character(first17)


def _at(day: int, month: int = 2, hour: int = 9) -> datetime:
    return datetime(2019, month, day, hour, 0, tzinfo=UTC)


def sample_entries() -> list[AnyEntry]:
    """A few entries of each kind, as the broker and the holder would record them in the pilot."""
    return [
        Placement(
            authorisation=REFERENCE,
            entry_ref="DEMO-IM-001",
            occurred_at=_at(15),
            lot="CAS-2019-001",
            goods_code=CASING,
            description="Used aircraft tyre casings for retreading",
            quantity=Decimal(8),
            unit="NAR",
            site=STORE,
            declaration=_mrn(1501),
            procedure=5100,
            customs_value=Decimal("9600.00"),
            duty_rate=Decimal("4.5"),
            origin="US",
        ),
        Placement(
            authorisation=REFERENCE,
            entry_ref="DEMO-IM-002",
            occurred_at=_at(15, hour=10),
            lot="TRD-2019-001",
            goods_code=TREAD,
            description="Tread rubber strips (camel-back) for retreading",
            quantity=Decimal(120),
            unit="KGM",
            site=STORE,
            declaration=_mrn(1502),
            procedure=5100,
            customs_value=Decimal("1560.00"),
            duty_rate=Decimal("3"),
            origin="MY",
        ),
        Movement(
            authorisation=REFERENCE,
            entry_ref="DEMO-MV-001",
            occurred_at=_at(18),
            lot="CAS-2019-001",
            quantity=Decimal(8),
            site=STORE,
            to_site=WORKSHOP,
        ),
        Movement(
            authorisation=REFERENCE,
            entry_ref="DEMO-MV-002",
            occurred_at=_at(18, hour=10),
            lot="TRD-2019-001",
            quantity=Decimal(100),
            site=STORE,
            to_site=WORKSHOP,
        ),
        Handling(
            authorisation=REFERENCE,
            entry_ref="DEMO-HD-001",
            occurred_at=_at(19),
            lot="TRD-2019-001",
            goods_code="40069000",
        ),
        Processing(
            authorisation=REFERENCE,
            entry_ref="DEMO-PR-001",
            occurred_at=_at(22),
            site=WORKSHOP,
            inputs=(
                ProcessingInput(lot="CAS-2019-001", quantity=Decimal(8)),
                ProcessingInput(lot="TRD-2019-001", quantity=Decimal(94)),
            ),
            outputs=(
                ProcessingOutput(
                    lot="RTY-2019-001",
                    goods_code=TYRE,
                    description="Retreaded aircraft tyres",
                    quantity=Decimal(8),
                    unit="NAR",
                ),
                ProcessingOutput(
                    lot="SCR-2019-001",
                    goods_code=SCRAP,
                    description="Buffing dust and tread trimmings",
                    quantity=Decimal("1.6"),
                    unit="KGM",
                ),
            ),
        ),
        Discharge(
            authorisation=REFERENCE,
            entry_ref="DEMO-EX-001",
            occurred_at=_at(5, month=3),
            lot="RTY-2019-001",
            quantity=Decimal(6),
            site=WORKSHOP,
            mode=DischargeMode.REEXPORT,
            declaration=_mrn(3101),
            procedure=3151,
        ),
        Discharge(
            authorisation=REFERENCE,
            entry_ref="DEMO-EX-002",
            occurred_at=_at(6, month=3),
            lot="SCR-2019-001",
            quantity=Decimal("1.6"),
            site=WORKSHOP,
            mode=DischargeMode.FREE_CIRCULATION,
            declaration=_mrn(4001),
            procedure=4051,
        ),
        Movement(
            authorisation=REFERENCE,
            entry_ref="DEMO-MV-003",
            occurred_at=_at(25),
            lot="TRD-2019-001",
            quantity=Decimal(10),
            site=STORE,
            to_site=WORKSHOP,
        ),
        Correction(
            authorisation=REFERENCE,
            entry_ref="DEMO-CO-001",
            occurred_at=_at(26),
            corrects="DEMO-MV-003",
            reason="movement keyed twice: the 10 kg never left the store",
        ),
        Discharge(
            authorisation=REFERENCE,
            entry_ref="DEMO-EX-003",
            occurred_at=_at(7, month=3),
            lot="TRD-2019-001",
            quantity=Decimal(2),
            site=WORKSHOP,
            mode=DischargeMode.DESTRUCTION,
        ),
    ]


@dataclass
class DemoReport:
    """What the demo did."""

    deployment: Deployment
    recorded: int = 0
    already: int = 0
    sequence: int = 0
    head: bytes = b""


def _ensure_deployment(
    w3: Web3, settings: Settings, customs: Sender, say: Callable[[str], None]
) -> Deployment:
    try:
        deployment = load_deployment(settings.data_dir, w3)
        say(f"ledger already deployed at {deployment.ledger}")
    except ChainError:
        deployment = deploy(customs)
        save_deployment(settings.data_dir, deployment)
        say(f"deployed the registry at {deployment.registry} and the ledger at {deployment.ledger}")
    return deployment


def run_demo(settings: Settings, w3: Web3, say: Callable[[str], None] = log.info) -> DemoReport:
    """Deploys, registers, appoints and records the sample entries on the chain `w3`."""
    customs_account, holder_account, broker_account = (
        dev_account(a) for a in ("customs", "holder", "broker")
    )
    deployment = _ensure_deployment(w3, settings, Sender(w3, customs_account), say)
    report = DemoReport(deployment)
    customs = LedgerClient(w3, deployment, customs_account)
    holder = LedgerClient(w3, deployment, holder_account)
    broker = LedgerClient(w3, deployment, broker_account)

    if customs.authorisation_state(REFERENCE).status is Status.UNKNOWN:
        customs.register(load_authorisation(SAMPLE_AUTHORISATION))
        say(f"customs registered authorisation {REFERENCE} from {SAMPLE_AUTHORISATION.name}")
    else:
        say(f"authorisation {REFERENCE} already registered")
    if not holder.is_declarant(REFERENCE, broker_account.address):
        holder.appoint(REFERENCE, broker_account.address)
        say(f"the holder appointed the broker {broker_account.address} as declarant")

    for entry in sample_entries():
        # The broker lodges declarations (placements, discharges); the holder keeps the rest.
        client = broker if entry.kind in ("placement", "discharge") else holder
        if client.entry_state(REFERENCE, entry.entry_ref).kind != "none":
            report.already += 1
            continue
        sent = client.record(entry)
        report.recorded += 1
        say(f"recorded {entry.kind} {entry.entry_ref} in block {sent.block_number:,}")

    extension = DeadlineExtension(
        authorisation=REFERENCE,
        entry_ref="DEMO-EXT-001",
        occurred_at=_at(1, month=3),
        placement="DEMO-IM-002",
        new_deadline=date(2019, 12, 31),
        reason="processing delayed by a supplier's strike",
    )
    if customs.entry_state(REFERENCE, extension.entry_ref).kind == "none":
        sent = customs.extend(extension)
        report.recorded += 1
        say(f"customs extended the deadline of DEMO-IM-002 to 31 Dec 2019 in block {sent.block_number:,}")
    else:
        report.already += 1
    report.sequence, report.head = customs.chain_of(REFERENCE)
    return report
