"""放置違反金 check (shop-workflow.md §6): the plate query's answer (有/無, when, who) is recorded
per certificate. On 有 the shop FAXes the police the 同意書兼照会書 (app/reports/parking_fine_pdf.py)
and the certificate is held, not sent, until the police's answer is recorded: 未納なし or 納付を
確認 releases it to the sender; 未納あり keeps it held. Every step is audited.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import select

from app import audit
from app.domain.wareki import format_wareki
from app.integrations import OutsideRejectedError, OutsideSystemError
from app.integrations.parking_fines import ParkingFineClient
from app.models.certificate_checks import PARKING_ANSWERS, ParkingFineCheck
from app.services.certificates.common import CertificateInputError, as_jst, utc_naive
from app.services.certificates.drafts import parse_date_input
from app.services.certificates.events import record_event

audit.ACTION_LABELS.update({"parking_fine_query": "放置違反金の照会",
                            "parking_fine_answer": "放置違反金の回答の記録"})

HOLD_CODE = "PARKING-FINE"
HELD_REASON = ("放置違反金の照会結果が「有」のため、送信を保留しています。同意書兼照会書を警察にFAXし、"
               "回答をこの画面で記録すると送信します。")
UNPAID_REASON = ("警察の回答は「未納あり」です。放置違反金が納付されるまで継続検査は受けられないため、"
                 "送信を保留しています。納付を確認したら回答を記録し直してください。")
RELEASING = ("none", "paid")


def client_from_config(config=None) -> ParkingFineClient:
    config = config or current_app.config
    return ParkingFineClient(config["PARKING_FINES_BASE_URL"], timeout=config["OUTSIDE_TIMEOUT_SECONDS"])


def query_for_draft(session, draft, client, user, now):
    """Ask the 放置違反金 query for the draft's plate; the answer goes into the draft."""
    if draft.certificate_id is not None:
        raise CertificateInputError("この下書きはすでに確定しています。保適証の一覧から確認してください。")
    vehicle = (draft.data or {}).get("vehicle") or {}
    plate = {"area": vehicle.get("plate_area"), "class": vehicle.get("plate_class"),
             "kana": vehicle.get("plate_kana"), "serial": vehicle.get("plate_serial")}
    if not all(plate[k] for k in ("area", "kana", "serial")):
        raise CertificateInputError("登録番号(地名・かな・一連番号)がないため照会できません。"
                                    "車両の確認の手順で登録番号を入力してください。")
    try:
        answer = client.query(plate, vehicle["chassis_number"])
    except OutsideRejectedError as exc:
        raise CertificateInputError(f"放置違反金の照会で受け付けられませんでした: {exc.reason or exc.code}"
                                    "(照会結果は何も保存していません)。") from None
    except OutsideSystemError:
        # Nothing retries a query by itself: the shop asks again.
        raise CertificateInputError("放置違反金の照会ができませんでした。時間をおいてもう一度「登録番号で照会する」を押してください"
                                    "(照会結果は何も保存していません)。") from None
    # When we asked, by our clock (the one every other date of the certificate uses).
    values = {"possibility": answer["possibility"], "queried_at": now.isoformat(),
              "query_id": answer["query_id"], "queried_by_id": user.id, "queried_by": user.username}
    data = dict(draft.data or {})
    data["parking_fine"] = values
    draft.data = data
    audit.record(session, "parking_fine_query", entity=draft,
                 detail=f"{vehicle['chassis_number']} 可能性 {answer['possibility']} ({answer['query_id']})")
    return values


def attach_to_certificate(session, draft, certificate, now):
    """At confirmation: the draft's query answer becomes the certificate's; 有 holds it."""
    values = (draft.data or {}).get("parking_fine")
    if not values:
        return None
    check = check_for(session, certificate.id)
    if check is None:
        check = ParkingFineCheck(business_id=certificate.business_id, site_id=certificate.site_id,
                                 certificate_id=certificate.id)
        session.add(check)
    if check.query_id != values["query_id"]:
        check.query_id, check.possibility = values["query_id"], values["possibility"]
        check.queried_at = utc_naive(dt.datetime.fromisoformat(values["queried_at"]))
        check.queried_by_id = values["queried_by_id"]
        check.answer = check.answered_on = check.answer_note = None
        check.answer_recorded_at = check.answer_recorded_by_id = None
    session.flush()
    if is_holding(check):
        _hold(session, certificate, now, UNPAID_REASON if check.answer == "unpaid" else HELD_REASON)
    return check


