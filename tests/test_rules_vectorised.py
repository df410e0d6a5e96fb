"""The audit's vectorised rules give what plain row-by-row reference code gives, on random data and on
a synthetic ledger built without a chain (entries encoded as the ledger logs them, fed to
TableBuilder): FIFO by binary search against walking the queues, equivalents, stock per code, alert
order, recording delays, deadlines, duties, and the builder's fast path against its plain path."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pa_client.audit.rules import AlertThresholds, audit
from pa_client.audit.rules.alerts import ALERTS, SEVERITIES, Alert, alerts_frame
from pa_client.audit.rules.deadlines import period_deadline
from pa_client.audit.rules.duties import duties_cents, duty_cents
from pa_client.audit.rules.equivalents import (
    DISCHARGE_EQUIVALENTS,
    basis_table,
    discharge_equivalents,
    lot_bases,
)
from pa_client.audit.rules.fifo import ALLOCATIONS, NEVER, allocate, fifo, fifo_by_walking
from pa_client.audit.rules.frames import (
    TIME,
    frame_of,
    group_codes,
    half_up,
    half_up_ratio,
    live,
    lookup,
    make_frame,
    objects,
    rows,
    sort_ranks,
    utc_day,
    utc_days,
)
from pa_client.audit.rules.placements import placement_table
from pa_client.audit.rules.stock import STOCK_BY_CODE, stock_by_code, stock_events
from pa_client.audit.rules.yields import deviation_percent
from pa_client.audit.tables import COLUMNS, AuthorisationVersion, LedgerTables, RecordTrace, TableBuilder
from pa_client.contract import abi_codec, ids
from pa_client.contract.encoding import RECORD_EVENTS, entry_log_data
from pa_client.contract.events import record_events, topic_of
from pa_client.dev.synthetic import synthetic
from pa_client.domain.models import BillLodging, Correction
from pa_client.domain.quantities import display_equivalent, micro_to_equivalent

HOLDER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
NOW = 1_795_737_856  # block times: long after the synthetic entries, so every record is late


def _raw_logs(
    entries: int, authorisations: int, seed: int, *, bills: bool = False
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A synthetic ledger's records as eth_getLogs gives them, 40 records a block; with `bills`, each
    authorisation's bills of discharge lodged at the end."""
    data = synthetic(entries=entries, authorisations=authorisations, holders=[HOLDER], seed=seed)
    records: list[Any] = list(data.entries())
    if bills:
        records += [
            BillLodging(
                authorisation=a.authorisation.reference,
                entry_ref=f"BILL-{month}",
                occurred_at=datetime(2025, month, 1, tzinfo=UTC),
                period_start=date(2024, month, 1),
                period_end=date(2024, month, 28),
                due=date(2024, month, 28) + timedelta(days=30),
                bill_sha256=f"{month:02d}" * 32,
            )
            for a in data.authorisations
            for month in (1, 2)
        ]
    kinds = {
        "Placement": "placement",
        "Movement": "movement",
        "Processing": "processing",
        "Handling": "handling",
        "Discharge": "discharge",
        "Correction": "correction",
        "BillLodging": "bill",
    }
    sequences: dict[str, int] = {}
    logged: dict[tuple[str, str], bytes] = {}
    logs = []
    account = "0x" + "00" * 12 + HOLDER[2:].lower()
    for position, entry in enumerate(records):
        original = (
            logged.pop((entry.authorisation, entry.corrects), b"") if isinstance(entry, Correction) else b""
        )
        sequence = sequences[entry.authorisation] = sequences.get(entry.authorisation, 0) + 1
        logged_data = entry_log_data(entry, sequence, original)
        if not isinstance(entry, Correction):
            logged[(entry.authorisation, entry.entry_ref)] = logged_data
        topic = topic_of(RECORD_EVENTS[kinds[type(entry).__name__]])
        block = 10 + position // 40
        logs.append(
            {
                "topics": [
                    "0x" + topic.hex(),
                    "0x" + ids.authorisation_id(entry.authorisation).hex(),
                    "0x" + ids.entry_id(entry.entry_ref).hex(),
                    account,
                ],
                "data": "0x" + logged_data.hex(),
                "blockNumber": hex(block),
                "logIndex": hex(position % 40),
                "blockTimestamp": hex(NOW + 2 * block),
            }
        )
    terms = {a.authorisation.reference: a.authorisation for a in data.authorisations}
    return terms, logs


