"""Confirming a draft: the pre-flight of what AIRAS cannot correct, the AIRAS and AINAS payloads,
and ``confirm``, which creates the ``Certificate`` and its ``OssRequest`` in one transaction with
status ``queued`` (or, for a correction draft, queues the pulled-back certificate again).
"""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select, update

from app import audit
from app.domain.wareki import format_wareki
from app.models.certificate import Certificate, CertificateDraft, OssRequest, Vehicle
from app.models.tenancy import Inspector, Site
from app.services.certificates import prechecks
from app.services.certificates.common import (
    ACTIVE_STATUSES,
    OSS_FINAL,
    CertificateInputError,
    stored_date,
    utc_naive,
)
from app.services.certificates import delegation, used_vehicles
from app.services.certificates.drafts import assess, matched_vehicle
from app.services.certificates.events import record_event
from app.services.certificates.labels import APPLICATION_AGENTS, VEHICLE_KIND_LABELS
from app.services.certificates.signoff import hold_for_approval
from app.timeutil import JST

audit.ACTION_LABELS.update({"certificate_correct": "保適証の訂正"})

PREFLIGHT_ITEMS = ("chassis_number", "vehicle_kind", "issue_date", "inspection_date", "inspector")
# AIRAS's 自動車区分 codes are ours too (docs/integrations.md); only the two-wheeler differs.
AIRAS_VEHICLE_KIND = {"registered": "registered", "kei": "kei", "small_motorcycle": "motorcycle"}
# What a confirmed correction (after 引戻し) tells the shop about its OSS request.
OSS_AFTER_CORRECTION = ("保適証を訂正しました。AINASの申請依頼の内容は代理人(日整連支部)が訂正します。"
                        "訂正した内容を代理人に連絡してください。")
OSS_NOT_SENT_HYBRID = "申請方法を窓口申請に訂正したため、OSS申請依頼は送信しませんでした。"
OSS_AFTER_HYBRID = ("申請方法を窓口申請に訂正しました。AINASの申請依頼(依頼番号 {request_id})の取下げを"
                    "代理人(日整連支部)に依頼してください。")


def preflight(session, draft, today):
    """The items that cannot be corrected at AIRAS, as they will be sent (renewal-rules.md §1.2)."""
    data = draft.data or {}
    if not all(data.get(k) for k in ("vehicle", "inspection", "insurance", "checks")):
        raise CertificateInputError("入力が済んでいない手順があります。最初の手順から順に進めてください。")
    vehicle, inspection = data["vehicle"], data["inspection"]
    inspector = session.get(Inspector, inspection["inspector_id"])
    today = issue_date_of(draft, today)
    return [
        {"key": "chassis_number", "label": "車台番号(ハイフンを含めて車検証のとおりか)",
         "value": vehicle["chassis_number"]},
        {"key": "vehicle_kind", "label": "自動車区分", "value": VEHICLE_KIND_LABELS[vehicle["vehicle_kind"]]},
        {"key": "issue_date", "label": "交付年月日", "value": format_wareki(today)},
        {"key": "inspection_date", "label": "検査年月日",
         "value": format_wareki(stored_date(inspection["inspection_date"]))},
        {"key": "inspector", "label": "自動車検査員",
         "value": f"{inspector.name}(検査員コード {inspector.inspector_code})" if inspector else "(未選択)"},
    ]


def issue_date_of(draft, today):
    """交付年月日: today, or for a correction the certificate's own (it cannot be corrected)."""
    correction = (draft.data or {}).get("correction")
    return stored_date(correction["issue_date"]) if correction else today


def _registration(vehicle):
    parts = {k: vehicle.get(k) or "" for k in ("plate_area", "plate_class", "plate_kana", "plate_serial")}
    return parts if any(parts.values()) else None


def _plate_text(vehicle):
    parts = _registration(vehicle)
    return " ".join(v for v in parts.values() if v.strip()) if parts else None


