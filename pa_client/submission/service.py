"""The submission use case, written once: `pa submit`, the HTTP API and `ape run submit_batch` all
call it, so that they keep one journal, pass the audit index's hint for corrections, treat refused
rows alike and say what happened in the same words.

The front ends only read their input (a file, a JSON body), show progress and print or return the
outcome; `submit` does the rest: the journal of the ledger in the data folder, the index of that
data folder (where the audit saw each entry: a correction's original is then read from one block),
and the submitter.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pa_client.audit.index import LedgerIndex
from pa_client.chain.ledger import LedgerClient
from pa_client.errors import ProblemsError
from pa_client.records.entries_file import EntriesFile
from pa_client.submission.journal import Journal
from pa_client.submission.submitter import (
    DEFAULT_BATCH_SIZE,
    Item,
    Outcome,
    ProgressCallback,
    Report,
    Submitter,
)

__all__ = [
    "Submission",
    "file_items",
    "submit",
]


def _problems(count: int) -> str:
    return f"{count:,} problem{'' if count == 1 else 's'}"


def file_items(entries_file: EntriesFile, *, skip: bool) -> tuple[list[Item], dict[int, list[str]]]:
    """The file's entries as items to submit, and the reasons of each row refused so far (row →
    reasons; the rejects file's last column). Without `skip`, any problem refuses the whole file
    (ProblemsError, every problem a line of its details)."""
    source = str(entries_file.path)
    if entries_file.problems and not skip:
        # The first problems and the count of the rest: a file with thousands of bad rows needs
        # fixing at its source, and its full list would bury the one line that says what happened.
        raise ProblemsError(
            f"{_problems(entries_file.problem_count)} found in {source}: nothing was sent",
            entries_file.problem_lines(),
        )
    reasons: dict[int, list[str]] = defaultdict(list)
    for problem in entries_file.problems:
        reasons[problem.row].append(f"{problem.column or 'row'}: {problem.message}")
    if entries_file.more_problems:
        # Rows whose problems were only counted are refused all the same, and said to be.
        for row in entries_file.rejected_rows():
            if row not in reasons:
                reasons[row].append(
                    f"row: has problems not listed (the file has {entries_file.problem_count:,}; "
                    "fix the rows listed first)"
                )
    items = [Item(sourced.entry, sourced.rows, source) for sourced in entries_file.entries]
    return items, reasons


@dataclass(frozen=True)
class Submission:
    """What one submission did, and how to say it."""

    report: Report
    journal: Path
    skip_rejected: bool

    @property
    def recorded(self) -> int:
        return self.report.count(Outcome.RECORDED)

    @property
    def already(self) -> int:
        return self.report.count(Outcome.ALREADY)

    @property
    def checked(self) -> int:
        return self.report.count(Outcome.CHECKED)

    @property
    def refused_by_ledger(self) -> bool:
        """The ledger would refuse some entries and the caller did not ask to skip them."""
        return bool(self.report.rejected) and not self.skip_rejected

    def rejected_lines(self) -> list[str]:
        """One line per entry the ledger refused: where it came from and why."""
        return [
            f"{result.item.where}: entry {result.item.entry.entry_ref}: {result.reason}"
            for result in self.report.rejected
        ]

    def add_rejected_reasons(self, reasons: dict[int, list[str]]) -> None:
        """Adds the ledger's refusals to `reasons` (row → reasons), as the rejects file says them."""
        for result in self.report.rejected:
            for row in result.item.rows or (0,):
                reasons.setdefault(row, []).append(result.reason or str(result.error_name))

    def refusal(self, what: str) -> str:
        """The one line for entries the ledger would refuse, `what` naming the input (`entries of
        season.csv`, `entries`). A refusal found in a later window comes after earlier ones were
        recorded."""
        done = (
            "nothing was sent"
            if not self.recorded
            else f"the {self.recorded:,} entries before them were recorded"
        )
        return f"{len(self.report.rejected):,} {what} would be refused by the ledger: {done}"

    def summary(self, *, refused: int | None = None, detail: bool = False) -> str:
        """What happened, in one line: counts (`refused` overrides the ledger's count when the caller
        refused entries of its own), then, with `detail`, transactions, gas, time and rate."""
        refused = len(self.report.rejected) if refused is None else refused
        if self.report.dry_run:
            return (
                f"{self.checked:,} entries would be recorded, {self.already:,} already recorded, "
                f"{refused:,} refused; nothing sent (dry run)"
            )
        line = f"{self.recorded:,} recorded, {self.already:,} already recorded, {refused:,} refused"
        if not detail:
            return line
        report = self.report
        rate = (
            f", {self.recorded / report.seconds:,.0f} entries/s" if self.recorded and report.seconds else ""
        )
        transactions = f"{report.transactions:,} transaction{'' if report.transactions == 1 else 's'}"
        return f"{line}; {transactions}, {report.gas_used:,} gas, {report.seconds:,.1f} s{rate}"


def submit(
    ledger: LedgerClient,
    items: Sequence[Item],
    *,
    data_dir: Path,
    dry_run: bool = False,
    skip_rejected: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: ProgressCallback | None = None,
) -> Submission:
    """Checks, simulates and records `items` exactly once with the ledger's account, journalled in
    `data_dir` and helped by that data folder's audit index."""
    d = ledger.deployment
    journal = Journal.for_ledger(data_dir, d.chain_id, d.ledger)
    index = LedgerIndex.for_ledger(data_dir, d.chain_id, d.registry, d.ledger, d.block)
    report = Submitter(ledger, batch_size=batch_size, journal=journal, progress=progress, index=index).submit(
        list(items), dry_run=dry_run, skip_rejected=skip_rejected
    )
    return Submission(report, journal.path, skip_rejected)
