"""Periods for discharge: the examples of docs/spec/domain.md, and a property test against an independent
reference built on dateutil's relativedelta."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from pa_client.audit.rules import add_months, bill_due_date, end_of_period, period_deadline
from pa_client.domain.models import PeriodEnd

MONTHS_PER_PERIOD = {PeriodEnd.MONTH: 1, PeriodEnd.QUARTER: 3, PeriodEnd.SEMESTER: 6}


def reference_deadline(placed: date, months: int, rule: PeriodEnd) -> date:
    """relativedelta clamps to the month's end by itself; `day=31` is its idiom for the last day."""
    deadline: date = placed + relativedelta(months=months)
    if rule is PeriodEnd.NONE:
        return deadline
    span = MONTHS_PER_PERIOD[rule]
    last_month = -(-deadline.month // span) * span
    result: date = deadline + relativedelta(month=last_month, day=31)
    return result


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (PeriodEnd.NONE, date(2024, 7, 10)),
        (PeriodEnd.MONTH, date(2024, 7, 31)),
        (PeriodEnd.QUARTER, date(2024, 9, 30)),
        (PeriodEnd.SEMESTER, date(2024, 12, 31)),
    ],
)
def test_domain_example(rule: PeriodEnd, expected: date) -> None:
    assert period_deadline(date(2024, 1, 10), 6, rule) == expected


def test_month_arithmetic_clamps_to_the_month_end() -> None:
    assert add_months(date(2023, 8, 31), 6) == date(2024, 2, 29)
    assert add_months(date(2024, 8, 31), 6) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 3, 31), 1) == date(2024, 4, 30)
    assert add_months(date(2024, 11, 15), 14) == date(2026, 1, 15)


def test_bill_due_thirty_days_after_the_period() -> None:
    assert bill_due_date(date(2024, 7, 10)) == date(2024, 8, 9)
    assert bill_due_date(date(2024, 12, 31)) == date(2025, 1, 30)
    assert bill_due_date(date(2024, 7, 10), 60) == date(2024, 9, 8)


def test_end_of_period_boundaries() -> None:
    assert end_of_period(date(2024, 3, 31), PeriodEnd.QUARTER) == date(2024, 3, 31)
    assert end_of_period(date(2024, 4, 1), PeriodEnd.QUARTER) == date(2024, 6, 30)
    assert end_of_period(date(2024, 6, 30), PeriodEnd.SEMESTER) == date(2024, 6, 30)
    assert end_of_period(date(2024, 7, 1), PeriodEnd.SEMESTER) == date(2024, 12, 31)
    assert end_of_period(date(2023, 2, 3), PeriodEnd.MONTH) == date(2023, 2, 28)


@settings(max_examples=300, deadline=None)  # no timing in tests; pure date arithmetic is fast
@given(
    placed=st.dates(min_value=date(1970, 1, 1), max_value=date(2200, 12, 31)),
    months=st.integers(min_value=1, max_value=24),
    rule=st.sampled_from(list(PeriodEnd)),
)
def test_deadline_matches_the_dateutil_reference(placed: date, months: int, rule: PeriodEnd) -> None:
    deadline = period_deadline(placed, months, rule)
    assert deadline == reference_deadline(placed, months, rule)
    # And what the rule means: the deadline ends a period and comes no earlier than the months.
    plain = add_months(placed, months)
    assert deadline >= plain > placed
    if rule is not PeriodEnd.NONE:
        assert (deadline + timedelta(days=1)).day == 1
        assert deadline.month % MONTHS_PER_PERIOD[rule] == 0
        assert (deadline.year, (deadline.month - 1) // MONTHS_PER_PERIOD[rule]) == (
            plain.year,
            (plain.month - 1) // MONTHS_PER_PERIOD[rule],
        )