def _site_problems(site, application_type):
    problems = []
    if not site.airas_shop_code:
        problems.append("事業場の運輸支局コードと指定番号が登録されていません。協会に登録を依頼してください。")
    if not site.airas_registered:
        problems.append("この事業場は保適証サービス(AIRAS)の利用登録が済んでいません。協会に確認してください。")
    if application_type == "oss" and site.ainas_status != "registered":
        problems.append("この事業場はOSS申請(AINAS)を利用できません。申請方法をハイブリッド申請にしてください。")
    return problems


def airas_payload(draft, site, inspector, today, assessment):
    vehicle, inspection = draft.data["vehicle"], draft.data["inspection"]
    return {
        # A hybrid application is always 窓口申請 at AIRAS (renewal-rules.md §1.3).
        "application_type": inspection["application_type"],
        "site_code": site.airas_shop_code,
        "inspector_code": inspector.inspector_code,
        "vehicle_kind": AIRAS_VEHICLE_KIND[vehicle["vehicle_kind"]],
        # 中古新規・中古予備検査: kept for the shop, not sent (shop-workflow.md §1).
        "registration_number": used_vehicles.airas_registration(draft.data, _registration(vehicle)),
        "chassis_number": vehicle["chassis_number"],
        "inspection_date": inspection["inspection_date"],
        "issue_date": today.isoformat(),
        "odometer_km": inspection["odometer_km"],
        "compulsory_insurance": draft.data["insurance"]["policies"],
        "user_of_vehicle": {"name": vehicle["owner_name"], "address": vehicle["owner_address"]},
        "new_expiry_date": assessment["new_expiry_date"],
        "certificate_valid_until": assessment["certificate_valid_until"],
        "last_application_date": assessment["last_application_date"],
    }


def oss_payload(draft, site):
    vehicle, inspection, checks = draft.data["vehicle"], draft.data["inspection"], draft.data["checks"]
    basis = {"standard_rate": "eco", "exempt": "eco"}.get(inspection["eco"] or "", "standard")
    return {
        "site_code": site.airas_shop_code,
        "application_agent": APPLICATION_AGENTS[inspection["application_agent"]],
        "vehicle_kind": AIRAS_VEHICLE_KIND[vehicle["vehicle_kind"]],
        "chassis_number": vehicle["chassis_number"],
        "registration_number": used_vehicles.airas_registration(draft.data, _registration(vehicle)),
        "user_of_vehicle": {"name": vehicle["owner_name"], "address": vehicle["owner_address"]},
        "consent_obtained": bool(inspection["consent"]),
        "validity_years": inspection["validity_years"],
        "odometer_km": inspection["odometer_km"],
        "weight_tax_yen": checks["weight_tax_yen"],
        "inspection_fee_yen": checks["inspection_fee_yen"],
        "weight_tax_basis": basis,
        **delegation.oss_fields(vehicle["vehicle_kind"], inspection, site),
    }


