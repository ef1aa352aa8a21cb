"""Record (記録簿) use cases: create, enter results as they are tapped, measurements, parts
patterns, tester import, signing, correction, PDF output (billed once), background batch
printing and retention.

Each function takes the tenant explicitly, loads rows only through app.tenancy, validates
everything before changing anything (a bad input leaves the record as it was) and raises
`RecordError` with a Japanese sentence saying what to do next. Row changes are audited by the
session events (Record is ``__audited__``); results, which change with every tap, are logged
compactly with ``audit.record``. The caller commits, except where noted: the first output
commits its billable event before the PDF leaves, batch printing runs in its own thread, and
the retention purge commits batch by batch.

Settings read: RECORDS_FILE_DIR (stored PDFs; default instance/record_files),
RECORDS_RETENTION_YEARS (default 2), PUBLIC_BASE_URL (the QR link).
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import shutil
import threading
import time
from datetime import date, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path

from flask import current_app
from pypdf import PdfWriter
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import object_session
from werkzeug.security import check_password_hash, generate_password_hash

from app import audit
from app.domain.inspection_forms import (
    applicable_checks,
    decode_results,
    encode_results,
    load_form,
    validate_result,
)
from app.domain.tester_import import TesterImportError, builtin_profiles, parse_tester_export
from app.domain.wheel_positions import (
    MEASUREMENTS,
    axle_labels,
    canonical_position,
    canonical_values,
    positions,
    validate_layout,
)
from app.models.record import PartsPattern, PartsPatternItem, PrintBatch, Record, TesterProfile
from app.models.tenancy import ChiefMechanic, Inspector, Site
from app.reports.record_pdf import render_record_pdf
from app.services import record_from_certificate as from_certificate
from app.services.billable import record_billable_event
from app.tenancy import get_owned_or_404, scope, tenant_criteria
from app.timeutil import JST, now, utcnow_naive

log = logging.getLogger(__name__)

FORM_INTERVALS = {"beppyo3": (3, 12), "beppyo4": (3, 12), "beppyo5": (6, 12), "beppyo6": (12, 24)}
COPIES = {"shop": "事業場控え(A3)", "customer": "お客様用(A4)"}
# Per-wheel measurements are app.domain.wheel_positions.MEASUREMENTS, held as
# {position: value} with the record's axle layout's positions ("1L", "2LO", …).
# measurement key → (label, unit, max) for the values measured once (at idle).
SCALAR_MEASUREMENTS = {
    "co_percent": ("一酸化炭素の濃度", "%", 10),
    "hc_ppm": ("炭化水素の濃度", "百万分率", 10000),
    "smoke_percent": ("黒煙", "%", 100),
}
DETAIL_FIELDS = {
    "registration_number": ("自動車登録番号(車両番号)", 40),
    "chassis_number": ("車台番号", 40),
    "model_code": ("型式", 40),
    "car_name": ("車名", 60),
    "engine_model": ("原動機の型式", 40),
    "first_registration": ("初度登録年月", 7),
    "customer_name": ("依頼者(使用者)の氏名又は名称", 200),
    "customer_address": ("依頼者(使用者)の住所", 300),
    "work_summary": ("整備の概要", 2000),
    "certificate_number": ("保安基準適合証の番号", 40),
    "sticker_number": ("保安基準適合標章の番号", 40),
    "limited_certificate_number": ("限定保安基準適合証の番号", 40),
}
SIGNER_ROLES = {
    # signature → (login roles allowed, staff model, label)
    "inspector": (("inspector",), Inspector, "自動車検査員"),
    "chief_mechanic": (("site_manager", "inspector"), ChiefMechanic, "整備主任者"),
}
LOCKED_MESSAGE = ("署名済みの記録簿は変更できません。直す場合は「訂正版を作成」で新しい版を作ってください。")


audit.ACTION_LABELS.update({
    "record_result": "記録簿 点検結果の入力",
    "record_device_good": "記録簿 装置ごとの全て良好",
    "record_tester_import": "記録簿 検査機器の取込み",
    "record_signed": "記録簿 署名",
    "record_corrected": "記録簿 訂正版の作成",
    "record_pdf_output": "記録簿 PDF出力",
    "records_purged": "記録簿 保存期間経過による削除",
    "signing_pin_set": "署名用暗証番号の設定",
    "record_sign_pin_refused": "記録簿 署名(暗証番号の誤り)",
})


class RecordError(ValueError):
    """A user-facing refusal (Japanese); nothing was changed."""


class PinRefused(RecordError):
    """A wrong PIN for ``signer_id``: the caller rolls back, then counts it (``note_pin_refused``)."""

    def __init__(self, message, signer_id):
        super().__init__(message)
        self.signer_id = signer_id


# ---------------------------------------------------------------- loading


def require_records_site(session, tenant, site_id) -> Site:
    site = get_owned_or_404(session, Site, site_id, tenant)
    if not site.records_enabled:
        raise RecordError(f"{site.name}では記録簿メニューが開通していません。"
                          "ご利用には協会サポートデスクへお申し込みください。")
    return site


def load_record(session, tenant, record_id) -> Record:
    record = get_owned_or_404(session, Record, record_id, tenant)
    require_records_site(session, tenant, record.site_id)
    return record


def _editable(session, tenant, record_id) -> Record:
    record = load_record(session, tenant, record_id)
    if record.locked:
        raise RecordError(LOCKED_MESSAGE)
    return record


def record_form(record):
    return load_form(record.form, record.inspection_date)


def record_checks(record):
    return applicable_checks(record_form(record), record.interval_months)


def record_results(record) -> dict[str, list[str]]:
    return decode_results(record.results or "")


def missing_checks(record):
    results = record_results(record)
    return [check for check in record_checks(record) if not results.get(check.id)]


# ---------------------------------------------------------------- parsing helpers


def _date(value, label, required=False):
    if value in (None, ""):
        if required:
            raise RecordError(f"{label}を入力してください。")
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip().replace("/", "-"))
    except ValueError:
        raise RecordError(f"{label}は「2026-11-26」の形で入力してください。") from None


def _number(value, label, maximum, integer=False):
    if value in (None, ""):
        return None
    text = str(value).strip().replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise RecordError(f"{label}には数値を入力してください(入力: {value})。") from None
    if number < 0 or number > maximum or (integer and number != number.to_integral_value()):
        kind = "整数" if integer else "数値"
        raise RecordError(f"{label}には0〜{maximum:,}の{kind}を入力してください(入力: {value})。")
    return int(number) if integer or number == number.to_integral_value() else float(number)


def _text(value, label, limit):
    text = (value or "").strip() if isinstance(value, str) else ("" if value is None else str(value))
    if len(text) > limit:
        raise RecordError(f"{label}は{limit}文字以内で入力してください。")
    return text or None


def _first_registration(value):
    text = _text(value, "初度登録年月", 7)
    if text is None:
        return None
    text = text.replace("/", "-")
    parts = text.split("-")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or not 1 <= int(parts[1]) <= 12:
        raise RecordError("初度登録年月は「2019-04」の形で入力してください。")
    return f"{int(parts[0]):04d}-{int(parts[1]):02d}"


def _details(data) -> dict:
    """Validated header fields from ``data`` (only the keys present)."""
    values = {}
    for key, (label, limit) in DETAIL_FIELDS.items():
        if key in data:
            values[key] = (_first_registration(data[key]) if key == "first_registration"
                           else _text(data[key], label, limit))
    if "odometer_km" in data:
        values["odometer_km"] = _number(data["odometer_km"], "走行距離(キロメートル)", 9_999_999, integer=True)
    if "completion_date" in data:
        values["completion_date"] = _date(data["completion_date"], "整備完了年月日")
    if "axle_layout" in data:
        try:
            values["axle_layout"] = validate_layout(_text(data["axle_layout"], "車軸の構成", 8))
        except ValueError as exc:
            raise RecordError(str(exc)) from None
    return values


def wheel_inputs(record) -> list[dict]:
    """The per-wheel measurement inputs of the record's axle layout, axle by axle:
    ``{"key", "label", "unit", "axles": [{"name", "positions": [{"name", "label", "value"}]}]}``."""
    names = axle_labels(record.axle_layout)
    inputs = []
    for kind in MEASUREMENTS:
        stored = canonical_values((record.measurements or {}).get(kind.key), record.axle_layout,
                                  kind.per_tyre)
        axles: dict[int, list] = {}
        for position in positions(record.axle_layout, kind.per_tyre):
            axles.setdefault(position.axle, []).append({
                "name": f"{kind.key}.{position.code}",
                "label": f"{names[position.axle - 1]} {position.label}",
                "short": position.label,
                "value": stored.get(position.code),
            })
        inputs.append({"key": kind.key, "label": kind.label, "unit": kind.spoken_unit,
                       "axles": [{"name": names[axle - 1], "positions": items}
                                 for axle, items in axles.items()]})
    return inputs


# ---------------------------------------------------------------- create and edit


def create_record(session, tenant, *, site_id=None, kind, form, interval_months,
                  inspection_date=None, certificate_id=None, issue_number=None, **fields) -> Record:
    """A new draft record, alone or from one of the site's 保適証: chosen from its recent ones
    (``certificate_id``) or found by the 交付番号 on its label (``issue_number``). The record
    takes the certificate's vehicle data and its day; a vehicle field typed on the form wins."""
    if site_id in (None, ""):
        raise RecordError("事業場を選んでください。")
    site = require_records_site(session, tenant, site_id)
    prefill = {}
    certificate_id = None if certificate_id in (None, "") else certificate_id
    if certificate_id is not None or issue_number not in (None, ""):
        certificate, problem = from_certificate.find_certificate(
            session, tenant, site.id, certificate_id=certificate_id, issue_number=issue_number)
        if certificate is None:
            raise RecordError(problem)
        certificate_id, prefill = certificate.id, from_certificate.record_values(certificate)
        fields = {key: value for key, value in fields.items() if value not in (None, "")}
        inspection_date = prefill.pop("inspection_date", None) or inspection_date  # the 完成検査's day
    if kind not in ("designated", "periodic"):
        raise RecordError("記録簿の種類(指定整備記録簿/定期点検整備記録簿)を選んでください。")
    if kind == "designated" and not site.designation_number:
        raise RecordError("指定番号のない事業場では指定整備記録簿を作成できません。定期点検整備記録簿を選んでください。")
    if form not in FORM_INTERVALS:
        raise RecordError("点検の別表(別表3〜6)を選んでください。")
    try:
        interval_months = int(interval_months)
    except (TypeError, ValueError):
        raise RecordError("点検時期(3・6・12・24か月)を選んでください。") from None
    inspection_date = _date(inspection_date, "点検年月日", required=True)
    try:
        applicable_checks(form, interval_months, inspection_date)
    except ValueError as exc:  # the form's own Japanese message (interval, covered dates)
        raise RecordError(str(exc)) from None
    values = _details({**prefill, **fields})
    record = Record(business_id=site.business_id, site_id=site.id, kind=kind, form=form,
                    interval_months=interval_months, inspection_date=inspection_date,
                    certificate_id=certificate_id, results="", status="draft", version=1,
                    is_current=True, measurements={}, tester_values={}, replaced_parts=[],
                    **values)
    session.add(record)
    session.flush()
    return record


