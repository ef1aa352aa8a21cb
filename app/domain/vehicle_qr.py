"""車検証の二次元コード (vehicle certificate QR codes) read by a keyboard-wedge reader.

The format and the behaviour wanted are in shared/domain/vehicle-qr.md (§0 and §8 first);
the test vectors are tests/data/qr-vectors.json. Pure Python: no Flask, no database.

    parse_scans(reads)   -> VehicleQRResult, or raises VehicleQRError (never anything else)
    encode_scans(fields) -> the reads a reader would type for those fields (tests, test data)

How a registered car (登録車) is put together: QR2 (2 symbols) and QR3 (3 symbols) arrive as
up to 5 reads in scan order, without the structured-append header, or as 2 reads when the
reader joins the symbols itself. Split points are not fully known (§3, §12), so no fragment is
judged by its shape: every assignment of reads to the two codes whose delimiter count adds up
is joined and fully validated, and exactly one distinct result must survive (§8 step 5).
Strict field validation (widths, character sets, dates) is what makes a wrong order or a
stray read fail; relaxing a field check makes wrong assemblies more likely to pass.

Kei cars (軽) have two stand-alone codes, ``K/22/…`` (コード2) and ``K/31/…`` or ``K/32/…``
(コード3).

Error codes (VehicleQRError.code):
    NO_VEHICLE_CODE, MISSING_CODE, TRUNCATED_CODE, INVALID_CODE, MIXED_CERTIFICATES,
    MIXED_VEHICLE_KINDS, IME_KANA_MODE, KEYBOARD_LAYOUT, KEI_RECORD_SHEET_DEFECT,
    UNKNOWN_VERSION, TOO_MANY_READS, INVALID_INPUT, PARSER_FAILURE (a bug: never expected).
Warning codes (VehicleQRWarning.code):
    UNRELATED_CODE_IGNORED, FULLWIDTH_NORMALIZED, UNKNOWN_CODE_VALUE,
    FORM_TYPE_NOT_CERTIFICATE, EXTRA_CODE_IGNORED.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable
from zoneinfo import ZoneInfo

import jaconv

from app.domain.messages import CodedError, DomainWarning

log = logging.getLogger(__name__)

_CODES = json.loads(
    (Path(__file__).parent / "data" / "vehicle_qr_codes.json").read_text(encoding="utf-8")
)
FORM_TYPES: dict[str, dict[str, str]] = _CODES["form_type"]
PLATE_TYPES: dict[str, str] = _CODES["plate_type"]
FUEL_NAMES: dict[str, str] = _CODES["fuel"]
DRIVE_SYSTEMS: dict[str, str] = _CODES["drive_system"]
OPACIMETER_CODES: dict[str, str] = _CODES["opacimeter"]

# The keys of VehicleQRResult.fields, in the order of qr-vectors.json `expected`.
FIELD_KEYS: tuple[str, ...] = (
    "qr2_version", "qr3_version",
    "plate_raw", "plate_area", "plate_class", "plate_kana", "plate_serial", "plate_type_code",
    "chassis_number", "engine_model", "form_type",
    "chassis_stamp_position", "type_designation_number", "category_number",
    "expiry_date", "expiry_available", "first_registration", "model", "emission_prefix",
    "axle_weight_ff_kg", "axle_weight_fr_kg", "axle_weight_rf_kg", "axle_weight_rr_kg",
    "noise_regulation_code", "proximity_exhaust_noise_db", "drive_system_code",
    "opacimeter_code", "nox_pm_mode", "nox_value", "pm_value", "safety_standard_date",
    "fuel_code", "fuel_name",
)
KEI_FIELD_KEYS: tuple[str, ...] = FIELD_KEYS + ("reserved",)

MAX_READS = 30  # distinct reads; two certificates and an A4 sheet's stray symbols fit easily
_JST = ZoneInfo("Asia/Tokyo")


# ---------------------------------------------------------------------------
# Public types


class VehicleQRError(CodedError):
    """The reads cannot be accepted. `.message` tells the clerk what to do next."""


VehicleQRWarning = DomainWarning


@dataclass(frozen=True)
class VehicleQRResult:
    vehicle_kind: str  # "registered" or "kei"
    fields: dict[str, Any]
    warnings: tuple[VehicleQRWarning, ...] = ()
    rejected_scans: list[int] = field(default_factory=list)


def result_to_dict(result: VehicleQRResult) -> dict[str, Any]:
    """JSON-ready form of a result (the web API and the CLI print this)."""
    return {
        "vehicle_kind": result.vehicle_kind,
        "fields": dict(result.fields),
        "warnings": [{"code": w.code, "message": w.message} for w in result.warnings],
        "rejected_scans": list(result.rejected_scans),
    }


def error_to_dict(err: VehicleQRError) -> dict[str, Any]:
    return {"error": {"code": err.code, "message": err.message}}


# ---------------------------------------------------------------------------
# Characters


def _z2h(text: str) -> str:
    """Full-width ASCII (U+FF01–U+FF5E) to ASCII and U+3000 to a space (IME 全角英数 mode)."""
    return jaconv.z2h(text, kana=False, ascii=True, digit=True)


_DELIMS = "/／"
_DELIM_RE = re.compile("[/／]")
_READ_SEPARATORS = re.compile("[\r\n\t]+")
_FW_DIGITS = "０１２３４５６７８９"
_FW_UPPER = "ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"
_PLATE_PAD = "\u3000・"
# What a US-layout reader types on a JIS Windows (and the reverse) for `*`, `[`, `]`.
_LAYOUT_SUSPECTS = frozenset('()@"\\')


def _delim_count(text: str) -> int:
    return text.count("/") + text.count("／")


def _is_kanji(c: str) -> bool:
    return ("\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf"
            or "\uf900" <= c <= "\ufaff" or c == "\u3005")


def _is_kana(c: str) -> bool:
    return "\u3041" <= c <= "\u3096" or "\u30a1" <= c <= "\u30fa"


def _is_plate_char(c: str) -> bool:
    return (c in _PLATE_PAD or c in _FW_DIGITS or c in _FW_UPPER
            or _is_kana(c) or _is_kanji(c))


# ---------------------------------------------------------------------------
# Field validation. A parser writes its value(s) into `out`, may append a warning to
# `notes`, and raises _Bad with a kind: "short" (cut off), "layout" (keyboard layout),
# "version" or "invalid".


class _Bad(Exception):
    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


@dataclass
class _Ctx:
    kind: str  # "registered" / "kei"
    pivot_yy: int  # two-digit years above this are 19YY (初度登録, 保安基準適用)


_Parser = Callable[[str, dict, list, _Ctx], None]

_DIGITS_RE = re.compile("[0-9]+")
_ALNUM1_RE = re.compile("[0-9A-Z]")
_CHASSIS_RE = re.compile(r"[0-9A-Z\-\[\]*]{1,23}")
_ENGINE_RE = re.compile(r"[0-9A-Za-z\-\[\]*.]{1,24}")
_MODEL_RE = re.compile(r"[0-9A-Za-z\-*.]{1,20}")
_STAMP_RE = re.compile("[0-9A-Z]{1,3}")
_TDN_RE = re.compile(r"\*?[0-9]+")
_DECIMAL_RE = re.compile("[0-9.]+")
_EMISSION_RE = re.compile("([0-9A-Z]{1,3})-")


def _bad_chars(value: str) -> _Bad:
    if any(c in _LAYOUT_SUSPECTS for c in value):
        return _Bad("layout")
    return _Bad("invalid")


def _is_blank(value: str, width: int | None = None) -> bool:
    """`-` padded with spaces (`-␣␣␣`); a bare `-` too (§6.6, §12)."""
    if value[:1] != "-" or value[1:].strip(" "):
        return False
    return width is None or len(value) <= width


def _fixed_digits(value: str, width: int) -> str:
    """`width` ASCII digits, or _Bad: fewer digits means the code was cut off."""
    if len(value) == width and _DIGITS_RE.fullmatch(value):
        return value
    if len(value) < width and (value == "" or _DIGITS_RE.fullmatch(value)):
        raise _Bad("short")
    raise _bad_chars(value)


def _two_digit_year(yy: int, pivot_yy: int | None) -> int:
    """Expiry dates are always 20YY; other dates pivot on the current year (§6.1)."""
    if pivot_yy is None or yy <= pivot_yy:
        return 2000 + yy
    return 1900 + yy


def _yymmdd(value: str, pivot_yy: int | None) -> str | None:
    digits = _fixed_digits(value, 6)
    if digits == "999999":
        return None
    try:
        day = dt.date(_two_digit_year(int(digits[:2]), pivot_yy), int(digits[2:4]), int(digits[4:]))
    except ValueError:
        raise _Bad("invalid") from None
    return day.isoformat()


def _p_system_id(v: str, out: dict, notes: list, ctx: _Ctx) -> None:
    if v != "K":
        raise _Bad("invalid")


def _p_version(key: str, expected: str) -> _Parser:
    def parse(v: str, out: dict, notes: list, ctx: _Ctx) -> None:
        if v != expected:
            raise _Bad("version" if _DIGITS_RE.fullmatch(v) else "invalid")
        out[key] = v
    return parse


def _split_plate(plate: str) -> dict[str, str | None]:
    """12 full-width characters, parsed by character class (§12), not by 4/3/1/4 slices:
    地名 (kanji/kana run), 分類番号 (full-width digits/letters, may be missing), かな (one
    kana), 一連指定番号 (the rest, padding U+3000 or ・ removed)."""
    if len(plate) < 12:
        raise _Bad("short")
    if len(plate) > 12 or not all(_is_plate_char(c) for c in plate):
        raise _bad_chars(plate)
    end = 12
    while end > 0 and (plate[end - 1] in _FW_DIGITS or plate[end - 1] in _PLATE_PAD):
        end -= 1
    serial = "".join(c for c in plate[end:] if c in _FW_DIGITS)
    if not 1 <= len(serial) <= 4 or end == 0 or not _is_kana(plate[end - 1]):
        raise _Bad("invalid")
    kana = plate[end - 1]
    left = plate[: end - 1].strip("\u3000")
    cut = len(left)
    while cut > 0 and (left[cut - 1] in _FW_DIGITS or left[cut - 1] in _FW_UPPER):
        cut -= 1
    plate_class = left[cut:] or None
    area = left[:cut].rstrip("\u3000")
    if (not area or not all(_is_kanji(c) or _is_kana(c) for c in area)
            or (plate_class is not None and len(plate_class) > 3)):
        raise _Bad("invalid")
    return {"plate_raw": plate, "plate_area": area, "plate_class": plate_class,
            "plate_kana": kana, "plate_serial": serial}


def _p_plate(v: str, out: dict, notes: list, ctx: _Ctx) -> None:
    out.update(_split_plate(v))


def _unknown_code(label: str, value: str) -> tuple[str, str]:
    return ("UNKNOWN_CODE_VALUE",
            f"{label}のコード「{value}」は登録されていない値のため、そのまま記録しました。"
            "車検証の記載と照らし合わせて確認してください。")


def _p_plate_type(v: str, out: dict, notes: list, ctx: _Ctx) -> None:
    if v == "":
        raise _Bad("short")
    if v == "-":
        out["plate_type_code"] = None
        return
    if not _ALNUM1_RE.fullmatch(v):
        raise _bad_chars(v)
    if v not in PLATE_TYPES:
        notes.append(_unknown_code("標板の枚数・大きさ・希望番号の識別", v))
    out["plate_type_code"] = v


def _variable(key: str, pattern: re.Pattern, *, required: bool) -> _Parser:
    """A variable-width half-width field, right-padded with spaces (§6.6)."""
    def parse(v: str, out: dict, notes: list, ctx: _Ctx) -> None:
        value = v.rstrip(" ")
        if value == "":
            if required:
                raise _Bad("short")
            out[key] = None
        elif _is_blank(value):
            out[key] = None
        elif pattern.fullmatch(value):
            out[key] = value
        else:
            raise _bad_chars(value)
    return parse


_p_chassis = _variable("chassis_number", _CHASSIS_RE, required=True)
_p_engine = _variable("engine_model", _ENGINE_RE, required=False)


def _p_form_type(v: str, out: dict, notes: list, ctx: _Ctx) -> None:
    if v == "":
        raise _Bad("short")
    if len(v) != 1 or not _DIGITS_RE.fullmatch(v):
        raise _bad_chars(v)
    table = FORM_TYPES[ctx.kind]
    if v not in table:
        notes.append(_unknown_code("帳票種別", v))
    if v != "1":
        name = table.get(v, f"コード{v}")
        notes.append(("FORM_TYPE_NOT_CERTIFICATE",
                      f"帳票種別が「{name}」です（自動車検査証ではありません）。"
                      "継続検査に使う車検証かどうか確認してください。"))
    out["form_type"] = v


def _p_stamp(v: str, out: dict, notes: list, ctx: _Ctx) -> None:
    if v == "":
        raise _Bad("short")
    if _is_blank(v, 3):
        out["chassis_stamp_position"] = None
        return
    value = v.rstrip(" ")
    if len(v) > 3 or not _STAMP_RE.fullmatch(value):
        raise _bad_chars(v)
    out["chassis_stamp_position"] = value


def _p_type_designation(v: str, out: dict, notes: list, ctx: _Ctx) -> None:
    """型式指定番号 (5 digits, or `*` + 5) and 類別区分番号 (4 digits), or empty (§12)."""
    value = v.rstrip(" ")
    if value == "" or _is_blank(value):
        out["type_designation_number"] = out["category_number"] = None
        return
    if not _TDN_RE.fullmatch(value):
        raise _bad_chars(value)
    digits = value.lstrip("*")
    if len(digits) == 9:
        out["type_designation_number"] = value[:-4]
        out["category_number"] = value[-4:]
        return
    notes.append(("UNKNOWN_CODE_VALUE",
                  f"型式指定番号・類別区分番号「{value}」の桁数が想定と異なるため、"
                  "分けずにそのまま記録しました。車検証の記載と照らし合わせて確認してください。"))
    out["type_designation_number"] = value
    out["category_number"] = None


def _p_expiry(v: str, out: dict, notes: list, ctx: _Ctx) -> None:
    if _is_blank(v, 6):
        expiry = None
    else:
        expiry = _yymmdd(v, None)  # 999999 on the electronic card: not in the codes
    out["expiry_date"] = expiry
    out["expiry_available"] = expiry is not None


def _p_first_registration(v: str, out: dict, notes: list, ctx: _Ctx) -> None:
    if _is_blank(v, 4):
        out["first_registration"] = None
        return
    digits = _fixed_digits(v, 4)
    month = int(digits[2:])
    if digits == "9999":
        out["first_registration"] = None
    elif 1 <= month <= 12:
        out["first_registration"] = f"{_two_digit_year(int(digits[:2]), ctx.pivot_yy):04d}-{month:02d}"
    else:
        raise _Bad("invalid")


def _p_model(v: str, out: dict, notes: list, ctx: _Ctx) -> None:
    value = v.rstrip(" ")
    if value == "":
        raise _Bad("short")
    if _is_blank(value):
        out["model"] = out["emission_prefix"] = None
        return
    if not _MODEL_RE.fullmatch(value):
        raise _bad_chars(value)
    out["model"] = value
    prefix = _EMISSION_RE.match(value)
    out["emission_prefix"] = prefix.group(1) if prefix else None


def _p_axle(key: str) -> _Parser:
    def parse(v: str, out: dict, notes: list, ctx: _Ctx) -> None:
        out[key] = None if _is_blank(v, 4) else int(_fixed_digits(v, 4)) * 10
    return parse


def _p_noise_regulation(v: str, out: dict, notes: list, ctx: _Ctx) -> None:
    if _is_blank(v, 2):
        out["noise_regulation_code"] = None
    elif len(v) == 2 and v.isascii() and v.isalnum() and v.upper() == v:
        out["noise_regulation_code"] = v  # opaque: newer regulations surely exist (§6.5)
    elif len(v) < 2:
        raise _Bad("short")
    else:
        raise _bad_chars(v)


def _p_proximity_noise(v: str, out: dict, notes: list, ctx: _Ctx) -> None:
    out["proximity_exhaust_noise_db"] = None if _is_blank(v, 3) else int(_fixed_digits(v, 3))


def _p_code1(key: str, label: str, table: dict[str, str] | None) -> _Parser:
    def parse(v: str, out: dict, notes: list, ctx: _Ctx) -> None:
        if v == "":
            raise _Bad("short")
        if v == "-":
            out[key] = None
            return
        if not _ALNUM1_RE.fullmatch(v):
            raise _bad_chars(v)
        if table is not None and v not in table:
            notes.append(_unknown_code(label, v))
        out[key] = v
    return parse


def _p_decimal(key: str, width: int) -> _Parser:
    def parse(v: str, out: dict, notes: list, ctx: _Ctx) -> None:
        if _is_blank(v, width):
            out[key] = None
            return
        value = v.rstrip(" ")
        if value == "":
            raise _Bad("short")
        if len(v) > width or not _DECIMAL_RE.fullmatch(value):
            raise _bad_chars(v)
        out[key] = value
    return parse


def _p_safety_date(v: str, out: dict, notes: list, ctx: _Ctx) -> None:
    out["safety_standard_date"] = None if _is_blank(v, 6) else _yymmdd(v, ctx.pivot_yy)


def _p_fuel(v: str, out: dict, notes: list, ctx: _Ctx) -> None:
    if v in ("00", "--") or _is_blank(v, 2):
        out["fuel_code"] = out["fuel_name"] = None
        return
    code = _fixed_digits(v, 2)
    if code not in FUEL_NAMES:
        notes.append(_unknown_code("燃料の種類", code))
    out["fuel_code"] = code
    out["fuel_name"] = FUEL_NAMES.get(code)


def _p_reserved(v: str, out: dict, notes: list, ctx: _Ctx) -> None:
    value = v.rstrip(" ")
    if value and _is_blank(value):
        out["reserved"] = None
        return
    if not _DIGITS_RE.fullmatch(value) or len(value) > 6:
        raise _Bad("short") if value == "" else _bad_chars(value)
    if len(value) not in (3, 6):
        raise _Bad("short")
    if value != "999":
        notes.append(("UNKNOWN_CODE_VALUE",
                      f"予備項目の値「{value}」が想定（999）と異なりますが、そのまま記録しました。"))
    out["reserved"] = value


# A layout is the list of fields of one logical code: (label, parser, is_plate).
_Layout = tuple[tuple[str, _Parser, bool], ...]

_PLATE_FIELDS: _Layout = (
    ("自動車登録番号又は車両番号", _p_plate, True),
    ("標板の枚数・大きさ・希望番号の識別", _p_plate_type, False),
    ("車台番号", _p_chassis, False),
    ("原動機型式", _p_engine, False),
    ("帳票種別", _p_form_type, False),
)


def _qr3_fields(first_label: str) -> _Layout:
    return (
        ("車台番号打刻位置", _p_stamp, False),
        ("型式指定番号・類別区分番号", _p_type_designation, False),
        ("有効期間の満了する日", _p_expiry, False),
        (first_label, _p_first_registration, False),
        ("型式", _p_model, False),
        ("軸重（前前）", _p_axle("axle_weight_ff_kg"), False),
        ("軸重（前後）", _p_axle("axle_weight_fr_kg"), False),
        ("軸重（後前）", _p_axle("axle_weight_rf_kg"), False),
        ("軸重（後後）", _p_axle("axle_weight_rr_kg"), False),
        ("騒音規制", _p_noise_regulation, False),
        ("近接排気騒音規制値", _p_proximity_noise, False),
        ("駆動方式", _p_code1("drive_system_code", "駆動方式", DRIVE_SYSTEMS), False),
        ("オパシメータ測定車", _p_code1("opacimeter_code", "オパシメータ測定車", OPACIMETER_CODES), False),
        ("NOx・PM測定モード", _p_code1("nox_pm_mode", "NOx・PM測定モード", None), False),
        ("NOx値", _p_decimal("nox_value", 4), False),
        ("PM値", _p_decimal("pm_value", 5), False),
    )


_FUEL_FIELD = ("燃料の種類コード", _p_fuel, False)
QR2_LAYOUT: _Layout = (("バージョン情報", _p_version("qr2_version", "2"), False),) + _PLATE_FIELDS
QR3_LAYOUT: _Layout = (
    (("バージョン情報", _p_version("qr3_version", "2"), False),)
    + _qr3_fields("初度登録年月")
    + (("保安基準適用年月日", _p_safety_date, False), _FUEL_FIELD)
)
_KEI_HEAD = (("システムID", _p_system_id, False),)
KEI2_LAYOUT: _Layout = _KEI_HEAD + (("バージョン情報", _p_version("qr2_version", "22"), False),) + _PLATE_FIELDS
_KEI3_BODY = _qr3_fields("初度検査年月")
KEI3_LAYOUTS: dict[str, _Layout] = {
    "31": _KEI_HEAD + (("バージョン情報", _p_version("qr3_version", "31"), False),) + _KEI3_BODY
    + (("予備項目", _p_reserved, False),),
    "32": _KEI_HEAD + (("バージョン情報", _p_version("qr3_version", "32"), False),) + _KEI3_BODY
    + (_FUEL_FIELD, ("予備項目", _p_reserved, False)),
}


@dataclass
class _Outcome:
    values: dict[str, Any]
    errors: list[tuple[int, str]]  # (field index or -1 for the field count, kind)
    notes: list[tuple[str, str]]
    fullwidth: bool

    @property
    def ok(self) -> bool:
        return not self.errors


def _evaluate(parts: list[str], layout: _Layout, ctx: _Ctx, collect_all: bool = False) -> _Outcome:
    """Validate the fields of one joined code. Full-width ASCII is normalised in every field
    but the plate (§8.4); the plate is validated as typed."""
    outcome = _Outcome({}, [], [], False)
    if len(parts) != len(layout):
        outcome.errors.append((-1, "short" if len(parts) < len(layout) else "invalid"))
        return outcome
    for index, (_, parser, is_plate) in enumerate(layout):
        value = parts[index]
        if not is_plate:
            normal = _z2h(value)
            if normal != value:
                outcome.fullwidth = True
                value = normal
        try:
            parser(value, outcome.values, outcome.notes, ctx)
        except _Bad as bad:
            outcome.errors.append((index, bad.kind))
            if not collect_all:
                break
    return outcome


def _evaluate_text(text: str, layout: _Layout, ctx: _Ctx, collect_all: bool = False) -> _Outcome:
    outcome = _evaluate(_DELIM_RE.split(text), layout, ctx, collect_all)
    outcome.fullwidth = outcome.fullwidth or "／" in text
    return outcome


# ---------------------------------------------------------------------------
# Errors the clerk sees


_IME_KANA_MESSAGE = ("区切り文字「/」が「・」に変換されています（IMEがオンになっています）。"
                     "IMEをオフ（半角英数）にして、もう一度読み取ってください。")


def _error_from(outcome: _Outcome, layout: _Layout, code_name: str, parts: list[str]) -> VehicleQRError:
    kinds = {kind for _, kind in outcome.errors}
    if "layout" in kinds:
        return VehicleQRError(
            "KEYBOARD_LAYOUT",
            f"{code_name}の記号が別の文字に変わっています（例：「*」が「(」）。QRリーダーのキーボード設定が"
            "パソコンと合っていません。QRリーダーのキーボードを日本語（JIS）配列に設定して、もう一度読み取ってください。")
    if kinds == {"version"}:
        index = outcome.errors[0][0]
        return VehicleQRError(
            "UNKNOWN_VERSION",
            f"{code_name}のバージョン「{_z2h(parts[index])}」には対応していません。内容を推測して読み取ることは"
            "できないため、車検証を見て手入力してください（サポートにもご連絡ください）。")
    if "short" in kinds:
        return VehicleQRError(
            "TRUNCATED_CODE",
            f"{code_name}のデータが途中で切れています（項目数または桁数が不足）。もう一度読み取ってください。")
    labels = "、".join(layout[i][0] for i, _ in outcome.errors if i >= 0) or "項目数"
    return VehicleQRError(
        "INVALID_CODE",
        f"{code_name}の内容が正しくありません（{labels}）。もう一度読み取ってください。"
        "何度読み取っても同じ場合は、車検証を見て手入力してください。")


def _truncated(code_name: str) -> VehicleQRError:
    return _error_from(_Outcome({}, [(-1, "short")], [], False), (), code_name, [])


def _missing(parts: list[str]) -> VehicleQRError:
    return VehicleQRError(
        "MISSING_CODE",
        f"{'と'.join(parts)}がまだ読み取られていません。残りのコードを読み取ってください。")


def _mixed_certificates() -> VehicleQRError:
    return VehicleQRError(
        "MIXED_CERTIFICATES",
        "2台分の車検証の二次元コードが混ざっています。入力欄をクリアして、1台分の車検証だけを読み取り直してください。")


# ---------------------------------------------------------------------------
# Reads


def _split_reads(reads: Any) -> list[str]:
    if isinstance(reads, (bytes, bytearray)):
        try:
            reads = bytes(reads).decode("utf-8")
        except UnicodeDecodeError:
            raise VehicleQRError("INVALID_INPUT", "読み取りデータの文字コードが正しくありません。"
                                 "QRリーダーの入力欄に読み取り直してください。") from None
    if isinstance(reads, str):
        pieces: Iterable[str] = [reads]
    elif isinstance(reads, (list, tuple)) and all(isinstance(r, str) for r in reads):
        pieces = reads
    else:
        raise VehicleQRError("INVALID_INPUT", "読み取りデータの形式が正しくありません。"
                             "QRリーダーの入力欄に読み取り直してください。")
    # A suffix (CR, LF, CRLF, Tab) ends a read. Nothing else is trimmed: U+3000 and spaces
    # are padding that belongs to the data.
    return [read for piece in pieces for read in _READ_SEPARATORS.split(piece) if read]


_REG_HEADS = frozenset(f"{d}/" for d in range(10))


# A `・` next to what the IME makes of a code's characters: full-width digits and letters, the
# long-vowel mark or full-width hyphen for `-`, `＊`, `．`/`。` for `.`, U+3000 for a space.
_KANA_MODE_DELIMITER = re.compile(r"[０-９Ａ-Ｚａ-ｚ－ー＊．。\u3000]・|・[０-９Ａ-Ｚａ-ｚ－ー＊．。]")


def _looks_ime_kana(read: str, among_codes: bool = False) -> bool:
    """IME in ひらがな mode types `・` for `/` (§8.4). Only reads shaped like a code count,
    so that a stray QR code with a `・` in its text is merely ignored. When the IME was turned
    on between codes (``among_codes``: other reads of the input have `/`), a later fragment can
    be short, with one or two `・` and no code-like head (a QR3 split 7/10/1 ends `３０５０１・１４`):
    then a `・` beside the IME's full-width characters is enough."""
    if "・" not in read or "/" in read or "／" in read:
        return False
    head = _z2h(read[:5].replace("・", "/"))
    if head.startswith("K/") or head[:2] in _REG_HEADS or read.count("・") >= 3:
        return True
    return among_codes and _KANA_MODE_DELIMITER.search(read) is not None



