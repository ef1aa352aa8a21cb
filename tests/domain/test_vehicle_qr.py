"""車検証 二次元コード parser: the shared vectors, our extra vectors, and the rules of
vehicle-qr.md §8 one by one."""

import datetime as dt
import json
from pathlib import Path

import pytest

from app.domain.vehicle_qr import (
    FIELD_KEYS,
    KEI_FIELD_KEYS,
    VehicleQRError,
    VehicleQRResult,
    encode_scans,
    error_to_dict,
    parse_scans,
    result_to_dict,
)

DATA = Path(__file__).parent.parent / "data"
TODAY = dt.date(2025, 6, 1)
SHARED_VECTORS = json.loads((DATA / "qr-vectors.json").read_text(encoding="utf-8"))
EXTRA_VECTORS = json.loads((DATA / "vehicle_qr_extra_vectors.json").read_text(encoding="utf-8"))
VECTORS = SHARED_VECTORS + EXTRA_VECTORS
BY_NAME = {v["name"]: v for v in VECTORS}


def _forms(scans):
    """Every vector as a list of reads and as one text, with each suffix a reader may use."""
    yield "list", list(scans)
    yield "crlf", "\r\n".join(scans) + "\r\n"
    yield "cr", "\r".join(scans)
    yield "lf", "\n".join(scans) + "\n"
    yield "tab", "\t".join(scans) + "\t"


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
@pytest.mark.parametrize("form", ["list", "crlf", "cr", "lf", "tab"])
def test_vector(vector, form):
    reads = dict(_forms(vector["scans"]))[form]
    if vector["expected_error_code"]:
        with pytest.raises(VehicleQRError) as caught:
            parse_scans(reads, today=TODAY)
        assert caught.value.code == vector["expected_error_code"]
        assert caught.value.message  # a Japanese sentence for the clerk
        return
    result = parse_scans(reads, today=TODAY)
    assert result.vehicle_kind == vector["vehicle_kind"]
    assert list(result.fields) == list(vector["expected"])  # exactly the same keys
    assert result.fields == vector["expected"]
    assert [w.code for w in result.warnings] == vector["expected_warning_codes"]
    assert result.rejected_scans == vector["rejected_scans"]


def test_expected_keys_are_the_documented_ones():
    for vector in VECTORS:
        if vector["expected"]:
            keys = KEI_FIELD_KEYS if vector["vehicle_kind"] == "kei" else FIELD_KEYS
            assert tuple(vector["expected"]) == keys, vector["name"]


def test_vector_messages_match_the_suggested_wording():
    for name in ("registered_missing_symbol", "kei_and_registered_mixed", "ime_kana_mode_delimiter_lost"):
        with pytest.raises(VehicleQRError) as caught:
            parse_scans(BY_NAME[name]["scans"], today=TODAY)
        assert caught.value.message == BY_NAME[name]["expected_error"].split(" (")[0]
    for name in ("unrelated_qr_code", "ime_fullwidth_alphanumeric_mode"):
        result = parse_scans(BY_NAME[name]["scans"], today=TODAY)
        assert [w.message for w in result.warnings] == BY_NAME[name]["expected_warnings"]


# -- reads and their separators ------------------------------------------------


def test_padding_is_never_stripped():
    """U+3000 and spaces belong to the data: only CR/LF/Tab end a read."""
    vector = BY_NAME["kei_electronic_card_v32"]
    padded = [vector["scans"][0], vector["scans"][1]]
    assert padded[0].endswith("/01/999") and "　" in padded[1]
    result = parse_scans("\t\r\n".join(padded) + "\r\n\r\n", today=TODAY)
    assert result.fields["plate_raw"] == "なにわ　５８１り　　４５"


def test_leading_space_of_a_read_is_data():
    """A read can start with spaces (a fragment starting inside a blank field)."""
    scans = BY_NAME["registered_paper_per_symbol"]["scans"]
    result = parse_scans(scans, today=TODAY)
    moved = [scans[0] + "Y", "Z10/0080/-   /-   /0070/12/", scans[2], scans[3], scans[4]]
    assert parse_scans(moved, today=TODAY).fields == result.fields


