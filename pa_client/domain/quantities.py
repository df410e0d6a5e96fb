"""Exact numbers: the one place where decimals become the integers the ledger stores, and back.

- quantities: integers in millionths of the lot's unit (the customs data model allows 6 decimals);
- import goods equivalents: integers in 10^-18 of the import goods' unit, rounded down on chain so that
  rounding never discharges goods that were not placed; shown with 6 decimals, rounded half up;
- money: integers in euro cents;
- rates and tolerances given in percent: integers in millionths of the base (3 % = 30 000);
- ratios (import goods per unit of product): exact fractions.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

QUANTITY_DECIMALS = 6
QUANTITY_SCALE: int = 10**QUANTITY_DECIMALS
EQUIVALENT_DECIMALS = 18
EQUIVALENT_SCALE: int = 10**EQUIVALENT_DECIMALS
MONEY_DECIMALS = 2
PERCENT_DECIMALS = 4
PPM = 1_000_000
EQUIVALENT_PER_MICRO: int = EQUIVALENT_SCALE // QUANTITY_SCALE
"""10^12: one millionth of a unit (a quantity's last decimal, the last one shown) in 10^-18."""
MAX_UINT64: int = 2**64 - 1
MAX_UINT128: int = 2**128 - 1


class NumberError(ValueError):
    """A value that cannot be represented exactly; the message says why, for people."""


def parse_decimal(text: str | int | Decimal) -> Decimal:
    """A decimal from a file cell or an API value. Refuses floats' artefacts, exponents and NaN."""
    if isinstance(text, Decimal):
        value = text
    elif isinstance(text, int) and not isinstance(text, bool):
        value = Decimal(text)
    elif isinstance(text, str):
        stripped = text.strip()
        if not stripped or any(c in stripped for c in "eE_"):
            raise NumberError("not a plain decimal number")
        try:
            value = Decimal(stripped)
        except InvalidOperation:
            raise NumberError("not a decimal number") from None
    else:
        raise NumberError(f"not a decimal number ({type(text).__name__})")
    if not value.is_finite():
        raise NumberError("not a finite number")
    return value


def _scaled(value: Decimal, decimals: int, what: str) -> int:
    scaled = value.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise NumberError(f"{what} has more than {decimals} decimals")
    return int(scaled)


def to_micro(quantity: str | int | Decimal) -> int:
    """A quantity > 0 with at most 6 decimals, in millionths of its unit."""
    value = parse_decimal(quantity)
    if value <= 0:
        raise NumberError("quantity must be greater than zero")
    micro = _scaled(value, QUANTITY_DECIMALS, "quantity")
    if micro > MAX_UINT128:
        raise NumberError("quantity is too large")
    return micro


def from_micro(micro: int) -> Decimal:
    """A quantity in millionths back to a decimal with exactly 6 decimals."""
    return Decimal(micro).scaleb(-QUANTITY_DECIMALS)


def to_cents(amount: str | int | Decimal) -> int:
    """A euro amount >= 0 with at most 2 decimals, in cents."""
    value = parse_decimal(amount)
    if value < 0:
        raise NumberError("amount must not be negative")
    cents = _scaled(value, MONEY_DECIMALS, "amount")
    if cents > MAX_UINT128:
        raise NumberError("amount is too large")
    return cents


def from_cents(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-MONEY_DECIMALS)


def percent_to_ppm(percent: str | int | Decimal, *, maximum: Decimal = Decimal(100)) -> int:
    """A percentage with at most 4 decimals (4.5 → 45 000 millionths)."""
    value = parse_decimal(percent)
    if value < 0 or value > maximum:
        raise NumberError(f"percentage must be between 0 and {maximum}")
    return _scaled(value, PERCENT_DECIMALS, "percentage")


def ppm_to_percent(ppm: int) -> Decimal:
    return Decimal(ppm).scaleb(-PERCENT_DECIMALS)


def parse_ratio(text: str | int | Decimal) -> Fraction:
    """An import goods equivalent per unit of product: a decimal ("1.052632") or an exact ratio
    ("1000/950", "5/2"). Must be > 0 and fit the ledger's 64-bit numerator and denominator."""
    if isinstance(text, str) and "/" in text:
        numerator_text, _, denominator_text = text.partition("/")
        numerator = parse_decimal(numerator_text)
        denominator = parse_decimal(denominator_text)
        if denominator == 0:
            raise NumberError("ratio has a zero denominator")
        ratio = Fraction(numerator) / Fraction(denominator)
    else:
        ratio = Fraction(parse_decimal(text))
    if ratio <= 0:
        raise NumberError("ratio must be greater than zero")
    if ratio.numerator > MAX_UINT64 or ratio.denominator > MAX_UINT64:
        raise NumberError("ratio needs more than 64 bits: state it with fewer digits")
    return ratio


def equivalent(quantity_micro: int, ratio: Fraction) -> int:
    """Import goods equivalent of a quantity of product, in 10^-18, rounded down: the ledger's rule."""
    return quantity_micro * EQUIVALENT_PER_MICRO * ratio.numerator // ratio.denominator


def micro_to_equivalent(quantity_micro: int) -> int:
    """An import goods quantity (millionths) as an equivalent (10^-18)."""
    return quantity_micro * EQUIVALENT_PER_MICRO


def equivalent_to_decimal(amount: int) -> Decimal:
    """An equivalent in 10^-18, exactly."""
    return Decimal(amount).scaleb(-EQUIVALENT_DECIMALS)


def display_equivalent(amount: int, decimals: int = QUANTITY_DECIMALS) -> Decimal:
    """An equivalent as people read it: `decimals` places, rounded half up."""
    return equivalent_to_decimal(amount).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def round_money(amount: Decimal) -> Decimal:
    """Euro amounts are shown and summed at the cent, rounded half up."""
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def plain(value: Decimal, *, min_decimals: int = 0) -> str:
    """A decimal with thousands separators and only the decimals that matter (none of its trailing
    zeros beyond `min_decimals`): `plain(Decimal("1234.500000"))` is "1,234.5"."""
    if not value.is_finite():
        raise ValueError(f"not a finite number: {value}")
    if value == 0:
        value = abs(value)  # never "-0"
    decimals = max(min_decimals, decimals_needed(value))
    return f"{value:,.{decimals}f}"


def decimals_needed(value: Decimal) -> int:
    """How many decimals show `value` exactly (0 for an integer)."""
    if value == 0:
        return 0
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def format_quantity(value: Decimal | int, unit: str = "", *, decimals: int = 3) -> str:
    """A quantity for people: thousands separators, `decimals` places, then the unit."""
    number = Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = f"{number:,.{decimals}f}"
    return f"{text} {unit}".rstrip()
