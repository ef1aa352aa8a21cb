"""A 承諾書 per test tenant, so every consent URL has a row of the other business to refuse."""
from tests.test_certificate_helpers import consent_for


def seed(session, key, ctx):
    consent = consent_for(session, ctx["site_id"], ("1" if key == "a" else "2") + "0000-000001")
    return {"Consent": consent.id}
