"""継続検査 (renewal inspection) dates and the checks made before a 保適証 is issued.

Symbols follow ``shared/domain/renewal-rules.md`` §0: X = current expiry, D = inspection date,
A = application date, V = last day the 保適証 is valid, W = start of the 受検可能期間,
N = validity years, J = end of the presented 自賠責 chain, E_old = end of the policy in force now.

Rules the research marks inferred ([I]) each live in exactly one function or constant here, so
they can be corrected in one place once the official text is confirmed:

- `period_end` (民法143条 applied to the 有効期間),
- `add_months` (month-end clamp of "Nか月前"),
- `window_rule_date` (the window rule in force on the application date decides),
- `last_application_date_by_insurance` (最終検査申請日 as the latest covered application day).

Regulation values that change over time (the window) are in ``data/renewal_windows.json``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable

from app.domain.messages import DomainWarning
from app.domain.wareki import format_wareki

DATA_DIR = Path(__file__).parent / "data"

# 保適証 and 標章 are valid 15 days counting the inspection day as day 1 (V = D + 14).
CERTIFICATE_VALIDITY_DAYS = 15
CERTIFICATE_VALIDITY_SOURCE = (
    "MLIT 通達 昭和48年11月12日 自保第265号・自整第285号・自技第1012号 "
    "「適合証の有効期間(検査の日から一五日間)」; worked examples count the inspection day as "
    "day 1 (renewal-rules.md §1.1 [O][S1], [S6])"
)

# 自賠責 ends at noon (正午) of its end date while the 検査証 runs to 24:00 of its expiry, so the
# chain must end at least one day after the new expiry (a policy ending on it is a day short).
INSURANCE_NOON_RULE_MARGIN_DAYS = 1
INSURANCE_NOON_RULE_SOURCE = (
    "自賠責 ends at 正午 of its end date (renewal-rules.md §3.1 [S][S6][S20]); the whole new "
    "有効期間 must be covered before a 保適証 is issued (自賠法第9条, 1973 通達 自保第265号 [O][S1])"
)

# The odometer reversal warning is limited to 登録車 by the product (seed FAQ Q27).
ODOMETER_CHECK_KINDS = frozenset({"registered"})

VEHICLE_KINDS = ("registered", "kei", "small_motorcycle")
VALIDITY_YEARS = (1, 2)

# Warning codes, in the order the wizard lists them.
SHORTENING = "SHORTENING"
SHORTENING_UNAVOIDABLE = "SHORTENING_UNAVOIDABLE"
APPLY_ON_OR_AFTER = "APPLY_ON_OR_AFTER"
APPLIED_AFTER_EXPIRY = "APPLIED_AFTER_EXPIRY"
INSURANCE_SHORT = "INSURANCE_SHORT"
INSURANCE_SHORT_FOR_ALL_DATES = "INSURANCE_SHORT_FOR_ALL_DATES"
ODOMETER_REVERSAL = "ODOMETER_REVERSAL"
WARNING_CODES = (
    SHORTENING,
    SHORTENING_UNAVOIDABLE,
    APPLY_ON_OR_AFTER,
    APPLIED_AFTER_EXPIRY,
    INSURANCE_SHORT,
    INSURANCE_SHORT_FOR_ALL_DATES,
    ODOMETER_REVERSAL,
)

_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class RenewalAssessment:
    certificate_valid_until: dt.date
    window_start: dt.date
    new_expiry_date: dt.date
    counted_from_expiry: bool
    last_application_date_by_insurance: dt.date | None
    last_application_date: dt.date | None
    # The "rare case" flag: False when 最終検査申請日 differs from the current policy's end.
    last_application_date_is_insurance_end: bool | None
    warnings: list[DomainWarning]


# --- effective-dated regulation data -------------------------------------------------------


@lru_cache(maxsize=None)
def load_regulation_data(file_name: str) -> dict[str, Any]:
    """A JSON file from ``app/domain/data`` (read once; callers must not mutate it)."""
    with open(DATA_DIR / file_name, encoding="utf-8") as f:
        return json.load(f)


def _optional_date(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def is_in_force(row: dict[str, Any], on_date: dt.date) -> bool:
    """True when ``on_date`` lies in the row's effective_from..effective_until (inclusive, null = open)."""
    start = _optional_date(row.get("effective_from"))
    end = _optional_date(row.get("effective_until"))
    return (start is None or start <= on_date) and (end is None or on_date <= end)


