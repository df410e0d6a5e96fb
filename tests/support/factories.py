"""Builders of valid records for the tests: each test states only what matters to it."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from pa_client.domain.codes import mrn_check_character
from pa_client.domain.models import (
    Authorisation,
    BillLodging,
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

HOLDER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"  # Anvil development account "holder"
IMPORT_CASING = "40122000"
IMPORT_TREAD = "40061000"
PRODUCT_TYRE = "40121300"
PRODUCT_SCRAP = "40040000"
WHEN = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)

_counter = itertools.count(1)


def mrn(serial: int | None = None) -> str:
    """A valid MRN (check character computed)."""
    number = next(_counter) if serial is None else serial
    first17 = f"24FR{number:013d}"
    return first17 + mrn_check_character(first17)


def authorisation(reference: str, **changes: object) -> Authorisation:
    data: dict[str, object] = {
        "reference": reference,
        "holder": HOLDER,
        "holder_eori": "FR12345678900042",
        "supervising_office": "FR000150",
        "valid_from": date(2024, 1, 1),
        "valid_until": date(2026, 12, 31),
        "discharge_period_months": 6,
        "period_end": "month",
        "allocation_key": "quantity",
        "yield_tolerance_percent": "2",
        "deemed_release_on_expiry": True,
        "import_goods": (IMPORT_CASING, IMPORT_TREAD),
        "products": (
            {
                "code": PRODUCT_TYRE,
                "description": "Retreaded aircraft tyres",
                "unit": "NAR",
                "contains": {IMPORT_CASING: "1", IMPORT_TREAD: "11.5"},
            },
            {
                "code": PRODUCT_SCRAP,
                "description": "Rubber scrap",
                "unit": "KGM",
                "contains": {IMPORT_TREAD: "1"},
            },
        ),
    }
    data.update(changes)
    return Authorisation.model_validate(data)


def placement(
    auth: str,
    ref: str,
    lot: str,
    quantity: str | Decimal = "100",
    *,
    code: str = IMPORT_TREAD,
    site: str = "BOURGES",
    unit: str = "KGM",
    value: str = "1000",
    duty: str = "3",
    when: datetime = WHEN,
) -> Placement:
    return Placement(
        authorisation=auth,
        entry_ref=ref,
        occurred_at=when,
        lot=lot,
        goods_code=code,
        description="Tread rubber" if code == IMPORT_TREAD else "Aircraft tyre casings",
        quantity=Decimal(quantity),
        unit=unit,
        site=site,
        declaration=mrn(),
        procedure=5100,
        customs_value=Decimal(value),
        duty_rate=Decimal(duty),
        origin="US",
    )


def movement(auth: str, ref: str, lot: str, quantity: str, site: str, to_site: str) -> Movement:
    return Movement(
        authorisation=auth,
        entry_ref=ref,
        occurred_at=WHEN,
        lot=lot,
        quantity=Decimal(quantity),
        site=site,
        to_site=to_site,
    )


def processing(
    auth: str,
    ref: str,
    inputs: list[tuple[str, str]],
    outputs: list[tuple[str, str, str, str]],
    *,
    site: str = "BOURGES",
) -> Processing:
    """inputs: (lot, quantity); outputs: (lot, product code, quantity, unit)."""
    return Processing(
        authorisation=auth,
        entry_ref=ref,
        occurred_at=WHEN,
        site=site,
        inputs=tuple(ProcessingInput(lot=lot, quantity=Decimal(q)) for lot, q in inputs),
        outputs=tuple(
            ProcessingOutput(lot=lot, goods_code=code, description="product", quantity=Decimal(q), unit=unit)
            for lot, code, q, unit in outputs
        ),
    )


def handling(auth: str, ref: str, lot: str, code: str) -> Handling:
    return Handling(authorisation=auth, entry_ref=ref, occurred_at=WHEN, lot=lot, goods_code=code)


def discharge(
    auth: str,
    ref: str,
    lot: str,
    quantity: str,
    *,
    mode: DischargeMode = DischargeMode.REEXPORT,
    site: str = "BOURGES",
) -> Discharge:
    return Discharge(
        authorisation=auth,
        entry_ref=ref,
        occurred_at=WHEN,
        lot=lot,
        quantity=Decimal(quantity),
        site=site,
        mode=mode,
        declaration=mrn() if mode.needs_declaration else None,
        procedure=3151 if mode is DischargeMode.REEXPORT else None,
    )


def correction(auth: str, ref: str, corrects: str, reason: str = "keyed twice by mistake") -> Correction:
    return Correction(authorisation=auth, entry_ref=ref, occurred_at=WHEN, corrects=corrects, reason=reason)


def bill_lodging(
    auth: str,
    ref: str,
    start: date = date(2024, 1, 1),
    end: date = date(2024, 12, 31),
    digest: str = "ab" * 32,
) -> BillLodging:
    return BillLodging(
        authorisation=auth,
        entry_ref=ref,
        occurred_at=WHEN,
        period_start=start,
        period_end=end,
        due=end + timedelta(days=30),
        bill_sha256=digest,
    )


def extension(auth: str, ref: str, placement_ref: str, new_deadline: date) -> DeadlineExtension:
    return DeadlineExtension(
        authorisation=auth,
        entry_ref=ref,
        occurred_at=WHEN,
        placement=placement_ref,
        new_deadline=new_deadline,
        reason="customs granted an extension",
    )


_fresh_references = itertools.count(1)


def fresh_reference(prefix: str = "FRIPOT") -> str:
    """An authorisation reference no other test of the session uses (for a second authorisation)."""
    import os

    return f"{prefix}{os.getpid() % 10000:04d}{next(_fresh_references):08d}"
