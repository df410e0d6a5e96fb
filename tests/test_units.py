"""The UN/ECE Recommendation 20 list is a data file of the package that names its revision."""

from __future__ import annotations

import csv
import re
from importlib import resources

from pa_client.domain import units


def _lines() -> list[str]:
    return (resources.files("pa_client.domain") / units.REC20_FILE).read_text(encoding="utf-8").splitlines()


def test_the_list_names_its_revision_and_holds_each_code_once() -> None:
    header = " ".join(line for line in _lines() if line.startswith("#"))
    assert re.search(r"Recommendation 20\b.*Revision \d+ \(UN/CEFACT, \d{4}\)", header), header
    codes = [row["code"] for row in csv.DictReader(line for line in _lines() if not line.startswith("#"))]
    assert len(codes) == len(set(codes)) == len(units.UNIT_NAMES)
    assert all(re.fullmatch(r"[0-9A-Z]{2,3}", code) for code in codes), [c for c in codes if len(c) > 3]


def test_the_codes_of_the_sample_season_and_every_usual_mistake_are_known() -> None:
    assert units.unit_name("KGM") == "kilogram" and units.unit_name("NAR") == "number of articles"
    assert units.unit_name("KG") is None  # a mistake, corrected by the reader to KGM
    assert set(units.USUAL_MISTAKES.values()) <= units.UNIT_CODES
