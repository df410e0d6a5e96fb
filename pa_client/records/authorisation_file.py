"""Reading the authorisation file customs register (TOML, docs/spec/interfaces.md §2), with errors that
name the file, the field and the value, one line per problem.

A TOML value has a type, and each field of `docs/authorisation-file.md` takes one: a string is never
read as a boolean or a number (`deemed_release_on_expiry = "yes"` is refused, not taken for true), a
date is a TOML date (`valid_from = 2024-01-01`, no quotes), a decimal is a string or an integer (a
TOML float is binary: `"2.5"`, not `2.5`). The types are checked first, every field at once; then the
model's own checks (codes, references, consistency) run on what has the right type.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from pa_client.domain.models import AllocationKey, Authorisation, PeriodEnd
from pa_client.domain.quantities import NumberError, parse_decimal
from pa_client.domain.rates_of_yield import Recipe, RecipeOutput, derive_contents
from pa_client.errors import InputError, ProblemsError

__all__ = ["load_authorisation", "parse_authorisation"]

_SHOWN: Final = 60  # characters of a value shown in a message


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


@dataclass(frozen=True)
class _Kind:
    """What a TOML value must be, and how to say it."""

    test: Callable[[Any], bool]
    phrase: str


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_day(value: Any) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _is_decimal(value: Any) -> bool:
    return isinstance(value, str) or _is_whole(value)


TEXT = _Kind(_is_text, "a string in quotes")
WHOLE = _Kind(_is_whole, "a whole number, without quotes (6)")
DAY = _Kind(_is_day, "a TOML date, without quotes (2024-01-01)")
BOOLEAN = _Kind(lambda v: isinstance(v, bool), "true or false, without quotes")
DECIMAL = _Kind(_is_decimal, 'a decimal in quotes ("2.5"; a TOML float is not exact)')
TEXTS = _Kind(
    lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v), 'a list of strings (["40122000"])'
)
TABLES = _Kind(
    lambda v: isinstance(v, list) and all(isinstance(i, dict) for i in v), "an array of tables ([[products]])"
)
TABLE = _Kind(lambda v: isinstance(v, dict), "a table ({ ... })")

FIELDS: Final[dict[str, _Kind]] = {
    "reference": TEXT,
    "holder": TEXT,
    "holder_eori": TEXT,
    "supervising_office": TEXT,
    "valid_from": DAY,
    "valid_until": DAY,
    "discharge_period_months": WHOLE,
    "period_end": TEXT,
    "allocation_key": TEXT,
    "yield_tolerance_percent": DECIMAL,
    "deemed_release_on_expiry": BOOLEAN,
    "import_goods": TEXTS,
    "products": TABLES,
    "recipes": TABLES,
}
PRODUCT_FIELDS: Final[dict[str, _Kind]] = {"code": TEXT, "description": TEXT, "unit": TEXT, "contains": TABLE}
RECIPE_FIELDS: Final[dict[str, _Kind]] = {"inputs": TABLE, "outputs": TABLES}
OUTPUT_FIELDS: Final[dict[str, _Kind]] = {"product": TEXT, "quantity": DECIMAL, "unit_value": DECIMAL}
CHOICES: Final[dict[str, tuple[str, ...]]] = {
    "period_end": tuple(rule.value for rule in PeriodEnd),
    "allocation_key": tuple(key.value for key in AllocationKey),
}


class _Problems:
    """The problems of one file, each a line `file: field = value: what is wrong`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[str] = []

    def add(self, where: str, value: Any, message: str) -> None:
        line = f"{self.path}: {where} = {_shown(value)}: {message}" if where else f"{self.path}: {message}"
        if line not in self.lines:
            self.lines.append(line)

    def check(self, table: dict[str, Any], fields: dict[str, _Kind], prefix: str = "") -> None:
        """Each known field of `table` has its kind (unknown ones are the model's to refuse)."""
        for name, kind in fields.items():
            if name in table and not kind.test(table[name]):
                self.add(f"{prefix}{name}", table[name], f"must be {kind.phrase}")

    def raise_if_any(self) -> None:
        if not self.lines:
            return
        if len(self.lines) == 1:
            raise InputError(self.lines[0])
        raise ProblemsError(
            f"{len(self.lines)} problems found in {self.path}: nothing was registered", self.lines
        )


def _list(value: Any) -> list[Any]:
    """The items of an array, none of anything else (its wrong type is said already)."""
    return value if isinstance(value, list) else []


