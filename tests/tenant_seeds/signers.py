"""Each test tenant's 整備主任者 is the inspector's own login, with a signing PIN they set
(``SIGNING_PIN``): a record is signed as 整備主任者 only by that person (issue 15.9)."""
from functools import cache

from werkzeug.security import generate_password_hash

from app.models.tenancy import ChiefMechanic

SIGNING_PIN = "2580"


@cache
def _pin_hash():
    """Hashed once per run: the app's scrypt hash takes about 0.13 s, twice for every test."""
    return generate_password_hash(SIGNING_PIN)


def seed(session, key, ctx):
    chief = session.query(ChiefMechanic).filter_by(business_id=ctx["business_id"]).first()
    chief.user_id = ctx["user_ids"]["inspector"]
    chief.pin_hash = _pin_hash()
    session.flush()
    return {}