def rows_in_force(rows: Iterable[dict[str, Any]], on_date: dt.date) -> list[dict[str, Any]]:
    return [row for row in rows if is_in_force(row, on_date)]


def require_date(value: object, name: str) -> None:
    # A datetime would silently carry a (possibly UTC) clock; the rules count Japan calendar days.
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise TypeError(f"{name} must be a datetime.date, got {type(value).__name__}")


# --- calendar arithmetic -------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day-of-month ``months`` later (or earlier); the month's last day if it has none.

    The clamp (5/31 → 3/31, 4/30 → 2/28) is [S] for one month ([S3c]: 5/31 → 4/30) and [I] for
    two months (renewal-rules.md §0, §2.3).
    """
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_end(first_day: dt.date, years: int) -> dt.date:
    """Last day of a period of ``years`` years whose first day is ``first_day`` (民法143条②).

    The day before the 応当日 ``years`` later; when that month has no such day (a period starting
    2/29 ending in a common year), the last day of that month. Applying 民法 to the 有効期間 is [I]
    (renewal-rules.md §0, §2.3): verify 2/28 → 2/29 expiries with a real 車検証.
    """
    target_year = first_day.year + years
    try:
        anniversary = first_day.replace(year=target_year)
    except ValueError:
        last_day = calendar.monthrange(target_year, first_day.month)[1]
        return dt.date(target_year, first_day.month, last_day)
    return anniversary - _ONE_DAY


def certificate_valid_until(inspection_date: dt.date) -> dt.date:
    """V: the last day the 保適証 and 標章 may be used."""
    return inspection_date + dt.timedelta(days=CERTIFICATE_VALIDITY_DAYS - 1)


def certificate_usable_dates(inspection_date: dt.date) -> list[dt.date]:
    """Every day (D..V) on which the 保適証 can be used for the application."""
    return [inspection_date + dt.timedelta(days=i) for i in range(CERTIFICATE_VALIDITY_DAYS)]


# --- the 受検可能期間 (window) -----------------------------------------------------------------


@dataclass(frozen=True)
class WindowRule:
    months: int
    remote_island_months: int
    effective_from: dt.date | None
    effective_until: dt.date | None
    source: str


def window_rule_date(application_date: dt.date) -> dt.date:
    """The date whose window rule applies: the application date.

    [I]: the 経過措置 of the 2025-04-01 amendment was not read (renewal-rules.md §2.2, §9); the
    cases ``rule_switch_2025_*`` assume the rule in force when the 継続検査 is carried out.
    """
    return application_date


def window_rule(on_date: dt.date) -> WindowRule:
    rows = rows_in_force(load_regulation_data("renewal_windows.json")["rows"], on_date)
    if len(rows) != 1:
        raise LookupError(f"expected one window rule in force on {on_date}, found {len(rows)}")
    row = rows[0]
    return WindowRule(
        months=row["months"],
        remote_island_months=row["remote_island_months"],
        effective_from=_optional_date(row["effective_from"]),
        effective_until=_optional_date(row["effective_until"]),
        source=row["source"],
    )


def window_start(current_expiry: dt.date, application_date: dt.date, remote_island: bool = False) -> dt.date:
    """W for an application on ``application_date``."""
    rule = window_rule(window_rule_date(application_date))
    months = rule.remote_island_months if remote_island else rule.months
    return add_months(current_expiry, -months)


def counts_from_expiry(
    current_expiry: dt.date, application_date: dt.date, remote_island: bool = False
) -> bool:
    """True when an application that day keeps the expiry day (施行規則44条 exception)."""
    return window_start(current_expiry, application_date, remote_island) <= application_date <= current_expiry


def new_expiry_date(
    *, current_expiry: dt.date, application_date: dt.date, validity_years: int, remote_island: bool = False
) -> dt.date:
    """The new 有効期間's last day for an application on ``application_date`` (施行規則44条)."""
    if counts_from_expiry(current_expiry, application_date, remote_island):
        first_day = current_expiry + _ONE_DAY
    else:
        first_day = application_date
    return period_end(first_day, validity_years)


