"""The user's language: message catalogues and CLDR formats (Babel), for every text people read.

Every user-facing string is written in English in the code, marked for translation (`_("…")` with a
`Translator`), and translated in a gettext catalogue per area: `locales/fr/LC_MESSAGES/<domain>.po`
(`web` for the pages, `report` for the audit report, `bill` for the bill of discharge, `alerts` for
the alerts' messages, `units` for the names of units). English is the source language: it has no
catalogue, and its output is exactly the text in the code. A French string missing from its
catalogue falls back to English (the catalogue test finds it first).

Numbers, dates and money are formatted by `pa_client.i18n.formats` from CLDR's data for the language
(`1 234,5 kg`, `30 sept. 2019`, `1 234,56 €` in French), exactly: no float is ever made.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from importlib import resources
from typing import Final

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES: Final = ("en", "fr")
"""The languages of the product, English first (the source language and the default)."""
LOCALES: Final[dict[str, str]] = {"en": "en", "fr": "fr_FR"}
DOMAINS: Final = ("web", "report", "bill", "alerts", "units")
LANGUAGE_NAMES: Final[dict[str, str]] = {"en": "English", "fr": "Français"}


def language(value: str | None) -> str:
    """A supported language from a user's choice (`fr`, `fr-FR`, `FR`), else English."""
    if value:
        short = value.strip().replace("_", "-").split("-")[0].lower()
        if short in LANGUAGES:
            return short
    return LANGUAGES[0]


@cache
def catalogue(lang: str, domain: str) -> gettext.NullTranslations:
    """The translations of a language and domain (for English, the source language: none)."""
    if domain not in DOMAINS:
        raise ValueError(f"no catalogue domain {domain!r}: one of {', '.join(DOMAINS)}")
    if lang == LANGUAGES[0]:
        return gettext.NullTranslations()
    path = resources.files(__package__) / "locales" / lang / "LC_MESSAGES" / f"{domain}.po"
    if not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        read = read_po(handle, locale=LOCALES[lang], domain=domain)
    # Compiled in memory: gettext then applies the catalogue's own plural rule (its Plural-Forms).
    compiled = io.BytesIO()
    write_mo(compiled, read)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


class Translator:
    """The strings of one domain in one language: `t("Due {day}", day=...)`, `t.plural(...)`."""

    def __init__(self, lang: str, domain: str) -> None:
        self.lang = language(lang)
        self.locale = LOCALES[self.lang]
        self.domain = domain
        self._translations = catalogue(self.lang, domain)

    def gettext(self, message: str) -> str:
        """The translation of `message`, or `message` itself (English, or not yet translated)."""
        return self._translations.gettext(message)

    def __call__(self, message: str, /, **values: object) -> str:
        """The translation, its `{name}` fields filled from `values`."""
        text = self.gettext(message)
        return text.format(**values) if values else text

    def plural(self, singular: str, plural: str, count: int, /, **values: object) -> str:
        """The form for `count` by the language's rule (French: "0 placement", "1 placement",
        "2 placements"), `{count}` and the `values` filled in."""
        return self._translations.ngettext(singular, plural, count).format(count=count, **values)


@cache
def translator(lang: str, domain: str) -> Translator:
    return Translator(lang, domain)