def confirm(session, draft, user_id, acknowledged, now):
    """Certify: the Certificate (queued) and its OssRequest, in the caller's one transaction."""
    today = now.astimezone(JST).date()
    items = preflight(session, draft, today)
    missing = [item["label"] for item in items if item["key"] not in acknowledged]
    if missing:
        raise CertificateInputError(
            "訂正できない項目の確認が済んでいません: " + "、".join(missing) + "。車検証と照らし合わせてチェックしてください。")
    if draft.certificate_id is not None:
        raise CertificateInputError("この下書きはすでに確定しています。保適証の一覧から確認してください。")
    data = draft.data
    vehicle, inspection, checks = data["vehicle"], data["inspection"], data["checks"]
    site = session.get(Site, draft.site_id)
    problems = _site_problems(site, inspection["application_type"])
    if stored_date(inspection["inspection_date"]) < today - dt.timedelta(days=14):
        problems.append("検査年月日から15日を過ぎたため、この保適証は交付できません。検査をやり直してください。")
    inspector = session.get(Inspector, inspection["inspector_id"])
    if inspector is None or inspector.site_id != draft.site_id or not inspector.active:
        problems.append("自動車検査員が見つかりません。検査の手順で選び直してください。")
    assessment = assess(session, draft)  # again: the draft may be days old, the rules are dated
    if assessment["blocked"]:
        problems.append("自賠責が新しい有効期間を覆わないため、保適証を交付できません。")
    problems += used_vehicles.inspection_problems(data, inspection["application_type"])
    problems += delegation.problems(vehicle["vehicle_kind"], inspection, site)  # 記録事務代行
    live = session.scalar(select(Certificate.id).where(
        Certificate.business_id == draft.business_id, Certificate.chassis_number == vehicle["chassis_number"],
        Certificate.status.in_(ACTIVE_STATUSES),
        Certificate.certificate_valid_until >= today))
    if live is not None:
        problems.append("この車台番号の保適証はすでに有効なものがあります。保適証の一覧で確認してください"
                        "(作り直す場合はAIRASで古い保適証を削除してからにします)。")
    problems += prechecks.confirmation_problems(data)  # OBD検査 (services/certificates/obd.py)
    if problems:
        raise CertificateInputError(problems)

    known = matched_vehicle(session, draft.business_id, vehicle["chassis_number"])
    if known is None:
        known = Vehicle(business_id=draft.business_id, site_id=draft.site_id,
                        chassis_number=vehicle["chassis_number"], vehicle_kind=vehicle["vehicle_kind"])
        session.add(known)
    known.vehicle_kind = vehicle["vehicle_kind"]
    known.registration_number = _plate_text(vehicle)
    known.model = vehicle.get("model") or None
    known.first_registration = vehicle.get("first_registration") or None
    known.last_odometer_km = inspection["odometer_km"]
    known.last_inspection_date = stored_date(inspection["inspection_date"])
    session.flush()

    issue_date = issue_date_of(draft, today)
    fields = dict(
        vehicle_id=known.id, inspector_id=inspector.id, certified_by_id=user_id,
        application_type=inspection["application_type"], vehicle_kind=vehicle["vehicle_kind"],
        chassis_number=vehicle["chassis_number"], registration_number=_plate_text(vehicle),
        model=vehicle.get("model") or None, inspection_date=stored_date(inspection["inspection_date"]),
        issue_date=issue_date, odometer_km=inspection["odometer_km"],
        validity_years=inspection["validity_years"],
        new_expiry_date=stored_date(assessment["new_expiry_date"]),
        certificate_valid_until=stored_date(assessment["certificate_valid_until"]),
        last_application_date=stored_date(assessment["last_application_date"]),
        weight_tax_yen=checks["weight_tax_yen"], inspection_fee_yen=checks["inspection_fee_yen"],
        details={"vehicle": vehicle, "inspection": inspection, "insurance": data["insurance"],
                 "checks": {**checks, "assessment": assessment},
                 "purpose": used_vehicles.purpose_code(data)},
        payload=airas_payload(draft, site, inspector, issue_date, assessment),
    )
    correction = data.get("correction")
    if correction:
        certificate = _apply_correction(session, draft, correction, fields, site, now)
    else:
        certificate = Certificate(business_id=draft.business_id, site_id=draft.site_id, status="queued",
                                  idempotency_key=str(uuid.uuid4()), attempts=0,
                                  next_attempt_at=utc_naive(now), **fields)
        session.add(certificate)
        session.flush()
    if inspection["application_type"] == "oss" and not correction:
        session.add(OssRequest(business_id=draft.business_id, site_id=draft.site_id,
                               certificate_id=certificate.id, status="queued",
                               payload=oss_payload(draft, site), idempotency_key=str(uuid.uuid4()),
                               attempts=0, next_attempt_at=utc_naive(now)))
    prechecks.after_confirm(session, draft, certificate, now)  # OBD result, 放置違反金, 自賠責 hour
    # Two devices confirming the same draft: only the first one's update matches.
    claimed = session.execute(update(CertificateDraft).where(
        CertificateDraft.id == draft.id, CertificateDraft.certificate_id.is_(None)).values(
        certificate_id=certificate.id, step="done"))
    if claimed.rowcount != 1:
        raise CertificateInputError("この下書きは別の端末ですでに確定されました。保適証の一覧から確認してください。")
    if correction:
        record_event(session, certificate, now, "keizoku", "correct", "draft", "queued",
                     message=f"訂正を確定しました(交付番号 {certificate.issue_number or '―'})。AIRASへの送信待ちです。")
        audit.record(session, "certificate_correct", entity=certificate,
                     detail=f"{certificate.chassis_number} {certificate.application_type} "
                            f"{certificate.idempotency_key}")
        hold_for_approval(session, certificate, now)
        return certificate
    record_event(session, certificate, now, "keizoku", "confirm", None, "queued",
                 message="保適証を確定しました。送信待ちです。")
    audit.record(session, "certificate_confirm", entity=certificate,
                 detail=f"{certificate.chassis_number} {certificate.application_type}")
    hold_for_approval(session, certificate, now)
    return certificate


