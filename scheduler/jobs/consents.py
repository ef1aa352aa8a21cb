"""Scheduled 承諾書 job: the nightly retention purge (kept 2 years after they stop being valid)."""
import logging

log = logging.getLogger(__name__)


def run_consent_retention(app):
    """Delete consents past their keeping period; safe to rerun."""
    from app.extensions import db
    from app.services.certificates.consents import purge_expired_consents
    from app.timeutil import today

    with app.app_context():
        try:
            purged = purge_expired_consents(db.session, today())
            log.info("consent retention: %s purged", purged)
            return purged
        finally:
            db.session.remove()


JOBS = [{"id": "consent_retention", "func": run_consent_retention, "trigger": "cron", "hour": 0, "minute": 40}]
