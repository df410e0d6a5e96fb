"""The embedded node's state file: whether its accounts match its blocks, and a small ring of copies
kept only when they do.

Anvil saves its chain to `state.json` from separate reads of its blocks, its transactions and its
accounts (contract storage included). A save made while a block is being mined can hold the accounts
one block ahead of the blocks: restarted from it, the ledger counts records that no log shows, every
re-run finds them "already recorded" and no audit concludes again (docs/reliability.md). Such a file
is valid JSON and Anvil loads it without a word, so it is checked here:

- the saved blocks are numbered 0 to the best block, and each lists as many transactions as the
  file's transaction list places in it (the list is where Anvil's receipts, hence its logs, live);
- every account without code has the nonce its listed transactions give: they are numbered 0 … n-1
  and the account's nonce is n.

Every transaction raises its sender's nonce, and outside a transaction nothing changes a contract's
storage (the node mines a block per transaction; an empty block changes only the system contracts),
so accounts ahead of the blocks — or behind them — by any block with a transaction fail the second
rule. A file whose layout this module does not know (another Anvil version) cannot be checked: it is
reported as such, never as damaged.

The file is read through a memory map and decoded into the few fields the check needs (msgspec skips
the rest without building it), so checking a 60 MB state takes about 0.1 s and little memory.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import re
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec

from pa_client.errors import NodeError

__all__ = [
    "KEEP",
    "StateCheck",
    "StateDamagedError",
    "StateLayoutError",
    "block_hint",
    "check_state_file",
    "keep_snapshot",
    "newest_snapshot_block",
    "snapshots",
]

# Consistent copies kept (newest by block first). One would do if a copy could not itself be damaged
# on disk; a few cost little next to what they guard (each is the size of the state file).
KEEP = 3
_NAME = re.compile(r"^state-(\d{10})\.json$")
_GENESIS = "chain.txt"  # the genesis of the chain the copies are of


class StateDamagedError(NodeError):
    """The file is not a whole JSON document (cut or emptied by a crash during a save)."""


class StateLayoutError(NodeError):
    """The file is JSON but not laid out as this module expects (another Anvil version)."""


class _Header(msgspec.Struct):
    number: str
    timestamp: str
    stateRoot: str  # noqa: N815 (Anvil's field name)


class _Anything(msgspec.Struct):
    """A value whose content the check does not need: skipped by the decoder, only counted."""


class _Block(msgspec.Struct):
    header: _Header
    transactions: list[_Anything]


class _Info(msgspec.Struct):
    nonce: int
    sender: str = msgspec.field(name="from")


class _Transaction(msgspec.Struct):
    info: _Info
    block_hash: str
    block_number: int


class _Account(msgspec.Struct):
    nonce: int
    code: str


class _State(msgspec.Struct):
    accounts: dict[str, _Account]
    best_block_number: int
    blocks: list[_Block]
    transactions: list[_Transaction]


@dataclass(frozen=True)
class StateCheck:
    """What the check found in one state file."""

    block: int
    """The best block the file holds."""
    genesis: str
    """Block 0's time and state root: which chain the file is of (a copy of another chain's state is
    no snapshot of this one)."""
    problems: tuple[str, ...]
    """Why its accounts do not match its blocks, first things first; empty when they do."""

    @property
    def consistent(self) -> bool:
        return not self.problems


def check_state_file(path: Path) -> StateCheck:
    """Checks that the accounts of Anvil's state file `path` match its blocks (see the module's doc).
    Raises StateDamagedError, StateLayoutError, or OSError when it cannot be read."""
    with _mapped(path) as view:
        try:
            state = msgspec.json.decode(view, type=_State)
        except msgspec.ValidationError as exc:
            raise StateLayoutError(str(exc)) from None
        except msgspec.DecodeError as exc:
            raise StateDamagedError(str(exc)) from None
    # Each start adds a genesis block of its own to the saved blocks (Anvil makes one before it loads
    # the file): the chain's is the first of them.
    genesis = min(
        (
            (int(b.header.timestamp, 16), f"{b.header.timestamp}:{b.header.stateRoot}")
            for b in state.blocks
            if int(b.header.number, 16) == 0
        ),
        default=(0, ""),
    )[1]
    return StateCheck(state.best_block_number, genesis, _problems(state))


def _problems(state: _State) -> tuple[str, ...]:
    problems: list[str] = []
    numbers = sorted({int(block.header.number, 16) for block in state.blocks})
    if numbers != list(range(state.best_block_number + 1)):
        problems.append(
            f"its blocks are not the blocks 0 to {state.best_block_number:,} it names as the latest"
        )
    listed = Counter(tx.block_number for tx in state.transactions)
    in_blocks: Counter[int] = Counter()
    for block in state.blocks:
        in_blocks[int(block.header.number, 16)] += len(block.transactions)
    for number in sorted(set(listed) | set(in_blocks)):
        if listed[number] != in_blocks[number]:
            where = f"block {number:,}" if number in in_blocks else f"block {number:,}, which it lacks,"
            problems.append(
                f"{where} holds {in_blocks[number]:,} transactions and {listed[number]:,} are listed"
            )
            break
    nonces: dict[str, list[int]] = defaultdict(list)
    for tx in state.transactions:
        nonces[tx.info.sender.lower()].append(tx.info.nonce)
    for address, account in sorted(state.accounts.items()):
        if account.code not in ("", "0x"):
            continue  # a contract's nonce counts its creations, not transactions of its own
        sent = sorted(nonces.get(address.lower(), []))
        if sent != list(range(account.nonce)):
            side = "ahead of" if account.nonce > len(sent) else "behind"
            problems.append(
                f"account {address} has nonce {account.nonce:,} but {len(sent):,} transactions in the saved "
                f"blocks: the accounts are {side} the blocks"
            )
    return tuple(problems)


@contextlib.contextmanager
def _mapped(path: Path) -> Iterator[memoryview | bytes]:
    # A memory map rather than read(): the pages are the page cache's, not a copy of a file that can
    # be gigabytes. Only files no other process writes are mapped (a file cut under a map is SIGBUS):
    # the state file when its node is down, and copies (`keep_snapshot` copies before checking).
    with path.open("rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            yield b""
            return
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped, memoryview(mapped) as view:
            yield view


_ENV_BLOCK = re.compile(rb'^\{"block":\{"number":"0x([0-9a-fA-F]+)"')


def block_hint(path: Path) -> int | None:
    """The block number at the head of Anvil's state file (its block environment, written first), from
    its first bytes: a cheap way to tell a save with no new block, never a check. None if not found."""
    try:
        with path.open("rb") as handle:
            head = handle.read(256)
    except OSError:
        return None
    found = _ENV_BLOCK.match(head.replace(b" ", b"").replace(b"\n", b""))
    return int(found.group(1), 16) if found else None


# ---------------------------------------------------------------- the ring of consistent copies


def snapshots(folder: Path) -> list[tuple[int, Path]]:
    """The snapshots in `folder`, newest (highest block) first."""
    found = []
    with contextlib.suppress(FileNotFoundError):
        for path in folder.iterdir():
            match = _NAME.match(path.name)
            if match:
                found.append((int(match.group(1)), path))
    return sorted(found, reverse=True)


def newest_snapshot_block(folder: Path) -> int | None:
    kept = snapshots(folder)
    return kept[0][0] if kept else None


def keep_snapshot(
    source: Path, folder: Path, *, checked: StateCheck | None = None, drop_newer: bool = False
) -> StateCheck | None:
    """Copies the state file `source` into the ring in `folder` if its accounts match its blocks and it
    holds a block newer than the newest copy; returns the check of what was copied (None when nothing
    was: not newer, not consistent, damaged or of an unknown layout).

    `checked` is `source`'s check when the caller made it and nothing can change the file meanwhile (the
    node is down); otherwise the copy itself is checked, so that what is kept is exactly what was
    checked, whatever Anvil writes to `source` at the time. `drop_newer`: `source` is the chain from now
    on (the node starts from it), so copies of blocks beyond it are of a history it does not have.
    Copies of another chain (another genesis) are removed when a copy of this one is kept."""
    if checked is not None and not checked.consistent:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".state-{os.getpid()}.tmp"
    try:
        shutil.copyfile(source, temporary)
        result = checked
        if result is None:
            try:
                result = check_state_file(temporary)
            except (StateDamagedError, StateLayoutError):
                return None
            if not result.consistent:
                return None
        if _genesis(folder) != result.genesis:
            for _, other in snapshots(folder):
                other.unlink()
            (folder / _GENESIS).write_text(result.genesis + "\n", encoding="utf-8")
        kept = snapshots(folder)
        if drop_newer:
            for block, newer in kept:
                if block > result.block:
                    newer.unlink()
            kept = [(block, path) for block, path in kept if block <= result.block]
        if kept and result.block <= kept[0][0]:
            return None
        with temporary.open("rb") as handle:
            # The copy must be whole on disk before its name says it is a good one (a power loss).
            os.fsync(handle.fileno())
        temporary.replace(folder / f"state-{result.block:010d}.json")
        _fsync_dir(folder)
    finally:
        temporary.unlink(missing_ok=True)
    for _, old in snapshots(folder)[KEEP:]:
        old.unlink(missing_ok=True)
    return result


def _genesis(folder: Path) -> str | None:
    try:
        return (folder / _GENESIS).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None


def _fsync_dir(folder: Path) -> None:
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
