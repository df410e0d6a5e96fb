"""The ledger as tables: raw logs decoded straight into columns (no per-entry objects), one pandas
DataFrame per kind of record, plus the authorisations' versions and statuses.

This is the boundary between extraction and the audit rules (docs/audit-model.md): everything the
rules know comes from here, and everything here comes from the logs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import codes
from .abi_codec import compile_picker, decode, decoder_for
from .artifacts import load_artifact
from .contract_errors import _type_string
from .encoding import AUTHORISATION_STATUSES, DISCHARGE_MODES, decode_terms
from .hashing import keccak, keccak_256
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


_MODES = tuple(mode.value for mode in DISCHARGE_MODES)
_cn = codes.int_to_cn


def _day(seconds: int) -> Any:
    return pd.Timestamp(seconds, unit="s", tz="UTC").date()


# The table row of each kind of record after the common columns, from its decoded fields (as the
# struct lists them): how `_add_record` lays them out, compiled into the record's decoder.
_ROW_OF_KIND: dict[str, tuple[str, Callable[[list[str]], list[str]]]] = {
    "placement": (
        "placements",
        lambda f: [
            f[0],
            f"_cn({f[1]})",
            f[2],
            f[3],
            f"_text({f[4]})",
            f[5],
            f[6],
            f[7],
            f[8],
            f[9],
            f"_text({f[10]})",
        ],
    ),
    "movement": ("movements", lambda f: [f[0], f[1], f[2], f[3]]),
    "handling": ("handlings", lambda f: [f[0], f"_cn({f[1]})"]),
    "discharge": ("discharges", lambda f: [f[0], f[1], f[2], f"_modes[{f[3]}]", f"({f[4]} or None)", f[5]]),
    "correction": ("corrections", lambda f: [f[0], f[1]]),
    "extension": ("extensions", lambda f: [f[0], f"_day({f[1]})", f[2]]),
}


def _row_decoder(kind: str, data_types: tuple[str, ...]) -> Callable[..., Any] | None:
    """`(data, block, log_index, block_time, account) -> (sequence, authorisation, row)` for the
    records of one table; None for processing (rows in two tables, left to `_add_record`)."""
    if kind not in _ROW_OF_KIND:
        return None
    _, fields_of = _ROW_OF_KIND[kind]

    def pick(leaves: list[Any]) -> tuple[list[str], str]:
        sequence, (common, *fields) = leaves
        authorisation, entry_ref, occurred_at, _documents = common
        statements = [f"s = {sequence}", f"a = {authorisation}"]
        row = [
            "a",
            "s",
            entry_ref,
            occurred_at,
            "block",
            "log_index",
            "block_time",
            "account",
            *fields_of(fields),
        ]
        return statements, f"(s, a, ({', '.join(row)}))"

    return compile_picker(
        data_types,
        ("block", "log_index", "block_time", "account"),
        pick,
        {"_cn": _cn, "_text": _text, "_modes": _MODES, "_day": _day},
    )


class TableBuilder:
    """Accumulates decoded logs (in chain order) into rows, and each authorisation's rolling hash."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in COLUMNS}
        self.authorisations: dict[str, list[AuthorisationVersion]] = defaultdict(list)
        self.statuses: dict[str, list[StatusChange]] = defaultdict(list)
        self.chains: dict[str, Chain] = defaultdict(Chain)
        self._records = record_events()
        # topic0 as the node writes it ("0x" + lower-case hex) -> (kind, table, row decoder, decoder)
        self._record_topics = {
            "0x" + topic.hex(): (
                event.kind,
                _ROW_OF_KIND[event.kind][0] if event.kind in _ROW_OF_KIND else "",
                _row_decoder(event.kind, event.data_types),
                decoder_for(event.data_types),
            )
            for topic, event in self._records.items()
        }
        self._registry = _registry_events()
        self._reference_of: dict[bytes, str] = {}
        self._seen_ids: set[str] = set()  # authorisation ids (topic 1, hex) whose reference is known
        self._versions_by_id: dict[bytes, list[AuthorisationVersion]] = defaultdict(list)

    def add_logs(
        self, logs: Iterable[Mapping[str, Any]], block_times: Mapping[int, int] | None = None
    ) -> None:
        """Adds logs in chain order (the records' hot path inline: this runs once per record)."""
        record_topics, rows, chains, seen = self._record_topics, self.rows, self.chains, self._seen_ids
        hash_of = keccak_256
        for raw in logs:
            hex_topics = raw["topics"]
            record = (
                record_topics.get(hex_topics[0]) if hex_topics and isinstance(hex_topics[0], str) else None
            )
            data_hex = raw["data"]
            if record is None or len(hex_topics) != 4 or not isinstance(data_hex, str):
                self.add(raw, block_times)
                continue
            block = _int(raw["blockNumber"])
            log_index = _int(raw["logIndex"])
            timestamp = raw.get("blockTimestamp")
            if timestamp is not None:
                block_time = _int(timestamp)
            elif block_times is not None:
                block_time = block_times[block]
            else:
                raise ValueError(f"no time for block {block}")
            first, identifier, entry, account = hex_topics
            data = bytes.fromhex(data_hex[2:])
            if record[2] is None:  # a processing: rows in two tables
                topics = bytes.fromhex(first[2:] + identifier[2:] + entry[2:] + account[2:])
                self._add_record(record[0], record[3](data), topics, data, block, log_index, block_time)
                continue
            sequence, authorisation, row = record[2](
                data, block, log_index, block_time, "0x" + account[-40:].lower()
            )
            if identifier not in seen:
                seen.add(identifier)
                self._reference_of.setdefault(bytes.fromhex(identifier[2:]), authorisation)
            chain = chains[authorisation]
            if sequence != chain.sequence + 1:
                chain.gaps.extend(range(chain.sequence + 1, sequence))
            chain.sequence = sequence
            topics = bytes.fromhex(first[2:] + identifier[2:] + entry[2:] + account[2:])
            chain.head = hash_of(chain.head + hash_of(topics + hash_of(data).digest()).digest()).digest()
            rows[record[1]].append(row)

    def add(self, raw: Mapping[str, Any], block_times: Mapping[int, int] | None = None) -> None:
        hex_topics = raw["topics"]
        if not hex_topics:
            return
        topics = [_bytes(t) for t in hex_topics]
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
            values = decode(event.data_types, data)
            self._add_record(event.kind, values, b"".join(topics), data, block, log_index, block_time)
            return
        registry_event = self._registry.get(topics[0])
        if registry_event is not None:
            self._add_registry(registry_event[0], registry_event[1], topics, data, block, log_index)

    def _add_record(
        self,
        kind: str,
        values: tuple[Any, ...],
        topics: bytes,
        data: bytes,
        block: int,
        log_index: int,
        block_time: int,
    ) -> None:
        """One record: `values` its decoded data, `topics` its four topics joined (128 bytes)."""
        sequence, struct = values
        (authorisation, entry_ref, occurred_at, _documents), *fields = struct
        authorisation_id = topics[32:64]
        if authorisation_id not in self._reference_of:
            self._reference_of[authorisation_id] = authorisation
        chain = self.chains[authorisation]
        if sequence != chain.sequence + 1:
            chain.gaps.extend(range(chain.sequence + 1, sequence))
        chain.sequence = sequence
        chain.head = keccak(chain.head + keccak(topics + keccak(data)))
        common = (
            authorisation,
            sequence,
            entry_ref,
            occurred_at,
            block,
            log_index,
            block_time,
            "0x" + topics[108:128].hex(),
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
        else:  # extension
            placement, new_deadline, reason = fields
            rows["extensions"].append(
                (*common, placement, pd.Timestamp(new_deadline, unit="s", tz="UTC").date(), reason)
            )

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
            frame = frame.copy(deep=False)  # columns are replaced or added, never written into
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
