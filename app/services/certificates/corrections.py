"""Corrections of a sent 保適証: 削除 and 引戻し at AIRAS, and the correction draft (outside-systems.md
§1.5 and the state diagram in §5.2).

Both are shop commands. Each one checks the status, takes the certificate's lease so the sender
does not call AIRAS about the same certificate at the same time, and makes one call outside any
database transaction. Then one transaction applies the answer and adds the timeline entry and the
audit record. A failed call changes nothing except a failed timeline entry and an audit record.
Repeating the command is safe: AIRAS answers a second 削除 or 引戻し with the record as it already is.

引戻し reopens a wizard draft prefilled from the certificate. When an inspector confirms it,
``confirmation.confirm`` applies the correction, and the sender registers the corrected
保適証 again under the same 交付番号 with a new idempotency key.
"""
from __future__ import annotations

import logging

from sqlalchemy import select

from app import audit
from app.integrations import OutsideProtocolError, OutsideRejectedError, OutsideSystemError
from app.models.certificate import CertificateDraft
from app.services.certificates import used_vehicles
from app.services.certificates.common import OSS_FINAL, CertificateInputError
from app.services.certificates.events import record_event
from app.services.certificates.followup import (
    MISMATCH_ADVICE,
    MISMATCH_CODE,
    MISMATCH_REASON,
    foreign_answer,
    mark_linked,
)
from app.services.certificates.sender import claim, still_ours

log = logging.getLogger(__name__)

audit.ACTION_LABELS.update({
    "certificate_delete": "保適証の削除", "certificate_delete_failed": "保適証の削除(失敗)",
    "certificate_pull_back": "保適証の引戻し", "certificate_pull_back_failed": "保適証の引戻し(失敗)",
})


# Our status codes from which AIRAS allows each command ("draft" = pulled back, AIRAS 作成中).
# 窓口申請 from 報告済 only until the window examines the papers: [I] for 削除 (outside-systems.md §5.2).
DELETABLE = {"oss": ("draft", "sent", "linked", "rejected"),
             "hybrid": ("draft", "sent", "linked", "rejected", "reported")}
PULLABLE = {"oss": ("sent", "linked", "rejected"), "hybrid": ("sent", "linked", "rejected", "reported")}


# A 却下 for these reasons concerns an item that cannot be corrected: delete and issue again.
UNCORRECTABLE_REASONS = ("VIN-KIND",)
UNCORRECTABLE_LABELS = ("車台番号", "自動車区分", "交付年月日", "検査年月日", "自動車検査員")
CORRECTABLE_LABELS = ("登録番号", "使用者の氏名・住所", "走行距離計表示値", "自賠責", "申請方法(OSS申請・窓口申請)",
                      "有効期間", "自動車重量税額・検査手数料")
BUSY = "この保適証は今、自動送信の処理中です。1〜2分おいてから、もう一度操作してください。"
SAFE_TO_REPEAT = "もう一度同じ操作をしてください(AIRASですでに処理済みでも、二重に処理されることはありません)。"
DELETED_ADVICE = ("この保適証はAIRASで削除しました。交付番号は使えません。必要な場合は「保適証の作成」から新しい保適証を"
                  "作成してください(AIRASの手数料と本システムの利用料が新しい保適証の分かかります)。")
OSS_NOT_SENT = "保適証を削除したため、OSS申請依頼は送信しませんでした。"
OSS_AFTER_DELETE = ("保適証を削除しました。AINASの申請依頼(依頼番号 {request_id})は自動では取り下げられません。"
                    "代理人(日整連支部)に取下げを依頼し、新しい保適証で申請依頼をし直してください。")
CORRECTING_ADVICE = "訂正の入力を済ませて自動車検査員が確定すると、AIRASに訂正を送信します。"


# OSS: once the 代理人 files, the 保適証 is locked until the 運輸支局 差戻 or 却下 the filing
# (outside-systems.md §1.5); then it can be pulled back or deleted again.
FILING_RETURNED = ("returned", "rejected")


def filing_returned(certificate):
    oss = certificate.oss_request
    return (certificate.application_type == "oss" and certificate.status == "reported"
            and oss is not None and oss.status in FILING_RETURNED)


def is_reported_hybrid(certificate):
    return certificate.application_type == "hybrid" and certificate.status == "reported"


def deletion_problems(certificate):
    """Why the certificate cannot be deleted at AIRAS now (an empty list: it can)."""
    if certificate.status == "deleted":
        return ["この保適証はすでに削除しています。"]
    if certificate.airas_id is None:
        return ["この保適証はまだAIRASに登録されていないため、削除できません。送信の状況を確認してください。"]
    if certificate.status not in DELETABLE[certificate.application_type] and not filing_returned(certificate):
        if certificate.application_type == "oss" and certificate.status == "reported":
            return ["OSS申請で報告済の保適証は削除できません。代理人(日整連支部)に連絡してください。"]
        return ["現在の状態では削除できません(削除できるのは作成中・連携済・却下、窓口申請は報告済も)。"]
    return []


