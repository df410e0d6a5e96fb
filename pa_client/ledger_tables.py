"""The ledger as tables: raw logs decoded straight into columns (no per-entry objects), one pandas
DataFrame per kind of record, plus the authorisations' versions and statuses.

This is the boundary between extraction and the audit rules (docs/audit-model.md): everything the
rules know comes from here, and everything here comes from the logs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from eth_utils.crypto import keccak

from . import codes
from .abi_codec import decode
from .artifacts import load_artifact
from .contract_errors import _type_string
from .encoding import AUTHORISATION_STATUSES, DISCHARGE_MODES, decode_terms
from .integrity import ZERO_HEAD
from .logs import record_events
from .models import Authorisation

COMMON = [
    "authorisation",
    "sequence",
    "entry_ref",
    "occurred_at",
    "block",
    "log_index",
    "block_time",
    "account",
]
COLUMNS: dict[str, list[str]] = {
    "placements": [
        *COMMON, "lot", "goods_code", "description", "quantity", "unit", "site", "declaration", "procedure",
        "customs_value_cents", "duty_rate_ppm", "origin",
    ],
    "movements": [*COMMON, "lot", "quantity", "from_site", "to_site"],
    "processing_inputs": [*COMMON, "site", "lot", "quantity"],
    "processing_outputs": [*COMMON, "site", "lot", "product_code", "description", "quantity", "unit", "version"],
    "handlings": [*COMMON, "lot", "goods_code"],
    "discharges": [*COMMON, "lot", "quantity", "site", "mode", "declaration", "procedure"],
    "corrections": [*COMMON, "corrects", "reason"],
    "extensions": [*COMMON, "placement", "new_deadline", "reason"],
}  # fmt: skip
TABLE_OF_KIND = {
    "placement": "placements",
    "movement": "movements",
    "handling": "handlings",
    "discharge": "discharges",
    "correction": "corrections",
    "extension": "extensions",
}


@dataclass(frozen=True)
class AuthorisationVersion:
    version: int
    block: int
    log_index: int
    terms: Authorisation


@dataclass(frozen=True)
class StatusChange:
    block: int
    status: str
    reason: str


@dataclass
class Chain:
    """An authorisation's completeness proof recomputed from its logs as they are read."""

    sequence: int = 0
    head: bytes = ZERO_HEAD
    gaps: list[int] = field(default_factory=list)


@dataclass
class LedgerTables:
    """Everything the audit rules work from (see docs/audit-model.md)."""

    tables: dict[str, pd.DataFrame]
    authorisations: dict[str, list[AuthorisationVersion]]
    statuses: dict[str, list[StatusChange]]
    chains: dict[str, Chain]
    as_of_block: int
    as_of_time: int

    @property
    def placements(self) -> pd.DataFrame:
        return self.tables["placements"]

    @property
    def movements(self) -> pd.DataFrame:
        return self.tables["movements"]

    @property
    def processing_inputs(self) -> pd.DataFrame:
        return self.tables["processing_inputs"]

    @property
    def processing_outputs(self) -> pd.DataFrame:
        return self.tables["processing_outputs"]

    @property
    def handlings(self) -> pd.DataFrame:
        return self.tables["handlings"]

    @property
    def discharges(self) -> pd.DataFrame:
        return self.tables["discharges"]

    @property
    def corrections(self) -> pd.DataFrame:
        return self.tables["corrections"]

    @property
    def extensions(self) -> pd.DataFrame:
        return self.tables["extensions"]

    def records_per_authorisation(self) -> dict[str, int]:
        """How many records the tables hold per authorisation (a processing is one record over
        several rows): equal to the chain's sequence when no record is missing."""
        pairs: set[tuple[str, int]] = set()
        for frame in self.tables.values():
            pairs.update(zip(frame["authorisation"], frame["sequence"], strict=True))
        counts: dict[str, int] = defaultdict(int)
        for reference, _ in pairs:
            counts[reference] += 1
        return dict(counts)

    def version(self, reference: str, number: int) -> Authorisation:
        for version in self.authorisations[reference]:
            if version.version == number:
                return version.terms
        raise KeyError(f"{reference} has no version {number}")