def update_details(session, tenant, record_id, data) -> Record:
    record = _editable(session, tenant, record_id)
    values = _details(data)
    for key, value in values.items():
        setattr(record, key, value)
    if "axle_layout" in values:
        # Values of wheels the new layout does not have are dropped (never printed).
        record.measurements = _measurements_for_layout(record.measurements, record.axle_layout)
    session.flush()
    return record


def _measurements_for_layout(measurements, layout) -> dict:
    result = dict(measurements or {})
    for kind in MEASUREMENTS:
        if kind.key in result:
            result[kind.key] = canonical_values(result[kind.key], layout, kind.per_tyre)
    return result


def set_measurements(session, tenant, record_id, data) -> Record:
    """Measurements from flat keys (``tread_depth_mm.2LO``, ``co_percent``; the old
    ``tread_depth_mm.FL`` … ``RR`` of a car too); blanks clear."""
    record = _editable(session, tenant, record_id)
    measurements = _measurements_for_layout(record.measurements, record.axle_layout)
    names = axle_labels(record.axle_layout)
    for kind in MEASUREMENTS:
        wheels = dict(measurements.get(kind.key) or {})
        known = {p.code: p for p in positions(record.axle_layout, kind.per_tyre)}
        given = {key.partition(".")[2]: value for key, value in data.items()
                 if key.partition(".")[0] == kind.key}
        for code, text in given.items():
            canonical = canonical_position(code, record.axle_layout, kind.per_tyre)
            if canonical is None:
                raise RecordError(f"{kind.label}の位置「{code}」はこの車軸の構成にありません。"
                                  "画面を読み込み直してください。")
            position = known[canonical]
            where = f"{names[position.axle - 1]} {position.label}"
            value = _number(text, f"{kind.label}({where}・{kind.spoken_unit})", kind.maximum)
            if value is None:
                wheels.pop(canonical, None)
            else:
                wheels[canonical] = value
        measurements[kind.key] = wheels
    for key, (label, unit, maximum) in SCALAR_MEASUREMENTS.items():
        if key in data:
            measurements[key] = _number(data[key], f"{label}({unit})", maximum)
    record.measurements = measurements
    session.flush()
    return record