def pull_back_problems(certificate):
    """Why the certificate cannot be pulled back for correction now (an empty list: it can)."""
    if certificate.status == "draft":
        return []  # already pulled back: the correction draft is reopened
    if certificate.airas_id is None or (certificate.status not in PULLABLE[certificate.application_type]
                                        and not filing_returned(certificate)):
        if certificate.application_type == "oss" and certificate.status == "reported":
            return ["OSS申請で報告済になった保適証は、代理人が申請を始めているため引戻しできません。"
                    "代理人(日整連支部)に連絡してください。"]
        return ["現在の状態では引戻しできません(引戻しできるのは作成中・連携済・却下、窓口申請は報告済も)。"]
    if certificate.reason_code in UNCORRECTABLE_REASONS:
        return ["却下の理由が車台番号・自動車区分で、これは訂正できません。保適証を削除して新しく作成してください"
                "(AIRASの手数料が再度かかります)。"]
    return []


def _call_outside(session, certificate, now, action, call, window_note=""):
    """Hold the lease, make one AIRAS call, and on failure record it and raise a Japanese message."""
    certificate_id = certificate.id
    token = claim(session, certificate_id, now, statuses=(certificate.status,), due_only=False)
    if token is None:
        raise CertificateInputError(BUSY)
    try:
        return token, call()
    except OutsideSystemError as exc:
        certificate = still_ours(session, certificate_id, token)
        if certificate is not None:
            record_event(session, certificate, now, "airas", action, certificate.status, certificate.status,
                         code=exc.code, message=exc.message, success=False)
            audit.record(session, f"certificate_{action}_failed", entity=certificate,
                         detail=f"{certificate.airas_id} {exc.code}{window_note}")
            _release(certificate, token)
        session.commit()
        again = f" {SAFE_TO_REPEAT}" if exc.retryable else ""
        raise CertificateInputError(f"{exc.message}{again}") from None


def _apply_answer(session, certificate_id, token, result, status, advice):
    """The answer of a shop command, while the lease is still ours: (certificate, status before)."""
    certificate = still_ours(session, certificate_id, token)
    if certificate is None:
        session.commit()
        raise CertificateInputError(BUSY)
    before = certificate.status
    certificate.status = status
    certificate.airas_status, certificate.report_status = result["airas_status"], result.get("report_status")
    certificate.next_attempt_at = None  # nothing for the sender until the shop acts again
    certificate.reason_code = certificate.reason = None
    certificate.advice = advice
    return certificate, before


def _release(certificate, token):
    if certificate.lease_token == token:
        certificate.lease_until = certificate.lease_token = None


def _read_first(client, airas_id, status, chassis_number):
    """A certificate we last saw as sent may have reached 作成済 since our last poll: read it
    before a 削除 or 引戻し so that its 連携済 charge is recorded, not lost with the record.
    A record about another car stops the command before it touches that car's 保適証."""
    if status != "sent":
        return None
    seen = client.get_status(airas_id)
    if seen.get("chassis_number") != chassis_number:
        log.warning("AIRAS id %s: read before a correction names chassis %r, not %r; nothing done",
                    airas_id, seen.get("chassis_number"), chassis_number)
        raise OutsideProtocolError("airas", f"{MISMATCH_REASON.format(chassis=chassis_number)}{MISMATCH_ADVICE}",
                                   code=MISMATCH_CODE, reason=f"chassis {seen.get('chassis_number')!r}")
    return seen


def _catch_up_link(session, certificate, seen, now):
    if seen is not None and seen["linked"] and foreign_answer(session, certificate, seen) is None:
        certificate.issue_number = seen.get("issue_number") or certificate.issue_number
        mark_linked(session, certificate, now)


def _delete_at_airas(client, airas_id):
    try:
        return client.delete_certificate(airas_id)
    except OutsideRejectedError as exc:
        # The real AIRAS may refuse a second 削除 instead of answering the deleted record.
        if exc.code != "NOT-DELETABLE":
            raise
        current = client.get_status(airas_id)
        if current["status"] == "deleted":
            return current
        raise


