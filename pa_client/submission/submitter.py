"""Recording many entries exactly once, fast: the engine under `pa submit` and the HTTP API.

1. the entries are simulated in order on the current chain state (`eth_simulateV1`, one call per entry,
   each seeing the effects of the previous ones), so that every entry the ledger would refuse is named
   with the contract's reason before anything is sent, and those already on chain are set aside
   ("already recorded": re-sending is safe);
2. the good entries are sent in batches (`recordBatch`), signed locally, several transactions in
   flight, each confirmed by its receipt and written to the journal.
A batch that fails on chain (the state changed since the simulation) leaves no trace; its entries go
through both steps again.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from eth_utils.abi import function_signature_to_4byte_selector
from hexbytes import HexBytes
from web3.exceptions import TimeExhausted, TransactionNotFound
from web3.types import BlockIdentifier, TxParams

from pa_client.audit.index import LedgerIndex
from pa_client.chain import rpc
from pa_client.chain.ledger import LedgerClient, NotCorrectableError
from pa_client.chain.sender import GAS_MARGIN_PERCENT, RECEIPT_TIMEOUT_SECONDS
from pa_client.contract import ids
from pa_client.contract.encoding import AnyEntry, batch_call, entry_call, entry_log_data
from pa_client.contract.reverts import decode_revert, describe
from pa_client.domain.models import Correction
from pa_client.errors import ChainError, InputError
from pa_client.submission.journal import Journal, JournalLine, now
from pa_client.submission.sizes import DEFAULT_BATCH_SIZE as DEFAULT_BATCH_SIZE
from pa_client.submission.sizes import SIMULATION_WINDOW as SIMULATION_WINDOW

log = logging.getLogger("pa_client")

IN_FLIGHT = 16
MAX_ROUNDS = 4
GONE_AFTER_SECONDS = 5.0  # a sent batch the node has not known for this long will never be mined
_TX_GAS = 21_000
_BATCH_OVERHEAD_GAS = 60_000  # recordBatch's own loop, delegatecall and calldata copies
_CHAIN_OF = function_signature_to_4byte_selector("chainOf(bytes32)")


class Outcome(enum.StrEnum):
    RECORDED = "recorded"
    ALREADY = "already recorded"
    REJECTED = "rejected"
    CHECKED = "checked"  # a dry run found nothing wrong
    NOT_SENT = "not sent"  # another entry's problem stopped the submission


@dataclass(frozen=True)
class Item:
    """An entry to record, with where it came from (file and rows) for messages."""

    entry: AnyEntry
    rows: tuple[int, ...] = ()
    source: str = ""

    @property
    def where(self) -> str:
        if self.source and self.rows:
            return f"{self.source}:{self.rows[0]}"
        return f"entry {self.entry.entry_ref}"


@dataclass
class Result:
    item: Item
    outcome: Outcome
    reason: str | None = None
    error_name: str | None = None
    transaction: str | None = None
    block: int | None = None


@dataclass
class Report:
    results: list[Result]
    transactions: int = 0
    gas_used: int = 0
    seconds: float = 0.0
    dry_run: bool = False

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)

    @property
    def rejected(self) -> list[Result]:
        return [r for r in self.results if r.outcome is Outcome.REJECTED]


@dataclass
class _Planned:
    """Simulation results for the entries still to record."""

    rejected: dict[int, tuple[str, str]] = field(default_factory=dict)
    calls: dict[int, bytes] = field(default_factory=dict)
    gas: dict[int, int] = field(default_factory=dict)


ProgressCallback = Callable[[int, int], None]


class Submitter:
    """Submits entries with one account to one deployed ledger."""

    def __init__(
        self,
        ledger: LedgerClient,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        in_flight: int = IN_FLIGHT,
        window: int = SIMULATION_WINDOW,
        journal: Journal | None = None,
        progress: ProgressCallback | None = None,
        index: LedgerIndex | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch size must be at least 1")
        self.ledger = ledger
        self.w3 = ledger.w3
        self.sender = ledger.sender
        self.batch_size = batch_size
        self.in_flight = max(1, in_flight)
        self.window = max(1, window)
        self.journal = journal
        self.progress = progress
        self.index = index
        self._ledger_address = str(ledger.ledger.address)
        self._known_blocks: dict[tuple[str, str], int] | None = None

    # ------------------------------------------------------------ the whole run

    def submit(self, items: Sequence[Item], *, dry_run: bool = False, skip_rejected: bool = False) -> Report:
        """Records `items` in order, each exactly once. With `skip_rejected`, entries the ledger would
        refuse are reported and the others recorded; otherwise one refusal stops everything before
        anything is sent.

        Inputs larger than one simulation window (`window` entries) are checked and sent window by
        window: a refusal in a later window stops the submission after the earlier windows were
        recorded (a re-run then records the rest). A dry run needs the input within one window."""
        started = time.perf_counter()
        report = Report(results=[Result(item, Outcome.NOT_SENT) for item in items], dry_run=dry_run)
        if dry_run and len(items) > self.window:
            raise InputError(
                f"a dry run simulates at most {self.window:,} entries at once; this input has {len(items):,}: "
                "split it, or raise the window"
            )
        self._mark_duplicates(report)
        self._wait_for_own_pending_transactions()
        for start in range(0, len(items), self.window):
            window = range(start, min(len(items), start + self.window))
            if not self._submit_window(items, window, report, dry_run=dry_run, skip_rejected=skip_rejected):
                break
        report.seconds = time.perf_counter() - started
        return report

    def _submit_window(
        self, items: Sequence[Item], window: range, report: Report, *, dry_run: bool, skip_rejected: bool
    ) -> bool:
        """Checks and sends one window; False when a refusal stops the submission."""
        for _ in range(MAX_ROUNDS):
            todo = [i for i in window if report.results[i].outcome is Outcome.NOT_SENT]
            if not todo:
                return True
            planned = self._simulate(items, todo)
            for i, (name, reason) in planned.rejected.items():
                result = report.results[i]
                # The simulation refuses an entry whose reference is used: re-sending is safe.
                outcome = Outcome.ALREADY if name == "LedgerEntryExists" else Outcome.REJECTED
                result.outcome, result.error_name, result.reason = outcome, name, reason
            planned.rejected = {
                i: r for i, r in planned.rejected.items() if report.results[i].outcome is Outcome.REJECTED
            }
            if planned.rejected and not skip_rejected:
                return False
            good = [i for i in todo if report.results[i].outcome is Outcome.NOT_SENT]
            if dry_run:
                for i in good:
                    report.results[i].outcome = Outcome.CHECKED
                return True
            if self._send(items, good, planned, report):
                return True  # every batch confirmed
        left = sum(1 for i in window if report.results[i].outcome is Outcome.NOT_SENT)
        if left:
            # Never end as if all went well: these entries are on no receipt.
            raise ChainError(
                f"{left:,} entries were not recorded: their batches failed on chain in {MAX_ROUNDS} rounds "
                "(another sender changing the same authorisations?); run the submission again"
            )
        return True

    def _mark_duplicates(self, report: Report) -> None:
        first: dict[tuple[str, str], Item] = {}
        for result in report.results:
            entry = result.item.entry
            key = (entry.authorisation, entry.entry_ref)
            if key in first:
                result.outcome = Outcome.REJECTED
                result.error_name = "DuplicateEntry"
                result.reason = f"entry {entry.entry_ref} is given twice (first at {first[key].where})"
            else:
                first[key] = result.item

    # ------------------------------------------------------------ what the chain already has

    def _sequences(self, authorisations: set[str]) -> dict[str, int]:
        ordered = sorted(authorisations)
        calls = [_CHAIN_OF + ids.authorisation_id(a) for a in ordered]
        answers = rpc.call_many(
            self.w3, self._ledger_address, calls, what="read the authorisations' sequences"
        )
        return {a: int.from_bytes(answer[:32], "big") for a, answer in zip(ordered, answers, strict=True)}

    def _wait_for_own_pending_transactions(self, timeout: float = RECEIPT_TIMEOUT_SECONDS) -> None:
        """After a crash, transactions of this account may still be waiting for a block: wait for
        them, so that what is on chain is known before deciding what to send."""
        address = self.sender.account.address
        deadline = time.monotonic() + timeout

        def count(block: BlockIdentifier) -> int:
            return self.w3.eth.get_transaction_count(address, block)

        while count("pending") > count("latest"):
            if time.monotonic() > deadline:
                raise ChainError(f"transactions of {address} are still pending after {timeout:.0f} s")
            time.sleep(0.5)

    # ------------------------------------------------------------ simulation

    def _simulate(self, items: Sequence[Item], todo: list[int]) -> _Planned:
        """Simulates the entries in order. A correction of an entry of this same run carries that
        entry's predicted logged data, which holds its sequence number; an earlier entry found already
        recorded or refused shifts those numbers. So the refusals before the first mismatched
        correction (and every "already recorded") are settled, and the rest is simulated again.
        The sequence numbers are read again for each pass: another submitter may have recorded
        entries meanwhile (those of this run it recorded are settled as "already recorded")."""
        authorisations = {items[i].entry.authorisation for i in todo}
        settled: dict[int, tuple[str, str]] = {}
        moved = 0
        while True:
            base = self._sequences(authorisations)
            order = [i for i in todo if i not in settled]
            planned = self._simulate_once(items, order, base)
            first_mismatch = next(
                (
                    n
                    for n, i in enumerate(order)
                    if planned.rejected.get(i, ("",))[0] == "LedgerCorrectionMismatch"
                ),
                None,
            )
            newly = {
                i: planned.rejected[i]
                for n, i in enumerate(order)
                if i in planned.rejected
                and (
                    planned.rejected[i][0] == "LedgerEntryExists"
                    or (first_mismatch is not None and n < first_mismatch)
                )
            }
            if first_mismatch is None or not newly:
                if (
                    first_mismatch is not None
                    and moved < MAX_ROUNDS
                    and self._sequences(authorisations) != base
                ):
                    moved += 1  # another submitter recorded entries under the simulation: once more
                    continue
                planned.rejected.update(settled)
                return planned
            settled.update(newly)

    def _simulate_once(self, items: Sequence[Item], order: list[int], base: dict[str, int]) -> _Planned:
        planned = _Planned()
        sequence = dict(base)
        predicted: dict[tuple[str, str], bytes] = {}
        simulated: list[int] = []
        for i in order:
            entry = items[i].entry
            try:
                original = self._original(entry, predicted)
            except NotCorrectableError as error:
                planned.rejected[i] = ("LedgerNotCorrectable", str(error))
                continue
            except ChainError as error:
                planned.rejected[i] = ("LedgerUnknownEntry", str(error))
                continue
            sequence[entry.authorisation] += 1
            planned.calls[i] = entry_call(entry, original)
            predicted[(entry.authorisation, entry.entry_ref)] = entry_log_data(
                entry, sequence[entry.authorisation], original
            )
            simulated.append(i)
        outcomes = rpc.simulate(
            self.w3, self.sender.address, self._ledger_address, [planned.calls[i] for i in simulated]
        )
        for i, outcome in zip(simulated, outcomes, strict=True):
            if outcome.ok:
                planned.gas[i] = outcome.gas_used
                continue
            decoded = decode_revert(outcome.return_data)
            reason = describe(decoded)
            if decoded.name == "LedgerUnknownLot":
                reason = f"lot {decoded.args['lot']} exists neither on chain nor earlier in the file"
            planned.rejected[i] = (decoded.name, reason)
        return planned

    def _original(self, entry: AnyEntry, predicted: dict[tuple[str, str], bytes]) -> bytes:
        """For a correction, the logged data of the entry it corrects: predicted when that entry is in
        this run, read from the chain otherwise."""
        if not isinstance(entry, Correction):
            return b""
        key = (entry.authorisation, entry.corrects)
        if key in predicted:
            return predicted[key]
        if self._known_blocks is None:
            # Read once a run: where the audit index saw each entry, then where this data folder's
            # journal says it recorded it (a block to read first, checked against entryOf's hash).
            self._known_blocks = self.index.entry_blocks() if self.index is not None else {}
            self._known_blocks.update(self.journal.blocks() if self.journal is not None else {})
        try:
            return self.ledger.original_data(
                entry.authorisation, entry.corrects, block=self._known_blocks.get(key)
            )
        except ChainError:
            raise ChainError(
                f"entry {entry.corrects} is recorded neither on chain nor earlier in the file: nothing to correct"
            ) from None

    # ------------------------------------------------------------ sending

    def _batches(self, good: list[int], planned: _Planned) -> list[list[int]]:
        latest = self.w3.eth.get_block("latest")
        gas_cap = int(latest["gasLimit"] * 0.8)
        batches: list[list[int]] = []
        current: list[int] = []
        current_gas = _BATCH_OVERHEAD_GAS
        for i in good:
            gas = planned.gas[i] - _TX_GAS
            if current and (len(current) >= self.batch_size or current_gas + gas > gas_cap):
                batches.append(current)
                current, current_gas = [], _BATCH_OVERHEAD_GAS
            current.append(i)
            current_gas += gas
        if current:
            batches.append(current)
        return batches

    def _send(self, items: Sequence[Item], good: list[int], planned: _Planned, report: Report) -> bool:
        """Sends the batches, several in flight; True when every one was confirmed."""
        batches = self._batches(good, planned)
        fees = self.sender.fees()
        in_flight: list[tuple[HexBytes, list[int]]] = []
        all_confirmed = True
        done = 0
        total = len(good)
        for batch in batches:
            gas = _TX_GAS + _BATCH_OVERHEAD_GAS + sum(planned.gas[i] - _TX_GAS for i in batch)
            tx: dict[str, Any] = {
                "from": self.sender.address,
                "to": self._ledger_address,
                "data": batch_call([planned.calls[i] for i in batch]),
                "gas": gas + gas * GAS_MARGIN_PERCENT // 100,
                "nonce": self.sender.next_nonce(),
                "chainId": self.sender.chain_id,
                **fees,
            }
            in_flight.append((self._send_raw(tx), batch))
            if len(in_flight) >= self.in_flight:
                ok, count = self._confirm(items, *in_flight.pop(0), report)
                all_confirmed &= ok
                done += count
                self._report_progress(done, total)
        for tx_hash, batch in in_flight:
            ok, count = self._confirm(items, tx_hash, batch, report)
            all_confirmed &= ok
            done += count
            self._report_progress(done, total)
        return all_confirmed

    def _report_progress(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)

    def _send_raw(self, tx: dict[str, Any]) -> HexBytes:
        """Sends a signed batch (the transport tries a lost connection again); "already known" means
        that an earlier try arrived."""
        try:
            return self.sender.send_raw(cast(TxParams, tx), "send a batch")
        except ChainError as error:
            cause = str(error).lower()
            if "already known" in cause or "already imported" in cause:
                return HexBytes(self.sender.account.sign_transaction(tx).hash)
            raise

    def _receipt(self, tx_hash: HexBytes) -> Any:
        """The receipt, or None when the node no longer knows the transaction (another transaction of
        this account took its nonce — a second sender with the same key — or the node lost it)."""
        deadline = time.monotonic() + RECEIPT_TIMEOUT_SECONDS
        delay = 0.02
        checked = time.monotonic()
        unknown_since: float | None = None
        while True:
            try:
                return self.w3.eth.get_transaction_receipt(tx_hash)
            except TransactionNotFound:
                if time.monotonic() - checked >= 1.0:  # still waiting: is it still there at all?
                    checked = time.monotonic()
                    if self.sender.knows(tx_hash):
                        unknown_since = None
                    elif unknown_since is None:
                        unknown_since = checked
                    elif checked - unknown_since >= GONE_AFTER_SECONDS:
                        return None
            except ChainError as error:  # the transport gave up for now: keep waiting until the deadline
                log.warning("waiting for %s: %s", tx_hash.to_0x_hex(), error)
            if time.monotonic() > deadline:
                raise TimeExhausted(f"no receipt for {tx_hash.to_0x_hex()} after {RECEIPT_TIMEOUT_SECONDS} s")
            time.sleep(delay)
            delay = min(delay * 2, 0.05)

    def _confirm(
        self, items: Sequence[Item], tx_hash: HexBytes, batch: list[int], report: Report
    ) -> tuple[bool, int]:
        try:
            receipt = self._receipt(tx_hash)
        except TimeExhausted as error:
            raise ChainError(str(error)) from None
        if receipt is None:
            log.warning(
                "batch %s is no longer known to the node (its nonce was taken by another transaction of "
                "this account, or the node lost it): its %d entries are checked again",
                tx_hash.to_0x_hex(),
                len(batch),
            )
            self.sender.reset_nonce()
            return False, 0
        report.transactions += 1
        report.gas_used += int(receipt["gasUsed"])
        block = int(receipt["blockNumber"])
        if receipt["status"] != 1:
            log.warning(
                "batch %s failed in block %d: its %d entries are checked again",
                tx_hash.to_0x_hex(),
                block,
                len(batch),
            )
            return False, 0
        lines = []
        for i in batch:
            result = report.results[i]
            result.outcome, result.transaction, result.block = Outcome.RECORDED, tx_hash.to_0x_hex(), block
            entry = items[i].entry
            lines.append(
                JournalLine(
                    entry.authorisation,
                    entry.entry_ref,
                    "recorded",
                    result.transaction,
                    block,
                    items[i].where,
                    now(),
                )
            )
        if self.journal is not None:
            self.journal.append(lines)
        return True, len(batch)
