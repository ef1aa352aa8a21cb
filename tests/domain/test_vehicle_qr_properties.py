"""Property tests for the 車検証 二次元コード parser.

1. Whatever it is given, parse_scans returns a complete result or raises VehicleQRError.
2. Damage a reader or a clerk can do (drop, duplicate, swap, truncate, width change,
   delimiter change, join, split) never yields a half-filled result or another exception;
   damage that loses nothing (duplicate, reorder, separators, full-width) gives the same fields.
3. encode_scans ∘ parse_scans is the identity on fields, in any read order.
"""

import datetime as dt
import re

import jaconv
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.domain.vehicle_qr import (
    FIELD_KEYS,
    FUEL_NAMES,
    KEI_FIELD_KEYS,
    VehicleQRError,
    VehicleQRResult,
    encode_scans,
    parse_scans,
)

TODAY = dt.date(2025, 6, 1)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FW_DIGITS = "０１２３４５６７８９"
AREAS = ["品川", "横浜", "尾張小牧", "なにわ", "袖ケ浦", "札幌", "足立", "富士山", "とちぎ", "室蘭"]
KANA = "あいうえかきくけこさすせそたちつてとなにぬねのはひふほまみむめもやゆよらりるろれわを"


def fullwidth(text: str) -> str:
    return jaconv.h2z(text, kana=False, ascii=True, digit=True)


@st.composite
def plates(draw):
    area = draw(st.sampled_from(AREAS))
    plate_class = draw(st.one_of(
        st.none(),
        st.text(FW_DIGITS, min_size=1, max_size=3),
        st.tuples(st.text(FW_DIGITS, min_size=2, max_size=2), st.sampled_from("ＡＣＦＨＫＬＰＸＹ")).map("".join),
    ))
    kana = draw(st.sampled_from(KANA))
    serial = fullwidth(str(draw(st.integers(1, 9999))))
    pad = draw(st.sampled_from("\u3000・"))
    right_aligned_area = plate_class is None and draw(st.booleans())
    left = (area.rjust(5, "\u3000") + "\u3000\u3000") if right_aligned_area else (
        area.ljust(4, "\u3000") + (plate_class or "").rjust(3, "\u3000"))
    raw = left[:7] + kana + serial.rjust(4, pad)
    assume(len(raw) == 12)
    return {"plate_raw": raw, "plate_area": area, "plate_class": plate_class,
            "plate_kana": kana, "plate_serial": serial}


def optional(strategy):
    return st.one_of(st.none(), strategy)


def dates(first: dt.date, last: dt.date):
    return st.dates(min_value=first, max_value=last).map(dt.date.isoformat)


@st.composite
def vehicle_fields(draw, kind=None):
    kind = kind or draw(st.sampled_from(["registered", "kei"]))
    kei = kind == "kei"
    qr3_version = draw(st.sampled_from(["31", "32"])) if kei else "2"
    model = draw(optional(st.from_regex(r"\A(?:[0-9A-Z]{1,3}-)?[0-9A-Z][0-9A-Za-z\-*.]{0,15}\Z")))
    emission = re.match("([0-9A-Z]{1,3})-", model or "")
    prefix = emission.group(1) if emission else None
    tdn = draw(st.one_of(
        st.just((None, None)),
        st.tuples(st.from_regex(r"\A\*?[0-9]{5}\Z"), st.from_regex(r"\A[0-9]{4}\Z")),
        st.tuples(st.from_regex(r"\A[0-9]{6,8}\Z"), st.none()),
    ))
    expiry = draw(optional(dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31))))
    window_first = dt.date(TODAY.year - 99, 1, 1)
    fuel_code = None if kei and qr3_version == "31" else draw(
        optional(st.sampled_from(sorted(FUEL_NAMES) + ["17", "18"])))
    fields = {
        "qr2_version": "22" if kei else "2",
        "qr3_version": qr3_version,
        **draw(plates()),
        "plate_type_code": draw(optional(st.sampled_from("12345678ABCDEFGHJ"))),
        "chassis_number": draw(st.from_regex(r"\A[0-9A-Z\[\]*][0-9A-Z\-\[\]*]{0,22}\Z")),
        "engine_model": draw(optional(st.from_regex(r"\A[0-9A-Za-z*\[][0-9A-Za-z\-\[\]*.]{0,23}\Z"))),
        "form_type": draw(st.sampled_from("1111123459")),
        "chassis_stamp_position": draw(optional(st.from_regex(r"\A[0-9A-Z]{1,3}\Z"))),
        "type_designation_number": tdn[0],
        "category_number": tdn[1],
        "expiry_date": expiry,
        "expiry_available": expiry is not None,
        "first_registration": draw(optional(dates(window_first, TODAY).map(lambda d: d[:7]))),
        "model": model,
        "emission_prefix": prefix,
        **{f"axle_weight_{a}_kg": draw(optional(st.integers(0, 9999).map(lambda n: n * 10)))
           for a in ("ff", "fr", "rf", "rr")},
        "noise_regulation_code": draw(optional(st.from_regex(r"\A[0-9A-Z]{2}\Z"))),
        "proximity_exhaust_noise_db": draw(optional(st.integers(0, 999))),
        "drive_system_code": draw(optional(st.sampled_from("0123"))),
        "opacimeter_code": draw(optional(st.sampled_from("012"))),
        "nox_pm_mode": draw(optional(st.sampled_from("ABCD1"))),
        "nox_value": draw(optional(st.from_regex(r"\A[0-9.]{1,4}\Z"))),
        "pm_value": draw(optional(st.from_regex(r"\A[0-9.]{1,5}\Z"))),
        "safety_standard_date": None if kei else draw(optional(dates(window_first, TODAY))),
        "fuel_code": fuel_code,
        "fuel_name": FUEL_NAMES.get(fuel_code) if fuel_code else None,
    }
    if kei:
        fields["reserved"] = draw(st.sampled_from(["999", "999", "999999", None]))
    keys = KEI_FIELD_KEYS if kei else FIELD_KEYS
    fields = {key: fields[key] for key in keys}
    try:
        reads = encode_scans(fields, today=TODAY)
    except ValueError:
        assume(False)
    return fields, reads


