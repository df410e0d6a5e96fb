"""The ledger as tables: raw logs decoded straight into columns (no per-entry objects), one pandas
DataFrame per kind of record, plus the authorisations' versions and statuses.

This is the boundary between extraction and the audit rules (docs/audit-model.md): everything the
rules know comes from here, and everything here comes from the logs.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from pa_client.contract.abi_codec import decode, decoder_for
from pa_client.contract.abi_columns import MalformedDataError, RecordBuffer, column_leaves
from pa_client.contract.artifacts import abi_type, load_artifact
from pa_client.contract.encoding import AUTHORISATION_STATUSES, DISCHARGE_MODES, decode_terms
from pa_client.contract.events import record_events
from pa_client.contract.hashing import keccak_256
from pa_client.contract.rolling_hash import ZERO_HEAD, next_head
from pa_client.domain import codes
from pa_client.domain.models import Authorisation

log = logging.getLogger("pa_client")

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
    "bills": [*COMMON, "period_start", "period_end", "due", "bill_sha256"],
}  # fmt: skip
TABLE_OF_KIND = {
    "placement": "placements",
    "movement": "movements",
    "handling": "handlings",
    "discharge": "discharges",
    "correction": "corrections",
    "extension": "extensions",
    "bill": "bills",
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
    """An authorisation's completeness proof recomputed from its logs as they are read (or the
    registry's: its events, counted, no gaps possible)."""

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
    registry_chain: Chain = field(default_factory=Chain)  # every registry event read, in chain order

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

    @property
    def bills(self) -> pd.DataFrame:
        """Bills of discharge lodged: the period, the due date and the SHA-256 (hex) of the bill."""
        return self.tables["bills"]

    def records_per_authorisation(self) -> dict[str, int]:
        """How many records the tables hold per authorisation (a processing is one record over
        several rows): equal to the chain's sequence when no record is missing."""
        filled = [frame for frame in self.tables.values() if len(frame)]
        if not filled:
            return {}
        references, unique = factorize(
            np.concatenate([f["authorisation"].to_numpy(dtype=object) for f in filled])
        )
        sequences, _ = factorize(np.concatenate([f["sequence"].to_numpy() for f in filled]))
        pairs = np.unique(references * (int(sequences.max()) + 1) + sequences)
        counts = np.bincount(pairs // (int(sequences.max()) + 1), minlength=len(unique))
        return {str(reference): int(count) for reference, count in zip(unique, counts, strict=True)}

    def occurred_by(self, moment: int) -> tuple[LedgerTables, int]:
        """These tables without the records that say they occurred after `moment` (Unix seconds),
        corrections re-marked, and how many records were left out."""
        cut = pd.Timestamp(moment, unit="s", tz="UTC")
        tables = {}
        left_out: set[tuple[str, int]] = set()
        for name, frame in self.tables.items():
            late = frame["occurred_at"] > cut
            left_out.update(
                zip(frame["authorisation"][late], frame["sequence"][late].astype(int), strict=True)
            )
            kept = frame[~late].copy(deep=False)
            kept["corrected"] = False
            tables[name] = kept.reset_index(drop=True)
        mark_corrected(tables)
        return replace(self, tables=tables), len(left_out)

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
        types = [abi_type(i) for i in item["inputs"]]
        topic = event_signature_to_log_topic(f"{item['name']}({','.join(types)})")
        data_types = tuple(abi_type(i) for i in item["inputs"] if not i["indexed"])
        events[topic] = (item["name"], data_types)
    return events


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else bytes.fromhex(str(value)[2:])


def _text(raw: bytes) -> str:
    return raw.rstrip(b"\0").decode("ascii")


_MODES = tuple(mode.value for mode in DISCHARGE_MODES)
_cn = codes.int_to_cn


def _block_time(raw: Mapping[str, Any], block_times: Mapping[int, int] | None) -> int:
    timestamp = raw.get("blockTimestamp")
    if timestamp is not None:
        return _int(timestamp)
    block = _int(raw["blockNumber"])
    if block_times is None:
        raise ValueError(f"no time for block {block}")
    return block_times[block]


def _day(seconds: int) -> Any:
    return pd.Timestamp(seconds, unit="s", tz="UTC").date()


def _hex(raw: bytes) -> str:
    return bytes(raw).hex()


def _mapped(function: Callable[[Any], Any], column: Any) -> Any:
    """`function` of each value of a column, called once per distinct value (codes, units, days)."""
    if isinstance(column, np.ndarray):
        distinct, positions = np.unique(column, return_inverse=True)
        values = np.empty(len(distinct), dtype=object)
        values[:] = [function(v) for v in distinct.tolist()]
        return values[positions.ravel()]
    memo = {value: function(value) for value in set(column)}
    return [memo[value] for value in column]


def _objects(column: Any) -> Any:
    """A column as an array (to be indexed by position)."""
    if isinstance(column, np.ndarray):
        return column
    array = np.empty(len(column), dtype=object)
    array[:] = column
    return array


def _or_none(column: list[str]) -> list[str | None]:
    return [value or None for value in column]


_MODE_OBJECTS = np.array(_MODES, dtype=object)

# The columns of each kind of record after the common ones, from its decoded fields' leaves (as the
# struct lists them; `abi_columns`), laid out as `_record_rows` lays out a row. Processing records,
# whose inputs and outputs make rows in two tables, are laid out by `TableBuilder._columns`.
_COLUMNS_OF_KIND: dict[str, tuple[str, Callable[[list[Any]], list[Any]]]] = {
    "placement": (
        "placements",
        lambda f: [
            f[0](),
            _mapped(_cn, f[1]()),
            f[2](),
            f[3](),
            _mapped(_text, f[4]()),
            f[5](),
            f[6](),
            f[7](),
            f[8](),
            f[9](),
            _mapped(_text, f[10]()),
        ],
    ),
    "movement": ("movements", lambda f: [f[0](), f[1](), f[2](), f[3]()]),
    "handling": ("handlings", lambda f: [f[0](), _mapped(_cn, f[1]())]),
    "discharge": (
        "discharges",
        lambda f: [f[0](), f[1](), f[2](), _MODE_OBJECTS[f[3]()], _or_none(f[4]()), f[5]()],
    ),
    "correction": ("corrections", lambda f: [f[0](), f[1]()]),
    "extension": ("extensions", lambda f: [f[0](), _mapped(_day, f[1]()), f[2]()]),
    "bill": (
        "bills",
        lambda f: [
            _mapped(_day, f[0]()),
            _mapped(_day, f[1]()),
            _mapped(_day, f[2]()),
            _mapped(_hex, f[3]()),
        ],
    ),
}


class RecordTrace(NamedTuple):
    """One record as the builder added it (`add`, `add_logs(..., traces)`): its common columns and
    its authorisation's rolling hash after it (the live pages show it)."""

    kind: str
    authorisation: str
    sequence: int
    entry_ref: str
    occurred_at: int  # Unix seconds
    block: int
    log_index: int
    block_time: int  # Unix seconds
    account: str
    head: bytes


_Common = tuple[str, int, str, int, int, int, int, str]  # a record's values of COMMON


@dataclass(frozen=True)
class _RecordType:
    kind: str
    table: str  # "" for processing (rows in two tables)
    data_types: tuple[str, ...]
    decode: Callable[[bytes], tuple[Any, ...]]


class TableBuilder:
    """Accumulates decoded logs (in chain order) into rows, and each authorisation's rolling hash.

    Logs as the node gives them (hex text) are decoded a page at a time into columns (`add_logs`);
    others, and records whose data does not decode, one by one into rows (`add`)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in COLUMNS}
        self.chunks: dict[str, list[list[Any]]] = {name: [] for name in COLUMNS}
        self.authorisations: dict[str, list[AuthorisationVersion]] = defaultdict(list)
        self.statuses: dict[str, list[StatusChange]] = defaultdict(list)
        self.chains: dict[str, Chain] = defaultdict(Chain)
        self._records = record_events()
        # topic0 as the node writes it ("0x" + lower-case hex) -> the record's type
        self._record_types = {
            "0x" + topic.hex(): _RecordType(
                event.kind,
                _COLUMNS_OF_KIND[event.kind][0] if event.kind in _COLUMNS_OF_KIND else "",
                event.data_types,
                decoder_for(event.data_types),
            )
            for topic, event in self._records.items()
        }
        self._registry = _registry_events()
        self.registry_chain = Chain()
        self._reference_of: dict[bytes, str] = {}
        self._seen_ids: set[str] = set()  # authorisation ids (topic 1, hex) whose reference is known
        self._versions_by_id: dict[bytes, list[AuthorisationVersion]] = defaultdict(list)

    def add_logs(
        self,
        logs: Iterable[Mapping[str, Any]],
        block_times: Mapping[int, int] | None = None,
        traces: list[RecordTrace | None] | None = None,
    ) -> None:
        """Adds logs in chain order: the node's records in batches (`_add_batch`), anything else one by
        one, after the records before it. `traces`, when given, gets one item per log: the record's
        trace, or None for another log."""
        types = self._record_types
        batch: list[Mapping[str, Any]] = []
        for raw in logs:
            topics = raw["topics"]
            if (
                len(topics) == 4
                and isinstance(topics[0], str)
                and topics[0] in types
                and isinstance(raw["data"], str | bytes)
            ):
                batch.append(raw)
                continue
            if batch:
                self._add_batch(batch, block_times, traces)
                batch = []
            trace = self.add(raw, block_times)
            if traces is not None:
                traces.append(trace)
        if batch:
            self._add_batch(batch, block_times, traces)

    def _add_batch(
        self,
        logs: list[Mapping[str, Any]],
        block_times: Mapping[int, int] | None,
        traces: list[RecordTrace | None] | None = None,
    ) -> None:
        """Record logs (four hex topics, data as hex text or bytes): decoded into columns per kind, then
        each authorisation's rolling hash extended in chain order (the hot path: it runs for every
        record)."""
        count = len(logs)
        topics = [raw["topics"] for raw in logs]
        datas = [_bytes(raw["data"]) for raw in logs]
        blocks = np.array([_int(raw["blockNumber"]) for raw in logs], dtype=np.int64)
        log_indexes = np.array([_int(raw["logIndex"]) for raw in logs], dtype=np.int64)
        times = np.array([_block_time(raw, block_times) for raw in logs], dtype=np.int64)
        accounts = np.array(["0x" + t[3][-40:].lower() for t in topics], dtype=object)
        groups: dict[str, list[int]] = defaultdict(list)
        for position, t in enumerate(topics):
            groups[t[0]].append(position)
        authorisations = np.empty(count, dtype=object)
        sequences = np.empty(count, dtype=object)
        decoded_groups = []
        for topic0, positions in groups.items():
            record_type = self._record_types[topic0]
            at = np.array(positions, dtype=np.int64)
            common = (blocks[at], log_indexes[at], times[at], accounts[at])
            group = [datas[p] for p in positions]
            identifiers = (
                [bytes.fromhex(topics[p][1][2:]) for p in positions] if not record_type.table else []
            )
            try:
                decoded = self._columns(record_type, group, common, identifiers)
            except MalformedDataError:  # one by one, into rows
                identifiers = identifiers or [bytes.fromhex(topics[p][1][2:]) for p in positions]
                decoded = self._rows_one_by_one(record_type, group, identifiers, common)
            authorisations[at], sequences[at] = decoded[0], decoded[1]
            decoded_groups.append((record_type.kind, at, decoded))
        self._note_references(topics, authorisations)
        # The rolling hashes: each record's entry hash, then each authorisation's head over its own
        # records in chain order (a tight loop per authorisation).
        hash_of = keccak_256
        entries = [
            hash_of(
                bytes.fromhex(t[0][2:] + t[1][2:] + t[2][2:] + t[3][2:]) + hash_of(data).digest()
            ).digest()
            for t, data in zip(topics, datas, strict=True)
        ]
        codes, references = factorize(authorisations)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(references) + 1)).tolist()
        numbers = sequences.tolist()
        heads: list[bytes] | None = [b""] * count if traces is not None else None
        for k, reference in enumerate(references.tolist()):
            chain = self.chains[reference]
            head, last = chain.head, chain.sequence
            for position in order[bounds[k] : bounds[k + 1]].tolist():
                sequence = numbers[position]
                if sequence != last + 1:
                    chain.gaps.extend(range(last + 1, sequence))
                last = sequence
                head = hash_of(head + entries[position]).digest()
                if heads is not None:
                    heads[position] = head
            chain.head, chain.sequence = head, last
        if traces is not None and heads is not None:
            traces.extend(_traces(decoded_groups, heads))

    def _note_references(self, topics: list[Any], authorisations: Any) -> None:
        """The reference of each authorisation id (topic 1) first seen, from its first record."""
        new = {t[1] for t in topics} - self._seen_ids
        for t, authorisation in zip(topics, authorisations.tolist() if new else (), strict=False):
            if t[1] in new:
                new.discard(t[1])
                self._seen_ids.add(t[1])
                self._reference_of.setdefault(bytes.fromhex(t[1][2:]), authorisation)
                if not new:
                    break

    def _columns(
        self,
        record_type: _RecordType,
        datas: list[bytes],
        common: tuple[Any, ...],
        identifiers: list[bytes],
    ) -> list[Any]:
        """Records of one kind decoded into a chunk of their table's columns (a processing: of both its
        tables, a row per input or output): their common columns (`COMMON`), a value per record."""
        sequence, (header, *fields) = column_leaves(record_type.data_types, RecordBuffer(datas))
        authorisation, entry_ref, occurred_at = header[0](), header[1](), header[2]()
        sequences = sequence()
        block, log_index, block_time, account = common
        columns = [authorisation, sequences, entry_ref, occurred_at, block, log_index, block_time, account]
        common_columns = list(columns)
        if record_type.table:
            columns += _COLUMNS_OF_KIND[record_type.kind][1](fields)
            self.chunks[record_type.table].append(columns)
            return common_columns
        site, inputs, outputs = fields
        columns = [_objects(c) for c in [*columns, site()]]
        versions = np.array(
            [
                self._version_at(identifier, b, i)
                for identifier, b, i in zip(identifiers, block.tolist(), log_index.tolist(), strict=True)
            ],
            dtype=np.int64,
        )
        lot, quantity = inputs.elements
        input_columns = [c[inputs.owner] for c in columns] + [lot(), quantity()]
        lot, code, description, quantity, unit = outputs.elements
        output_columns = (
            [c[outputs.owner] for c in columns]
            + [lot(), _mapped(_cn, code()), description(), quantity(), _mapped(_text, unit())]
            + [versions[outputs.owner]]
        )
        # Both decoded before either is kept: data that does not decode leaves no half of a record.
        self.chunks["processing_inputs"].append(input_columns)
        self.chunks["processing_outputs"].append(output_columns)
        return common_columns

    def _rows_one_by_one(
        self,
        record_type: _RecordType,
        datas: list[bytes],
        identifiers: list[bytes],
        common: tuple[Any, ...],
    ) -> list[Any]:
        """The records decoded one by one into rows: their common columns, as `_columns` gives them."""
        commons = [
            self._record_rows(record_type.kind, record_type.decode(data), identifier, *values)
            for data, identifier, *values in zip(
                datas, identifiers, *(c.tolist() for c in common), strict=True
            )
        ]
        return [_objects(list(column)) for column in zip(*commons, strict=True)] or [
            np.empty(0, dtype=object) for _ in COMMON
        ]

    def add(self, raw: Mapping[str, Any], block_times: Mapping[int, int] | None = None) -> RecordTrace | None:
        """Adds one log: a record (whose trace is returned), a registry event, or nothing."""
        hex_topics = raw["topics"]
        if not hex_topics:
            return None
        topics = [_bytes(t) for t in hex_topics]
        block = _int(raw["blockNumber"])
        log_index = _int(raw["logIndex"])
        data = _bytes(raw["data"])
        event = self._records.get(topics[0])
        if event is not None:
            values = decode(event.data_types, data)
            joined = b"".join(topics)
            account = "0x" + joined[108:128].hex()
            time = _block_time(raw, block_times)
            common = self._record_rows(event.kind, values, joined[32:64], block, log_index, time, account)
            authorisation, sequence = common[0], common[1]
            self._reference_of.setdefault(joined[32:64], authorisation)
            chain = self.chains[authorisation]
            if sequence != chain.sequence + 1:
                chain.gaps.extend(range(chain.sequence + 1, sequence))
            chain.sequence = sequence
            chain.head = next_head(chain.head, tuple(topics), data)
            return RecordTrace(event.kind, *common, chain.head)
        registry_event = self._registry.get(topics[0])
        if registry_event is not None:
            try:
                self._add_registry(registry_event[0], registry_event[1], topics, data, block, log_index)
            except (ValueError, ArithmeticError, LookupError, TypeError) as error:
                # The contract logs only what it checked: such a log was altered, and the registry's
                # rolling hash (extended below from the bytes as read) fails the audit's proof.
                log.warning("a registry log of block %d does not decode (%s): left out", block, error)
            registry = self.registry_chain
            registry.sequence += 1
            registry.head = next_head(registry.head, tuple(topics), data)
        return None

    def _record_rows(
        self,
        kind: str,
        values: tuple[Any, ...],
        authorisation_id: bytes,
        block: int,
        log_index: int,
        block_time: int,
        account: str,
    ) -> _Common:
        """One record's rows from its decoded data `values`: its common columns (`COMMON`)."""
        sequence, struct = values
        (authorisation, entry_ref, occurred_at, _documents), *fields = struct
        common: _Common = (
            authorisation,
            sequence,
            entry_ref,
            occurred_at,
            block,
            log_index,
            block_time,
            account,
        )
        rows = self.rows
        if kind == "discharge":
            lot, quantity, site, mode, declaration, procedure = fields
            rows["discharges"].append(
                (*common, lot, quantity, site, _MODES[mode], declaration or None, procedure)
            )
        elif kind == "placement":
            lot, goods, description, quantity, unit, site, declaration, procedure, value, rate, origin = (
                fields
            )
            row = (lot, _cn(goods), description, quantity, _text(unit), site, declaration, procedure, value, rate, _text(origin))  # fmt: skip
            rows["placements"].append((*common, *row))
        elif kind == "processing":
            site, inputs, outputs = fields
            version = self._version_at(authorisation_id, block, log_index)
            table = rows["processing_inputs"]
            for lot, quantity in inputs:
                table.append((*common, site, lot, quantity))
            table = rows["processing_outputs"]
            for lot, code, description, quantity, unit in outputs:
                table.append((*common, site, lot, _cn(code), description, quantity, _text(unit), version))
        elif kind == "movement":
            rows["movements"].append((*common, *fields))
        elif kind == "handling":
            lot, goods = fields
            rows["handlings"].append((*common, lot, _cn(goods)))
        elif kind == "correction":
            corrects, reason, _original = fields
            rows["corrections"].append((*common, corrects, reason))
        elif kind == "extension":
            placement, new_deadline, reason = fields
            rows["extensions"].append((*common, placement, _day(new_deadline), reason))
        else:  # bill
            period_start, period_end, due, digest = fields
            rows["bills"].append((*common, _day(period_start), _day(period_end), _day(due), _hex(digest)))
        return common

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
        """The records read so far, one raw frame per table (times still in Unix seconds)."""
        return {name: self._frame(name, columns) for name, columns in COLUMNS.items()}

    def _frame(self, name: str, columns: list[str]) -> pd.DataFrame:
        rows, chunks = self.rows[name], [c for c in self.chunks[name] if len(c[0])]
        if not chunks:
            return pd.DataFrame(rows, columns=columns)
        if rows:
            # Records decoded one by one as well (data that did not decode into columns: rare): all
            # as rows, in chain order, so that the columns' types are those of rows alone.
            for chunk in chunks:
                rows = rows + list(zip(*(_values(column) for column in chunk), strict=True))
            frame = pd.DataFrame(rows, columns=columns)
            return frame.sort_values(["block", "log_index"], kind="stable", ignore_index=True)
        return pd.DataFrame(
            {column: _joined_column([chunk[i] for chunk in chunks]) for i, column in enumerate(columns)}
        )

    def build(
        self, as_of_block: int, as_of_time: int, frames: dict[str, pd.DataFrame] | None = None
    ) -> LedgerTables:
        """The tables: `frames` (e.g. from the index) or the rows read, with this builder's
        authorisations and chains."""
        tables = {}
        for name, frame in (frames if frames is not None else self.frames()).items():
            frame = frame.copy(deep=False)  # columns are replaced or added, never written into
            for column in ("occurred_at", "block_time"):
                frame[column] = pd.to_datetime(frame[column].astype("int64"), unit="s", utc=True)
            frame["corrected"] = False
            tables[name] = frame
        mark_corrected(tables)
        return LedgerTables(
            tables=tables,
            # Copies: the tables stay as they are when the builder reads on (the live tracker's does).
            authorisations={reference: list(v) for reference, v in self.authorisations.items()},
            statuses={reference: list(v) for reference, v in self.statuses.items()},
            chains={
                reference: Chain(c.sequence, c.head, list(c.gaps)) for reference, c in self.chains.items()
            },
            as_of_block=as_of_block,
            as_of_time=as_of_time,
            registry_chain=Chain(self.registry_chain.sequence, self.registry_chain.head),
        )