def test_list_items_holding_several_reads_are_split():
    scans = BY_NAME["registered_paper_per_symbol"]["scans"]
    result = parse_scans(["\r\n".join(scans[:2]), "\t".join(scans[2:])], today=TODAY)
    assert result.fields == BY_NAME["registered_paper_per_symbol"]["expected"]


def test_rejected_indices_count_reads_as_given_including_duplicates():
    paper = BY_NAME["registered_paper_per_symbol"]
    url = "https://example.jp/x"
    reads = [url, paper["scans"][0], "", paper["scans"][0], url, *paper["scans"][1:], "メモ"]
    result = parse_scans(reads, today=TODAY)
    assert result.rejected_scans == [0, 3, 8]  # "" is not a read; the re-scan is not rejected
    assert [w.code for w in result.warnings] == ["UNRELATED_CODE_IGNORED"]
    assert "3件" in result.warnings[0].message


def test_every_scan_order_of_five_fragments():
    import itertools

    vector = BY_NAME["registered_paper_per_symbol"]
    for order in itertools.permutations(vector["scans"]):
        assert parse_scans(list(order), today=TODAY).fields == vector["expected"]


def test_reader_that_joins_only_one_group():
    paper = BY_NAME["registered_paper_per_symbol"]
    qr3_1, qr3_2, qr3_3, qr2_1, qr2_2 = paper["scans"]
    result = parse_scans([qr3_3, qr2_1 + qr2_2, qr3_1, qr3_2], today=TODAY)
    assert result.fields == paper["expected"]


@pytest.mark.parametrize("reads", [None, 42, [1, 2], ["ok", None], {"reads": []}])
def test_input_that_is_no_reads_at_all(reads):
    with pytest.raises(VehicleQRError) as caught:
        parse_scans(reads)
    assert caught.value.code == "INVALID_INPUT"


@pytest.mark.parametrize("reads", ["", "\r\n\t", [], ["", "\r\n"]])
def test_nothing_read(reads):
    with pytest.raises(VehicleQRError) as caught:
        parse_scans(reads)
    assert caught.value.code == "NO_VEHICLE_CODE"


def test_bytes_are_utf8():
    scans = BY_NAME["kei_paper_v31"]["scans"]
    assert parse_scans("\r\n".join(scans).encode("utf-8"), today=TODAY).vehicle_kind == "kei"
    with pytest.raises(VehicleQRError) as caught:
        parse_scans(b"\xff\xfe")
    assert caught.value.code == "INVALID_INPUT"


def test_too_many_distinct_reads():
    with pytest.raises(VehicleQRError) as caught:
        parse_scans([f"2/{i}" for i in range(31)])
    assert caught.value.code == "TOO_MANY_READS"
    # re-scans of the same codes are not counted twice
    scans = BY_NAME["kei_paper_v31"]["scans"]
    assert parse_scans(scans * 40, today=TODAY).vehicle_kind == "kei"


# -- values ---------------------------------------------------------------------


def test_default_today_is_used_for_the_pivot():
    result = parse_scans(BY_NAME["registered_old_car_two_digit_year_pivot"]["scans"])
    assert result.fields["first_registration"] == "1989-03"
    assert result.fields["expiry_date"] == "2025-06-30"


def test_two_digit_year_pivot_follows_today():
    scans = ["2/-  /123450234/250630/2512/3BA-X", *BY_NAME["registered_paper_per_symbol"]["scans"][1:]]
    assert parse_scans(scans, today=dt.date(2025, 6, 1)).fields["first_registration"] == "2025-12"
    assert parse_scans(scans, today=dt.date(2024, 6, 1)).fields["first_registration"] == "1925-12"
    # the expiry never pivots
    expiry = ["2/-  /123450234/990630/1904/3BA-X", *BY_NAME["registered_paper_per_symbol"]["scans"][1:]]
    assert parse_scans(expiry, today=dt.date(2025, 6, 1)).fields["expiry_date"] == "2099-06-30"


