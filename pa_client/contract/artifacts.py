"""The compiled contracts shipped inside the package (built by `make compile`, checked by a test), so
that users of the client need neither Node nor a compiler."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

CONTRACTS = ("AuthorisationRegistry", "PaLedger")


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str


@cache
def load_artifact(name: str) -> Artifact:
    path = resources.files("pa_client.contract") / "artifacts" / f"{name}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return Artifact(
        name=name,
        abi=data["abi"],
        bytecode=data["bytecode"],
        deployed_bytecode=data["deployedBytecode"],
    )


def all_abi_items() -> list[dict[str, Any]]:
    """Every ABI item of the shipped contracts (events and errors of both)."""
    return [item for name in CONTRACTS for item in load_artifact(name).abi]


def abi_type(item: Mapping[str, Any]) -> str:
    """The canonical type of an ABI input (`(string,uint128)[]` for an array of tuples), as selectors
    and eth_abi spell it."""
    if item["type"].startswith("tuple"):
        inner = ",".join(abi_type(c) for c in item["components"])
        return f"({inner}){item['type'][5:]}"
    return str(item["type"])
