"""Running an audit: bring the local index up to the audited block, prove each authorisation's
completeness against the contract, and apply the rules.

The audited block is the chain's head less the confirmation depth (or `--at-block`). For each
authorisation the rolling hash recomputed from the logs must equal the contract's `chainOf` at that
block, and the tables must hold as many records as the sequence says; the registry's rolling hash
over its events (registrations, amendments, status, declarant and role changes) must equal its
`registryChain`, so that no authorisation, and no change of one, is missing or altered. When they do
not, the index is rebuilt from the chain once; if the logs still do not prove the contract's state, the audit reports an
`integrity` alert of the highest severity (and `pa audit` exits non-zero).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from datetime import time as day_time

from pa_client.audit.index import LedgerIndex, Progress
from pa_client.audit.rules import AlertThresholds, AuditResult, IntegrityResult, audit
from pa_client.audit.rules.frames import gc_paused
from pa_client.audit.tables import LedgerTables
from pa_client.chain.extract import head_block, last_block_by
from pa_client.chain.ledger import LedgerClient
from pa_client.errors import ChainError, InputError
from pa_client.settings import Settings

log = logging.getLogger("pa_client")


@dataclass(frozen=True)
class AuditRun:
    result: AuditResult
    block: int
    rebuilt: bool

    @property
    def verified(self) -> bool:
        registry = self.result.registry
        return (registry is None or registry.verified) and all(
            check.verified for check in self.result.integrity.values()
        )


def verify_registry(ledger: LedgerClient, tables: LedgerTables, block: int) -> IntegrityResult:
    """The registry's chain from its logs compared with the contract's at `block`."""
    chain = tables.registry_chain
    events, head = ledger.registry_chain(block)
    verified = (chain.sequence, chain.head) == (events, head)
    return IntegrityResult(
        entries=chain.sequence,
        sequence=events,
        head=chain.head,
        verified=verified,
        detail=""
        if verified
        else (
            f"the registry's logs give {chain.sequence:,} events and head 0x{chain.head.hex()[:16]}…, the "
            f"registry {events:,} events and head 0x{head.hex()[:16]}…: an authorisation, or a change of "
            "one, is missing from the logs or altered"
        ),
    )


def verify(
    ledger: LedgerClient, tables: LedgerTables, block: int, registry: IntegrityResult | None = None
) -> dict[str, IntegrityResult]:
    """Each authorisation's chain from the logs compared with the contract's at `block`; none is
    verified when the registry's is not (`registry`, compared here when not given): its terms, or
    its very registration, may be missing or altered."""
    if registry is None:
        registry = verify_registry(ledger, tables, block)
    references = sorted(set(tables.authorisations) | set(tables.chains))
    counted = tables.records_per_authorisation()
    results = {}
    for reference, on_chain in zip(references, ledger.chains(references, block), strict=True):
        chain = tables.chains.get(reference)
        sequence, head, gaps = (
            (chain.sequence, chain.head, tuple(chain.gaps)) if chain else (0, b"\0" * 32, ())
        )
        entries = counted.get(reference, 0)
        problems = []
        if gaps:
            problems.append(f"records {', '.join(map(str, gaps[:5]))} are missing from the logs")
        if (sequence, head) != on_chain:
            problems.append(
                f"the logs give {sequence:,} records and head 0x{head.hex()[:16]}…, the contract "
                f"{on_chain[0]:,} records and head 0x{on_chain[1].hex()[:16]}…"
            )
        if entries != sequence:
            problems.append(f"the tables hold {entries:,} records for a sequence of {sequence:,}")
        if not registry.verified:
            problems.append(registry.detail)
        results[reference] = IntegrityResult(
            entries=entries,
            sequence=sequence,
            head=head,
            verified=not problems,
            gaps=gaps,
            detail="; ".join(problems),
        )
    return results


def run_audit(
    ledger: LedgerClient,
    settings: Settings,
    *,
    at_block: int | None = None,
    today: date | None = None,
    thresholds: AlertThresholds | None = None,
    references: list[str] | None = None,
    progress: Progress | None = None,
    as_of: date | None = None,
) -> AuditRun:
    """Audits the ledger as of `at_block` (default: the head less the confirmation depth), or with
    `as_of` as it stood at the end of that day (UTC): at the last block by then, without the records
    that say they occurred later, deadlines judged that day."""
    if as_of is not None and (at_block is not None or today is not None):
        raise InputError("--as-of gives both the block and the day: leave out --at-block and --today")
    w3 = ledger.w3
    deployment = ledger.deployment
    head = head_block(w3, settings.confirmations)
    cut: int | None = None
    if as_of is not None:
        cut = end_of_day(as_of)
        at_block = last_block_by(w3, cut, min(deployment.block, head), head)
        today = as_of
    block = at_block if at_block is not None else head
    index = LedgerIndex.for_ledger(
        settings.data_dir, deployment.chain_id, deployment.registry, deployment.ledger, deployment.block
    )
    try:
        # Reading makes millions of small objects and no cycles: a collection would walk them all.
        with gc_paused():
            run = _audit_index(ledger, index, block, at_block, today, thresholds, references, progress, cut)
        run = AuditRun(
            replace(run.result, basis=basis(block, as_of, at_block, today)), run.block, run.rebuilt
        )
    except BaseException:
        try:
            index.wait()  # the part written beside the rules; the audit's own error is the one to show
        except Exception as error:
            log.warning("writing the index failed as well: %s", error)
        raise
    index.wait()
    return run


def _audit_index(
    ledger: LedgerClient,
    index: LedgerIndex,
    block: int,
    at_block: int | None,
    today: date | None,
    thresholds: AlertThresholds | None,
    references: list[str] | None,
    progress: Progress | None,
    cut: int | None = None,
) -> AuditRun:
    w3 = ledger.w3
    started = time.perf_counter()
    tables = index.update(w3, block, progress, wait=False)
    registry = verify_registry(ledger, tables, block)
    integrity = verify(ledger, tables, block, registry)
    log.info(
        "%s records up to block %s read and proven in %.1f s",
        f"{sum(check.entries for check in integrity.values()):,}",
        f"{block:,}",
        time.perf_counter() - started,
    )
    rebuilt = False
    proven = registry.verified and all(check.verified for check in integrity.values())
    if not proven and at_block is None:
        log.warning("the index does not prove the contract's state: rebuilding it from the chain")
        index.clear()
        tables = index.update(w3, block, progress, wait=False)
        registry = verify_registry(ledger, tables, block)
        integrity = verify(ledger, tables, block, registry)
        rebuilt = True
    day = today or datetime.fromtimestamp(tables.as_of_time, UTC).date()
    left_out = 0
    if cut is not None:
        tables, left_out = tables.occurred_by(cut)
    started = time.perf_counter()
    try:
        result = audit(
            tables,
            today=day,
            thresholds=thresholds or AlertThresholds(),
            integrity=integrity,
            references=references,
            registry=registry,
        )
    except Exception as error:
        unproven = {ref: check.detail for ref, check in integrity.items() if not check.verified}
        if not registry.verified:
            unproven["the registry"] = registry.detail
        if not unproven:
            raise  # the rules failed on proven logs: a bug, shown whole
        # Logs missing from what the node answered can leave records that refer to missing ones,
        # which the rules cannot compute: say why in one line rather than fail in the rules.
        problems = "; ".join(f"{ref}: {detail}" for ref, detail in sorted(unproven.items()))
        raise ChainError(
            f"the logs read from the node do not prove the contract's state ({problems}); no audit can be "
            f"computed from them ({type(error).__name__}: {error})"
        ) from None
    log.info("rules applied in %.1f s", time.perf_counter() - started)
    return AuditRun(replace(result, left_out=left_out), block, rebuilt)


def end_of_day(day: date) -> int:
    """The last second of `day` (UTC), in Unix seconds."""
    return int(datetime.combine(day, day_time(23, 59, 59), UTC).timestamp())


def basis(block: int, as_of: date | None, at_block: int | None, today: date | None) -> str:
    """Which of `--as-of`, `--at-block` and `--today` an audit was drawn by, as the reports say it."""
    if as_of is not None:
        return f"as of end of {as_of.isoformat()} (block {block:,})"
    if at_block is not None and today is not None:
        return f"at block {block:,} with deadlines judged on {today.isoformat()}"
    if at_block is not None:
        return f"at block {block:,}"
    if today is not None:
        return f"deadlines judged on {today.isoformat()} (latest block {block:,})"
    return f"at block {block:,} (the latest)"