def _traces(groups: list[tuple[str, Any, list[Any]]], heads: list[bytes]) -> list[RecordTrace | None]:
    """The traces of a batch's records in the batch's order, from each kind's common columns."""
    traces: list[RecordTrace | None] = [None] * len(heads)
    for kind, at, common in groups:
        for position, values in zip(
            at.tolist(), zip(*(_values(c) for c in common), strict=True), strict=True
        ):
            traces[position] = RecordTrace._make((kind, *values, heads[position]))
    return traces


def _values(column: Any) -> list[Any]:
    return column.tolist() if isinstance(column, np.ndarray) else list(column)


def _joined_column(parts: list[Any]) -> Any:
    """One column from its chunks: int64 when every chunk is, else the type pandas gives the same
    values as rows (uint64 for integers up to 2^64, Python objects beyond and for text)."""
    if all(isinstance(p, np.ndarray) and p.dtype == np.int64 for p in parts):
        return np.concatenate(parts)
    column = np.empty(sum(len(p) for p in parts), dtype=object)
    at = 0
    for part in parts:
        column[at : at + len(part)] = _values(part)
        at += len(part)
    # Integers that did not fit int64 in some chunk (text, dates and None stay objects as they are).
    if any(isinstance(p, np.ndarray) and len(p) and isinstance(p[0], int | np.integer) for p in parts):
        return pd.Series(column, dtype=object).infer_objects().to_numpy()
    return column


