"""The webhook delivery job: every minute, POST every due status-change event (with backoff)."""
import logging

log = logging.getLogger(__name__)


def run_webhook_delivery(app):
    """Deliver every webhook event whose next attempt is due (a rerun sends nothing twice:
    delivered events are no longer pending)."""
    from app.extensions import db
    from app.services.webhooks import client_from_config, deliver_due
    from app.timeutil import now

    with app.app_context():
        delivered = deliver_due(db.session, now(), client_from_config())
        db.session.remove()
    if delivered:
        log.info("webhook_delivery: %d events delivered", delivered)
    return delivered


JOBS = [{"id": "webhook_delivery", "func": run_webhook_delivery, "trigger": "interval", "seconds": 30}]
