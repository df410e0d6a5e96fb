"""Import duty (docs/audit-model.md): suspended on placement, due on release for free circulation and
on deemed release at expiry. The duty on an import goods equivalent is the placement's customs value per
unit × the equivalent as shown (6 decimals, rounded half up) × the placement's duty rate, rounded to
the cent, half up (docs/ledger.md: money is computed from the equivalents shown)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pandas as pd

from ..models import DischargeMode
from ..quantities import PPM, display_equivalent
from .frames import INT, OBJ, Row, half_up, make_frame, rows, utc_day

FREE_CIRCULATION = DischargeMode.FREE_CIRCULATION.value
DEEMED_RELEASE = "deemed_release"


def suspended_duty_cents(customs_value_cents: int, duty_rate_ppm: int) -> int:
    """The duty suspended by a placement: its customs value × its rate, to the cent."""
    return half_up(Fraction(customs_value_cents * duty_rate_ppm, PPM))


def duty_cents(equivalent: int, customs_value_cents: int, quantity_micro: int, duty_rate_ppm: int) -> int:
    """Duty in cents on `equivalent` (10^-18) of a placement's goods.

    value per unit = cents / 100 / (µ / 10^6); EUR = shown × value per unit × ppm / 10^6; × 100 cents
    simplifies to shown × cents × ppm / µ."""
    if quantity_micro <= 0:
        raise ValueError("a placement's quantity is greater than zero")
    shown = Fraction(display_equivalent(equivalent))
    return half_up(shown * customs_value_cents * duty_rate_ppm / quantity_micro)


DUTY_DUE = {
    "authorisation": OBJ,
    "basis": OBJ,  # "free_circulation" or "deemed_release"
    "entry_ref": OBJ,  # the discharge (free circulation) or the placement (deemed release)
    "placement": OBJ,
    "goods_code": OBJ,
    "date": OBJ,  # the discharge's date, or the last day of the period for discharge
    "quantity": OBJ,  # import goods equivalent, 10^-18
    "customs_value_cents": INT,  # of the placement
    "placement_quantity": INT,  # of the placement, millionths
    "duty_rate_ppm": INT,
    "amount_cents": INT,
}


def duty_due(placements: pd.DataFrame, allocations: pd.DataFrame) -> pd.DataFrame:
    """Duty due on each FIFO share released for free circulation, and on the remaining goods of each
    overdue placement whose authorisation deems them released on expiry.

    `placements`: the placements table of `placements.placement_table`; `allocations`: `fifo.allocate`."""
    by_ref = {(row["authorisation"], row["entry_ref"]): row for row in rows(placements)}
    out: list[Row] = []
    for share in rows(allocations):
        if share["mode"] != FREE_CIRCULATION or share["placement"] is None:
            continue
        placement = by_ref[(share["authorisation"], share["placement"])]
        out.append(
            _row(
                placement,
                FREE_CIRCULATION,
                share["discharge"],
                utc_day(share["occurred_at"]),
                int(share["quantity"]),
            )
        )
    for placement in by_ref.values():
        if placement["status"] == "overdue" and placement["deemed_release"]:
            out.append(
                _row(
                    placement,
                    DEEMED_RELEASE,
                    placement["entry_ref"],
                    placement["deadline"],
                    placement["remaining"],
                )
            )
    return make_frame(out, DUTY_DUE)


def _row(placement: Row, basis: str, entry_ref: str, day: date, quantity: int) -> Row:
    return {
        "authorisation": placement["authorisation"],
        "basis": basis,
        "entry_ref": entry_ref,
        "placement": placement["entry_ref"],
        "goods_code": placement["goods_code"],
        "date": day,
        "quantity": quantity,
        "customs_value_cents": placement["customs_value_cents"],
        "placement_quantity": placement["quantity"],
        "duty_rate_ppm": placement["duty_rate_ppm"],
        "amount_cents": duty_cents(
            quantity, placement["customs_value_cents"], placement["quantity"], placement["duty_rate_ppm"]
        ),
    }
