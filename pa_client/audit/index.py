"""The local index: the ledger tables kept in the data folder (Parquet) so that a second audit reads
only the blocks added since the first.

`DATA_DIR/index/CHAIN-LEDGER/` holds one folder of Parquet parts per table (a part per update), the
registry's raw logs (few, needed whole to rebuild the authorisations) and `state.json`: the last block
read, its hash, and each authorisation's (sequence, head) recomputed from the logs. An index whose
last block is no longer on the chain (reset, reorganisation, a node gone back to a snapshot) is rebuilt; the audit then compares the
heads with the contract's and rebuilds the index once more when they differ (`auditing.py`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
from web3 import Web3

from pa_client.audit.tables import COLUMNS, Chain, LedgerTables, TableBuilder
from pa_client.chain import rpc
from pa_client.chain.extract import block_times, read_pages

try:
    import fcntl
except ImportError:  # not POSIX: no lock between processes
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("pa_client")

FORMAT_VERSION = 2  # 2: the lodged bills table

# Blocks asked for by the first eth_getLogs page; the range then grows while pages stay small
# (extract.read_pages). Starting small keeps pages of a few thousand logs on a busy chain, so that
# the next page is read while this one is decoded, and no answer holds a whole ledger at once.
READ_RANGE = 16
PAGES_AHEAD = 2

Progress = Callable[[int, int], None]
T = TypeVar("T")
_END: Any = object()


@dataclass
class IndexState:
    last_block: int
    last_block_hash: str
    chains: dict[str, tuple[int, str]]


def block_header(w3: Web3, number: int) -> dict[str, Any]:
    header = rpc.request(w3, "eth_getBlockByNumber", [hex(number), False], what=f"read block {number:,}")
    if header is None:
        raise ValueError(f"block {number:,} does not exist")
    return dict(header)


def _block_hash(w3: Web3, number: int) -> str | None:
    """The hash of block `number` on the chain now; None when the chain is shorter."""
    header = rpc.request(w3, "eth_getBlockByNumber", [hex(number), False], what=f"read block {number:,}")
    return None if header is None else str(header["hash"])


class LedgerIndex:
    """The index of one deployed ledger (registry and ledger contracts)."""

    def __init__(self, folder: Path, registry: str, ledger: str, deployment_block: int) -> None:
        self.folder = folder
        self.addresses = [registry, ledger]
        self.deployment_block = deployment_block
        self._writer: _Writer | None = None
        self._lock = FileLock(folder.with_name(folder.name + ".lock"))

    @classmethod
    def for_ledger(cls, data_dir: Path, chain_id: int, registry: str, ledger: str, block: int) -> LedgerIndex:
        return cls(data_dir / "index" / f"{chain_id}-{ledger.lower()}", registry, ledger, block)

    def clear(self) -> None:
        self.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def update(
        self, w3: Web3, to_block: int, progress: Progress | None = None, *, wait: bool = True
    ) -> LedgerTables:
        """Brings the index up to `to_block`, reading only blocks it lacks, and returns the tables.
        With `wait=False` the new part is written in the background: call `wait()` before relying on
        the files. Another process updating the same index is waited for (a lock beside the folder)."""
        self.wait()
        self._lock.acquire()
        try:
            tables = self._update(w3, to_block, progress, wait=wait)
        except BaseException:
            self._lock.release()
            raise
        if self._writer is None:  # nothing left to write in the background
            self._lock.release()
        return tables

    def _update(self, w3: Web3, to_block: int, progress: Progress | None, *, wait: bool) -> LedgerTables:
        state = self._state()
        # Checked before anything else, an audit of the past included: a chain that went back to an
        # older block (a node restored from a snapshot, a reset) no longer has the index's last block,
        # or has another block of that number, and the index must not keep records of blocks gone.
        if state is not None and _block_hash(w3, state.last_block) != state.last_block_hash:
            log.warning(
                "block %d of the index is no longer on the chain: rebuilding the index", state.last_block
            )
            self.clear()
            state = None
        if state is not None and state.last_block > to_block:
            # An audit of the past: read the chain up to that block, leave the index as it is.
            return cold_tables(w3, self.addresses, self.deployment_block, to_block, progress)
        builder = TableBuilder()
        start = self.deployment_block
        last = state.last_block if state else -1
        # Registry logs beyond the state's last block were kept by an update that crashed before its
        # state: those blocks are read again below.
        kept = [raw for raw in self._registry_logs() if int(raw["blockNumber"], 16) <= last]
        if state is not None:
            builder.add_logs(kept)
            for reference, (sequence, head) in state.chains.items():
                builder.chains[reference] = Chain(sequence, bytes.fromhex(head[2:]))
            start = state.last_block + 1
        self.folder.mkdir(parents=True, exist_ok=True)
        self._drop_unnamed_parts(last)
        registry_logs: list[dict[str, Any]] = []
        read_into(w3, self.addresses, start, to_block, builder, progress, registry_logs)
        frames = builder.frames()
        header = block_header(w3, to_block)
        new_state = IndexState(
            to_block,
            str(header["hash"]),
            {ref: (c.sequence, "0x" + c.head.hex()) for ref, c in builder.chains.items()},
        )
        # The parts already written, then this one (a first build has only this one).
        tables = builder.build(
            to_block,
            int(header["timestamp"], 16),
            frames if state is None else _joined(self._frames(), frames),
        )
        if start > to_block:
            return tables  # no new block: nothing to write
        part = f"{start:012d}-{to_block:012d}"
        registry = kept + registry_logs
        if wait:
            self._save(frames, part, registry, new_state)
        else:
            # Parquet encoding releases the GIL: the part is written while the caller applies the rules.
            self._writer = _Writer(lambda: self._save(frames, part, registry, new_state), self._lock.release)
        return tables

    def wait(self) -> None:
        """Waits for the part that `update(wait=False)` is writing; raises its error, if any."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.join()

    def _save(
        self,
        frames: dict[str, pd.DataFrame],
        part: str,
        registry_logs: list[dict[str, Any]],
        state: IndexState,
    ) -> None:
        # The parts first, then the state that names them (see _write_state).
        self._append(frames, part, registry_logs)
        self._write_state(state)

    # ------------------------------------------------------------ files

    def _state(self) -> IndexState | None:
        path = self.folder / "state.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None
        if data.get("format") != FORMAT_VERSION:
            return None
        chains = {ref: (c["sequence"], c["head"]) for ref, c in data["chains"].items()}
        return IndexState(data["last_block"], data["last_block_hash"], chains)

    def _write_state(self, state: IndexState) -> None:
        data = {
            "format": FORMAT_VERSION,
            "last_block": state.last_block,
            "last_block_hash": state.last_block_hash,
            "chains": {ref: {"sequence": s, "head": h} for ref, (s, h) in sorted(state.chains.items())},
        }
        temporary = self.folder / "state.json.tmp"
        temporary.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        # The parts are written first: a crash leaves parts the state does not name, which are
        # removed by the next update (_append) before it writes its own.
        temporary.replace(self.folder / "state.json")

    def _append(
        self, frames: dict[str, pd.DataFrame], part: str, registry_logs: list[dict[str, Any]]
    ) -> None:
        """Writes the part's tables and the registry's logs (all of them, up to the part's end)."""
        for name, frame in frames.items():
            folder = self.folder / name
            folder.mkdir(exist_ok=True)
            if not frame.empty:
                frame.to_parquet(folder / f"{part}.parquet", index=False)
        (self.folder / "registry.jsonl").write_text(
            "".join(json.dumps(raw) + "\n" for raw in registry_logs), encoding="utf-8"
        )

    def _drop_unnamed_parts(self, last: int) -> None:
        """Removes parts beyond the state's last block: written by an update that crashed before it
        wrote its state (they would count their rows twice once those blocks are read again)."""
        for name in COLUMNS:
            for stale in (self.folder / name).glob("*.parquet"):
                if int(stale.stem.split("-")[1]) > last:
                    stale.unlink()

    def entry_blocks(self) -> dict[tuple[str, str], int]:
        """The block of each entry the index holds (not corrections, extensions or lodged bills), by (authorisation,
        entry reference): where to look first for an entry's logged data. Empty without an index."""
        if self._state() is None:
            return {}
        blocks: dict[tuple[str, str], int] = {}
        columns = ["authorisation", "entry_ref", "block"]
        for name in COLUMNS:
            if name in ("corrections", "extensions", "bills"):
                continue
            for part in sorted((self.folder / name).glob("*.parquet")):
                frame = pd.read_parquet(part, columns=columns)
                blocks.update(
                    zip(
                        zip(frame["authorisation"].tolist(), frame["entry_ref"].tolist(), strict=True),
                        frame["block"].tolist(),
                        strict=True,
                    )
                )
        return blocks

    def _frames(self) -> dict[str, pd.DataFrame]:
        frames = {}
        for name, columns in COLUMNS.items():
            parts = sorted((self.folder / name).glob("*.parquet"))
            if parts:
                frames[name] = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
            else:
                frames[name] = pd.DataFrame([], columns=columns)
        return frames

    def _registry_logs(self) -> list[dict[str, Any]]:
        path = self.folder / "registry.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _joined(before: dict[str, pd.DataFrame], new: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {
        name: frame
        if new[name].empty
        else new[name]
        if frame.empty
        else pd.concat([frame, new[name]], ignore_index=True)
        for name, frame in before.items()
    }


