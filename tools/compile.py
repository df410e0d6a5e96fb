"""Compile contracts/**/*.sol (not contracts/test/) with the pinned solc and write the shipped artifacts.

Usage (with the project's virtualenv):

    python tools/compile.py            # write pa_client/contract/artifacts/<Contract>.json
    python tools/compile.py --check    # exit 1 if the shipped artifacts differ from a fresh compile

The Forge tests under ``contracts/test/`` (``make forge``) are not product sources: they are left out
here, so the artifacts and the standard JSON input that slither reads hold the product contracts only.

The build is deterministic: sources are sorted, source unit names are relative to the folder
that holds the contracts folder (``contracts/PaLedger.sol``), remappings and settings are fixed,
and artifacts are written as sorted, indented JSON with a trailing newline.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from solcx import compile_standard
from solcx.exceptions import SolcError

ROOT = Path(__file__).resolve().parent.parent
SOLC_VERSION = "0.8.28"
SOLC_BINARY = ROOT / "tools" / "solc" / f"solc-v{SOLC_VERSION}"
DEFAULT_CONTRACTS_DIR = ROOT / "contracts"
DEFAULT_ARTIFACTS_DIR = ROOT / "pa_client" / "contract" / "artifacts"
TEST_DIR_NAME = "test"  # contracts/test/: the Forge tests, compiled by forge only
STANDARD_INPUT_PATH = ROOT / "build" / "standard-input.json"
REMAPPINGS = ["@openzeppelin/=node_modules/@openzeppelin/"]
SETTINGS: dict[str, Any] = {
    "evmVersion": "cancun",
    "viaIR": True,  # the ledger's entry functions need the IR pipeline (stack depth); also cheaper code
    "optimizer": {"enabled": True, "runs": 200},
    "remappings": REMAPPINGS,
    "outputSelection": {
        "*": {
            "*": [
                "abi",
                "metadata",
                "devdoc",
                "userdoc",
                "evm.bytecode.object",
                "evm.bytecode.sourceMap",
                "evm.deployedBytecode.object",
                "evm.deployedBytecode.sourceMap",
            ],
            "": ["ast"],
        }
    },
}

Artifact = dict[str, Any]


class CompileError(Exception):
    """The contracts could not be compiled (the message is solc's formatted output)."""


class NoSourcesError(CompileError):
    """There is no ``*.sol`` file to compile."""


def source_root(contracts_dir: Path) -> Path:
    """The base path: source unit names are relative to the folder holding ``contracts_dir``."""
    return contracts_dir.resolve().parent


def product_sources(contracts_dir: Path = DEFAULT_CONTRACTS_DIR) -> list[Path]:
    """Every ``*.sol`` under ``contracts_dir`` except the Forge tests in its ``test/`` folder, sorted."""
    contracts_dir = contracts_dir.resolve()
    base = source_root(contracts_dir)
    files = [
        p for p in contracts_dir.rglob("*.sol") if p.relative_to(contracts_dir).parts[0] != TEST_DIR_NAME
    ]
    return sorted(files, key=lambda p: p.relative_to(base).as_posix())


def build_input(contracts_dir: Path = DEFAULT_CONTRACTS_DIR) -> dict[str, Any]:
    """Standard JSON input for every product ``*.sol`` under ``contracts_dir``, in sorted order."""
    contracts_dir = contracts_dir.resolve()
    base = source_root(contracts_dir)
    files = product_sources(contracts_dir)
    if not files:
        raise NoSourcesError(f"no Solidity sources under {contracts_dir}")
    sources = {p.relative_to(base).as_posix(): {"content": p.read_text(encoding="utf-8")} for p in files}
    return {"language": "Solidity", "sources": sources, "settings": SETTINGS}


def run_solc(standard_input: dict[str, Any], base_path: Path) -> dict[str, Any]:
    """Run the pinned solc on ``standard_input``; raise CompileError on any error."""
    try:
        output: dict[str, Any] = compile_standard(
            standard_input,
            base_path=base_path,
            allow_paths=[base_path, ROOT / "node_modules"],
            solc_binary=SOLC_BINARY,
        )
    except SolcError as err:
        messages: Any = err.error_dict  # typed Dict by py-solc-x, but solc's "errors" list
        if messages:
            raise CompileError(_format_messages(list(messages))) from err
        detail = (err.stderr_data or "").strip() or err.message
        raise CompileError(f"{SOLC_BINARY} failed (exit {err.return_code}): {detail}") from err
    except (OSError, ValueError) as err:
        raise CompileError(f"cannot run {SOLC_BINARY}: {err}") from err
    return output


def _format_messages(messages: list[dict[str, Any]]) -> str:
    return "\n".join(str(m.get("formattedMessage") or m.get("message", "")).rstrip() for m in messages)


def _is_shipped(kind: str, abstract: bool, abi: list[dict[str, Any]]) -> bool:
    if kind == "interface" or abstract:
        return False
    if kind == "library":
        # Libraries with only internal functions are inlined into their users: nothing to deploy.
        return any(item.get("type") == "function" for item in abi)
    return True


def artifacts_from_output(output: dict[str, Any], own_sources: list[str]) -> dict[str, Artifact]:
    """Artifacts (by contract name) of the deployable contracts defined in ``own_sources``."""
    artifacts: dict[str, Artifact] = {}
    for source_name in sorted(own_sources):
        ast = output["sources"][source_name]["ast"]
        for node in ast["nodes"]:
            if node.get("nodeType") != "ContractDefinition":
                continue
            name: str = node["name"]
            compiled = output["contracts"][source_name][name]
            if not _is_shipped(node["contractKind"], bool(node.get("abstract")), compiled["abi"]):
                continue
            if name in artifacts:
                raise CompileError(
                    f"contract name {name} is defined in both "
                    f"{artifacts[name]['sourceName']} and {source_name}"
                )
            metadata: str = compiled["metadata"]
            artifacts[name] = {
                "contractName": name,
                "sourceName": source_name,
                "compiler": json.loads(metadata)["compiler"]["version"],
                "abi": compiled["abi"],
                "bytecode": "0x" + compiled["evm"]["bytecode"]["object"],
                "deployedBytecode": "0x" + compiled["evm"]["deployedBytecode"]["object"],
                "metadata": metadata,
            }
    return artifacts


def self_contained_input(
    standard_input: dict[str, Any], output: dict[str, Any], base_path: Path
) -> dict[str, Any]:
    """``standard_input`` with every source actually used (imports too) inlined as content.

    It compiles to the same bytecode and metadata without any import callback, which is what
    analysis tools (slither) want.
    """
    sources: dict[str, Any] = {}
    for name in sorted(output["sources"]):
        if name in standard_input["sources"]:
            sources[name] = standard_input["sources"][name]
        else:
            candidates = [base_path / name, ROOT / name, ROOT / "node_modules" / name]
            path = next((p for p in candidates if p.is_file()), None)
            if path is None:
                raise CompileError(f"cannot find imported source {name}")
            sources[name] = {"content": path.read_text(encoding="utf-8")}
    return {**standard_input, "sources": sources}


@dataclass(frozen=True)
class Build:
    artifacts: dict[str, Artifact]  # by contract name
    standard_input: dict[str, Any]  # self-contained (imports inlined)
    warnings: str  # solc's formatted warnings, "" when none


def compile_all(contracts_dir: Path = DEFAULT_CONTRACTS_DIR) -> Build:
    """Compile every source under ``contracts_dir``; raise CompileError on any error."""
    standard_input = build_input(contracts_dir)
    base = source_root(contracts_dir)
    output = run_solc(standard_input, base)
    return Build(
        artifacts=artifacts_from_output(output, list(standard_input["sources"])),
        standard_input=self_contained_input(standard_input, output, base),
        warnings=_format_messages(output.get("errors", [])),
    )


def compile_contracts(contracts_dir: Path = DEFAULT_CONTRACTS_DIR) -> dict[str, Artifact]:
    """Fresh artifacts (by contract name) for every deployable contract under ``contracts_dir``."""
    return compile_all(contracts_dir).artifacts


def render(artifact: Artifact) -> str:
    """The byte-stable text of an artifact file."""
    return json.dumps(artifact, indent=2, sort_keys=True) + "\n"


def shipped_artifacts(artifacts_dir: Path = DEFAULT_ARTIFACTS_DIR) -> dict[str, str]:
    """Text of the shipped artifact files, by contract name."""
    if not artifacts_dir.is_dir():
        return {}
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(artifacts_dir.glob("*.json"))}


