"""How long `pa` takes to answer before it does any work: the median wall time of 5 fresh processes
(the console script of the venv, as a user's shell runs it) for

- `pa --help` (goal: under 0.3 s),
- `pa node status` on an empty data folder (goal: under 0.3 s; it reads the settings and probes the
  node's port),
- `pa alerts --help` and `pa serve token list` (goal: under 0.5 s, any command's fixed cost).

Before the lazy imports of issue 18 every command imported web3, pandas, the audit and the web stack
first: `pa --help` took 1.1–1.3 s and `pa node status` 1.0–1.2 s on the project's 2-CPU machine.
Environment: `PA_BENCH_STARTUP_RUNS` (default 5). Run alone with `python -m benchmarks.bench_startup`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = int(os.environ.get("PA_BENCH_STARTUP_RUNS", "5"))
PA = Path(sys.executable).parent / "pa"

CASES: list[tuple[str, list[str], float]] = [
    ("pa --help", ["--help"], 0.3),
    ("pa node status", ["node", "status"], 0.3),
    ("pa alerts --help", ["alerts", "--help"], 0.5),
    ("pa serve token list", ["serve", "token", "list"], 0.5),
]


def _once(argv: list[str], data_dir: Path) -> float:
    env = {**os.environ, "PA_DATA_DIR": str(data_dir)}
    started = time.perf_counter()
    subprocess.run([str(PA), *argv], env=env, capture_output=True, check=True, timeout=60)
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder) / "data"
        _once(["--help"], data_dir)  # the first run fills the OS's file cache; not counted
        print(f"median of {RUNS} fresh processes (min–max):")
        for name, argv, goal in CASES:
            times = [_once(argv, data_dir) for _ in range(RUNS)]
            median = statistics.median(times)
            verdict = "within" if median < goal else "OVER"
            print(
                f"  {name:<22} {median:.3f} s  ({min(times):.3f}–{max(times):.3f}; "
                f"goal < {goal} s: {verdict})",
                flush=True,
            )


if __name__ == "__main__":
    main()
