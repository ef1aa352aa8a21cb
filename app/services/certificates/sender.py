"""The sender: takes a certificate with a lease, calls AIRAS and AINAS, retries with backoff.

The sender (``process_certificate``, ``send_due``) takes a row with a lease, makes its outside
call outside any database transaction, and applies the answer only while it still holds the
lease. Idempotency keys make a repeated call harmless at the far end, the billable event is
unique in the database, so a sender killed at any point and started again changes no count.
"""
from __future__ import annotations

import datetime as dt
import logging
import random
import uuid

from sqlalchemy import or_, select, update

from app.integrations import CompulsoryInsuranceNotYetError, OutsideClosedError, OutsideSystemError, shop_reason
from app.integrations.base import advice_for
from app.models.certificate import Certificate
from app.models.tenancy import sites_in_service
from app.services.certificates import prechecks
from app.services.certificates.common import (
    ACTIVE_STATUSES,
    FOLLOWED_STATUSES,
    OSS_FINAL,
    SENDING_STATUSES,
    setting,
    utc_naive,
)
from app.services.certificates.events import record_event
from app.services.certificates.followup import apply_airas_result, apply_ainas_result, correction_pending
from app.services.certificates.signoff import sendable
from app.timeutil import JST

log = logging.getLogger(__name__)


def backoff_seconds(attempts, retry_after=None):
    """Exponential backoff from the configured base, never sooner than the far end asked."""
    base = float(setting("CERTIFICATE_RETRY_BASE_SECONDS", 30))
    cap = float(setting("CERTIFICATE_RETRY_MAX_SECONDS", 1800))
    delay = min(cap, base * (2 ** max(0, attempts - 1)))
    if setting("CERTIFICATE_HONOUR_RETRY_AFTER", True) and retry_after:
        delay = max(delay, float(retry_after))
    return delay * (1 + random.random() * 0.1)  # spread a crowd of retries


def claim(session, certificate_id, now, *, statuses=ACTIVE_STATUSES, due_only=True):
    """Take the row for this sender (or a shop command), or None when it is not due, not in one of
    ``statuses``, or another sender has it."""
    token = uuid.uuid4().hex
    moment = utc_naive(now)
    lease = dt.timedelta(seconds=float(setting("CERTIFICATE_LEASE_SECONDS", 120)))
    due = (Certificate.next_attempt_at <= moment,) if due_only else ()
    result = session.execute(update(Certificate).where(
        Certificate.id == certificate_id, *due, Certificate.status.in_(statuses), sendable(),
        Certificate.site_id.in_(sites_in_service()),
        or_(Certificate.lease_until.is_(None), Certificate.lease_until < moment),
    ).values(lease_until=moment + lease, lease_token=token).execution_options(synchronize_session=False))
    session.commit()
    return token if result.rowcount == 1 else None


def still_ours(session, certificate_id, token):
    """The certificate, freshly read, while ``token`` still holds its lease; else None (logged)."""
    certificate = session.get(Certificate, certificate_id, populate_existing=True)
    if certificate is None or certificate.lease_token != token:
        log.warning("certificate %s: lease lost, answer not applied", certificate_id)
        return None
    return certificate


