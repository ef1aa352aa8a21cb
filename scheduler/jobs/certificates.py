"""The certificate resend job: every minute, send and follow whatever is due."""
import logging

log = logging.getLogger(__name__)


def run_certificate_send(app):
    """Send every certificate whose next attempt is due (idempotent: a rerun changes nothing)."""
    from app.extensions import db
    from app.services.certificates.common import clients_from_config
    from app.services.certificates.sender import send_due
    from app.timeutil import now

    with app.app_context():
        handled = send_due(db.session, now(), clients_from_config())
        db.session.remove()
    if handled:
        log.info("certificate_send: %d certificates handled", handled)
    return handled


JOBS = [{"id": "certificate_send", "func": run_certificate_send, "trigger": "interval", "minutes": 1}]