def _head(read: str) -> str:
    return _z2h(read[:5])


def _is_reg_head(read: str) -> bool:
    return _head(read)[:2] in _REG_HEADS


def _kei_version(read: str) -> str | None:
    """The version field ("22", "31", …, as typed but half-width) of a read starting `K/`;
    None for any other read (`K32/` is no kei code: §12)."""
    if not _head(read).startswith("K/"):
        return None
    parts = _DELIM_RE.split(read, maxsplit=2)
    return _z2h(parts[1]) if len(parts) > 1 else ""


def _is_version(version: str) -> bool:
    return len(version) == 2 and bool(_DIGITS_RE.fullmatch(version))


_CODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 /-*.[]") | _LAYOUT_SUSPECTS


def _code_like(read: str) -> bool:
    """Could be a fragment of a 車検証 code (used only to word an error)."""
    text = _z2h(read)
    return "/" in text and all(c in _CODE_CHARS or _is_plate_char(c) for c in text)


# ---------------------------------------------------------------------------
# Registered cars: assemble QR2 (≤ 2 reads) and QR3 (≤ 3 reads)


_QR2_DELIMS, _QR3_DELIMS = len(QR2_LAYOUT) - 1, len(QR3_LAYOUT) - 1


def _group_candidates(heads: list[int], counts: list[int], total: int, max_pieces: int) -> list[tuple[int, ...]]:
    """Every ordered choice of a head read and up to max_pieces-1 further reads whose
    delimiters add up to `total`. Any read may continue a code: fragments start anywhere."""
    found: list[tuple[int, ...]] = []
    n = len(counts)
    for h in heads:
        d0 = counts[h]
        if d0 == total:
            found.append((h,))
        if d0 > total or max_pieces < 2:
            continue
        for j in range(n):
            d1 = d0 + counts[j]
            if j == h or d1 > total:
                continue
            if d1 == total:
                found.append((h, j))
            if max_pieces < 3:
                continue
            for k in range(n):
                if k != h and k != j and d1 + counts[k] == total:
                    found.append((h, j, k))
    return found


