"""Scheduled record jobs: the nightly retention purge (記録簿 kept 2 years)."""
import logging

log = logging.getLogger(__name__)


def run_retention(app):
    """Delete records past their retention period; safe to rerun (it deletes what is due)."""
    from app.extensions import db
    from app.services.records import purge_expired_records
    from app.timeutil import today

    with app.app_context():
        try:
            summary = purge_expired_records(db.session, today(), log=log.info)
            log.info("records retention: %s", summary)
            return summary
        finally:
            db.session.remove()


JOBS = [{"id": "records_retention", "func": run_retention, "trigger": "cron", "hour": 0,
         "minute": 30}]