def _on_error(session, record, certificate, exc, now, system, action):
    """A failed outside call: wait and retry, or stop with the reason and what to do (in Japanese;
    the technical text of the failure goes to the log only)."""
    log.warning("certificate %s: %s %s failed: %s", certificate.id, system, action, exc)
    if record is certificate and certificate.status in FOLLOWED_STATUSES:
        # Reading back a linked certificate failed: it stays linked; the next round reads again.
        record_event(session, certificate, now, system, action, certificate.status, certificate.status,
                     code=exc.code, message=exc.message, success=False)
        return
    record.attempts = (record.attempts or 0) + 1
    max_attempts = int(setting("CERTIFICATE_MAX_ATTEMPTS", 12))
    moment = utc_naive(now)
    waiting_status = record.status
    retry = exc.retryable
    if isinstance(exc, CompulsoryInsuranceNotYetError) and record is certificate:
        first = certificate.first_insurance_error_at or moment
        certificate.first_insurance_error_at = first
        if moment - first > exc.give_up_after:
            retry = False
    if isinstance(exc, OutsideClosedError) and exc.opens_at is not None:
        record.next_attempt_at = utc_naive(exc.opens_at)
        record.attempts -= 1  # waiting for opening hours is not a failure
    elif retry and record.attempts < max_attempts:
        record.next_attempt_at = moment + dt.timedelta(seconds=backoff_seconds(record.attempts, exc.retry_after))
    else:
        rejected = exc.code not in ("PROTOCOL", "NOT_FOUND", "TIMEOUT", "CONNECTION", "SERVER_ERROR") \
            and not exc.retryable
        waiting_status = "rejected" if rejected else "failed"
        record.next_attempt_at = None
    record.reason_code = exc.code
    record.reason = shop_reason(exc)
    record.advice = exc.message if waiting_status not in ("rejected",) else advice_for(exc.code)
    if waiting_status == "failed" and retry:
        record.advice = ("何度送信しても届きませんでした。時間をおいて「再送する」を押すか、協会のサポートに連絡してください。"
                         f"({exc.message})")
    before = record.status
    record.status = waiting_status
    record_event(session, certificate, now, system, action, before, waiting_status, code=exc.code,
                 message=exc.message, attempt=record.attempts, success=False)


def _next_time(certificate, now):
    """When the sender should look at this certificate again (None: never)."""
    moment = utc_naive(now)
    if certificate.status not in ACTIVE_STATUSES:
        return None  # rejected, failed, completed, deleted: nothing more to send or read
    if certificate.status in SENDING_STATUSES:
        return certificate.next_attempt_at
    candidates = []
    oss = certificate.oss_request
    if oss is not None and oss.status not in OSS_FINAL and oss.next_attempt_at is not None:
        candidates.append(oss.next_attempt_at)
    if certificate.status in FOLLOWED_STATUSES:
        stop_after = (certificate.certificate_valid_until or certificate.inspection_date) + dt.timedelta(days=30)
        if now.astimezone(JST).date() <= stop_after:
            follow = float(setting("CERTIFICATE_FOLLOW_SECONDS", 900))
            candidates.append(moment + dt.timedelta(seconds=follow))
    return min(candidates) if candidates else None


def _release(session, certificate, token, now):
    if certificate.lease_token == token:
        certificate.next_attempt_at = _next_time(certificate, now)
        certificate.lease_until = None
        certificate.lease_token = None
    session.commit()


def _airas_step(session, certificate_id, token, clients, now):
    certificate = still_ours(session, certificate_id, token)
    if certificate is None:
        return None
    payload, key, airas_id = certificate.payload, certificate.idempotency_key, certificate.airas_id
    if certificate.status == "queued":
        # A corrected certificate (after 引戻し) is registered again under its AIRAS id.
        action = "resubmit" if correction_pending(certificate) else "submit"
    else:
        action = "status"
    if action == "submit" and prechecks.hold_sending(session, certificate, now):
        return certificate  # 自賠責 under an hour old, or 放置違反金 有 without the police's answer
    session.commit()  # no transaction stays open while we wait for the outside system
    try:
        if action == "submit":
            result = clients.airas.submit_certificate(payload, key)
        elif action == "resubmit":
            result = clients.airas.resubmit_certificate(airas_id, payload, key)
        else:
            result = clients.airas.get_status(airas_id)
    except OutsideSystemError as exc:
        certificate = still_ours(session, certificate_id, token)
        if certificate is not None:
            _on_error(session, certificate, certificate, exc, now, "airas", action)
        return certificate
    certificate = still_ours(session, certificate_id, token)
    if certificate is not None:
        certificate.attempts = 0 if result["status"] != "sent" else certificate.attempts
        apply_airas_result(session, certificate, result, now, action)
        if certificate.status == "sent":
            poll = float(setting("CERTIFICATE_POLL_SECONDS", 30))
            certificate.next_attempt_at = utc_naive(now) + dt.timedelta(seconds=poll)
    return certificate


