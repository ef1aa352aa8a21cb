"""Weight tax: the worked cases of renewal-cases.json, the unverified rows and the warnings."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from app.domain import weight_tax as wt
from app.domain.renewal import load_regulation_data
from app.domain.weight_tax import (
    ECO_RULE_CHANGE_IN_VALIDITY,
    SURCHARGE_THRESHOLD_IN_VALIDITY,
    weight_tax,
)

CASES_PATH = Path(__file__).parent.parent / "data" / "renewal-cases.json"
TAX_CASES = json.loads(CASES_PATH.read_text(encoding="utf-8"))["weight_tax_cases"]

# The cases' vehicle descriptions as (vehicle_kind, use, body).
VEHICLES = {
    "自家用乗用": ("registered", "private", "passenger"),
    "自家用乗用(ガソリン)": ("registered", "private", "passenger"),
    "自家用乗用 電気自動車": ("registered", "private", "passenger"),
    "事業用乗用(緑ナンバー)": ("registered", "business", "passenger"),
    "軽自動車(自家用)": ("kei", "private", "passenger"),
}
# The cases' eco wording (the issue's mapping); False means no eco treatment.
ECO_INPUTS = {False: None, "本則税率適用車(エコカー)": "standard_rate", "免税": "exempt"}


def _first_of_month(year_month: str | None) -> dt.date | None:
    return None if year_month is None else dt.date.fromisoformat(f"{year_month}-01")


def _tax(**overrides) -> wt.WeightTax:
    """A 2-year 自家用乗用 of 1,190 kg, first registered 2016-05, applied 2026-05-20, unless overridden."""
    arguments = dict(
        vehicle_kind="registered",
        use="private",
        body="passenger",
        vehicle_weight_kg=1190,
        years=2,
        first_registration=dt.date(2016, 5, 1),
        application_date=dt.date(2026, 5, 20),
    )
    arguments.update(overrides)
    return weight_tax(**arguments)


@pytest.mark.parametrize("case", TAX_CASES, ids=[case["name"] for case in TAX_CASES])
def test_weight_tax_case(case):
    inputs, expected = case["inputs"], case["expected"]
    vehicle_kind, use, body = VEHICLES[inputs["vehicle"]]
    result = weight_tax(
        vehicle_kind=vehicle_kind,
        use=use,
        body=body,
        vehicle_weight_kg=inputs.get("車両重量_kg"),
        years=inputs["years"],
        first_registration=_first_of_month(inputs.get("初度登録年月")),
        application_date=dt.date.fromisoformat(inputs["application_date"]),
        eco=ECO_INPUTS[inputs["eco"]],
    )
    assert result.lookup_required is False
    assert result.amount_yen == expected["weight_tax_yen"]
    assert result.rate_column == expected["rate_column"]
    if "units_0_5t" in expected:
        assert result.units == expected["units_0_5t"]
    if "threshold_month_start" in expected:
        assert result.surcharge_13y_from == dt.date.fromisoformat(expected["threshold_month_start"])
    if vehicle_kind == "kei":
        assert result.units is None


@pytest.mark.parametrize(
    ("weight_kg", "units"), [(500, 1), (501, 2), (1000, 2), (1500, 3), (1510, 4), (2000, 4), (2001, 5)]
)
def test_passenger_units_are_half_tonnes_rounded_up(weight_kg, units):
    assert _tax(vehicle_weight_kg=weight_kg).units == units


@pytest.mark.parametrize(
    ("first_registration", "column", "amount"),
    [
        (dt.date(2013, 7, 1), "standard", 24600),  # 13y from 2026-06-01: one day later
        (dt.date(2013, 6, 1), "13y", 34200),  # 13y from 2026-05-01
        (dt.date(2008, 7, 1), "13y", 34200),  # 18y from 2026-06-01
        (dt.date(2008, 6, 1), "18y", 37800),  # 18y from 2026-05-01
    ],
)
def test_age_band_is_decided_on_the_application_date(first_registration, column, amount):
    result = _tax(first_registration=first_registration, application_date=dt.date(2026, 5, 31))
    assert (result.rate_column, result.amount_yen) == (column, amount)


def test_unknown_first_registration_requires_a_lookup():
    result = _tax(first_registration=None)
    assert result.lookup_required is True
    assert result.amount_yen is None
    assert result.rate_column is None
    assert "初度登録年月" in result.note
    assert "nextmvtt.mlit.go.jp" in result.note


def test_eco_rate_needs_no_first_registration():
    result = _tax(first_registration=None, eco="standard_rate")
    assert (result.amount_yen, result.rate_column) == (15000, "eco")


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param(dict(body="truck", gross_weight_kg=3500), id="private_truck_over_2.5t"),
        pytest.param(dict(body="truck", gross_weight_kg=2400), id="private_truck_2-2.5t_band"),
        pytest.param(dict(body="bus", gross_weight_kg=6000), id="private_bus"),
        pytest.param(dict(body="special", gross_weight_kg=2000), id="private_special"),
        pytest.param(dict(use="business", first_registration=dt.date(2010, 1, 1)), id="business_passenger_13y"),
        pytest.param(dict(use="business", first_registration=dt.date(2006, 1, 1)), id="business_passenger_18y"),
        pytest.param(dict(use="business", eco="standard_rate"), id="business_passenger_eco"),
        pytest.param(dict(use="business", body="truck", gross_weight_kg=1800), id="business_truck"),
        pytest.param(
            dict(vehicle_kind="small_motorcycle", vehicle_weight_kg=None, first_registration=dt.date(2010, 1, 1)),
            id="small_motorcycle_13y",
        ),
        pytest.param(
            dict(vehicle_kind="small_motorcycle", vehicle_weight_kg=None, first_registration=dt.date(2006, 1, 1)),
            id="small_motorcycle_18y",
        ),
        pytest.param(dict(vehicle_kind="kei", use="business", vehicle_weight_kg=None), id="kei_business"),
        pytest.param(dict(application_date=dt.date(2023, 4, 30)), id="before_the_table_starts"),
    ],
)
def test_unverified_rows_are_never_guessed(overrides):
    result = _tax(**overrides)
    assert result.lookup_required is True
    assert result.amount_yen is None
    assert "確認してください" in result.note


def test_every_unverified_row_has_no_rate_and_every_row_a_source():
    rows = load_regulation_data(wt.RATES_FILE)["rates"]
    for row in rows:
        assert row["source"].strip()
        assert row["effective_from"]
        if row["verified"]:
            assert isinstance(row["rate_yen"], int) and row["rate_yen"] > 0
        else:
            assert row["rate_yen"] is None
    assert any(not row["verified"] for row in rows)


def test_verified_small_rows_compute():
    truck = _tax(body="truck", gross_weight_kg=1800, vehicle_weight_kg=None)
    assert (truck.units, truck.amount_yen, truck.rate_column) == (2, 13200, "standard")
    motorcycle = _tax(vehicle_kind="small_motorcycle", vehicle_weight_kg=None)
    assert (motorcycle.units, motorcycle.amount_yen) == (None, 3800)


@pytest.mark.parametrize(
    ("first_registration", "lookup"),
    [
        (dt.date(2013, 10, 1), True),  # 13y from 2026-09-01: inside the 軽 政令-month margin
        (dt.date(2014, 8, 1), True),  # 13y from 2027-07-01: 11 months ahead
        (dt.date(2014, 10, 1), False),  # 13y from 2027-09-01: 13 months ahead
        (dt.date(2010, 5, 1), False),
    ],
)
def test_kei_near_an_age_threshold_requires_the_kei_lookup(first_registration, lookup):
    result = _tax(
        vehicle_kind="kei",
        vehicle_weight_kg=None,
        first_registration=first_registration,
        application_date=dt.date(2026, 8, 1),
    )
    assert result.lookup_required is lookup
    assert (result.amount_yen is None) is lookup
    if lookup:
        assert "kei-nextmvtt.jp" in result.note


def test_threshold_between_inspection_and_certificate_expiry_warns_with_its_date():
    # 初度登録 2013-03 → 13年経過 from 2026-02-01, inside 2026-01-25 .. 2026-02-08.
    result = _tax(
        first_registration=dt.date(2013, 3, 1),
        inspection_date=dt.date(2026, 1, 25),
        application_date=dt.date(2026, 1, 30),
    )
    assert result.rate_column == "standard"
    assert [(w.code, w.date) for w in result.warnings] == [(SURCHARGE_THRESHOLD_IN_VALIDITY, dt.date(2026, 2, 1))]
    assert "令和8年2月1日" in result.warnings[0].message


@pytest.mark.parametrize(
    ("inspection_date", "warned"),
    [(dt.date(2026, 2, 1), False), (dt.date(2026, 1, 18), True), (dt.date(2026, 1, 17), False)],
)
def test_threshold_warning_edges(inspection_date, warned):
    # No warning when the threshold is the inspection day itself (every application is after it)
    # or later than V = D + 14.
    result = _tax(
        first_registration=dt.date(2013, 3, 1), inspection_date=inspection_date, application_date=inspection_date
    )
    assert bool(result.warnings) is warned


def test_eco_rule_change_inside_the_certificate_validity_warns():
    result = _tax(inspection_date=dt.date(2026, 4, 20), application_date=dt.date(2026, 4, 20))
    assert [(w.code, w.date) for w in result.warnings] == [(ECO_RULE_CHANGE_IN_VALIDITY, dt.date(2026, 5, 1))]


def test_exempt_is_zero_whatever_the_category():
    result = _tax(body="bus", gross_weight_kg=8000, vehicle_weight_kg=None, eco="exempt")
    assert (result.amount_yen, result.rate_column, result.lookup_required) == (0, "exempt", False)


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"first_registration": dt.date(2016, 5, 15)}, ValueError),
        ({"years": 3}, ValueError),
        ({"eco": "yes"}, ValueError),
        ({"use": "rental"}, ValueError),
        ({"vehicle_weight_kg": None}, ValueError),
        ({"body": "truck"}, ValueError),  # trucks need the gross weight
        ({"application_date": dt.datetime(2026, 5, 20, 10, 0)}, TypeError),
    ],
)
def test_bad_inputs_are_refused(overrides, error):
    with pytest.raises(error):
        _tax(**overrides)