def delete_certificate(session, certificate, clients, now, *, window_not_yet=False):
    """削除 at AIRAS; the certificate becomes ``deleted``. Commits. The billable event stays."""
    problems = deletion_problems(certificate)
    if is_reported_hybrid(certificate) and not window_not_yet:
        problems.append("窓口申請で報告済の保適証は、窓口に書類をまだ出していない場合だけ削除できます。"
                        "確認の欄にチェックしてください。")
    if problems:
        raise CertificateInputError(problems)
    note = " (窓口申請・報告済: 窓口提出前と確認済み)" if is_reported_hybrid(certificate) else ""
    airas_id, status, chassis = certificate.airas_id, certificate.status, certificate.chassis_number
    token, (seen, result) = _call_outside(
        session, certificate, now, "delete",
        lambda: (_read_first(clients.airas, airas_id, status, chassis), _delete_at_airas(clients.airas, airas_id)),
        note)
    certificate, before = _apply_answer(session, certificate.id, token, result, "deleted", DELETED_ADVICE)
    _catch_up_link(session, certificate, seen, now)
    leftover = open_correction_draft(session, certificate)
    if leftover is not None:
        session.delete(leftover)  # pulled back, then deleted: nothing is left to correct
    oss_note = _settle_oss_after_delete(certificate.oss_request)
    message = f"AIRAS: 削除(交付番号 {certificate.issue_number or '―'}){note}"
    record_event(session, certificate, now, "airas", "delete", before, "deleted",
                 message=f"{message} {oss_note}" if oss_note else message)
    audit.record(session, "certificate_delete", entity=certificate,
                 detail=f"{certificate.chassis_number} {airas_id} {before}->deleted{note}")
    _release(certificate, token)
    session.commit()
    return certificate


def _settle_oss_after_delete(oss):
    """An OSS request that is not final: stop it, or tell the shop to ask the 代理人 to withdraw it."""
    if oss is None or oss.status in OSS_FINAL:
        return None
    oss.next_attempt_at = None
    if oss.request_id is None:
        oss.status, oss.reason, oss.advice = "withdrawn", OSS_NOT_SENT, None
        return OSS_NOT_SENT
    oss.advice = OSS_AFTER_DELETE.format(request_id=oss.request_id)
    return oss.advice


def pull_back(session, certificate, clients, now, user_id):
    """引戻し at AIRAS and a correction draft prefilled from the certificate. Commits; returns the draft."""
    problems = pull_back_problems(certificate)
    if problems:
        raise CertificateInputError(problems)
    if certificate.status == "draft":
        draft = correction_draft(session, certificate, user_id)
        session.commit()
        return draft
    airas_id, status, chassis = certificate.airas_id, certificate.status, certificate.chassis_number
    token, (seen, result) = _call_outside(
        session, certificate, now, "pull_back",
        lambda: (_read_first(clients.airas, airas_id, status, chassis),
                 clients.airas.pull_back_certificate(airas_id)))
    certificate, before = _apply_answer(session, certificate.id, token, result, "draft", CORRECTING_ADVICE)
    _catch_up_link(session, certificate, seen, now)
    record_event(session, certificate, now, "airas", "pull_back", before, "draft",
                 message=f"AIRAS: {result['airas_status']}(引戻し済み、交付番号 {certificate.issue_number or '―'})")
    audit.record(session, "certificate_pull_back", entity=certificate,
                 detail=f"{certificate.chassis_number} {airas_id} {before}->draft")
    draft = correction_draft(session, certificate, user_id)
    _release(certificate, token)
    session.commit()
    return draft


def open_correction_draft(session, certificate):
    drafts = session.scalars(select(CertificateDraft).where(
        CertificateDraft.business_id == certificate.business_id, CertificateDraft.site_id == certificate.site_id,
        CertificateDraft.certificate_id.is_(None)).order_by(CertificateDraft.id.desc())).all()
    return next((d for d in drafts if ((d.data or {}).get("correction") or {}).get("certificate_id")
                 == certificate.id), None)


def correction_draft(session, certificate, user_id):
    """The open correction draft of a pulled-back certificate, or a new one filled from it."""
    draft = open_correction_draft(session, certificate)
    if draft is not None:
        return draft
    details = certificate.details or {}
    vehicle, inspection = details.get("vehicle") or {}, details.get("inspection") or {}
    data = {section: details[section] for section in ("vehicle", "inspection", "insurance", "checks")
            if details.get(section)}
    data.update(used_vehicles.initial_data(used_vehicles.purpose_code(details)))  # 中古新規 stays one
    data["correction"] = {
        "certificate_id": certificate.id, "issue_number": certificate.issue_number,
        "issue_date": certificate.issue_date.isoformat(),
        "locked": {"chassis_number": vehicle.get("chassis_number", certificate.chassis_number),
                   "vehicle_kind": vehicle.get("vehicle_kind", certificate.vehicle_kind),
                   "inspection_date": inspection.get("inspection_date", certificate.inspection_date.isoformat()),
                   "inspector_id": inspection.get("inspector_id", certificate.inspector_id)},
    }
    draft = CertificateDraft(business_id=certificate.business_id, site_id=certificate.site_id,
                             created_by_id=user_id, step="vehicle", data=data)
    session.add(draft)
    session.flush()
    return draft
