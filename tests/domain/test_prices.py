"""Effective-dated unit prices (billing-formats.md §3.3)."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from app.domain.prices import (
    PRICES_PATH,
    PriceDataError,
    PriceNotFound,
    PriceTable,
    unit_price,
)

D = dt.date


def _row(kind, amount, effective_from, *, tax_included=True, tax_rate="0.10"):
    return {
        "kind": kind,
        "amount_yen": amount,
        "tax_included": tax_included,
        "tax_rate": tax_rate,
        "effective_from": effective_from,
        "source": "test data",
    }


# Test-only data: the certificate price rises mid-year on 2026-07-01 and becomes tax-excluded.
MID_YEAR_CHANGE = {
    "prices": [
        _row("certificate", 31, "2026-01-01"),
        _row("certificate", 35, "2026-07-01", tax_included=False),
        _row("record", 33, "2026-01-01"),
    ]
}


@pytest.fixture
def table():
    return PriceTable.from_dict(MID_YEAR_CHANGE)


def test_price_before_and_after_mid_year_change(table):
    before = unit_price("certificate", D(2026, 6, 30), table)
    after = unit_price("certificate", D(2026, 7, 1), table)
    assert (before.amount_yen, before.tax_included) == (31, True)
    assert (after.amount_yen, after.tax_included) == (35, False)
    assert after.effective_from == D(2026, 7, 1)
    # The record price did not change.
    assert unit_price("record", D(2026, 12, 31), table).amount_yen == 33


def test_rows_out_of_order_are_sorted_by_date():
    table = PriceTable.from_dict({"prices": list(reversed(MID_YEAR_CHANGE["prices"]))})
    assert unit_price("certificate", D(2026, 3, 1), table).amount_yen == 31
    assert unit_price("certificate", D(2026, 8, 1), table).amount_yen == 35


def test_no_price_before_first_row(table):
    with pytest.raises(PriceNotFound):
        unit_price("certificate", D(2025, 12, 31), table)


def test_unknown_kind(table):
    with pytest.raises(PriceNotFound):
        table.unit_price("sticker", D(2026, 3, 1))


def test_datetime_is_refused(table):
    with pytest.raises(TypeError):
        table.unit_price("record", dt.datetime(2026, 3, 1, 12, 0))


def test_tax_rate_is_exact_decimal(table):
    assert unit_price("record", D(2026, 3, 1), table).tax_rate == Decimal("0.10")


@pytest.mark.parametrize(
    "bad_row",
    [
        _row("certificate", 31.5, "2026-01-01"),
        _row("certificate", True, "2026-01-01"),
        _row("certificate", -1, "2026-01-01"),
        _row("certificate", 31, "2026-13-01"),
        _row("certificate", 31, "2026-01-01", tax_rate=0.1),
        _row("certificate", 31, "2026-01-01", tax_rate="1.5"),
        _row("certificate", 31, "2026-01-01", tax_included="yes"),
        _row("unknown", 31, "2026-01-01"),
        {"kind": "record", "amount_yen": 33},
    ],
)
def test_malformed_rows_are_rejected(bad_row):
    with pytest.raises(PriceDataError):
        PriceTable.from_dict({"prices": [bad_row]})


def test_duplicate_effective_date_is_rejected():
    with pytest.raises(PriceDataError):
        PriceTable.from_dict(
            {"prices": [_row("record", 33, "2026-01-01"), _row("record", 34, "2026-01-01")]}
        )


def test_shipped_price_file_matches_product_guide():
    # The product guide Q13 prices, 10% consumption tax; tax treatment decided as included.
    with open(PRICES_PATH, encoding="utf-8") as f:
        data = json.load(f)
    expected = {row["kind"]: row["amount_yen"] for row in data["prices"]}
    assert expected == {"certificate": 31, "record": 33}
    day = D(2026, 6, 1)
    certificate = unit_price("certificate", day)
    record = unit_price("record", day)
    assert (certificate.amount_yen, record.amount_yen) == (31, 33)
    assert certificate.tax_included is data["tax_treatment_decision"]["tax_included"] is True
    assert certificate.tax_rate == record.tax_rate == Decimal("0.10")
    assert "Q13" in certificate.source
