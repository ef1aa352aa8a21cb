"""In Chromium: a shop user of business A who opens, prints or changes business B's record by its
URL gets a Japanese "not found" page and nothing of B's data; B's record stays as it was."""
from tests.browser.conftest import assert_no_js_errors, login, screenshot
from tests.conftest import PASSWORD

B_CUSTOMER = "株式会社 別会社運輸"
B_CHASSIS = "BBB10-7654321"


def _record_of_business_b(app, tenants):
    from app.extensions import db
    from app.models.tenancy import Site
    from app.security.models import KeizokuUser
    from app.services import records as svc
    from app.tenancy import tenant_of

    b = tenants.ids["b"]
    with app.test_request_context():
        db.session.get(Site, b["Site"]).records_enabled = True
        tenant = tenant_of(db.session.get(KeizokuUser, b["users"]["manager"]))
        record = svc.create_record(
            db.session, tenant, site_id=b["Site"], kind="periodic", form="beppyo6",
            interval_months="12", inspection_date="2026-11-20", registration_number="大阪 500 た 98-76",
            chassis_number=B_CHASSIS, customer_name=B_CUSTOMER, customer_address="大阪府大阪市北区1-1")
        db.session.commit()
        return record.id


def _results(app, record_id):
    from app.extensions import db
    from app.models.record import Record

    with app.app_context():
        record = db.session.get(Record, record_id)
        return record.results, record.status


def test_shop_user_opening_another_business_record_gets_nothing(app, tenants, page):
    record_id = _record_of_business_b(app, tenants)
    before = _results(app, record_id)
    login(page, "a-manager", PASSWORD)

    response = page.goto(page.base_url + f"/records/{record_id}")
    assert response.status == 404
    body = page.inner_text("body")
    assert "ページが見つかりません" in body and "エラーコード 404" in body, body
    assert page.locator("html").get_attribute("lang") == "ja"
    html = page.content()
    for secret in (B_CUSTOMER, B_CHASSIS, "大阪 500", "b工場0", "事業者B"):
        assert secret not in html, secret
    screenshot(page, "50-foreign-record")

    # B's site in the list filter, and writes by script with a valid token: refused as well.
    response = page.goto(page.base_url + f"/records/?site={tenants.ids['b']['Site']}")
    assert response.status == 404 and B_CUSTOMER not in page.content()
    page.goto(page.base_url + "/records/")
    assert B_CUSTOMER not in page.content()
    statuses = page.evaluate("""async (id) => {
        const token = document.querySelector('meta[name="csrf-token"]').content;
        const post = (path, body, json) => fetch(path, {method: 'POST', credentials: 'same-origin',
            headers: json ? {'Content-Type': 'application/json', 'X-CSRFToken': token}
                          : {'Content-Type': 'application/x-www-form-urlencoded'},
            body: json ? JSON.stringify(body) : body}).then(r => r.status);
        return [
            await post(`/records/${id}/result`, {check_id: 'brakes.pedal.12.2', symbols: ['×']}, true),
            await post(`/records/${id}/device-good`, {device: 'brakes'}, true),
            await post(`/records/${id}/pdf`, `csrf_token=${encodeURIComponent(token)}&copy=shop`, false),
        ];
    }""", record_id)
    assert statuses == [404, 404, 404]
    assert _results(app, record_id) == before
    assert_no_js_errors(page)
