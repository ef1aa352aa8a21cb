"""Japanese holidays, bank business days and the debit date.

National holidays come from the maintained ``jpholiday`` package (built from the Cabinet
Office list 「国民の祝日について」; it includes 振替休日 and 国民の休日). Its dates are checked
against official announcements only about a year ahead (春分の日/秋分の日 are fixed by the
Cabinet Office each February for the next year), so keep the package current.

Closing days that are not national holidays are named constants below, with their source.
"""

from __future__ import annotations

import datetime as dt

import jpholiday

# 銀行法15条1項 + 銀行法施行令5条1項: banks are closed on Saturdays, Sundays, 祝日法 holidays
# and 12/31–1/3 (billing-formats.md §2).
BANK_YEAR_END_CLOSING = ((12, 31), (1, 1), (1, 2), (1, 3))

# 行政機関の休日に関する法律1条1項: government offices (運輸支局 included) are closed on
# Saturdays, Sundays, 祝日法 holidays and 12/29–1/3. AIRAS, AINAS and the weight-tax lookup
# also close 12/29–1/3 (outside-systems.md §2).
ADMINISTRATIVE_YEAR_END_CLOSING = ((12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3))

# Product guide Q15: 「ご利用当月末締め、翌月27日口座引落し」 (billing-formats.md §2, [B6]).
DEBIT_DAY_OF_MONTH = 27

_SATURDAY = 5


def _require_date(d: dt.date) -> None:
    # A datetime would be silently truncated to its own (possibly UTC) calendar day; callers must
    # pass the Japan-time date instead.
    if isinstance(d, dt.datetime) or not isinstance(d, dt.date):
        raise TypeError(f"expected a datetime.date in Japan time, got {type(d).__name__}")


def is_holiday(d: dt.date) -> bool:
    """True on a holiday under 国民の祝日に関する法律 (incl. 振替休日 and 国民の休日)."""
    _require_date(d)
    return jpholiday.is_holiday(d)


def holiday_name(d: dt.date) -> str | None:
    """The holiday's Japanese name (e.g. 「憲法記念日 振替休日」), or None on other days."""
    _require_date(d)
    return jpholiday.is_holiday_name(d)


def is_weekend(d: dt.date) -> bool:
    _require_date(d)
    return d.weekday() >= _SATURDAY


def is_weekend_or_holiday(d: dt.date) -> bool:
    """Saturday, Sunday or a national holiday: the wizard warns when a 最終検査申請日 is one."""
    return is_weekend(d) or is_holiday(d)


def is_administrative_holiday(d: dt.date) -> bool:
    """A day the 運輸支局 is closed: weekends, national holidays and 12/29–1/3."""
    return is_weekend_or_holiday(d) or (d.month, d.day) in ADMINISTRATIVE_YEAR_END_CLOSING


def is_bank_business_day(d: dt.date) -> bool:
    """A day banks are open: not a weekend, not a national holiday, not 12/31–1/3."""
    return not (is_weekend_or_holiday(d) or (d.month, d.day) in BANK_YEAR_END_CLOSING)


def next_bank_business_day(d: dt.date) -> dt.date:
    """``d`` itself when banks are open that day, otherwise the next day they are.

    A debit is moved later, never earlier, when its scheduled day is closed (§2, [B4]).
    """
    while not is_bank_business_day(d):
        d += dt.timedelta(days=1)
    return d


def debit_date_for_month(year: int, month: int) -> dt.date:
    """The debit date for the billing month ``year``-``month``.

    The 27th of the following month, moved to the next bank business day; the result can fall
    in the month after that (billing month 2027-01 → 2027-03-01).
    """
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    debit_year, debit_month = (year + 1, 1) if month == 12 else (year, month + 1)
    return next_bank_business_day(dt.date(debit_year, debit_month, DEBIT_DAY_OF_MONTH))
