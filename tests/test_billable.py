"""A billable event is recorded once per object, enforced by the database."""
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.models.billing import BillableEvent
from app.services.billable import record_billable_event


def _count(db, object_id):
    return db.session.scalar(select(func.count()).select_from(BillableEvent).where(
        BillableEvent.object_id == object_id))


def test_second_event_for_the_same_object_is_not_recorded(app, tenants):
    from app.extensions import db

    a = tenants.ids["a"]
    with app.app_context():
        kw = dict(kind="record", object_id=4242, business_id=a["Business"], site_id=a["Site"])
        assert record_billable_event(db.session, **kw) is True
        assert record_billable_event(db.session, **kw) is False
        db.session.commit()
        assert _count(db, 4242) == 1


def test_database_refuses_a_duplicate_even_without_the_service(app, tenants):
    from app.extensions import db
    from app.timeutil import utcnow_naive

    a = tenants.ids["a"]
    with app.app_context():
        for _ in range(2):
            db.session.add(BillableEvent(kind="certificate", object_id=77, business_id=a["Business"],
                                         site_id=a["Site"], occurred_at=utcnow_naive()))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_concurrent_recorders_charge_once(app, tenants):
    from app.extensions import db

    a = tenants.ids["a"]
    results, barrier = [], threading.Barrier(8)

    def worker():
        with app.app_context():
            barrier.wait()
            try:
                created = record_billable_event(db.session, kind="certificate", object_id=5150,
                                                business_id=a["Business"], site_id=a["Site"])
                db.session.commit()
            except Exception:  # SQLite may report "database is locked" to a loser; retry once
                db.session.rollback()
                created = record_billable_event(db.session, kind="certificate", object_id=5150,
                                                business_id=a["Business"], site_id=a["Site"])
                db.session.commit()
            results.append(created)
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with app.app_context():
        assert _count(db, 5150) == 1
    assert results.count(True) == 1 and len(results) == 8
