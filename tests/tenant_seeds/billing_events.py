"""A billable event per test tenant (the certificate and record features add their own)."""
from app.models.billing import BillableEvent
from app.timeutil import utcnow_naive


def seed(session, key, ctx):
    event = BillableEvent(business_id=ctx["business_id"], site_id=ctx["site_id"],
                          kind="certificate", object_id=900000 + ctx["site_id"],
                          occurred_at=utcnow_naive())
    session.add(event)
    session.flush()
    return {"BillableEvent": event.id}
