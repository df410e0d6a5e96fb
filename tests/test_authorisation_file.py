"""The authorisation file customs register: every field refuses a value of the wrong TOML type and a
wrong value, one line per problem naming the file, the field and the value, never a traceback."""

from __future__ import annotations

import copy
import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from hypothesis import strategies as st

from pa_client.domain.models import Authorisation
from pa_client.errors import InputError, ProblemsError
from pa_client.records.authorisation_file import FIELDS, load_authorisation, parse_authorisation

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SAMPLE = EXAMPLES / "authorisation-bourges.toml"
FILE = Path("authorisation.toml")


def sample() -> dict[str, Any]:
    return tomllib.loads(SAMPLE.read_text(encoding="utf-8"))


def refusal(data: dict[str, Any]) -> str:
    """What refusing `data` says: its one line, or its problems' lines joined by newlines."""
    with pytest.raises(InputError) as refused:
        parse_authorisation(data, FILE)
    error = refused.value
    lines = error.details if isinstance(error, ProblemsError) else (str(error),)
    assert all(line.startswith(f"{FILE}: ") and "\n" not in line for line in lines), lines
    return "\n".join(lines)


def with_field(name: str, value: Any) -> dict[str, Any]:
    data = sample()
    data[name] = value
    return data


def test_the_sample_is_read() -> None:
    authorisation = parse_authorisation(sample(), FILE)
    assert isinstance(authorisation, Authorisation) and authorisation.deemed_release_on_expiry is True


# A value of the wrong TOML type for each field, and the words that say what it must be.
WRONG_TYPES: dict[str, tuple[Any, str]] = {
    "reference": (42, "must be a string in quotes"),
    "holder": (True, "must be a string in quotes"),
    "holder_eori": (12345678900042, "must be a string in quotes"),
    "supervising_office": (["FR000150"], "must be a string in quotes"),
    "valid_from": ("2019-01-01", "must be a TOML date, without quotes"),
    "valid_until": (dt.datetime(2020, 12, 31, 12, 0), "must be a TOML date, without quotes"),
    "discharge_period_months": ("6", "must be a whole number, without quotes"),
    "period_end": (1, "must be a string in quotes"),
    "allocation_key": (False, "must be a string in quotes"),
    "yield_tolerance_percent": (2.5, "must be a decimal in quotes"),
    "deemed_release_on_expiry": ("yes", "must be true or false, without quotes"),
    "import_goods": ("40122000", "must be a list of strings"),
    "products": ({"code": "40121300"}, "must be an array of tables"),
    "recipes": ("none", "must be an array of tables"),
}


def test_every_field_has_its_wrong_type_case() -> None:
    assert set(WRONG_TYPES) == set(FIELDS)


@pytest.mark.parametrize("name", sorted(WRONG_TYPES))
def test_a_value_of_the_wrong_type_is_refused(name: str) -> None:
    value, words = WRONG_TYPES[name]
    message = refusal(with_field(name, value))
    assert message == f"{FILE}: {name} = {value!r}: {words}" + message.split(words, 1)[1]
    assert "\n" not in message


# A value of the right type that the field does not take, and what the message must say.
WRONG_VALUES: list[tuple[str, Any, str]] = [
    ("reference", "", "reference = ''"),
    ("holder", "0x1234", "holder = '0x1234'"),
    ("holder_eori", "FR", "holder_eori = 'FR'"),
    ("supervising_office", "Paris", "supervising_office = 'Paris'"),
    ("valid_until", dt.date(2018, 12, 31), "valid_until 2018-12-31 is before valid_from 2019-01-01"),
    ("discharge_period_months", 0, "discharge_period_months = 0"),
    ("discharge_period_months", 121, "discharge_period_months = 121"),
    ("period_end", "year", "period_end = 'year': must be one of none, month, quarter, semester"),
    ("allocation_key", "weight", "allocation_key = 'weight': must be one of quantity, value"),
    ("yield_tolerance_percent", "abc", "yield_tolerance_percent = 'abc'"),
    ("yield_tolerance_percent", "-1", "yield_tolerance_percent = '-1'"),
    ("import_goods", [], "import_goods = []"),
    ("import_goods", ["40122000", "40122000"], "an import goods code is listed twice"),
    ("import_goods", ["4012200"], "import_goods[0] = '4012200'"),
    ("unknown_field", "x", "unknown_field = 'x': is not a field of the authorisation file"),
]


