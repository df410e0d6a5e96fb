"""Synthetic records: the sample season of the 2019 Bourges pilot, and a generator of large ledgers.

- `bourges_season()` replays the pilot of French customs, Michelin and BDP International (aircraft
  tyre retreading at Bourges, 15 February – 31 March 2019) as about 300 rows of the entries file, under
  the sample authorisation `dev/sample/authorisation-bourges.toml`. `tools/make_sample_season.py`
  writes it to `dev/sample/season-bourges-2019.csv` (package data; `examples/` links to both).
- `synthetic()` / `generate()` make any number of entries over many authorisations, holders and
  brokers, deterministic for a seed and valid by construction: the generator tracks the stock of each
  lot at each site, never takes more than is there, keeps every processing within the
  authorisation's yield tolerance (outputs never exceed inputs, so discharged ≤ placed for each import
  goods code), and corrects only what the ledger allows to be corrected. It is a generator: memory
  stays bounded whatever the number of entries. `SyntheticLedger.rows()` is the fast path that yields
  rows of the entries file without building models.
- `entry_rows()` / `write_csv()` (from `records.entries_writer`) write entries in the format of the
  entries file (docs/spec/interfaces.md §1).

All of it is synthetic: references, MRNs, values and documents are made up. No floats are used:
quantities are integers in millionths of the unit or decimals, ratios are fractions.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Final, NamedTuple

from pa_client.contract.encoding import AnyEntry
from pa_client.domain.codes import mrn_check_character
from pa_client.domain.models import (
    Authorisation,
    Correction,
    Discharge,
    DischargeMode,
    Handling,
    Movement,
    Placement,
    Processing,
    ProcessingInput,
    ProcessingOutput,
)
from pa_client.records.columns import COLUMNS
from pa_client.records.entries_writer import Row, entry_rows, row, write_csv, write_rows

__all__ = [
    "BOURGES_REFERENCE",
    "COLUMNS",
    "DEFAULT_BROKERS",
    "DEFAULT_HOLDERS",
    "SEASON_TZ",
    "Row",
    "SyntheticAuthorisation",
    "SyntheticLedger",
    "bourges_season",
    "entry_rows",
    "generate",
    "synthetic",
    "write_csv",
    "write_rows",
]

# The entries file is written by `records.entries_writer` (rows by column name).

_CENT = Decimal("0.01")


def _digest(name: str) -> str:
    """The SHA-256 of a made-up supporting document, named by its file name."""
    return hashlib.sha256(name.encode()).hexdigest()


# ---------------------------------------------------------------- the 2019 Bourges season

BOURGES_REFERENCE: Final = "FRIPO000000000042"
SEASON_TZ: Final = timezone(timedelta(hours=1))  # CET: the season ends before summer time (31 Mar 2019)
_STORE, _WORKSHOP = "BOURGES-STORE", "BOURGES-WORKSHOP"
_CASING, _TREAD, _TYRE, _SCRAP = "40122000", "40061000", "40121300", "40040000"
_TREAD_PER_TYRE = Decimal("11.5")
_KG = Decimal("0.01")
_SEASON_FIRST, _SEASON_LAST = date(2019, 2, 15), date(2019, 3, 31)
_SEASON_SEED = 2019

# Casing sizes by the airline hub they come from: (size, aircraft, EUR per casing low–high).
_SIZES: Final[dict[str, tuple[tuple[str, str, int, int], ...]]] = {
    "US": (("H44.5x16.5-21", "B737 main gear", 640, 790), ("52x21R22", "B777 main gear", 1340, 1590)),
    "SG": (("54x21R23", "A330 main gear", 1390, 1680), ("52x21R22", "B777 main gear", 1340, 1590)),
    "AE": (("52x21R22", "B777 main gear", 1340, 1590), ("1400x530R23", "A380 main gear", 1720, 1980)),
}
_HUBS: Final = {"US": "ATL", "SG": "SIN", "AE": "DXB"}


@dataclass
class _SeasonLot:
    ref: str
    placement: str  # entry_ref of the placement or processing that created it
    size: str = ""
    day: int = 0  # business-day index it was created or moved on


@dataclass
class _Season:
    """Builds the season day by day, keeping its own stock of every lot at every site."""

    rng: random.Random
    entries: list[AnyEntry] = field(default_factory=list)
    stock: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    serial: dict[str, int] = field(default_factory=dict)
    mrn_serial: int = 4217
    clock: datetime = datetime(2019, 2, 15, 8, 0, tzinfo=SEASON_TZ)

    # ---- helpers

    def next_ref(self, series: str) -> str:
        self.serial[series] = self.serial.get(series, 0) + 1
        return f"{series}-2019-{self.serial[series]:04d}"

    def next_lot(self, prefix: str) -> str:
        return self.next_ref(prefix)

    def mrn(self, letter: str) -> str:
        self.mrn_serial += self.rng.randint(3, 41)  # the broker lodges other declarations in between
        first17 = f"19FR18{letter}{self.mrn_serial:010d}"
        return first17 + mrn_check_character(first17)

    def tick(self, low: int = 4, high: int = 26) -> datetime:
        self.clock += timedelta(minutes=self.rng.randint(low, high))
        assert self.clock.hour < 18, f"the day's records run past business hours ({self.clock})"
        return self.clock

    def at_least(self, hour: int, minute: int) -> None:
        floor = self.clock.replace(hour=hour, minute=minute)
        self.clock = max(self.clock, floor)

    def add(self, lot: str, site: str, quantity: Decimal) -> None:
        self.stock[lot, site] = self.stock.get((lot, site), Decimal(0)) + quantity

    def take(self, lot: str, site: str, quantity: Decimal) -> None:
        held = self.stock.get((lot, site), Decimal(0))
        assert quantity > 0 and held >= quantity, f"{lot} at {site}: {held} held, {quantity} taken"
        self.stock[lot, site] = held - quantity

    def held(self, lot: str, site: str) -> Decimal:
        return self.stock.get((lot, site), Decimal(0))

    # ---- records

    def place(
        self,
        lot: str,
        code: str,
        description: str,
        quantity: Decimal,
        unit: str,
        value: Decimal,
        rate: str,
        origin: str,
        documents: tuple[str, ...],
    ) -> str:
        ref = self.next_ref("BDP-IM")
        self.entries.append(
            Placement(
                authorisation=BOURGES_REFERENCE,
                entry_ref=ref,
                occurred_at=self.tick(),
                lot=lot,
                goods_code=code,
                description=description,
                quantity=quantity,
                unit=unit,
                site=_STORE,
                declaration=self.mrn("I"),
                procedure=5100,
                customs_value=value,
                duty_rate=Decimal(rate),
                origin=origin,
                documents=documents,
            )
        )
        self.add(lot, _STORE, quantity)
        return ref

    def move(self, lot: str, quantity: Decimal, site: str, to_site: str, *, reuse_time: bool = False) -> str:
        ref = self.next_ref("MIC-MV")
        when = self.clock if reuse_time else self.tick()
        self.entries.append(
            Movement(
                authorisation=BOURGES_REFERENCE,
                entry_ref=ref,
                occurred_at=when + timedelta(seconds=40) if reuse_time else when,
                lot=lot,
                quantity=quantity,
                site=site,
                to_site=to_site,
            )
        )
        self.take(lot, site, quantity)
        self.add(lot, to_site, quantity)
        return ref

    def discharge(
        self,
        series: str,
        lot: str,
        quantity: Decimal,
        site: str,
        mode: DischargeMode,
        documents: tuple[str, ...] = (),
    ) -> str:
        ref = self.next_ref(series)
        declaration, procedure = None, None
        if mode is DischargeMode.REEXPORT:
            declaration, procedure = self.mrn("E"), 3151
        elif mode is DischargeMode.FREE_CIRCULATION:
            declaration, procedure = self.mrn("I"), 4051
        self.entries.append(
            Discharge(
                authorisation=BOURGES_REFERENCE,
                entry_ref=ref,
                occurred_at=self.tick(),
                lot=lot,
                quantity=quantity,
                site=site,
                mode=mode,
                declaration=declaration,
                procedure=procedure,
                documents=documents,
            )
        )
        self.take(lot, site, quantity)
        return ref


def _business_days(first: date, last: date) -> list[date]:
    days: list[date] = []
    day = first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def bourges_season(seed: int = _SEASON_SEED) -> list[AnyEntry]:
    """The sample season of the 2019 pilot, in file order, each entry valid when recorded in order.

    Casings from airlines' hubs (US, SG, AE) and tread rubber (MY, TH) are placed by the broker in the
    store, moved to the workshop, retreaded (casing + 11.6–11.8 kg of tread per tyre, buffing scrap as
    secondary product, the rest lost; one batch uses 13.5 kg per tyre, beyond the 2 % tolerance), the
    tyres moved back to the store and mostly re-exported. One scrap lot is released for free
    circulation, one casing rejected at inspection is destroyed, one movement keyed twice is corrected.
    Every placed lot keeps some goods to the end (casings held for inspection, tread remnants), so
    the audit has open quantities and deadlines."""
    rng = random.Random(seed)
    season = _Season(rng)
    days = _business_days(_SEASON_FIRST, _SEASON_LAST)

    # What arrives when: casing consignments most days at first, then every other day; tread weekly.
    casing_days = {0, 1, 3, 5, 7, 9, 11, 14, 16, 19, 22, 24, 26}
    tread_days = {0, 6, 13, 20, 27}
    duplicate_day, destruction_day, free_circulation_day = 8, 11, 18
    outlier_from = 23  # the first batch of 3 tyres or more from then on uses too much tread

    casing_lots: list[_SeasonLot] = []  # in arrival order
    tread_lots: list[_SeasonLot] = []
    tyre_lots: list[_SeasonLot] = []  # retreaded tyres, in production order
    scrap_lots: list[_SeasonLot] = []
    batches = 0
    outlier_done = False
    duplicate_done = False
    pending_correction: str | None = None
    duplicated_of = ""

    for index, day in enumerate(days):
        season.clock = datetime.combine(day, time(8, 0), tzinfo=SEASON_TZ)

        # 1. The broker's placements: the declarations accepted this morning.
        if index in casing_days:
            for _ in range(2 if index == 0 else 1):
                origin = rng.choice(("US", "SG", "AE"))
                size, aircraft, low, high = rng.choice(_SIZES[origin])
                count = rng.randint(6, 14)
                price = Decimal(rng.randint(low * 100, high * 100)) / 100
                lot = season.next_lot("CAS")
                invoice = f"INV-{_HUBS[origin]}-19-{rng.randint(100, 999):04d}.pdf"
                awb = f"AWB-{rng.randint(100, 999)}-{rng.randint(10_000_000, 99_999_999)}.pdf"
                ref = season.place(
                    lot,
                    _CASING,
                    f"Used aircraft tyre casings for retreading, {size} ({aircraft})",
                    Decimal(count),
                    "NAR",
                    (price * count).quantize(_CENT),
                    "4.5",
                    origin,
                    (_digest(invoice), _digest(awb)) if rng.randint(0, 2) else (),
                )
                casing_lots.append(_SeasonLot(lot, ref, size, index))
        if index in tread_days:
            origin = rng.choice(("MY", "TH"))
            kilograms = Decimal(rng.randint(38, 62) * 10)
            price = Decimal(rng.randint(1180, 1420)) / 100
            lot = season.next_lot("TRD")
            invoice = f"INV-{origin}-TR-19-{rng.randint(10, 99):03d}.pdf"
            ref = season.place(
                lot,
                _TREAD,
                "Tread rubber (camel-back) for retreading aircraft tyres",
                kilograms,
                "KGM",
                (price * kilograms).quantize(_CENT),
                "3",
                origin,
                (_digest(invoice),),
            )
            tread_lots.append(_SeasonLot(lot, ref, "", index))

        # 2. Yesterday's retreaded tyres go back to the store, ready for shipping.
        season.at_least(9, 30)
        for tyres in tyre_lots:
            quantity = season.held(tyres.ref, _WORKSHOP)
            if quantity > 0 and tyres.day < index:
                season.move(tyres.ref, quantity, _WORKSHOP, _STORE)
                tyres.day = index

        # 3. Casings inspected on arrival go to the workshop; one or two stay held for inspection.
        season.at_least(10, 30)
        for casings in casing_lots:
            held = season.held(casings.ref, _STORE)
            hold = Decimal(2 if casings.ref.endswith(("3", "7")) else 1)
            if casings.day < index and held > hold:
                season.move(casings.ref, held - hold, _STORE, _WORKSHOP)

        # 4. Tread rubber for the day's batches, cut from the oldest lot; 20 kg remnants stay.
        in_workshop = sum((season.held(t.ref, _WORKSHOP) for t in tread_lots), Decimal(0))
        if in_workshop < 160:
            wanted = Decimal(rng.randint(14, 22) * 10)
            for tread in tread_lots:
                movable = season.held(tread.ref, _STORE) - 20
                if movable <= 0 or wanted <= 0:
                    continue
                quantity = min(wanted, movable)
                ref = season.move(tread.ref, quantity, _STORE, _WORKSHOP)
                wanted -= quantity
                if (
                    index >= duplicate_day
                    and not duplicate_done
                    and season.held(tread.ref, _STORE) >= quantity
                ):
                    # The ERP sent the same movement twice; the holder corrects it before noon.
                    pending_correction = season.move(tread.ref, quantity, _STORE, _WORKSHOP, reuse_time=True)
                    duplicated_of = ref
                    duplicate_done = True
        if pending_correction is not None:
            season.at_least(11, 40)
            correction_ref = season.next_ref("MIC-CO")
            season.entries.append(
                Correction(
                    authorisation=BOURGES_REFERENCE,
                    entry_ref=correction_ref,
                    occurred_at=season.tick(),
                    corrects=pending_correction,
                    reason=f"Movement keyed twice by the ERP interface: duplicate of {duplicated_of}, "
                    "the tread rubber moved once",
                )
            )
            moved = next(
                e for e in season.entries if isinstance(e, Movement) and e.entry_ref == pending_correction
            )
            season.take(moved.lot, _WORKSHOP, moved.quantity)
            season.add(moved.lot, _STORE, moved.quantity)
            pending_correction = None

        # 5. A casing rejected at shearography inspection is destroyed under customs supervision.
        if index == destruction_day:
            casings = next(c for c in casing_lots if season.held(c.ref, _WORKSHOP) >= 2)
            season.at_least(13, 0)
            season.discharge(
                "MIC-DS",
                casings.ref,
                Decimal(1),
                _WORKSHOP,
                DischargeMode.DESTRUCTION,
                (_digest(f"PV-DESTRUCTION-BGS-19-{rng.randint(10, 99)}.pdf"),),
            )

        # 6. The afternoon's retreading batches (autoclave loads of 2–5 tyres of one size).
        season.at_least(13, 30)
        for _ in range(rng.choice((1, 2))):
            casings_at = next((c for c in casing_lots if season.held(c.ref, _WORKSHOP) > 0), None)
            if casings_at is None:
                break
            tyres_count = min(season.held(casings_at.ref, _WORKSHOP), Decimal(rng.randint(2, 5)))
            batches += 1
            outlier = batches >= outlier_from and tyres_count >= 3 and not outlier_done
            if outlier:
                # Tread strips cut too long and trimmed off after curing: beyond the 2 % tolerance.
                outlier_done = True
                per_tyre = Decimal("13.5")
                scrap = (Decimal("0.4") * tyres_count).quantize(_KG)
            else:
                per_tyre = Decimal(rng.randint(1160, 1180)) / 100
                excess = per_tyre * tyres_count - _TREAD_PER_TYRE * tyres_count
                scrap = (excess * rng.randint(50, 80) / 100).quantize(_KG, rounding=ROUND_DOWN)
            tread_needed = per_tyre * tyres_count
            loss = tread_needed - _TREAD_PER_TYRE * tyres_count - scrap
            if not outlier:
                assert scrap > 0 and 0 <= loss <= tread_needed * Decimal("0.015"), (per_tyre, scrap, loss)
            inputs = [ProcessingInput(lot=casings_at.ref, quantity=tyres_count)]
            remaining = tread_needed
            for tread in tread_lots:
                available = season.held(tread.ref, _WORKSHOP)
                if available <= 0 or remaining <= 0:
                    continue
                used = min(available, remaining)
                inputs.append(ProcessingInput(lot=tread.ref, quantity=used))
                remaining -= used
            assert remaining == 0, "not enough tread rubber in the workshop"
            ref = season.next_ref("MIC-TR")
            tyre_lot, scrap_lot = season.next_lot("RTY"), season.next_lot("SCR")
            order = f"OF-BGS-19-{rng.randint(1000, 9999)}.pdf"
            season.entries.append(
                Processing(
                    authorisation=BOURGES_REFERENCE,
                    entry_ref=ref,
                    occurred_at=season.tick(20, 45),
                    site=_WORKSHOP,
                    inputs=tuple(inputs),
                    outputs=(
                        ProcessingOutput(
                            lot=tyre_lot,
                            goods_code=_TYRE,
                            description=f"Retreaded aircraft tyres {casings_at.size}",
                            quantity=tyres_count,
                            unit="NAR",
                        ),
                        ProcessingOutput(
                            lot=scrap_lot,
                            goods_code=_SCRAP,
                            description="Rubber buffing dust and tread trimmings",
                            quantity=scrap,
                            unit="KGM",
                        ),
                    ),
                    documents=(_digest(order),) if rng.randint(0, 2) == 0 else (),
                )
            )
            for item in inputs:
                season.take(item.lot, _WORKSHOP, item.quantity)
            season.add(tyre_lot, _WORKSHOP, tyres_count)
            season.add(scrap_lot, _WORKSHOP, scrap)
            tyre_lots.append(_SeasonLot(tyre_lot, ref, casings_at.size, index))
            scrap_lots.append(_SeasonLot(scrap_lot, ref, "", index))

        # 7. Re-exports to the airlines: tyres a day or more in the store; some shipments are split.
        season.at_least(15, 30)
        for tyres in tyre_lots:
            quantity = season.held(tyres.ref, _STORE)
            if quantity <= 0 or index - tyres.day < rng.randint(1, 3):
                continue
            if quantity >= 3 and rng.randint(0, 3) == 0:
                quantity -= 1  # the last tyre waits for the airline's next collection
            invoice = f"BDP-EXP-19-{rng.randint(1000, 9999)}.pdf"
            season.discharge(
                "BDP-EX",
                tyres.ref,
                quantity,
                _STORE,
                DischargeMode.REEXPORT,
                (_digest(invoice),) if rng.randint(0, 1) else (),
            )
            tyres.day = index

        # 8. Scrap sold to a rubber recycler in the Union: released for free circulation, duty paid.
        if index == free_circulation_day:
            sold = max(scrap_lots, key=lambda s: season.held(s.ref, _WORKSHOP))
            season.discharge(
                "BDP-EX",
                sold.ref,
                season.held(sold.ref, _WORKSHOP),
                _WORKSHOP,
                DischargeMode.FREE_CIRCULATION,
                (_digest(f"INV-RECYC-19-{rng.randint(100, 999)}.pdf"),),
            )

    assert outlier_done
    for placed in (*casing_lots, *tread_lots):
        assert season.held(placed.ref, _STORE) + season.held(placed.ref, _WORKSHOP) > 0, placed
    return season.entries


# ---------------------------------------------------------------- the generator: goods and processes

_MICRO: Final = 1_000_000
DEFAULT_HOLDERS: Final[tuple[str, ...]] = (
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",  # Anvil development account "holder"
    "0x90F79bf6EB2c4f870365E785982E1f101E93b906",  # "holder2"
)
DEFAULT_BROKERS: Final[tuple[str, ...]] = (
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",  # "broker"
    "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",  # "broker2"
)
DEFAULT_START: Final = datetime(2024, 1, 8, 7, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class _Goods:
    """An import goods code of a process, with what its consignments look like."""

    code: str
    description: str
    unit: str
    granularity: int  # the smallest quantity stated, in millionths (1 piece, 1 g, 1 cm)
    lot_size: tuple[int, int]  # consignment size range, in granules
    price_cents: tuple[int, int]  # customs value per unit, in cents
    duty_rate: str  # as written in the file (canonical: no trailing zeros)
    origins: tuple[str, ...]
    prefix: str  # lot reference prefix


@dataclass(frozen=True, slots=True)
class _Product:
    code: str
    description: str
    unit: str
    granularity: int
    contains: tuple[tuple[str, Fraction], ...]  # import goods per unit of product
    contains_text: tuple[tuple[str, str], ...]  # the same, as customs state it
    prefix: str
    secondary: str | None = None  # the SPP code that comes with this MPP
    secondary_per_unit: Fraction = Fraction(0)  # SPP quantity per unit of MPP


@dataclass(frozen=True, slots=True)
class _Process:
    """A kind of inward processing: its import goods, products, sites and usual handlings."""

    name: str
    goods: tuple[_Goods, ...]
    mains: tuple[_Product, ...]
    secondaries: tuple[_Product, ...]
    sites: tuple[str, ...]
    handlings: dict[str, str]  # lot's code → the code after a usual form of handling


def _product(
    code: str,
    description: str,
    unit: str,
    granularity: int,
    contains: dict[str, str],
    prefix: str,
    secondary: str | None = None,
    secondary_per_unit: str = "0",
) -> _Product:
    return _Product(
        code,
        description,
        unit,
        granularity,
        tuple((goods, Fraction(ratio)) for goods, ratio in contains.items()),
        tuple(contains.items()),
        prefix,
        secondary,
        Fraction(secondary_per_unit),
    )


_PROCESSES: Final[tuple[_Process, ...]] = (
    _Process(
        "tyre retreading",
        (
            _Goods(_CASING, "Used aircraft tyre casings for retreading", "NAR", _MICRO, (4, 24),
                   (64_000, 168_000), "4.5", ("US", "SG", "AE", "QA", "HK"), "CAS-"),
            _Goods(_TREAD, "Tread rubber (camel-back) for retreading", "KGM", 1000, (150_000, 900_000),
                   (1180, 1420), "3", ("MY", "TH", "ID"), "TRD-"),
        ),
        (_product(_TYRE, "Retreaded aircraft tyres", "NAR", _MICRO, {_CASING: "1", _TREAD: "23/2"},
                  "RTY-", _SCRAP, "3/20"),),
        (_product(_SCRAP, "Rubber buffing dust and tread trimmings", "KGM", 1000, {_TREAD: "1"}, "SCR-"),),
        ("STORE", "WORKSHOP", "DISPATCH"),
        {_TREAD: "40069000", _TYRE: "40121300"},
    ),
    _Process(
        "garment making",
        (
            _Goods("52085200", "Printed plain-weave cotton fabric, 140 g/m2", "MTR", 10_000,
                   (50_000, 400_000), (380, 620), "8", ("IN", "PK", "BD", "CN"), "FAB-"),
        ),
        (_product("62044200", "Women's cotton dresses", "NAR", _MICRO, {"52085200": "5/2"}, "DRS-",
                  "63101000", "1/20"),),
        (_product("63101000", "Cotton cuttings (sorted rags)", "KGM", 1000, {"52085200": "4"}, "CUT-"),),
        ("ENTREPOT", "ATELIER"),
        {"52085200": "52085900"},
    ),
    _Process(
        "aluminium extrusion",
        (
            _Goods("76012000", "Aluminium alloy billets, 6063", "KGM", 1000, (4_000_000, 24_000_000),
                   (210, 265), "6", ("AE", "IS", "NO", "IN"), "BIL-"),
        ),
        (_product("76042910", "Extruded aluminium alloy profiles", "KGM", 1000, {"76012000": "20/19"},
                  "PRF-", "76020019", "3/16"),),
        (_product("76020019", "Aluminium alloy scrap (press ends)", "KGM", 1000, {"76012000": "20/19"},
                  "SCA-"),),
        ("YARD", "PRESS-1", "PRESS-2"),
        {"76042910": "76042990"},
    ),
    _Process(
        "chocolate making",
        (
            _Goods("18031000", "Cocoa paste, not defatted", "KGM", 1000, (2_000_000, 12_000_000),
                   (340, 480), "9.6", ("CI", "GH", "EC"), "CPA-"),
            _Goods("17019910", "White cane sugar", "KGM", 1000, (2_000_000, 16_000_000),
                   (38, 55), "12", ("BR", "MU", "IN"), "SUG-"),
        ),
        (_product("18063100", "Filled chocolate bars", "KGM", 1000,
                  {"18031000": "21/50", "17019910": "9/20"}, "CHO-"),),
        (),
        ("ENTREPOT", "USINE"),
        {"18063100": "18063210"},
    ),
)  # fmt: skip

_PRODUCTS: Final[dict[str, _Product]] = {
    product.code: product for process in _PROCESSES for product in (*process.mains, *process.secondaries)
}
_MODES: Final[tuple[tuple[DischargeMode, str, int | None, int], ...]] = (
    # mode, MRN letter, procedure code, weight in 100
    (DischargeMode.REEXPORT, "E", 3151, 70),
    (DischargeMode.FREE_CIRCULATION, "I", 4051, 11),
    (DischargeMode.WAREHOUSING, "W", 7151, 6),
    (DischargeMode.TRANSFER, "", None, 5),
    (DischargeMode.DESTRUCTION, "", None, 5),
    (DischargeMode.ABANDONMENT, "", None, 3),
)
_MODE_TABLE: Final[tuple[tuple[DischargeMode, str, int | None], ...]] = tuple(
    (mode, letter, procedure) for mode, letter, procedure, weight in _MODES for _ in range(weight)
)
_COUNTRIES: Final = ("FR", "DE", "BE", "NL", "IT", "ES")
_MAX_HOLDINGS: Final = 40  # per authorisation: keeps memory bounded whatever the number of entries


# ---------------------------------------------------------------- the generator: MRNs and times

_LETTER_VALUE: Final[dict[str, int]] = {}
_value = 10
for _letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
    if _value % 11 == 0:
        _value += 1
    _LETTER_VALUE[_letter] = _value
    _value += 1
# The MRN check character is linear in the characters: 12 serial digits in 4 chunks of 3 are looked up.
_SERIAL_CHUNKS: Final[tuple[tuple[int, ...], ...]] = tuple(
    tuple(
        sum(int(digit) << (5 + 3 * chunk + offset) for offset, digit in enumerate(f"{value:03d}"))
        for value in range(1000)
    )
    for chunk in range(4)
)
_PREFIX_SUMS: dict[str, int] = {}


def _mrn(prefix: str, serial: int) -> str:
    """An MRN `prefix` (year, country, one letter: 5 characters) + 12-digit serial + check character;
    the same result as `codes.mrn_check_character`, an order of magnitude faster."""
    head = _PREFIX_SUMS.get(prefix)
    if head is None:
        head = sum(
            (int(char) if char.isdigit() else _LETTER_VALUE[char]) << position
            for position, char in enumerate(prefix)
        )
        _PREFIX_SUMS[prefix] = head
    total = (
        head
        + _SERIAL_CHUNKS[0][serial // 1_000_000_000 % 1000]
        + _SERIAL_CHUNKS[1][serial // 1_000_000 % 1000]
        + _SERIAL_CHUNKS[2][serial // 1000 % 1000]
        + _SERIAL_CHUNKS[3][serial % 1000]
    )
    return f"{prefix}{serial:012d}{total % 11 % 10}"


def _micro_text(micro: int) -> str:
    """Millionths of a unit as a decimal without trailing zeros (12500000 → 12.5)."""
    units, fraction = divmod(micro, _MICRO)
    if fraction == 0:
        return str(units)
    return f"{units}.{fraction:06d}".rstrip("0")


def _cents_text(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


# ---------------------------------------------------------------- the generator: events

# What the engine produces, before it becomes a model or a row. Quantities in millionths, times in
# Unix seconds, money in cents.


class _PlacementEvent(NamedTuple):
    authorisation: str
    entry_ref: str
    at: int
    documents: tuple[str, ...]
    lot: str
    goods_code: str
    description: str
    quantity: int
    unit: str
    site: str
    declaration: str
    customs_value: int
    duty_rate: str
    origin: str


class _MovementEvent(NamedTuple):
    authorisation: str
    entry_ref: str
    at: int
    documents: tuple[str, ...]
    lot: str
    quantity: int
    site: str
    to_site: str


class _ProcessingEvent(NamedTuple):
    authorisation: str
    entry_ref: str
    at: int
    documents: tuple[str, ...]
    site: str
    inputs: tuple[tuple[str, int], ...]
    outputs: tuple[tuple[str, _Product, int], ...]


class _HandlingEvent(NamedTuple):
    authorisation: str
    entry_ref: str
    at: int
    documents: tuple[str, ...]
    lot: str
    goods_code: str


class _DischargeEvent(NamedTuple):
    authorisation: str
    entry_ref: str
    at: int
    documents: tuple[str, ...]
    lot: str
    quantity: int
    site: str
    mode: DischargeMode
    declaration: str | None
    procedure: int | None


class _CorrectionEvent(NamedTuple):
    authorisation: str
    entry_ref: str
    at: int
    documents: tuple[str, ...]
    corrects: str
    reason: str


_Event = (
    _PlacementEvent | _MovementEvent | _ProcessingEvent | _HandlingEvent | _DischargeEvent | _CorrectionEvent
)


# ---------------------------------------------------------------- the generator: state


class _Lot:
    __slots__ = ("code", "granularity", "product", "ref")

    def __init__(self, ref: str, code: str, granularity: int, product: _Product | None) -> None:
        self.ref = ref
        self.code = code  # the import goods code, or the product code
        self.granularity = granularity
        self.product = product  # None for an import lot


class _Holding:
    """The stock of one lot at one site (> 0 while listed)."""

    __slots__ = ("lot", "position", "quantity", "site")

    def __init__(self, lot: _Lot, site: str, quantity: int) -> None:
        self.lot = lot
        self.site = site
        self.quantity = quantity
        self.position = -1


class _Last(NamedTuple):
    """The last entry of an authorisation, while it can still be corrected (nothing depends on it)."""

    kind: str
    entry_ref: str
    lot: _Lot | None = None
    site: str = ""
    to_site: str = ""
    quantity: int = 0
    declaration: str = ""


class _AuthState:
    """One authorisation's stocks (bounded) and its last correctable entry."""

    __slots__ = (
        "broker",
        "country",
        "holder",
        "holdings",
        "imports",
        "index",
        "last",
        "process",
        "ref",
        "tolerance_ppm",
        "where",
    )

    def __init__(
        self,
        index: int,
        ref: str,
        process: _Process,
        tolerance_ppm: int,
        holder: str,
        broker: str,
        country: str,
    ) -> None:
        self.index = index
        self.ref = ref
        self.process = process
        self.tolerance_ppm = tolerance_ppm
        self.holder = holder  # party code for entry references
        self.broker = broker
        self.country = country
        self.holdings: list[_Holding] = []
        self.where: dict[tuple[str, str], _Holding] = {}
        self.imports: dict[str, dict[str, list[_Holding]]] = {}  # site → code → holdings of import lots
        self.last: _Last | None = None

    def add(self, lot: _Lot, site: str, quantity: int) -> _Holding:
        holding = self.where.get((lot.ref, site))
        if holding is None:
            holding = _Holding(lot, site, quantity)
            holding.position = len(self.holdings)
            self.holdings.append(holding)
            self.where[lot.ref, site] = holding
            if lot.product is None:
                self.imports.setdefault(site, {}).setdefault(lot.code, []).append(holding)
        else:
            holding.quantity += quantity
        return holding

    def take(self, holding: _Holding, quantity: int) -> None:
        assert 0 < quantity <= holding.quantity
        holding.quantity -= quantity
        if holding.quantity == 0:
            moved = self.holdings.pop()
            if moved is not holding:
                moved.position = holding.position
                self.holdings[holding.position] = moved
            del self.where[holding.lot.ref, holding.site]
            if holding.lot.product is None:
                by_code = self.imports[holding.site]
                same = by_code[holding.lot.code]
                same.remove(holding)
                if not same:
                    del by_code[holding.lot.code]
                    if not by_code:
                        del self.imports[holding.site]


