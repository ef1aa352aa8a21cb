"""車検証閲覧アプリ JSON import: the samples of vehicle-cert-file.md, era dates, and refusals."""

import copy
import datetime as dt
import json
from pathlib import Path

import pytest

from app.domain.vehicle_cert_file import (
    FIELD_KEYS,
    VehicleCertFileError,
    cert_file_to_dict,
    parse_cert_file,
)
from app.domain.vehicle_qr import encode_scans, parse_scans

SAMPLES = json.loads((Path(__file__).parent.parent / "data" / "vehicle-cert-file-samples.json")
                     .read_text(encoding="utf-8"))
CASES = {case["name"]: case for case in SAMPLES["cases"]}


def as_bytes(file: dict) -> bytes:
    """As the app writes it: compact single-line UTF-8."""
    return json.dumps(file, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def with_info(name: str, **changes) -> dict:
    file = copy.deepcopy(CASES[name]["file"])
    for key, value in changes.items():
        if value is None:
            file["CertInfo"].pop(key, None)
        else:
            file["CertInfo"][key] = value
    return file


def codes(result) -> list[str]:
    return [w.code for w in result.warnings]


@pytest.mark.parametrize("case", SAMPLES["cases"], ids=[c["name"] for c in SAMPLES["cases"]])
def test_sample(case):
    result = parse_cert_file(as_bytes(case["file"]))
    expected = dict(case["expected"])
    expected_warnings = expected.pop("warnings")
    assert result.fields == expected
    assert tuple(result.fields) == FIELD_KEYS
    assert codes(result) == expected_warnings
    assert all(w.message for w in result.warnings)
    assert result.cert_info == case["file"]["CertInfo"]


def test_str_dict_and_bom_inputs_are_the_same_file():
    case = CASES["registered_renewal_owner_differs"]
    expected = parse_cert_file(as_bytes(case["file"])).fields
    assert parse_cert_file(as_bytes(case["file"]).decode("utf-8")).fields == expected
    assert parse_cert_file(case["file"]).fields == expected
    assert parse_cert_file(b"\xef\xbb\xbf" + as_bytes(case["file"])).fields == expected


def test_to_dict_is_json_ready():
    result = parse_cert_file(as_bytes(CASES["kei_expiry_mismatch_no_odometer"]["file"]))
    data = cert_file_to_dict(result)
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert [w["code"] for w in data["warnings"]] == ["expiry_mismatch", "odometer_not_found"]


def test_unknown_keys_are_ignored():
    file = with_info("registered_renewal_owner_differs", SomethingNew="x", CarNameKana="ミホン")
    file["AnotherTopLevelKey"] = {"nested": True}
    assert parse_cert_file(as_bytes(file)).fields == parse_cert_file(
        as_bytes(CASES["registered_renewal_owner_differs"]["file"])).fields


# -- the chassis number must match the scanned codes ----------------------------------


def test_file_of_another_vehicle_is_refused():
    file = as_bytes(CASES["registered_renewal_owner_differs"]["file"])
    with pytest.raises(VehicleCertFileError) as caught:
        parse_cert_file(file, scanned_chassis_number="XYZ10-0012345")
    assert caught.value.code == "CHASSIS_MISMATCH"
    assert "ZZX10-0001234" in caught.value.message and "XYZ10-0012345" in caught.value.message
    assert "同じ車両" in caught.value.message


def test_file_of_the_scanned_vehicle_is_accepted():
    """End to end: the codes of the card, then the file of the same car."""
    case = CASES["registered_renewal_owner_differs"]
    mirror = case["file"]["CertInfo"]
    vector = json.loads((Path(__file__).parent.parent / "data" / "qr-vectors.json").read_text(encoding="utf-8"))[1]
    fields = dict(vector["expected"], chassis_number=mirror["TwodimensionCodeInfoCarNo"])
    scanned = parse_scans(encode_scans(fields, today=dt.date(2025, 6, 1)), today=dt.date(2025, 6, 1))
    result = parse_cert_file(as_bytes(case["file"]), scanned_chassis_number=scanned.fields["chassis_number"])
    assert result.fields["expiry_date"] == "2026-09-01"
    assert scanned.fields["expiry_date"] is None  # the card's codes do not carry it


def test_chassis_comparison_ignores_width_and_case():
    file = as_bytes(CASES["kei_renewal_owner_same_as_user"]["file"])
    assert parse_cert_file(file, scanned_chassis_number="ｚｚ９９ｓ－００００２０２").fields["chassis_number"] == "ZZ99S-0000202"


def test_file_without_chassis_number_cannot_be_matched():
    file = with_info("registered_renewal_owner_differs", CarNo="")
    with pytest.raises(VehicleCertFileError) as caught:
        parse_cert_file(as_bytes(file), scanned_chassis_number="ZZX10-0001234")
    assert caught.value.code == "CHASSIS_MISMATCH"


# -- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize("data, code", [
    (b"not json", "NOT_JSON"),
    (b"\xff\xfe{}", "NOT_JSON"),
    (b"[1, 2]", "NOT_CERT_FILE"),
    (b'{"CertInfo": {}}', "NOT_CERT_FILE"),
    (b'{"CertInfoImportFileVersion": "1.0", "CertInfo": "x"}', "NOT_CERT_FILE"),
    (b'{"CertInfoImportFileVersion": "2.0", "CertInfo": {}}', "UNSUPPORTED_VERSION"),
    (b'{"CertInfoImportFileVersion": "1.0", "CertInfo": {"Cap": 5}}', "INVALID_FILE"),
    (b'{"CertInfoImportFileVersion": "1.0", "CertInfo": {"RegistCarLightCar": "03"}}', "UNKNOWN_KIND"),
    (b" " * (1024 * 1024 + 1), "TOO_LARGE"),
])
def test_refused_files(data, code):
    with pytest.raises(VehicleCertFileError) as caught:
        parse_cert_file(data)
    assert caught.value.code == code
    assert caught.value.message


