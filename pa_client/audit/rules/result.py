"""What the audit derives (`AuditResult`) and the completeness proofs it carries (`IntegrityResult`):
apart from the audit itself so that rules run on a result (the bill of discharge, lodged bills) can
be called by the audit."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

import pandas as pd

from pa_client.audit.rules.alerts import AlertThresholds
from pa_client.audit.tables import LedgerTables
from pa_client.domain.models import Authorisation


@dataclass(frozen=True)
class IntegrityResult:
    """The completeness proof of one authorisation as the caller checked it: the entries read from the
    logs, the sequence and rolling hash they give, and whether these equal the contract's `chainOf` at
    the audited block."""

    entries: int
    sequence: int
    head: bytes
    verified: bool
    gaps: tuple[int, ...] = ()
    detail: str = ""


def unverified(tables: LedgerTables, reference: str) -> IntegrityResult:
    """The logs' own chain, marked as not compared with the contract."""
    chain = tables.chains.get(reference)
    if chain is None:
        return IntegrityResult(0, 0, b"\0" * 32, False, (), "no entries read from the logs")
    return IntegrityResult(
        entries=chain.sequence - len(chain.gaps),
        sequence=chain.sequence,
        head=chain.head,
        verified=False,
        gaps=tuple(chain.gaps),
        detail="the rolling hash was not compared with the contract's",
    )


@dataclass(frozen=True, eq=False)
class AuditResult:
    """Every table the audit derives, for all authorisations audited (each table has an `authorisation`
    column; `for_authorisation` narrows them to one). Column lists: the schemas of each rule module
    (`placements.PLACEMENTS`, `discharges.DISCHARGES`, `fifo.ALLOCATIONS`, `duties.DUTY_DUE`,
    `yields.YIELDS`, `delays.RECORDING_DELAYS`, `stock.STOCK`, `stock.STOCK_HISTORY`,
    `stock.STOCK_BY_CODE`, `alerts.ALERTS`, `corrections.CORRECTED`, `lodging.BILLS`)."""

    as_of_block: int
    as_of_time: int  # Unix seconds
    today: date
    thresholds: AlertThresholds
    references: tuple[str, ...]
    terms: Mapping[str, Authorisation]  # the latest version of each authorisation
    integrity: Mapping[str, IntegrityResult]
    placements: pd.DataFrame
    discharges: pd.DataFrame
    allocations: pd.DataFrame
    duty_due: pd.DataFrame
    yields: pd.DataFrame
    recording_delays: pd.DataFrame
    stock: pd.DataFrame
    stock_history: pd.DataFrame
    stock_by_code: pd.DataFrame
    alerts: pd.DataFrame
    corrected: pd.DataFrame  # `corrections.CORRECTED`: the records a correction reversed, and why
    bills: pd.DataFrame  # `lodging.BILLS`: each period end's bill of discharge, lodged or not
    tables: LedgerTables = field(repr=False)
    # The registry's events read (entries) and rolling hash, compared with its `registryChain`: the
    # set of authorisations and their terms is complete. None: not compared.
    registry: IntegrityResult | None = None
    # Which of `--as-of`, `--at-block`, `--today` the audit was drawn by, in the reports' words
    # ("as of end of 2019-04-01 (block 1,200)", "at block 1,200", "deadlines judged on 2019-04-01
    # (latest block 1,200)"; no ", " in it, so that it can close a list).
    basis: str = ""
    left_out: int = 0  # records in the audited blocks that say they occurred after the `--as-of` day

    def for_authorisation(self, reference: str) -> AuditResult:
        """The same result narrowed to one authorisation."""
        if reference not in self.references:
            raise KeyError(f"authorisation {reference} is not in this audit")

        def one(frame: pd.DataFrame) -> pd.DataFrame:
            return _only(frame, reference).reset_index(drop=True)

        return replace(
            self,
            references=(reference,),
            terms={k: v for k, v in self.terms.items() if k == reference},
            integrity={k: v for k, v in self.integrity.items() if k == reference},
            placements=one(self.placements),
            discharges=one(self.discharges),
            allocations=one(self.allocations),
            duty_due=one(self.duty_due),
            yields=one(self.yields),
            recording_delays=one(self.recording_delays),
            stock=one(self.stock),
            stock_history=one(self.stock_history),
            stock_by_code=one(self.stock_by_code),
            alerts=one(self.alerts),
            corrected=one(self.corrected),
            bills=one(self.bills),
            tables=restrict(self.tables, [reference]),
        )

    def import_units(self) -> dict[str, str]:
        """Each import goods code's unit, from its first placement."""
        first = self.placements.drop_duplicates("goods_code")
        return dict(zip(first["goods_code"].tolist(), first["unit"].tolist(), strict=True))

    def duty_total_cents(self, reference: str, basis: str | None = None) -> int:
        frame = _only(self.duty_due, reference)
        if basis is not None:
            frame = frame.loc[frame["basis"] == basis]
        return sum(int(v) for v in frame["amount_cents"].tolist())


def _only(frame: pd.DataFrame, reference: str) -> pd.DataFrame:
    if frame.empty:
        return frame
    return frame.loc[frame["authorisation"] == reference]


def restrict(tables: LedgerTables, references: Collection[str]) -> LedgerTables:
    """The tables of some authorisations only."""
    wanted = set(references)
    return LedgerTables(
        tables={
            name: frame.loc[frame["authorisation"].isin(wanted)].reset_index(drop=True)
            for name, frame in tables.tables.items()
        },
        authorisations={k: v for k, v in tables.authorisations.items() if k in wanted},
        statuses={k: v for k, v in tables.statuses.items() if k in wanted},
        chains={k: v for k, v in tables.chains.items() if k in wanted},
        as_of_block=tables.as_of_block,
        as_of_time=tables.as_of_time,
        registry_chain=tables.registry_chain,
    )
