"""The worked example of docs/spec/domain.md, recorded on the chain through the example authorisation files:
1 000 kg of import goods → 800 kg main product + 150 kg secondary product + 50 kg loss."""

from __future__ import annotations

import itertools
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from support import factories
from support.chain import Parties
from web3.logs import DISCARD

from pa_client.domain import codes
from pa_client.domain.models import DischargeMode
from pa_client.domain.quantities import (
    display_equivalent,
    equivalent,
    micro_to_equivalent,
    round_money,
    to_micro,
)
from pa_client.records.authorisation_file import load_authorisation

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
IMPORT, MPP, SPP = "39011010", "39012090", "39151000"
_serial = itertools.count(1)

# (key file, MPP contains, SPP contains, re-export 700 MPP, SPP released, 100 MPP left, duty SPP, duty left)
CASES = [
    (
        "worked-example-quantity-key.toml",
        Fraction(20, 19),
        Fraction(20, 19),
        "736.842",
        "157.895",
        "105.263",
        "47.37",
        "31.58",
    ),
    (
        "worked-example-value-key.toml",
        Fraction(200, 163),
        Fraction(20, 163),
        "858.896",
        "18.405",
        "122.699",
        "5.52",
        "36.81",
    ),
]


def _register(parties: Parties, file: str) -> str:
    """The example authorisation under a fresh reference (the session chain is shared)."""
    authorisation = load_authorisation(EXAMPLES / file)
    reference = f"FRIPO9{next(_serial):04d}{abs(hash(file)) % 10**6:06d}"
    parties.customs.register(authorisation.model_copy(update={"reference": reference}))
    return reference


def _duty(amount: int) -> Decimal:
    """Duty on an import goods equivalent: EUR 10/kg customs value at 3 %, to the cent."""
    return round_money(display_equivalent(amount) * Decimal(10) * Decimal("0.03"))


@pytest.mark.parametrize(
    ("file", "mpp_ratio", "spp_ratio", "reexported", "released", "left", "duty_released", "duty_left"), CASES
)
def test_worked_example_on_chain(
    parties: Parties,
    file: str,
    mpp_ratio: Fraction,
    spp_ratio: Fraction,
    reexported: str,
    released: str,
    left: str,
    duty_released: str,
    duty_left: str,
) -> None:
    """The table derived from the recipe is the exact ratio; equivalents and duties match docs/spec/domain.md to
    the last digit; the discharged total never exceeds the placed total; no dust is left open."""
    ref = _register(parties, file)
    holder = parties.holder
    contents = {
        product: holder.registry.functions.productOf(
            holder.registry.functions.authorisationIdOf(ref).call(), 1, codes.cn_to_int(product)
        ).call()[1]
        for product in (MPP, SPP)
    }
    assert [(c[1], c[2]) for c in contents[MPP]] == [(mpp_ratio.numerator, mpp_ratio.denominator)]
    assert [(c[1], c[2]) for c in contents[SPP]] == [(spp_ratio.numerator, spp_ratio.denominator)]

    holder.record(factories.placement(ref, "A", "IMP-1", "1000", code=IMPORT, value="10000", duty="3"))
    sent = holder.record(
        factories.processing(
            ref, "T", [("IMP-1", "1000")], [("MPP-1", MPP, "800", "KGM"), ("SPP-1", SPP, "150", "KGM")]
        )
    )
    # Both keys share exactly the 1 000 kg: no yield deviation.
    assert holder.ledger.events.YieldDeviated().process_receipt(sent.receipt, errors=DISCARD) == ()

    placed = micro_to_equivalent(to_micro(1000))
    reexport = equivalent(to_micro(700), mpp_ratio)
    holder.record(factories.discharge(ref, "X1", "MPP-1", "700"))
    assert holder.totals(ref, IMPORT) == (placed, reexport)
    assert f"{display_equivalent(reexport, 3)}" == reexported

    release = equivalent(to_micro(150), spp_ratio)
    holder.record(factories.discharge(ref, "X2", "SPP-1", "150", mode=DischargeMode.FREE_CIRCULATION))
    assert holder.totals(ref, IMPORT) == (placed, reexport + release)
    assert f"{display_equivalent(release, 3)}" == released
    assert f"{_duty(release)}" == duty_released

    remaining = equivalent(to_micro(100), mpp_ratio)
    assert f"{display_equivalent(remaining, 3)}" == left
    assert f"{_duty(remaining)}" == duty_left

    # Discharging the last 100 kg closes the placement: rounding down leaves at most a few 10^-18 kg,
    # which shows as 0.000000 kg, and never more discharged than placed.
    holder.record(factories.discharge(ref, "X3", "MPP-1", "100"))
    total_placed, total_discharged = holder.totals(ref, IMPORT)
    assert total_discharged <= total_placed
    assert total_placed - total_discharged < 10
    assert display_equivalent(total_placed - total_discharged) == 0
