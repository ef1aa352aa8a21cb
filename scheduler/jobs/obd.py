"""Scheduled OBD job: OBD検査 results are kept with the 記録簿 for 2 years, then purged with them
(the records' retention period, RECORDS_RETENTION_YEARS)."""
import logging

log = logging.getLogger(__name__)


def run_obd_retention(app):
    from app.extensions import db
    from app.services.certificates.obd import purge_expired
    from app.services.records import retention_cutoff
    from app.timeutil import today

    with app.app_context():
        try:
            return purge_expired(db.session, retention_cutoff(today()), log=log.info)
        finally:
            db.session.remove()


JOBS = [{"id": "obd_results_retention", "func": run_obd_retention, "trigger": "cron", "hour": 0,
         "minute": 40}]