def insurance_covers(insurance_end: dt.date, expiry: dt.date) -> bool:
    """The noon rule: the chain must still run on the day after the new expiry."""
    return insurance_end >= expiry + dt.timedelta(days=INSURANCE_NOON_RULE_MARGIN_DAYS)


def last_application_date_by_insurance(
    *,
    current_expiry: dt.date,
    inspection_date: dt.date,
    validity_years: int,
    insurance_end: dt.date,
    remote_island: bool = False,
) -> dt.date | None:
    """L_J: the latest application day from the inspection day on that the 自賠責 chain covers.

    Ignores the 保適証's own 15-day limit (renewal-rules.md §3.3, [I]); ``None`` when no day is
    covered. A period of N years always has at least 365×N days, so an application after
    ``insurance_end - 365×N days`` that counts from the application day can never be covered;
    applications up to the expiry may count from the expiry. Scanning down from the later of the
    two finds the latest covered day without assuming the days form one run.
    """
    latest_candidate = max(current_expiry, insurance_end - dt.timedelta(days=365 * validity_years))
    day = latest_candidate
    while day >= inspection_date:
        expiry = new_expiry_date(
            current_expiry=current_expiry,
            application_date=day,
            validity_years=validity_years,
            remote_island=remote_island,
        )
        if insurance_covers(insurance_end, expiry):
            return day
        day -= _ONE_DAY
    return None


# --- assessment ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    """The inputs and everything derived from them, computed once; the checks only read it."""

    current_expiry: dt.date
    inspection_date: dt.date
    application_date: dt.date
    validity_years: int
    insurance_end: dt.date | None
    remote_island: bool
    vehicle_kind: str
    odometer_km: int | None
    previous_odometer_km: int | None

    def expiry_if_applied_on(self, application_date: dt.date) -> dt.date:
        return new_expiry_date(
            current_expiry=self.current_expiry,
            application_date=application_date,
            validity_years=self.validity_years,
            remote_island=self.remote_island,
        )

    @cached_property
    def valid_until(self) -> dt.date:
        return certificate_valid_until(self.inspection_date)

    @cached_property
    def window_start(self) -> dt.date:
        return window_start(self.current_expiry, self.application_date, self.remote_island)

    @cached_property
    def new_expiry_date(self) -> dt.date:
        return self.expiry_if_applied_on(self.application_date)

    @cached_property
    def earliest_unshortened_date(self) -> dt.date | None:
        """The first day in [D, V] whose application does not shorten the validity, if any."""
        for day in certificate_usable_dates(self.inspection_date):
            # On or after its own W an application never shortens (after X it counts from A).
            if day >= window_start(self.current_expiry, day, self.remote_island):
                return day
        return None


def _ja(day: dt.date) -> str:
    return format_wareki(day)


def _check_shortening(facts: _Facts) -> list[DomainWarning]:
    if facts.earliest_unshortened_date is None:
        # SHORTENING_UNAVOIDABLE replaces SHORTENING: no day of this 保適証 avoids it.
        last_window = window_start(facts.current_expiry, facts.valid_until, facts.remote_island)
        reinspect_from = last_window - dt.timedelta(days=CERTIFICATE_VALIDITY_DAYS - 1)
        return [
            DomainWarning(
                SHORTENING_UNAVOIDABLE,
                f"保適証の有効期限({_ja(facts.valid_until)})までに受検可能期間"
                f"({_ja(last_window)}から)が始まらないため、この保適証で申請すると有効期間が短くなります"
                f"(新しい満了日 {_ja(facts.new_expiry_date)})。短縮を避けるには"
                f"{_ja(reinspect_from)}以降に検査をやり直してください。",
                last_window,
            )
        ]
    if facts.application_date < facts.window_start:
        full_expiry = period_end(facts.current_expiry + _ONE_DAY, facts.validity_years)
        days_lost = (full_expiry - facts.new_expiry_date).days
        return [
            DomainWarning(
                SHORTENING,
                f"申請日({_ja(facts.application_date)})が受検可能期間の開始日"
                f"({_ja(facts.window_start)})より前のため、新しい満了日が{_ja(facts.new_expiry_date)}"
                f"となり{days_lost}日短くなります。{_ja(facts.earliest_unshortened_date)}以降に"
                "申請してください。",
                facts.window_start,
            )
        ]
    return []


