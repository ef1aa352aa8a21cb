"""Recording billable events exactly once per object."""
import logging

from sqlalchemy.exc import IntegrityError

from app.models.billing import BILLABLE_KINDS, BillableEvent
from app.timeutil import utcnow_naive

log = logging.getLogger(__name__)


def record_billable_event(session, *, kind, object_id, business_id, site_id, occurred_at=None):
    """Record the event for ``(kind, object_id)`` unless it exists; True when this call did.

    The unique constraint decides between concurrent callers: the loser's insert fails
    inside a savepoint and is rolled back, leaving its transaction usable.
    """
    if kind not in BILLABLE_KINDS:
        raise ValueError(f"unknown billable kind {kind!r}")
    savepoint = session.begin_nested()
    try:
        session.add(BillableEvent(kind=kind, object_id=object_id, business_id=business_id,
                                  site_id=site_id, occurred_at=occurred_at or utcnow_naive()))
        session.flush()
    except IntegrityError:
        savepoint.rollback()
        log.info("billable event %s/%s exists already", kind, object_id)
        return False
    savepoint.commit()
    return True
