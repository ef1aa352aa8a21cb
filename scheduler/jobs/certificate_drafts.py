"""The nightly expiry of 保適証 drafts nobody touched (CERTIFICATE_DRAFT_EXPIRY_DAYS)."""
import logging

log = logging.getLogger(__name__)


def run_draft_expiry(app):
    """Delete untouched drafts past the setting's days; safe to rerun (it deletes what is due)."""
    from app.extensions import db
    from app.services.certificates.drafts import expire_drafts
    from app.timeutil import now

    with app.app_context():
        try:
            deleted = expire_drafts(db.session, now(), app.config["CERTIFICATE_DRAFT_EXPIRY_DAYS"])
            db.session.commit()
        finally:
            db.session.remove()
    if deleted:
        log.info("certificate drafts expired: %d", deleted)
    return deleted


JOBS = [{"id": "certificate_draft_expiry", "func": run_draft_expiry, "trigger": "cron", "hour": 0,
         "minute": 40}]
