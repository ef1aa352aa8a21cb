"""Month-end closing at 0:05 on the 1st (inside the 0:00–1:00 maintenance window), closing
the month that has just ended; and a catch-up for a 1st the scheduler was down, run when a
scheduler takes the lock and hourly after that."""
import logging

log = logging.getLogger(__name__)


def close_month_job(app, month=None):
    """Close ``month`` ("2026-10"), or the previous month when none is given.

    A month the association has reopened is left for them to close by hand, unless it is named
    explicitly (``flask jobs run billing_close --month 2026-10``).
    """
    from sqlalchemy import select

    from app.extensions import db
    from app.models.invoice import BillingMonth
    from app.services import billing
    from app.timeutil import now

    with app.app_context():
        try:
            if month:
                year, number = billing.parse_month(month)
            else:
                today = now().date()
                year, number = billing.previous_month(today.year, today.month)
                row = db.session.scalars(select(BillingMonth).where(
                    BillingMonth.year_month == billing.month_label(year, number))).first()
                if row is not None and row.state == "open" and row.reopen_count:
                    log.info("billing month %s was reopened; left for the association",
                             row.year_month)
                    return None
            result = billing.close_month(db.session, year, number)
            return result.invoice_count
        finally:
            db.session.remove()


def catch_up_job(app):
    """Close the previous month if it was never closed (the scheduler was down at 0:05)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models.invoice import BillingMonth
    from app.services import billing
    from app.timeutil import now

    with app.app_context():
        try:
            today = now().date()
            year, number = billing.previous_month(today.year, today.month)
            exists = db.session.scalar(select(BillingMonth.id).where(
                BillingMonth.year_month == billing.month_label(year, number)))
        finally:
            db.session.remove()
    if exists is None:
        log.warning("billing month %04d-%02d was not closed on the 1st; closing it now", year, number)
        return close_month_job(app)
    return None


JOBS = [
    {"id": "billing_close", "func": close_month_job, "trigger": "cron",
     "day": 1, "hour": 0, "minute": 5, "misfire_grace_time": 6 * 3600},
    {"id": "billing_close_catch_up", "func": catch_up_job, "trigger": "interval", "hours": 1,
     "misfire_grace_time": 3600, "run_at_start": True},
]
