"""Import duty (docs/audit-model.md): suspended on placement, due on release for free circulation and
on deemed release at expiry. The duty on an import goods equivalent is the placement's customs value per
unit × the equivalent as shown (6 decimals, rounded half up) × the placement's duty rate, rounded to
the cent, half up (docs/ledger.md: money is computed from the equivalents shown)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from pa_client.audit.rules.frames import (
    INT,
    OBJ,
    Objects,
    frame_of,
    half_up,
    half_up_ratio,
    objects,
    utc_days,
)
from pa_client.domain.models import DischargeMode
from pa_client.domain.quantities import EQUIVALENT_PER_MICRO, PPM, display_equivalent

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


def shown_micro(equivalents: Objects) -> Objects:
    """`display_equivalent` of each equivalent, in millionths (half away from zero)."""
    return half_up_ratio(objects(equivalents), EQUIVALENT_PER_MICRO)


def duties_cents(
    equivalents: Objects, customs_value_cents: Any, quantity_micro: Any, duty_rate_ppm: Any
) -> Objects:
    """`duty_cents` of each row (Python ints)."""
    quantities = objects(np.asarray(quantity_micro))
    if len(quantities) and (quantities <= 0).any():
        raise ValueError("a placement's quantity is greater than zero")
    numerators = (
        shown_micro(equivalents)
        * objects(np.asarray(customs_value_cents))
        * objects(np.asarray(duty_rate_ppm))
    )
    return half_up_ratio(numerators, quantities * PPM)


def duty_due(placements: pd.DataFrame, allocations: pd.DataFrame) -> pd.DataFrame:
    """Duty due on each FIFO share released for free circulation, and on the remaining goods of each
    overdue placement whose authorisation deems them released on expiry.

    `placements`: the placements table of `placements.placement_table`; `allocations`: `fifo.allocate`."""
    references = placements["authorisation"].tolist()
    entry_refs = placements["entry_ref"].tolist()
    position = {key: i for i, key in enumerate(zip(references, entry_refs, strict=True))}
    released = np.flatnonzero(
        (allocations["mode"].to_numpy() == FREE_CIRCULATION) & pd.notna(allocations["placement"]).to_numpy()
    )
    shares = allocations.take(released)
    of_share = np.array(
        [
            position[key]
            for key in zip(shares["authorisation"].tolist(), shares["placement"].tolist(), strict=True)
        ],
        dtype=np.int64,
    )
    # The placements once each (the last row of a repeated key, in the order of its first).
    unique = np.array(list(position.values()), dtype=np.int64)
    chosen = unique[
        (placements["status"].to_numpy()[unique] == "overdue")
        & placements["deemed_release"].to_numpy(dtype=bool)[unique]
    ]
    placement_rows = np.concatenate([of_share, chosen])
    count = len(placement_rows)

    def placement_column(name: str) -> Any:
        return placements[name].to_numpy()[placement_rows]

    quantity = np.concatenate([shares["quantity"].to_numpy(), placements["remaining"].to_numpy()[chosen]])
    columns: dict[str, Any] = {
        "authorisation": placement_column("authorisation"),
        "basis": objects([FREE_CIRCULATION] * len(of_share) + [DEEMED_RELEASE] * len(chosen)),
        "entry_ref": np.concatenate(
            [shares["discharge"].to_numpy(), placements["entry_ref"].to_numpy()[chosen]]
        ),
        "placement": placement_column("entry_ref"),
        "goods_code": placement_column("goods_code"),
        "date": np.concatenate([utc_days(shares["occurred_at"]), placements["deadline"].to_numpy()[chosen]]),
        "quantity": quantity,
        "customs_value_cents": placement_column("customs_value_cents"),
        "placement_quantity": placement_column("quantity"),
        "duty_rate_ppm": placement_column("duty_rate_ppm"),
    }
    columns["amount_cents"] = (
        duties_cents(
            quantity,
            columns["customs_value_cents"],
            columns["placement_quantity"],
            columns["duty_rate_ppm"],
        ).astype(np.int64)
        if count
        else np.empty(0, dtype=np.int64)
    )
    return frame_of(columns, DUTY_DUE, count)