def _fields_key(fields: dict[str, Any]) -> tuple:
    return tuple(fields.values())


def _parse_registered(uniq: list[str], ctx: _Ctx):
    counts = [_delim_count(r) for r in uniq]
    heads = [i for i, read in enumerate(uniq) if _is_reg_head(read)]

    def valid(group: list[tuple[int, ...]], layout: _Layout):
        result = []
        for cand in group:
            outcome = _evaluate_text("".join(uniq[i] for i in cand), layout, ctx)
            if outcome.ok:
                result.append((cand, outcome))
        return result

    qr2_cands = _group_candidates(heads, counts, _QR2_DELIMS, 2)
    qr3_cands = _group_candidates(heads, counts, _QR3_DELIMS, 3)
    v2, v3 = valid(qr2_cands, QR2_LAYOUT), valid(qr3_cands, QR3_LAYOUT)

    solutions: dict[tuple, tuple[dict, set[int], list, bool]] = {}
    for c2, o2 in v2:
        for c3, o3 in v3:
            if set(c2) & set(c3):
                continue
            merged = {**o2.values, **o3.values}
            fields = {key: merged[key] for key in FIELD_KEYS}
            key = _fields_key(fields)
            if key in solutions:
                solutions[key][1].update(c2 + c3)
            else:
                solutions[key] = (fields, set(c2 + c3), o2.notes + o3.notes, o2.fullwidth or o3.fullwidth)
    if len(solutions) > 1:
        raise _mixed_certificates()
    if solutions:
        return next(iter(solutions.values()))
    if len({_fields_key(o.values) for _, o in v2}) > 1 or len({_fields_key(o.values) for _, o in v3}) > 1:
        raise _mixed_certificates()
    raise _diagnose_registered(uniq, counts, qr2_cands, qr3_cands, v2, v3, ctx)


