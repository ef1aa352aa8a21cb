"""和暦 (Japanese era) dates: format a `date` and parse the text back.

Two styles are used on the forms and screens:

- ``long``:  ``令和7年4月1日`` (year 1 is written ``元年``: ``令和元年5月1日``)
- ``short``: ``R07.04.01`` (era letter, two-digit year, month and day)
- ``month``: ``令和元年5月`` (year and month only, as 初度登録年月 is printed; formatting only)

`parse_wareki` accepts both, the older eras (明治 M, 大正 T, 昭和 S, 平成 H), full-width
digits and letters, and ``/`` or ``-`` in place of ``.`` in the short style.

Dates before 1873-01-01 (明治6年1月1日) are refused: Japan used the lunisolar calendar until
then, so a 和暦 month and day before it do not name the same day as a Gregorian date.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

__all__ = [
    "ERAS",
    "Era",
    "FIRST_SUPPORTED_DATE",
    "era_of",
    "format_wareki",
    "parse_wareki",
    "parse_wareki_month",
]


@dataclass(frozen=True)
class Era:
    name: str  # 令和
    letter: str  # R
    start: date  # first day of 元年


# Start dates as proclaimed (the first day of each era's 元年), oldest first.
ERAS: tuple[Era, ...] = (
    Era("明治", "M", date(1868, 10, 23)),
    Era("大正", "T", date(1912, 7, 30)),
    Era("昭和", "S", date(1926, 12, 25)),
    Era("平成", "H", date(1989, 1, 8)),
    Era("令和", "R", date(2019, 5, 1)),
)

# The Gregorian calendar took effect on 明治6年1月1日.
FIRST_SUPPORTED_DATE = date(1873, 1, 1)

_BY_NAME = {era.name: era for era in ERAS}
_BY_LETTER = {era.letter: era for era in ERAS}

_LONG = re.compile(
    r"^(?P<era>明治|大正|昭和|平成|令和)\s*(?P<year>元|\d{1,3})\s*年\s*"
    r"(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日$"
)
_SHORT = re.compile(
    r"^(?P<era>[MTSHR])\s*(?P<year>\d{1,3})\s*(?P<sep>[./-])\s*(?P<month>\d{1,2})"
    r"\s*(?P=sep)\s*(?P<day>\d{1,2})$"
)


def _era_end(era: Era) -> date | None:
    """Last day of `era`, or None for the current one."""
    index = ERAS.index(era)
    if index + 1 == len(ERAS):
        return None
    return date.fromordinal(ERAS[index + 1].start.toordinal() - 1)


def _as_date(d: date) -> date:
    # A datetime is a date, but comparing one with a date raises TypeError.
    return d.date() if isinstance(d, datetime) else d


def era_of(d: date) -> tuple[Era, int]:
    """The era in force on `d` and the year within it (1 for 元年)."""
    d = _as_date(d)
    if d < FIRST_SUPPORTED_DATE:
        raise ValueError(
            f"{d.isoformat()} は和暦に変換できません。"
            "明治6年1月1日（1873年1月1日）以降の日付を指定してください。"
        )
    for era in reversed(ERAS):
        if d >= era.start:
            return era, d.year - era.start.year + 1
    raise AssertionError("unreachable: FIRST_SUPPORTED_DATE lies inside 明治")


def format_wareki(d: date, style: str = "long") -> str:
    """``令和7年4月1日`` (``long``), ``R07.04.01`` (``short``) or ``令和7年4月`` (``month``)."""
    era, year = era_of(d)
    if style in ("long", "month"):
        year_text = "元" if year == 1 else str(year)
        day_text = f"{d.day}日" if style == "long" else ""
        return f"{era.name}{year_text}年{d.month}月{day_text}"
    if style == "short":
        return f"{era.letter}{year:02d}.{d.month:02d}.{d.day:02d}"
    raise ValueError(f"unknown wareki style {style!r}; use 'long', 'short' or 'month'")


def parse_wareki(text: str) -> date:
    """Parse a 和暦 date in the long or short style; ValueError (Japanese) if invalid."""
    if not isinstance(text, str):
        raise ValueError("和暦の日付を文字列で指定してください（例: 令和7年4月1日、R07.04.01）。")
    # NFKC folds full-width digits and letters (ＲＯ７ → R07) and ideographic spaces.
    normalized = unicodedata.normalize("NFKC", text).strip()
    match = _LONG.match(normalized)
    if match:
        era = _BY_NAME[match["era"]]
        year = 1 if match["year"] == "元" else int(match["year"])
    else:
        match = _SHORT.match(normalized.upper())
        if not match:
            raise ValueError(
                f"「{text}」は和暦の日付として読めません。"
                "「令和7年4月1日」または「R07.04.01」の形で入力してください。"
            )
        era = _BY_LETTER[match["era"]]
        year = int(match["year"])
    month, day = int(match["month"]), int(match["day"])

    if year < 1:
        raise ValueError(f"「{text}」の年が正しくありません。年は元年（1年）以上で入力してください。")
    try:
        result = date(era.start.year + year - 1, month, day)
    except ValueError:
        raise ValueError(
            f"「{text}」は存在しない日付です。月と日を確かめてください。"
        ) from None

    if result < FIRST_SUPPORTED_DATE:
        era_of(result)  # raises the Japanese message for pre-Gregorian dates
    end = _era_end(era)
    if result < era.start or (end is not None and result > end):
        span_end = f"{format_wareki(end)}（{end.year}年{end.month}月{end.day}日）まで" if end else "現在まで"
        raise ValueError(
            f"「{text}」は{era.name}の期間外です。{era.name}は"
            f"{format_wareki(era.start)}から{span_end}です。"
        )
    return result


_LONG_MONTH = re.compile(r"^(明治|大正|昭和|平成|令和)\s*(元|\d{1,3})\s*年\s*(\d{1,2})\s*月$")
_SHORT_MONTH = re.compile(r"^([MTSHR])\s*(\d{1,3})\s*([./-])\s*(\d{1,2})$")


def parse_wareki_month(text: str) -> date:
    """A 和暦 year and month (``平成31年4月``, ``H31.04``) as the first day of that month;
    ValueError (Japanese) if invalid. The month must lie in the era (``令和元年4月`` does not)."""
    normalized = unicodedata.normalize("NFKC", text if isinstance(text, str) else "").strip()
    long_match, short_match = _LONG_MONTH.match(normalized), _SHORT_MONTH.match(normalized.upper())
    if long_match:
        era, year, month = long_match.groups()
        first, last = f"{era}{year}年{month}月1日", f"{era}{year}年{month}月"
    elif short_match:
        era, year, sep, month = short_match.groups()
        first, last = f"{era}{year}{sep}{month}{sep}1", f"{era}{year}{sep}{month}{sep}"
    else:
        raise ValueError(f"「{text}」は和暦の年月として読めません。「平成31年4月」または「H31.04」の形で入力してください。")
    try:
        return parse_wareki(first)
    except ValueError:
        # An era that began mid-month (令和元年5月1日, 平成元年1月8日): the month's later days count.
        for day in range(2, 32):
            try:
                return parse_wareki(last + (f"{day}日" if long_match else str(day))).replace(day=1)
            except ValueError:
                continue
        raise ValueError(f"「{text}」は和暦の年月として正しくありません。月と元号の期間を確かめてください。") from None
