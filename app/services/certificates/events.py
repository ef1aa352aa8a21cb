"""The certificate's timeline: one ``CertificateEvent`` row for each step at Keizoku, AIRAS or AINAS."""
from __future__ import annotations

from app.models.certificate import CertificateEvent
from app.services.certificates.common import utc_naive


def record_event(session, certificate, now, system, action, before, after, *, code=None, message=None,
                 attempt=None, success=True):
    """Add one timeline entry (status before and after, the outside code and message, if any)."""
    session.add(CertificateEvent(
        business_id=certificate.business_id, site_id=certificate.site_id, certificate_id=certificate.id,
        occurred_at=utc_naive(now), system=system, action=action, status_before=before,
        status_after=after, code=code, message=message, attempt=attempt, success=success))
