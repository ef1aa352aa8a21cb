"""Whose fix is it, for the shop's screens (issue 15.10): a rejected or stalled filing names who
must act (app/domain/whose_fix.py decides), and the certificate page carries the timing notes
(MOTAS report times, the 代理人's weekday hours) where they matter.

A filing is stalled when its status (the 保適証's or its OSS request's) has not moved for more
than ``CERTIFICATE_STALLED_WEEKDAY_HOURS`` hours counted on days the 運輸支局 works.
"""
from __future__ import annotations

from sqlalchemy import func, or_, select

from app.domain import whose_fix
from app.models.certificate import CertificateEvent
from app.services.certificates.common import as_jst, setting

DEFAULT_STALLED_WEEKDAY_HOURS = 24
OSS_WAITING_FOR_AGENT = ("accepted", "filing", "paid", "under_review")
OSS_TURNED_BACK = ("rejected", "correction_requested", "returned")


def last_moves(session, certificate_ids):
    """{certificate id: the last time its status or its OSS request's moved (UTC, naive)}."""
    if not certificate_ids:
        return {}
    rows = session.execute(select(CertificateEvent.certificate_id, func.max(CertificateEvent.occurred_at)).where(
        CertificateEvent.certificate_id.in_(list(certificate_ids)),
        or_(CertificateEvent.status_before.is_(None), CertificateEvent.status_before != CertificateEvent.status_after),
    ).group_by(CertificateEvent.certificate_id)).all()
    return dict(rows)


def _waiting_stage(certificate):
    """Where a filing in progress waits ("airas", "report", "agent"), or None when nobody outside
    should be moving it (not sent yet, finished, or the shop's turn)."""
    oss = certificate.oss_request
    if certificate.status == "sent":
        return "airas"
    if certificate.status == "linked" and certificate.application_type == "hybrid":
        return "report"
    if certificate.status in ("linked", "reported") and oss is not None and oss.status in OSS_WAITING_FOR_AGENT:
        return "agent"
    return None


def verdict(certificate, last_move, now):
    """A ``whose_fix.Verdict`` for a rejected, turned-back or stalled filing; None otherwise."""
    oss = certificate.oss_request
    if certificate.status == "rejected":
        return whose_fix.for_rejection("airas", certificate.reason_code, certificate.reason, now=now)
    if oss is not None and oss.status in OSS_TURNED_BACK and certificate.status not in ("deleted", "draft"):
        return whose_fix.for_rejection("ainas", oss.reason_code, oss.reason, filed_by_agent=True, now=now)
    stage = _waiting_stage(certificate)
    since = last_move or certificate.sent_at or certificate.created_at
    if stage is None or since is None:
        return None
    hours = whose_fix.weekday_hours_between(as_jst(since), now)
    limit = float(setting("CERTIFICATE_STALLED_WEEKDAY_HOURS", DEFAULT_STALLED_WEEKDAY_HOURS))
    return whose_fix.for_stall(stage, hours, now) if hours > limit else None


def list_flags(session, certificates, now):
    """{certificate id: Verdict} for the rows of the shop's list that need someone to act."""
    moves = last_moves(session, [c.id for c in certificates])
    flags = {}
    for certificate in certificates:
        found = verdict(certificate, moves.get(certificate.id), now)
        if found is not None:
            flags[certificate.id] = found
    return flags


def page_notes(certificate, now):
    """Timing notes for the certificate page, only where they matter now."""
    notes = []
    oss = certificate.oss_request
    if certificate.status in ("queued", "sent", "linked") and certificate.report_status != "報告済":
        notes.append(whose_fix.MOTAS_NOTE)
    if oss is not None and oss.status in ("queued",) + OSS_WAITING_FOR_AGENT + OSS_TURNED_BACK:
        hours = whose_fix.agent_hours_note(now)
        if hours:
            notes.append(hours)
    return notes


def for_page(session, certificate, now):
    """(verdict or None, notes) for one certificate's page."""
    found = verdict(certificate, last_moves(session, [certificate.id]).get(certificate.id), now)
    notes = [n for n in page_notes(certificate, now) if found is None or n not in found.notes]
    return found, notes
