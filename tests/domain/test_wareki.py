from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.wareki import FIRST_SUPPORTED_DATE, era_of, format_wareki, parse_wareki


@pytest.mark.parametrize(
    ("day", "long", "short"),
    [
        (date(2025, 4, 1), "令和7年4月1日", "R07.04.01"),
        (date(2019, 5, 1), "令和元年5月1日", "R01.05.01"),
        (date(2019, 4, 30), "平成31年4月30日", "H31.04.30"),
        (date(1989, 1, 8), "平成元年1月8日", "H01.01.08"),
        (date(1989, 1, 7), "昭和64年1月7日", "S64.01.07"),
        (date(1926, 12, 25), "昭和元年12月25日", "S01.12.25"),
        (date(1926, 12, 24), "大正15年12月24日", "T15.12.24"),
        (date(1912, 7, 30), "大正元年7月30日", "T01.07.30"),
        (date(1912, 7, 29), "明治45年7月29日", "M45.07.29"),
        (date(1873, 1, 1), "明治6年1月1日", "M06.01.01"),
    ],
)
def test_format_and_parse_across_era_boundaries(day, long, short):
    assert format_wareki(day) == long
    assert format_wareki(day, style="short") == short
    assert parse_wareki(long) == day
    assert parse_wareki(short) == day


def test_datetime_is_formatted_by_its_date():
    assert format_wareki(datetime(2019, 4, 30, 23, 59, 59)) == "平成31年4月30日"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和７年４月１日", date(2025, 4, 1)),  # full-width digits
        ("Ｒ０７．０４．０１", date(2025, 4, 1)),  # full-width letter and dots
        ("令和 7 年 4 月 1 日", date(2025, 4, 1)),
        ("　令和元年５月１日　", date(2019, 5, 1)),
        ("平成1年1月8日", date(1989, 1, 8)),
        ("r7.4.1", date(2025, 4, 1)),
        ("H31/04/30", date(2019, 4, 30)),
        ("S64-01-07", date(1989, 1, 7)),
        ("令和2年2月29日", date(2020, 2, 29)),
    ],
)
def test_parse_accepts_variants(text, expected):
    assert parse_wareki(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("平成31年5月1日", "平成の期間外"),  # 平成 ended 2019-04-30
        ("H31.05.01", "平成の期間外"),
        ("平成32年1月1日", "平成の期間外"),
        ("昭和64年1月8日", "昭和の期間外"),  # 昭和 ended 1989-01-07
        ("令和元年4月30日", "令和の期間外"),  # 令和 began 2019-05-01
        ("平成元年1月7日", "平成の期間外"),
        ("令和3年2月29日", "存在しない日付"),
        ("令和7年13月1日", "存在しない日付"),
        ("令和0年1月1日", "元年"),
        ("R07.04", "読めません"),
        ("2025-04-01", "読めません"),
        ("X07.04.01", "読めません"),
        ("R07.04/01", "読めません"),  # mixed separators
        ("元号7年4月1日", "読めません"),
        ("明治5年12月2日", "明治6年1月1日"),  # still the lunisolar calendar
        ("", "読めません"),
    ],
)
def test_parse_rejects_invalid_input_in_japanese(text, fragment):
    with pytest.raises(ValueError) as excinfo:
        parse_wareki(text)
    assert fragment in str(excinfo.value)


def test_out_of_era_message_names_the_last_day():
    with pytest.raises(ValueError, match="平成31年4月30日"):
        parse_wareki("平成31年5月1日")


def test_dates_before_the_gregorian_calendar_are_refused():
    with pytest.raises(ValueError, match="明治6年1月1日"):
        format_wareki(date(1872, 12, 31))


def test_month_style_for_first_registration():
    assert format_wareki(date(2019, 5, 1), style="month") == "令和元年5月"
    assert format_wareki(date(2019, 4, 1), style="month") == "平成31年4月"


def test_unknown_style_is_an_error():
    with pytest.raises(ValueError):
        format_wareki(date(2025, 4, 1), style="kanji")


def test_era_of_returns_year_within_era():
    era, year = era_of(date(2025, 4, 1))
    assert (era.name, era.letter, year) == ("令和", "R", 7)


dates = st.dates(min_value=FIRST_SUPPORTED_DATE, max_value=date(2200, 12, 31))


@given(dates, st.sampled_from(["long", "short"]))
def test_round_trip(day, style):
    assert parse_wareki(format_wareki(day, style=style)) == day


@given(dates)
def test_both_styles_agree(day):
    assert parse_wareki(format_wareki(day, "long")) == parse_wareki(format_wareki(day, "short"))
