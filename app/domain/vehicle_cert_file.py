"""車検証閲覧アプリ export (車検証情報ファイル, JSON) of the electronic certificate's IC tag.

It supplies what the two-dimensional codes lack: the real expiry, the odometer (in 備考),
owner and user. Format: shared/domain/vehicle-cert-file.md (§9 is the recipe followed here);
worked cases: tests/data/vehicle-cert-file-samples.json. Pure Python: no Flask, no database.

    parse_cert_file(data, scanned_chassis_number=None) -> VehicleCertFile
        or raises VehicleCertFileError (`.code`, Japanese `.message`)

Key names keep MLIT's spellings (`Transpotation…`, `…Expirdate`) and are matched exactly.
Unknown keys are ignored; absent keys count as "".
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from app.domain import json_limits
from app.domain.messages import CodedError, DomainWarning
from app.domain.wareki import parse_wareki

MAX_FILE_BYTES = 1024 * 1024
SUPPORTED_FILE_VERSIONS = ("1.0",)

FIELD_KEYS: tuple[str, ...] = (
    "vehicle_kind", "file_version", "form_type", "elect_cert_mg_no", "car_id",
    "plate", "plate_text", "chassis_number", "model", "engine_model", "car_name",
    "expiry_date", "expiry_mirror_date", "grant_date", "registration_date", "card_issued_on",
    "application_date", "first_registration",
    "owner_name", "owner_address", "owner_same_as_user",
    "user_name", "user_address", "user_same_as_owner", "use_base_address",
    "car_kind", "use", "private_business", "body_shape", "capacity", "max_load_kg",
    "vehicle_weight_kg", "gross_weight_kg", "length_cm", "width_cm", "height_cm",
    "displacement", "displacement_unit", "fuel",
    "odometer_km", "odometer_recorded_on", "previous_odometer_km", "previous_odometer_recorded_on",
    "obd_target",
)

_SAME_AS_OWNER = "***"  # 登録車: ＊＊＊ after NFKC
_KEI_SAME_AS_USER = "使用者に同じ"
_KEI_SAME_AS_USER_ADDRESS = "使用者住所に同じ"


class VehicleCertFileError(CodedError):
    """The file cannot be accepted. `.message` tells the clerk what to do next."""


VehicleCertFileWarning = DomainWarning


@dataclass(frozen=True)
class VehicleCertFile:
    fields: dict[str, Any]
    warnings: tuple[VehicleCertFileWarning, ...] = ()
    cert_info: dict[str, str] = field(default_factory=dict)  # the file's CertInfo, kept for re-parsing


def cert_file_to_dict(result: VehicleCertFile) -> dict[str, Any]:
    return {**result.fields,
            "warnings": [{"code": w.code, "message": w.message} for w in result.warnings]}


# ---------------------------------------------------------------------------


def _nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def _text(value: str) -> str | None:
    """A code-like text (plate parts, 車台番号, 型式 …): NFKC and stripped; "" is None."""
    return _nfkc(value) or None


def _era_to_date(era: str, year: str, month: str, day: str | None = None) -> dt.date | None:
    """The date of an era-split date (E/Y/M/D keys: `令和`, `" 7"`, `" 1"`, `" 4"`), or None if
    it does not exist or lies outside its era. With day None it is a year-month (returned as
    its first day), valid when any day of the month lies in the era (平成31年4月, 令和元年5月)."""
    era, year, month = re.sub(r"\s", "", _nfkc(era)), _nfkc(year), _nfkc(month)
    for candidate in ([_nfkc(day)] if day is not None else ["1", "31", "30", "29", "28"]):
        try:
            value = parse_wareki(f"{era}{year}年{month}月{candidate}日")
        except ValueError:
            continue
        return value if day is not None else value.replace(day=1)
    return None


class _Reader:
    """Reads CertInfo keys and collects warnings."""

    def __init__(self, info: dict[str, str]):
        self.info = info
        self.warnings: list[VehicleCertFileWarning] = []

    def get(self, key: str) -> str:
        return self.info.get(key, "")

    def warn(self, code: str, message: str) -> None:
        self.warnings.append(VehicleCertFileWarning(code, message))

    def date(self, prefix: str, *, with_day: bool = True) -> tuple[dt.date | None, str]:
        """(date, raw text) from the E/Y/M(/D) keys. raw is "" when they are all empty; the
        date is None when absent or unreadable."""
        parts = [self.get(prefix + suffix) for suffix in ("E", "Y", "M", "D")[: 4 if with_day else 3]]
        raw = "".join(parts)
        if not raw.strip(" \u3000"):
            return None, ""
        return _era_to_date(*parts), raw

    def optional_date(self, prefix: str, label: str, *, with_day: bool = True) -> str | None:
        value, raw = self.date(prefix, with_day=with_day)
        if value is None:
            if raw:
                self.warn("invalid_date", f"{label}（{raw}）を日付として読めなかったため、空欄にしました。")
            return None
        return value.isoformat() if with_day else value.isoformat()[:7]

    def number(self, key: str, label: str) -> int | None:
        raw = self.get(key)
        value = _nfkc(raw).replace(",", "")
        if value in ("", "-"):
            return None
        if re.fullmatch("[0-9]+", value):
            return int(value)
        self.warn("value_not_numeric", f"{label}「{raw}」は数値として読めないため、取り込みませんでした。車検証を見て確認してください。")
        return None

    def name(self, prefix: str) -> str | None:
        return self.get(prefix + "HighLevelChar") or self.get(prefix + "LowLevelChar") or None


def _plate(raw: str) -> tuple[dict[str, str | None], str | None]:
    parts = _nfkc(raw).split()
    if len(parts) == 4:
        area, plate_class, kana, serial = parts
    elif len(parts) == 3:
        (area, kana, serial), plate_class = parts, None
    else:
        return {"area": None, "class": None, "kana": None, "serial": None}, (" ".join(parts) or None)
    return ({"area": area, "class": plate_class, "kana": kana, "serial": serial},
            " ".join(p for p in (area, plate_class, kana, serial) if p))


_ODOMETER_RE = re.compile(r"^(旧|前回)?走行距離計表示値\s*([0-9][0-9,]*)\s*km\s*(?:\((.*?)\))?")


def _odometer(note: str) -> dict[str, Any]:
    """走行距離計表示値 lines of 備考 (vehicle-cert-file.md §7; their wording is unverified)."""
    found: dict[str, Any] = {"odometer_km": None, "odometer_recorded_on": None,
                             "previous_odometer_km": None, "previous_odometer_recorded_on": None}
    for line in unicodedata.normalize("NFKC", note).splitlines():
        match = _ODOMETER_RE.match(line.strip())
        if not match:
            continue
        key = "previous_odometer" if match.group(1) else "odometer"
        if found[f"{key}_km"] is not None:
            continue
        found[f"{key}_km"] = int(match.group(2).replace(",", ""))
        try:
            found[f"{key}_recorded_on"] = parse_wareki(match.group(3)).isoformat() if match.group(3) else None
        except ValueError:
            found[f"{key}_recorded_on"] = None
    return found


def _mirror_expiry(raw: str) -> str | None:
    value = _nfkc(raw)
    if not re.fullmatch("[0-9]{6}", value) or value == "999999":
        return None
    try:
        return dt.date(2000 + int(value[:2]), int(value[2:4]), int(value[4:])).isoformat()
    except ValueError:
        return None


def _not_cert_file() -> VehicleCertFileError:
    return VehicleCertFileError("NOT_CERT_FILE", "このファイルは車検証情報ファイルではありません。"
                                "車検証閲覧アプリで出力したJSONファイルを選んでください。")


def _load(data: bytes | str | dict) -> dict:
    if isinstance(data, dict):
        return data
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError("data must be bytes, str or an already parsed dict")
    if len(data) > MAX_FILE_BYTES:
        raise VehicleCertFileError("TOO_LARGE", "ファイルが大きすぎます（1MBまで）。車検証閲覧アプリで出力した"
                                   "車検証情報ファイル（JSON）を選んでください。")
    try:
        loaded = json_limits.load(bytes(data), encoding="utf-8-sig")
    except json_limits.JsonRefused:  # not JSON, nested too deep, a NUL: not the app's file
        raise VehicleCertFileError("NOT_JSON", "車検証情報ファイル（JSON）として読み込めませんでした。"
                                   "車検証閲覧アプリで出力したJSONファイルを選んでください。") from None
    if not isinstance(loaded, dict):
        raise _not_cert_file()
    return loaded


def parse_cert_file(data: bytes | str | dict, *, scanned_chassis_number: str | None = None) -> VehicleCertFile:
    """Import a 車検証情報ファイル. With `scanned_chassis_number` (from the certificate's
    two-dimensional codes), a file for another vehicle is refused."""
    loaded = _load(data)
    info = loaded.get("CertInfo")
    version = loaded.get("CertInfoImportFileVersion")
    if not isinstance(info, dict) or version is None:
        raise _not_cert_file()
    if version not in SUPPORTED_FILE_VERSIONS:
        raise VehicleCertFileError("UNSUPPORTED_VERSION", f"この車検証情報ファイルの形式（バージョン{version}）には"
                                   "対応していません。サポートにご連絡ください。")
    for key, value in info.items():
        if not isinstance(value, str):
            raise VehicleCertFileError("INVALID_FILE", f"車検証情報ファイルの内容が正しくありません（{key}）。"
                                       "車検証閲覧アプリでファイルを出力し直してください。")
    kind = {"01": "registered", "02": "kei"}.get(_nfkc(info.get("RegistCarLightCar", "")))
    if kind is None:
        raise VehicleCertFileError("UNKNOWN_KIND", "登録自動車か軽自動車かを判別できません（RegistCarLightCar）。"
                                   "車検証閲覧アプリでファイルを出力し直してください。")
    r = _Reader(info)

    chassis = _text(r.get("CarNo"))
    if scanned_chassis_number is not None:
        scanned = _nfkc(scanned_chassis_number).upper()
        if chassis is None or chassis.upper() != scanned:
            raise VehicleCertFileError(
                "CHASSIS_MISMATCH",
                f"この車検証情報ファイルの車台番号（{chassis or '記載なし'}）が、読み取った二次元コードの車台番号"
                f"（{scanned}）と一致しません。別の車両のファイルです。同じ車両の車検証情報ファイルを選んでください。")

    expiry, raw = r.date("ValidPeriodExpirdate")
    if raw and expiry is None:
        raise VehicleCertFileError("INVALID_DATE", f"有効期間の満了する日（{raw}）を日付として読めません。"
                                   "車検証閲覧アプリでファイルを出力し直すか、車検証を見て入力してください。")
    expiry_date = expiry.isoformat() if expiry else None
    mirror = _mirror_expiry(r.get("TwodimensionCodeInfoValidPeriodExpirdate"))
    if expiry_date and mirror and expiry_date != mirror:
        r.warn("expiry_mismatch", f"有効期間の満了する日がファイル内で食い違っています（{expiry_date} と {mirror}）。"
                                  "車検証を見て確認してから使ってください。")
    elif expiry_date is None:
        r.warn("expiry_not_recorded", "有効期間の満了する日がファイルにありません"
               + (f"（二次元コード情報では {mirror}）" if mirror else "") + "。車検証を見て確認・入力してください。")

    plate, plate_text = _plate(r.get("EntryNoCarNo"))
    if plate_text is not None and plate["area"] is None:
        r.warn("plate_unrecognised", f"自動車登録番号「{r.get('EntryNoCarNo')}」を分けて読めませんでした。確認してください。")

    if kind == "registered":
        owner_name = r.name("Ownername")
        owner_address = (r.get("OwnerAddressChar") + r.get("OwnerAddressNumValue")) or None
        user_same_as_owner = _nfkc(r.name("Username") or "") == _SAME_AS_OWNER
        user_name = owner_name if user_same_as_owner else r.name("Username")
        user_address = (owner_address if _nfkc(r.get("UserAddressChar")) == _SAME_AS_OWNER
                        else (r.get("UserAddressChar") + r.get("UserAddressNumValue")) or None)
        use_base_address = (user_address if _nfkc(r.get("UseheadqrterChar")) == _SAME_AS_OWNER
                            else (r.get("UseheadqrterChar") + r.get("UseheadqrterNumValue")) or None)
        owner_same_as_user = False
        first_registration = r.optional_date("Firstregistdate", "初度登録年月", with_day=False)
    else:
        user_name = r.name("Username")
        user_address = r.get("UserAddress") or None
        owner_same_as_user = _nfkc(r.name("Ownername") or "") == _KEI_SAME_AS_USER
        owner_name = user_name if owner_same_as_user else r.name("Ownername")
        owner_address = (user_address if _nfkc(r.get("OwnerAddress")) == _KEI_SAME_AS_USER_ADDRESS
                         else r.get("OwnerAddress") or None)
        use_base_address = (user_address if _nfkc(r.get("Useheadqrter")) == _KEI_SAME_AS_USER_ADDRESS
                            else r.get("Useheadqrter") or None)
        user_same_as_owner = False
        first_registration = r.optional_date("Firstexamdate", "初度検査年月", with_day=False)
    if owner_name is None:
        # 様式B: the owner is only in the notes, as the owner when the certificate was issued.
        owner_address = None
        r.warn("owner_not_recorded", "所有者がファイルに記録されていません（備考に交付時の所有者が書かれている場合が"
               "あります）。所有者は車検証を見て確認・入力してください。")

    odometer = _odometer(r.get("NoteInfo"))
    if odometer["odometer_km"] is None:
        r.warn("odometer_not_found", "備考に走行距離計表示値がありません。走行距離計の表示値を入力してください。")

    fields = {
        "vehicle_kind": kind,
        "file_version": version,
        "form_type": _text(r.get("FormType")),
        "elect_cert_mg_no": _text(r.get("ElectCertMgNo")),
        "car_id": _text(r.get("CarId")),
        "plate": plate,
        "plate_text": plate_text,
        "chassis_number": chassis,
        "model": _text(r.get("Model")),
        "engine_model": _text(r.get("EngineModel")),
        "car_name": r.get("CarName").strip() or None,
        "expiry_date": expiry_date,
        "expiry_mirror_date": mirror,
        "grant_date": r.optional_date("Grantdate", "交付年月日"),
        "registration_date": r.optional_date("Reggrantdate", "登録年月日") if kind == "registered" else None,
        "card_issued_on": r.optional_date("ElectCertPublishdate", "電子車検証発行年月日"),
        "application_date": r.optional_date("ApplicationDate", "申請年月日") if kind == "kei" else None,
        "first_registration": first_registration,
        "owner_name": owner_name,
        "owner_address": owner_address,
        "owner_same_as_user": owner_same_as_user,
        "user_name": user_name,
        "user_address": user_address,
        "user_same_as_owner": user_same_as_owner,
        "use_base_address": use_base_address,
        "car_kind": re.sub(r"\s", "", _nfkc(r.get("CarKind"))) or None,
        "use": _text(r.get("Use")),
        "private_business": _text(r.get("PrivateBusiness")),
        "body_shape": _text(r.get("CarShape")),
        "capacity": r.number("Cap", "乗車定員"),
        "max_load_kg": r.number("Maxloadage", "最大積載量"),
        "vehicle_weight_kg": r.number("CarWgt", "車両重量"),
        "gross_weight_kg": r.number("CarTotalWgt", "車両総重量"),
        "length_cm": r.number("Length", "長さ"),
        "width_cm": r.number("Width", "幅"),
        "height_cm": r.number("Height", "高さ"),
        "displacement": _text(r.get("Displacement")),
        "displacement_unit": _text(r.get("DisplacementUnit")) or "L",
        "fuel": _text(r.get("FuelClass")),
        **odometer,
        # 「OBD検査対象」 is printed in 備考 (shop-workflow.md §4 [S]; its place in the file [I]).
        "obd_target": "OBD検査対象" in _nfkc(r.get("NoteInfo")).upper(),
    }
    _check_ids(r, kind, fields["elect_cert_mg_no"], fields["car_id"])
    return VehicleCertFile({key: fields[key] for key in FIELD_KEYS}, tuple(r.warnings), dict(info))


def _check_ids(r: _Reader, kind: str, mg_no: str | None, car_id: str | None) -> None:
    """ID shapes seen in all 7 official samples; a difference warns, never refuses (§8)."""
    digits, prefix = (12, "T") if kind == "registered" else (13, "K")
    if (mg_no is not None and not re.fullmatch(f"[0-9]{{{digits}}}", mg_no)) or (
            car_id is not None and not re.fullmatch(f"{prefix}[0-9A-Z]{{13}}", car_id)):
        r.warn("id_format_unexpected", "電子車検証管理番号または車両IDの形が想定と異なります。車検証の記載と確認してください。")
