"""The checks made around confirming and sending a 保適証 (e-JIBAI, OBD検査, 放置違反金), as the
three hooks the shared modules call: the confirmation pre-flight's blockers, what confirming
stores and holds, and whether the sender must wait."""
from __future__ import annotations

from app.services.certificates import jibai, obd, parking_fines
from app.services.certificates.common import utc_naive
from app.services.certificates.events import record_event


def confirmation_problems(data) -> list[str]:
    """Blockers of the confirmation pre-flight (Japanese sentences)."""
    return obd.confirmation_problems(data)


def after_confirm(session, draft, certificate, now):
    """Store the OBD result and the 放置違反金 answer with the certificate; hold it when the 自賠責
    is under an hour old or the 放置違反金 answer is 有 without the police's answer."""
    obd.store_result(session, draft, certificate)
    parking_fines.attach_to_certificate(session, draft, certificate, now)
    if parking_fines.hold_reason(session, certificate) is None:
        jibai.hold_if_recent(session, certificate, now)


def hold_sending(session, certificate, now) -> bool:
    """Just before the sender's first 登録: True (and the certificate rescheduled, with the reason)
    when it must wait. Catches a 再送 pressed while a hold is on."""
    reason = parking_fines.hold_reason(session, certificate)
    if reason is not None:
        certificate.next_attempt_at = None
        certificate.reason_code, certificate.reason = parking_fines.HOLD_CODE, reason
        return True
    until = jibai.send_not_before(certificate)
    if until is not None and until > now:
        if certificate.reason_code != jibai.HOLD_CODE:
            jibai.hold_if_recent(session, certificate, now)
        certificate.next_attempt_at = utc_naive(until)
        return True
    if certificate.reason_code in (jibai.HOLD_CODE, parking_fines.HOLD_CODE):
        certificate.reason_code = certificate.reason = certificate.advice = None
        record_event(session, certificate, now, "keizoku", "release", certificate.status, certificate.status,
                     message="送信の保留が解けました。AIRASに送信します。")
    return False