def test_minimal_file_with_only_the_kind_is_read_with_warnings():
    result = parse_cert_file(b'{"CertInfoImportFileVersion": "1.0", "CertInfo": {"RegistCarLightCar": "02"}}')
    assert result.fields["vehicle_kind"] == "kei"
    assert result.fields["expiry_date"] is None
    assert codes(result) == ["expiry_not_recorded", "owner_not_recorded", "odometer_not_found"]


# -- era dates -----------------------------------------------------------------------


def expiry(e, y, m, d):
    return with_info("kei_renewal_owner_same_as_user", ValidPeriodExpirdateE=e, ValidPeriodExpirdateY=y,
                     ValidPeriodExpirdateM=m, ValidPeriodExpirdateD=d, TwodimensionCodeInfoValidPeriodExpirdate="")


@pytest.mark.parametrize("parts, iso", [
    (("令和", " 7", " 1", " 4"), "2025-01-04"),
    (("令和", " 1", " 5", " 1"), "2019-05-01"),
    (("令和", "元", " 5", " 1"), "2019-05-01"),
    (("令　和", " 8", " 7", "25"), "2026-07-25"),
    (("平成", "31", " 4", "30"), "2019-04-30"),
    (("昭和", "64", " 1", " 7"), "1989-01-07"),
    (("令和", "１０", "１２", "３１"), "2028-12-31"),
])
def test_era_dates(parts, iso):
    assert parse_cert_file(as_bytes(expiry(*parts))).fields["expiry_date"] == iso


@pytest.mark.parametrize("parts", [
    ("平成", "31", " 5", " 1"),  # after the era ended
    ("昭和", "64", " 1", " 8"),
    ("令和", " 6", " 2", "30"),  # no such day
    ("R", " 7", " 1", " 4"),  # era codes are not this file's convention
    ("令和", " 0", " 1", " 1"),
    ("令和", "", " 1", " 1"),
])
def test_impossible_expiry_is_refused(parts):
    with pytest.raises(VehicleCertFileError) as caught:
        parse_cert_file(as_bytes(expiry(*parts)))
    assert caught.value.code == "INVALID_DATE"