def _registry_events() -> dict[bytes, tuple[str, tuple[str, ...]]]:
    from eth_utils.abi import event_signature_to_log_topic

    events = {}
    for item in load_artifact("AuthorisationRegistry").abi:
        if item["type"] != "event":
            continue
        types = [_type_string(i) for i in item["inputs"]]
        topic = event_signature_to_log_topic(f"{item['name']}({','.join(types)})")
        data_types = tuple(_type_string(i) for i in item["inputs"] if not i["indexed"])
        events[topic] = (item["name"], data_types)
    return events


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else bytes.fromhex(str(value)[2:])


def _text(raw: bytes) -> str:
    return raw.rstrip(b"\0").decode("ascii")


class TableBuilder:
    """Accumulates decoded logs (in chain order) into rows, and each authorisation's rolling hash."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in COLUMNS}
        self.authorisations: dict[str, list[AuthorisationVersion]] = defaultdict(list)
        self.statuses: dict[str, list[StatusChange]] = defaultdict(list)
        self.chains: dict[str, Chain] = defaultdict(Chain)
        self._records = record_events()
        self._registry = _registry_events()
        self._reference_of: dict[bytes, str] = {}
        self._versions_by_id: dict[bytes, list[AuthorisationVersion]] = defaultdict(list)

    def add_logs(
        self, logs: Iterable[Mapping[str, Any]], block_times: Mapping[int, int] | None = None
    ) -> None:
        for raw in logs:
            self.add(raw, block_times)

    def add(self, raw: Mapping[str, Any], block_times: Mapping[int, int] | None = None) -> None:
        topics = [_bytes(t) for t in raw["topics"]]
        if not topics:
            return
        block = _int(raw["blockNumber"])
        log_index = _int(raw["logIndex"])
        data = _bytes(raw["data"])
        event = self._records.get(topics[0])
        if event is not None:
            if "blockTimestamp" in raw and raw["blockTimestamp"] is not None:
                block_time = _int(raw["blockTimestamp"])
            elif block_times is not None:
                block_time = block_times[block]
            else:
                raise ValueError(f"no time for block {block}")
            self._add_record(event.kind, event.data_types, topics, data, block, log_index, block_time)
            return
        registry_event = self._registry.get(topics[0])
        if registry_event is not None:
            self._add_registry(registry_event[0], registry_event[1], topics, data, block, log_index)

    def _add_record(
        self,
        kind: str,
        data_types: tuple[str, ...],
        topics: list[bytes],
        data: bytes,
        block: int,
        log_index: int,
        block_time: int,
    ) -> None:
        sequence, struct = decode(data_types, data)
        (authorisation, entry_ref, occurred_at, _documents), *fields = struct
        self._reference_of.setdefault(topics[1], authorisation)
        chain = self.chains[authorisation]
        if sequence != chain.sequence + 1:
            chain.gaps.extend(range(chain.sequence + 1, sequence))
        chain.sequence = sequence
        chain.head = keccak(chain.head + keccak(b"".join(topics) + keccak(data)))
        common = (
            authorisation,
            sequence,
            entry_ref,
            occurred_at,
            block,
            log_index,
            block_time,
            "0x" + topics[3][-20:].hex(),
        )
        if kind == "processing":
            site, inputs, outputs = fields
            version = self._version_at(topics[1], block, log_index)
            for lot, quantity in inputs:
                self.rows["processing_inputs"].append((*common, site, lot, quantity))
            for lot, code, description, quantity, unit in outputs:
                self.rows["processing_outputs"].append(
                    (*common, site, lot, codes.int_to_cn(code), description, quantity, _text(unit), version)
                )
            return
        table = TABLE_OF_KIND[kind]
        row: tuple[Any, ...]
        if kind == "placement":
            lot, goods, description, quantity, unit, site, declaration, procedure, value, rate, origin = (
                fields
            )
            row = (lot, codes.int_to_cn(goods), description, quantity, _text(unit), site, declaration, procedure, value, rate, _text(origin))  # fmt: skip
        elif kind == "movement":
            row = tuple(fields)
        elif kind == "handling":
            lot, goods = fields
            row = (lot, codes.int_to_cn(goods))
        elif kind == "discharge":
            lot, quantity, site, mode, declaration, procedure = fields
            row = (lot, quantity, site, DISCHARGE_MODES[mode].value, declaration or None, procedure)
        elif kind == "correction":
            corrects, reason, _original = fields
            row = (corrects, reason)
        else:  # extension
            placement, new_deadline, reason = fields
            row = (placement, pd.Timestamp(new_deadline, unit="s", tz="UTC").date(), reason)
        self.rows[table].append((*common, *row))

    def _version_at(self, authorisation_id: bytes, block: int, log_index: int) -> int:
        current = 0
        for version in self._versions_by_id[authorisation_id]:
            if (version.block, version.log_index) < (block, log_index):
                current = version.version
        return current

    def _add_registry(
        self,
        name: str,
        data_types: tuple[str, ...],
        topics: list[bytes],
        data: bytes,
        block: int,
        log_index: int,
    ) -> None:
        values = decode(data_types, data)
        if name in ("AuthorisationRegistered", "AuthorisationAmended"):
            version_number, terms = values
            authorisation = decode_terms(terms)
            version = AuthorisationVersion(version_number, block, log_index, authorisation)
            self.authorisations[authorisation.reference].append(version)
            self._versions_by_id[topics[1]].append(version)
            self._reference_of[topics[1]] = authorisation.reference
        elif name == "AuthorisationStatusChanged":
            _previous, status, reason = values
            reference = self._reference_of.get(topics[1], "0x" + topics[1].hex())
            self.statuses[reference].append(StatusChange(block, AUTHORISATION_STATUSES[status], reason))

    def frames(self) -> dict[str, pd.DataFrame]:
        """The rows read so far, one raw frame per table (times still in Unix seconds)."""
        return {name: pd.DataFrame(self.rows[name], columns=columns) for name, columns in COLUMNS.items()}

    def build(
        self, as_of_block: int, as_of_time: int, frames: dict[str, pd.DataFrame] | None = None
    ) -> LedgerTables:
        """The tables: `frames` (e.g. from the index) or the rows read, with this builder's
        authorisations and chains."""
        tables = {}
        for name, frame in (frames if frames is not None else self.frames()).items():
            frame = frame.copy()
            for column in ("occurred_at", "block_time"):
                frame[column] = pd.to_datetime(frame[column].astype("int64"), unit="s", utc=True)
            frame["corrected"] = False
            tables[name] = frame
        _mark_corrected(tables)
        return LedgerTables(
            tables=tables,
            authorisations=dict(self.authorisations),
            statuses=dict(self.statuses),
            chains=dict(self.chains),
            as_of_block=as_of_block,
            as_of_time=as_of_time,
        )


def _mark_corrected(tables: dict[str, pd.DataFrame]) -> None:
    """Flags the entries that a correction reversed (their effects are gone on chain)."""
    corrections = tables["corrections"]
    if corrections.empty:
        return
    reversed_keys = set(zip(corrections["authorisation"], corrections["corrects"], strict=True))
    for name, frame in tables.items():
        if name == "corrections" or frame.empty:
            continue
        keys = pd.Series(
            list(zip(frame["authorisation"], frame["entry_ref"], strict=True)), index=frame.index
        )
        frame["corrected"] = keys.isin(reversed_keys)
