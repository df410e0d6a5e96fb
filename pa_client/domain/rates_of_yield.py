"""Rates of yield (UCC art. 255): deriving the import goods equivalents per unit of product from a
processing recipe, by the quantity key or the value key. Pure functions on exact fractions.

When one operation yields several products (main and secondary), the import goods are shared between
them in proportion to their quantities (quantity key) or to quantity × unit value (value key); losses
are taken off first (they are simply not among the outputs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from pa_client.domain.models import AllocationKey


@dataclass(frozen=True)
class RecipeOutput:
    product: str
    quantity: Decimal
    unit_value: Decimal | None = None


@dataclass(frozen=True)
class Recipe:
    """One processing operation as observed: import goods consumed, products obtained."""

    inputs: Mapping[str, Decimal]
    outputs: Sequence[RecipeOutput]


def shares(outputs: Sequence[RecipeOutput], key: AllocationKey) -> dict[str, Fraction]:
    """Each product's share of the import goods under the key; the shares sum to exactly 1."""
    if key is AllocationKey.QUANTITY:
        weights = {o.product: Fraction(o.quantity) for o in outputs}
    else:
        missing = [o.product for o in outputs if o.unit_value is None]
        if missing:
            raise ValueError(f"the value key needs a unit_value for product(s) {', '.join(missing)}")
        weights = {o.product: Fraction(o.quantity) * Fraction(o.unit_value or 0) for o in outputs}
    total = sum(weights.values(), Fraction(0))
    if total <= 0:
        raise ValueError("the recipe's outputs have no quantity (or no value) to share the import goods by")
    return {product: weight / total for product, weight in weights.items()}


def derive_contents(recipe: Recipe, key: AllocationKey) -> dict[str, dict[str, Fraction]]:
    """Import goods per unit of each product: input quantity × product's share ÷ product quantity."""
    product_shares = shares(recipe.outputs, key)
    contents: dict[str, dict[str, Fraction]] = {}
    for output in recipe.outputs:
        if output.quantity <= 0:
            raise ValueError(f"product {output.product} has no quantity in the recipe")
        contents[output.product] = {
            code: Fraction(quantity) * product_shares[output.product] / Fraction(output.quantity)
            for code, quantity in recipe.inputs.items()
        }
    return contents


def rate_of_yield(contains: Fraction) -> Fraction:
    """The rate of yield: units of product obtained per unit of import goods (the inverse)."""
    return 1 / contains