def _check_apply_on_or_after(facts: _Facts) -> list[DomainWarning]:
    earliest = facts.earliest_unshortened_date
    if earliest is None or earliest == facts.inspection_date:
        return []
    return [
        DomainWarning(
            APPLY_ON_OR_AFTER,
            f"{_ja(earliest)}以降に申請すれば有効期間は短くなりません。それより前に申請すると"
            "新しい満了日が早まるので、申請日を確認してください。",
            earliest,
        )
    ]


def _check_applied_after_expiry(facts: _Facts) -> list[DomainWarning]:
    if facts.application_date <= facts.current_expiry:
        return []
    return [
        DomainWarning(
            APPLIED_AFTER_EXPIRY,
            f"申請日({_ja(facts.application_date)})が現在の有効期間の満了日"
            f"({_ja(facts.current_expiry)})より後のため、新しい有効期間は申請日から数え、満了日は"
            f"{_ja(facts.new_expiry_date)}になります。満了日の後は保安基準適合標章を表示して"
            f"{_ja(facts.valid_until)}まで運行できます。",
            facts.valid_until,
        )
    ]


def _check_insurance(facts: _Facts) -> list[DomainWarning]:
    if facts.insurance_end is None:
        return []
    warnings = []
    if not insurance_covers(facts.insurance_end, facts.new_expiry_date):
        required_end = facts.new_expiry_date + dt.timedelta(days=INSURANCE_NOON_RULE_MARGIN_DAYS)
        warnings.append(
            DomainWarning(
                INSURANCE_SHORT,
                f"自賠責の終期({_ja(facts.insurance_end)})が新しい満了日の翌日"
                f"({_ja(required_end)})より前です(自賠責は終期の正午に切れます)。"
                f"{_ja(required_end)}まで有効な自賠責を追加で契約してください。",
                required_end,
            )
        )
    usable_dates = certificate_usable_dates(facts.inspection_date)
    if not any(insurance_covers(facts.insurance_end, facts.expiry_if_applied_on(day)) for day in usable_dates):
        warnings.append(
            DomainWarning(
                INSURANCE_SHORT_FOR_ALL_DATES,
                f"保適証の有効期間({_ja(facts.inspection_date)}〜{_ja(facts.valid_until)})のどの日に"
                "申請しても、自賠責が新しい有効期間を最後まで覆いません。自賠責を追加で契約するまで"
                "保適証を交付しないでください。",
            )
        )
    return warnings


def _check_odometer(facts: _Facts) -> list[DomainWarning]:
    if facts.vehicle_kind not in ODOMETER_CHECK_KINDS:
        return []
    if facts.odometer_km is None or facts.previous_odometer_km is None:
        return []
    if facts.odometer_km >= facts.previous_odometer_km:
        return []
    return [
        DomainWarning(
            ODOMETER_REVERSAL,
            f"走行距離計の表示値({facts.odometer_km:,} km)が前回検査時({facts.previous_odometer_km:,} km)"
            "より少なくなっています。メーター交換の有無を確認し、交換していればその旨を記録してください。",
        )
    ]


# Each check reads the facts and returns its warnings; none depends on another's result, so the
# order here does not change the assessment (warnings are sorted by WARNING_CODES afterwards).
RENEWAL_CHECKS: tuple[Callable[[_Facts], list[DomainWarning]], ...] = (
    _check_shortening,
    _check_apply_on_or_after,
    _check_applied_after_expiry,
    _check_insurance,
    _check_odometer,
)