def _check_types(data: dict[str, Any], problems: _Problems) -> None:
    problems.check(data, FIELDS)
    for name, choices in CHOICES.items():
        value = data.get(name)
        if isinstance(value, str) and value not in choices:
            problems.add(name, value, f"must be one of {', '.join(choices)}")
    for index, product in enumerate(_list(data.get("products"))):
        if not isinstance(product, dict):
            continue
        where = f"products[{index}]."
        problems.check(product, PRODUCT_FIELDS, where)
        contains = product.get("contains")
        if isinstance(contains, dict):
            for code, ratio in contains.items():
                if not _is_decimal(ratio):
                    problems.add(
                        f"{where}contains.{code}",
                        ratio,
                        'must be a decimal or a ratio in quotes ("11.5", "5/2")',
                    )
    for index, recipe in enumerate(_list(data.get("recipes"))):
        if not isinstance(recipe, dict):
            continue
        where = f"recipes[{index}]."
        problems.check(recipe, RECIPE_FIELDS, where)
        inputs = recipe.get("inputs")
        if isinstance(inputs, dict):
            for code, quantity in inputs.items():
                if not _is_decimal(quantity):
                    problems.add(f"{where}inputs.{code}", quantity, f"must be {DECIMAL.phrase}")
        outputs = recipe.get("outputs")
        for j, output in enumerate(outputs if isinstance(outputs, list) else ()):
            if isinstance(output, dict):
                problems.check(output, OUTPUT_FIELDS, f"{where}outputs[{j}].")


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _value_at(data: Any, loc: tuple[int | str, ...]) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _decimal(problems: _Problems, where: str, value: Any) -> Decimal | None:
    try:
        return parse_decimal(value if isinstance(value, (str, int)) else str(value))
    except NumberError as error:
        problems.add(where, value, str(error))
        return None


def _apply_recipes(data: dict[str, Any], problems: _Problems) -> None:
    """Fills `contains` of the products that a `[[recipes]]` section derives."""
    recipes = data.pop("recipes", [])
    key = AllocationKey(data.get("allocation_key", AllocationKey.QUANTITY.value))
    products = {p.get("code"): p for p in data.get("products", []) if isinstance(p, dict)}
    for index, raw in enumerate(recipes):
        where = f"recipes[{index}]"
        inputs = {
            code: _decimal(problems, f"{where}.inputs.{code}", q) for code, q in raw.get("inputs", {}).items()
        }
        outputs: list[RecipeOutput] = []
        for j, out in enumerate(raw.get("outputs", [])):
            quantity = _decimal(problems, f"{where}.outputs[{j}].quantity", out.get("quantity"))
            value = out.get("unit_value")
            unit_value = (
                None if value is None else _decimal(problems, f"{where}.outputs[{j}].unit_value", value)
            )
            if quantity is not None and (value is None or unit_value is not None):
                outputs.append(
                    RecipeOutput(product=str(out.get("product")), quantity=quantity, unit_value=unit_value)
                )
        if None in inputs.values() or len(outputs) != len(raw.get("outputs", [])):
            continue  # its problems are said already
        try:
            derived = derive_contents(
                Recipe({c: q for c, q in inputs.items() if q is not None}, outputs), key
            )
        except ValueError as error:
            problems.add("", None, f"{where}: {error}")
            continue
        for product, contains in derived.items():
            if product not in products:
                problems.add("", None, f"{where}: product {product} has no [[products]] entry")
            elif "contains" in products[product]:
                problems.add("", None, f"product {product} has both 'contains' and a recipe: keep one")
            else:
                products[product]["contains"] = contains


def parse_authorisation(data: dict[str, Any], path: Path) -> Authorisation:
    """The authorisation in the parsed TOML `data` of `path`, checked; every problem a line of the
    error (InputError, or ProblemsError when there are several)."""
    problems = _Problems(path)
    _check_types(data, problems)
    problems.raise_if_any()  # a value of the wrong type would only give the model's confusing words
    _apply_recipes(data, problems)
    problems.raise_if_any()
    try:
        return Authorisation.model_validate(data)
    except ValidationError as error:
        for item in error.errors():
            loc = tuple(item["loc"])
            message = str(item["msg"]).removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                message = "is not a field of the authorisation file (docs/authorisation-file.md)"
            problems.add(_location(loc), _value_at(data, loc), message)
    problems.raise_if_any()
    raise AssertionError("unreachable: a validation error with no problem")


def load_authorisation(path: Path) -> Authorisation:
    """The authorisation in a TOML file, checked; InputError naming every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot read the file: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text (byte {error.start}): save the file as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path}: not valid TOML: {error}") from None
    return parse_authorisation(data, path)
