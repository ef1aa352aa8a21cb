"""WeightTaxInquiryClient against the sandbox's two inquiry services over HTTP."""

from datetime import date

import pytest

from app.integrations import OutsideClosedError, WeightTaxInquiryClient
from tests.integrations import TEST_TIMEOUT, control, sandbox_server  # noqa: F401


@pytest.fixture
def inquiry(sandbox_server):
    return WeightTaxInquiryClient(sandbox_server.url("mlit"), sandbox_server.url("kei"), timeout=TEST_TIMEOUT)


def test_registered_car_amount_from_the_mlit_service(inquiry, control):
    control.clock(now="2025-06-02T09:00:00+09:00", frozen=True)
    control.post("weight-tax", {"system": "mlit", "chassis_number": "ABC1-234567", "weight_tax_yen": 24600})

    result = inquiry.lookup("ABC1-234567", "registered", date(2025, 6, 10))

    assert result["found"] and result["amount_yen"] == 24600 and result["system"] == "mlit"
    assert result["basis_date"] == date(2025, 6, 1)  # filings up to the previous day


def test_kei_goes_to_the_kei_service_only(inquiry, control):
    control.post("weight-tax", {"system": "kei", "chassis_number": "HA36S-123456", "weight_tax_yen": 6600})

    assert inquiry.lookup("HA36S-123456", "kei", date(2025, 6, 10))["amount_yen"] == 6600
    registered = inquiry.lookup("HA36S-123456", "registered", date(2025, 6, 10))
    assert registered["found"] is False and registered["amount_yen"] is None
    stats = control.stats()
    assert stats["kei"]["lookups"] == 1 and stats["mlit"]["lookups"] == 1


def test_unknown_chassis_is_an_answer_not_an_error(inquiry, control):
    result = inquiry.lookup("ZZZ9-999999", "registered")

    assert result == {"found": False, "amount_yen": None, "basis_date": None,
                      "message": "該当する車両情報がありません。", "system": "mlit"}


def test_a_filing_of_today_shows_from_tomorrow(inquiry, control):
    control.clock(now="2025-06-02T12:00:00+09:00", frozen=True)
    control.post("weight-tax", {"system": "mlit", "chassis_number": "ABC1-234567", "weight_tax_yen": 16400,
                                "visible_from": "2025-06-03"})

    assert inquiry.lookup("ABC1-234567", "registered")["found"] is False
    control.clock(advance_seconds=24 * 3600)
    assert inquiry.lookup("ABC1-234567", "registered")["amount_yen"] == 16400


def test_full_width_chassis_number_is_sent_half_width(inquiry, control):
    control.post("weight-tax", {"system": "mlit", "chassis_number": "ABC1-234567", "weight_tax_yen": 16400})

    assert inquiry.lookup("ＡＢＣ１－２３４５６７", "registered")["amount_yen"] == 16400


def test_inquiry_hours(inquiry, control):
    control.settings(enforce_hours=True)
    control.clock(now="2025-06-02T23:30:00+09:00", frozen=True)

    with pytest.raises(OutsideClosedError) as closed:
        inquiry.lookup("ABC1-234567", "kei")
    assert closed.value.code == "HOURS" and closed.value.system == "kei"
    assert closed.value.opens_at.isoformat() == "2025-06-03T08:00:00+09:00"


def test_unsupported_vehicle_kind_is_a_programming_error(inquiry):
    with pytest.raises(ValueError):
        inquiry.lookup("ABC1-234567", "motorcycle")