def set_result(session, tenant, record_id, check_id, symbols) -> list[str]:
    """Save one check's symbols (an empty list clears it); returns what is stored."""
    record = _editable(session, tenant, record_id)
    checks = {check.id: check for check in record_checks(record)}
    check = checks.get(check_id)
    if check is None:
        raise RecordError("この点検時期にない点検項目です。画面を読み込み直してください。")
    symbols = [s for s in (symbols or []) if s]
    if symbols:
        try:
            validate_result(check, symbols)
        except ValueError as exc:
            raise RecordError(str(exc)) from None
    results = record_results(record)
    before = "".join(results.get(check_id, []))
    if symbols:
        results[check_id] = symbols
    else:
        results.pop(check_id, None)
    record.results = encode_results(results)
    record.updated_at = utcnow_naive()
    if before != "".join(symbols):
        audit.record(session, "record_result", entity=record,
                     detail=f"{check_id}: {before or '-'} → {''.join(symbols) or '-'}")
    session.flush()
    return symbols


def mark_device_good(session, tenant, record_id, device_code) -> dict[str, list[str]]:
    """「全て良好」: ✓ on every check of the device not entered yet (entries stay)."""
    record = _editable(session, tenant, record_id)
    form = record_form(record)
    device = next((d for d in form.devices if d.code == device_code), None)
    if device is None:
        raise RecordError("装置が見つかりません。画面を読み込み直してください。")
    device_checks = {c.id for p in device.parts for c in p.checks}
    results = record_results(record)
    changed = {}
    for check in record_checks(record):
        if check.id in device_checks and not results.get(check.id):
            results[check.id] = changed[check.id] = ["✓"]
    if changed:
        record.results = encode_results(results)
        record.updated_at = utcnow_naive()
        audit.record(session, "record_device_good", entity=record,
                     detail=f"{device.name}: {len(changed)}項目を良好(✓)")
    session.flush()
    return changed


