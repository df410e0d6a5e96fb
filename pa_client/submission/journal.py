"""The submission journal: which entry went in which transaction and block, appended as batches
confirm. The chain stays the authority on what is recorded (re-sending is safe because entry
references are unique); the journal answers "where is my entry" and keeps the submission's trail."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class JournalLine:
    authorisation: str
    entry_ref: str
    status: str
    transaction: str | None
    block: int | None
    source: str
    at: str


class Journal:
    """A JSON-lines file in the data folder, one per chain and ledger."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def for_ledger(cls, data_dir: Path, chain_id: int, ledger: str) -> Journal:
        return cls(data_dir / "journal" / f"{chain_id}-{ledger.lower()}.jsonl")

    def append(self, lines: list[JournalLine]) -> None:
        if not lines:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as file:
            file.write("".join(json.dumps(asdict(line), sort_keys=True) + "\n" for line in lines))
            file.flush()

    def lines(self) -> list[JournalLine]:
        if not self.path.exists():
            return []
        out = []
        for text in self.path.read_text(encoding="utf-8").splitlines():
            if text.strip():
                # A line cut by a crash is the last one; it is ignored (the chain has the truth).
                try:
                    out.append(JournalLine(**json.loads(text)))
                except (json.JSONDecodeError, TypeError):
                    continue
        return out

    def blocks(self) -> dict[tuple[str, str], int]:
        """The block each entry was recorded in, by (authorisation, entry reference), as last written."""
        return {
            (line.authorisation, line.entry_ref): line.block
            for line in self.lines()
            if line.block is not None
        }

    def find(self, authorisation: str, entry_ref: str) -> JournalLine | None:
        found = None
        for line in self.lines():
            if line.authorisation == authorisation and line.entry_ref == entry_ref:
                found = line
        return found


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