@pytest.mark.parametrize(
    ("name", "value", "words"), WRONG_VALUES, ids=[f"{n}={v!r}" for n, v, _ in WRONG_VALUES]
)
def test_a_wrong_value_is_refused_naming_the_field_and_the_value(name: str, value: Any, words: str) -> None:
    message = refusal(with_field(name, value))
    assert words in message
    assert "Traceback" not in message and "pydantic" not in message


PRODUCT_CASES: list[tuple[str, Any, str]] = [
    ("code", "4012130", "products[0].code = '4012130': a CN code has exactly 8 digits"),
    ("code", 40121300, "products[0].code = 40121300: must be a string in quotes"),
    ("unit", "KG", "products[0].unit = 'KG'"),
    ("description", "", "products[0].description = ''"),
    ("contains", {}, "products[0].contains = {}"),
    ("contains", {"40122000": "0"}, "products[0].contains.40122000 = '0': ratio must be greater than zero"),
    (
        "contains",
        {"40122000": 1.5},
        "products[0].contains.40122000 = 1.5: must be a decimal or a ratio in quotes",
    ),
    ("contains", {"40122000": "abc"}, "products[0].contains.40122000 = 'abc'"),
    ("contains", {"99999999": "1"}, "product 40121300 contains 99999999, which is not among import_goods"),
    ("colour", "red", "products[0].colour = 'red': is not a field of the authorisation file"),
]


@pytest.mark.parametrize(
    ("field", "value", "words"), PRODUCT_CASES, ids=[f"{f}={v!r}" for f, v, _ in PRODUCT_CASES]
)
def test_a_product_table_error_is_one_line_about_that_product(field: str, value: Any, words: str) -> None:
    data = sample()
    data["products"][0][field] = value
    message = refusal(data)
    assert words in message and "\n" not in message
    # No second clause restating the whole table.
    assert "Tuple should" not in message and message.count(" = ") <= 1


def test_several_problems_are_each_a_line_after_a_summary() -> None:
    data = sample()
    data["allocation_key"] = "weight"
    data["deemed_release_on_expiry"] = "yes"
    data["discharge_period_months"] = "6"
    with pytest.raises(ProblemsError) as refused:
        parse_authorisation(data, FILE)
    assert str(refused.value) == f"3 problems found in {FILE}: nothing was registered"
    assert refused.value.details == (
        f"{FILE}: discharge_period_months = '6': must be a whole number, without quotes (6)",
        f"{FILE}: deemed_release_on_expiry = 'yes': must be true or false, without quotes",
        f"{FILE}: allocation_key = 'weight': must be one of quantity, value",
    )


def test_a_wrong_allocation_key_with_recipes_and_other_errors_is_no_traceback(tmp_path: Path) -> None:
    text = SAMPLE.read_text(encoding="utf-8").replace(
        'allocation_key = "quantity"', 'allocation_key = "weight"'
    )
    text = text.replace('supervising_office = "FR000150"', 'supervising_office = "Paris"')
    text += '\n[[recipes]]\ninputs = { "40061000" = "1000" }\noutputs = [{ product = "40040000", quantity = "950" }]\n'
    path = tmp_path / "recipes.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=r"allocation_key = 'weight': must be one of quantity, value"):
        load_authorisation(path)


def test_a_file_that_is_not_utf8_or_not_toml_is_one_line(tmp_path: Path) -> None:
    latin = tmp_path / "latin.toml"
    latin.write_bytes('reference = "FRIPO\xe9"'.encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8 text"):
        load_authorisation(latin)
    broken = tmp_path / "broken.toml"
    broken.write_text("reference = ", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        load_authorisation(broken)


TOML_VALUES = st.recursive(
    st.one_of(
        st.text(max_size=12),
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.booleans(),
        st.floats(allow_nan=False),
        st.dates(),
        st.datetimes(),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@hypothesis.settings(max_examples=300, deadline=None)
@hypothesis.given(
    path=st.lists(
        st.sampled_from([*sorted(FIELDS), "products", 0, 1, "contains", "code", "unit", "40122000"]),
        min_size=1,
        max_size=3,
    ),
    value=TOML_VALUES,
)
def test_a_mutated_file_is_read_or_refused_in_words_never_a_traceback(path: list[Any], value: Any) -> None:
    data = sample()
    target: Any = data
    for part in path[:-1]:
        try:
            target = target[part]
        except (KeyError, IndexError, TypeError):
            return
    try:
        target[path[-1]] = copy.deepcopy(value)
    except (IndexError, TypeError):
        return
    try:
        parse_authorisation(data, FILE)
    except InputError as error:
        lines = error.details if isinstance(error, ProblemsError) else (str(error),)
        assert all(line.startswith(f"{FILE}: ") and "\n" not in line for line in lines), lines
