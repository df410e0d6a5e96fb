"""Static analysis of the contracts with slither; fails on any high or medium finding left unexplained.

Usage (with the project's virtualenv; `make slither` runs it, `make lint` runs that):

    python tools/slither_check.py          # analyse, print the findings, exit 1 if one is unexplained

Slither reads a standard JSON input with every source inlined: `build/standard-input.json`, written by
`tools/compile.py` (compiled here when it is missing or older than a contract), with the output
selection it needs (the AST and whole bytecode objects), compiled by the pinned solc wrapper
(`--compile-force-framework solc-json --solc tools/solc/solc`), OpenZeppelin filtered out.

Explanations live in `tools/slither-triage.toml` (check, where, reason). The whole report is kept in
`build/slither.json`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
STANDARD_INPUT = BUILD / "standard-input.json"
SLITHER_INPUT = BUILD / "slither-input.json"
REPORT = BUILD / "slither.json"
TRIAGE = ROOT / "tools" / "slither-triage.toml"
SOLC = ROOT / "tools" / "solc" / "solc"
FAILING = ("High", "Medium")
OUTPUT = {
    "*": {
        "": ["ast"],
        "*": [
            "abi",
            "metadata",
            "devdoc",
            "userdoc",
            "evm.bytecode",
            "evm.deployedBytecode",
            "evm.methodIdentifiers",
        ],
    }
}


def standard_input() -> dict[str, Any]:
    """The self-contained standard JSON input, compiled afresh when a contract is newer.

    The product contracts only: tools/compile.py leaves the Forge tests of contracts/test/ out.
    """
    sys.path.insert(0, str(ROOT / "tools"))
    from compile import compile_all, product_sources  # tools/compile.py

    sources = [*product_sources(), ROOT / "package-lock.json"]
    newest = max(path.stat().st_mtime for path in sources)
    if not STANDARD_INPUT.exists() or STANDARD_INPUT.stat().st_mtime < newest:
        BUILD.mkdir(exist_ok=True)
        STANDARD_INPUT.write_text(json.dumps(compile_all().standard_input, indent=1) + "\n", encoding="utf-8")
    data: dict[str, Any] = json.loads(STANDARD_INPUT.read_text(encoding="utf-8"))
    return data


def where(result: dict[str, Any]) -> str:
    """`Contract.function`, `Contract.variable` or `Contract.function.variable` of a finding."""
    element = result["elements"][0]
    names = [element["name"]]
    parent = element.get("type_specific_fields", {}).get("parent")
    while parent is not None:
        names.insert(0, parent["name"])
        parent = parent.get("type_specific_fields", {}).get("parent")
    return ".".join(names)


def main() -> int:
    data = standard_input()
    data["settings"]["outputSelection"] = OUTPUT
    SLITHER_INPUT.write_text(json.dumps(data), encoding="utf-8")
    REPORT.unlink(missing_ok=True)
    command = [
        str(Path(sys.executable).parent / "slither"),
        str(SLITHER_INPUT),
        "--compile-force-framework",
        "solc-json",
        "--solc",
        str(SOLC),
        "--filter-paths",
        "node_modules",
        "--json",
        str(REPORT),
        "--no-fail-pedantic",
    ]
    # Run from a folder outside the project: crytic-compile looks for a framework's config from the
    # working folder up and, finding the foundry.toml of the Forge tests, would run `forge config` and
    # take solc and its options from it. The sources are inlined in the input; crytic-compile only
    # checks that their names exist, which links to contracts/ and node_modules/ provide.
    with tempfile.TemporaryDirectory(prefix="pa-slither-") as folder:
        for name in ("contracts", "node_modules"):
            (Path(folder) / name).symlink_to(ROOT / name, target_is_directory=True)
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
    if not REPORT.exists():
        sys.stderr.write(done.stdout + done.stderr)
        sys.stderr.write("error: slither did not run (see above)\n")
        return 1
    report = json.loads(REPORT.read_text(encoding="utf-8"))
    if not report.get("success"):
        sys.stderr.write(f"error: slither failed: {report.get('error')}\n")
        return 1
    results = report.get("results", {}).get("detectors", [])
    explained = {
        (f["check"], f["where"]): f for f in tomllib.loads(TRIAGE.read_text(encoding="utf-8"))["finding"]
    }
    seen: set[tuple[str, str]] = set()
    unexplained = []
    counts: dict[str, int] = {}
    for result in results:
        impact = result["impact"]
        counts[impact] = counts.get(impact, 0) + 1
        key = (result["check"], where(result))
        first_line = result["description"].splitlines()[0]
        if impact not in FAILING:
            print(f"  {impact:<13} {result['check']}: {first_line}")
        elif key in explained:
            seen.add(key)
            print(f"  {impact:<13} {result['check']} at {key[1]}: explained in {TRIAGE.name}")
        else:
            unexplained.append(f"  {impact:<13} {result['check']} at {key[1]}: {first_line}")
    shown = ", ".join(
        f"{counts.get(i, 0)} {i.lower()}" for i in ("High", "Medium", "Low", "Informational", "Optimization")
    )
    print(
        f"slither: {len(results)} findings ({shown}); {len(seen)} high/medium explained, {len(unexplained)} not"
    )
    for key in sorted(explained.keys() - seen):
        print(f"  note: {TRIAGE.name} explains {key[0]} at {key[1]}, which slither no longer reports")
    if unexplained:
        sys.stderr.write(
            "error: high or medium findings without an explanation in tools/slither-triage.toml:\n"
        )
        sys.stderr.write("\n".join(unexplained) + "\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