def _damaged(uniq: list[str], cands: list[tuple[int, ...]], exclude: set[int], layout: _Layout,
             code_name: str, ctx: _Ctx) -> VehicleQRError | None:
    """The error of the assembly closest to valid, when one is close (≤ 2 bad fields):
    all parts are there but something in them is wrong."""
    best = None
    for cand in cands:
        if exclude & set(cand):
            continue
        text = "".join(uniq[i] for i in cand)
        outcome = _evaluate_text(text, layout, ctx, collect_all=True)
        if best is None or len(outcome.errors) < len(best[0].errors):
            best = (outcome, text)
    if best is None or len(best[0].errors) > 2:
        return None
    return _error_from(best[0], layout, code_name, _DELIM_RE.split(best[1]))


_QR3_TAIL_RE = re.compile(r"(?:^|/)(?:[0-9]{6}|- *)/(?:[0-9]{2}|--|- ?)$")


def _diagnose_registered(uniq, counts, qr2_cands, qr3_cands, v2, v3, ctx) -> VehicleQRError:
    used2 = set().union(*(c for c, _ in v2)) if v2 else set()
    used3 = set().union(*(c for c, _ in v3)) if v3 else set()
    for ok, cands, exclude, layout, name in ((v2, qr2_cands, used3, QR2_LAYOUT, "二次元コード2"),
                                             (v3, qr3_cands, used2, QR3_LAYOUT, "二次元コード3")):
        if not ok:
            error = _damaged(uniq, cands, exclude, layout, name, ctx)
            if error:
                return error

    left = [i for i in range(len(uniq)) if i not in used2 | used3 and _code_like(uniq[i])]
    if not v2 and not v3 and not left:
        return VehicleQRError("NO_VEHICLE_CODE",
                              "車検証の二次元コードが見つかりません。車検証の二次元コードを読み取ってください。")
    texts = {i: _z2h(uniq[i]) for i in left}

    def plate_start(text_raw: str, at: int) -> bool:
        return len(text_raw) > at and _is_plate_char(text_raw[at]) and not text_raw[at] in _FW_UPPER

    qr2_head = [i for i in left if texts[i][:2] == "2/" and plate_start(uniq[i], 2)]
    qr2_tail = [i for i in left if counts[i] <= 4 and i not in qr2_head and (
        uniq[i][:1] in _DELIMS or (plate_start(uniq[i], 0) and uniq[i][1:2] in _DELIMS))]
    qr3_head = [i for i in left if texts[i][:2] == "2/" and i not in qr2_head]
    qr3_tail = [i for i in left if _QR3_TAIL_RE.search(texts[i])]
    others = [i for i in left if i not in {*qr2_head, *qr2_tail, *qr3_head, *qr3_tail}]

    missing: list[str] = []
    if not v2:
        if any(counts[i] >= 4 for i in qr2_head) or (qr2_head and qr2_tail):
            return _truncated("二次元コード2")
        if qr2_head:
            missing.append("二次元コード2の2つ目")
        elif qr2_tail:
            missing.append("二次元コード2の1つ目")
        else:
            missing.append("二次元コード2")
    if not v3:
        whole = [i for i in qr3_head if i in qr3_tail or counts[i] > 10]
        if whole or (qr3_head and qr3_tail and others):
            return _truncated("二次元コード3")
        present = {1: bool(qr3_head), 2: bool(others), 3: bool(qr3_tail)}
        if not any(present.values()):
            missing.append("二次元コード3")
        else:
            missing.extend(f"二次元コード3の{k}つ目（左から{k}番目）" for k, seen in present.items() if not seen)
    return _missing(missing or ["二次元コードの一部"])