# ---------------------------------------------------------------- replaced parts and patterns


def _part(name, quantity, unit):
    name = _text(name, "部品名", 100)
    if not name:
        raise RecordError("部品名を入力してください。")
    qty = _number(quantity if quantity not in (None, "") else "1", f"「{name}」の数量", 9999)
    return {"name": name, "quantity": qty, "unit": _text(unit, f"「{name}」の単位", 10) or ""}


def parse_parts_lines(text) -> list[dict]:
    """Lines of 「部品名,数量,単位」 (数量・単位は省略可) → parts; errors name the line."""
    parts = []
    for number, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        fields = [f.strip() for f in line.replace("、", ",").replace("\t", ",").split(",")]
        if len(fields) > 3:
            raise RecordError(f"{number}行目: 「部品名,数量,単位」の3つまでで入力してください。")
        fields += [""] * (3 - len(fields))
        try:
            parts.append(_part(*fields))
        except RecordError as exc:
            raise RecordError(f"{number}行目: {exc}") from None
    return parts


def add_replaced_parts(session, tenant, record_id, parts) -> Record:
    record = _editable(session, tenant, record_id)
    new = [_part(p.get("name"), p.get("quantity"), p.get("unit")) for p in parts]
    record.replaced_parts = list(record.replaced_parts or []) + new
    session.flush()
    return record


def apply_parts_pattern(session, tenant, record_id, pattern_id) -> Record:
    """One tap: the pattern's parts with their quantities are added to the record."""
    record = _editable(session, tenant, record_id)
    pattern = get_owned_or_404(session, PartsPattern, pattern_id, tenant)
    if pattern.site_id != record.site_id:
        raise RecordError("この事業場のパターンではありません。")
    items = [{"name": i.name, "quantity": _plain_number(i.quantity), "unit": i.unit}
             for i in pattern.items]
    record.replaced_parts = list(record.replaced_parts or []) + items
    session.flush()
    return record


def remove_replaced_part(session, tenant, record_id, index) -> Record:
    record = _editable(session, tenant, record_id)
    parts = list(record.replaced_parts or [])
    try:
        parts.pop(int(index))
    except (ValueError, IndexError, TypeError):
        raise RecordError("その部品は見つかりません。画面を読み込み直してください。") from None
    record.replaced_parts = parts
    session.flush()
    return record


