"""中古新規 and 中古予備検査 保適証 (shop-workflow.md §1): the kinds, their source documents and
the rules that differ from a 継続検査. Pure: no Flask, no database.

The source documents' codes have no public layout. Following §1 [I], they are read as carrying
the 車検証's vehicle codes (same fields, same tolerance: ``vehicle_qr.parse_scans``), and the
document is told apart by its 帳票種別. ``SOURCE_DOCUMENTS`` is the one table to correct when
the real layout is known.

    parse_document_scans(reads, purpose, today) -> VehicleQRResult, or raises VehicleQRError
    used_assessment(...)                       -> the dates and the 自賠責 check (from 検査年月日)
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from app.domain import vehicle_qr
from app.domain.wareki import format_wareki

RENEWAL = "renewal"


@dataclass(frozen=True)
class Purpose:
    code: str
    label: str
    new_person: str | None  # whom the shop types anew: 使用者 (中古新規) or 所有者 (予備検査)
    window_only: bool  # hybrid (窓口申請) only
    hides_registration: bool  # the 登録番号 is kept for the shop, never sent to AIRAS


# 予備検査 cannot use OSS [S] (denshishakensho-portal, business/service). A 中古新規 is a 新規登録,
# not a 継続検査: Keizoku's OSS route is the AINAS 継続検査 申請依頼, so it goes as hybrid too [I].
PURPOSES = {
    RENEWAL: Purpose(RENEWAL, "継続検査", None, False, False),
    "used_new": Purpose("used_new", "中古新規", "使用者", True, True),
    "used_preliminary": Purpose("used_preliminary", "中古予備検査", "所有者", True, True),
}


@dataclass(frozen=True)
class SourceDocument:
    code: str
    label: str
    vehicle_kind: str  # as vehicle_qr's result: "registered" or "kei"
    form_types: tuple[str, ...]  # 帳票種別 (vehicle_qr_codes.json) the document's codes carry
    where: str  # which codes the clerk reads


SOURCE_DOCUMENTS = {
    "registration_notice": SourceDocument(
        "registration_notice", "登録識別情報等通知書または一時抹消登録証明書", "registered", ("2",),
        "左から3番目と4番目の二次元コードを続けて"),
    "kei_return_certificate": SourceDocument(
        "kei_return_certificate", "自動車検査証返納証明書", "kei", ("4",),
        "右端の二次元コード(車検証と同じもの)を"),
}


def purpose_of(code: str | None) -> Purpose:
    """The purpose for a stored code ("" or None: 継続検査); KeyError for an unknown one."""
    return PURPOSES[code or RENEWAL]


def is_used(code: str | None) -> bool:
    return (code or RENEWAL) != RENEWAL


def document_for(vehicle_kind: str) -> SourceDocument:
    return next(d for d in SOURCE_DOCUMENTS.values() if d.vehicle_kind == vehicle_kind)


def read_instructions(purpose_code: str) -> str:
    """What the scan page tells the clerk to read for a 中古 purpose."""
    purpose = purpose_of(purpose_code)
    docs = "。".join(f"{'登録車' if d.vehicle_kind == 'registered' else '軽自動車'}は{d.label}の{d.where}読み取ってください"
                     for d in SOURCE_DOCUMENTS.values())
    return f"{purpose.label}の保適証です。{docs}。"


def parse_document_scans(reads, purpose_code: str, *, today: dt.date | None = None):
    """The codes of a 中古 purpose's source document, with the 車検証 parser's tolerance and
    diagnoses; refused (VehicleQRError, Japanese) when they are another document's."""
    result = vehicle_qr.parse_scans(reads, today=today)
    purpose = purpose_of(purpose_code)
    document = document_for(result.vehicle_kind)
    form_type = result.fields.get("form_type")
    if form_type not in document.form_types:
        name = vehicle_qr.FORM_TYPES[result.vehicle_kind].get(form_type, f"帳票種別{form_type}")
        code = "DOCUMENT_IS_CERTIFICATE" if form_type == "1" else "WRONG_DOCUMENT"
        raise vehicle_qr.VehicleQRError(
            code, f"読み取ったのは「{name}」の二次元コードです。{purpose.label}では{document.label}の"
                  f"{document.where}読み取ってください。")
    # The 帳票種別 is the expected one here: the 車検証 flow's warning about it does not apply.
    warnings = tuple(w for w in result.warnings if w.code != "FORM_TYPE_NOT_CERTIFICATE")
    return replace(result, warnings=warnings)


def _years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def used_assessment(*, purpose_code: str, inspection_date: dt.date, validity_years: int,
                    insurance_start: dt.date, insurance_end: dt.date) -> dict:
    """Dates for a 中古 保適証: valid 15 days from the 検査年月日; the new validity (set at the
    window when the car is registered) counted from the 検査年月日, which is what AIRAS checks
    the 自賠責 against (§1 [S]). ``blocked`` when the 自賠責 does not cover it."""
    purpose = purpose_of(purpose_code)
    valid_until = inspection_date + dt.timedelta(days=14)
    new_expiry = _years_later(inspection_date, validity_years) - dt.timedelta(days=1)
    warnings = []
    if insurance_start > inspection_date:
        warnings.append({"code": "INSURANCE_SHORT_FOR_ALL_DATES", "message": (
            f"{purpose.label}の自賠責は検査年月日({format_wareki(inspection_date)})から保険期間が始まっている"
            f"必要があります(始期 {format_wareki(insurance_start)})。保険期間を確認してください。")})
    # 自賠責 ends at noon of its last day: it must end at least one day after the validity.
    if insurance_end < new_expiry + dt.timedelta(days=1):
        warnings.append({"code": "INSURANCE_SHORT_FOR_ALL_DATES", "message": (
            f"{purpose.label}の自賠責は検査年月日から{validity_years}年({format_wareki(new_expiry)}まで)を"
            f"覆う必要があります。終期({format_wareki(insurance_end)})は"
            f"{format_wareki(new_expiry + dt.timedelta(days=1))}以降にしてください。")})
    return {
        "certificate_valid_until": valid_until.isoformat(),
        "window_start": None,
        "new_expiry_date": new_expiry.isoformat(),
        "last_application_date": valid_until.isoformat(),
        "last_application_date_differs": False,
        "insurance_end": insurance_end.isoformat(),
        "previous_odometer_km": None,
        "warnings": warnings,
        "blocked": bool(warnings),
    }