def _builder(terms: dict[str, Any]) -> TableBuilder:
    builder = TableBuilder()
    for reference, authorisation in terms.items():
        version = AuthorisationVersion(1, 1, 0, authorisation)
        builder.authorisations[reference].append(version)
        builder._versions_by_id[ids.authorisation_id(reference)].append(version)
    return builder


@cache
def _ledger(entries: int = 3000, authorisations: int = 3, seed: int = 7) -> LedgerTables:
    terms, logs = _raw_logs(entries, authorisations, seed)
    builder = _builder(terms)
    builder.add_logs(logs)
    return builder.build(10 + entries // 40, NOW + 86_400)


# ---------------------------------------------------------------- the builder


def test_the_fast_path_of_the_builder_equals_its_plain_path() -> None:
    terms, logs = _raw_logs(600, 2, 3, bills=True)
    fast, plain = _builder(terms), _builder(terms)
    # Data as hex text or as bytes (as `extract.decode_logs_answer` gives it) take the fast path.
    mixed = [raw if i % 3 else {**raw, "data": bytes.fromhex(raw["data"][2:])} for i, raw in enumerate(logs)]
    fast_traces: list[RecordTrace | None] = []
    fast.add_logs(mixed, traces=fast_traces)
    plain_traces = [  # bytes topics and data take the plain path
        plain.add(
            {
                **raw,
                "topics": [bytes.fromhex(t[2:]) for t in raw["topics"]],
                "data": bytes.fromhex(raw["data"][2:]),
            }
        )
        for raw in logs
    ]
    assert fast_traces == plain_traces and None not in fast_traces
    assert [tuple(map(type, t or ())) for t in fast_traces] == [
        tuple(map(type, t or ())) for t in plain_traces
    ]
    assert not any(plain.chunks.values())
    assert not any(fast.rows.values()) and all(fast.chunks[n] for n in COLUMNS if n != "extensions")
    fast_frames, plain_frames = fast.frames(), plain.frames()
    for name in COLUMNS:
        pd.testing.assert_frame_equal(fast_frames[name], plain_frames[name], check_exact=True)
        assert fast_frames[name].map(type).equals(plain_frames[name].map(type)), name
    assert {k: (c.sequence, c.head, c.gaps) for k, c in fast.chains.items()} == {
        k: (c.sequence, c.head, c.gaps) for k, c in plain.chains.items()
    }


@pytest.mark.parametrize("kind", ["discharge", "processing"])
def test_records_whose_data_does_not_decode_into_columns_are_read_one_by_one(kind: str) -> None:
    """A record whose last string is longer than its data: its batch's records of that kind are read
    one by one, and nothing of the columns' attempt is kept (a processing's inputs decode before its
    outputs fail)."""
    terms, logs = _raw_logs(300, 2, 5)
    topic = "0x" + topic_of(RECORD_EVENTS[kind]).hex()
    altered = next(i for i, raw in enumerate(logs) if raw["topics"][0] == topic)
    data = bytearray.fromhex(logs[altered]["data"][2:])
    data[-64:-32] = (2**20).to_bytes(32, "big")  # the last string's length: past the data's end
    logs[altered] = {**logs[altered], "data": "0x" + data.hex()}
    fast, plain = _builder(terms), _builder(terms)
    fast_traces: list[RecordTrace | None] = []
    fast.add_logs(logs, traces=fast_traces)
    plain_traces = [
        plain.add(raw | {"topics": [bytes.fromhex(t[2:]) for t in raw["topics"]]}) for raw in logs
    ]
    assert fast_traces == plain_traces  # the records read one by one too, each with its head
    table = "discharges" if kind == "discharge" else "processing_outputs"
    assert fast.rows[table] and fast.chunks["placements"]  # that batch's records of that kind only
    for name, frame in fast.frames().items():
        pd.testing.assert_frame_equal(frame, plain.frames()[name], check_exact=True)
    assert {k: (c.sequence, c.head) for k, c in fast.chains.items()} == {
        k: (c.sequence, c.head) for k, c in plain.chains.items()
    }


def _rewritten(raw: dict[str, Any], change: Any) -> dict[str, Any]:
    """`raw` with its data decoded, changed by `change(values)` and encoded again."""
    types = record_events()[bytes.fromhex(raw["topics"][0][2:])].data_types
    values = change(abi_codec.decode(types, bytes.fromhex(raw["data"][2:])))
    return {**raw, "data": "0x" + abi_codec.encode(types, values).hex()}


def _frames_agree(terms: dict[str, Any], batches: list[list[dict[str, Any]]]) -> TableBuilder:
    fast, plain = _builder(terms), _builder(terms)
    for batch in batches:
        fast.add_logs(batch)
        for raw in batch:
            plain.add(raw | {"topics": [bytes.fromhex(t[2:]) for t in raw["topics"]]})
    for name, frame in fast.frames().items():
        pd.testing.assert_frame_equal(frame, plain.frames()[name], check_exact=True)
    return fast


def test_quantities_past_int64_and_empty_arrays_give_the_types_rows_give() -> None:
    terms, logs = _raw_logs(300, 2, 5)
    movement = "0x" + topic_of(RECORD_EVENTS["movement"]).hex()
    processing = "0x" + topic_of(RECORD_EVENTS["processing"]).hex()
    moves = [i for i, raw in enumerate(logs) if raw["topics"][0] == movement]
    for i, quantity in zip(moves[:2], (2**63 + 5, 2**64 + 7), strict=True):
        logs[i] = _rewritten(logs[i], lambda v, q=quantity: (v[0], (v[1][0], v[1][1], q, *v[1][3:])))
    fast = _frames_agree(terms, [logs])
    assert fast.frames()["movements"]["quantity"].dtype == object  # 2^64 + 7: Python ints, as rows
    logs[moves[1]] = _rewritten(logs[moves[1]], lambda v: (v[0], (v[1][0], v[1][1], 1, *v[1][3:])))
    assert _frames_agree(terms, [logs]).frames()["movements"]["quantity"].dtype == np.uint64
    # A movement read one by one (its last string runs past its data) beside ones read as columns.
    broken = bytearray.fromhex(logs[moves[2]]["data"][2:])
    broken[-64:-32] = (2**20).to_bytes(32, "big")
    logs[moves[2]] = {**logs[moves[2]], "data": "0x" + broken.hex()}
    _frames_agree(terms, [logs[: moves[2] + 1], logs[moves[2] + 1 :]])
    # Processing without inputs, everywhere: an empty table, typed as an empty table of rows is.
    without = [
        _rewritten(raw, lambda v: (v[0], (v[1][0], v[1][1], (), v[1][3])))
        if raw["topics"][0] == processing
        else raw
        for raw in logs
    ]
    assert len(_frames_agree(terms, [without]).frames()["processing_inputs"]) == 0


# ---------------------------------------------------------------- small helpers


def test_codes_lookups_and_ranks_equal_python_mappings() -> None:
    r = random.Random(1)
    for _ in range(50):
        n = r.randint(0, 300)
        first = objects([r.choice(["A", "B", "é", "A\0"]) for _ in range(n)])
        second = objects([r.randint(0, 5) for _ in range(n)])
        numbers: dict[tuple[Any, Any], int] = {}
        expected = [numbers.setdefault(key, len(numbers)) for key in zip(first, second, strict=True)]
        assert group_codes(first, second).tolist() == expected
        last = {key: i for i, key in enumerate(zip(first, second, strict=True))}
        query = [(r.choice(["A", "B", "C"]), r.randint(0, 6)) for _ in range(r.randint(0, 50))]
        found = lookup((first, second), (objects([q[0] for q in query]), objects([q[1] for q in query])))
        assert found.tolist() == [last.get(q, -1) for q in query]
        words = [r.choice(["b", "a", "ab", "a\0", "Z", "é", ""]) + str(r.randint(0, 99)) for _ in range(n)]
        ranks = sort_ranks(objects(words)).tolist()
        distinct = sorted(set(words))
        assert ranks == [distinct.index(w) for w in words]


def test_vectorised_rounding_equals_the_scalar_rules() -> None:
    r = random.Random(2)
    numerators = [r.randint(-(10**30), 10**30) for _ in range(500)]
    denominators = [r.randint(1, 10**15) for _ in range(500)]
    assert half_up_ratio(objects(numerators), objects(denominators)).tolist() == [
        half_up(Fraction(n, d)) for n, d in zip(numerators, denominators, strict=True)
    ]
    equivalents = [r.choice([0, 499_999_999_999, 500_000_000_000, r.randint(0, 10**25)]) for _ in range(500)]
    values = [r.randint(0, 10**9) for _ in range(500)]
    quantities = [r.randint(1, 10**12) for _ in range(500)]
    rates = [r.randint(0, 10**6) for _ in range(500)]
    assert duties_cents(objects(equivalents), values, quantities, rates).tolist() == [
        duty_cents(*row) for row in zip(equivalents, values, quantities, rates, strict=True)
    ]


def test_utc_days_equal_utc_day() -> None:
    times = pd.Series(
        pd.to_datetime([0, -1, 86_399, 86_400, 1_700_000_000, NOW], unit="s", utc=True), dtype=TIME
    )
    assert utc_days(times).tolist() == [utc_day(t) for t in times]


# ---------------------------------------------------------------- FIFO


def _walk(
    placements: pd.DataFrame, discharges: pd.DataFrame, expires: list[int] | None = None
) -> list[tuple[Any, ...]]:
    """FIFO as the domain states it: each code's placements in date then sequence order, each
    discharge (in date then sequence order) taking from the oldest placement left that is still under
    the procedure on its day (`expires`: each placement's last day, days since 1970-01-01)."""
    queues: dict[tuple[str, str], list[list[Any]]] = defaultdict(list)
    last = expires if expires is not None else [NEVER] * len(placements)
    for row, end in sorted(
        zip(rows(placements), last, strict=True), key=lambda p: (p[0]["occurred_at"], p[0]["sequence"])
    ):
        queues[(row["authorisation"], row["goods_code"])].append(
            [row["entry_ref"], micro_to_equivalent(row["quantity"]), end]
        )
    placed = {key: sum(slot[1] for slot in queue) for key, queue in queues.items()}
    discharged: dict[tuple[str, str], int] = defaultdict(int)
    shares = []
    for row in sorted(rows(discharges), key=lambda d: (d["occurred_at"], d["sequence"])):
        key = (row["authorisation"], row["goods_code"])
        left = row["equivalent"]
        day = (row["occurred_at"].date() - date(1970, 1, 1)).days
        for slot in queues[key]:
            if slot[2] < day:
                continue
            taken = min(slot[1], left)
            if taken > 0:
                shares.append((row["entry_ref"], slot[0], taken))
            slot[1] -= taken
            left -= taken
        before = discharged[key]
        discharged[key] += row["equivalent"]
        # Beyond all that was placed: an integrity fault; the rest only because placements expired.
        beyond = min(left, max(0, discharged[key] - max(placed.get(key, 0), before)))
        for part in (left - beyond, beyond):
            if part > 0:
                shares.append((row["entry_ref"], None, part))
    return shares


@pytest.mark.parametrize("seed", range(300))
def test_fifo_by_binary_search_equals_walking_the_queues(seed: int) -> None:
    r = random.Random(seed)
    authorisations, codes = ["A", "B"][: r.randint(1, 2)], ["1", "2", "3"][: r.randint(1, 3)]
    start = pd.Timestamp("2024-01-01", tz="UTC")

    def when(count: int) -> pd.Series:
        return pd.Series([start + pd.Timedelta(days=r.randint(0, 3)) for _ in range(count)], dtype=TIME)

    placed, taken = r.randint(0, 8), r.randint(0, 10)
    placements = pd.DataFrame(
        {
            "authorisation": [r.choice(authorisations) for _ in range(placed)],
            "entry_ref": [f"P{i}" for i in range(placed)],
            "sequence": np.array([r.randint(1, 5) for _ in range(placed)], dtype=np.int64),
            "occurred_at": when(placed),
            "goods_code": [r.choice(codes) for _ in range(placed)],
            "quantity": np.array(
                [r.choice([0, 1, 5, 10**6, r.randint(0, 10**7)]) for _ in range(placed)], dtype=np.int64
            ),
        }
    )
    discharges = frame_of(
        {
            "authorisation": [r.choice(authorisations) for _ in range(taken)],
            "entry_ref": [f"D{i}" for i in range(taken)],
            "sequence": [r.randint(1, 5) for _ in range(taken)],
            "occurred_at": when(taken),
            "block": [1] * taken,
            "lot": ["L"] * taken,
            "mode": [r.choice(["reexport", "free_circulation"]) for _ in range(taken)],
            "goods_code": [r.choice(codes) for _ in range(taken)],
            "equivalent": [
                r.choice([0, 1, 10**12, 5 * 10**12 + 1, r.randint(0, 10**19)]) for _ in range(taken)
            ],
        },
        DISCHARGE_EQUIVALENTS,
        taken,
    )
    searched, walked = fifo(placements, discharges), fifo_by_walking(placements, discharges)
    pd.testing.assert_frame_equal(searched.frame, walked.frame)
    assert searched.source.tolist() == walked.source.tolist()
    assert searched.slot.tolist() == walked.slot.tolist()
    shares = rows(searched.frame, "discharge", "placement", "quantity")
    assert [(s["discharge"], s["placement"], s["quantity"]) for s in shares] == _walk(placements, discharges)
    assert all(type(s["quantity"]) is int for s in shares)
    assert list(searched.frame.columns) == list(ALLOCATIONS)
    # Some placements deemed released at the end of a day of the span: discharges after it skip them.
    first = (start.date() - date(1970, 1, 1)).days
    expires = np.array(
        [r.choice([NEVER, first, first + 1, first + 2]) for _ in range(placed)], dtype=np.int64
    )
    expiring = fifo(placements, discharges, expires=expires)
    found = [(s["discharge"], s["placement"], s["quantity"]) for s in rows(expiring.frame)]
    assert found == _walk(placements, discharges, expires.tolist())
    if (expires == NEVER).all():
        pd.testing.assert_frame_equal(expiring.frame, searched.frame)


# ---------------------------------------------------------------- a synthetic ledger


def test_equivalents_are_those_of_each_lot_basis() -> None:
    tables = _ledger()
    bases = lot_bases(tables)
    equivalents = discharge_equivalents(tables, basis_table(tables))
    expected = [
        (row["entry_ref"], code, amount)
        for row in rows(live(tables.discharges))
        for code, amount in bases[(row["authorisation"], row["lot"])].equivalents(row["quantity"]).items()
    ]
    assert [(e["entry_ref"], e["goods_code"], e["equivalent"]) for e in rows(equivalents)] == expected


def test_stock_by_code_equals_walking_the_events() -> None:
    tables = _ledger()
    bases = lot_bases(tables)
    events = stock_events(tables)
    discharges = discharge_equivalents(tables, basis_table(tables))
    discharged_at: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows(discharges):
        discharged_at[(row["authorisation"], row["block"])][row["goods_code"]] += row["equivalent"]
    lot_stock: dict[tuple[str, str], int] = defaultdict(int)
    totals: dict[str, dict[tuple[str, str], int]] = {
        k: defaultdict(int) for k in ("on_hand", "placed", "discharged")
    }
    expected = []
    counted = events.loc[events["kind"] != "movement"].sort_values(
        ["authorisation", "block", "log_index"], kind="stable"
    )
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in rows(counted):
        groups.setdefault((row["authorisation"], row["block"]), []).append(row)
    for (reference, block), group in groups.items():
        changed = set()
        for row in group:
            basis = bases[(reference, row["lot"])]
            before = basis.equivalents(lot_stock[(reference, row["lot"])])
            lot_stock[(reference, row["lot"])] += row["delta"]
            for code, amount in basis.equivalents(lot_stock[(reference, row["lot"])]).items():
                totals["on_hand"][(reference, code)] += amount - before[code]
                if row["kind"] == "placement":
                    totals["placed"][(reference, code)] += micro_to_equivalent(row["delta"])
                changed.add(code)
        for code, amount in discharged_at.get((reference, block), {}).items():
            totals["discharged"][(reference, code)] += amount
            changed.add(code)
        for code in sorted(changed):
            figures = (totals[k][(reference, code)] for k in ("on_hand", "placed", "discharged"))
            expected.append((reference, block, group[-1]["block_time"], code, *figures))
    found = stock_by_code(events, discharges, basis_table(tables))
    assert [tuple(row.values()) for row in rows(found)] == expected
    assert list(found.columns) == list(STOCK_BY_CODE)


def test_the_audit_of_a_synthetic_ledger_agrees_with_row_by_row_rules() -> None:
    tables = _ledger()
    today = date(2024, 9, 1)
    result = audit(tables, today=today, integrity={})
    # Alerts: sorted as the plain sort of Alert objects would sort them.
    alerts = [Alert(**row) for row in rows(result.alerts)]
    assert len(alerts) > 3000 and {a.kind for a in alerts} >= {"late_record", "overdue", "deadline_near"}
    pd.testing.assert_frame_equal(alerts_frame([]), make_frame([], ALERTS))
    pd.testing.assert_frame_equal(alerts_frame(alerts), result.alerts)
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    key = [
        (rank[a.severity], a.due is None, a.due or date.min, a.authorisation, a.kind, a.entry_ref or "")
        for a in alerts
    ]
    assert key == sorted(key)
    # Recording delays: one row per record, in chain order, delay = block time - business time.
    delays = result.recording_delays
    assert len(delays) == sum(c.sequence for c in tables.chains.values())
    assert list(zip(delays["authorisation"], delays["sequence"], strict=True)) == sorted(
        zip(delays["authorisation"], delays["sequence"], strict=True)
    )
    assert (
        delays["delay_seconds"]
        == (delays["block_time"] - delays["occurred_at"]).dt.total_seconds().astype("int64")
    ).all()
    # Placements: deadlines by the terms, discharged totals by FIFO, duties to the cent.
    placements = rows(result.placements)
    for row in placements[:200]:
        terms = tables.authorisations[row["authorisation"]][0].terms
        assert row["date"] == utc_day(row["occurred_at"])
        assert row["deadline"] == period_deadline(
            row["date"], terms.discharge_period_months, terms.period_end
        )
        assert row["remaining"] == row["placed"] - sum(row["discharged"].values())
        assert list(row["discharged"]) == sorted(row["discharged"])
    by_placement: dict[str, int] = defaultdict(int)
    for share in rows(result.allocations):
        if share["placement"] is not None:
            by_placement[share["placement"]] += share["quantity"]
    assert {r["entry_ref"]: r["discharged_total"] for r in placements} == {
        r["entry_ref"]: by_placement.get(r["entry_ref"], 0) for r in placements
    }
    for duty in rows(result.duty_due)[:200]:
        assert duty["amount_cents"] == duty_cents(
            duty["quantity"], duty["customs_value_cents"], duty["placement_quantity"], duty["duty_rate_ppm"]
        )
    for row in rows(result.yields)[:200]:
        assert row["deviation_percent"] == deviation_percent(
            row["input_equivalent"], row["output_equivalent"]
        )
    # The placements table from the allocations table equals the one from the allocation's slots.
    placed = live(tables.placements)
    equivalents = discharge_equivalents(tables, basis_table(tables))
    from pa_client.audit.rules.deadlines import placement_deadlines

    deadlines = placement_deadlines(tables)
    pd.testing.assert_frame_equal(
        placement_table(tables, deadlines, allocate(placed, equivalents), today),
        placement_table(tables, deadlines, fifo(placed, equivalents), today),
    )


def test_exact_numbers_stay_python_ints() -> None:
    result = audit(_ledger(), today=date(2024, 9, 1), integrity={}, thresholds=AlertThresholds())
    for frame, columns in (
        (result.placements, ("placed", "discharged_total", "remaining")),
        (result.allocations, ("quantity",)),
        (result.duty_due, ("quantity",)),
        (result.yields, ("input_equivalent", "output_equivalent", "difference")),
        (result.stock_by_code, ("on_hand", "placed", "discharged")),
    ):
        for column in columns:
            assert frame[column].dtype == object
            assert all(type(v) is int for v in frame[column].tolist()), column
    assert all(type(v) is int for d in result.placements["discharged"].tolist() for v in d.values())
    assert all(isinstance(d, Decimal) for d in result.yields["deviation_percent"].dropna().tolist())
    assert all(display_equivalent(v) >= 0 for v in result.placements["remaining"].tolist())
    assert datetime.fromtimestamp(NOW, UTC) - timedelta(days=1) < result.recording_delays["block_time"].min()