def _plain_number(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def save_parts_pattern(session, tenant, *, site_id, name, lines, pattern_id=None) -> PartsPattern:
    site = require_records_site(session, tenant, site_id)
    name = _text(name, "パターン名", 100)
    if not name:
        raise RecordError("パターン名を入力してください。")
    parts = parse_parts_lines(lines)
    if not parts:
        raise RecordError("部品を1行に1つ、「部品名,数量,単位」で入力してください。")
    if pattern_id is None:
        pattern = PartsPattern(business_id=site.business_id, site_id=site.id, name=name)
        session.add(pattern)
    else:
        pattern = get_owned_or_404(session, PartsPattern, pattern_id, tenant)
        pattern.site_id, pattern.name = site.id, name
        pattern.items.clear()
    for position, part in enumerate(parts):
        pattern.items.append(PartsPatternItem(
            business_id=site.business_id, site_id=site.id, position=position, name=part["name"],
            quantity=Decimal(str(part["quantity"])), unit=part["unit"]))
    session.flush()
    return pattern


def delete_parts_pattern(session, tenant, pattern_id):
    pattern = get_owned_or_404(session, PartsPattern, pattern_id, tenant)
    require_records_site(session, tenant, pattern.site_id)
    session.delete(pattern)
    session.flush()


def parts_pattern_lines(pattern) -> str:
    return "\n".join(f"{i.name},{_plain_number(i.quantity)},{i.unit}" for i in pattern.items)


# ---------------------------------------------------------------- tester import


def ensure_builtin_tester_profiles(session) -> int:
    """Add the shipped profiles the association does not have yet; returns how many."""
    existing = set(session.scalars(select(TesterProfile.code)))
    added = 0
    for code, mapping in builtin_profiles().items():
        if code not in existing:
            session.add(TesterProfile(code=code, maker=mapping["maker"], name=mapping["name"],
                                      mapping=mapping, active=True))
            added += 1
    if added:
        session.flush()
    return added


def active_tester_profiles(session) -> dict[str, dict]:
    ensure_builtin_tester_profiles(session)
    rows = session.scalars(select(TesterProfile).where(TesterProfile.active.is_(True))
                           .order_by(TesterProfile.id))
    return {row.code: dict(row.mapping, code=row.code, maker=row.maker, name=row.name)
            for row in rows}


def import_tester_values(session, tenant, record_id, content, profile_code=None) -> dict:
    """Read a test line's export and keep the record's final attempt; all or nothing."""
    record = _editable(session, tenant, record_id)
    profiles = active_tester_profiles(session)
    try:
        profile, readings = parse_tester_export(content, profiles, profile_code or None)
    except TesterImportError as exc:
        raise RecordError("検査機器のデータを取り込めませんでした。何も取り込んでいません。\n"
                          + "\n".join(exc.errors)) from None
    if record.chassis_number:
        matching = [r for r in readings
                    if r["meta"].get("chassis_number") in (None, record.chassis_number)]
        if not matching:
            raise RecordError(f"このファイルには車台番号 {record.chassis_number} のデータがありません。"
                              "何も取り込んでいません。ファイルを確かめてください。")
        readings = matching
    reading = dict(readings[-1])  # retests follow in file order: the last attempt is printed
    reading["meta"] = dict(reading["meta"], attempts=len(readings),
                           imported_at=now().isoformat(timespec="seconds"))
    record.tester_values = reading
    audit.record(session, "record_tester_import", entity=record,
                 detail=f"{profile['maker']} ({profile['code']}), {len(readings)}件中最後の測定")
    session.flush()
    return reading


# ---------------------------------------------------------------- signing and correction


def _signing_problems(record, signature):
    problems = []
    missing = missing_checks(record)
    if missing:
        names = "、".join(f"{c.part} {c.wording}" for c in missing[:3])
        more = f" ほか{len(missing) - 3}件" if len(missing) > 3 else ""
        problems.append(f"点検結果が未入力の項目があります({names}{more})。")
    if record.odometer_km is None:
        problems.append("走行距離を入力してください。")
    if not (record.registration_number or record.chassis_number):
        problems.append("自動車登録番号か車台番号を入力してください。")
    if signature == "chief_mechanic" and record.completion_date is None:
        problems.append("整備完了年月日を入力してください。")
    if signature == "inspector" and not (record.certificate_number
                                         or record.limited_certificate_number):
        problems.append("保安基準適合証(又は限定保安基準適合証)の番号を入力してください。")
    return problems


# The signatures only the person themself gives: their own login, or their own PIN (issue 15.9).
PERSONAL_SIGNATURES = ("chief_mechanic",)
PIN_PATTERN = re.compile(r"[0-9]{4,8}")
PIN_TRIES = 5


def _check_personal(signer, user, pin, label):
    """The signer is the logged-in person, or proved who they are with their PIN. Returns how."""
    if signer.user_id is not None and signer.user_id == user.id:
        return "本人のログイン"
    if not pin:
        raise RecordError(f"{label}の署名は{signer.name}さん本人だけができます。"
                          f"{signer.name}さんがログインするか、{signer.name}さんの暗証番号を入力してください。")
    if not signer.pin_hash:
        raise RecordError(f"{signer.name}さんの署名用暗証番号が設定されていません。{signer.name}さんが"
                          "ログインして署名するか、「署名用暗証番号の設定」で暗証番号を設定してください。")
    if (signer.pin_failures or 0) >= PIN_TRIES:
        raise RecordError(f"暗証番号を続けて{PIN_TRIES}回間違えたため、{signer.name}さんの暗証番号は使えません。"
                          f"{signer.name}さんがログインして暗証番号を設定し直してください。")
    if not check_password_hash(signer.pin_hash, pin):
        raise PinRefused(f"暗証番号が違います。{signer.name}さん本人の暗証番号を入力してください。", signer.id)
    signer.pin_failures = 0
    return "本人の暗証番号"


def note_pin_refused(session, tenant, signer_id):
    """Count a wrong PIN (after the caller's rollback) and audit it; the caller commits."""
    signer = get_owned_or_404(session, ChiefMechanic, signer_id, tenant)
    signer.pin_failures = (signer.pin_failures or 0) + 1
    audit.record(session, "record_sign_pin_refused", entity=signer,
                 detail=f"{signer.name}: {signer.pin_failures}/{PIN_TRIES}")


def set_signing_pin(session, tenant, user, *, password, pin, pin_again) -> list[ChiefMechanic]:
    """The person sets their own signing PIN (for every 整備主任者 row linked to their login)."""
    signers = session.scalars(scope(select(ChiefMechanic), ChiefMechanic, tenant).where(
        ChiefMechanic.user_id == user.id, ChiefMechanic.active.is_(True))).all()
    if not signers:
        raise RecordError("あなたのログインは整備主任者として登録されていません。事業場管理責任者に、"
                          "「整備主任者」の画面で本人のログインを設定してもらってください。")
    if not password or not check_password_hash(getattr(user, "password", None) or "", password):
        raise RecordError("パスワードが正しくありません。ご自分のログインのパスワードを入力してください。")
    if not PIN_PATTERN.fullmatch(pin or ""):
        raise RecordError("暗証番号は4〜8桁の数字で入力してください。")
    if pin != pin_again:
        raise RecordError("確認のために入力した暗証番号が一致しません。同じ暗証番号を2回入力してください。")
    hashed = generate_password_hash(pin)
    for signer in signers:
        signer.pin_hash, signer.pin_failures = hashed, 0
        audit.record(session, "signing_pin_set", entity=signer, detail=signer.name)
    return signers


def sign_record(session, tenant, user, record_id, *, signature, signer_id, pin=None) -> Record:
    """Sign as 自動車検査員 (``signature="inspector"``, 指定整備記録簿 only) or 整備主任者.

    The login role decides who may sign; the signer is the site's registered Inspector or
    ChiefMechanic row, and a 整備主任者 signs only as themself (their login or their PIN).
    Any signature locks the content; the record is 署名済 once every signature its kind needs
    is there.
    """
    if signature not in SIGNER_ROLES:
        raise RecordError("署名の種類を選んでください。")
    roles, staff_model, label = SIGNER_ROLES[signature]
    if not set(getattr(user, "role_names", ())) & set(roles):
        raise RecordError(f"{label}として署名できるのは、{label}の権限を持つ利用者だけです。")
    record = load_record(session, tenant, record_id)
    if not record.is_current or record.status != "draft":
        raise RecordError(LOCKED_MESSAGE)
    if signature == "inspector" and record.kind != "designated":
        raise RecordError("自動車検査員の署名は指定整備記録簿だけに必要です。")
    if getattr(record, f"{signature}_signed_at") is not None:
        raise RecordError(f"{label}の署名はすでに済んでいます。")
    try:
        signer = get_owned_or_404(session, staff_model, signer_id, tenant)
    except Exception:
        raise RecordError(f"{label}を一覧から選んでください。") from None
    if signer.site_id != record.site_id or not signer.active:
        raise RecordError(f"この事業場に在籍する{label}を選んでください。")
    problems = _signing_problems(record, signature)
    if problems:
        raise RecordError("署名できません。" + " ".join(problems))
    how = _check_personal(signer, user, pin, label) if signature in PERSONAL_SIGNATURES else None
    setattr(record, f"{signature}_id", signer.id)
    setattr(record, f"{signature}_signed_at", utcnow_naive())
    needed = ("inspector", "chief_mechanic") if record.kind == "designated" else ("chief_mechanic",)
    if all(getattr(record, f"{s}_signed_at") is not None for s in needed):
        record.status = "signed"
    audit.record(session, "record_signed", entity=record,
                 detail=f"{label}: {signer.name}" + (f"({how})" if how else ""))
    session.flush()
    return record


CONTENT_FIELDS = ("kind", "form", "interval_months", "certificate_id", "registration_number",
                  "chassis_number", "model_code", "car_name", "engine_model",
                  "first_registration", "axle_layout", "customer_name", "customer_address",
                  "inspection_date", "odometer_km", "results", "measurements", "tester_values",
                  "replaced_parts", "work_summary", "completion_date", "certificate_number",
                  "sticker_number", "limited_certificate_number")


def correct_record(session, tenant, record_id) -> Record:
    """A correction of a signed record: a new draft version; the signed one stays as it was."""
    record = load_record(session, tenant, record_id)
    if record.status == "draft" and record.is_current:
        raise RecordError("署名前の記録簿はそのまま直せます。訂正版は署名の後に作成してください。")
    if not record.is_current:
        raise RecordError("この版はすでに訂正されています。最新の版を開いてください。")
    copy = Record(business_id=record.business_id, site_id=record.site_id, status="draft",
                  version=record.version + 1, previous_version_id=record.id, is_current=True,
                  **{field: getattr(record, field) for field in CONTENT_FIELDS})
    record.is_current = False
    session.add(copy)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise RecordError("この版の訂正版はすでに作成されています。一覧から最新の版を開いてください。") from None
    audit.record(session, "record_corrected", entity=copy,
                 detail=f"第{record.version}版(記録 {record.id})を訂正し第{copy.version}版を作成")
    return copy


# ---------------------------------------------------------------- PDF output and billing


def _signed_on(moment):
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc).astimezone(JST).date()  # stored as naive UTC