def test_year_month_across_an_era_change():
    file = with_info("registered_form_b_owner_in_note", FirstregistdateE="令和", FirstregistdateY=" 1",
                     FirstregistdateM=" 5")
    assert parse_cert_file(as_bytes(file)).fields["first_registration"] == "2019-05"
    file = with_info("registered_form_b_owner_in_note", FirstregistdateE="令和", FirstregistdateY=" 1",
                     FirstregistdateM=" 4")
    result = parse_cert_file(as_bytes(file))
    assert result.fields["first_registration"] is None
    assert "invalid_date" in codes(result)


def test_missing_expiry_offers_the_mirror_for_confirmation():
    file = with_info("registered_renewal_owner_differs", ValidPeriodExpirdateE="", ValidPeriodExpirdateY="",
                     ValidPeriodExpirdateM="", ValidPeriodExpirdateD="")
    result = parse_cert_file(as_bytes(file))
    assert result.fields["expiry_date"] is None
    assert result.fields["expiry_mirror_date"] == "2026-09-01"
    assert codes(result) == ["expiry_not_recorded"]
    assert "2026-09-01" in result.warnings[0].message


def test_mirror_999999_is_no_date():
    file = with_info("registered_renewal_owner_differs", TwodimensionCodeInfoValidPeriodExpirdate="999999")
    result = parse_cert_file(as_bytes(file))
    assert result.fields["expiry_mirror_date"] is None
    assert codes(result) == []


# -- values ----------------------------------------------------------------------------


def test_bracketed_weight_is_not_taken_as_a_number():
    file = with_info("registered_missing_optional_keys", CarTotalWgt="20,000(18,000)", Maxloadage="１，２００")
    result = parse_cert_file(as_bytes(file))
    assert result.fields["gross_weight_kg"] is None
    assert result.fields["max_load_kg"] == 1200
    assert "value_not_numeric" in codes(result)
    assert "20,000(18,000)" in " ".join(w.message for w in result.warnings)


def test_odometer_variants():
    note = "［品川］，継続検査\n前回走行距離計表示値　１，０００ｋｍ\n走行距離計表示値　９ｋｍ（令和元年６月１日）\n重量税額　￥１２，３００"
    result = parse_cert_file(as_bytes(with_info("registered_renewal_owner_differs", NoteInfo=note)))
    assert result.fields["odometer_km"] == 9
    assert result.fields["odometer_recorded_on"] == "2019-06-01"
    assert result.fields["previous_odometer_km"] == 1000
    assert result.fields["previous_odometer_recorded_on"] is None


def test_other_numbers_in_the_note_are_never_an_odometer():
    note = "［品川］，継続検査\n自動車重量税額　￥２４，６００\n近接排気騒音　９６ｄＢ"
    result = parse_cert_file(as_bytes(with_info("registered_renewal_owner_differs", NoteInfo=note)))
    assert result.fields["odometer_km"] is None
    assert "odometer_not_found" in codes(result)


def test_unexpected_id_shape_warns():
    result = parse_cert_file(as_bytes(with_info("registered_renewal_owner_differs", CarId="X123")))
    assert codes(result) == ["id_format_unexpected"]
    assert result.fields["car_id"] == "X123"


def test_plate_that_cannot_be_split_is_kept_as_text():
    result = parse_cert_file(as_bytes(with_info("registered_renewal_owner_differs", EntryNoCarNo="品川３３１お１２３４")))
    assert result.fields["plate"] == {"area": None, "class": None, "kana": None, "serial": None}
    assert result.fields["plate_text"] == "品川331お1234"
    assert codes(result) == ["plate_unrecognised"]