# ---------------------------------------------------------------------------
# Kei cars: two stand-alone codes


def _kei_defect_order(parts: list[str]) -> list[str]:
    """Undo the 2024-01-04…12 記録事項 defect: 軸重(前後)/(後前) printed after 近接排気騒音規制値."""
    return parts[:8] + [parts[11], parts[12], parts[8], parts[9], parts[10]] + parts[13:]


def _parse_kei(uniq: list[str], kei_reads: dict[int, str], ctx: _Ctx):
    valid: dict[str, dict[tuple, tuple[_Outcome, set[int]]]] = {"2": {}, "3": {}}
    broken: dict[str, list[VehicleQRError]] = {"2": [], "3": []}
    for i, version in kei_reads.items():
        code = version[:1]
        if code not in ("2", "3"):
            continue
        name = f"軽自動車の二次元コード{code}"
        parts = _DELIM_RE.split(uniq[i])
        layout = KEI2_LAYOUT if code == "2" else KEI3_LAYOUTS.get(version, KEI3_LAYOUTS["32"])
        if version not in (("22",) if code == "2" else tuple(KEI3_LAYOUTS)):
            kind = "version" if _is_version(version) else "short" if len(version) < 2 else "invalid"
            broken[code].append(_error_from(_Outcome({}, [(1, kind)], [], False), layout, name, parts))
            continue
        outcome = _evaluate(parts, layout, ctx, collect_all=True)
        outcome.fullwidth = outcome.fullwidth or "／" in uniq[i]
        if outcome.ok:
            key = _fields_key(outcome.values)
            valid[code].setdefault(key, (outcome, set()))[1].add(i)
        elif code == "3" and len(parts) == len(layout) and _evaluate(_kei_defect_order(parts), layout, ctx).ok:
            broken[code].insert(0, VehicleQRError(
                "KEI_RECORD_SHEET_DEFECT",
                "この二次元コード3は、2024年1月4日〜12日に印刷された自動車検査証記録事項の不具合（軸重の並び順の誤り）"
                "に当たるため使えません。電子車検証（ICカード）の二次元コードを読み取るか、記録事項を印刷し直してください。"))
        else:
            broken[code].append(_error_from(outcome, layout, name, parts))

    if len(valid["2"]) > 1 or len(valid["3"]) > 1:
        raise _mixed_certificates()
    missing = []
    for code in ("2", "3"):
        if not valid[code]:
            if broken[code]:
                raise broken[code][0]
            missing.append(f"軽自動車の二次元コード{code}")
    if missing:
        raise _missing(missing)
    (o2, used2), = valid["2"].values()
    (o3, used3), = valid["3"].values()
    merged = {"safety_standard_date": None, "fuel_code": None, "fuel_name": None, **o2.values, **o3.values}
    fields = {key: merged[key] for key in KEI_FIELD_KEYS}
    return fields, used2 | used3, o2.notes + o3.notes, o2.fullwidth or o3.fullwidth


