"""The embedded node's keeper: a small process beside Anvil that copies each periodic save of the state
file that checks out (node_state.py) into the ring of snapshots, so that a node killed in the middle
of a save, or during one that caught a block half-way, comes back from a recent consistent state.

`pa node start` launches it detached, like Anvil (python -m pa_client.chain.node_keeper NODE_DIR PID);
it ends by itself when that Anvil process is gone. It imports only the standard library, msgspec and
node_state, to start in a fraction of a second and stay small.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from pa_client.chain import node_state

POLL = 0.5
# The keeper's share of the machine: after a snapshot that took t seconds (a copy, an fsync, a check:
# about 0.3 s for a 60 MB state), saves are let go for SHARE × t. A large state is then snapshotted
# less often than Anvil saves it, rather than copied back to back.
SHARE = 9


def main(argv: list[str]) -> int:
    node_dir, pid = Path(argv[0]), int(argv[1])
    # `pa node stop` ends the keeper with SIGTERM: leave by SystemExit so that a copy being made is
    # removed (keep_snapshot's `finally`) rather than left half-written beside the snapshots.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    keep(node_dir, pid)
    return 0


def keep(node_dir: Path, pid: int, poll: float = POLL) -> None:
    """Watches `node_dir/state.json` while Anvil `pid` runs: a save that has not changed for one poll (so
    Anvil is done writing it) and holds a block newer than the newest snapshot is copied, checked and kept."""
    state_file = node_dir / "state.json"
    folder = node_dir / "snapshots"
    seen: tuple[int, int] | None = None
    previous: tuple[int, int] | None = None
    quiet_until = 0.0
    while _is_anvil(pid, state_file):
        time.sleep(poll)
        stamp = _stamp(state_file)
        if stamp is None or stamp == seen or stamp != previous or time.monotonic() < quiet_until:
            previous = stamp
            continue  # no save, one already looked at, one still being written, or resting
        seen = previous = stamp
        newest = node_state.newest_snapshot_block(folder)
        hint = node_state.block_hint(state_file)
        if newest is not None and hint is not None and hint <= newest:
            continue  # a save without a new block (Anvil saves on its interval whether or not it mined)
        started = time.monotonic()
        with _locked(node_dir / "lock"):
            # `pa node start` and `stop` hold the lock while they replace the state file or snapshot
            # the last save; once Anvil is gone its state is theirs to judge, no longer the keeper's.
            if not _is_anvil(pid, state_file):
                break
            kept = node_state.keep_snapshot(state_file, folder)
        quiet_until = time.monotonic() + SHARE * (time.monotonic() - started)
        if kept is not None:
            _say(f"kept the save of block {kept.block:,} as snapshots/state-{kept.block:010d}.json")
        elif hint is not None:
            _say(f"did not keep the save of block {hint:,}: it does not check out (or holds no new block)")


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _is_anvil(pid: int, state_file: Path) -> bool:
    """Whether `pid` is still the Anvil of this state file (not a finished one, nor a reused pid)."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        status = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        if Path("/proc/self").exists():
            return False
        try:  # no procfs (macOS): whether the pid exists is all there is to know
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    except OSError:
        return True
    zombie = status.rpartition(")")[2].split()[0] == "Z"
    return not zombie and str(state_file).encode() in args


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _say(message: str) -> None:
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    print(f"{stamp} pa node keeper: {message}", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
