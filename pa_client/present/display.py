"""Numbers, dates and codes as people read them in the reports (HTML and the XLSX's text cells), in
the reader's language (`lang`, English by default: the English output is the historical one).

Everything is exact: the ledger's integers become `Decimal`s (`pa_client.domain.quantities`), which are
printed with thousands separators and without trailing zeros (so "13 p/st", "58.95 kg",
"736.842105 kg"). Quantities are exact to the millionth; import goods equivalents are shown with 6
decimals rounded half up, as the JSON and the ledger's documentation state (docs/ledger.md); money
with 2 decimals. No float is ever made here.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Final

import pandas as pd

from pa_client.domain.codes import format_cn_code
from pa_client.domain.quantities import decimals_needed as decimals_needed
from pa_client.domain.quantities import display_equivalent, from_cents, from_micro, ppm_to_percent
from pa_client.domain.quantities import plain as plain
from pa_client.domain.units import UNIT_SYMBOLS as UNIT_SYMBOLS
from pa_client.domain.units import in_unit, unit_name
from pa_client.domain.units import unit_symbol as unit_symbol
from pa_client.i18n import formats, translator

DOMAIN: Final = "report"


def N_(message: str) -> str:  # noqa: N802 (gettext's name for a mark that does not translate)
    """Marks a label for the catalogue where it is defined; `label` translates it where it is shown."""
    return message


MODE_LABELS: Final[dict[str, str]] = {
    "reexport": N_("Re-export"),
    "free_circulation": N_("Release for free circulation"),
    "warehousing": N_("Customs warehousing"),
    "transfer": N_("Transfer of rights and obligations"),
    "destruction": N_("Destruction"),
    "abandonment": N_("Abandonment to the State"),
    "deemed_release": N_("Deemed released on expiry"),
}
MODE_SHORT: Final[dict[str, str]] = {
    "reexport": N_("re-export"),
    "free_circulation": N_("free circulation"),
    "warehousing": N_("warehousing"),
    "transfer": N_("transfer"),
    "destruction": N_("destruction"),
    "abandonment": N_("abandonment"),
    "deemed_release": N_("deemed release"),
}
STATUS_LABELS: Final[dict[str, str]] = {
    "open": N_("Open"),
    "overdue": N_("Overdue"),
    "discharged": N_("Discharged"),
}
SEVERITY_LABELS: Final[dict[str, str]] = {
    "critical": N_("Critical"),
    "warning": N_("Warning"),
    "info": N_("Info"),
}
ALERT_KIND_LABELS: Final[dict[str, str]] = {
    "deadline_near": N_("Deadline near"),
    "overdue": N_("Overdue"),
    "yield_deviation": N_("Yield deviation"),
    "late_record": N_("Late record"),
    "bill_due": N_("Bill of discharge due"),
    "bill_overdue": N_("Bill of discharge overdue"),
    "bill_outdated": N_("Lodged bill outdated"),
    "integrity": N_("Integrity"),
}
PERIOD_END_LABELS: Final[dict[str, str]] = {
    "none": N_("no end-of-period rule"),
    "month": N_("to the end of the month"),
    "quarter": N_("to the end of the quarter"),
    "semester": N_("to the end of the semester"),
}
ENTRY_KIND_LABELS: Final[dict[str, str]] = {
    "placement": N_("Placement"),
    "movement": N_("Movement"),
    "processing": N_("Processing"),
    "handling": N_("Usual form of handling"),
    "discharge": N_("Discharge"),
    "correction": N_("Correction"),
    "extension": N_("Deadline extension"),
}

DASH: Final = "—"


goods_code = format_cn_code  # "4012 20 00"
quantity_of = in_unit  # "40.5 kg"


def label(labels: dict[str, str], key: str, lang: str = "en") -> str:
    """The label of a code word in `lang`, or the word itself."""
    found = labels.get(str(key))
    return str(key) if found is None else translator(lang, DOMAIN).gettext(found)


def unit_title(code: str, lang: str = "en") -> str:
    """The Rec. 20 name and code of a unit, for a tooltip: "kilogram (KGM)", "kilogramme (KGM)"."""
    name = unit_name(code)
    return f"{translator(lang, 'units')(name)} ({code})" if name else code


def micro(amount: int) -> Decimal:
    """A quantity in millionths of its unit, exactly."""
    return from_micro(int(amount))


def equivalent(amount: int) -> Decimal:
    """An import goods equivalent (10^-18) as reports show it: 6 decimals, rounded half up."""
    return display_equivalent(int(amount))


def cents(amount: int) -> Decimal:
    return from_cents(int(amount))


def percent_of_ppm(ppm: int) -> Decimal:
    """A rate held in millionths (3 % = 30 000) as a percentage, without trailing zeros."""
    return ppm_to_percent(int(ppm)).normalize()


def quantity(amount_micro: int, unit: str, lang: str = "en") -> str:
    """ "1,234.5 kg" ("1 234,5 kg") from millionths."""
    return f"{formats.number(micro(amount_micro), lang)} {unit_symbol(unit)}".rstrip()


def equivalent_quantity(amount: int, unit: str, lang: str = "en") -> str:
    """ "736.842105 kg" from 10^-18 (6 decimals, rounded half up, trailing zeros dropped)."""
    return f"{formats.number(equivalent(amount), lang)} {unit_symbol(unit)}".rstrip()


def money(amount_cents: int, lang: str = "en") -> str:
    """ "1,234.56" ("1 234,56"; always two decimals)."""
    return formats.money(cents(amount_cents), lang)


def eur(amount_cents: int, lang: str = "en") -> str:
    """ "EUR 1,234.56" ("1 234,56 €")."""
    return formats.eur(cents(amount_cents), lang)


def percent(ppm: int, lang: str = "en") -> str:
    """ "4.5 %" ("4,5 %") from millionths."""
    return formats.percent(percent_of_ppm(ppm), lang)


def signed_percent(value: Decimal | None, lang: str = "en") -> str:
    """A deviation such as "−11.8519 %" or "+0.25 %" (a true minus sign), "n/a" for None."""
    t = translator(lang, DOMAIN)
    if value is None:
        return t("n/a")
    text = formats.percent(abs(value), lang)
    if value > 0:
        return f"+{text}"
    if value < 0:
        return f"\u2212{text}"
    return formats.percent(Decimal(0), lang)


def day(value: date | None) -> str:
    """ISO 8601 (unambiguous in French and English): 2019-09-30."""
    return DASH if value is None else value.isoformat()


def long_day(value: date | None, lang: str = "en") -> str:
    """ "30 Sep 2019" ("30 sept. 2019")."""
    return DASH if value is None else formats.short_day(value, lang)


def as_datetime(moment: Any) -> datetime:
    """A table time (pandas Timestamp, datetime or Unix seconds) as an aware UTC datetime."""
    if isinstance(moment, numbers.Integral) and not isinstance(moment, bool):
        return datetime.fromtimestamp(int(moment), UTC)  # Unix seconds (a NumPy integer too)
    stamp = pd.Timestamp(moment)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    result: datetime = stamp.tz_convert("UTC").to_pydatetime()
    return result


def moment(value: Any) -> str:
    """ "2019-02-15 07:14 UTC" (seconds shown only when they are not zero)."""
    when = as_datetime(value)
    return when.strftime("%Y-%m-%d %H:%M:%S UTC" if when.second else "%Y-%m-%d %H:%M UTC")


def duration(seconds: int, lang: str = "en") -> str:
    """A recording delay for people: "12 min", "4 d 2 h" ("4 j 2 h"), "−3 min" (clock skew)."""
    seconds = int(seconds)
    sign = "\u2212" if seconds < 0 else ""
    left = abs(seconds)
    days, left = divmod(left, 86_400)
    hours, left = divmod(left, 3_600)
    minutes, secs = divmod(left, 60)
    t = translator(lang, DOMAIN)
    d = t("{days} d", days=days)
    if days:
        text = f"{d} {hours} h" if hours else d
    elif hours:
        text = f"{hours} h {minutes} min" if minutes else f"{hours} h"
    elif minutes:
        text = f"{minutes} min"
    else:
        text = f"{secs} s"
    return sign + text


def ratio(value: Fraction, lang: str = "en") -> str:
    """An exact ratio: "11.5" when it is a finite decimal, else "20/19 ≈ 1.052632"."""
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator == 1:
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        return formats.number(exact, lang)
    approx = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.000001"), rounding=ROUND_HALF_UP
    )
    return f"{value.numerator}/{value.denominator} \u2248 {formats.number(approx, lang)}"


def short_hash(head: bytes) -> str:
    text = "0x" + head.hex()
    return f"{text[:10]}…{text[-8:]}"


def mode_label(mode: str, lang: str = "en") -> str:
    return label(MODE_LABELS, mode, lang)


def alert_message(alert: Mapping[str, Any], lang: str = "en") -> str:
    """An alert's message in `lang`. The rules write it in English (`message`); its French is made
    from the same facts by `pa_client.audit.rules` (the alerts catalogue) once they carry them."""
    return str(alert["message"])