# ---------------------------------------------------------------------------
# Entry point


def parse_scans(reads: str | list[str] | tuple[str, ...], *, today: dt.date | None = None) -> VehicleQRResult:
    """Parse what a keyboard-wedge reader typed: one text (reads separated by CR, LF, CRLF or
    Tab) or a list of reads. Returns a complete result or raises VehicleQRError."""
    try:
        return _parse_scans(reads, today or dt.datetime.now(_JST).date())
    except VehicleQRError:
        raise
    except Exception:  # a bug; the clerk still gets a sentence, the log gets the trace
        log.exception("vehicle QR parser failed on %d characters", len(str(reads)))
        raise VehicleQRError(
            "PARSER_FAILURE",
            "読み取りデータを解析できませんでした。入力欄をクリアして、もう一度読み取ってください。"
            "解決しない場合はサポートにご連絡ください。") from None


def _parse_scans(reads: Any, today: dt.date) -> VehicleQRResult:
    reads = _split_reads(reads)
    if not reads:
        raise VehicleQRError("NO_VEHICLE_CODE", "車検証の二次元コードが読み取られていません。"
                             "車検証の二次元コードを読み取ってください。")
    among_codes = any("/" in read or "／" in read for read in reads)
    if any(_looks_ime_kana(read, among_codes) for read in reads):
        raise VehicleQRError("IME_KANA_MODE", _IME_KANA_MESSAGE)

    uniq: list[str] = []
    positions: dict[str, list[int]] = {}
    for index, read in enumerate(reads):  # exact duplicates are re-scans: dropped silently
        if read not in positions:
            positions[read] = []
            uniq.append(read)
        positions[read].append(index)
    if len(uniq) > MAX_READS:  # the assembly search grows with the cube of this
        raise VehicleQRError("TOO_MANY_READS",
                             f"読み取ったデータが多すぎます（{len(uniq)}件）。入力欄をクリアして、"
                             "1台分の車検証だけを読み取ってください。")

    kei_reads = {i: v for i, read in enumerate(uniq) if (v := _kei_version(read)) is not None}
    kei_codes = [i for i, v in kei_reads.items() if v[:1] in ("2", "3")]
    if kei_codes and any(_head(read)[:2] == "2/" for read in uniq):
        raise VehicleQRError(
            "MIXED_VEHICLE_KINDS",
            "軽自動車の二次元コードと登録車の二次元コードが混在しています。1台分の車検証だけを読み取ってください。")

    ctx_kind = "kei" if kei_reads and (kei_codes or not any(_is_reg_head(r) for r in uniq)) else "registered"
    ctx = _Ctx(ctx_kind, today.year % 100)
    notes: list[tuple[str, str]] = []
    if ctx_kind == "kei":
        fields, used, field_notes, fullwidth = _parse_kei(uniq, kei_reads, ctx)
        extra = [i for i, v in kei_reads.items() if _is_version(v) and v[0] not in ("2", "3")]
    else:
        # Every read stays a candidate: a QR3 fragment may begin "K/" when 型式 ends in K.
        fields, used, field_notes, fullwidth = _parse_registered(uniq, ctx)
        extra = []

    if fullwidth:
        notes.append(("FULLWIDTH_NORMALIZED",
                      "全角の英数字・記号を半角に直して読み取りました。QRリーダーの入力欄ではIMEをオフ（半角英数）にしてください。"))
    notes.extend(field_notes)
    if extra:
        versions = "、".join(f"K/{kei_reads[i]}" for i in extra)
        notes.append(("EXTRA_CODE_IGNORED",
                      f"軽自動車の追加の二次元コード（{versions}）は使わないため無視しました。"))
    rejected = sorted(p for i, read in enumerate(uniq) if i not in used and i not in extra
                      for p in positions[read])
    if rejected:
        notes.append(("UNRELATED_CODE_IGNORED",
                      f"読み取ったデータのうち{len(rejected)}件は車検証の二次元コードではないため無視しました。"))
    warnings = tuple(VehicleQRWarning(code, message) for code, message in dict.fromkeys(notes))
    return VehicleQRResult(ctx_kind, fields, warnings, rejected)


