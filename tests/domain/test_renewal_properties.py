"""Properties of assess_renewal over random dates 2020–2035 and N ∈ {1, 2}."""

from __future__ import annotations

import calendar
import datetime as dt
from unittest import mock

from hypothesis import assume, given
from hypothesis import strategies as st

from app.domain import renewal
from app.domain.renewal import (
    APPLY_ON_OR_AFTER,
    INSURANCE_SHORT,
    INSURANCE_SHORT_FOR_ALL_DATES,
    SHORTENING,
    SHORTENING_UNAVOIDABLE,
    assess_renewal,
)

TWO_MONTH_WINDOW_FROM = dt.date(2025, 4, 1)
# The shortest possible "1 month before" and "2 months before" spans (3/1 → 2/1, 3/1 → 1/1 in a
# common year), so an application this many days before X is inside the window whatever X is.
SURELY_INSIDE_ONE_MONTH = 28
SURELY_INSIDE_TWO_MONTHS = 59

FIRST_YEAR, LAST_YEAR = 2020, 2035
month_ends = st.builds(
    lambda year, month: dt.date(year, month, calendar.monthrange(year, month)[1]),
    st.integers(FIRST_YEAR, LAST_YEAR),
    st.integers(1, 12),
)
# Month ends (2/28, 2/29, 4/30, 5/31 …) are where the date rules differ, so draw them often.
expiries = st.one_of(st.dates(dt.date(FIRST_YEAR, 1, 1), dt.date(LAST_YEAR, 12, 31)), month_ends)
validity_years = st.sampled_from([1, 2])
days_in_certificate = st.integers(0, renewal.CERTIFICATE_VALIDITY_DAYS - 1)


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def expiry_kept_n_years_later(expiry: dt.date, years: int) -> dt.date:
    """The oracle: the same month and day N years on; a February-end expiry stays at February's end."""
    february_end = expiry.month == 2 and expiry.day == calendar.monthrange(expiry.year, 2)[1]
    if february_end:
        return dt.date(expiry.year + years, 2, calendar.monthrange(expiry.year + years, 2)[1])
    return expiry.replace(year=expiry.year + years)


@given(
    expiry=expiries,
    years=validity_years,
    remote_island=st.booleans(),
    days_before_expiry=st.integers(0, SURELY_INSIDE_TWO_MONTHS),
    days_after_inspection=days_in_certificate,
)
def test_application_inside_the_window_keeps_the_expiry_day(
    expiry, years, remote_island, days_before_expiry, days_after_inspection
):
    application = expiry - _days(days_before_expiry)
    two_months = remote_island or application >= TWO_MONTH_WINDOW_FROM
    assume(days_before_expiry <= (SURELY_INSIDE_TWO_MONTHS if two_months else SURELY_INSIDE_ONE_MONTH))
    result = assess_renewal(
        current_expiry=expiry,
        inspection_date=application - _days(days_after_inspection),
        application_date=application,
        validity_years=years,
        insurance_end=None,
        remote_island=remote_island,
    )
    assert result.counted_from_expiry is True
    assert result.new_expiry_date == expiry_kept_n_years_later(expiry, years)
    assert SHORTENING not in [w.code for w in result.warnings]


@st.composite
def plans(draw: st.DrawFn, with_application: bool = True) -> dict:
    """assess_renewal arguments without the insurance: X, D (from 120 days before X to 30 after), N, 離島, A."""
    expiry = draw(expiries)
    inspection = expiry + _days(draw(st.integers(-120, 30)))
    plan = dict(
        current_expiry=expiry,
        inspection_date=inspection,
        validity_years=draw(validity_years),
        remote_island=draw(st.booleans()),
    )
    if with_application:
        plan["application_date"] = inspection + _days(draw(days_in_certificate))
    return plan


def _kept(plan: dict) -> dt.date:
    return expiry_kept_n_years_later(plan["current_expiry"], plan["validity_years"])


@given(plan=plans(with_application=False), first=days_in_certificate, second=days_in_certificate)
def test_a_later_application_never_gives_an_earlier_expiry(plan, first, second):
    earlier, later = sorted((first, second))

    def new_expiry(days_after_inspection: int) -> dt.date:
        application = plan["inspection_date"] + _days(days_after_inspection)
        return assess_renewal(**plan, application_date=application, insurance_end=None).new_expiry_date

    assert new_expiry(earlier) <= new_expiry(later)


@given(plan=plans(), insurance_offset=st.integers(-90, 420), current_policy_offset=st.integers(-30, 60))
def test_last_application_date_is_never_after_the_certificate_expires(plan, insurance_offset, current_policy_offset):
    result = assess_renewal(
        **plan,
        insurance_end=_kept(plan) + _days(insurance_offset),
        current_insurance_end=plan["current_expiry"] + _days(current_policy_offset),
    )
    if result.last_application_date is None:
        assert result.last_application_date_by_insurance is None
        assert result.last_application_date_is_insurance_end is None
    else:
        assert plan["inspection_date"] <= result.last_application_date <= result.certificate_valid_until
        assert result.last_application_date <= result.last_application_date_by_insurance


@given(plan=plans(), extra_days=st.integers(0, 400))
def test_insurance_to_the_day_after_the_new_expiry_gives_no_insurance_warning(plan, extra_days):
    new_expiry = assess_renewal(**plan, insurance_end=None).new_expiry_date
    result = assess_renewal(**plan, insurance_end=new_expiry + _days(1 + extra_days))
    codes = [w.code for w in result.warnings]
    assert INSURANCE_SHORT not in codes
    assert INSURANCE_SHORT_FOR_ALL_DATES not in codes
    assert result.last_application_date is not None


@given(
    checks=st.permutations(renewal.RENEWAL_CHECKS),
    plan=plans(),
    insurance_offset=st.integers(-60, 60),
    odometer=st.integers(0, 300_000),
    previous_odometer=st.integers(0, 300_000),
)
def test_the_result_does_not_depend_on_the_order_of_the_checks(
    checks, plan, insurance_offset, odometer, previous_odometer
):
    arguments = dict(
        plan,
        insurance_end=_kept(plan) + _days(insurance_offset),
        current_insurance_end=plan["current_expiry"] + _days(30),
        odometer_km=odometer,
        previous_odometer_km=previous_odometer,
    )
    in_listed_order = assess_renewal(**arguments)
    with mock.patch.object(renewal, "RENEWAL_CHECKS", tuple(checks)):
        in_given_order = assess_renewal(**arguments)
    assert in_given_order == in_listed_order


@given(plan=plans())
def test_shortening_warnings_are_consistent(plan):
    result = assess_renewal(**plan, insurance_end=None)
    codes = [w.code for w in result.warnings]
    assert not (SHORTENING in codes and SHORTENING_UNAVOIDABLE in codes)
    shortened = result.new_expiry_date < _kept(plan)
    assert (SHORTENING in codes or SHORTENING_UNAVOIDABLE in codes) is shortened
    without_application = {k: v for k, v in plan.items() if k != "application_date"}
    for warning in result.warnings:
        if warning.code == APPLY_ON_OR_AFTER:
            # The earliest day that avoids shortening: that day does not shorten, the day before does.
            assert plan["inspection_date"] < warning.date <= result.certificate_valid_until
            on_the_day = assess_renewal(**without_application, application_date=warning.date, insurance_end=None)
            day_before = assess_renewal(
                **without_application, application_date=warning.date - _days(1), insurance_end=None
            )
            assert SHORTENING not in [w.code for w in on_the_day.warnings]
            assert SHORTENING in [w.code for w in day_before.warnings]
