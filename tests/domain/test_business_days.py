"""Bank business days and the debit date (billing-formats.md §2)."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.business_days import (
    debit_date_for_month,
    holiday_name,
    is_administrative_holiday,
    is_bank_business_day,
    is_holiday,
    is_weekend_or_holiday,
    next_bank_business_day,
)

D = dt.date


# The table of moved debit dates in billing-formats.md §2: (billing month, actual debit date).
@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2025, 3, D(2025, 4, 28)),
        (2025, 6, D(2025, 7, 28)),
        (2025, 8, D(2025, 9, 29)),
        (2025, 11, D(2025, 12, 29)),
        (2026, 5, D(2026, 6, 29)),
        (2026, 8, D(2026, 9, 28)),
        (2026, 11, D(2026, 12, 28)),
        (2027, 1, D(2027, 3, 1)),  # 2027-02-27 is a Saturday: the debit moves into March
        (2027, 2, D(2027, 3, 29)),
        (2027, 5, D(2027, 6, 28)),
        (2027, 10, D(2027, 11, 29)),
    ],
)
def test_debit_date_moves_to_next_bank_business_day(year, month, expected):
    assert debit_date_for_month(year, month) == expected


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2026, 12, D(2027, 1, 27)),  # December bills are debited in January of the next year
        (2026, 4, D(2026, 5, 27)),
        (2025, 12, D(2026, 1, 27)),
    ],
)
def test_debit_date_on_the_27th_when_banks_are_open(year, month, expected):
    assert debit_date_for_month(year, month) == expected


@pytest.mark.parametrize("month", [0, 13])
def test_debit_date_rejects_invalid_month(month):
    with pytest.raises(ValueError):
        debit_date_for_month(2026, month)


def test_golden_week_2026():
    # 4/29 昭和の日 (Wed), 5/3 Sun, 5/4, 5/5, 5/6 振替休日 (for 5/3 falling on a Sunday).
    assert is_holiday(D(2026, 4, 29))
    assert holiday_name(D(2026, 5, 6)) == "憲法記念日 振替休日"
    assert is_bank_business_day(D(2026, 4, 30))
    assert is_bank_business_day(D(2026, 5, 1))
    for day in range(2, 7):
        assert not is_bank_business_day(D(2026, 5, day))
    assert next_bank_business_day(D(2026, 5, 2)) == D(2026, 5, 7)


def test_citizens_holiday_between_two_holidays_2026():
    # 2026-09-22 is a 国民の休日 (between 敬老の日 9/21 and 秋分の日 9/23).
    assert is_holiday(D(2026, 9, 22))
    assert next_bank_business_day(D(2026, 9, 19)) == D(2026, 9, 24)


@pytest.mark.parametrize("d", [D(2026, 12, 31), D(2027, 1, 1), D(2027, 1, 2), D(2027, 1, 3)])
def test_bank_year_end_closing(d):
    assert not is_bank_business_day(d)
    assert next_bank_business_day(d) == D(2027, 1, 4)


def test_year_end_weekdays_that_are_not_holidays():
    # 2026-12-31 is a Thursday and no national holiday, yet banks are closed (銀行法施行令5条).
    assert not is_weekend_or_holiday(D(2026, 12, 31))
    # 12/29 and 12/30 are bank business days but the 運輸支局 is closed.
    assert is_bank_business_day(D(2026, 12, 29))
    assert is_bank_business_day(D(2026, 12, 30))
    assert is_administrative_holiday(D(2026, 12, 29))
    assert not is_administrative_holiday(D(2026, 12, 28))


def test_weekend_or_holiday():
    assert is_weekend_or_holiday(D(2026, 6, 27))  # Saturday
    assert is_weekend_or_holiday(D(2026, 6, 28))  # Sunday
    assert is_weekend_or_holiday(D(2026, 11, 3))  # 文化の日 (Tuesday)
    assert not is_weekend_or_holiday(D(2026, 6, 29))  # Monday


def test_business_day_returns_itself():
    assert next_bank_business_day(D(2027, 1, 27)) == D(2027, 1, 27)


def test_datetime_is_refused():
    with pytest.raises(TypeError):
        is_bank_business_day(dt.datetime(2026, 6, 29, 9, 0))


@given(st.dates(min_value=D(2020, 1, 1), max_value=D(2035, 12, 31)))
def test_next_bank_business_day_is_the_first_open_day(d):
    result = next_bank_business_day(d)
    assert result >= d
    assert is_bank_business_day(result)
    # No open day is skipped, and the gap stays within the longest closure (New Year + weekend).
    assert (result - d).days <= 7
    day = d
    while day < result:
        assert not is_bank_business_day(day)
        day += dt.timedelta(days=1)
