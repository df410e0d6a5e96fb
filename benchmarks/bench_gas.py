"""Gas of each entry kind, alone in its transaction and inside a batch of 100 (marginal gas per
entry), on a fresh embedded Anvil. The baseline of each ratio is the same kind sent alone."""

from __future__ import annotations

import tempfile
import zlib
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from pa_client.chain.accounts import dev_account
from pa_client.chain.deployment import deploy
from pa_client.chain.ledger import LedgerClient
from pa_client.chain.node import EmbeddedNode
from pa_client.chain.sender import Sender, connect
from pa_client.contract.encoding import AnyEntry
from pa_client.domain.codes import mrn_check_character
from pa_client.domain.models import (
    Authorisation,
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
from pa_client.settings import Settings

BATCH = 100
REF = "FRIPO000000000777"
WHEN = datetime(2024, 3, 1, tzinfo=UTC)
TREAD, TYRE_SCRAP = "40061000", "40040000"


def _mrn(n: int) -> str:
    first = f"24FR{n:013d}"
    return first + mrn_check_character(first)


def _authorisation(holder: str) -> Authorisation:
    return Authorisation.model_validate(
        {
            "reference": REF,
            "holder": holder,
            "holder_eori": "FR12345678900042",
            "supervising_office": "FR000150",
            "valid_from": date(2024, 1, 1),
            "valid_until": date(2026, 12, 31),
            "discharge_period_months": 6,
            "import_goods": [TREAD],
            "products": [
                {"code": TYRE_SCRAP, "description": "scrap", "unit": "KGM", "contains": {TREAD: "1"}}
            ],
        }
    )


def _placement(ref: str, lot: str) -> Placement:
    return Placement(
        authorisation=REF, entry_ref=ref, occurred_at=WHEN, lot=lot, goods_code=TREAD,
        description="Tread rubber", quantity=Decimal(100), unit="KGM", site="BOURGES",
        declaration=_mrn(zlib.crc32(ref.encode())), procedure=5100, customs_value=Decimal(1300),
        duty_rate=Decimal(3), origin="MY",
    )  # fmt: skip


def _kinds() -> dict[str, Callable[[str, int], AnyEntry]]:
    """For each kind, the entry number i of a series named by a prefix (lots prepared beforehand)."""
    return {
        "placement": lambda p, i: _placement(f"{p}-{i}", f"{p}-LOT-{i}"),
        "movement": lambda p, i: Movement(
            authorisation=REF, entry_ref=f"{p}-{i}", occurred_at=WHEN, lot=f"BASE-{i}", quantity=Decimal(1),
            site="BOURGES", to_site="TOULOUSE",
        ),
        "processing": lambda p, i: Processing(
            authorisation=REF, entry_ref=f"{p}-{i}", occurred_at=WHEN, site="BOURGES",
            inputs=(ProcessingInput(lot=f"BASE-{i}", quantity=Decimal(1)),),
            outputs=(ProcessingOutput(lot=f"{p}-OUT-{i}", goods_code=TYRE_SCRAP, description="scrap",
                                      quantity=Decimal(1), unit="KGM"),),
        ),
        "handling": lambda p, i: Handling(
            authorisation=REF, entry_ref=f"{p}-{i}", occurred_at=WHEN, lot=f"BASE-{i}", goods_code="40069000"
        ),
        "discharge": lambda p, i: Discharge(
            authorisation=REF, entry_ref=f"{p}-{i}", occurred_at=WHEN, lot=f"BASE-{i}", quantity=Decimal(1),
            site="BOURGES", mode=DischargeMode.REEXPORT, declaration=_mrn(900_000 + i), procedure=3151,
        ),
        "correction": lambda p, i: Correction(
            authorisation=REF, entry_ref=f"{p}-{i}", occurred_at=WHEN, corrects=f"MV-{p}-{i}", reason="keyed twice"
        ),
        "extension": lambda p, i: DeadlineExtension(
            authorisation=REF, entry_ref=f"{p}-{i}", occurred_at=WHEN, placement=f"BASE-P-{i}",
            new_deadline=date(2025, 12, 31), reason="extension",
        ),
    }  # fmt: skip


def measure(holder: LedgerClient, customs: LedgerClient) -> list[tuple[str, int, int]]:
    """(kind, gas alone, marginal gas of one more entry in a batch of 100)."""
    kinds = _kinds()
    base = [_placement(f"BASE-P-{i}", f"BASE-{i}") for i in range(BATCH)]
    for start in range(0, BATCH, 50):
        holder.record_batch(base[start : start + 50])
    # The movements that the corrections will reverse: one per correction measured below.
    for prefix, count in (("MV-COR-A", 1), ("MV-COR-1", 1), ("MV-COR-B", BATCH)):
        holder.record_batch([kinds["movement"](prefix, i) for i in range(count)])
    rows = []
    for kind, make in kinds.items():
        client = customs if kind == "extension" else holder
        prefix = kind[:3].upper()
        alone = client.record(make(f"{prefix}-A", 0)).gas_used
        one = client.record_batch([make(f"{prefix}-1", 0)]).gas_used
        hundred = client.record_batch([make(f"{prefix}-B", i) for i in range(BATCH)]).gas_used
        rows.append((kind, alone, (hundred - one) // (BATCH - 1)))
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        node = EmbeddedNode(Settings(data_dir=Path(folder)))
        status = node.start()
        try:
            assert status.rpc_url is not None
            w3 = connect(status.rpc_url)
            customs_account, holder_account = dev_account("customs"), dev_account("holder")
            deployment = deploy(Sender(w3, customs_account))
            customs = LedgerClient(w3, deployment, customs_account)
            holder = LedgerClient(w3, deployment, holder_account)
            customs.register(_authorisation(holder_account.address))
            rows = measure(holder, customs)
        finally:
            node.stop()
    print(f"{'entry kind':<12}{'alone':>12}{'in a batch of 100':>20}{'ratio':>8}")
    for kind, alone, marginal in rows:
        print(f"{kind:<12}{alone:>12,}{marginal:>20,}{marginal / alone:>8.2f}")
    print("gas per entry; 'in a batch' is the marginal gas of one more entry in a batch of 100")