def test_fullwidth_plate_is_kept_but_other_fields_normalised():
    result = parse_scans(BY_NAME["ime_fullwidth_alphanumeric_mode"]["scans"], today=TODAY)
    assert result.fields["plate_raw"] == "尾張小牧１００あ　　１２"
    assert result.fields["chassis_number"] == "XYZ90-1000001"
    assert result.fields["chassis_stamp_position"] is None  # "－　　" is a blank once normalised


def test_kei_reserved_six_nines_is_kept_with_a_warning():
    scans = [BY_NAME["kei_paper_v31"]["scans"][0], BY_NAME["kei_paper_v31"]["scans"][1] + "999"]
    result = parse_scans(scans, today=TODAY)
    assert result.fields["reserved"] == "999999"
    assert [w.code for w in result.warnings] == ["UNKNOWN_CODE_VALUE"]


def test_unknown_plate_type_code_is_kept_with_a_warning():
    truck = BY_NAME["registered_electronic_buffered_truck"]["scans"]
    result = parse_scans([truck[0], truck[1].replace("/B/", "/J/")], today=TODAY)
    assert result.fields["plate_type_code"] == "J"
    assert [w.code for w in result.warnings] == ["UNKNOWN_CODE_VALUE"]
    assert "「J」" in result.warnings[0].message


def test_plate_with_halfwidth_digits_is_refused():
    """The plate is never normalised, so ASCII in it is damage, not data."""
    truck = BY_NAME["registered_electronic_buffered_truck"]["scans"]
    with pytest.raises(VehicleQRError) as caught:
        parse_scans([truck[0], truck[1].replace("１００", "100")], today=TODAY)
    assert caught.value.code == "INVALID_CODE"


def test_truncated_kei_code2_is_refused_not_padded():
    kei = BY_NAME["kei_electronic_card_v32"]["scans"]
    with pytest.raises(VehicleQRError) as caught:
        parse_scans([kei[0], kei[1][:-2]], today=TODAY)
    assert caught.value.code == "TRUNCATED_CODE"


def test_a_bad_read_of_a_code_that_was_read_again_is_ignored():
    paper = BY_NAME["registered_paper_per_symbol"]
    reads = [paper["scans"][2][:-3], *paper["scans"]]
    result = parse_scans(reads, today=TODAY)
    assert result.fields == paper["expected"]
    assert result.rejected_scans == [0]


def test_missing_code_tells_which_part():
    scans = BY_NAME["registered_paper_per_symbol"]["scans"]  # QR3-1, QR3-2, QR3-3, QR2-1, QR2-2
    cases = {
        (1, 2, 3, 4): "二次元コード3の1つ目",
        (0, 2, 3, 4): "二次元コード3の2つ目",
        (0, 1, 3, 4): "二次元コード3の3つ目",
        (0, 1, 2, 4): "二次元コード2の1つ目",
        (0, 1, 2, 3): "二次元コード2の2つ目",
        (3, 4): "二次元コード3がまだ",
    }
    for keep, wording in cases.items():
        with pytest.raises(VehicleQRError) as caught:
            parse_scans([scans[i] for i in keep], today=TODAY)
        assert caught.value.code == "MISSING_CODE"
        assert wording in caught.value.message


def test_kei_with_registered_fragment_starting_2_slash_is_mixed():
    kei = BY_NAME["kei_electronic_card_v32"]["scans"]
    with pytest.raises(VehicleQRError) as caught:
        parse_scans([*kei, "2/品川　　３３０さ　１２"], today=TODAY)
    assert caught.value.code == "MIXED_VEHICLE_KINDS"


def test_stray_text_with_nakaguro_is_not_taken_for_ime_kana_mode():
    kei = BY_NAME["kei_electronic_card_v32"]
    result = parse_scans([*kei["scans"], "株式会社・見本"], today=TODAY)
    assert result.fields == kei["expected"]
    assert result.rejected_scans == [2]