def record_pdf_dict(record, record_url=None) -> dict:
    """The record in the shape app/reports/record_pdf.py prints."""
    site = record.site
    business = site.business
    return {
        "kind": record.kind,
        "form": record.form,
        "interval_months": record.interval_months,
        "vehicle": {
            "registration_number": record.registration_number,
            "chassis_number": record.chassis_number,
            "model_code": record.model_code,
            "car_name": record.car_name,
            "engine_model": record.engine_model,
            "first_registration": record.first_registration,
            "odometer_km": record.odometer_km,
            "axle_layout": record.axle_layout,
        },
        "customer": {"name": record.customer_name, "address": record.customer_address},
        "shop": {
            "name": f"{business.name} {site.name}",
            "address": site.address,
            "certification_number": site.certification_number,
            "designation_number": site.designation_number,
        },
        "inspection_date": record.inspection_date,
        "completion_date": record.completion_date,
        "results": record_results(record),
        "measurements": record.measurements or {},
        "tester": {k: v for k, v in (record.tester_values or {}).items() if k != "meta"},
        "replaced_parts": record.replaced_parts or [],
        "work_summary": record.work_summary,
        "certificate_number": record.certificate_number,
        "sticker_number": record.sticker_number,
        "limited_certificate_number": record.limited_certificate_number,
        "inspector": ({"name": record.inspector.name,
                       "signed_on": _signed_on(record.inspector_signed_at)}
                      if record.inspector_signed_at else {}),
        "chief_mechanic": ({"name": record.chief_mechanic.name,
                            "signed_on": _signed_on(record.chief_mechanic_signed_at)}
                           if record.chief_mechanic_signed_at else {}),
        "record_url": record_url,
        "obd_result": _obd_result(record),
    }