def _warning_sort_key(warning: DomainWarning) -> tuple[int, dt.date]:
    return (WARNING_CODES.index(warning.code), warning.date or dt.date.min)


def _validate(
    current_expiry: dt.date,
    inspection_date: dt.date,
    application_date: dt.date,
    validity_years: int,
    insurance_end: dt.date | None,
    current_insurance_end: dt.date | None,
    vehicle_kind: str,
) -> None:
    for name, value in (
        ("current_expiry", current_expiry),
        ("inspection_date", inspection_date),
        ("application_date", application_date),
    ):
        require_date(value, name)
    for name, value in (("insurance_end", insurance_end), ("current_insurance_end", current_insurance_end)):
        if value is not None:
            require_date(value, name)
    if validity_years not in VALIDITY_YEARS:
        raise ValueError(f"有効期間は1年または2年を指定してください(指定値: {validity_years})。")
    if vehicle_kind not in VEHICLE_KINDS:
        raise ValueError(f"unknown vehicle_kind {vehicle_kind!r}; expected one of {VEHICLE_KINDS}")
    if application_date < inspection_date:
        raise ValueError(
            f"申請日({_ja(application_date)})が検査日({_ja(inspection_date)})より前です。申請日を確認してください。"
        )
    valid_until = certificate_valid_until(inspection_date)
    if application_date > valid_until:
        raise ValueError(
            f"申請日({_ja(application_date)})は保適証の有効期限({_ja(valid_until)})を過ぎています。"
            "この保適証は使えないため、検査をやり直してください。"
        )


def assess_renewal(
    *,
    current_expiry: dt.date,
    inspection_date: dt.date,
    application_date: dt.date | None = None,
    validity_years: int,
    insurance_end: dt.date | None,
    current_insurance_end: dt.date | None = None,
    remote_island: bool = False,
    vehicle_kind: str = "registered",
    odometer_km: int | None = None,
    previous_odometer_km: int | None = None,
) -> RenewalAssessment:
    """The dates and warnings for a 継続検査 with a 保適証 (renewal-rules.md §8 steps 1–6).

    ``insurance_end`` is J (end of the presented 自賠責 chain; ``None`` while unknown, which skips
    the insurance checks), ``current_insurance_end`` is E_old, and ``application_date`` defaults
    to the inspection day. Raises ``ValueError`` (Japanese message) for an application date
    outside the 保適証's validity.
    """
    if application_date is None:
        application_date = inspection_date
    _validate(
        current_expiry,
        inspection_date,
        application_date,
        validity_years,
        insurance_end,
        current_insurance_end,
        vehicle_kind,
    )
    facts = _Facts(
        current_expiry=current_expiry,
        inspection_date=inspection_date,
        application_date=application_date,
        validity_years=validity_years,
        insurance_end=insurance_end,
        remote_island=remote_island,
        vehicle_kind=vehicle_kind,
        odometer_km=odometer_km,
        previous_odometer_km=previous_odometer_km,
    )
    warnings = [warning for check in RENEWAL_CHECKS for warning in check(facts)]
    warnings.sort(key=_warning_sort_key)

    by_insurance = None
    if insurance_end is not None:
        by_insurance = last_application_date_by_insurance(
            current_expiry=current_expiry,
            inspection_date=inspection_date,
            validity_years=validity_years,
            insurance_end=insurance_end,
            remote_island=remote_island,
        )
    is_insurance_end = None
    if by_insurance is not None and current_insurance_end is not None:
        is_insurance_end = by_insurance == current_insurance_end
    return RenewalAssessment(
        certificate_valid_until=facts.valid_until,
        window_start=facts.window_start,
        new_expiry_date=facts.new_expiry_date,
        counted_from_expiry=counts_from_expiry(current_expiry, application_date, remote_island),
        last_application_date_by_insurance=by_insurance,
        last_application_date=None if by_insurance is None else min(facts.valid_until, by_insurance),
        last_application_date_is_insurance_end=is_insurance_end,
        warnings=warnings,
    )
