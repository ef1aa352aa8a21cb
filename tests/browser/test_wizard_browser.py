"""In Chromium at 1024×768: the certificate wizard as a keyboard-wedge QR reader types it, and a
kei car read in reverse order with a stray QR code in between. The sandbox plays AIRAS/AINAS."""
import datetime as dt
import json

import pytest
import requests
from sqlalchemy import select

from tests.browser.conftest import assert_no_js_errors, login, screenshot
from tests.conftest import PASSWORD
from tests.test_certificate_helpers import consent_for, ready_site, sandbox_config

VECTORS = {v["name"]: v for v in json.load(open("tests/data/qr-vectors.json", encoding="utf-8"))}


@pytest.fixture
def site(app, tenants):
    from app.extensions import db

    with app.app_context():
        ready_site(db.session, tenants.ids["a"]["Site"])
        consent_for(db.session, tenants.ids["a"]["Site"], "JTESTVIN000000001")  # signed on the tablet
        db.session.commit()
    return tenants.ids["a"]["Site"]


@pytest.fixture
def sandbox(app):
    # 作成中 -> 作成済 half a second (sandbox clock) after AIRAS receives the certificate.
    with sandbox_config(app, link_delay_seconds=0.5) as server:
        yield server


def _start_wizard(page, site):
    page.goto(page.base_url + "/certificates/wizard/")
    page.select_option("#f-site", str(site))
    with page.expect_navigation():
        page.click("text=新しく作成する")
    assert page.url.endswith("/scan")


def _wedge(page, read):
    """One read as a wedge reader sends it: every character a key event, then Enter."""
    page.keyboard.type(read)
    page.keyboard.press("Enter")


def go_on_to_vehicle(page, kind):
    """「読み取り内容で進む」: the vehicle page of the reads, of ``kind``; its summary's text."""
    with page.expect_navigation():
        page.get_by_role("button", name="読み取り内容で進む").click()
    assert page.url.endswith("/vehicle"), page.inner_text("body")[:500]
    assert page.input_value("#f-vehicle_kind") == kind
    return page.inner_text(".well")


def _type(page, selector, text):
    page.locator(selector).fill("")
    page.locator(selector).press_sequentially(text)


def fill_inspection(page, inspector_id, odometer):
    """The inspection step's figures for a private passenger car, 2 years."""
    page.select_option("#f-inspector_id", str(inspector_id))
    _type(page, "#f-odometer_km", odometer)
    page.select_option("#f-validity_years", "2")
    page.select_option("#f-use", "private")
    page.select_option("#f-body", "passenger")
    _type(page, "#f-vehicle_weight_kg", "1200")
    _type(page, "#f-gross_weight_kg", "1475")


def _certificate(app, chassis):
    from app.extensions import db
    from app.models.certificate import Certificate

    with app.app_context():
        c = db.session.scalar(select(Certificate).where(Certificate.chassis_number == chassis))
        return {"id": c.id, "status": c.status, "issue_number": c.issue_number} if c else None


