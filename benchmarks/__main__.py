"""Run every ``benchmarks/bench_*.py`` module's ``main()`` in turn, with a header for each."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def benchmark_modules() -> list[str]:
    """Names of the benchmark modules, sorted."""
    folder = Path(__file__).resolve().parent
    return sorted(
        info.name
        for info in pkgutil.iter_modules([str(folder)])
        if info.name.startswith("bench_") and not info.ispkg
    )


def main() -> int:
    names = benchmark_modules()
    if not names:
        print("no benchmarks yet")
        return 0
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        run = getattr(module, "main", None)
        if not callable(run):
            print(f"benchmarks/{name}.py has no main() function", file=sys.stderr)
            return 1
        print(f"=== {name} ===", flush=True)
        started = time.perf_counter()
        run()
        print(f"=== {name}: {time.perf_counter() - started:.1f} s ===", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
