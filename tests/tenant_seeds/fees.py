"""For business B, the ids of one association-owned price row and fee row (seeded by migration
0012), so the isolation test can call their URLs."""
from sqlalchemy import select

from app.models.fees import InspectionFee, UnitPrice


def seed(session, key, ctx):
    if key != "b":
        return {}
    return {"UnitPrice": session.scalar(select(UnitPrice.id).limit(1)),
            "InspectionFee": session.scalar(select(InspectionFee.id).limit(1))}