def test_ime_turned_to_kana_on_a_later_code_gets_the_ime_message():
    """The first codes typed half-width, the last fragment after the IME went to ひらがな: the
    clerk is told to turn the IME off, not to read the 'missing' code again (it would come in
    kana again). Every scan order, since the reader gives none."""
    vector = BY_NAME["ime_turns_kana_on_a_later_code"]
    for order in (vector["scans"], vector["scans"][::-1], vector["scans"][2:] + vector["scans"][:2]):
        with pytest.raises(VehicleQRError) as caught:
            parse_scans(order, today=TODAY)
        assert caught.value.code == "IME_KANA_MODE"
        assert caught.value.message == ("区切り文字「/」が「・」に変換されています（IMEがオンになっています）。"
                                        "IMEをオフ（半角英数）にして、もう一度読み取ってください。")
    # The same fragment typed half-width completes the card.
    fixed = [*vector["scans"][:4], "30501/14"]
    assert parse_scans(fixed, today=TODAY).fields == BY_NAME["registered_electronic_card_per_symbol"]["expected"]


def test_stray_text_with_nakaguro_beside_kanji_among_codes_is_still_ignored():
    kei = BY_NAME["kei_electronic_card_v32"]
    result = parse_scans([*kei["scans"], "整備記録・保存用"], today=TODAY)
    assert result.fields == kei["expected"] and result.rejected_scans == [2]


def test_plate_padded_with_nakaguro():
    truck = BY_NAME["registered_electronic_buffered_truck"]["scans"]
    result = parse_scans([truck[0], truck[1].replace("あ　　１２", "あ・・１２")], today=TODAY)
    assert result.fields["plate_serial"] == "１２"
    assert result.fields["plate_raw"] == "尾張小牧１００あ・・１２"


# -- output ---------------------------------------------------------------------


def test_result_to_dict_is_json_ready():
    result = parse_scans(BY_NAME["unrelated_qr_code"]["scans"], today=TODAY)
    data = result_to_dict(result)
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert set(data) == {"vehicle_kind", "fields", "warnings", "rejected_scans"}
    assert data["warnings"] == [{"code": "UNRELATED_CODE_IGNORED",
                                 "message": "読み取ったデータのうち1件は車検証の二次元コードではないため無視しました。"}]
    assert data["rejected_scans"] == [1]
    assert isinstance(result, VehicleQRResult)


def test_error_to_dict():
    err = VehicleQRError("MISSING_CODE", "残りのコードを読み取ってください。")
    assert error_to_dict(err) == {"error": {"code": "MISSING_CODE", "message": "残りのコードを読み取ってください。"}}


# -- encode_scans -----------------------------------------------------------------


@pytest.mark.parametrize("vector", [v for v in VECTORS if v["expected"]], ids=lambda v: v["name"])
@pytest.mark.parametrize("joined", [False, True])
def test_encode_round_trip_of_vectors(vector, joined):
    reads = encode_scans(vector["expected"], joined=joined, today=TODAY)
    expected_count = 2 if joined or vector["vehicle_kind"] == "kei" else 5
    assert len(reads) == expected_count
    assert parse_scans(reads[::-1], today=TODAY).fields == vector["expected"]


def test_encode_reproduces_the_documented_split():
    vector = BY_NAME["registered_paper_per_symbol"]
    assert sorted(encode_scans(vector["expected"], today=TODAY)) == sorted(vector["scans"])
    kei = BY_NAME["kei_electronic_card_v32"]
    assert sorted(encode_scans(kei["expected"], today=TODAY)) == sorted(kei["scans"])


@pytest.mark.parametrize("change", [
    {"plate_area": "横浜"},
    {"emission_prefix": "XXX"},
    {"expiry_available": True, "expiry_date": None},
    {"fuel_name": "軽油"},
    {"first_registration": "2030-01"},  # would read back as 1930
    {"type_designation_number": "123450234", "category_number": None},  # would read back split
    {"axle_weight_ff_kg": 805},
    {"chassis_number": None},
    {"model": "-"},
    {"qr2_version": "3"},
])
def test_encode_refuses_what_would_not_read_back(change):
    fields = dict(BY_NAME["registered_paper_per_symbol"]["expected"], **change)
    with pytest.raises(ValueError):
        encode_scans(fields, today=TODAY)


def test_encode_needs_exactly_the_keys():
    fields = dict(BY_NAME["registered_paper_per_symbol"]["expected"], extra=1)
    with pytest.raises(ValueError):
        encode_scans(fields, today=TODAY)
