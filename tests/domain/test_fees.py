"""検査手数料 and 技術情報管理手数料 as effective-dated configuration."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from app.domain import fees
from app.domain.fees import inspection_fees
from app.domain.renewal import load_regulation_data, rows_in_force


@pytest.mark.parametrize(
    ("vehicle_kind", "application_type", "on_date", "inspection_fee", "technical_info_fee"),
    [
        # renewal-rules.md §6 table, one row per period and column.
        ("registered", "window", dt.date(2021, 9, 30), 1200, 0),
        ("registered", "oss", dt.date(2021, 9, 30), 1000, 0),
        ("kei", "window", dt.date(2021, 9, 30), 1100, 0),
        ("kei", "oss", dt.date(2021, 9, 30), 1100, 0),
        ("registered", "window", dt.date(2021, 10, 1), 1200, 400),
        ("registered", "oss", dt.date(2022, 12, 31), 1000, 400),
        ("kei", "window", dt.date(2022, 6, 1), 1100, 400),
        ("registered", "window", dt.date(2023, 1, 1), 1400, 400),
        ("registered", "oss", dt.date(2023, 1, 1), 1200, 400),
        ("kei", "window", dt.date(2024, 7, 1), 1400, 400),
        ("kei", "oss", dt.date(2026, 3, 31), 1200, 400),
        ("registered", "hybrid", dt.date(2025, 5, 1), 1400, 400),  # ハイブリッド申請 = 窓口申請
    ],
)
def test_fees_by_period_kind_and_application_type(
    vehicle_kind, application_type, on_date, inspection_fee, technical_info_fee
):
    result = inspection_fees(vehicle_kind=vehicle_kind, application_type=application_type, on_date=on_date)
    assert result.lookup_required is False
    assert result.inspection_fee.amount_yen == inspection_fee
    assert result.technical_info_fee.amount_yen == technical_info_fee
    assert result.total_yen == inspection_fee + technical_info_fee
    assert result.inspection_fee.source and result.technical_info_fee.source
    assert result.technical_info_fee.payee == "自動車技術総合機構"
    assert result.inspection_fee.payee == ("国" if vehicle_kind == "registered" else "軽自動車検査協会")


@pytest.mark.parametrize(
    ("vehicle_kind", "application_type"),
    [("registered", "window"), ("registered", "oss"), ("kei", "window"), ("kei", "oss")],
)
def test_the_proposed_2026_revision_is_not_used_as_an_amount(vehicle_kind, application_type):
    result = inspection_fees(vehicle_kind=vehicle_kind, application_type=application_type, on_date=dt.date(2026, 4, 1))
    assert result.lookup_required is True
    assert result.total_yen is None
    assert result.inspection_fee.amount_yen is None
    assert "確認してください" in result.note
    assert "改正案" in result.inspection_fee.source or "proposed" in result.inspection_fee.source


def test_small_motorcycles_pay_no_technical_info_fee_but_have_no_configured_inspection_fee():
    result = inspection_fees(vehicle_kind="small_motorcycle", application_type="window", on_date=dt.date(2024, 1, 10))
    assert result.technical_info_fee.amount_yen == 0
    assert result.inspection_fee.amount_yen is None
    assert result.lookup_required is True
    assert "検査手数料" in result.note


@pytest.mark.parametrize(
    ("vehicle_kind", "on_date"), [("registered", dt.date(2017, 3, 31)), ("kei", dt.date(2019, 5, 6))]
)
def test_no_oss_fee_before_oss_existed(vehicle_kind, on_date):
    result = inspection_fees(vehicle_kind=vehicle_kind, application_type="oss", on_date=on_date)
    assert result.lookup_required is True
    assert result.inspection_fee.amount_yen is None


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError):
        inspection_fees(vehicle_kind="registered", application_type="mail", on_date=dt.date(2025, 1, 1))
    with pytest.raises(ValueError):
        inspection_fees(vehicle_kind="bus", application_type="oss", on_date=dt.date(2025, 1, 1))
    with pytest.raises(TypeError):
        inspection_fees(vehicle_kind="kei", application_type="oss", on_date=dt.datetime(2025, 1, 1, 9))


def test_fee_rows_have_sources_amounts_only_when_confirmed_and_never_overlap():
    data = load_regulation_data(fees.FEES_FILE)
    for part in (fees.INSPECTION_FEE, fees.TECHNICAL_INFO_FEE):
        for row in data[part]:
            assert row["source"].strip()
            assert (row["amount_yen"] is None) is (row["status"] != "confirmed")
    # One row at most per key on any boundary day (a boundary is where overlaps would show).
    boundaries = {
        dt.date.fromisoformat(row[end])
        for part in (fees.INSPECTION_FEE, fees.TECHNICAL_INFO_FEE)
        for row in data[part]
        for end in ("effective_from", "effective_until")
        if row[end]
    }
    for day, kind, application_type in itertools.product(
        sorted(boundaries), fees.VEHICLE_KINDS, sorted(data["application_types"])
    ):
        # inspection_fees raises LookupError when two rows match.
        inspection_fees(vehicle_kind=kind, application_type=application_type, on_date=day)
    rows = data[fees.INSPECTION_FEE]
    assert len(rows_in_force(rows, dt.date(2025, 1, 1))) == 4


def test_no_confirmed_fee_names_whom_to_ask_not_the_draft_stage():
    result = inspection_fees(vehicle_kind="registered", application_type="oss", on_date=dt.date(2026, 4, 1),
                             ask="協会のサポートデスク 03-1234-5678")
    assert "協会のサポートデスク 03-1234-5678に確認してください" in result.note
    assert "改正案" not in result.note


def test_rows_passed_in_replace_the_shipped_file():
    from app.domain.fees import fee_rows

    rows = fee_rows()
    assert len(rows) == 12 + 3 + 2 + 1 + 3  # the technical fee rows split per vehicle kind
    confirmed = [dict(r, amount_yen=r.get("proposed_amount_yen") or 1500, status="confirmed")
                 if r["effective_from"] == "2026-04-01" else r for r in rows]
    confirmed = [dict(r, amount_yen=450) if r["part"] == "technical_info_fee"
                 and r["effective_from"] == "2026-04-01" else r for r in confirmed]
    result = inspection_fees(vehicle_kind="registered", application_type="oss",
                             on_date=dt.date(2026, 4, 1), rows=confirmed)
    assert result.total_yen == 1450 + 450 and not result.lookup_required