def test_wizard_with_a_wedge_reader_until_linked(app, tenants, page, site, sandbox):
    vector = VECTORS["registered_electronic_card_per_symbol"]
    requests.post(f"{sandbox.base_url}/_control/weight-tax", timeout=5, json={
        "system": "mlit", "chassis_number": "JTESTVIN000000001", "weight_tax_yen": 24600})
    login(page, "a-inspector", PASSWORD)
    _start_wizard(page, site)

    # The capture field has the focus; the reader types five symbols, Enter after each.
    capture = page.locator("#f-reads")
    assert capture.evaluate("el => el === document.activeElement")
    parsed = []
    capture.evaluate("el => el.addEventListener('qrparsed', e => { window.__parsed = e.detail; })")
    for n, read in enumerate(vector["scans"], start=1):
        _wedge(page, read)
        if n < 5:
            # Enter ends one read and never submits the form.
            assert page.url.endswith("/scan")
            assert page.inner_text("#qr-progress") == f"登録車 {n}/5"
            if n == 3:
                screenshot(page, "10-wizard-scan-progress")
    page.wait_for_function("() => window.__parsed !== undefined")
    parsed.append(page.evaluate("window.__parsed"))
    assert "error" not in parsed[0], parsed[0]
    assert parsed[0]["fields"]["chassis_number"] == "JTESTVIN000000001"
    assert page.inner_text("#qr-progress") == "読み取り完了"
    result = page.locator("#qr-result")
    assert "JTESTVIN000000001" in result.inner_text() and "横浜" in result.inner_text()
    screenshot(page, "11-wizard-scan-complete")
    # The vehicle as read, confirmed; the electronic card has no expiry date in its codes.
    well = go_on_to_vehicle(page, "registered")
    assert "JTESTVIN000000001" in well and "横浜" in well and "6AA-XYZ20" in well
    _type(page, "#f-expiry_date", "2026-12-20")
    _type(page, "#f-owner_name", "試験 花子")
    _type(page, "#f-owner_address", "東京都品川区1-2-3")
    screenshot(page, "12-wizard-vehicle")
    with page.expect_navigation():
        page.click("text=この内容で次へ")
    assert page.url.endswith("/inspection"), page.inner_text("#wizard-errors")

    assert page.input_value("#f-inspection_date") == "令和8年11月26日"  # 和暦 where people read dates
    fill_inspection(page, tenants.ids["a"]["Inspector"], "45678")
    page.select_option("#f-application_type", "oss")
    page.select_option("#f-application_agent", "jaspa")
    assert "承諾書あり" in page.inner_text("#consent-status")
    screenshot(page, "13-wizard-inspection")
    with page.expect_navigation():
        page.click("text=この内容で次へ")
    assert page.url.endswith("/insurance"), page.inner_text("#wizard-errors")

    _type(page, "#f-policy1_certificate_number", "ABC-1234 5678")
    page.select_option("#f-policy1_insurer_name", "東京海上日動")
    _type(page, "#f-policy1_start_date", "2026-11-20")
    _type(page, "#f-policy1_end_date", "2029-01-20")
    page.check("input[name=policy1_electronic]")
    screenshot(page, "14-wizard-insurance")
    with page.expect_navigation():
        page.click("text=この内容で次へ")
    assert page.url.endswith("/checks"), page.inner_text("#wizard-errors")

    # The checks page: dates in 和暦 and the weight tax of the inquiry beside the table's.
    checks = page.inner_text(".keizoku-wizard")
    assert "令和10年12月20日" in checks and "最終検査申請日" in checks
    assert checks.count("24,600円") >= 2 and page.locator("#tax-differs").count() == 0
    assert page.input_value("#f-weight_tax_yen") == "24600"
    # No fee is set for this date yet: the page says so and the shop types the notified fee.
    assert "確定した金額が登録されていません" in checks and page.input_value("#f-inspection_fee_yen") == ""
    _type(page, "#f-inspection_fee_yen", "1600")
    screenshot(page, "15-wizard-checks")
    with page.expect_navigation():
        page.click("text=確認して次へ")
    assert page.url.endswith("/confirm"), page.inner_text(".keizoku-wizard")

    # The fields that cannot be corrected, ticked one by one with the keyboard.
    boxes = page.locator("input[name=confirmed]")
    assert boxes.count() == 5
    assert boxes.first.evaluate("el => el === document.activeElement")
    for i in range(5):
        boxes.nth(i).focus()
        page.keyboard.press("Space")
        assert boxes.nth(i).is_checked()
    assert "JTESTVIN000000001" in page.inner_text("table")
    screenshot(page, "16-wizard-confirm")
    with page.expect_navigation():
        page.click("text=保適証を確定して送信する")
    assert "/certificates/" in page.url and "/wizard/" not in page.url
    assert page.is_visible("text=保適証を確定しました")
    sent = _certificate(app, "JTESTVIN000000001")
    assert sent["status"] == "sent"  # AIRAS holds it as 作成中
    assert "送信済" in page.inner_text("h2")

    # The sandbox registers it (作成済) a moment later; the scheduler's send job reads it back.
    requests.post(f"{sandbox.base_url}/_control/clock", json={"advance_seconds": 5}, timeout=5)
    from scheduler.jobs.certificates import run_certificate_send

    app.config["CLOCK"] = lambda: dt.datetime(2026, 11, 26, 10, 5, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    assert run_certificate_send(app) == 1
    linked = _certificate(app, "JTESTVIN000000001")
    assert linked["status"] == "linked" and linked["issue_number"]
    page.reload()
    assert "連携済" in page.inner_text("h2")
    assert linked["issue_number"] in page.inner_text("body")
    screenshot(page, "17-certificate-linked")
    assert_no_js_errors(page)


def test_kei_read_in_reverse_with_a_stray_code(app, tenants, page, site):
    vector = VECTORS["unrelated_qr_code"]
    code3, stray, code2 = vector["scans"]
    assert code3.startswith("K/32") and code2.startswith("K/22")  # コード3 first: reverse order
    login(page, "a-clerk", PASSWORD)
    _start_wizard(page, site)
    page.locator("#f-reads").evaluate(
        "el => el.addEventListener('qrparsed', e => { window.__parsed = e.detail; })")
    _wedge(page, code3)
    assert page.inner_text("#qr-progress") == "軽 1/2"
    _wedge(page, stray)
    assert page.inner_text("#qr-progress") == "軽 1/2"  # the URL counts for nothing
    assert page.url.endswith("/scan")
    _wedge(page, code2)
    page.wait_for_function("() => window.__parsed !== undefined")
    parsed = page.evaluate("window.__parsed")
    assert "error" not in parsed and parsed["fields"]["chassis_number"] == "XY21S-654321"
    result = page.inner_text("#qr-result")
    assert "XY21S-654321" in result and "なにわ" in result
    # The stray read is set aside politely, not treated as a failure.
    assert "車検証の二次元コードではないため無視しました" in result
    assert "alert-danger" not in page.get_attribute("#qr-result", "class")
    screenshot(page, "20-kei-reverse-with-stray-code")
    assert "XY21S-654321" in go_on_to_vehicle(page, "kei")
    assert "無視しました" in page.inner_text(".keizoku-wizard")
    screenshot(page, "21-kei-vehicle")
    assert_no_js_errors(page)
