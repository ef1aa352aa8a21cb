"""In Chromium on the tablet: a record created from the 交付番号 on a 保適証's label and signed by
the 自動車検査員 without typing any vehicle data (issue 15.8). Screenshots 75–77."""
import datetime as dt

import pytest

from tests.browser.conftest import assert_no_js_errors, login, screenshot
from tests.conftest import PASSWORD
from tests.test_certificate_helpers import confirmed_certificate, sandbox_config, site_a_ready
from app.timeutil import JST

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=JST)
VEHICLE_FIELDS = ("registration_number", "chassis_number", "model_code", "first_registration",
                  "customer_name", "customer_address", "odometer_km", "certificate_number")


@pytest.fixture
def issued(app, tenants, tmp_path, monkeypatch):
    from app.extensions import db
    from app.models.certificate import Certificate
    from app.models.tenancy import Site
    from app.services.certificates import common, sender

    monkeypatch.setitem(app.config, "RECORDS_FILE_DIR", str(tmp_path))
    with app.app_context():
        ids, tenant = site_a_ready(tenants, db.session)
        db.session.get(Site, ids["Site"]).records_enabled = True
        db.session.commit()
        with sandbox_config(app):
            certificate_id = confirmed_certificate(db.session, ids, tenant, "ZRE212-8000123", NOW)
            sender.send_now(db.session, certificate_id, common.clients_from_config(), NOW)
        certificate = db.session.get(Certificate, certificate_id)
        assert certificate.status == "linked"
        return certificate_id, certificate.issue_number


def _stored(app, record_id):
    from app.extensions import db
    from app.models.record import Record

    with app.app_context():
        record = db.session.get(Record, record_id)
        return {name: getattr(record, name) for name in (*VEHICLE_FIELDS, "certificate_id", "status",
                                                         "inspector_signed_at")}


def test_a_record_from_an_issue_number_signed_without_typing_vehicle_data(app, tenants, live_server, page,
                                                                         issued):
    certificate_id, issue_number = issued
    login(page, "a-inspector", PASSWORD)
    page.goto(page.base_url + "/records/new")
    choices = page.locator("#certificate_id option")
    assert choices.count() == 2 and issue_number in choices.nth(1).inner_text()
    # The number as read off the label, typed on the tablet's keyboard.
    page.locator("#issue_number").press_sequentially(issue_number)
    page.locator(".records-from-certificate").scroll_into_view_if_needed()
    screenshot(page, "75-record-from-issue-number", full_page=False)
    assert page.input_value("#chassis_number") == "" and page.input_value("#customer_name") == ""
    with page.expect_navigation():
        page.get_by_role("button", name="作成して入力へ進む").tap()
    assert page.is_visible("text=記録簿を作成しました")
    record_id = int(page.locator("#record-entry").get_attribute("data-record"))
    stored = _stored(app, record_id)
    assert stored["certificate_id"] == certificate_id
    assert stored["chassis_number"] == "ZRE212-8000123" and stored["registration_number"] == "品川 330 さ 123"
    assert stored["customer_name"] == "試験 花子" and stored["customer_address"] == "東京都品川区1-2-3"
    assert stored["model_code"] == "3BA-XYZ10" and stored["first_registration"] == "2019-04"
    assert stored["odometer_km"] == 45678 and stored["certificate_number"] == issue_number
    assert "品川 330 さ 123 試験 花子(保適証から写しました)" in page.inner_text(".record-vehicle-line")
    page.locator(".record-section summary").first.tap()  # open the vehicle data to look at it
    assert page.input_value("#f-chassis_number") == "ZRE212-8000123"
    assert page.input_value("#f-customer_name") == "試験 花子"
    assert page.input_value("#f-certificate_number") == issue_number
    page.locator(".record-section summary").first.scroll_into_view_if_needed()
    screenshot(page, "76-record-from-certificate-filled", full_page=False)

    # Only the results are entered (全て良好 per device); no vehicle field is touched.
    devices = page.locator(".record-all-good")
    for i in range(devices.count()):
        devices.nth(i).tap()
    page.wait_for_function(
        "() => document.getElementById('record-sync').textContent === '保存済み'"
        " && document.getElementById('record-missing').textContent === '未入力 0件'")
    with page.expect_navigation():
        page.get_by_role("button", name="検査員として署名").tap()
    assert page.is_visible("text=署名しました"), page.inner_text("body")[:1500]
    assert "検査 一郎(署名済み)" in page.inner_text("#sign")
    after = _stored(app, record_id)
    assert after["inspector_signed_at"] is not None
    assert {k: after[k] for k in VEHICLE_FIELDS} == {k: stored[k] for k in VEHICLE_FIELDS}
    page.evaluate("document.getElementById('sign').scrollIntoView()")
    screenshot(page, "77-record-from-certificate-signed", full_page=False)
    assert_no_js_errors(page)