def differences(fresh: dict[str, Artifact], shipped: dict[str, str]) -> list[str]:
    """One line per missing, stale or differing artifact file (empty when all match)."""
    problems: list[str] = []
    for name in sorted(fresh.keys() | shipped.keys()):
        if name not in shipped:
            problems.append(f"{name}.json: missing (contract {name} has no shipped artifact)")
        elif name not in fresh:
            problems.append(f"{name}.json: stale (no contract {name} under contracts/)")
        elif shipped[name] != render(fresh[name]):
            try:
                old = json.loads(shipped[name])
            except json.JSONDecodeError:
                problems.append(f"{name}.json: not valid JSON")
                continue
            new = fresh[name]
            keys = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
            if keys:
                problems.append(f"{name}.json: differs from a fresh compile in {', '.join(keys)}")
            else:
                problems.append(f"{name}.json: same content, not in canonical formatting")
    return problems


def write_artifacts(fresh: dict[str, Artifact], artifacts_dir: Path) -> list[str]:
    """Write changed artifacts and delete stale ones; return one line per change."""
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    shipped = shipped_artifacts(artifacts_dir)
    changes: list[str] = []
    for name, artifact in sorted(fresh.items()):
        text = render(artifact)
        if shipped.get(name) != text:
            (artifacts_dir / f"{name}.json").write_text(text, encoding="utf-8")
            changes.append(f"wrote {name}.json")
    for name in sorted(shipped.keys() - fresh.keys()):
        (artifacts_dir / f"{name}.json").unlink()
        changes.append(f"removed stale {name}.json")
    return changes


