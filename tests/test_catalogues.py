"""The catalogues (pa_client/i18n): every string the code marks is translated in French with the same
fields, no catalogue keeps a string the code no longer uses, and the CLDR formats are exact."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pa_client.domain.quantities import plain
from pa_client.domain.units import UNIT_SYMBOLS, unit_name
from pa_client.i18n import DOMAINS, LANGUAGES, language, translator
from pa_client.i18n import formats as f
from pa_client.i18n.extract import messages, read
from pa_client.present import display

FIELD = re.compile(r"\{(\w*)\}")


def _fields(text: str) -> set[str]:
    return set(FIELD.findall(text))


def test_every_marked_string_is_translated_in_french_with_the_same_fields() -> None:
    missing: list[str] = []
    for message in messages():
        catalogue = read("fr", message.domain)
        key = message.text[0] if isinstance(message.text, tuple) else message.text
        found = catalogue.get(key)
        string = None if found is None else found.string
        forms = tuple(str(x) for x in string) if isinstance(string, (tuple, list)) else (str(string or ""),)
        if not all(forms):
            missing.append(f"{message.where}: {message.domain}: {key!r} has no French")
            continue
        sources = message.text if isinstance(message.text, tuple) else (message.text,)
        wanted = set().union(*(_fields(s) for s in sources))
        for form in forms:
            if not _fields(form) <= wanted | {"count"} or not _fields(sources[0]) - {"count"} <= _fields(
                form
            ):
                missing.append(f"{message.where}: {key!r}: French {form!r} has other fields")
    assert missing == []


def test_no_catalogue_keeps_a_string_the_code_no_longer_marks() -> None:
    used: dict[str, set[str]] = {domain: set() for domain in DOMAINS}
    for message in messages():
        used[message.domain].add(message.text[0] if isinstance(message.text, tuple) else message.text)
    for name in (unit_name(code) for code in UNIT_SYMBOLS):
        assert name is not None
        used["units"].add(name)  # translated from the Rec. 20 list, not from marked code
    for lang in LANGUAGES[1:]:
        for domain in DOMAINS:
            kept = {str(m.id if isinstance(m.id, str) else m.id[0]) for m in read(lang, domain) if m.id}
            assert kept - used[domain] == set(), f"{lang}/{domain}.po keeps strings no code marks"


def test_every_unit_of_the_declarations_has_its_french_name() -> None:
    for code in UNIT_SYMBOLS:
        assert display.unit_title(code, "fr") != display.unit_title(code, "en") or code in (
            "LTR",
            "MLT",
            "HLT",
        )
    assert display.unit_title("KGM", "fr") == "kilogramme (KGM)"
    assert display.unit_title("NAR", "fr") == "nombre d'articles (NAR)"
    assert display.unit_title("KGM") == "kilogram (KGM)"


def test_the_users_language_from_what_they_ask() -> None:
    assert [language(v) for v in ("fr", "fr-FR", "FR_fr", "en", "de", None, "")] == [
        "fr",
        "fr",
        "fr",
        "en",
        "en",
        "en",
        "en",
    ]


def test_plurals_follow_the_languages_rule() -> None:
    t = translator("fr", "units")
    # Not in a catalogue: the English forms, chosen by gettext's English rule.
    assert t.plural("{count} pair", "{count} pairs", 1) == "1 pair"
    assert t.plural("{count} pair", "{count} pairs", 2) == "2 pairs"
    with pytest.raises(ValueError, match="no catalogue domain"):
        translator("fr", "nowhere")


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=6, allow_nan=False, allow_infinity=False))
def test_english_numbers_are_the_reports_historical_form_and_french_the_same_value(value: Decimal) -> None:
    assert f.number(value, "en") == plain(value)
    french = f.number(value, "fr")
    assert Decimal(french.replace("\u202f", "").replace(",", ".").replace("\u2212", "-")) == value
    assert "." not in french


def test_cldr_formats_in_french() -> None:
    assert f.number(Decimal("1234.500000"), "fr") == "1\u202f234,5"
    assert f.money(Decimal("389.79"), "fr") == "389,79"
    assert f.eur(Decimal("1234.56"), "fr") == "1\u202f234,56\u00a0€"
    assert f.eur(Decimal("1234.56"), "en") == "EUR 1,234.56"
    assert f.percent(Decimal("4.5"), "fr") == "4,5\u202f%" and f.percent(Decimal("4.5"), "en") == "4.5 %"
    assert f.short_day(date(2019, 9, 30), "fr") == "30 sept. 2019"
    assert f.short_day(date(2019, 9, 30), "en") == "30 Sep 2019" == display.long_day(date(2019, 9, 30))
    assert f.long_day(date(2019, 10, 30), "fr") == "30 octobre 2019"
    assert f.month_year(date(2019, 8, 1), "fr") == "août 2019"


def test_the_extractor_finds_the_marked_strings_of_modules_and_templates(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "page.py").write_text(
        'DOMAIN = "bill"\n\ndef f(t, n, x):\n    return t("Due {day}", day=1) + t.plural("{count} lot", "{count} lots", n) + t(x)\n'
    )
    (package / "unmarked.py").write_text('def g(t):\n    return t("not in a domain")\n')
    (package / "page.html.j2").write_text('{# domain: web #}\n<h1>{{ t("Placements") }}</h1>\n')
    found = [(m.domain, m.text, m.where) for m in messages(package)]
    assert found == [
        ("web", "Placements", "pkg/page.html.j2:2"),
        ("bill", "Due {day}", "pkg/page.py:4"),
        ("bill", ("{count} lot", "{count} lots"), "pkg/page.py:4"),
    ]


def test_the_reports_numbers_and_labels_in_french() -> None:
    assert display.quantity(1_234_500_000, "KGM", "fr") == "1\u202f234,5 kg"
    assert display.quantity(1_234_500_000, "KGM") == "1,234.5 kg"
    assert display.eur(38_979, "fr") == "389,79\u00a0€" and display.eur(38_979) == "EUR 389.79"
    assert display.percent(45_000, "fr") == "4,5\u202f%"
    assert display.signed_percent(Decimal("-11.8519"), "fr") == "\u221211,8519\u202f%"
    assert display.signed_percent(None, "fr") == "n.d."
    assert display.duration(4 * 86_400 + 7_200, "fr") == "4 j 2 h" and display.duration(4 * 86_400) == "4 d"
    assert display.mode_label("deemed_release", "fr") == "Réputée mise en libre pratique à l'échéance"
    assert display.label(display.STATUS_LABELS, "overdue", "fr") == "Échu"
    assert display.label(display.STATUS_LABELS, "unknown", "fr") == "unknown"
    assert display.long_day(date(2019, 9, 30), "fr") == "30 sept. 2019"