class FileLock:
    """An exclusive lock between processes on a file (POSIX `flock`; none where there is no fcntl).
    The file lies beside the index folder, which a rebuild removes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: Any = None

    def acquire(self) -> None:
        if fcntl is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
        except BaseException:
            handle.close()
            raise
        self._file = handle

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is not None and fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()


class _Writer:
    """A background thread running one write, then `done`; `join` re-raises its error in the caller."""

    def __init__(self, write: Callable[[], None], done: Callable[[], None]) -> None:
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(write, done), name="pa-index-writer")
        self._thread.start()

    def _run(self, write: Callable[[], None], done: Callable[[], None]) -> None:
        try:
            write()
        except BaseException as error:  # handed to the caller by join()
            self._error = error
        finally:
            done()

    def join(self) -> None:
        self._thread.join()
        if self._error is not None:
            raise self._error


def read_into(
    w3: Web3,
    addresses: list[str],
    start: int,
    end: int,
    builder: TableBuilder,
    progress: Progress | None = None,
    registry_logs: list[dict[str, Any]] | None = None,
) -> None:
    """Reads the logs of blocks `start`–`end` into `builder` (and the registry's raw logs aside)."""
    registry = addresses[0].lower()
    pages = read_pages(w3, addresses, start, end, initial_range=READ_RANGE, data_as_bytes=True)
    for page in prefetched(pages):
        builder.add_logs(page.logs, block_times(w3, page.logs))
        if registry_logs is not None:
            registry_logs.extend(
                _as_text(raw) for raw in page.logs if str(raw["address"]).lower() == registry
            )
        if progress is not None:
            progress(page.to_block - start + 1, max(1, end - start + 1))


def _as_text(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A log as JSON can keep it (registry.jsonl): its data as hex text."""
    data = raw["data"]
    return {**raw, "data": "0x" + data.hex()} if isinstance(data, bytes) else dict(raw)


def prefetched(pages: Iterator[T], ahead: int = PAGES_AHEAD) -> Iterator[T]:
    """The items of `pages`, read by a thread up to `ahead` items in advance: the node prepares the
    next page of logs (and the answer travels) while the caller decodes this one. Errors are raised to
    the caller where they happened in the sequence; a caller that stops early stops the reader."""
    slots: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def read() -> None:
        try:
            while not stop.is_set():
                item = next(pages, _END)
                if item is _END:
                    break
                slots.put((True, item))
        except BaseException as error:  # handed to the caller, raised there
            slots.put((False, error))
            return
        slots.put((False, None))

    reader = threading.Thread(target=read, name="pa-log-pages", daemon=True)
    reader.start()
    try:
        while True:
            ok, item = slots.get()
            if ok:
                yield item
            elif item is None:
                return
            else:
                raise item
    finally:
        stop.set()
        while reader.is_alive():
            with contextlib.suppress(queue.Empty):  # unblock a reader waiting for room
                slots.get(timeout=0.05)
        reader.join()


def cold_tables(
    w3: Web3, addresses: list[str], from_block: int, to_block: int, progress: Progress | None = None
) -> LedgerTables:
    """The tables read straight from the chain, without the index."""
    builder = TableBuilder()
    read_into(w3, addresses, from_block, to_block, builder, progress)
    return builder.build(to_block, int(block_header(w3, to_block)["timestamp"], 16))
