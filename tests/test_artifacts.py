"""The shipped contract artifacts are exactly what the pinned compiler makes of contracts/."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EIP170_LIMIT = 24_576  # bytes of runtime code


def _load_compile_tool() -> ModuleType:
    name = "pa_tools_compile"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / "compile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


compile_tool = _load_compile_tool()


def _shipped() -> dict[str, str]:
    shipped: dict[str, str] = compile_tool.shipped_artifacts(compile_tool.DEFAULT_ARTIFACTS_DIR)
    return shipped


@pytest.mark.slow
def test_shipped_artifacts_match_a_fresh_compile() -> None:
    try:
        fresh: dict[str, dict[str, Any]] = compile_tool.compile_contracts()
    except compile_tool.NoSourcesError as err:
        pytest.fail(f"no contracts compiled: {err}")
    except compile_tool.CompileError as err:
        pytest.fail(f"contracts/ does not compile:\n{err}")
    assert fresh, "no contracts compiled (no deployable contract under contracts/)"

    shipped = _shipped()
    problems: list[str] = []
    for name in sorted(fresh.keys() | shipped.keys()):
        if name not in shipped:
            problems.append(f"{name}: no shipped artifact")
            continue
        if name not in fresh:
            problems.append(f"{name}: stale artifact, no such contract under contracts/")
            continue
        old: dict[str, Any] = json.loads(shipped[name])
        new = fresh[name]
        keys = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        problems.extend(f"{name}: key {key!r} differs from a fresh compile" for key in keys)
        if not keys and shipped[name] != compile_tool.render(new):
            problems.append(f"{name}: same content but not in canonical formatting")
    assert not problems, "run `make compile` and commit pa_client/contract/artifacts/:\n" + "\n".join(
        problems
    )


def test_runtime_bytecode_fits_eip170() -> None:
    shipped = _shipped()
    assert shipped, "no artifacts in pa_client/contract/artifacts/"
    runtime = {name: json.loads(text).get("deployedBytecode") for name, text in shipped.items()}
    malformed = sorted(name for name, code in runtime.items() if not isinstance(code, str))
    assert not malformed, f"artifacts without a deployedBytecode string: {', '.join(malformed)}"
    sizes = {name: (len(code) - 2) // 2 for name, code in runtime.items()}
    report = ", ".join(f"{name}={size}" for name, size in sorted(sizes.items()))
    too_big = sorted(name for name, size in sizes.items() if size > EIP170_LIMIT)
    assert not too_big, (
        f"runtime bytecode of {', '.join(too_big)} over the EIP-170 limit of {EIP170_LIMIT} bytes "
        f"(sizes in bytes: {report})"
    )