def _obd_result(record):
    """The OBD検査 result of the record's 保適証 (kept and printed with the 記録簿)."""
    from app.services.certificates import obd

    session = object_session(record)
    if session is None or record.certificate_id is None:
        return None
    return obd.printable(obd.result_for_certificate(session, record.certificate_id))


def record_pdf(record, copy="shop", record_url=None) -> bytes:
    """A record as a PDF: ``copy="shop"`` (事業場控え, A3) or ``"customer"`` (お客様用, A4).

    Works on any `Record`, saved or not (`app.services.record_samples` builds unsaved ones);
    nothing is stored or billed (see `output_record_pdf`).
    """
    if copy not in COPIES:
        raise RecordError("出力する控え(事業場控え/お客様用)を選んでください。")
    return render_record_pdf(record_pdf_dict(record, record_url), copy=copy)


def files_dir() -> Path:
    default = os.path.join(os.path.dirname(current_app.root_path), "instance", "record_files")
    return Path(current_app.config.get("RECORDS_FILE_DIR") or default)


def _record_dir(record_id) -> Path:
    return files_dir() / "records" / str(record_id)


_render_lock = threading.Lock()


def stored_record_pdf(record, copy, record_url=None) -> bytes:
    """The PDF of this content, rendered once and kept (a locked record never changes, and
    concurrent requests for the same record wait for one render instead of each rendering)."""
    if copy not in COPIES:
        raise RecordError("出力する控え(事業場控え/お客様用)を選んでください。")
    data = record_pdf_dict(record, record_url)
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str,
                                       ensure_ascii=False).encode()).hexdigest()[:24]
    path = _record_dir(record.id) / f"{copy}-{digest}.pdf"
    if path.exists():
        return path.read_bytes()
    with _render_lock:  # xhtml2pdf/ReportLab are not known to be thread-safe
        if path.exists():
            return path.read_bytes()
        pdf = render_record_pdf(data, copy=copy)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
        tmp.write_bytes(pdf)
        os.replace(tmp, path)
    return pdf


def _require_outputtable(record):
    if record.status not in ("signed", "output"):
        raise RecordError("署名が済んでいない記録簿は出力できません。先に署名してください。")
    if not record.is_current:
        raise RecordError("訂正された古い版です。最新の版を出力してください。")


def mark_first_output(session, record_id, *, attempts=5) -> bool:
    """Charge the record once (出力済 + one billable event) and COMMIT; True for the first.

    The unique billable event decides between concurrent first outputs. SQLite reports a
    busy database to a concurrent writer instead of waiting long enough; that loser retries.
    """
    for attempt in range(attempts):
        try:
            record = session.get(Record, record_id, populate_existing=True)
            first = record_billable_event(session, kind="record", object_id=record.id,
                                          business_id=record.business_id, site_id=record.site_id)
            if first:
                record.status = "output"
                record.output_at = utcnow_naive()
            session.commit()
            return first
        except OperationalError:
            session.rollback()
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    return False


def output_record_pdf(session, tenant, record_id, copy, record_url=None) -> tuple[bytes, bool]:
    """(PDF, charged): the first output of a signed record is billed; later ones are free."""
    record = load_record(session, tenant, record_id)
    _require_outputtable(record)
    pdf = stored_record_pdf(record, copy, record_url)
    charged = mark_first_output(session, record.id)
    record = session.get(Record, record_id)
    audit.record(session, "record_pdf_output", entity=record,
                 detail=f"{COPIES[copy]}{'(初回・課金)' if charged else ''}")
    session.commit()
    return pdf, charged


# ---------------------------------------------------------------- batch printing


def start_print_batch(session, tenant, user, *, site_id, record_ids, copy="shop") -> PrintBatch:
    site = require_records_site(session, tenant, site_id)
    if copy not in COPIES:
        raise RecordError("出力する控え(事業場控え/お客様用)を選んでください。")
    try:
        ids = sorted({int(i) for i in record_ids})
    except (TypeError, ValueError):
        raise RecordError("印刷する記録簿を選び直してください。") from None
    if not ids:
        raise RecordError("印刷する記録簿を選んでください。")
    rows = session.scalars(select(Record).where(Record.id.in_(ids),
                                                tenant_criteria(Record, tenant))).all()
    if len(rows) != len(ids) or any(r.site_id != site.id for r in rows):
        raise RecordError("選んだ記録簿の一部が見つかりません。一覧を読み込み直してください。")
    unsigned = [r for r in rows if r.status not in ("signed", "output") or not r.is_current]
    if unsigned:
        raise RecordError(f"署名が済んでいない(または訂正された)記録簿が{len(unsigned)}件含まれています。"
                          "署名済みの記録簿だけを選んでください。")
    batch = PrintBatch(business_id=site.business_id, site_id=site.id, copy=copy,
                       requested_by_id=getattr(user, "id", None), record_ids=ids,
                       total_count=len(ids), done_count=0, status="queued")
    session.add(batch)
    session.flush()
    return batch