def assert_complete_or_error(reads):
    try:
        result = parse_scans(reads, today=TODAY)
    except VehicleQRError as err:
        assert err.code != "PARSER_FAILURE", err.message
        assert err.message
        return None
    assert isinstance(result, VehicleQRResult)
    assert result.vehicle_kind in ("registered", "kei")
    keys = KEI_FIELD_KEYS if result.vehicle_kind == "kei" else FIELD_KEYS
    assert tuple(result.fields) == keys
    assert result.fields["chassis_number"] and result.fields["plate_raw"]
    assert result.rejected_scans == sorted(result.rejected_scans)
    for warning in result.warnings:
        assert warning.code and warning.message
    return result


# -- 1. anything at all ------------------------------------------------------------

CODE_ALPHABET = "2K/-  0123456789ABXYZ*.()[]品川さ１２３　・／２Ｋ\r\n\t"


@SETTINGS
@given(st.one_of(
    st.text(),
    st.lists(st.text()),
    st.text(alphabet=CODE_ALPHABET, max_size=200),
    st.lists(st.text(alphabet=CODE_ALPHABET, max_size=80), max_size=8),
))
def test_any_text_gives_a_result_or_a_vehicle_qr_error(reads):
    assert_complete_or_error(reads)


# -- 2. damage -------------------------------------------------------------------

SEPARATORS = st.sampled_from(["\r", "\n", "\r\n", "\t"])


@st.composite
def damaged(draw):
    fields, reads = draw(vehicle_fields())
    if draw(st.booleans()) and "reserved" not in fields:
        reads = encode_scans(fields, joined=True, today=TODAY)
    reads = list(reads)
    harmless = True
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["drop", "duplicate", "swap", "truncate", "fullwidth", "partial_width",
                                   "slash", "nakaguro", "join", "split", "stray"]))
        i = draw(st.integers(0, len(reads) - 1)) if reads else 0
        if not reads:
            break
        if op == "drop":
            del reads[i]
            harmless = False
        elif op == "duplicate":
            reads.insert(draw(st.integers(0, len(reads))), reads[i])
        elif op == "swap":
            j = draw(st.integers(0, len(reads) - 1))
            reads[i], reads[j] = reads[j], reads[i]
        elif op == "truncate":
            reads[i] = reads[i][: draw(st.integers(0, max(0, len(reads[i]) - 1)))]
            harmless = False
        elif op == "fullwidth":  # IME 全角英数: every ASCII character full-width
            reads[i] = fullwidth(reads[i])
        elif op == "partial_width":  # IME switched in the middle of a read
            cut = draw(st.integers(0, len(reads[i])))
            reads[i] = reads[i][:cut] + fullwidth(reads[i][cut:])
        elif op == "slash":  # the reader typed one delimiter full-width
            reads[i] = reads[i].replace("/", "／", 1)
        elif op == "nakaguro":
            reads[i] = reads[i].replace("/", "・", draw(st.integers(1, 30)))
            harmless = False
        elif op == "join" and len(reads) > 1:  # a suffix was lost
            j = draw(st.integers(0, len(reads) - 2))
            reads[j:j + 2] = [reads[j] + reads[j + 1]]
            harmless = False
        elif op == "split":  # a suffix appeared inside a read
            cut = draw(st.integers(0, len(reads[i])))
            reads[i:i + 1] = [reads[i][:cut], reads[i][cut:]]
            harmless = False
        elif op == "stray":
            reads.insert(i, draw(st.sampled_from(["https://example.jp/a?b=1", "ABC123", "9/AB/CD", "株式会社・見本"])))
            harmless = False
    as_text = draw(st.booleans())
    if as_text:
        separators = [draw(SEPARATORS) for _ in reads]
        payload = "".join(r + s for r, s in zip(reads, separators))
    else:
        payload = reads
    return fields, payload, harmless


@SETTINGS
@given(damaged())
def test_damaged_reads_give_a_complete_result_or_a_vehicle_qr_error(case):
    fields, payload, harmless = case
    result = assert_complete_or_error(payload)
    if harmless:
        assert result is not None and result.fields == fields


# -- 3. round trip -------------------------------------------------------------------


@SETTINGS
@given(st.data())
def test_encode_then_parse_gives_the_same_fields_in_any_order(data):
    fields, reads = data.draw(vehicle_fields())
    joined = "reserved" not in fields and data.draw(st.booleans())
    if joined:
        reads = encode_scans(fields, joined=True, today=TODAY)
    order = data.draw(st.permutations(reads))
    result = parse_scans(list(order), today=TODAY)
    assert result.fields == fields
    assert result.rejected_scans == []
    text = "".join(read + data.draw(SEPARATORS) for read in order)
    assert parse_scans(text, today=TODAY).fields == fields


@SETTINGS
@given(st.data())
def test_round_trip_survives_fullwidth_ime(data):
    fields, reads = data.draw(vehicle_fields())
    result = parse_scans([fullwidth(r) for r in data.draw(st.permutations(reads))], today=TODAY)
    assert result.fields == fields
    assert "FULLWIDTH_NORMALIZED" in [w.code for w in result.warnings]
