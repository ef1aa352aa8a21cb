"""A draft whose vehicle has no expiry date (electronic 車検証 codes carry none) gets a
Japanese instruction on the checks step instead of a server error."""
import pytest

from app.models.certificate import CertificateDraft
from app.services.certificates import common, drafts


def _draft(app, tenants):
    from app.extensions import db

    a = tenants.ids["a"]
    with app.app_context():
        draft = CertificateDraft(
            business_id=a["Business"], site_id=a["Site"], step="checks",
            data={"vehicle": {"vehicle_kind": "registered", "chassis_number": "XYZ10-123456",
                              "expiry_date": None},
                  "inspection": {"inspection_date": "2026-11-26", "application_date": "2026-11-26",
                                 "validity_years": 2, "odometer_km": 1000},
                  "insurance": {"policies": [{"end_date": "2029-01-20"}]}})
        db.session.add(draft)
        db.session.commit()
        return draft.id


def test_service_refuses_with_what_to_do(app, tenants):
    from app.extensions import db

    pk = _draft(app, tenants)
    with app.app_context():
        with pytest.raises(common.CertificateInputError) as caught:
            drafts.assess(db.session, db.session.get(CertificateDraft, pk))
    assert "有効期間の満了する日が未入力です" in " ".join(caught.value.messages)


def test_checks_page_redirects_with_the_message(app, tenants, browser):
    pk = _draft(app, tenants)
    browser.login("a-inspector")
    response = browser.get(f"/certificates/wizard/{pk}/checks")
    assert response.status_code == 302
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "有効期間の満了する日が未入力です" in page