def mark_corrected(tables: dict[str, pd.DataFrame]) -> None:
    """Flags the entries that a correction reversed (their effects are gone on chain)."""
    corrections = tables["corrections"]
    if corrections.empty:
        return
    for name, frame in tables.items():
        if name == "corrections" or frame.empty:
            continue
        frame["corrected"] = _pairs_in(
            frame["authorisation"].to_numpy(),
            frame["entry_ref"].to_numpy(),
            corrections["authorisation"].to_numpy(),
            corrections["corrects"].to_numpy(),
        )


def _pairs_in(first: Any, second: Any, first_wanted: Any, second_wanted: Any) -> Any:
    """Whether each (first, second) pair is among the wanted pairs (by hashing, not sorting)."""
    count = len(first)
    combined = np.zeros(count + len(first_wanted), dtype=np.int64)
    for values, wanted in ((first, first_wanted), (second, second_wanted)):
        codes, unique = factorize(
            np.concatenate([np.asarray(values, dtype=object), np.asarray(wanted, dtype=object)])
        )
        combined, _ = factorize(combined * len(unique) + codes)
    return np.isin(combined[:count], combined[count:])


def factorize(values: Any) -> tuple[Any, Any]:
    """`pandas.factorize` (a number per distinct value, in order of first appearance; None counted
    as a value), right for text holding NUL characters too: pandas hashes an array of str as C
    strings, which end at the first NUL, so such text is numbered by a Python dict instead."""
    array = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    if array.dtype == object and len(array) and _holds_nul(array):
        numbers: dict[Any, int] = {}
        codes = np.fromiter(
            (numbers.setdefault(v, len(numbers)) for v in array.tolist()), dtype=np.int64, count=len(array)
        )
        unique = np.empty(len(numbers), dtype=object)
        unique[:] = list(numbers)
        return codes, unique
    codes, unique = pd.factorize(array)
    codes = np.asarray(codes, dtype=np.int64)
    missing = codes < 0
    if missing.any():  # None (or NaN): a value too, numbered in order of first appearance
        codes[missing] = len(unique)
        unique = np.concatenate([np.asarray(unique, dtype=object), np.full(1, None, dtype=object)])
        order = np.argsort(np.unique(codes, return_index=True)[1])
        renumbered = np.empty(len(order), dtype=np.int64)
        renumbered[order] = np.arange(len(order), dtype=np.int64)
        codes, unique = renumbered[codes], unique[order]
    return codes, unique


def _holds_nul(array: Any) -> bool:
    kind = pd.api.types.infer_dtype(array, skipna=True)
    if kind in ("integer", "floating", "boolean", "date", "datetime", "decimal", "bytes", "empty"):
        return False
    items = array.tolist()
    if kind == "string" and None not in items:
        return "\0" in "".join(items)
    return any(isinstance(v, str) and "\0" in v for v in items)