def _display(path: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--contracts", type=Path, default=DEFAULT_CONTRACTS_DIR)
    parser.add_argument("--artifacts", type=Path, default=DEFAULT_ARTIFACTS_DIR)
    parser.add_argument(
        "--standard-input",
        type=Path,
        default=STANDARD_INPUT_PATH,
        help="where to write the self-contained standard JSON input (not with --check)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="compile in memory and exit 1 if the shipped artifacts differ",
    )
    args = parser.parse_args(argv)

    try:
        build = compile_all(args.contracts)
    except CompileError as err:
        print(err, file=sys.stderr)
        return 1
    if build.warnings:
        print(build.warnings, file=sys.stderr)
    fresh = build.artifacts
    if not fresh:
        print(f"no deployable contracts under {_display(args.contracts)}", file=sys.stderr)
        return 1

    if args.check:
        problems = differences(fresh, shipped_artifacts(args.artifacts))
        for line in problems:
            print(line, file=sys.stderr)
        if problems:
            print("run `make compile` and commit pa_client/contract/artifacts/", file=sys.stderr)
            return 1
        print(f"{len(fresh)} artifacts match a fresh compile")
        return 0

    args.standard_input.parent.mkdir(parents=True, exist_ok=True)
    args.standard_input.write_text(
        json.dumps(build.standard_input, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    for line in write_artifacts(fresh, args.artifacts):
        print(line)
    print(f"{len(fresh)} artifacts in {_display(args.artifacts)} ({', '.join(sorted(fresh))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
