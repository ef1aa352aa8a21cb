"""Builders for the e-JIBAI, OBD and 放置違反金 tests (no tests here)."""
import pytest
import requests

from app.services.certificates import confirmation, drafts, jibai
from tests.test_certificate_helpers import (
    TODAY,
    consent_for,
    inspection_form,
    insurance_form,
    inspector_of,
    ready_site,
    vehicle_form,
    with_consent,
)
from tests.test_certificate_sender import NOW, ctx  # noqa: F401 - the sender tests' moment and site fixture


def register_jibai(server, number, *, chassis=None, issued_at=None, electronic=True, insurer="東京海上日動"):
    body = {"certificate_number": number, "insurer_name": insurer, "chassis_number": chassis,
            "electronic": electronic}
    if issued_at is not None:
        body["issued_at"] = issued_at.isoformat()
    response = requests.post(f"{server.base_url}/_control/jibai", json=body, timeout=5)
    assert response.status_code == 200, response.text


def draft_until_checks(session, ids, tenant, chassis, *, application_type="oss", inspection=None,
                       insurance=None, with_jibai=True, vehicle=None):
    """A draft through vehicle, inspection and 自賠責 (with the e-JIBAI client unless told not)."""
    draft = drafts.start_draft(session, tenant, ids["Site"], ids["users"]["inspector"])
    drafts.save_vehicle(session, draft, {**vehicle_form(chassis), **(vehicle or {})})
    consent_for(session, ids["Site"], draft.data["vehicle"]["chassis_number"])
    form = {**inspection_form(inspector_of(session, ids["Site"]).id, application_type), **(inspection or {})}
    drafts.save_inspection(session, draft, form, TODAY)
    drafts.save_insurance(session, draft, {**insurance_form(), **(insurance or {})},
                          jibai_client=jibai.client_from_config() if with_jibai else None)
    return draft


def confirm(session, draft, ids, now=NOW):
    drafts.save_checks(session, draft, {"weight_tax_yen": "24600", "inspection_fee_yen": "1600"})
    certificate = confirmation.confirm(session, draft, ids["users"]["inspector"],
                                       set(confirmation.PREFLIGHT_ITEMS), now)
    session.commit()
    return certificate


def in_db(app, fn):
    """Run ``fn(session)`` in its own app context (HTTP tests never keep one open while browsing)."""
    from app.extensions import db

    with app.app_context():
        try:
            return fn(db.session)
        finally:
            db.session.remove()


@pytest.fixture
def http_site(app, tenants):
    ids = tenants.ids["a"]

    def prepare(session):
        ready_site(session, ids["Site"])
        session.commit()

    in_db(app, prepare)
    return ids


def start_http_draft(browser, ids, chassis, *, application_type="oss"):
    """Start a draft as the logged-in user and fill vehicle and inspection over HTTP."""
    start = browser.post("/certificates/wizard/start", {"site_id": str(ids["Site"])})
    assert start.status_code == 302
    base = start.headers["Location"].rsplit("/", 1)[0]
    base = base[base.index("/certificates"):]
    assert browser.post(f"{base}/vehicle", vehicle_form(chassis)).status_code == 302
    with_consent(browser.app, int(base.rsplit("/", 1)[1]), chassis)
    assert browser.post(f"{base}/inspection", inspection_form(ids["Inspector"], application_type)).status_code == 302
    return base
