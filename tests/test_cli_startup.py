"""`pa` starts without the heavy libraries it does not need: `pa --help` imports neither web3, pandas
nor fastapi (each a fresh interpreter, as a user's shell starts it). The times are `make bench`'s
(benchmarks/bench_startup.py), not asserted here."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("web3", "pandas", "fastapi")

_PROBE = """
import json, sys
from pa_client.cli import main
code = main({argv!r})
print(json.dumps({{"code": code, "heavy": sorted({{m.split(".")[0] for m in sys.modules}} & set({heavy!r}))}}))
"""


def _imported(argv: list[str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(argv=argv, heavy=list(HEAVY))],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


@pytest.mark.parametrize(
    "argv", [["--help"], ["alerts", "--help"], ["submit", "--help"], ["serve", "--help"]], ids=" ".join
)
def test_help_imports_no_heavy_library(argv: list[str]) -> None:
    result = _imported(argv)
    assert result["code"] == 0
    assert result["heavy"] == [], f"pa {' '.join(argv)} imported {result['heavy']}"


def test_node_status_imports_no_heavy_library(tmp_path: object) -> None:
    result = _imported(["--data-dir", str(tmp_path), "node", "status"])
    assert result["code"] == 0
    assert result["heavy"] == []
