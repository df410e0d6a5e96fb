"""Typed records: the one definition of an entry's and an authorisation's fields.

The file reader, the HTTP API, the contract encoding and the audit all use these models. Values are
kept as people state them (decimals, dates, CN codes as 8-digit strings); `encoding` turns them into
the ledger's integers.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Final, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from pa_client.domain import codes
from pa_client.domain.quantities import (
    NumberError,
    parse_decimal,
    parse_ratio,
    percent_to_ppm,
    to_cents,
    to_micro,
)


def _quantity(value: object) -> Decimal:
    decimal = parse_decimal(value)  # type: ignore[arg-type]
    to_micro(decimal)  # > 0, at most 6 decimals, fits the ledger
    return decimal


def _money(value: object) -> Decimal:
    decimal = parse_decimal(value)  # type: ignore[arg-type]
    to_cents(decimal)
    return decimal


def _percent(value: object) -> Decimal:
    decimal = parse_decimal(value)  # type: ignore[arg-type]
    percent_to_ppm(decimal)
    return decimal


EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
"""The ledger keeps times as Unix seconds (uint64): nothing before."""


def _moment(value: object) -> datetime:
    """ISO 8601 date or date-time; UTC where no offset is given."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(0), tzinfo=UTC)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                "not an ISO 8601 date or date-time (e.g. 2024-01-10 or 2024-01-10T09:30:00+01:00)"
            ) from None
    else:
        raise ValueError("not a date or date-time")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+14:00 is in year 0 in UTC, 9999-12-31T23:59-14:00 in 10000
        raise ValueError("out of the range of date-times (years 1 to 9999 in UTC)") from None
    if moment < EPOCH:
        raise ValueError(f"before {EPOCH:%Y-%m-%d}, the earliest moment the ledger holds (Unix time)")
    return moment


def _day(value: object) -> date:
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, str):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("not an ISO 8601 date (e.g. 2024-07-10)") from None
    else:
        raise ValueError("not a date")
    if day < EPOCH.date() or day >= date.max:
        raise ValueError(f"out of the days the ledger holds ({EPOCH:%Y-%m-%d} to 9999-12-30)")
    return day


def _check(check: object) -> BeforeValidator:
    def run(value: object) -> object:
        if not isinstance(value, str):
            raise ValueError("expected text")
        try:
            return check(value)  # type: ignore[operator]
        except NumberError as error:
            raise ValueError(str(error)) from None

    return BeforeValidator(run)


Quantity = Annotated[Decimal, BeforeValidator(_quantity)]
Money = Annotated[Decimal, BeforeValidator(_money)]
Percent = Annotated[Decimal, BeforeValidator(_percent)]
Moment = Annotated[datetime, BeforeValidator(_moment)]
Day = Annotated[date, BeforeValidator(_day)]
CnCode = Annotated[str, _check(codes.check_cn_code)]
Mrn = Annotated[str, _check(codes.check_mrn)]
Country = Annotated[str, _check(codes.check_country)]
Unit = Annotated[str, _check(codes.check_unit)]
Eori = Annotated[str, _check(codes.check_eori)]
Text = Annotated[str, Field(min_length=1, max_length=512)]
Reference = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^\S(.*\S)?$")]
Digest = Annotated[str, Field(pattern=r"^(0x)?[0-9a-fA-F]{64}$")]


class DischargeMode(enum.StrEnum):
    """How goods leave the procedure. Values are the file's words; order is the contract's enum."""

    REEXPORT = "reexport"
    FREE_CIRCULATION = "free_circulation"
    WAREHOUSING = "warehousing"
    TRANSFER = "transfer"
    DESTRUCTION = "destruction"
    ABANDONMENT = "abandonment"

    @property
    def needs_declaration(self) -> bool:
        return self in (
            DischargeMode.REEXPORT,
            DischargeMode.FREE_CIRCULATION,
            DischargeMode.WAREHOUSING,
        )


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class EntryBase(_Record):
    """Fields every entry has."""

    authorisation: Reference
    entry_ref: Reference
    occurred_at: Moment
    documents: tuple[Digest, ...] = ()


class Placement(EntryBase):
    kind: Literal["placement"] = "placement"
    lot: Reference
    goods_code: CnCode
    description: Text
    quantity: Quantity
    unit: Unit
    site: Reference
    declaration: Mrn
    procedure: int | None = Field(default=None, ge=5100, le=5199)
    customs_value: Money
    duty_rate: Percent
    origin: Country


class Movement(EntryBase):
    kind: Literal["movement"] = "movement"
    lot: Reference
    quantity: Quantity
    site: Reference
    to_site: Reference

    @model_validator(mode="after")
    def _different_sites(self) -> Movement:
        if self.site == self.to_site:
            raise ValueError("a movement goes from one site to another: 'site' and 'to_site' are the same")
        return self


