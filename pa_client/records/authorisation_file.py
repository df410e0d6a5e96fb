"""Reading the authorisation file customs register (TOML, docs/spec/interfaces.md §2), with errors that name
the file, the field and the value."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pa_client.domain.models import AllocationKey, Authorisation
from pa_client.domain.quantities import NumberError, parse_decimal
from pa_client.domain.rates_of_yield import Recipe, RecipeOutput, derive_contents
from pa_client.errors import InputError


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


def _decimal(path: Path, where: str, value: Any) -> Decimal:
    try:
        return parse_decimal(value if isinstance(value, (str, int)) else str(value))
    except NumberError as error:
        raise InputError(f"{path}: {where} = {value!r}: {error}") from None


def _apply_recipes(path: Path, data: dict[str, Any]) -> None:
    """Fills `contains` of the products that a `[[recipes]]` section derives."""
    recipes = data.pop("recipes", [])
    key = AllocationKey(data.get("allocation_key", "quantity"))
    products = {p.get("code"): p for p in data.get("products", []) if isinstance(p, dict)}
    for index, raw in enumerate(recipes):
        where = f"recipes[{index}]"
        inputs = {
            code: _decimal(path, f"{where}.inputs.{code}", q) for code, q in raw.get("inputs", {}).items()
        }
        outputs = []
        for j, out in enumerate(raw.get("outputs", [])):
            value = out.get("unit_value")
            outputs.append(
                RecipeOutput(
                    product=str(out.get("product")),
                    quantity=_decimal(path, f"{where}.outputs[{j}].quantity", out.get("quantity")),
                    unit_value=None
                    if value is None
                    else _decimal(path, f"{where}.outputs[{j}].unit_value", value),
                )
            )
        try:
            derived = derive_contents(Recipe(inputs, outputs), key)
        except ValueError as error:
            raise InputError(f"{path}: {where}: {error}") from None
        for product, contains in derived.items():
            if product not in products:
                raise InputError(f"{path}: {where}: product {product} has no [[products]] entry")
            if "contains" in products[product]:
                raise InputError(f"{path}: product {product} has both 'contains' and a recipe: keep one")
            products[product]["contains"] = contains


def parse_authorisation(data: dict[str, Any], path: Path) -> Authorisation:
    _apply_recipes(path, data)
    try:
        return Authorisation.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            loc = tuple(item["loc"])
            message = str(item["msg"]).removeprefix("Value error, ")
            if loc:
                problems.append(f"{path}: {_location(loc)} = {_value_at(data, loc)!r}: {message}")
            else:
                problems.append(f"{path}: {message}")
        raise InputError("; ".join(problems)) from None


def load_authorisation(path: Path) -> Authorisation:
    """The authorisation in a TOML file, checked; InputError naming every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot read the file: {error.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path}: not valid TOML: {error}") from None
    return parse_authorisation(data, path)