def launch_print_batch(app, batch_id, record_url_for=None) -> threading.Thread:
    """Run the batch in a background thread of this process (progress is in the row)."""
    thread = threading.Thread(target=run_print_batch, args=(app, batch_id, record_url_for),
                              name=f"print-batch-{batch_id}", daemon=True)
    thread.start()
    return thread


def run_print_batch(app, batch_id, record_url_for=None):
    from app.extensions import db

    with app.app_context():
        session = db.session
        try:
            batch = session.get(PrintBatch, batch_id)
            if batch is None or batch.status != "queued":
                return
            batch.status = "running"
            session.commit()
            writer = PdfWriter()
            records = session.scalars(select(Record).where(
                Record.id.in_(batch.record_ids), Record.business_id == batch.business_id,
                Record.site_id == batch.site_id).order_by(Record.inspection_date, Record.id)).all()
            for done, record in enumerate(records, 1):
                url = record_url_for(record.id) if record_url_for else None
                writer.append(io.BytesIO(stored_record_pdf(record, batch.copy, url)))
                mark_first_output(session, record.id)
                batch = session.get(PrintBatch, batch_id)
                batch.done_count = done
                session.commit()
            writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
            relative = Path("batches") / str(batch.business_id) / f"batch-{batch.id}.pdf"
            target = files_dir() / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as fh:
                writer.write(fh)
            batch.file_path = str(relative)
            batch.status = "done"
            batch.finished_at = utcnow_naive()
            session.commit()
        except Exception as exc:  # the row must say it failed; the log keeps the details
            log.exception("print batch %s failed", batch_id)
            session.rollback()
            batch = session.get(PrintBatch, batch_id)
            if batch is not None:
                batch.status = "failed"
                batch.error = f"印刷に失敗しました({type(exc).__name__})。もう一度お試しください。"
                batch.finished_at = utcnow_naive()
                session.commit()
        finally:
            session.remove()


def batch_file(batch) -> Path | None:
    if batch.status != "done" or not batch.file_path:
        return None
    path = files_dir() / batch.file_path
    return path if path.exists() else None


# ---------------------------------------------------------------- retention


def retention_cutoff(today: date) -> date:
    years = int(current_app.config.get("RECORDS_RETENTION_YEARS", 2))
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def purge_expired_records(session, today: date, dry_run=False, batch_size=500, log=print) -> dict:
    """Delete records dated (completion, else inspection date) before the retention cutoff,
    with their stored PDFs, and print batches made before it. Billing rows stay.

    Commits after each batch of ``batch_size`` records, so a long purge never holds locks
    for long and an interrupted one resumes where it stopped.
    """
    cutoff = retention_cutoff(today)
    record_date = func.coalesce(Record.completion_date, Record.inspection_date)
    expired = select(Record.id, Record.business_id).where(record_date < cutoff).order_by(Record.id)
    old_batches = select(PrintBatch.id, PrintBatch.file_path).where(
        PrintBatch.created_at < cutoff)
    record_count = session.scalar(select(func.count()).select_from(expired.subquery()))
    batch_rows = session.execute(old_batches).all()
    summary = {"cutoff": cutoff.isoformat(), "records": record_count,
               "print_batches": len(batch_rows), "dry_run": dry_run}
    if dry_run:
        log(f"[dry-run] {cutoff} より前の記録簿 {record_count} 件、印刷ファイル {len(batch_rows)} 件が削除対象です。")
        return summary
    deleted = 0
    while True:
        rows = session.execute(expired.limit(batch_size)).all()
        if not rows:
            break
        ids = [r.id for r in rows]
        session.execute(update(Record).where(Record.previous_version_id.in_(ids))
                        .values(previous_version_id=None))
        session.execute(delete(Record).where(Record.id.in_(ids)))
        by_business = {}
        for row in rows:
            by_business[row.business_id] = by_business.get(row.business_id, 0) + 1
        for business_id, count in by_business.items():
            audit.record(session, "records_purged", entity_type="Record", business_id=business_id,
                         detail=f"保存期間({cutoff} より前)を過ぎた記録簿 {count} 件を削除")
        session.commit()
        for record_id in ids:  # after the commit: a failed batch keeps its files
            shutil.rmtree(_record_dir(record_id), ignore_errors=True)
        deleted += len(ids)
        log(f"記録簿 {deleted}/{record_count} 件を削除しました。")
    if batch_rows:
        session.execute(delete(PrintBatch).where(PrintBatch.id.in_([b.id for b in batch_rows])))
        session.commit()
        for row in batch_rows:
            if row.file_path:
                (files_dir() / row.file_path).unlink(missing_ok=True)
        log(f"印刷ファイル {len(batch_rows)} 件を削除しました。")
    summary["records"] = deleted
    return summary