def check_for(session, certificate_id):
    return session.scalar(select(ParkingFineCheck).where(ParkingFineCheck.certificate_id == certificate_id))


def is_holding(check) -> bool:
    return check is not None and check.possibility == "有" and check.answer not in RELEASING


def hold_reason(session, certificate) -> str | None:
    """Why the sender must not send this certificate yet, or None."""
    check = check_for(session, certificate.id)
    if not is_holding(check):
        return None
    return UNPAID_REASON if check.answer == "unpaid" else HELD_REASON


def _hold(session, certificate, now, reason):
    before_reason = certificate.reason
    certificate.next_attempt_at = None  # the sender never picks it until released
    certificate.reason_code, certificate.reason = HOLD_CODE, reason
    certificate.advice = "同意書兼照会書(PDF)を印刷して使用者の署名をもらい、警察にFAXしてください。回答は平日に届きます。"
    if before_reason != reason:
        record_event(session, certificate, now, "keizoku", "hold", certificate.status, certificate.status,
                     code=HOLD_CODE, message=reason)


def record_answer(session, certificate, form, user, now, today):
    """Record the police's answer. 未納なし / 納付を確認 release the certificate to the sender."""
    check = check_for(session, certificate.id)
    if check is None or check.possibility != "有":
        raise CertificateInputError("この保適証には照会結果「有」の放置違反金の照会がありません。回答を記録する必要はありません。")
    if certificate.status not in ("queued", "draft"):
        raise CertificateInputError("この保適証はすでに送信しています。回答は送信前の保適証にだけ記録できます。")
    answer = form.get("answer") or ""
    messages = []
    if answer not in PARKING_ANSWERS:
        messages.append("警察からの回答(未納なし・納付を確認・未納あり)を選んでください。")
    answered_on = None
    try:
        answered_on = parse_date_input(form.get("answered_on"), "回答日")
    except CertificateInputError as exc:
        messages.extend(exc.messages)
    queried_on = as_jst(check.queried_at).date()
    if answered_on and not queried_on <= answered_on <= today:
        messages.append(f"回答日は照会した日({format_wareki(queried_on)})から今日までの日付にしてください。")
    if messages:
        raise CertificateInputError(messages)
    check.answer, check.answered_on = answer, answered_on
    check.answer_note = (form.get("answer_note") or "").strip() or None
    check.answer_recorded_at, check.answer_recorded_by_id = utc_naive(now), user.id
    audit.record(session, "parking_fine_answer", entity=check,
                 detail=f"{certificate.chassis_number} {PARKING_ANSWERS[answer]} ({format_wareki(answered_on)})")
    if answer == "unpaid":
        _hold(session, certificate, now, UNPAID_REASON)
        return check
    if certificate.reason_code == HOLD_CODE:
        certificate.reason_code = certificate.reason = certificate.advice = None
    certificate.next_attempt_at = utc_naive(now)  # a 自賠責 hold, if any, is applied by the sender
    record_event(session, certificate, now, "keizoku", "release", certificate.status, certificate.status,
                 code=HOLD_CODE, message=f"放置違反金の回答「{PARKING_ANSWERS[answer]}」を記録しました。送信します。")
    return check


def consent_values(certificate, check, site, today) -> dict:
    """What the 同意書兼照会書 prints."""
    details = certificate.details or {}
    vehicle = details.get("vehicle") or {}
    return {
        "registration_number": certificate.registration_number or "",
        "chassis_number": certificate.chassis_number,
        "user_name": vehicle.get("owner_name") or "", "user_address": vehicle.get("owner_address") or "",
        "queried_on": format_wareki(as_jst(check.queried_at).date()), "query_id": check.query_id or "",
        "shop_name": f"{site.business.name} {site.name}", "shop_address": site.address or "",
        "shop_phone": getattr(site, "phone", None) or "",
        "today": format_wareki(today),
    }
