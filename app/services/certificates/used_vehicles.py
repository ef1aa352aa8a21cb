"""中古新規 and 中古予備検査 in the wizard (issue 15.1, shop-workflow.md §1): the hooks the draft
steps and the confirmation call. The rules themselves are in app/domain/used_vehicles.py.

A draft's kind is ``data["purpose"]`` (absent for a 継続検査). For a 中古 kind the 使用者 (中古新規)
or 所有者 (中古予備検査) read from the documents is the one at de-registration: it is kept aside
and the clerk must type the new one before the inspection step; the 登録番号 is kept for the shop
but never sent to AIRAS; the 自賠責 is checked from the 検査年月日; the kind goes as hybrid.
"""
from __future__ import annotations

from app.domain import used_vehicles as rules
from app.services.certificates.common import CertificateInputError, stored_date

PURPOSE_LABELS = {code: purpose.label for code, purpose in rules.PURPOSES.items()}


def purpose_code(data):
    return (data or {}).get("purpose") or rules.RENEWAL


def is_used(data):
    return rules.is_used(purpose_code(data))


def chosen_purpose(value):
    """The kind chosen at the wizard's start ("" is a 継続検査)."""
    if value in (None, ""):
        return rules.RENEWAL
    if value not in rules.PURPOSES:
        raise CertificateInputError("保適証の種類(継続検査・中古新規・中古予備検査)を選び直してください。")
    return value


def initial_data(purpose):
    return {} if not rules.is_used(purpose) else {"purpose": purpose}


def read_instructions(data_or_purpose):
    code = data_or_purpose if isinstance(data_or_purpose, str) else purpose_code(data_or_purpose)
    return rules.read_instructions(code) if rules.is_used(code) else ""


def parse_document(reads, purpose, today):
    """The source document's codes (VehicleQRError, Japanese, when they are another document's)."""
    return rules.parse_document_scans(reads, purpose, today=today)


def new_person_label(data):
    return rules.purpose_of(purpose_code(data)).new_person or "使用者"


def after_scan(data, vehicle):
    """A 使用者 read from a file for a 中古 kind is the de-registration's: kept aside, never prefilled."""
    if not is_used(data):
        return vehicle
    vehicle = dict(vehicle)
    vehicle["read_owner_name"] = vehicle.pop("owner_name", "") or ""
    vehicle["read_owner_address"] = vehicle.pop("owner_address", "") or ""
    return vehicle


def needs_current_expiry(data):
    """A 継続検査 needs the current 有効期間; a de-registered car has none."""
    return not is_used(data)


def vehicle_problems(data, previous, owner_name, owner_address):
    """The new 使用者/所有者 must not be the one read from the documents."""
    if not is_used(data):
        return []
    purpose = rules.purpose_of(purpose_code(data))
    read_name, read_address = previous.get("read_owner_name") or "", previous.get("read_owner_address") or ""
    if read_name and owner_name == read_name and owner_address == read_address:
        return [f"読み取った{purpose.new_person}({read_name})は抹消登録時のものです。{purpose.label}では新しい"
                f"{purpose.new_person}の氏名・名称と住所を入力してください。"]
    return []


def vehicle_marks(data):
    return {"new_person_entered": True} if is_used(data) else {}


def inspection_problems(data, application_type):
    if not is_used(data):
        return []
    purpose = rules.purpose_of(purpose_code(data))
    problems = []
    if not ((data or {}).get("vehicle") or {}).get("new_person_entered"):
        problems.append(f"{purpose.label}では、読み取った{purpose.new_person}を新しい{purpose.new_person}に置き換えてから"
                        f"進んでください。車両の確認で新しい{purpose.new_person}の氏名・名称と住所を入力してください。")
    if purpose.window_only and application_type == "oss":
        problems.append(f"{purpose.label}の保適証はOSS申請できません(窓口申請だけです)。"
                        "申請方法をハイブリッド申請(窓口申請)にしてください。")
    return problems


def assessment(data):
    """The 中古 kinds' dates and 自賠責 check, or None for a 継続検査 (its own rules apply)."""
    if not is_used(data):
        return None
    inspection, policies = data["inspection"], data["insurance"]["policies"]
    return rules.used_assessment(
        purpose_code=purpose_code(data), inspection_date=stored_date(inspection["inspection_date"]),
        validity_years=inspection["validity_years"],
        insurance_start=min(stored_date(p["start_date"]) for p in policies),
        insurance_end=max(stored_date(p["end_date"]) for p in policies))


def airas_registration(data, registration):
    """The 登録番号 as AIRAS gets it: none for a 中古 kind (the shop keeps it on its side)."""
    return None if rules.purpose_of(purpose_code(data)).hides_registration else registration
