"""Write the sample season of the 2019 Bourges pilot: pa_client/dev/sample/season-bourges-2019.csv
(package data for `pa demo`; examples/ links to it).

Usage (with the project's virtualenv):

    python tools/make_sample_season.py            # (re)write the file and print its composition
    python tools/make_sample_season.py --check    # exit 1 if the committed file differs from a fresh run

The season is built by `pa_client.dev.synthetic.bourges_season` (seeded, decimal arithmetic only), so the
file is the same byte for byte at every run. Times are written with the +01:00 offset of the pilot.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pa_client.dev.synthetic import SEASON_TZ, bourges_season, entry_rows, write_csv  # noqa: E402
from pa_client.domain.models import Discharge  # noqa: E402

DEFAULT_OUTPUT = ROOT / "pa_client" / "dev" / "sample" / "season-bourges-2019.csv"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the CSV")
    parser.add_argument("--check", action="store_true", help="compare with the file instead of writing it")
    options = parser.parse_args(argv)

    entries = bourges_season()
    if options.check:
        with tempfile.TemporaryDirectory() as folder:
            fresh = Path(folder) / "season.csv"
            write_csv(entries, fresh, tz=SEASON_TZ)
            same = options.output.exists() and fresh.read_bytes() == options.output.read_bytes()
        if not same:
            print(f"{options.output} is not up to date: run python tools/make_sample_season.py")
            return 1
        print(f"{options.output} is up to date")
        return 0

    rows = write_csv(entries, options.output, tz=SEASON_TZ)
    kinds = Counter(entry.kind for entry in entries)
    modes = Counter(entry.mode.value for entry in entries if isinstance(entry, Discharge))
    times = [row[3] for entry in entries for row in entry_rows(entry, SEASON_TZ)]
    print(f"wrote {options.output}: {len(entries)} entries in {rows} rows, {min(times)} to {max(times)}")
    print("  " + ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())))
    print("  discharges: " + ", ".join(f"{mode} {count}" for mode, count in sorted(modes.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