@dataclass(frozen=True)
class SyntheticAuthorisation:
    """An authorisation of a synthetic ledger, its holder and the broker it appoints as declarant."""

    authorisation: Authorisation
    declarant: str
    sites: tuple[str, ...]

    @property
    def reference(self) -> str:
        return self.authorisation.reference

    @property
    def holder(self) -> str:
        return self.authorisation.holder


_DECLARANT_KINDS: Final = frozenset({"placement", "discharge"})


@dataclass(frozen=True)
class SyntheticLedger:
    """A synthetic ledger: its authorisations (register them, appoint their declarants) and a
    deterministic stream of `entry_count` entries over them, valid when recorded in order.

    `entries()` and `rows()` start the same stream afresh at each call; neither holds it in memory."""

    authorisations: tuple[SyntheticAuthorisation, ...]
    entry_count: int
    seed: int
    start: datetime
    mean_gap_seconds: int

    def entries(self) -> Iterator[AnyEntry]:
        """The entries as models (built without re-validation: they are valid by construction)."""
        for event in self._events():
            yield _to_model(event)

    def rows(self) -> Iterator[Row]:
        """The fast path: the rows of the entries file (times in UTC), the same as `entry_rows` of
        `entries()`, without building models."""
        for event in self._events():
            yield from _to_rows(event)

    def write_csv(self, path: Path | str) -> int:
        """Writes the whole stream as an entries file by the fast path; returns the number of rows."""
        return write_rows(self.rows(), path)

    def recorder(self, entry: AnyEntry) -> str:
        """Who records `entry`: the declarant lodges placements and discharges, the holder the rest."""
        authorisation = self._by_reference[entry.authorisation]
        return authorisation.declarant if entry.kind in _DECLARANT_KINDS else authorisation.holder

    @property
    def _by_reference(self) -> dict[str, SyntheticAuthorisation]:
        return {a.reference: a for a in self.authorisations}

    def _events(self) -> Iterator[_Event]:
        return _Engine(self).run()


