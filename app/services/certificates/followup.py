"""Following a certificate after it is sent: applying AIRAS's and AINAS's answers, the billable
連携済 moment, and a shop's or support's request to send again."""
from __future__ import annotations

import logging

from sqlalchemy import select

from app.models.certificate import Certificate
from app.services.billable import record_billable_event
from app.services.certificates.common import CertificateInputError, utc_naive
from app.services.certificates.events import record_event

log = logging.getLogger(__name__)

MISMATCH_CODE = "AIRAS-MISMATCH"
MISMATCH_REASON = ("AIRASからの応答が、この保適証(車台番号 {chassis})のものではありませんでした。"
                   "応答は反映しておらず、利用料もかかっていません。")
MISMATCH_ADVICE = ("自動送信を止めました。AIRASの保適証照会で交付番号と車台番号を確かめてから、"
                   "協会のサポートに連絡してください。")


def _set_status(session, certificate, status, now, system, action, **event):
    before = certificate.status
    certificate.status = status
    record_event(session, certificate, now, system, action, before, status, **event)


def mark_linked(session, certificate, now):
    """The billable moment (連携済): one event per certificate, enforced by the database."""
    if certificate.linked_at is None:
        certificate.linked_at = utc_naive(now)
    record_billable_event(session, kind="certificate", object_id=certificate.id,
                          business_id=certificate.business_id, site_id=certificate.site_id,
                          occurred_at=certificate.linked_at)


def foreign_answer(session, certificate, result):
    """Why an AIRAS answer is not about this certificate (English, for the log), or None.

    AIRAS names the 車台番号 of the 保適証 it answers about; it must be ours, the AIRAS id must be
    the one we hold, and no other certificate may hold it (after an outside system lost its memory,
    an id can come back naming another car)."""
    ours = {certificate.chassis_number, (certificate.payload or {}).get("chassis_number")}
    theirs = result.get("chassis_number")
    if theirs is None:
        return "the answer names no chassis number"
    if theirs not in ours:
        return f"the answer is about chassis {theirs!r}"
    if certificate.airas_id is not None and result["airas_id"] != certificate.airas_id:
        return f"the answer is about AIRAS id {result['airas_id']!r}"
    holder = session.scalar(select(Certificate.id).where(Certificate.airas_id == result["airas_id"],
                                                         Certificate.id != certificate.id))
    if holder is not None:
        return f"AIRAS id {result['airas_id']!r} already belongs to certificate {holder}"
    return None


def set_aside_foreign_answer(session, certificate, result, now, action):
    """An answer about another car: logged, not applied, not billed; the certificate waits for a
    person (``failed``, with the reason on its page). Returns True when the answer was set aside."""
    problem = foreign_answer(session, certificate, result)
    if problem is None:
        return False
    log.warning("certificate %s (chassis %s, AIRAS id %s): AIRAS %s answer for AIRAS id %s not applied: %s",
                certificate.id, certificate.chassis_number, certificate.airas_id, action,
                result.get("airas_id"), problem)
    before = certificate.status
    certificate.status = "failed"
    certificate.reason_code = MISMATCH_CODE
    certificate.reason = MISMATCH_REASON.format(chassis=certificate.chassis_number)
    certificate.advice = MISMATCH_ADVICE
    certificate.next_attempt_at = None
    record_event(session, certificate, now, "airas", action, before, "failed", code=MISMATCH_CODE,
                 message=certificate.reason, attempt=certificate.attempts, success=False)
    return True


def apply_airas_result(session, certificate, result, now, action):
    """AIRAS's answer to a submit, resubmit or status call, applied to the certificate (with the
    billable event once linked, and a timeline entry when the status moves), unless it is about
    another car (``set_aside_foreign_answer``)."""
    if set_aside_foreign_answer(session, certificate, result, now, action):
        return
    certificate.airas_id = result["airas_id"]
    certificate.issue_number = result.get("issue_number") or certificate.issue_number
    certificate.airas_status = result["airas_status"]
    certificate.report_status = result.get("report_status")
    if certificate.sent_at is None:
        certificate.sent_at = utc_naive(now)
    status = result["status"]
    if status == "rejected":
        certificate.reason_code, certificate.reason = result["reason_code"], result["reason"]
        certificate.advice = result["advice"]
    else:
        certificate.reason_code = certificate.reason = certificate.advice = None
    certificate.first_insurance_error_at = None
    if result["linked"]:
        mark_linked(session, certificate, now)
    if action == "resubmit":
        certificate.details = {**certificate.details, "correction": {**certificate.details["correction"],
                                                                     "pending": False}}
    if status != certificate.status or action in ("submit", "resubmit"):
        _set_status(session, certificate, status, now, "airas", action, code=result.get("reason_code"),
                    message=_airas_message(result), attempt=certificate.attempts)


def _airas_message(result):
    text = f"AIRAS: {result['airas_status']}"
    if result.get("issue_number"):
        text += f"(交付番号 {result['issue_number']})"
    if result.get("reason"):
        text += f" {result['reason']} {result.get('advice') or ''}"
    return text


def apply_ainas_result(session, certificate, result, now, action):
    """AINAS's answer to a submit or status call, applied to the certificate's OSS request (with a
    timeline entry when its status moves)."""
    oss = certificate.oss_request
    before = oss.status
    oss.request_id, oss.ainas_status, oss.status = result["request_id"], result["ainas_status"], result["status"]
    oss.reason_code, oss.reason = result["reason_code"], result["reason"]
    oss.advice = result["advice"]
    if oss.sent_at is None:
        oss.sent_at = utc_naive(now)
    if before != oss.status or action == "submit":
        record_event(session, certificate, now, "ainas", action, before, oss.status, code=result["reason_code"],
                     message=f"AINAS: {result['ainas_status']}(依頼番号 {result['request_id']})")


def correction_pending(certificate):
    """True when a corrected certificate (after 引戻し) still has to be registered again at AIRAS."""
    return bool(certificate.airas_id and ((certificate.details or {}).get("correction") or {}).get("pending"))


def request_resend(session, certificate, now):
    """A shop or support asks for another try of a failed or waiting send (same keys)."""
    if certificate.approval_status == "pending":
        raise CertificateInputError("承認待ちの保適証は送信できません。事業場管理責任者(または代務者)の承認を待ってください。")
    if certificate.status not in ("failed", "queued", "sent") and not (
            certificate.oss_request is not None and certificate.oss_request.status == "failed"):
        raise CertificateInputError("この保適証は再送できる状態ではありません。")
    before = certificate.status
    if certificate.status == "failed":
        certificate.status = "sent" if certificate.airas_id and not correction_pending(certificate) else "queued"
    oss = certificate.oss_request
    if oss is not None and oss.status == "failed":
        oss.status = "accepted" if oss.request_id else "queued"
        oss.attempts, oss.next_attempt_at = 0, utc_naive(now)
    certificate.attempts = 0
    certificate.next_attempt_at = utc_naive(now)
    record_event(session, certificate, now, "keizoku", "resend", before, certificate.status,
                 message="再送を受け付けました。")
