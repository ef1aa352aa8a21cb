from datetime import datetime

import pytest

from app.domain.corporate_number import check_digit, is_valid_corporate_number
from app.domain.hours import Hours, is_closed, next_opening
from app.timeutil import JST

HOURS = Hours.from_settings()


@pytest.mark.parametrize(
    "moment, closed",
    [
        ((2026, 6, 10, 23, 59, 59), False),
        ((2026, 6, 11, 0, 0, 0), True),
        ((2026, 6, 11, 0, 59, 59), True),
        ((2026, 6, 11, 1, 0, 0), False),
        ((2026, 12, 28, 23, 59, 59), False),
        ((2026, 12, 29, 12, 0, 0), True),
        ((2027, 1, 3, 23, 59, 59), True),
        ((2027, 1, 4, 0, 30, 0), True),  # the daily window still applies on the 4th
        ((2027, 1, 4, 1, 0, 0), False),
    ],
)
def test_operating_hours_edges(moment, closed):
    assert is_closed(datetime(*moment, tzinfo=JST), HOURS) is closed


def test_next_opening_after_new_year_and_nightly_window():
    assert next_opening(datetime(2026, 12, 30, 9, 0, tzinfo=JST), HOURS) == datetime(
        2027, 1, 4, 1, 0, tzinfo=JST)
    assert next_opening(datetime(2026, 6, 11, 0, 10, tzinfo=JST), HOURS) == datetime(
        2026, 6, 11, 1, 0, tzinfo=JST)
    open_moment = datetime(2026, 6, 11, 9, 0, tzinfo=JST)
    assert next_opening(open_moment, HOURS) == open_moment


def test_configurable_window():
    hours = Hours.from_settings("23:30", "01:30", "12-30", "01-02")
    assert is_closed(datetime(2026, 6, 10, 23, 45, tzinfo=JST), hours)
    assert is_closed(datetime(2026, 6, 11, 1, 15, tzinfo=JST), hours)
    assert not is_closed(datetime(2026, 12, 29, 12, 0, tzinfo=JST), hours)


@pytest.mark.parametrize("number", ["7000012050002", "2021001052596"])
def test_published_corporate_numbers_validate(number):
    # 7000012050002 is the 国税庁's own published number.
    assert is_valid_corporate_number(number)


def test_wrong_check_digit_and_shapes_fail():
    assert not is_valid_corporate_number("1000012050002")
    assert not is_valid_corporate_number("700001205000")
    assert not is_valid_corporate_number("70000120500０2")
    assert check_digit("000012050002") == 7
