"""Following a certificate after it is sent: applying AIRAS's and AINAS's answers, the billable
連携済 moment, and a shop's or support's request to send again."""
from __future__ import annotations

from app.services.billable import record_billable_event
from app.services.certificates.common import CertificateInputError, utc_naive
from app.services.certificates.events import record_event


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


def apply_airas_result(session, certificate, result, now, action):
    """AIRAS's answer to a submit, resubmit or status call, applied to the certificate (with the
    billable event once linked, and a timeline entry when the status moves)."""
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
