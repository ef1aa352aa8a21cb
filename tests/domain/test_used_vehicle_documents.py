"""中古新規 / 中古予備検査 source documents (shop-workflow.md §1): the vectors of
tests/data/used-vehicle-qr-vectors.json (vehicle-qr.md §11's format, plus ``document`` and
``purpose``) and the dates counted from the 検査年月日."""
import datetime as dt
import json

import pytest

from app.domain import used_vehicles, vehicle_qr

TODAY = dt.date(2026, 11, 26)
VECTORS = json.load(open("tests/data/used-vehicle-qr-vectors.json", encoding="utf-8"))


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vectors(vector):
    document = used_vehicles.SOURCE_DOCUMENTS[vector["document"]]
    if vector["expected"] is None:
        with pytest.raises(vehicle_qr.VehicleQRError) as caught:
            used_vehicles.parse_document_scans(vector["scans"], vector["purpose"], today=TODAY)
        assert caught.value.code == vector["expected_error_code"]
        assert caught.value.message == vector["expected_error"]
        return
    result = used_vehicles.parse_document_scans(vector["scans"], vector["purpose"], today=TODAY)
    assert result.vehicle_kind == document.vehicle_kind == vector["vehicle_kind"]
    assert result.fields == vector["expected"]
    assert result.fields["form_type"] in document.form_types
    assert [w.code for w in result.warnings] == vector["expected_warning_codes"]
    assert [w.message for w in result.warnings] == vector["expected_warnings"]
    assert result.rejected_scans == vector["rejected_scans"]


def test_the_same_codes_as_a_certificate_warn_in_the_renewal_flow():
    """A 継続検査 reading a 登録識別情報等通知書 still gets the 車検証 parser's warning."""
    vector = next(v for v in VECTORS if v["name"] == "registration_notice_per_symbol")
    result = vehicle_qr.parse_scans(vector["scans"], today=TODAY)
    assert "FORM_TYPE_NOT_CERTIFICATE" in [w.code for w in result.warnings]


def test_every_error_vector_is_japanese():
    for vector in VECTORS:
        if vector["expected_error"]:
            assert any("\u3040" <= c <= "\u30ff" for c in vector["expected_error"]), vector["name"]


def test_used_assessment_counts_the_insurance_from_the_inspection_date():
    good = used_vehicles.used_assessment(
        purpose_code="used_new", inspection_date=TODAY, validity_years=2,
        insurance_start=TODAY, insurance_end=dt.date(2028, 11, 26))
    assert good["new_expiry_date"] == "2028-11-25" and good["certificate_valid_until"] == "2026-12-10"
    assert not good["blocked"] and good["warnings"] == []
    late = used_vehicles.used_assessment(
        purpose_code="used_new", inspection_date=TODAY, validity_years=2,
        insurance_start=dt.date(2026, 11, 27), insurance_end=dt.date(2028, 12, 27))
    assert late["blocked"] and late["warnings"][0]["message"] == (
        "中古新規の自賠責は検査年月日(令和8年11月26日)から保険期間が始まっている必要があります"
        "(始期 令和8年11月27日)。保険期間を確認してください。")
    short = used_vehicles.used_assessment(
        purpose_code="used_preliminary", inspection_date=TODAY, validity_years=2,
        insurance_start=dt.date(2026, 11, 1), insurance_end=dt.date(2028, 11, 25))
    assert short["blocked"] and short["warnings"][0]["message"] == (
        "中古予備検査の自賠責は検査年月日から2年(令和10年11月25日まで)を覆う必要があります。"
        "終期(令和10年11月25日)は令和10年11月26日以降にしてください。")


def test_purposes_table():
    assert used_vehicles.purpose_of(None).code == "renewal"
    assert used_vehicles.purpose_of("used_new").new_person == "使用者"
    assert used_vehicles.purpose_of("used_preliminary").new_person == "所有者"
    assert all(p.window_only and p.hides_registration for p in used_vehicles.PURPOSES.values() if p.code != "renewal")
    with pytest.raises(KeyError):
        used_vehicles.purpose_of("rebuild")
