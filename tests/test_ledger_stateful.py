"""Stateful fuzzing of the ledger on the real chain against an exact Python model.

A Hypothesis `RuleBasedStateMachine` sends random sequences of entries (placements, movements,
processing, discharges, handling, corrections, deadline extensions, re-sent entries and batches of
2–5 entries) from random actors to the session's Anvil node. Each run registers two fresh
authorisations:

- "A" of `holder`, with `broker` appointed: the ledger under test;
- "B" of `holder2`: the same product table, used for cross-authorisation writes (holder2 writing in
  A, holder writing in B, entries of A re-sent in B, lot names shared between both).

`LedgerModel` predicts, for every entry, either the exact custom error the contract must raise or
the new state: stock per (lot, site), each lot's dependents, placed and discharged import goods
equivalents per code (10^-18, rounded down as `pa_client.domain.quantities.equivalent` does), the
yield deviations, and the list of records. After every step the invariant compares the chain with
the model:

- every (lot, site) stock, for every lot name ever used, in both authorisations (one JSON-RPC batch),
  and the lots the step touched through `LedgerClient.stock` / `LedgerClient.lot`;
- a lot's stock is the sum of its site stocks; no stock is negative;
- placed and discharged totals per import goods code equal the model, discharged ≤ placed;
- `integrity.recompute(records)` equals `chain_of`, its entry count equals the number of records the
  model accepted, and the logged records are the model's, in order.

Budget: `PA_FUZZ_STEPS` total steps (default 200, `make fuzz` raises it), in runs of 50 steps; see
FUZZ_SETTINGS for how randomness differs locally, in CI and with `PA_FUZZ_SEED`. A failure reports
the shrunk sequence of entries sent, one line per step (`note`), and a `@reproduce_failure` blob.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar, cast

import pytest
from eth_abi.abi import decode
from eth_utils.abi import event_signature_to_log_topic, function_signature_to_4byte_selector
from hypothesis import HealthCheck, note, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from support import factories
from web3 import HTTPProvider

from pa_client.chain.ledger import LedgerClient
from pa_client.contract import ids
from pa_client.contract.encoding import AnyEntry
from pa_client.contract.events import decode_record
from pa_client.contract.rolling_hash import recompute
from pa_client.domain import codes
from pa_client.domain.models import (
    Correction,
    DeadlineExtension,
    Discharge,
    DischargeMode,
    Handling,
    Movement,
    Placement,
    Processing,
)
from pa_client.domain.quantities import (
    PPM,
    equivalent,
    from_micro,
    micro_to_equivalent,
    parse_ratio,
    percent_to_ppm,
    to_micro,
)
from pa_client.errors import AccessDenied, ContractError

if TYPE_CHECKING:
    from support.chain import Parties

# ---------------------------------------------------------------- the authorisations' terms

SITES = ("BOURGES", "LYON", "TOULOUSE")
IMPORT_GOODS = (factories.IMPORT_CASING, factories.IMPORT_TREAD)
PRODUCT_SEALS = "40169300"
# Ratios chosen so that equivalents round: 11.5 (exact), 1000/950 and 1/3 (never exact in 10^-18).
PRODUCT_TABLE: tuple[dict[str, Any], ...] = (
    {
        "code": factories.PRODUCT_TYRE,
        "description": "Retreaded aircraft tyres",
        "unit": "NAR",
        "contains": {factories.IMPORT_CASING: "1", factories.IMPORT_TREAD: "11.5"},
    },
    {
        "code": factories.PRODUCT_SCRAP,
        "description": "Rubber scrap",
        "unit": "KGM",
        "contains": {factories.IMPORT_TREAD: "1"},
    },
    {
        "code": PRODUCT_SEALS,
        "description": "Rubber seals",
        "unit": "KGM",
        "contains": {factories.IMPORT_CASING: "1000/950", factories.IMPORT_TREAD: "1/3"},
    },
)
CONTENTS: dict[str, dict[str, Fraction]] = {
    p["code"]: {code: parse_ratio(ratio) for code, ratio in p["contains"].items()} for p in PRODUCT_TABLE
}
UNITS: dict[str, str] = {p["code"]: p["unit"] for p in PRODUCT_TABLE}
TOLERANCE_PPM = percent_to_ppm(factories.authorisation("FRIPOX").yield_tolerance_percent)
NOT_CORRECTABLE = ("correction", "extension")  # the client only finds originals of the other kinds

# ---------------------------------------------------------------- budget

STEPS_PER_RUN = 50
TOTAL_STEPS = max(1, int(os.environ.get("PA_FUZZ_STEPS", "200")))
FUZZ_SEED = os.environ.get("PA_FUZZ_SEED")
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
# Randomness: local runs and `make fuzz` (PA_FUZZ_STEPS) draw new sequences every time and keep
# failing ones in .hypothesis/ for replay; `print_blob` prints a @reproduce_failure blob.
# Plain CI runs (CI set, no PA_FUZZ_*) are derandomized, as Hypothesis's own "ci" profile does: the
# model is exact and the chain deterministic, so a red CI then always means the change under test,
# never a new draw. PA_FUZZ_SEED pins the seed to replay a reported run.
DERANDOMIZE = IN_CI and "PA_FUZZ_STEPS" not in os.environ and FUZZ_SEED is None
FUZZ_SETTINGS = settings(
    # Hypothesis always spends its first run on the simplest choices (the first rule at every step,
    # with minimal draws: batches of two placements); one run more keeps the budget random.
    max_examples=math.ceil(TOTAL_STEPS / min(STEPS_PER_RUN, TOTAL_STEPS)) + 1,
    stateful_step_count=min(STEPS_PER_RUN, TOTAL_STEPS),
    deadline=None,
    derandomize=DERANDOMIZE,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)

STATS: Counter[str] = Counter()
RUN_STEPS: list[int] = []  # steps of each run, in order

# ---------------------------------------------------------------- the model

Deviation = tuple[bytes, int, int, int]  # entry id, import goods code, input and output equivalents


class Refused(Exception):  # noqa: N818 (the model's verdict, not an error of the test)
    """The contract must refuse the entry with this custom error."""

    def __init__(self, error_name: str) -> None:
        super().__init__(error_name)
        self.error_name = error_name


@dataclass
class LotModel:
    origin: str  # "placement" | "processing"
    basis: str  # import goods code or product code
    stock: dict[str, int] = field(default_factory=dict)  # site -> millionths
    dependents: int = 0

    @property
    def total(self) -> int:
        return sum(self.stock.values())

    def clone(self) -> LotModel:
        return LotModel(self.origin, self.basis, dict(self.stock), self.dependents)


@dataclass
class EntryModel:
    entry: AnyEntry
    corrected: bool = False


def equivalents_of(lot: LotModel, quantity: int) -> list[tuple[str, int]]:
    """Import goods equivalents (10^-18) of a quantity of a lot, per code, rounded down per code."""
    if lot.origin == "placement":
        return [(lot.basis, micro_to_equivalent(quantity))]
    return [(code, equivalent(quantity, ratio)) for code, ratio in CONTENTS[lot.basis].items()]


@dataclass
class LedgerModel:
    """What one authorisation's ledger must hold; `apply` mirrors the contract's checks in order."""

    reference: str
    recorders: frozenset[str]
    lots: dict[str, LotModel] = field(default_factory=dict)
    entries: dict[str, EntryModel] = field(default_factory=dict)
    placed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(IMPORT_GOODS, 0))
    discharged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(IMPORT_GOODS, 0))
    log: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, entry ref, account)

    def clone(self) -> LedgerModel:
        return LedgerModel(
            self.reference,
            self.recorders,
            {name: lot.clone() for name, lot in self.lots.items()},
            {ref: EntryModel(e.entry, e.corrected) for ref, e in self.entries.items()},
            dict(self.placed),
            dict(self.discharged),
            list(self.log),
        )

    def stock(self, lot: str, site: str) -> int:
        state = self.lots.get(lot)
        return 0 if state is None else state.stock.get(site, 0)

    def stocked(self) -> list[tuple[str, str, int]]:
        """(lot, site, quantity) wherever there is stock, in a stable order."""
        return [
            (name, site, quantity)
            for name, lot in sorted(self.lots.items())
            for site, quantity in sorted(lot.stock.items())
            if quantity > 0
        ]

    def edge(self, name: str) -> int | None:
        """The smallest quantity of a lot whose discharge would exceed a placed total, rounding
        included (smallest q with floor(q × 10^12 × n / d) > placed − discharged, per code)."""
        lot = self.lots.get(name)
        if lot is None:
            return None
        ratios = {lot.basis: Fraction(1)} if lot.origin == "placement" else CONTENTS[lot.basis]
        return min(
            -(-(self.placed[code] - self.discharged[code] + 1) * r.denominator // (10**12 * r.numerator))
            for code, r in ratios.items()
        )

    def accepts(self, actor: str, entry: AnyEntry) -> bool:
        try:
            self.clone().apply(actor, "0x", entry)
        except Refused:
            return False
        return True

    # -------------------------------------------------------- transitions

    def _lot(self, name: str) -> LotModel:
        lot = self.lots.get(name)
        if lot is None:
            raise Refused("LedgerUnknownLot")
        return lot

    def _take(self, lot: LotModel, site: str, quantity: int) -> None:
        available = lot.stock.get(site, 0)
        if available < quantity:
            raise Refused("LedgerInsufficientStock")
        lot.stock[site] = available - quantity

    def _create(self, name: str, origin: str, basis: str, site: str, quantity: int) -> None:
        if name in self.lots:
            raise Refused("LedgerLotExists")
        self.lots[name] = LotModel(origin, basis, {site: quantity})

    def _remove(self, name: str, site: str, quantity: int) -> None:
        lot = self._lot(name)
        if lot.dependents != 0 or lot.total != quantity or lot.stock.get(site, 0) != quantity:
            raise Refused("LedgerLotInUse")
        del self.lots[name]

    def apply(self, actor: str, account: str, entry: AnyEntry) -> list[Deviation]:
        """Applies the entry or raises `Refused`; mutates self even when refusing (use a clone)."""
        if isinstance(entry, DeadlineExtension):
            if actor != "customs":
                raise Refused("AccessControlUnauthorizedAccount")
            if entry.entry_ref in self.entries:
                raise Refused("LedgerEntryExists")
            target = self.entries.get(entry.placement)
            if target is None or target.corrected or target.entry.kind != "placement":
                raise Refused("LedgerNotAPlacement")
            self._commit(entry, account)
            return []
        if actor not in self.recorders:
            raise Refused("RegistryNotRecorder")
        if entry.entry_ref in self.entries:
            raise Refused("LedgerEntryExists")
        deviations: list[Deviation] = []
        match entry:
            case Placement():
                if entry.goods_code not in IMPORT_GOODS:
                    raise Refused("LedgerGoodsCodeNotAllowed")
                quantity = to_micro(entry.quantity)
                self._create(entry.lot, "placement", entry.goods_code, entry.site, quantity)
                self.placed[entry.goods_code] += micro_to_equivalent(quantity)
            case Movement():
                lot = self._lot(entry.lot)
                quantity = to_micro(entry.quantity)
                self._take(lot, entry.site, quantity)
                lot.stock[entry.to_site] = lot.stock.get(entry.to_site, 0) + quantity
                lot.dependents += 1
            case Processing():
                balance: dict[str, list[int]] = {}
                for item in entry.inputs:
                    lot = self._lot(item.lot)
                    quantity = to_micro(item.quantity)
                    self._take(lot, entry.site, quantity)
                    lot.dependents += 1
                    for code, amount in equivalents_of(lot, quantity):
                        balance.setdefault(code, [0, 0])[0] += amount
                for output in entry.outputs:
                    quantity = to_micro(output.quantity)
                    self._create(output.lot, "processing", output.goods_code, entry.site, quantity)
                    for code, ratio in CONTENTS[output.goods_code].items():
                        balance.setdefault(code, [0, 0])[1] += equivalent(quantity, ratio)
                entry_id = ids.entry_id(entry.entry_ref)
                deviations = [
                    (entry_id, codes.cn_to_int(code), inputs, outputs)
                    for code, (inputs, outputs) in balance.items()
                    if abs(inputs - outputs) * PPM > inputs * TOLERANCE_PPM
                ]
            case Handling():
                self._lot(entry.lot).dependents += 1
            case Discharge():
                lot = self._lot(entry.lot)
                quantity = to_micro(entry.quantity)
                self._take(lot, entry.site, quantity)
                lot.dependents += 1
                for code, amount in equivalents_of(lot, quantity):
                    if self.discharged[code] + amount > self.placed[code]:
                        raise Refused("LedgerDischargeExceedsPlaced")
                    self.discharged[code] += amount
            case Correction():
                self._correct(entry.corrects)
        self._commit(entry, account)
        return deviations

    def _correct(self, corrects: str) -> None:
        target = self.entries.get(corrects)
        if target is None:
            raise Refused("LedgerUnknownEntry")
        if target.corrected:
            raise Refused("LedgerAlreadyCorrected")
        original = target.entry
        match original:
            case Placement():
                quantity = to_micro(original.quantity)
                self._remove(original.lot, original.site, quantity)
                placed = self.placed[original.goods_code] - micro_to_equivalent(quantity)
                if placed < self.discharged[original.goods_code]:
                    raise Refused("LedgerDischargeExceedsPlaced")
                self.placed[original.goods_code] = placed
            case Movement():
                lot = self._lot(original.lot)
                quantity = to_micro(original.quantity)
                self._take(lot, original.to_site, quantity)
                lot.stock[original.site] = lot.stock.get(original.site, 0) + quantity
                lot.dependents -= 1
            case Processing():
                for output in original.outputs:
                    self._remove(output.lot, original.site, to_micro(output.quantity))
                for item in original.inputs:
                    lot = self._lot(item.lot)
                    lot.stock[original.site] = lot.stock.get(original.site, 0) + to_micro(item.quantity)
                    lot.dependents -= 1
            case Handling():
                self._lot(original.lot).dependents -= 1
            case Discharge():
                lot = self._lot(original.lot)
                quantity = to_micro(original.quantity)
                lot.stock[original.site] = lot.stock.get(original.site, 0) + quantity
                lot.dependents -= 1
                for code, amount in equivalents_of(lot, quantity):
                    self.discharged[code] -= amount
            case _:
                raise Refused("LedgerNotCorrectable")
        target.corrected = True

    def _commit(self, entry: AnyEntry, account: str) -> None:
        self.entries[entry.entry_ref] = EntryModel(entry)
        self.log.append((entry.kind, entry.entry_ref, account.lower()))


def lots_of(entry: AnyEntry, model: LedgerModel) -> set[str]:
    """The lot names an entry reads or writes (a correction: those of the entry it corrects)."""
    match entry:
        case Placement() | Movement() | Handling() | Discharge():
            return {entry.lot}
        case Processing():
            return {i.lot for i in entry.inputs} | {o.lot for o in entry.outputs}
        case Correction():
            target = model.entries.get(entry.corrects)
            return set() if target is None else lots_of(target.entry, model)
    return set()


def describe(entry: AnyEntry) -> str:
    """One line per entry for the report of a failing sequence."""
    ref = entry.entry_ref
    match entry:
        case Placement():
            return f"{ref} place {entry.lot} {entry.quantity} of {entry.goods_code} at {entry.site}"
        case Movement():
            return f"{ref} move {entry.quantity} of {entry.lot} {entry.site}->{entry.to_site}"
        case Processing():
            inputs = ", ".join(f"{i.quantity} of {i.lot}" for i in entry.inputs)
            outputs = ", ".join(f"{o.lot} {o.quantity} of {o.goods_code}" for o in entry.outputs)
            return f"{ref} process at {entry.site} {inputs} into {outputs}"
        case Handling():
            return f"{ref} handle {entry.lot} into {entry.goods_code}"
        case Discharge():
            return f"{ref} discharge {entry.quantity} of {entry.lot} at {entry.site} ({entry.mode.value})"
        case Correction():
            return f"{ref} correct {entry.corrects}"
        case DeadlineExtension():
            return f"{ref} extend {entry.placement}"
    return ref


# ---------------------------------------------------------------- raw reads of the whole state

STOCK_OF = function_signature_to_4byte_selector("stockOf(bytes32,bytes32)")
LOT_OF = function_signature_to_4byte_selector("lotOf(bytes32)")
YIELD_DEVIATED = event_signature_to_log_topic("YieldDeviated(bytes32,bytes32,uint32,uint256,uint256,uint32)")
ORIGINS = {"placement": 1, "processing": 2}

# ---------------------------------------------------------------- strategies

QUANTITY = st.one_of(
    st.integers(1, 999_999),  # below one unit
    st.integers(1, 2_000).map(lambda n: n * 1_000_000),  # whole units
    st.integers(1, 5_000_000_000),  # up to 5 000 units with 6 decimals
)
ACTORS = {
    "A": ("holder", "broker") * 5 + ("holder2", "stranger"),
    "B": ("holder2",) * 4 + ("holder", "stranger"),
}
TARGETS = ("A", "A", "A", "A", "B")
SOMETIMES = st.integers(0, 7).map(lambda n: n == 7)  # one in eight

_runs = itertools.count(1)

Generator = Callable[[st.DataObject, LedgerModel, bool], AnyEntry | None]


class LedgerMachine(RuleBasedStateMachine):
    parties: ClassVar[Parties]  # set by the test on a subclass (the session's clients)

    def __init__(self) -> None:
        super().__init__()
        parties = self.parties
        self.clients: dict[str, LedgerClient] = {
            "customs": parties.customs,
            "holder": parties.holder,
            "broker": parties.broker,
            "holder2": parties.holder2,
            "stranger": parties.stranger,
        }
        run = next(_runs)
        prefix = f"FRIPOSM{os.getpid() % 100000:05d}{run:05d}"
        reference_a, reference_b = prefix + "A", prefix + "B"
        parties.customs.register(factories.authorisation(reference_a, products=PRODUCT_TABLE))
        parties.holder.appoint(reference_a, parties.broker.sender.address)
        parties.customs.register(
            factories.authorisation(
                reference_b, holder=parties.holder2.sender.address, products=PRODUCT_TABLE
            )
        )
        self.models: dict[str, LedgerModel] = {
            "A": LedgerModel(reference_a, frozenset({"holder", "broker"})),
            "B": LedgerModel(reference_b, frozenset({"holder2"})),
        }
        self.lot_names: set[str] = set()
        self.batches: dict[str, list[list[AnyEntry]]] = {"A": [], "B": []}  # recorded batches
        self.touched_lots: set[tuple[str, str]] = set()  # (authorisation key, lot)
        self.touched_entries: set[tuple[str, str]] = set()
        self._serial = itertools.count(1)
        self._calldata: dict[tuple[str, str], list[bytes]] = {}
        self.steps = 0
        self.rule_name = "start"
        STATS["runs"] += 1

    # -------------------------------------------------------- names and draws

    def _count(self, rule_name: str) -> None:
        self.steps += 1
        self.rule_name = rule_name
        STATS["steps"] += 1
        STATS[f"step {rule_name}"] += 1

    def teardown(self) -> None:
        RUN_STEPS.append(self.steps)

    def _ref(self) -> str:
        return f"E{next(self._serial):04d}"

    def _fresh_lot(self, prefix: str) -> str:
        name = f"{prefix}{next(self._serial):04d}"
        self.lot_names.add(name)
        return name

    def _any_lot(self, data: st.DataObject, model: LedgerModel) -> str:
        """A lot name already used in either authorisation (it may not exist in this one)."""
        names = sorted(self.lot_names | set(model.lots)) or ["NOLOT"]
        name = data.draw(st.sampled_from(names))
        self.lot_names.add(name)
        return name

    @staticmethod
    def _take(data: st.DataObject, available: int, bad_ok: bool, *, whole: bool = False) -> int:
        """A quantity to take from `available`: part, all, or (when allowed) more than there is;
        `whole` makes "all" likelier."""
        modes = ["part", "part", "all", *(["all", "all"] if whole else [])] if available > 0 else []
        if bad_ok or not modes:
            modes.append("more")
        mode = data.draw(st.sampled_from(modes))
        if mode == "part":
            return data.draw(st.integers(1, available))
        if mode == "all":
            return available
        return available + data.draw(st.integers(1, 2_000_000))

    def _pick_stock(
        self, data: st.DataObject, model: LedgerModel, bad_ok: bool, *, products: bool = False
    ) -> tuple[str, str, int]:
        """(lot, site, available): mostly where there is stock, sometimes anywhere (when allowed);
        with `products`, processed product lots half of the time when there are some."""
        stocked = model.stocked()
        made = [item for item in stocked if model.lots[item[0]].origin == "processing"]
        if products and made and data.draw(st.booleans()):
            stocked = made
        if stocked and not (bad_ok and data.draw(SOMETIMES)):
            return data.draw(st.sampled_from(stocked))
        lot = self._any_lot(data, model)
        site = data.draw(st.sampled_from(SITES))
        return lot, site, model.stock(lot, site)

    # -------------------------------------------------------- entry generators

    def gen_placement(self, data: st.DataObject, model: LedgerModel, bad_ok: bool) -> AnyEntry:
        # A reused name may exist here (refused), only in the other authorisation, or be corrected away.
        lot = self._any_lot(data, model) if bad_ok and data.draw(SOMETIMES) else self._fresh_lot("L")
        allowed = not (bad_ok and data.draw(SOMETIMES))
        code = data.draw(st.sampled_from(IMPORT_GOODS)) if allowed else factories.PRODUCT_TYRE
        site = data.draw(st.sampled_from(SITES))
        quantity = from_micro(data.draw(QUANTITY))
        unit = "NAR" if code == factories.IMPORT_CASING else "KGM"
        return factories.placement(
            model.reference, self._ref(), lot, quantity, code=code, site=site, unit=unit
        )

    def gen_movement(self, data: st.DataObject, model: LedgerModel, bad_ok: bool) -> AnyEntry | None:
        if not bad_ok and not model.stocked():
            return None
        lot, site, available = self._pick_stock(data, model, bad_ok)
        to_site = data.draw(st.sampled_from([s for s in SITES if s != site]))
        quantity = self._take(data, available, bad_ok)
        return factories.movement(model.reference, self._ref(), lot, str(from_micro(quantity)), site, to_site)

    def gen_processing(self, data: st.DataObject, model: LedgerModel, bad_ok: bool) -> AnyEntry | None:
        stocked = model.stocked()
        if not bad_ok and not stocked:
            return None
        site = data.draw(st.sampled_from(sorted({s for _, s, _ in stocked}) or list(SITES)))
        remaining = {lot: quantity for lot, s, quantity in stocked if s == site}
        inputs: list[tuple[str, int]] = []
        count = data.draw(st.integers(1, 3))
        # At most one input may be drawn to be bad (an unknown lot, more than there is).
        bad = data.draw(st.integers(0, count - 1)) if bad_ok and data.draw(st.booleans()) else None
        for position in range(count):
            if remaining and not (position == bad and data.draw(SOMETIMES)):
                lot = data.draw(st.sampled_from(sorted(remaining)))
            else:
                lot = self._any_lot(data, model)
            available = remaining.get(lot, 0)  # `remaining` holds every lot with stock at the site
            if position != bad and available == 0:
                continue
            quantity = self._take(data, available, position == bad)
            remaining[lot] = max(0, available - quantity)
            inputs.append((lot, quantity))
        if not inputs:
            return None
        consumed: dict[str, int] = {}
        for lot, quantity in inputs:
            if lot in model.lots:
                for code, amount in equivalents_of(model.lots[lot], quantity):
                    consumed[code] = consumed.get(code, 0) + amount
        count = data.draw(st.integers(1, 2))
        outputs: list[tuple[str, str, str, str]] = []
        for _ in range(count):
            name = self._any_lot(data, model) if bad_ok and data.draw(SOMETIMES) else self._fresh_lot("P")
            product = data.draw(st.sampled_from(sorted(CONTENTS)))
            # The quantity that keeps the yield for the product's first consumed code, then a mode.
            fair = 0
            for code, ratio in CONTENTS[product].items():
                if consumed.get(code, 0) > 0:
                    fair = consumed[code] * ratio.denominator // (count * ratio.numerator * 10**12)
                    break
            mode = data.draw(st.sampled_from(["fair", "fair", "over", "over", "random"]))
            if mode == "fair" and fair > 0:
                quantity = fair
            elif mode == "over" and fair > 0:  # enough to discharge more than was placed
                quantity = fair * data.draw(st.sampled_from([2, 10, 1000]))
            else:
                quantity = data.draw(QUANTITY)
            outputs.append((name, product, str(from_micro(quantity)), UNITS[product]))
        return factories.processing(
            model.reference,
            self._ref(),
            [(lot, str(from_micro(q))) for lot, q in inputs],
            outputs,
            site=site,
        )

    def gen_discharge(self, data: st.DataObject, model: LedgerModel, bad_ok: bool) -> AnyEntry | None:
        if not bad_ok and not model.stocked():
            return None
        # Products of over-yielding processing are what can exceed the placed totals.
        lot, site, available = self._pick_stock(data, model, bad_ok, products=True)
        made = lot in model.lots and model.lots[lot].origin == "processing"
        edge = model.edge(lot)
        if edge is not None and edge - (not bad_ok) <= available and data.draw(st.booleans()):
            # At the limit: the smallest quantity that discharges more than was placed, or one less.
            quantity = edge - 1 if not bad_ok else edge - data.draw(st.integers(0, 1))
            quantity = quantity or edge
        else:
            quantity = self._take(data, available, bad_ok, whole=made)
        mode = data.draw(st.sampled_from(list(DischargeMode)))
        return factories.discharge(
            model.reference, self._ref(), lot, str(from_micro(quantity)), mode=mode, site=site
        )

    def gen_handling(self, data: st.DataObject, model: LedgerModel, bad_ok: bool) -> AnyEntry | None:
        if bad_ok and data.draw(SOMETIMES):
            lot = self._any_lot(data, model)
        elif model.lots:
            lot = data.draw(st.sampled_from(sorted(model.lots)))
        else:
            return None
        code = f"{data.draw(st.integers(1, 99_999_999)):08d}"
        return factories.handling(model.reference, self._ref(), lot, code)

    def gen_correction(
        self, data: st.DataObject, model: LedgerModel, bad_ok: bool, key: str
    ) -> AnyEntry | None:
        """A correction of an entry already on chain (the client reads its data from the logs): mostly
        of one not yet corrected (the model decides whether it may be), sometimes of one that was.
        The kind is drawn first, so that rarer kinds are corrected as often as placements."""
        recorded = [
            (e.entry.kind, ref)
            for ref, e in sorted(self.models[key].entries.items())
            if e.entry.kind not in NOT_CORRECTABLE
        ]
        if not (bad_ok and data.draw(SOMETIMES)):
            recorded = [(kind, ref) for kind, ref in recorded if not model.entries[ref].corrected]
        if not recorded:
            return None
        kind = data.draw(st.sampled_from(sorted({kind for kind, _ in recorded})))
        corrects = data.draw(st.sampled_from([ref for k, ref in recorded if k == kind]))
        return factories.correction(model.reference, self._ref(), corrects)

    def gen_resend(self, data: st.DataObject, model: LedgerModel) -> AnyEntry | None:
        if not model.entries:
            return None
        return model.entries[data.draw(st.sampled_from(sorted(model.entries)))].entry

    # -------------------------------------------------------- sending and checking one step

    def _draw_target(self, data: st.DataObject) -> tuple[str, str, LedgerModel]:
        key = data.draw(st.sampled_from(TARGETS), label="authorisation")
        actor = data.draw(st.sampled_from(ACTORS[key]), label="actor")
        return key, actor, self.models[key]

    def submit(self, key: str, actor: str, entries: Sequence[AnyEntry], *, batch: bool) -> bool:
        """Sends the entries; the model says whether (and where and why) the chain must refuse them.
        True when they were recorded."""
        client = self.clients[actor]
        account = client.sender.address
        before = self.models[key]
        trial = before.clone()
        expected: str | None = None
        index: int | None = None
        deviations: list[Deviation] = []
        for position, entry in enumerate(entries):
            self.touched_lots |= {(key, name) for name in lots_of(entry, trial)}
            self.touched_entries.add((key, entry.entry_ref))
            if isinstance(entry, Correction):
                self.touched_entries.add((key, entry.corrects))
            try:
                deviations += trial.apply(actor, account, entry)
            except Refused as refused:
                expected, index = refused.error_name, position
                break
        label = f"{'batch' if batch else entries[0].kind}"
        verdict = "recorded" if expected is None else f"{expected} at {index}" if batch else expected
        note(
            f"{self.steps}. {self.rule_name} in {key} by {actor}: "
            + "; ".join(describe(entry) for entry in entries)
            + f" => model: {verdict}"
        )
        try:
            sent = client.record_batch(entries) if batch else client.record(entries[0])
        except ContractError as error:
            assert expected is not None, f"{label} by {actor} refused, the model accepts it: {error}"
            assert error.error_name == expected, f"{label} by {actor}: {error} (model: {expected})"
            denied = expected in ("RegistryNotRecorder", "AccessControlUnauthorizedAccount")
            assert isinstance(error, AccessDenied) == denied, f"{error!r} is AccessDenied: {denied}"
            assert getattr(error, "batch_index", None) == (index if batch else None)
            STATS[f"{self.rule_name}: refused {expected}"] += 1
            return False
        assert expected is None, f"{label} by {actor} recorded, the model expects {expected} at {index}"
        STATS[f"{self.rule_name}: recorded"] += 1
        STATS["records"] += len(entries)
        self.models[key] = trial
        # The receipt: one record event per entry, in order, with consecutive sequence numbers and
        # the entry as sent; one YieldDeviated per deviating import goods code.
        logs: list[dict[str, Any]] = [dict(item) for item in sent.receipt["logs"]]
        records = [r for r in (decode_record(item) for item in logs) if r is not None]
        first = len(before.log) + 1
        assert [(r.sequence, r.kind, r.entry.entry_ref) for r in records] == [
            (first + i, e.kind, e.entry_ref) for i, e in enumerate(entries)
        ]
        for record, entry in zip(records, entries, strict=True):
            assert record.entry.model_dump() == entry.model_dump(), f"logged {record.entry!r} != {entry!r}"
        logged_deviations = sorted(
            (
                bytes(item["topics"][2]),
                int.from_bytes(bytes(item["topics"][3]), "big"),
                *decode(["uint256", "uint256", "uint32"], bytes(item["data"]))[:2],
            )
            for item in logs
            if bytes(item["topics"][0]) == YIELD_DEVIATED
        )
        assert logged_deviations == sorted(deviations)
        STATS["yield deviations"] += len(deviations)
        return True

    def _send(self, data: st.DataObject, key: str, actor: str, entry: AnyEntry | None) -> None:
        if entry is None:  # nothing of this kind can be drawn now: place instead
            entry = self.gen_placement(data, self.models[key], True)
        self.submit(key, actor, [entry], batch=False)

    # -------------------------------------------------------- rules

    @initialize(data=st.data())
    def start(self, data: st.DataObject) -> None:
        self._count("start")
        for key, actor in (("A", "holder"), ("B", "holder2")):
            model = self.models[key]
            count = data.draw(st.integers(1, 3))
            self.submit(
                key, actor, [self.gen_placement(data, model, False) for _ in range(count)], batch=True
            )

    @rule(data=st.data())
    def placement(self, data: st.DataObject) -> None:
        self._count("placement")
        key, actor, model = self._draw_target(data)
        self._send(data, key, actor, self.gen_placement(data, model, True))

    @rule(data=st.data())
    def movement(self, data: st.DataObject) -> None:
        self._count("movement")
        key, actor, model = self._draw_target(data)
        self._send(data, key, actor, self.gen_movement(data, model, True))

    @rule(data=st.data())
    def processing(self, data: st.DataObject) -> None:
        self._count("processing")
        key, actor, model = self._draw_target(data)
        self._send(data, key, actor, self.gen_processing(data, model, True))

    @rule(data=st.data())
    def discharge(self, data: st.DataObject) -> None:
        self._count("discharge")
        key, actor, model = self._draw_target(data)
        self._send(data, key, actor, self.gen_discharge(data, model, True))

    @rule(data=st.data())
    def handling(self, data: st.DataObject) -> None:
        self._count("handling")
        key, actor, model = self._draw_target(data)
        self._send(data, key, actor, self.gen_handling(data, model, True))

    @rule(data=st.data())
    def correction(self, data: st.DataObject) -> None:
        self._count("correction")
        key, actor, model = self._draw_target(data)
        self._send(data, key, actor, self.gen_correction(data, model, True, key))

    @rule(data=st.data())
    def resend(self, data: st.DataObject) -> None:
        """An entry sent again: to its own authorisation (refused), or replayed in the other one
        (decided by that one's model: lots and entry references are scoped by authorisation)."""
        self._count("resend")
        key, actor, model = self._draw_target(data)
        other = "B" if key == "A" else "A"
        source = data.draw(st.sampled_from([key, key, other]), label="from")
        entry = self.gen_resend(data, self.models[source])
        if entry is not None and source == other:
            if isinstance(entry, Correction):
                entry = None  # its original would be looked up in the wrong authorisation
            else:
                entry = entry.model_copy(update={"authorisation": model.reference})
        self._send(data, key, actor, entry)

    @rule(data=st.data())
    def extension(self, data: st.DataObject) -> None:
        """Customs extend a placement's deadline (anyone else is refused)."""
        self._count("extension")
        key = data.draw(st.sampled_from(TARGETS), label="authorisation")
        actor = data.draw(st.sampled_from(("customs", "customs", "customs", "holder", "stranger")))
        model = self.models[key]
        placements = [ref for ref, e in sorted(model.entries.items()) if e.entry.kind == "placement"]
        if placements and not data.draw(SOMETIMES):
            target = data.draw(st.sampled_from(placements))
        elif model.entries:
            target = data.draw(st.sampled_from(sorted(model.entries)))
        else:
            target = "E0000"
        entry = factories.extension(model.reference, self._ref(), target, date(2025, 12, 31))
        self.submit(key, actor, [entry], batch=False)

    @rule(data=st.data())
    def batch(self, data: st.DataObject) -> None:
        """2–5 entries applied in order, all or nothing; at most one is drawn to be possibly bad.
        Sometimes a batch already recorded is sent again: refused at its first entry."""
        self._count("batch")
        key, actor, model = self._draw_target(data)
        recorded = self.batches[key]
        if len(recorded) > 0 and data.draw(SOMETIMES):
            again = recorded[data.draw(st.integers(0, len(recorded) - 1), label="recorded batch")]
            self.submit(key, actor, again, batch=True)
            return
        size = data.draw(st.integers(2, 5), label="size")
        bad = data.draw(st.one_of(st.none(), st.integers(0, size - 1)), label="bad position")
        scratch = model.clone()
        recorder = sorted(model.recorders)[0]
        kinds = ["placement", "placement", "movement", "processing", "discharge", "handling", "correction"]
        generators: dict[str, Generator] = {
            "placement": self.gen_placement,
            "movement": self.gen_movement,
            "processing": self.gen_processing,
            "discharge": self.gen_discharge,
            "handling": self.gen_handling,
            "correction": lambda d, m, b: self.gen_correction(d, m, b, key),
            "resend": lambda d, m, b: self.gen_resend(d, m),
        }
        entries: list[AnyEntry] = []
        for position in range(size):
            bad_ok = position == bad
            kind = data.draw(st.sampled_from([*kinds, "resend"] if bad_ok else kinds), label="kind")
            entry: AnyEntry | None = None
            for _ in range(1 if bad_ok else 3):  # a good entry: a few tries, then a placement
                entry = generators[kind](data, scratch, bad_ok)
                if entry is not None and (bad_ok or scratch.accepts(recorder, entry)):
                    break
                entry = None
            if entry is None:
                entry = self.gen_placement(data, scratch, False)
            # A refused entry fails the batch there; later entries are still drawn against the state.
            with contextlib.suppress(Refused):
                scratch.apply(recorder, "0x", entry)
            entries.append(entry)
        if self.submit(key, actor, entries, batch=True):
            self.batches[key].append(entries)

    # -------------------------------------------------------- invariants

    @invariant()
    def chain_matches_model(self) -> None:
        reader = self.parties.reader
        self._sweep()
        for key, model in self.models.items():
            reference = model.reference
            # The lots this step touched in this authorisation, through the client's reads (the sweep
            # has read every lot of both).
            for name in sorted(name for scope, name in self.touched_lots if scope == key):
                expected = model.lots.get(name)
                site_sum = Decimal(0)
                for site in SITES:
                    stock = reader.stock(reference, name, site)
                    assert stock >= 0
                    assert stock == from_micro(model.stock(name, site)), f"{key} {name}@{site}: {stock}"
                    site_sum += stock
                state = reader.lot(reference, name)
                if expected is None:
                    assert state is None, f"{key} {name} should not exist: {state}"
                    continue
                assert state is not None, f"{key} {name} is missing"
                assert state.stock == site_sum == from_micro(expected.total)
                assert (state.origin, state.basis_code, state.dependents) == (
                    expected.origin,
                    expected.basis,
                    expected.dependents,
                )
            for scope, ref in sorted(self.touched_entries):
                if scope == key and ref in model.entries:
                    recorded = model.entries[ref]
                    state_ = reader.entry_state(reference, ref)
                    assert (state_.kind, state_.corrected) == (recorded.entry.kind, recorded.corrected)
            # Totals per import goods code, to the last 10^-18.
            for code in IMPORT_GOODS:
                placed, discharged = reader.totals(reference, code)
                assert 0 <= discharged <= placed, f"{key} {code}: discharged {discharged} > placed {placed}"
                assert (placed, discharged) == (model.placed[code], model.discharged[code]), f"{key} {code}"
            # Completeness proof and the records themselves, from the logs alone.
            records = reader.records(reference)
            check = recompute(records)
            sequence, head = reader.chain_of(reference)
            assert check.gaps == () and check.complete
            assert (check.sequence, check.head) == (sequence, head)
            assert check.entries == sequence == len(model.log)
            assert [(r.kind, r.entry.entry_ref, r.account.lower()) for r in records] == model.log
        self.touched_lots.clear()
        self.touched_entries.clear()

    def _sweep(self) -> None:
        """Every (lot, site) stock and every lot of every name ever used, in both authorisations, read
        at one block in one JSON-RPC batch (the client's one-call-per-read is too slow for this)."""
        w3 = self.parties.reader.w3
        provider = cast(HTTPProvider, w3.provider)
        block = hex(w3.eth.block_number)
        to = self.parties.deployment.ledger
        plan: list[tuple[str, str, str | None]] = []
        calls: list[tuple[Any, Any]] = []
        for key, model in self.models.items():
            for name in sorted(self.lot_names | set(model.lots)):
                for site, calldata in zip(
                    (None, *SITES), self._lot_calls(model.reference, name), strict=True
                ):
                    plan.append((key, name, site))
                    calls.append(("eth_call", [{"to": to, "data": "0x" + calldata.hex()}, block]))
        if not calls:
            return
        responses = provider.make_batch_request(calls)
        assert isinstance(responses, list), responses
        wrong: list[str] = []
        lot_stocks: dict[tuple[str, str], int] = {}
        site_sums: Counter[tuple[str, str]] = Counter()
        for (key, name, site), response in zip(plan, responses, strict=True):
            raw = bytes.fromhex(str(response["result"])[2:])
            model = self.models[key]
            if site is not None:
                stock = int.from_bytes(raw, "big")
                site_sums[key, name] += stock
                if stock != model.stock(name, site):
                    wrong.append(f"{key} {name}@{site}: chain {stock}, model {model.stock(name, site)}")
                continue
            words = [int.from_bytes(raw[i : i + 32], "big") for i in range(0, 160, 32)]
            lot = model.lots.get(name)
            want = (
                [0] * 5
                if lot is None
                else [lot.total, codes.cn_to_int(lot.basis), 1, lot.dependents, ORIGINS[lot.origin]]
            )
            if words != want:
                wrong.append(f"{key} {name}: chain lot {words}, model {want}")
            lot_stocks[key, name] = words[0]
        for where, total in lot_stocks.items():
            if site_sums[where] != total:
                wrong.append(f"{where}: lot stock {total} != sum of its site stocks {site_sums[where]}")
        for key, model in self.models.items():
            for name, lot in model.lots.items():
                assert min(lot.stock.values(), default=0) >= 0, f"model: {key} {name} {lot.stock}"
        assert not wrong, "\n".join(wrong)

    def _lot_calls(self, reference: str, name: str) -> list[bytes]:
        cached = self._calldata.get((reference, name))
        if cached is None:
            lot_id = ids.lot_id(reference, name)
            cached = [LOT_OF + lot_id, *(STOCK_OF + lot_id + ids.site_id(site) for site in SITES)]
            self._calldata[reference, name] = cached
        return cached


def test_model_equivalents_round_down() -> None:
    """The model's arithmetic is the ledger's rule: floor(quantity × 10^12 × numerator / denominator)."""
    for quantity in (1, 7, 999_999, 10**9 + 1):
        for ratio in CONTENTS[PRODUCT_SEALS].values():
            exact = Fraction(quantity * 10**12) * ratio
            assert equivalent(quantity, ratio) == math.floor(exact)
    assert equivalent(1, Fraction(1, 3)) == 333_333_333_333
    assert micro_to_equivalent(1) == 10**12


@pytest.mark.slow
def test_ledger_state_machine(parties: Parties) -> None:
    """Random entries and actors against the real chain; the chain must match the model after every step."""
    STATS.clear()
    RUN_STEPS.clear()

    class SessionLedgerMachine(LedgerMachine):
        pass

    SessionLedgerMachine.parties = parties
    machine: type[LedgerMachine] = SessionLedgerMachine
    if FUZZ_SEED is not None:
        machine = seed(int(FUZZ_SEED))(machine)
    started = time.perf_counter()
    run_state_machine_as_test(machine, settings=FUZZ_SETTINGS)
    # Hypothesis may end a run early (its choice buffer); top up until the budget is spent.
    while STATS["steps"] < TOTAL_STEPS:
        missing = math.ceil((TOTAL_STEPS - STATS["steps"]) / STEPS_PER_RUN)
        run_state_machine_as_test(machine, settings=settings(FUZZ_SETTINGS, max_examples=missing))
    elapsed = time.perf_counter() - started
    steps = STATS["steps"]
    print(
        f"\nledger state machine: {STATS['runs']} runs, {steps} steps, {STATS['records']} records in "
        f"{elapsed:.1f} s ({steps / elapsed:.1f} steps/s)"
    )
    print(f"  steps per run: {RUN_STEPS}")
    for name, count in sorted(STATS.items()):
        print(f"  {name}: {count}")
    assert steps >= TOTAL_STEPS