def _ainas_step(session, certificate_id, token, clients, now):
    certificate = still_ours(session, certificate_id, token)
    if certificate is None:
        return None
    oss = certificate.oss_request
    if oss.status == "queued":
        action, body, key = "submit", {**oss.payload, "airas_id": certificate.airas_id}, oss.idempotency_key
    else:
        action, request_id = "status", oss.request_id
    session.commit()
    try:
        if action == "submit":
            result = clients.ainas.submit_request(body, key)
        else:
            result = clients.ainas.get_status(request_id)
    except OutsideSystemError as exc:
        certificate = still_ours(session, certificate_id, token)
        if certificate is not None:
            _on_error(session, certificate.oss_request, certificate, exc, now, "ainas", action)
        return certificate
    certificate = still_ours(session, certificate_id, token)
    if certificate is None:
        return None
    oss = certificate.oss_request
    oss.attempts = 0
    apply_ainas_result(session, certificate, result, now, action)
    follow = float(setting("CERTIFICATE_FOLLOW_SECONDS", 900))
    oss.next_attempt_at = None if result["final"] else utc_naive(now) + dt.timedelta(seconds=follow)
    return certificate


def _due(stamp, now):
    return stamp is not None and stamp <= utc_naive(now)


def process_certificate(session, certificate_id, clients, now):
    """Do what is due for one certificate (send, read back, send the OSS request, follow).

    Returns True when this sender held the row. Safe to call from several senders at once.
    """
    token = claim(session, certificate_id, now)
    if token is None:
        return False
    certificate = None
    for _step in range(4):  # submit -> (already linked) -> AINAS, without waiting a round
        certificate = still_ours(session, certificate_id, token)
        if certificate is None:
            return True
        if certificate.status in SENDING_STATUSES and _due(certificate.next_attempt_at, now):
            certificate = _airas_step(session, certificate_id, token, clients, now)
        elif certificate.status in FOLLOWED_STATUSES and certificate.oss_request is not None \
                and certificate.oss_request.status == "queued" and _due(certificate.oss_request.next_attempt_at, now):
            certificate = _ainas_step(session, certificate_id, token, clients, now)
        elif _step == 0 and certificate.status in FOLLOWED_STATUSES and _due(certificate.next_attempt_at, now):
            certificate.next_attempt_at = None  # followed once this round
            certificate = _airas_step(session, certificate_id, token, clients, now)
            if certificate is not None and certificate.oss_request is not None \
                    and certificate.oss_request.status not in OSS_FINAL + ("queued",):
                certificate = _ainas_step(session, certificate_id, token, clients, now)
            break
        else:
            break
        if certificate is None:
            return True
        session.commit()
    if certificate is not None:
        certificate = still_ours(session, certificate_id, token)
        if certificate is not None:
            _release(session, certificate, token, now)
    return True


def due_certificate_ids(session, now, limit=100):
    moment = utc_naive(now)
    ids = session.scalars(select(Certificate.id).where(
        Certificate.status.in_(ACTIVE_STATUSES), Certificate.next_attempt_at <= moment, sendable(),
        Certificate.site_id.in_(sites_in_service()),  # a deactivated site or business waits
        or_(Certificate.lease_until.is_(None), Certificate.lease_until < moment),
    ).order_by(Certificate.next_attempt_at, Certificate.id).limit(limit)).all()
    session.commit()
    return ids


def send_due(session, now, clients, *, limit=100):
    """The scheduler's resend job: everything due by ``now``. Returns how many rows it handled.

    One certificate's failure (a database hiccup, a bug) is logged and does not stop the rest.
    """
    handled = 0
    for certificate_id in due_certificate_ids(session, now, limit):
        try:
            handled += process_certificate(session, certificate_id, clients, now)
        except Exception:  # noqa: BLE001 - the lease runs out and the row is tried again
            log.exception("certificate %s: sending failed", certificate_id)
            session.rollback()
    return handled


def send_now(session, certificate_id, clients, now):
    """Right after confirming: one go at once; whatever is left the scheduler finishes."""
    try:
        process_certificate(session, certificate_id, clients, now)
    except Exception:  # noqa: BLE001 - the shop's confirmation stands; the job retries
        log.exception("certificate %s: immediate send failed; the scheduler retries", certificate_id)
        session.rollback()