def _correction_key(certificate):
    """A new idempotency key for each corrected 登録 ("<uuid>:c1", ":c2", ...)."""
    number = int(((certificate.details or {}).get("correction") or {}).get("number", 0)) + 1
    return f"{certificate.idempotency_key.split(':')[0]}:c{number}", number


def _apply_correction(session, draft, correction, fields, site, now):
    """Confirming a correction draft: the pulled-back certificate takes the corrected data, queued
    for the sender's corrected 登録 (same 交付番号, new key)."""
    certificate = session.scalar(select(Certificate).where(
        Certificate.id == correction["certificate_id"], Certificate.business_id == draft.business_id,
        Certificate.site_id == draft.site_id))
    if certificate is None or certificate.status != "draft":
        raise CertificateInputError("訂正する保適証が引戻しの状態ではありません。保適証の画面で状態を確認してください。")
    key, number = _correction_key(certificate)
    for name, value in fields.items():
        setattr(certificate, name, value)
    certificate.details = {**fields["details"], "correction": {"number": number, "pending": True}}
    certificate.idempotency_key = key
    certificate.status = "queued"
    certificate.attempts = 0
    certificate.next_attempt_at = utc_naive(now)
    certificate.reason_code = certificate.reason = certificate.advice = None
    certificate.first_insurance_error_at = None
    _settle_oss_after_correction(session, certificate, draft, site, now)
    session.flush()
    return certificate


def _settle_oss_after_correction(session, certificate, draft, site, now):
    oss = certificate.oss_request
    if certificate.application_type == "oss":
        payload = oss_payload(draft, site)
        if oss is None:
            session.add(OssRequest(business_id=certificate.business_id, site_id=certificate.site_id,
                                   certificate_id=certificate.id, status="queued", payload=payload,
                                   idempotency_key=str(uuid.uuid4()), attempts=0, next_attempt_at=utc_naive(now)))
        elif oss.request_id is None or oss.status in ("rejected", "withdrawn"):
            # Not at AINAS yet (keep its key: a lost answer may have stored it, and a changed body is
            # then refused, never duplicated), or final there (a new request needs a new key).
            if oss.request_id is not None:
                oss.idempotency_key = str(uuid.uuid4())
            oss.status, oss.payload, oss.request_id, oss.ainas_status = "queued", payload, None, None
            oss.reason_code = oss.reason = oss.advice = None
            oss.attempts, oss.next_attempt_at = 0, utc_naive(now)
        elif oss.payload != payload:
            oss.advice = OSS_AFTER_CORRECTION
    elif oss is not None and oss.status not in OSS_FINAL:
        oss.next_attempt_at = None
        if oss.request_id is None:
            oss.status, oss.reason, oss.advice = "withdrawn", OSS_NOT_SENT_HYBRID, None
        else:
            oss.advice = OSS_AFTER_HYBRID.format(request_id=oss.request_id)
