"""Numbers, money, percentages and dates in the user's language, from CLDR (Babel), exactly.

English output is the reports' historical form (`1,234.5`, `EUR 1,234.56`, `4.5 %`, `30 Sep 2019`), so
English reports and golden files do not change; French follows CLDR: a narrow no-break space groups
thousands, a comma marks decimals (`1 234,5`), money is `1 234,56 €`, months are French (`30 sept.
2019`). Decimals are never rounded here: a value shows exactly the decimals it needs (at least
`min_decimals`), as `pa_client.domain.quantities.plain` does.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Final

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

from pa_client.i18n import LOCALES, language

NARROW_NBSP: Final = "\u202f"


def _decimals(value: Decimal) -> int:
    if value == 0:
        return 0
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def number(value: Decimal | int, lang: str, *, min_decimals: int = 0) -> str:
    """A number with thousands grouped and only the decimals that matter: "1,234.5" / "1 234,5"."""
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"not a finite number: {value}")
    if value == 0:
        value = abs(value)  # never "-0"
    decimals = max(min_decimals, _decimals(value))
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=LOCALES[language(lang)], decimal_quantization=False)


def money(value: Decimal, lang: str) -> str:
    """An amount with two decimals, without its currency: "1,234.56" / "1 234,56"."""
    return number(value, lang, min_decimals=2)


def eur(value: Decimal, lang: str) -> str:
    """An amount in euros: "EUR 1,234.56" / "1 234,56 €"."""
    if language(lang) == "en":
        return f"EUR {money(value, lang)}"
    return format_currency(value, "EUR", locale=LOCALES[language(lang)], decimal_quantization=False)


def percent(value: Decimal, lang: str) -> str:
    """A percentage given in percent (4.5 for 4.5 %): "4.5 %" / "4,5 %"."""
    space = " " if language(lang) == "en" else NARROW_NBSP
    return f"{number(value, lang)}{space}%"


def short_day(value: date, lang: str) -> str:
    """ "30 Sep 2019" / "30 sept. 2019"."""
    return format_date(value, "d MMM y", locale=LOCALES[language(lang)])


def long_day(value: date, lang: str) -> str:
    """ "30 September 2019" / "30 septembre 2019"."""
    return format_date(value, "d MMMM y", locale=LOCALES[language(lang)])


def month_year(value: date, lang: str) -> str:
    """ "September 2019" / "septembre 2019"."""
    return format_date(value, "MMMM y", locale=LOCALES[language(lang)])