def synthetic(
    *,
    entries: int,
    authorisations: int = 1,
    seed: int = 0,
    start: datetime = DEFAULT_START,
    holders: Sequence[str] = DEFAULT_HOLDERS,
    brokers: Sequence[str] = DEFAULT_BROKERS,
    mean_gap_seconds: int = 30,
) -> SyntheticLedger:
    """A synthetic ledger of `entries` entries over `authorisations` authorisations.

    Authorisation i belongs to `holders[i % len(holders)]` and appoints a broker of `brokers`
    (spread so that each holder works with several brokers). Each authorisation follows one of four
    processes (aircraft tyre retreading, garment making, aluminium extrusion, chocolate making) with
    its own sites, tolerance and period for discharge. Entries start at `start` and are
    `mean_gap_seconds` apart on average; authorisations are valid from `start` to past the last entry."""
    if entries < 0:
        raise ValueError("entries must be >= 0")
    if authorisations < 1:
        raise ValueError("authorisations must be >= 1")
    if not holders or not brokers:
        raise ValueError("give at least one holder and one broker")
    if mean_gap_seconds < 1:
        raise ValueError("mean_gap_seconds must be >= 1")
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    start = start.astimezone(UTC).replace(microsecond=0)
    rng = random.Random(f"pa-synthetic-authorisations-{seed}")
    valid_until = (start + timedelta(seconds=2 * mean_gap_seconds * (entries + 1))).date() + timedelta(days=1)
    made: list[SyntheticAuthorisation] = []
    for index in range(authorisations):
        holder_index = index % len(holders)
        country = _COUNTRIES[holder_index % len(_COUNTRIES)]
        process = _PROCESSES[rng.randrange(len(_PROCESSES))] if index else _PROCESSES[0]
        tolerance = rng.choice(("1", "2", "2", "3"))
        authorisation = Authorisation.model_validate(
            {
                "reference": f"{country}IPO{7_000_000 + index:012d}",
                "holder": holders[holder_index],
                "holder_eori": f"{country}{40_000_000_000 + holder_index:014d}",
                "supervising_office": f"{country}{150 + holder_index % 50:06d}",
                "valid_from": start.date(),
                "valid_until": valid_until,
                "discharge_period_months": rng.choice((6, 6, 12, 3)),
                "period_end": rng.choice(("none", "month", "month", "quarter", "semester")),
                "allocation_key": "quantity",
                "yield_tolerance_percent": tolerance,
                "deemed_release_on_expiry": rng.randrange(3) > 0,
                "import_goods": tuple(goods.code for goods in process.goods),
                "products": tuple(
                    {
                        "code": product.code,
                        "description": product.description,
                        "unit": product.unit,
                        "contains": dict(product.contains_text),
                    }
                    for product in (*process.mains, *process.secondaries)
                ),
            }
        )
        broker = brokers[(index // len(holders) + holder_index) % len(brokers)]
        made.append(SyntheticAuthorisation(authorisation, broker, process.sites))
    return SyntheticLedger(tuple(made), entries, seed, start, mean_gap_seconds)


def generate(
    *,
    entries: int,
    authorisations: int = 1,
    seed: int = 0,
    start: datetime = DEFAULT_START,
    holders: Sequence[str] = DEFAULT_HOLDERS,
    brokers: Sequence[str] = DEFAULT_BROKERS,
    mean_gap_seconds: int = 30,
) -> Iterator[AnyEntry]:
    """The entries of `synthetic(...)` (same arguments), as models, in the order to record them."""
    return synthetic(
        entries=entries,
        authorisations=authorisations,
        seed=seed,
        start=start,
        holders=holders,
        brokers=brokers,
        mean_gap_seconds=mean_gap_seconds,
    ).entries()


# ---------------------------------------------------------------- the generator: engine

_CORRECTION_REASONS: Final[dict[str, tuple[str, ...]]] = {
    "movement": (
        "movement keyed twice: the goods moved once",
        "movement recorded on the wrong lot",
        "goods did not leave the site: transport cancelled",
    ),
    "discharge": (
        "declaration invalidated by customs (art. 174 UCC): goods still under the procedure",
        "discharge recorded on the wrong lot",
    ),
    "handling": ("wrong CN code keyed for the usual form of handling",),
    "placement": ("quantity keyed wrong: re-recorded with the declared quantity",),
}


class _Engine:
    def __init__(self, ledger: SyntheticLedger) -> None:
        rng = random.Random(f"pa-synthetic-entries-{ledger.seed}")
        self._bits = rng.getrandbits
        self.count = ledger.entry_count
        self.gap = ledger.mean_gap_seconds
        self.at = int(ledger.start.timestamp())
        self.serial = 0
        self.lot_serial = 0
        self.mrn_serial = 0
        self.years: dict[int, int] = {}  # day number → two-digit year, for MRNs
        holder_codes: dict[str, str] = {}
        broker_codes: dict[str, str] = {}
        self.auths: list[_AuthState] = []
        for index, made in enumerate(ledger.authorisations):
            holder = holder_codes.setdefault(made.holder, f"HO{len(holder_codes) + 1:02d}")
            broker = broker_codes.setdefault(made.declarant, f"BR{len(broker_codes) + 1:02d}")
            process = next(p for p in _PROCESSES if p.goods[0].code == made.authorisation.import_goods[0])
            tolerance_ppm = int(made.authorisation.yield_tolerance_percent * 10_000)
            self.auths.append(
                _AuthState(index, made.reference, process, tolerance_ppm, holder, broker, made.reference[:2])
            )

    def _below(self, bound: int) -> int:
        """A random integer in [0, bound): 40 random bits reduced modulo `bound` (bias < 10^-9 for
        the small bounds used here), several times faster than `randrange`."""
        return self._bits(40) % bound

    # ---- references

    def _ref(self, party: str, kind: str) -> str:
        self.serial += 1
        return f"{party}-{kind}-{self.serial:09d}"

    def _lot_ref(self, prefix: str) -> str:
        self.lot_serial += 1
        return f"{prefix}{self.lot_serial:08d}"

    def _declaration(self, auth: _AuthState, letter: str) -> str:
        self.mrn_serial += 1 + self._below(8)
        day = self.at // 86_400
        year = self.years.get(day)
        if year is None:
            year = self.years[day] = (date(1970, 1, 1) + timedelta(days=day)).year % 100
        return _mrn(f"{year:02d}{auth.country}{letter}", self.mrn_serial)

    def _documents(self, ref: str, what: str) -> tuple[str, ...]:
        roll = self._below(10)
        if roll < 6:
            return ()
        if roll < 9:
            return (_digest(f"{what}-{ref}.pdf"),)
        return (_digest(f"{what}-{ref}.pdf"), _digest(f"packing-list-{ref}.pdf"))

    # ---- the stream

    def run(self) -> Iterator[_Event]:
        below = self._below
        auths = self.auths
        spread = 2 * self.gap - 1
        produced = 0
        while produced < self.count:
            self.at += 1 + below(spread)
            auth = auths[below(len(auths))]
            for event in self._step(auth):
                yield event
                produced += 1
                if produced == self.count:
                    return

    def _step(self, auth: _AuthState) -> tuple[_Event, ...]:
        if not auth.holdings:
            return self._placement(auth)
        if auth.last is not None and self._below(100) < 3:
            return self._correction(auth)
        roll = self._below(100)
        if roll < 24:
            if len(auth.holdings) < _MAX_HOLDINGS:
                return self._placement(auth)
            return self._discharge(auth, whole=True)
        if roll < 38:
            return self._movement(auth, auth.holdings[self._below(len(auth.holdings))])
        if roll < 58:
            return self._processing(auth)
        if roll < 61:
            return self._handling(auth)
        return self._discharge(auth)

    def _pick_quantity(self, holding: _Holding, whole: bool = False) -> int:
        granularity = holding.lot.granularity
        granules = holding.quantity // granularity
        if whole or granules <= 1 or self._below(2) == 0:
            return holding.quantity
        return (1 + self._below(granules - 1)) * granularity

    def _placement(
        self, auth: _AuthState, goods: _Goods | None = None, site: str | None = None
    ) -> tuple[_Event, ...]:
        if goods is None:
            goods = auth.process.goods[self._below(len(auth.process.goods))]
        return (self._place(auth, goods, site=site),)

    def _place(
        self,
        auth: _AuthState,
        goods: _Goods,
        lot_ref: str | None = None,
        site: str | None = None,
        declaration: str | None = None,
    ) -> _PlacementEvent:
        below = self._below
        low, high = goods.lot_size
        quantity = (low + below(high - low + 1)) * goods.granularity
        price_low, price_high = goods.price_cents
        price = price_low + below(price_high - price_low + 1)
        value = max(1, quantity * price // _MICRO)
        ref = self._ref(auth.broker, "IM")
        lot = _Lot(lot_ref or self._lot_ref(goods.prefix), goods.code, goods.granularity, None)
        sites = auth.process.sites
        if site is None:
            site = sites[0] if below(4) else sites[-1]
        event = _PlacementEvent(
            auth.ref,
            ref,
            self.at,
            self._documents(ref, "invoice"),
            lot.ref,
            goods.code,
            goods.description,
            quantity,
            goods.unit,
            site,
            declaration or self._declaration(auth, "I"),
            value,
            goods.duty_rate,
            goods.origins[below(len(goods.origins))],
        )
        auth.add(lot, site, quantity)
        auth.last = _Last("placement", ref, lot, site, declaration=event.declaration)
        return event

    def _movement(
        self, auth: _AuthState, holding: _Holding, to_site: str | None = None
    ) -> tuple[_Event, ...]:
        if to_site is None:
            sites = auth.process.sites
            to_site = sites[self._below(len(sites) - 1)]
            if to_site == holding.site:
                to_site = sites[-1]
        quantity = self._pick_quantity(holding)
        ref = self._ref(auth.holder, "MV")
        lot, site = holding.lot, holding.site
        auth.take(holding, quantity)
        auth.add(lot, to_site, quantity)
        auth.last = _Last("movement", ref, lot, site, to_site, quantity)
        return (_MovementEvent(auth.ref, ref, self.at, (), lot.ref, quantity, site, to_site),)

    def _handling(self, auth: _AuthState) -> tuple[_Event, ...]:
        holding = auth.holdings[self._below(len(auth.holdings))]
        code = auth.process.handlings.get(holding.lot.code, holding.lot.code)
        ref = self._ref(auth.holder, "HD")
        auth.last = _Last("handling", ref)
        return (_HandlingEvent(auth.ref, ref, self.at, (), holding.lot.ref, code),)

    def _discharge(self, auth: _AuthState, *, whole: bool = False) -> tuple[_Event, ...]:
        below = self._below
        holdings = auth.holdings
        holding = holdings[below(len(holdings))]
        if holding.lot.product is None:  # goods in the unaltered state leave less often: look again
            holding = holdings[below(len(holdings))]
        quantity = self._pick_quantity(holding, whole or below(5) < 3)
        mode, letter, procedure = _MODE_TABLE[below(len(_MODE_TABLE))]
        declaration = self._declaration(auth, letter) if letter else None
        ref = self._ref(auth.broker, "EX")
        lot, site = holding.lot, holding.site
        auth.take(holding, quantity)
        auth.last = _Last("discharge", ref, lot, site, quantity=quantity)
        return (
            _DischargeEvent(
                auth.ref,
                ref,
                self.at,
                self._documents(ref, "export-invoice") if letter else (),
                lot.ref,
                quantity,
                site,
                mode,
                declaration,
                procedure,
            ),
        )

    def _processing(self, auth: _AuthState) -> tuple[_Event, ...]:
        """Import lots at one site become a main product (and often a secondary one). Outputs never
        exceed inputs and the loss stays within half the tolerance. Where no site holds all the import
        goods the product needs, the goods are brought together first (a movement or a placement)."""
        below = self._below
        process = auth.process
        main = process.mains[below(len(process.mains))]
        by_site = auth.imports
        ready = [site for site, held in by_site.items() if all(code in held for code, _ in main.contains)]
        if not ready:
            return self._bring_together(auth, main, by_site)
        site = ready[below(len(ready))]
        held = by_site[site]
        secondary = _PRODUCTS[main.secondary] if main.secondary is not None and below(3) else None
        spp = main.secondary_per_unit  # secondary product per unit of main product
        spp_contains = {code: ratio for code, ratio in secondary.contains} if secondary is not None else {}
        loss = 1_000_000 + below(auth.tolerance_ppm // 2 + 1)  # inputs per 10^6 of outputs' equivalent
        # The lots that feed each import goods code (1 or 2, at most 3 inputs in all), and the most
        # main product they allow: available >= quantity * per_unit * loss / 10^6, where per_unit =
        # a/b (in the main product) + c/d * spp (in the secondary product that comes with it).
        spare = 3 - len(main.contains)
        feeds: list[tuple[int, int, int, int, int, list[_Holding]]] = []
        most = -1
        for code, ratio in main.contains:
            lots = list(held[code])
            picked = [lots.pop(below(len(lots)))]
            if lots and spare > 0 and below(3) == 0:
                picked.append(lots[below(len(lots))])
                spare -= 1
            extra = spp_contains.get(code)
            a, b = ratio.numerator, ratio.denominator
            c, d = (extra.numerator, extra.denominator) if extra is not None else (0, 1)
            available = sum(h.quantity for h in picked)
            per_unit_numerator = (a * d * spp.denominator + spp.numerator * c * b) * loss
            top = available * b * d * spp.denominator * 1_000_000 // per_unit_numerator
            most = top if most < 0 or top < most else most
            feeds.append((a, b, c, d, picked[0].lot.granularity, picked))
        granularity = main.granularity
        most = most // granularity * granularity
        share = 100 if below(2) else 25 + below(76)  # often all the lots allow, else a part
        quantity = max(granularity, most * share // 100 // granularity * granularity)
        inputs: list[tuple[_Holding, int]] | None = None
        spp_quantity = 0
        while inputs is None and quantity <= most:
            # Rounding the inputs up to whole granules may ask for more than there is: a little less.
            if secondary is not None:
                spp_quantity = quantity * spp.numerator // (spp.denominator * secondary.granularity)
                spp_quantity *= secondary.granularity
            inputs = self._inputs(feeds, quantity, spp_quantity, loss, auth.tolerance_ppm)
            if inputs is None:
                quantity -= granularity
            elif not inputs:
                return self._discharge(auth)  # pieces: one more would be beyond the tolerance
        if not inputs:
            return self._discharge(auth)
        ref = self._ref(auth.holder, "TR")
        outputs: list[tuple[str, _Product, int]] = [(self._lot_ref(main.prefix), main, quantity)]
        if secondary is not None and spp_quantity:
            outputs.append((self._lot_ref(secondary.prefix), secondary, spp_quantity))
        event = _ProcessingEvent(
            auth.ref,
            ref,
            self.at,
            self._documents(ref, "work-order"),
            site,
            tuple((holding.lot.ref, used) for holding, used in inputs),
            tuple(outputs),
        )
        for holding, used in inputs:
            auth.take(holding, used)
        for lot_ref, product, made in outputs:
            auth.add(_Lot(lot_ref, product.code, product.granularity, product), site, made)
        auth.last = None  # processing is not corrected here (its outputs are soon used)
        return (event,)

    @staticmethod
    def _inputs(
        feeds: list[tuple[int, int, int, int, int, list[_Holding]]],
        quantity: int,
        spp_quantity: int,
        loss: int,
        tolerance_ppm: int,
    ) -> list[tuple[_Holding, int]] | None:
        """What each lot gives for `quantity` of main and `spp_quantity` of secondary product: None
        when the lots hold too little, [] when no whole number of granules stays within tolerance."""
        inputs: list[tuple[_Holding, int]] = []
        for a, b, c, d, granularity, picked in feeds:
            # the outputs' equivalent of this code, exactly: numerator / denominator
            numerator, denominator = quantity * a * d + spp_quantity * c * b, b * d
            needed = -(-numerator * loss // (denominator * 1_000_000 * granularity)) * granularity
            if not _within(needed, numerator, denominator, tolerance_ppm):
                needed = -(-numerator // (denominator * granularity)) * granularity
                if not _within(needed, numerator, denominator, tolerance_ppm):
                    return []
            for holding in picked:
                used = min(needed, holding.quantity)
                if used:
                    inputs.append((holding, used))
                    needed -= used
            if needed:
                return None
        return inputs

    def _bring_together(
        self, auth: _AuthState, main: _Product, by_site: dict[str, dict[str, list[_Holding]]]
    ) -> tuple[_Event, ...]:
        """Moves import goods to a site that holds the other goods `main` needs, or places them there."""
        below = self._below
        sites = list(by_site) or [auth.process.sites[-1]]
        site = sites[below(len(sites))]
        missing = [code for code, _ in main.contains if code not in by_site.get(site, {})]
        code = missing[below(len(missing))]
        elsewhere = [h for s, held in by_site.items() if s != site for h in held.get(code, ())]
        if elsewhere:
            return self._movement(auth, elsewhere[below(len(elsewhere))], site)
        if len(auth.holdings) >= _MAX_HOLDINGS:
            return self._discharge(auth, whole=True)
        goods = next(g for g in auth.process.goods if g.code == code)
        return self._placement(auth, goods, site)

    def _correction(self, auth: _AuthState) -> tuple[_Event, ...]:
        """Corrects the authorisation's last entry, which nothing depends on yet."""
        last = auth.last
        assert last is not None
        reasons = _CORRECTION_REASONS[last.kind]
        reason = reasons[self._below(len(reasons))]
        ref = self._ref(auth.holder, "CO")
        auth.last = None
        correction = _CorrectionEvent(auth.ref, ref, self.at, (), last.entry_ref, reason)
        lot = last.lot
        if last.kind == "movement":  # the goods go back (the destination still holds them)
            assert lot is not None
            auth.take(auth.where[lot.ref, last.to_site], last.quantity)
            auth.add(lot, last.site, last.quantity)
        elif last.kind == "discharge":  # the goods come back under the procedure
            assert lot is not None
            auth.add(lot, last.site, last.quantity)
        elif last.kind == "placement":  # the untouched lot goes, and is placed again as declared
            assert lot is not None
            holding = auth.where[lot.ref, last.site]
            auth.take(holding, holding.quantity)
            goods = next(g for g in auth.process.goods if g.code == lot.code)
            # Under a new lot reference: the chain would accept the old one again, but the entries
            # file reader refuses a lot created twice in one file.
            replacement = self._place(auth, goods, None, last.site, last.declaration)
            auth.last = None  # the re-recorded placement stands
            return (correction, replacement)
        return (correction,)


def _within(inputs: int, numerator: int, denominator: int, tolerance_ppm: int) -> bool:
    """The outputs' equivalent (numerator / denominator) is at most the inputs, and the loss within the
    tolerance, with a margin of 0.1 % of it for the chain's rounding down of equivalents."""
    scaled = inputs * denominator
    return numerator <= scaled and (scaled - numerator) * 1_000_000_000 <= scaled * tolerance_ppm * 999


# ---------------------------------------------------------------- the generator: rendering

_UTC_DAYS: dict[int, str] = {}


def _utc_text(at: int) -> str:
    day, seconds = divmod(at, 86_400)
    prefix = _UTC_DAYS.get(day)
    if prefix is None:
        if len(_UTC_DAYS) > 4096:
            _UTC_DAYS.clear()
        prefix = _UTC_DAYS[day] = (date(1970, 1, 1) + timedelta(days=day)).isoformat()
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{prefix}T{hours:02d}:{minutes:02d}:{secs:02d}+00:00"


def _quantity(micro: int) -> Decimal:
    return Decimal(_micro_text(micro))


def _to_model(event: _Event) -> AnyEntry:
    at = datetime.fromtimestamp(event.at, UTC)
    if isinstance(event, _PlacementEvent):
        return Placement.model_construct(
            authorisation=event.authorisation,
            entry_ref=event.entry_ref,
            occurred_at=at,
            documents=event.documents,
            lot=event.lot,
            goods_code=event.goods_code,
            description=event.description,
            quantity=_quantity(event.quantity),
            unit=event.unit,
            site=event.site,
            declaration=event.declaration,
            procedure=5100,
            customs_value=Decimal(_cents_text(event.customs_value)),
            duty_rate=Decimal(event.duty_rate),
            origin=event.origin,
        )
    if isinstance(event, _MovementEvent):
        return Movement.model_construct(
            authorisation=event.authorisation,
            entry_ref=event.entry_ref,
            occurred_at=at,
            documents=event.documents,
            lot=event.lot,
            quantity=_quantity(event.quantity),
            site=event.site,
            to_site=event.to_site,
        )
    if isinstance(event, _ProcessingEvent):
        return Processing.model_construct(
            authorisation=event.authorisation,
            entry_ref=event.entry_ref,
            occurred_at=at,
            documents=event.documents,
            site=event.site,
            inputs=tuple(
                ProcessingInput.model_construct(lot=lot, quantity=_quantity(quantity))
                for lot, quantity in event.inputs
            ),
            outputs=tuple(
                ProcessingOutput.model_construct(
                    lot=lot,
                    goods_code=product.code,
                    description=product.description,
                    quantity=_quantity(quantity),
                    unit=product.unit,
                )
                for lot, product, quantity in event.outputs
            ),
        )
    if isinstance(event, _HandlingEvent):
        return Handling.model_construct(
            authorisation=event.authorisation,
            entry_ref=event.entry_ref,
            occurred_at=at,
            documents=event.documents,
            lot=event.lot,
            goods_code=event.goods_code,
        )
    if isinstance(event, _DischargeEvent):
        return Discharge.model_construct(
            authorisation=event.authorisation,
            entry_ref=event.entry_ref,
            occurred_at=at,
            documents=event.documents,
            lot=event.lot,
            quantity=_quantity(event.quantity),
            site=event.site,
            mode=event.mode,
            declaration=event.declaration,
            procedure=event.procedure,
        )
    return Correction.model_construct(
        authorisation=event.authorisation,
        entry_ref=event.entry_ref,
        occurred_at=at,
        documents=event.documents,
        corrects=event.corrects,
        reason=event.reason,
    )


def _to_rows(event: _Event) -> list[Row]:
    common = {
        "entry_ref": event.entry_ref,
        "authorisation": event.authorisation,
        "occurred_at": _utc_text(event.at),
        "documents": ";".join(event.documents),
    }
    if isinstance(event, _PlacementEvent):
        return [
            row(
                **common,
                kind="placement",
                lot=event.lot,
                goods_code=event.goods_code,
                description=event.description,
                quantity=_micro_text(event.quantity),
                unit=event.unit,
                site=event.site,
                declaration=event.declaration,
                procedure="5100",
                customs_value=_cents_text(event.customs_value),
                duty_rate=event.duty_rate,
                origin=event.origin,
            )
        ]
    if isinstance(event, _MovementEvent):
        return [
            row(
                **common,
                kind="movement",
                lot=event.lot,
                quantity=_micro_text(event.quantity),
                site=event.site,
                to_site=event.to_site,
            )
        ]
    if isinstance(event, _ProcessingEvent):
        rows = [
            row(
                **common,
                kind="processing",
                line="in",
                lot=lot,
                quantity=_micro_text(quantity),
                site=event.site,
            )
            for lot, quantity in event.inputs
        ]
        rows.extend(
            row(
                **common,
                kind="processing",
                line="out",
                lot=lot,
                goods_code=product.code,
                description=product.description,
                quantity=_micro_text(quantity),
                unit=product.unit,
                site=event.site,
            )
            for lot, product, quantity in event.outputs
        )
        return rows
    if isinstance(event, _HandlingEvent):
        return [row(**common, kind="handling", lot=event.lot, goods_code=event.goods_code)]
    if isinstance(event, _DischargeEvent):
        return [
            row(
                **common,
                kind="discharge",
                lot=event.lot,
                quantity=_micro_text(event.quantity),
                site=event.site,
                declaration=event.declaration or "",
                procedure="" if event.procedure is None else str(event.procedure),
                mode=event.mode.value,
            )
        ]
    return [row(**common, kind="correction", corrects=event.corrects, reason=event.reason)]
