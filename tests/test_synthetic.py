"""Synthetic data: the sample season of the 2019 Bourges pilot and the generator of large ledgers.

Both are replayed by `Replay`, a small model of the ledger's rules written here independently of
`pa_client.dev.synthetic` (docs/ledger.md): stock per lot and site never overdrawn, discharged ≤ placed
for each import goods code, corrections only of what nothing depends on, the yield of each processing
against the authorisation's table. No chain is needed.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from pa_client.contract.encoding import AnyEntry
from pa_client.dev.synthetic import (
    COLUMNS,
    SEASON_TZ,
    SyntheticLedger,
    bourges_season,
    entry_rows,
    generate,
    synthetic,
    write_csv,
)
from pa_client.domain.codes import check_mrn
from pa_client.domain.models import (
    Authorisation,
    Correction,
    Discharge,
    Entry,
    Handling,
    Movement,
    Placement,
    Processing,
)
from pa_client.records import entries_writer
from pa_client.records.authorisation_file import load_authorisation

ROOT = Path(__file__).resolve().parent.parent
SEASON_CSV = ROOT / "examples" / "season-bourges-2019.csv"
BOURGES_TOML = ROOT / "examples" / "authorisation-bourges.toml"
HEADER = (
    "entry_ref,kind,authorisation,occurred_at,line,lot,goods_code,description,quantity,unit,site,"
    "to_site,declaration,procedure,mode,customs_value,duty_rate,origin,documents,corrects,reason"
)
KINDS = {"placement", "movement", "processing", "handling", "discharge", "correction"}
HOLDERS = (
    "0x1111111111111111111111111111111111111111",
    "0x2222222222222222222222222222222222222222",
    "0x3333333333333333333333333333333333333333",
)
BROKERS = ("0xAAaaAAaaAAaaAAaaAAaaAAaaAAaaAAaaAAaaAAaa", "0xBbBBbbBBbbBBbbBBbbBBbbBBbbBBbbBBbbBBbbBB")


# ---------------------------------------------------------------- an independent model of the ledger


@dataclass
class Record:
    """One entry, as the replay sees it (from a model or from rows of the file)."""

    kind: str
    authorisation: str
    entry_ref: str
    at: datetime
    lot: str = ""
    code: str = ""
    quantity: Fraction = Fraction(0)
    unit: str = ""
    site: str = ""
    to_site: str = ""
    mode: str = ""
    corrects: str = ""
    inputs: list[tuple[str, Fraction]] = field(default_factory=list)
    outputs: list[tuple[str, str, Fraction, str]] = field(default_factory=list)  # lot, code, quantity, unit


@dataclass
class LotState:
    basis: dict[str, Fraction]  # import goods per unit of the lot: {code: 1} for an import lot
    unit: str
    stock: dict[str, Fraction] = field(default_factory=dict)
    uses: int = 0  # entries (not corrected) that use the lot


class OverdrawError(AssertionError):
    pass


class Replay:
    """Replays records in order and asserts what the chain would refuse."""

    def __init__(self, authorisations: Iterable[Authorisation]) -> None:
        self.terms = {a.reference: a for a in authorisations}
        self.lots: dict[tuple[str, str], LotState] = {}
        self.placed: defaultdict[tuple[str, str], Fraction] = defaultdict(Fraction)
        self.discharged: defaultdict[tuple[str, str], Fraction] = defaultdict(Fraction)
        self.done: dict[tuple[str, str], Record] = {}
        self.corrected: set[tuple[str, str]] = set()
        self.deviations: list[tuple[str, str, Fraction]] = []  # entry_ref, code, relative difference
        self.last_at: datetime | None = None

    def _lot(self, record: Record, lot: str) -> LotState:
        state = self.lots.get((record.authorisation, lot))
        assert state is not None, f"{record.entry_ref}: lot {lot} does not exist"
        return state

    def _take(self, record: Record, state: LotState, site: str, quantity: Fraction) -> None:
        held = state.stock.get(site, Fraction(0))
        if quantity <= 0 or quantity > held:
            raise OverdrawError(f"{record.entry_ref}: takes {quantity} at {site}, {held} held")
        state.stock[site] = held - quantity

    def _check_quantity(self, record: Record, quantity: Fraction) -> None:
        assert quantity > 0 and (quantity * 1_000_000).denominator == 1, (record.entry_ref, quantity)

    def apply(self, record: Record) -> None:
        terms = self.terms[record.authorisation]
        key = (record.authorisation, record.entry_ref)
        assert key not in self.done, f"entry_ref {record.entry_ref} used twice"
        assert terms.valid_from <= record.at.date() <= terms.valid_until, record.entry_ref
        assert self.last_at is None or record.at >= self.last_at, f"{record.entry_ref} out of order"
        self.last_at = record.at
        auth = record.authorisation
        if record.kind == "placement":
            assert record.code in terms.import_goods, record.entry_ref
            assert (auth, record.lot) not in self.lots, f"{record.entry_ref}: lot {record.lot} exists"
            self._check_quantity(record, record.quantity)
            self.lots[auth, record.lot] = LotState(
                {record.code: Fraction(1)}, record.unit, {record.site: record.quantity}
            )
            self.placed[auth, record.code] += record.quantity
        elif record.kind == "movement":
            assert record.site != record.to_site
            state = self._lot(record, record.lot)
            self._check_quantity(record, record.quantity)
            self._take(record, state, record.site, record.quantity)
            state.stock[record.to_site] = state.stock.get(record.to_site, Fraction(0)) + record.quantity
            state.uses += 1
        elif record.kind == "processing":
            self._processing(record, terms)
        elif record.kind == "handling":
            assert re.fullmatch(r"[0-9]{8}", record.code), record.entry_ref
            self._lot(record, record.lot).uses += 1
        elif record.kind == "discharge":
            state = self._lot(record, record.lot)
            self._check_quantity(record, record.quantity)
            self._take(record, state, record.site, record.quantity)
            state.uses += 1
            for code, per_unit in state.basis.items():
                self.discharged[auth, code] += per_unit * record.quantity
                if self.discharged[auth, code] > self.placed[auth, code]:
                    raise OverdrawError(f"{record.entry_ref}: discharged {code} beyond what was placed")
        elif record.kind == "correction":
            self._correction(record)
        else:
            raise AssertionError(f"unknown kind {record.kind}")
        self.done[key] = record

    def _processing(self, record: Record, terms: Authorisation) -> None:
        auth = record.authorisation
        assert record.inputs and record.outputs, record.entry_ref
        balance_in: defaultdict[str, Fraction] = defaultdict(Fraction)
        balance_out: defaultdict[str, Fraction] = defaultdict(Fraction)
        for lot, quantity in record.inputs:
            state = self._lot(record, lot)
            self._check_quantity(record, quantity)
            self._take(record, state, record.site, quantity)
            state.uses += 1
            for code, per_unit in state.basis.items():
                balance_in[code] += per_unit * quantity
        products = {p.code: p for p in terms.products}
        for lot, code, quantity, unit in record.outputs:
            assert (auth, lot) not in self.lots, f"{record.entry_ref}: lot {lot} exists"
            product = products[code]
            assert unit == product.unit, record.entry_ref
            self._check_quantity(record, quantity)
            self.lots[auth, lot] = LotState(dict(product.contains), unit, {record.site: quantity})
            for goods, per_unit in product.contains.items():
                balance_out[goods] += per_unit * quantity
        tolerance = Fraction(terms.yield_tolerance_percent) / 100
        for code in balance_in.keys() | balance_out.keys():
            used, made = balance_in[code], balance_out[code]
            difference = abs(used - made)
            if used == 0 or difference > used * tolerance:
                relative = difference / used if used else Fraction(1)
                self.deviations.append((record.entry_ref, code, relative))

    def _correction(self, record: Record) -> None:
        auth = record.authorisation
        key = (auth, record.corrects)
        original = self.done.get(key)
        assert original is not None, f"{record.entry_ref} corrects an unknown entry"
        assert original.kind not in ("correction", "extension") and key not in self.corrected
        if original.kind == "movement":
            state = self._lot(record, original.lot)
            self._take(record, state, original.to_site, original.quantity)
            state.stock[original.site] = state.stock.get(original.site, Fraction(0)) + original.quantity
            state.uses -= 1
        elif original.kind == "discharge":
            state = self._lot(record, original.lot)
            state.stock[original.site] = state.stock.get(original.site, Fraction(0)) + original.quantity
            state.uses -= 1
            for code, per_unit in state.basis.items():
                self.discharged[auth, code] -= per_unit * original.quantity
        elif original.kind == "handling":
            self._lot(record, original.lot).uses -= 1
        elif original.kind == "placement":
            state = self._lot(record, original.lot)
            assert state.uses == 0 and state.stock.get(original.site) == original.quantity, record.entry_ref
            self.placed[auth, original.code] -= original.quantity
            assert self.placed[auth, original.code] >= self.discharged[auth, original.code]
            del self.lots[auth, original.lot]
        else:
            raise AssertionError(f"{record.entry_ref}: the replay does not correct {original.kind}")
        self.corrected.add(key)

    def stock_of(self, authorisation: str, lot: str) -> Fraction:
        return sum(self.lots[authorisation, lot].stock.values(), Fraction(0))


def records_from_entries(entries: Iterable[AnyEntry]) -> Iterator[Record]:
    for entry in entries:
        base = Record(entry.kind, entry.authorisation, entry.entry_ref, entry.occurred_at)
        if isinstance(entry, Placement):
            base.lot, base.code, base.unit, base.site = entry.lot, entry.goods_code, entry.unit, entry.site
            base.quantity = Fraction(entry.quantity)
        elif isinstance(entry, Movement):
            base.lot, base.site, base.to_site = entry.lot, entry.site, entry.to_site
            base.quantity = Fraction(entry.quantity)
        elif isinstance(entry, Processing):
            base.site = entry.site
            base.inputs = [(i.lot, Fraction(i.quantity)) for i in entry.inputs]
            base.outputs = [(o.lot, o.goods_code, Fraction(o.quantity), o.unit) for o in entry.outputs]
        elif isinstance(entry, Handling):
            base.lot, base.code = entry.lot, entry.goods_code
        elif isinstance(entry, Discharge):
            base.lot, base.site, base.mode = entry.lot, entry.site, entry.mode.value
            base.quantity = Fraction(entry.quantity)
        elif isinstance(entry, Correction):
            base.corrects = entry.corrects
        yield base


def records_from_rows(rows: Sequence[dict[str, str]]) -> Iterator[Record]:
    """Rows of the entries file as records; the rows of a processing follow one another."""
    for (ref, kind), group_iter in itertools.groupby(rows, key=lambda row: (row["entry_ref"], row["kind"])):
        group = list(group_iter)
        first = group[0]
        at = datetime.fromisoformat(first["occurred_at"])
        record = Record(kind, first["authorisation"], ref, at, site=first["site"])
        if kind == "processing":
            for row in group:
                assert row["occurred_at"] == first["occurred_at"] and row["site"] == first["site"]
                if row["line"] == "in":
                    record.inputs.append((row["lot"], Fraction(row["quantity"])))
                else:
                    assert row["line"] == "out"
                    record.outputs.append(
                        (row["lot"], row["goods_code"], Fraction(row["quantity"]), row["unit"])
                    )
        else:
            assert len(group) == 1, f"{ref} on {len(group)} rows"
            record.lot, record.code, record.unit = first["lot"], first["goods_code"], first["unit"]
            record.quantity = Fraction(first["quantity"] or "0")
            record.to_site, record.mode, record.corrects = first["to_site"], first["mode"], first["corrects"]
        yield record


def replay(authorisations: Iterable[Authorisation], records: Iterable[Record]) -> Replay:
    model = Replay(authorisations)
    for record in records:
        model.apply(record)
    return model


# ---------------------------------------------------------------- the sample season


@pytest.fixture(scope="module")
def season_rows() -> list[dict[str, str]]:
    with SEASON_CSV.open(encoding="utf-8", newline="") as stream:
        assert stream.readline().rstrip("\n") == HEADER
        stream.seek(0)
        return list(csv.DictReader(stream))


@pytest.fixture(scope="module")
def bourges() -> Authorisation:
    return load_authorisation(BOURGES_TOML)


@pytest.fixture(scope="module")
def season_replay(bourges: Authorisation, season_rows: list[dict[str, str]]) -> Replay:
    return replay([bourges], records_from_rows(season_rows))


def test_season_file_is_what_the_tool_writes(tmp_path: Path) -> None:
    fresh = tmp_path / "season.csv"
    write_csv(bourges_season(), fresh, tz=SEASON_TZ)
    assert fresh.read_bytes() == SEASON_CSV.read_bytes(), "run python tools/make_sample_season.py"


def test_season_has_about_300_rows_of_the_expected_kinds(season_rows: list[dict[str, str]]) -> None:
    assert tuple(season_rows[0]) == COLUMNS
    assert 270 <= len(season_rows) <= 330
    assert {row["authorisation"] for row in season_rows} == {"FRIPO000000000042"}
    entries = {(row["entry_ref"], row["kind"]) for row in season_rows}
    kinds = Counter(kind for _, kind in entries)
    assert kinds.keys() == {"placement", "movement", "processing", "discharge", "correction"}
    assert kinds["placement"] >= 15 and kinds["processing"] >= 30 and kinds["movement"] >= 40
    modes = Counter(row["mode"] for row in season_rows if row["kind"] == "discharge")
    assert modes["free_circulation"] == 1 and modes["destruction"] <= 1 and modes["reexport"] >= 30
    assert set(modes) <= {"reexport", "free_circulation", "destruction"}
    free = next(row for row in season_rows if row["mode"] == "free_circulation")
    assert free["procedure"] == "4051" and free["lot"].startswith("SCR-")
    assert all(row["procedure"] == "3151" for row in season_rows if row["mode"] == "reexport")
    assert sum(1 for row in season_rows if row["documents"]) >= 20


def test_season_references_dates_and_codes(season_rows: list[dict[str, str]], bourges: Authorisation) -> None:
    patterns = {
        "placement": r"BDP-IM-2019-\d{4}",
        "discharge": r"(BDP-EX|MIC-DS)-2019-\d{4}",
        "movement": r"MIC-MV-2019-\d{4}",
        "processing": r"MIC-TR-2019-\d{4}",
        "correction": r"MIC-CO-2019-\d{4}",
    }
    seen: list[str] = []
    for row in season_rows:
        assert re.fullmatch(patterns[row["kind"]], row["entry_ref"]), row["entry_ref"]
        if not seen or seen[-1] != row["entry_ref"]:
            seen.append(row["entry_ref"])
        moment = datetime.fromisoformat(row["occurred_at"])
        assert row["occurred_at"].endswith("+01:00")
        assert date(2019, 2, 15) <= moment.date() <= date(2019, 3, 31) and moment.weekday() < 5
        assert time(8, 0) <= moment.time() <= time(18, 0)
        if row["quantity"]:
            assert Decimal(row["quantity"]) > 0 and -Decimal(row["quantity"]).as_tuple().exponent <= 6  # type: ignore[operator]
        if row["declaration"]:
            assert check_mrn(row["declaration"]) == row["declaration"]
            assert row["declaration"].startswith("19FR")
        if row["documents"]:
            assert all(re.fullmatch(r"[0-9a-f]{64}", d) for d in row["documents"].split(";"))
        if row["kind"] == "placement":
            assert row["goods_code"] in bourges.import_goods and row["declaration"]
            assert row["origin"] in ({"US", "SG", "AE"} if row["unit"] == "NAR" else {"MY", "TH"})
            assert row["duty_rate"] == ("4.5" if row["goods_code"] == "40122000" else "3")
            assert Decimal(row["customs_value"]) > 0
        if row["site"]:
            assert {row["site"], row["to_site"]} - {""} <= {"BOURGES-STORE", "BOURGES-WORKSHOP"}
    assert len(seen) == len(set(seen)), "an entry_ref is used twice"


def test_season_correction_undoes_a_movement_keyed_twice(season_rows: list[dict[str, str]]) -> None:
    corrections = [row for row in season_rows if row["kind"] == "correction"]
    assert len(corrections) == 1 and corrections[0]["reason"]
    movements = [row for row in season_rows if row["kind"] == "movement"]
    position = next(i for i, row in enumerate(movements) if row["entry_ref"] == corrections[0]["corrects"])
    duplicate, original = movements[position], movements[position - 1]
    same = ("lot", "quantity", "site", "to_site")
    assert [duplicate[c] for c in same] == [original[c] for c in same]
    assert original["entry_ref"] in corrections[0]["reason"]


def test_season_replays_without_overdraw(season_replay: Replay, season_rows: list[dict[str, str]]) -> None:
    auth = "FRIPO000000000042"
    for code in ("40122000", "40061000"):
        assert 0 < season_replay.discharged[auth, code] < season_replay.placed[auth, code]
    # Every placed lot keeps goods to the end: the audit has open quantities and deadlines.
    placed = [row["lot"] for row in season_rows if row["kind"] == "placement"]
    assert all(season_replay.stock_of(auth, lot) > 0 for lot in placed)
    tyres = [lot for (a, lot), state in season_replay.lots.items() if lot.startswith("RTY-")]
    assert sum(season_replay.stock_of(auth, lot) for lot in tyres) > 0  # some tyres not yet shipped


def test_replay_refuses_an_overdraw(bourges: Authorisation, season_rows: list[dict[str, str]]) -> None:
    """The replay is not vacuous: one movement of a casing more than the store holds is refused."""
    tampered = [dict(row) for row in season_rows]
    movement = next(row for row in tampered if row["kind"] == "movement" and row["lot"].startswith("CAS-"))
    movement["quantity"] = str(int(movement["quantity"]) + 5)
    with pytest.raises(OverdrawError):
        replay([bourges], records_from_rows(tampered))


def test_season_has_one_yield_outlier(season_replay: Replay, season_rows: list[dict[str, str]]) -> None:
    assert len(season_replay.deviations) == 1
    ref, code, relative = season_replay.deviations[0]
    assert code == "40061000" and relative > Fraction(5, 100)
    tread = [
        Decimal(r["quantity"]) for r in season_rows if r["entry_ref"] == ref and r["lot"].startswith("TRD")
    ]
    tyres = [
        Decimal(r["quantity"]) for r in season_rows if r["entry_ref"] == ref and r["goods_code"] == "40121300"
    ]
    assert sum(tread) / sum(tyres) == Decimal("13.5")
    # The others consume 11.6–11.8 kg of tread per tyre.
    for processing in {r["entry_ref"] for r in season_rows if r["kind"] == "processing"} - {ref}:
        rows = [r for r in season_rows if r["entry_ref"] == processing]
        used = sum(Decimal(r["quantity"]) for r in rows if r["lot"].startswith("TRD"))
        made = sum(Decimal(r["quantity"]) for r in rows if r["goods_code"] == "40121300")
        assert Decimal("11.6") <= used / made <= Decimal("11.8")


# ---------------------------------------------------------------- the generator


def _dumps(entries: Iterable[AnyEntry]) -> list[dict[str, object]]:
    return [entry.model_dump() for entry in entries]


def _ledger(entries: int, seed: int = 0, authorisations: int = 12) -> SyntheticLedger:
    return synthetic(
        entries=entries, authorisations=authorisations, seed=seed, holders=HOLDERS, brokers=BROKERS
    )


def test_generator_is_deterministic() -> None:
    first = _dumps(generate(entries=3000, authorisations=6, seed=7, holders=HOLDERS, brokers=BROKERS))
    again = _dumps(generate(entries=3000, authorisations=6, seed=7, holders=HOLDERS, brokers=BROKERS))
    other = _dumps(generate(entries=3000, authorisations=6, seed=8, holders=HOLDERS, brokers=BROKERS))
    assert len(first) == 3000
    assert first == again
    assert first != other
    ledger = _ledger(500, seed=3)
    assert _dumps(ledger.entries()) == _dumps(ledger.entries())  # each call starts afresh


@pytest.mark.parametrize("seed", [0, 1])
def test_generator_is_valid_by_construction(seed: int) -> None:
    ledger = _ledger(15_000, seed=seed)
    model = replay((a.authorisation for a in ledger.authorisations), records_from_entries(ledger.entries()))
    assert len(model.done) == 15_000
    assert model.deviations == []  # every processing within its authorisation's tolerance
    for key, discharged in model.discharged.items():
        assert 0 <= discharged <= model.placed[key]


def test_generator_mix_holders_and_brokers() -> None:
    ledger = _ledger(20_000, seed=5, authorisations=30)
    entries = list(ledger.entries())
    kinds = Counter(entry.kind for entry in entries)
    assert kinds.keys() == KINDS
    assert kinds["placement"] > 2000 and kinds["discharge"] > 4000
    assert kinds["movement"] > 1500 and kinds["processing"] > 1500
    assert 100 < kinds["handling"] < 1500 and 50 < kinds["correction"] < 1000
    processing = [e for e in entries if isinstance(e, Processing)]
    assert {len(p.inputs) for p in processing} == {1, 2, 3}
    assert {len(p.outputs) for p in processing} == {1, 2}
    modes = Counter(e.mode.value for e in entries if isinstance(e, Discharge))
    assert len(modes) == 6 and modes.most_common(1)[0][0] == "reexport"
    kind_of = {(e.authorisation, e.entry_ref): e.kind for e in entries}
    corrected = Counter(kind_of[c.authorisation, c.corrects] for c in entries if isinstance(c, Correction))
    assert corrected.keys() == {"movement", "discharge", "placement", "handling"}
    assert len({e.authorisation for e in entries}) == 30
    assert {a.holder for a in ledger.authorisations} == set(HOLDERS)
    assert {a.declarant for a in ledger.authorisations} == set(BROKERS)
    assert len({(a.holder, a.declarant) for a in ledger.authorisations}) == len(HOLDERS) * len(BROKERS)
    assert len({a.authorisation.products[0].code for a in ledger.authorisations}) >= 3
    for entry in entries[:200]:
        expected = "declarant" if entry.kind in ("placement", "discharge") else "holder"
        made = next(a for a in ledger.authorisations if a.reference == entry.authorisation)
        assert ledger.recorder(entry) == getattr(made, expected)


def test_generated_models_pass_validation() -> None:
    adapter: TypeAdapter[Entry] = TypeAdapter(Entry)
    for entry in _ledger(4000, seed=11).entries():
        again = adapter.validate_python(entry.model_dump())
        assert again.model_dump() == entry.model_dump()
        if isinstance(entry, Placement | Discharge) and entry.declaration:
            assert check_mrn(entry.declaration) == entry.declaration


def test_fast_rows_equal_the_rows_of_the_models(tmp_path: Path) -> None:
    ledger = _ledger(6000, seed=13)
    rows = list(ledger.rows())
    assert rows == [row for entry in ledger.entries() for row in entry_rows(entry)]
    path = tmp_path / "synthetic.csv"
    assert ledger.write_csv(path) == len(rows)
    with path.open(encoding="utf-8", newline="") as stream:
        parsed = list(csv.DictReader(stream))
    assert tuple(parsed[0]) == COLUMNS and len(parsed) == len(rows)
    model = replay((a.authorisation for a in ledger.authorisations), records_from_rows(parsed))
    assert len(model.done) == 6000 and model.deviations == []


def test_generator_is_lazy() -> None:
    started = datetime.now(UTC)
    stream = generate(entries=10**9, authorisations=1000)
    first = list(itertools.islice(stream, 1000))
    assert len(first) == 1000 and (datetime.now(UTC) - started).total_seconds() < 5


def test_the_project_reader_reads_both_files_as_they_were_made(tmp_path: Path) -> None:
    """The season and a generated file read back by the entries file reader give the same entries."""
    entries_file = pytest.importorskip("pa_client.records.entries_file")
    season = entries_file.read_entries(SEASON_CSV)
    assert season.problems == []
    assert [e.entry.model_dump() for e in season.entries] == _dumps(bourges_season())
    ledger = _ledger(3000, seed=17)
    path = tmp_path / "synthetic.csv"
    ledger.write_csv(path)
    generated = entries_file.read_entries(path)
    assert generated.problems == []
    assert [e.entry.model_dump() for e in generated.entries] == _dumps(ledger.entries())


def test_a_row_is_built_by_column_name_and_refuses_a_name_that_is_no_column() -> None:
    cells = entries_writer.row(entry_ref="E-1", kind="handling", lot="L-1", goods_code="40122000")
    assert len(cells) == len(COLUMNS)
    assert dict(zip(COLUMNS, cells, strict=True)) == {
        name: {"entry_ref": "E-1", "kind": "handling", "lot": "L-1", "goods_code": "40122000"}.get(name, "")
        for name in COLUMNS
    }
    with pytest.raises(ValueError, match="'goods' is not a column of the entries file"):
        entries_writer.row(entry_ref="E-1", goods="40122000")
