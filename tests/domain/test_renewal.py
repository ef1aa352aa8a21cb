"""The worked cases of renewal-cases.json, one test id per case, plus the rules' edges."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from app.domain import renewal
from app.domain.renewal import (
    APPLIED_AFTER_EXPIRY,
    APPLY_ON_OR_AFTER,
    INSURANCE_SHORT,
    INSURANCE_SHORT_FOR_ALL_DATES,
    ODOMETER_REVERSAL,
    SHORTENING,
    SHORTENING_UNAVOIDABLE,
    WARNING_CODES,
    add_months,
    assess_renewal,
    period_end,
)

CASES_PATH = Path(__file__).parent.parent / "data" / "renewal-cases.json"
CASES = json.loads(CASES_PATH.read_text(encoding="utf-8"))["cases"]

# The cases' names for the issue's codes (the cases were written before the codes were fixed).
CASE_CODE_NAMES = {
    "SHORTENING": SHORTENING,
    "SHORTENING_UNAVOIDABLE": SHORTENING_UNAVOIDABLE,
    "INFO_APPLIED_AFTER_EXPIRY": APPLIED_AFTER_EXPIRY,
    "APPLIED_AFTER_EXPIRY": APPLIED_AFTER_EXPIRY,
    "JIBAISEKI_SHORT": INSURANCE_SHORT,
    "JIBAISEKI_SHORT_FOR_ALL_DATES": INSURANCE_SHORT_FOR_ALL_DATES,
    "ODOMETER_REVERSAL": ODOMETER_REVERSAL,
}
_APPLY_ON_OR_AFTER = re.compile(r"^(?:HINT_|INFO_)?APPLY_ON_OR_AFTER_(\d{4}-\d{2}-\d{2})$")
_CODE_TOKEN = re.compile(r"^[A-Z][A-Z0-9_-]*$")


def _date(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def _vehicle_kind(vehicle_class: str) -> str:
    if "登録車" in vehicle_class:
        return "registered"
    if "軽" in vehicle_class:
        return "kei"
    raise AssertionError(f"no vehicle_kind mapping for case vehicle_class {vehicle_class!r}")


def expected_warnings(case_warnings: list[str]) -> list[tuple[str, dt.date | None]]:
    """(code, date) pairs a case expects; the date only for APPLY_ON_OR_AFTER.

    An entry whose first word is not a code is a note and expects no warning.
    """
    expected = []
    for text in case_warnings:
        token = re.split(r"[\s(]", text.strip(), maxsplit=1)[0]
        if not _CODE_TOKEN.match(token):
            continue
        match = _APPLY_ON_OR_AFTER.match(token)
        if match:
            expected.append((APPLY_ON_OR_AFTER, dt.date.fromisoformat(match.group(1))))
        else:
            # A code the mapping does not know fails the test rather than being skipped.
            expected.append((CASE_CODE_NAMES[token], None))
    return sorted(expected, key=lambda pair: WARNING_CODES.index(pair[0]))


def assess_case(inputs: dict) -> renewal.RenewalAssessment:
    return assess_renewal(
        current_expiry=_date(inputs["current_expiry_X"]),
        inspection_date=_date(inputs["inspection_date_D"]),
        application_date=_date(inputs["planned_application_date_A"]),
        validity_years=inputs["validity_years_N"],
        insurance_end=_date(inputs["jibaiseki_chain_end_J"]),
        current_insurance_end=_date(inputs["jibaiseki_current_policy_end_E_old"]),
        remote_island=inputs["ritou"],
        vehicle_kind=_vehicle_kind(inputs["vehicle_class"]),
        odometer_km=inputs.get("odometer_km_current"),
        previous_odometer_km=inputs.get("odometer_km_previous"),
    )


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_renewal_case(case):
    expected = case["expected"]
    result = assess_case(case["inputs"])

    assert result.certificate_valid_until == _date(expected["hotekisho_valid_until"])
    assert result.window_start == _date(expected["window_start_W"])
    assert result.new_expiry_date == _date(expected["new_expiry"])
    assert result.counted_from_expiry is expected["counted_from_day_after_old_expiry"]
    assert result.last_application_date_by_insurance == _date(expected["saishu_kensa_shinsei_bi_by_jibaiseki"])
    assert result.last_application_date == _date(expected["last_valid_application_date"])
    assert result.last_application_date_is_insurance_end is expected["saishu_kensa_shinsei_bi_equals_E_old"]

    got = [(w.code, w.date if w.code == APPLY_ON_OR_AFTER else None) for w in result.warnings]
    assert got == expected_warnings(expected["warnings"])
    for warning in result.warnings:
        assert re.search(r"[ぁ-んァ-ン一-龥]", warning.message), warning


def test_case_warning_parser_reads_codes_dates_and_notes():
    parsed = expected_warnings(
        [
            "HINT_APPLY_ON_OR_AFTER_2026-06-05",
            "SHORTENING (申請日が受検可能期間の開始日前)",
            "自賠責の証明書を確認 (note, not a code)",
            "JIBAISEKI_SHORT (x)",
        ]
    )
    assert parsed == [(SHORTENING, None), (APPLY_ON_OR_AFTER, dt.date(2026, 6, 5)), (INSURANCE_SHORT, None)]
    with pytest.raises(KeyError):
        expected_warnings(["UNKNOWN_CODE (x)"])


# --- calendar helpers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first_day", "years", "end"),
    [
        (dt.date(2026, 6, 21), 2, dt.date(2028, 6, 20)),
        (dt.date(2026, 3, 1), 2, dt.date(2028, 2, 29)),  # 2/28 expiry → 2/29 two years later
        (dt.date(2024, 3, 1), 2, dt.date(2026, 2, 28)),
        (dt.date(2028, 2, 29), 2, dt.date(2030, 2, 28)),  # no 応当日: the month's last day
        (dt.date(2024, 2, 29), 1, dt.date(2025, 2, 28)),
        (dt.date(2026, 3, 31), 2, dt.date(2028, 3, 30)),
        (dt.date(2026, 1, 1), 1, dt.date(2026, 12, 31)),
    ],
)
def test_period_end_follows_minpo_143(first_day, years, end):
    assert period_end(first_day, years) == end


@pytest.mark.parametrize(
    ("day", "months", "result"),
    [
        (dt.date(2026, 5, 31), -2, dt.date(2026, 3, 31)),
        (dt.date(2026, 4, 30), -2, dt.date(2026, 2, 28)),
        (dt.date(2028, 4, 30), -2, dt.date(2028, 2, 29)),
        (dt.date(2026, 8, 31), -2, dt.date(2026, 6, 30)),
        (dt.date(2026, 1, 31), -2, dt.date(2025, 11, 30)),
        (dt.date(2025, 5, 31), -1, dt.date(2025, 4, 30)),
        (dt.date(2013, 3, 1), 155, dt.date(2026, 2, 1)),
    ],
)
def test_add_months_clamps_to_month_end(day, months, result):
    assert add_months(day, months) == result


# --- the window rule as data -------------------------------------------------------------


def test_window_rule_switches_on_2025_04_01():
    before = renewal.window_rule(dt.date(2025, 3, 31))
    after = renewal.window_rule(dt.date(2025, 4, 1))
    assert (before.months, before.remote_island_months) == (1, 2)
    assert (after.months, after.remote_island_months) == (2, 2)


def test_window_rows_cover_every_day_once_and_name_a_source():
    rows = renewal.load_regulation_data("renewal_windows.json")["rows"]
    for row in rows:
        assert row["source"].strip()
    day = dt.date(2000, 1, 1)
    while day < dt.date(2040, 1, 1):
        assert len(renewal.rows_in_force(rows, day)) == 1, day
        day += dt.timedelta(days=61)
    for boundary in (dt.date(2025, 3, 31), dt.date(2025, 4, 1)):
        assert len(renewal.rows_in_force(rows, boundary)) == 1


def test_remote_island_keeps_two_months_before_2025():
    common = dict(current_expiry=dt.date(2024, 8, 20), inspection_date=dt.date(2024, 6, 25), validity_years=2)
    assert assess_renewal(**common, insurance_end=None, remote_island=True).window_start == dt.date(2024, 6, 20)
    assert assess_renewal(**common, insurance_end=None).window_start == dt.date(2024, 7, 20)


# --- named rules ---------------------------------------------------------------------------


def test_certificate_is_valid_fifteen_days_counting_the_inspection_day():
    assert renewal.CERTIFICATE_VALIDITY_DAYS == 15
    assert renewal.certificate_valid_until(dt.date(2026, 8, 1)) == dt.date(2026, 8, 15)
    assert len(renewal.certificate_usable_dates(dt.date(2026, 8, 1))) == 15
    assert "自保第265号" in renewal.CERTIFICATE_VALIDITY_SOURCE


def test_policy_ending_on_the_new_expiry_is_one_day_short():
    assert not renewal.insurance_covers(dt.date(2028, 6, 20), dt.date(2028, 6, 20))
    assert renewal.insurance_covers(dt.date(2028, 6, 21), dt.date(2028, 6, 20))
    assert "正午" in renewal.INSURANCE_NOON_RULE_SOURCE


# --- behaviour the cases do not reach ------------------------------------------------------


def _assess(
    expiry: str, inspection: str, years: int, insurance_end: str | None, **extra
) -> renewal.RenewalAssessment:
    """assess_renewal with ISO strings for X, D and J, and for any date in ``extra``."""
    for name in ("application_date", "current_insurance_end"):
        if isinstance(extra.get(name), str):
            extra[name] = _date(extra[name])
    return assess_renewal(
        current_expiry=_date(expiry),
        inspection_date=_date(inspection),
        validity_years=years,
        insurance_end=_date(insurance_end),
        **extra,
    )


def _codes(result: renewal.RenewalAssessment) -> list[str]:
    return [warning.code for warning in result.warnings]


def test_application_after_expiry_counts_from_the_application_and_says_so():
    result = _assess(
        "2026-11-30", "2026-11-25", 1, "2027-12-01", application_date="2026-12-03", current_insurance_end="2026-12-01"
    )
    assert result.new_expiry_date == dt.date(2027, 12, 2)
    assert result.counted_from_expiry is False
    assert _codes(result) == [APPLIED_AFTER_EXPIRY, INSURANCE_SHORT]
    after_expiry = result.warnings[0]
    assert after_expiry.date == dt.date(2026, 12, 9)
    assert "保安基準適合標章" in after_expiry.message
    # The insurance still covers an application up to 12/01, so issuance is not blocked.
    assert result.last_application_date == dt.date(2026, 12, 1)


def test_expired_vehicle_needs_insurance_from_the_application_day():
    result = _assess("2026-03-10", "2026-04-02", 2, "2028-05-02", current_insurance_end="2026-04-10")
    assert result.new_expiry_date == dt.date(2028, 4, 1)
    assert result.last_application_date_by_insurance == dt.date(2026, 5, 2)
    assert result.last_application_date == dt.date(2026, 4, 16)
    assert result.last_application_date_is_insurance_end is False
    assert _codes(result) == [APPLIED_AFTER_EXPIRY]


def test_insurance_short_for_the_plan_but_not_for_an_earlier_day():
    # Applying at the end of the 保適証's validity (after X) needs a longer policy than on day 1.
    result = _assess(
        "2026-09-10", "2026-09-05", 2, "2028-09-15", application_date="2026-09-19", current_insurance_end="2026-09-15"
    )
    assert result.new_expiry_date == dt.date(2028, 9, 18)
    assert _codes(result) == [APPLIED_AFTER_EXPIRY, INSURANCE_SHORT]
    assert result.warnings[1].date == dt.date(2028, 9, 19)
    assert result.last_application_date == dt.date(2026, 9, 15)
    assert result.last_application_date_is_insurance_end is True


def test_unknown_insurance_skips_the_insurance_checks_and_dates():
    result = _assess("2026-06-20", "2026-06-05", 2, None, current_insurance_end="2026-07-21")
    assert result.last_application_date_by_insurance is None
    assert result.last_application_date is None
    assert result.last_application_date_is_insurance_end is None
    assert result.warnings == []


def test_unknown_current_policy_end_leaves_the_rare_case_flag_unknown():
    result = _assess("2026-06-20", "2026-06-05", 2, "2028-07-21")
    assert result.last_application_date_by_insurance == dt.date(2026, 7, 21)
    assert result.last_application_date_is_insurance_end is None


@pytest.mark.parametrize(
    ("kind", "odometer_km", "warned"),
    [
        ("registered", 57900, True),
        ("registered", 58400, False),
        ("kei", 57900, False),
        ("small_motorcycle", 57900, False),
    ],
)
def test_odometer_reversal_only_for_registered_vehicles_and_only_when_lower(kind, odometer_km, warned):
    result = _assess(
        "2026-06-20",
        "2026-06-10",
        2,
        "2028-07-20",
        vehicle_kind=kind,
        odometer_km=odometer_km,
        previous_odometer_km=58400,
    )
    assert _codes(result) == ([ODOMETER_REVERSAL] if warned else [])


def test_shortening_message_names_the_day_to_apply_from():
    result = _assess("2026-08-05", "2026-05-28", 2, "2028-09-05")
    shortening = result.warnings[0]
    assert shortening.code == SHORTENING
    assert shortening.date == dt.date(2026, 6, 5)
    assert "令和8年6月5日以降に申請してください" in shortening.message


@pytest.mark.parametrize(
    ("application_date", "message_part"),
    [("2026-06-04", "検査日"), ("2026-06-20", "検査をやり直して")],
)
def test_application_outside_the_certificate_validity_is_refused(application_date, message_part):
    with pytest.raises(ValueError, match=message_part):
        _assess("2026-06-20", "2026-06-05", 2, "2028-07-21", application_date=application_date)


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"validity_years": 3}, ValueError),
        ({"vehicle_kind": "truck"}, ValueError),
        ({"inspection_date": dt.datetime(2026, 6, 5, 9, 0)}, TypeError),
        ({"insurance_end": "2028-07-21"}, TypeError),
    ],
)
def test_bad_inputs_are_refused(overrides, error):
    arguments = dict(
        current_expiry=dt.date(2026, 6, 20),
        inspection_date=dt.date(2026, 6, 5),
        validity_years=2,
        insurance_end=dt.date(2028, 7, 21),
    )
    arguments.update(overrides)
    with pytest.raises(error):
        assess_renewal(**arguments)