class ProcessingInput(_Record):
    lot: Reference
    quantity: Quantity


class ProcessingOutput(_Record):
    lot: Reference
    goods_code: CnCode
    description: Text
    quantity: Quantity
    unit: Unit


class Processing(EntryBase):
    kind: Literal["processing"] = "processing"
    site: Reference
    inputs: tuple[ProcessingInput, ...] = Field(min_length=1)
    outputs: tuple[ProcessingOutput, ...] = Field(min_length=1)


class Handling(EntryBase):
    kind: Literal["handling"] = "handling"
    lot: Reference
    goods_code: CnCode


class Discharge(EntryBase):
    kind: Literal["discharge"] = "discharge"
    lot: Reference
    quantity: Quantity
    site: Reference
    mode: DischargeMode
    declaration: Mrn | None = None
    procedure: int | None = Field(default=None, ge=0, le=9999)

    @model_validator(mode="after")
    def _declaration_when_needed(self) -> Discharge:
        if self.mode.needs_declaration and self.declaration is None:
            raise ValueError(f"a discharge by {self.mode.value} needs its declaration (MRN)")
        return self


class Correction(EntryBase):
    kind: Literal["correction"] = "correction"
    corrects: Reference
    reason: Text


class DeadlineExtension(EntryBase):
    """Customs extend a placement's period for discharge (UCC art. 257(2))."""

    kind: Literal["extension"] = "extension"
    placement: Reference
    new_deadline: Day
    reason: Text


class BillLodging(EntryBase):
    """The holder (or a declarant) lodged the bill of discharge of a span of ends of periods for
    discharge (UCC-DA art. 175): its SHA-256 and due date. `occurred_at` is the time of lodging. Not a
    row of the entries file: `pa bill --lodge` and the dashboard record it from the bill itself."""

    kind: Literal["bill"] = "bill"
    period_start: Day
    period_end: Day
    due: Day
    bill_sha256: Digest

    @model_validator(mode="after")
    def _ordered(self) -> BillLodging:
        if self.period_end < self.period_start:
            raise ValueError(f"the period ends ({self.period_end}) before it starts ({self.period_start})")
        return self


Entry = Annotated[
    Placement | Movement | Processing | Handling | Discharge | Correction | DeadlineExtension,
    Field(discriminator="kind"),
]


# ---------------------------------------------------------------- authorisations


class PeriodEnd(enum.StrEnum):
    """UCC art. 257(2): the period ends on the last day of the month, quarter or semester."""

    NONE = "none"
    MONTH = "month"
    QUARTER = "quarter"
    SEMESTER = "semester"


class AllocationKey(enum.StrEnum):
    QUANTITY = "quantity"
    VALUE = "value"


def _ratio(value: object) -> Fraction:
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        raise ValueError('write the ratio as a string ("1.052632" or "1000/950"), not a float')
    try:
        return parse_ratio(value)  # type: ignore[arg-type]
    except NumberError as error:
        raise ValueError(str(error)) from None


Ratio = Annotated[Fraction, BeforeValidator(_ratio)]


class Product(_Record):
    """A processed product and the import goods one unit of it contains (the inverse of the rate of
    yield, UCC art. 255)."""

    code: CnCode
    description: Text
    unit: Unit
    contains: dict[CnCode, Ratio] = Field(min_length=1)


class Authorisation(_Record):
    """An inward processing authorisation as customs register it (docs/spec/interfaces.md §2)."""

    reference: Reference
    holder: Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]
    holder_eori: Eori
    supervising_office: Annotated[str, Field(pattern=r"^[A-Z]{2}[A-Z0-9]{6}$")]
    valid_from: Day
    valid_until: Day
    discharge_period_months: int = Field(ge=1, le=120)
    period_end: PeriodEnd = PeriodEnd.NONE
    allocation_key: AllocationKey = AllocationKey.QUANTITY
    yield_tolerance_percent: Percent = Decimal(0)
    deemed_release_on_expiry: bool = False
    import_goods: tuple[CnCode, ...] = Field(min_length=1, max_length=16)
    products: tuple[Product, ...] = Field(min_length=1)

    @field_validator("import_goods")
    @classmethod
    def _distinct_import_goods(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("an import goods code is listed twice")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Authorisation:
        if self.valid_until < self.valid_from:
            raise ValueError(f"valid_until {self.valid_until} is before valid_from {self.valid_from}")
        seen: set[str] = set()
        for product in self.products:
            if product.code in seen:
                raise ValueError(f"product {product.code} is listed twice")
            seen.add(product.code)
            for code in product.contains:
                if code not in self.import_goods:
                    raise ValueError(
                        f"product {product.code} contains {code}, which is not among import_goods"
                    )
        return self