# ---------------------------------------------------------------------------
# Encoding (the inverse): the reads a reader would type


def encode_scans(fields: dict[str, Any], *, joined: bool = False, today: dt.date | None = None) -> list[str]:
    """The reads for `fields` (the form parse_scans returns): registered cars as 5 reads
    (QR2 in 2 symbols, QR3 in 3, split as in vehicle-qr.md §3) or, with joined=True, as 2;
    kei cars always as 2 stand-alone codes. Raises ValueError for fields that the codes
    cannot carry exactly (so that parse_scans(encode_scans(f)).fields == f)."""
    kei = "reserved" in fields
    keys = KEI_FIELD_KEYS if kei else FIELD_KEYS
    if set(fields) != set(keys):
        raise ValueError(f"fields must have exactly the keys {keys}")
    pivot_yy = (today or dt.datetime.now(_JST).date()).year % 100
    f = fields

    def check(condition: bool, what: str) -> None:
        if not condition:
            raise ValueError(f"cannot encode {what}")

    def text(key: str, pattern: re.Pattern, blank: str) -> str:
        value = f[key]
        if value is None:
            return blank
        check(isinstance(value, str) and bool(pattern.fullmatch(value)) and not _is_blank(value), key)
        return value

    def number(key: str, width: int, unit: int = 1) -> str:
        value = f[key]
        if value is None:
            return "-" + " " * (width - 1)
        check(isinstance(value, int) and not isinstance(value, bool) and value % unit == 0
              and 0 <= value // unit < 10**width, key)
        return f"{value // unit:0{width}d}"

    def date(key: str, blank: str, pivot: int | None, month_only: bool = False) -> str:
        value = f[key]
        if value is None:
            return blank
        try:
            day = dt.date.fromisoformat(value + "-01" if month_only else value)
        except (TypeError, ValueError):
            raise ValueError(f"cannot encode {key}") from None
        check(_two_digit_year(day.year % 100, pivot) == day.year
              and day.isoformat()[: 7 if month_only else 10] == value, key)
        return day.strftime("%y%m" if month_only else "%y%m%d")

    plate = f["plate_raw"]
    check(isinstance(plate, str), "plate_raw")
    try:
        parts = _split_plate(plate)
    except _Bad:
        raise ValueError("cannot encode plate_raw") from None
    check(all(f[k] == v for k, v in parts.items()), "plate parts (they must match plate_raw)")
    check(isinstance(f["form_type"], str) and bool(re.fullmatch("[0-9]", f["form_type"])), "form_type")
    check(f["chassis_number"] is not None, "chassis_number (required)")
    code2_tail = [
        text("plate_type_code", _ALNUM1_RE, "-"),
        text("chassis_number", _CHASSIS_RE, "-"),
        text("engine_model", _ENGINE_RE, "-"),
        f["form_type"],
    ]

    tdn, category = f["type_designation_number"], f["category_number"]
    if tdn is None:
        check(category is None, "category_number without type_designation_number")
        tdn_text = ""
    elif category is None:
        check(isinstance(tdn, str) and bool(_TDN_RE.fullmatch(tdn)) and len(tdn.lstrip("*")) != 9,
              "type_designation_number")
        tdn_text = tdn
    else:
        check(isinstance(tdn, str) and bool(re.fullmatch(r"\*?[0-9]{5}", tdn))
              and isinstance(category, str) and bool(re.fullmatch("[0-9]{4}", category)),
              "type_designation_number/category_number")
        tdn_text = tdn + category
    check(f["expiry_available"] is (f["expiry_date"] is not None), "expiry_available")
    model = text("model", _MODEL_RE, "-")
    prefix = _EMISSION_RE.match(f["model"]) if f["model"] else None
    check(f["emission_prefix"] == (prefix.group(1) if prefix else None), "emission_prefix")
    check(f["noise_regulation_code"] is None or (
        isinstance(f["noise_regulation_code"], str) and len(f["noise_regulation_code"]) == 2
        and bool(re.fullmatch("[0-9A-Z]{2}", f["noise_regulation_code"]))), "noise_regulation_code")
    body = [
        text("chassis_stamp_position", _STAMP_RE, "-  "),
        tdn_text,
        date("expiry_date", "999999", None),
        date("first_registration", "9999", pivot_yy, month_only=True),
        model,
        number("axle_weight_ff_kg", 4, 10),
        number("axle_weight_fr_kg", 4, 10),
        number("axle_weight_rf_kg", 4, 10),
        number("axle_weight_rr_kg", 4, 10),
        f["noise_regulation_code"] or "- ",
        number("proximity_exhaust_noise_db", 3),
        text("drive_system_code", _ALNUM1_RE, "-"),
        text("opacimeter_code", _ALNUM1_RE, "-"),
        text("nox_pm_mode", _ALNUM1_RE, "-"),
        text("nox_value", re.compile("[0-9.]{1,4}"), "-   "),
        text("pm_value", re.compile("[0-9.]{1,5}"), "-    "),
    ]
    fuel_code = f["fuel_code"]
    if fuel_code is None:
        check(f["fuel_name"] is None, "fuel_name without fuel_code")
    else:
        check(isinstance(fuel_code, str) and bool(re.fullmatch("[0-9]{2}", fuel_code)) and fuel_code != "00"
              and f["fuel_name"] == FUEL_NAMES.get(fuel_code), "fuel_code/fuel_name")
    fuel = fuel_code or "00"

    if kei:
        version3 = f["qr3_version"]
        check(f["qr2_version"] == "22" and version3 in KEI3_LAYOUTS, "qr2_version/qr3_version")
        check(f["safety_standard_date"] is None, "safety_standard_date (not in kei codes)")
        check(version3 == "32" or fuel_code is None, "fuel_code (not in kei version 31)")
        check(f["reserved"] is None or (isinstance(f["reserved"], str)
                                        and bool(re.fullmatch("[0-9]{3}|[0-9]{6}", f["reserved"]))), "reserved")
        tail = ([fuel] if version3 == "32" else []) + [f["reserved"] or "-  "]
        return ["/".join(["K", "22", plate] + code2_tail),
                "/".join(["K", version3] + body + tail)]

    check(f["qr2_version"] == "2" and f["qr3_version"] == "2", "qr2_version/qr3_version")
    qr2 = "/".join(["2", plate] + code2_tail)
    qr3_fields = ["2"] + body + [date("safety_standard_date", "999999", pivot_yy), fuel]
    qr3 = "/".join(qr3_fields)
    if joined:
        return [qr2, qr3]
    # QR2: "2/" + 11 plate characters | the 12th, then the rest. QR3: 5 | 6 | 7 delimiters,
    # the first cut inside 型式 (§3).
    cut = math.ceil(len(model) / 2)
    qr3_1 = "/".join(qr3_fields[:5]) + "/" + model[:cut]
    qr3_2 = model[cut:] + "/" + "/".join(qr3_fields[6:11]) + "/"
    qr3_3 = "/".join(qr3_fields[11:])
    return [qr2[:13], qr2[13:], qr3_1, qr3_2, qr3_3]
