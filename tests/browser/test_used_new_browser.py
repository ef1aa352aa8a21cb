"""In Chromium at 1024×768: a 中古新規 保適証 from a 登録識別情報等通知書 read by a keyboard-wedge
reader, through the new 使用者 and a hybrid filing, to 連携済; AIRAS (the sandbox) receives no
登録番号 (issue 15.1). The scan page's 入力欄をクリア is used on the way (issue 15.11)."""
import datetime as dt
import json

import requests

from tests.browser.conftest import assert_no_js_errors, login, screenshot
from tests.browser.test_wizard_browser import (  # noqa: F401  (sandbox, site: fixtures)
    _certificate, _type, _wedge, fill_inspection, sandbox, site)
from tests.conftest import PASSWORD

USED = {v["name"]: v for v in json.load(open("tests/data/used-vehicle-qr-vectors.json", encoding="utf-8"))}
CAR = {v["name"]: v for v in json.load(open("tests/data/qr-vectors.json", encoding="utf-8"))}


def test_used_new_from_a_registration_notice_until_linked(app, tenants, page, site, sandbox):  # noqa: F811
    vector = USED["registration_notice_per_symbol"]
    expected = vector["expected"]
    chassis = expected["chassis_number"]
    login(page, "a-inspector", PASSWORD)
    page.goto(page.base_url + "/certificates/wizard/")
    page.select_option("#f-site", str(site))
    page.select_option("#f-purpose", "used_new")
    screenshot(page, "60-used-new-start")
    with page.expect_navigation():
        page.click("text=新しく作成する")
    assert page.url.endswith("/scan")
    assert "中古新規" in page.inner_text("#purpose-label")
    assert "左から3番目と4番目" in page.inner_text("#purpose-instructions")

    # A 車検証 read by mistake: refused at once, in Japanese; 入力欄をクリア empties the field.
    capture = page.locator("#f-reads")
    for read in CAR["registered_electronic_card_per_symbol"]["scans"]:
        _wedge(page, read)
    page.wait_for_function("() => document.getElementById('qr-result').textContent !== ''")
    assert "中古新規では登録識別情報等通知書" in page.inner_text("#qr-result")
    _wedge(page, vector["scans"][0])
    page.click("#qr-clear")
    assert capture.input_value() == "" and page.inner_text("#qr-result") == ""
    assert page.inner_text("#qr-progress") == ""
    assert capture.evaluate("el => el === document.activeElement")

    # The notice's 3rd and 4th codes, symbol by symbol, QR3 first.
    for read in vector["scans"]:
        _wedge(page, read)
    page.wait_for_function("() => document.getElementById('qr-result').className.indexOf('alert-success') >= 0")
    assert chassis in page.inner_text("#qr-result")
    screenshot(page, "61-used-new-scan")
    with page.expect_navigation():
        page.get_by_role("button", name="読み取り内容で進む").click()
    assert page.url.endswith("/vehicle"), page.inner_text("body")[:500]
    assert chassis in page.inner_text(".well") and "AIRASには送りません" in page.inner_text("#used-note")
    assert page.input_value("#f-owner_name") == ""  # never prefilled: typed anew
    _type(page, "#f-owner_name", "新規 太郎")
    _type(page, "#f-owner_address", "神奈川県横浜市中区1-1")
    screenshot(page, "62-used-new-vehicle")
    with page.expect_navigation():
        page.click("text=この内容で次へ")
    assert page.url.endswith("/inspection"), page.inner_text("#wizard-errors")

    fill_inspection(page, tenants.ids["a"]["Inspector"], "88000")
    page.select_option("#f-application_type", "oss")  # refused: window only
    with page.expect_navigation():
        page.click("text=この内容で次へ")
    assert "中古新規の保適証はOSS申請できません" in page.inner_text("#wizard-errors")
    page.select_option("#f-application_type", "hybrid")
    page.select_option("#f-certificate_update_by", "office")
    with page.expect_navigation():
        page.click("text=この内容で次へ")
    assert page.url.endswith("/insurance"), page.inner_text("#wizard-errors")

    _type(page, "#f-policy1_certificate_number", "N1234567")
    page.select_option("#f-policy1_insurer_name", "東京海上日動")
    _type(page, "#f-policy1_start_date", "R8.11.26")  # from the 検査年月日
    _type(page, "#f-policy1_end_date", "令和10年11月26日")
    with page.expect_navigation():
        page.click("text=この内容で次へ")
    assert page.url.endswith("/checks"), page.inner_text("#wizard-errors")
    checks = page.inner_text(".keizoku-wizard")
    assert "令和10年11月25日" in checks and "日付の確認で問題は見つかりませんでした" in checks
    if page.input_value("#f-inspection_fee_yen") == "":
        _type(page, "#f-inspection_fee_yen", "2100")
    with page.expect_navigation():
        page.click("text=確認して次へ")
    assert page.url.endswith("/confirm"), page.inner_text(".keizoku-wizard")
    boxes = page.locator("input[name=confirmed]")
    for i in range(boxes.count()):
        boxes.nth(i).check()
    assert "中古新規(登録番号はAIRASに送りません)" in page.inner_text("table")
    screenshot(page, "63-used-new-confirm")
    with page.expect_navigation():
        page.click("text=保適証を確定して送信する")
    assert "/certificates/" in page.url and "/wizard/" not in page.url

    requests.post(f"{sandbox.base_url}/_control/clock", json={"advance_seconds": 5}, timeout=5)
    from scheduler.jobs.certificates import run_certificate_send

    app.config["CLOCK"] = lambda: dt.datetime(2026, 11, 26, 10, 5, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    run_certificate_send(app)
    linked = _certificate(app, chassis)
    assert linked["status"] == "linked" and linked["issue_number"]
    page.reload()
    assert "連携済" in page.inner_text("h2") and "中古新規" in page.inner_text("table")
    assert "横浜" in page.inner_text(".well")  # the 登録番号 is kept for the shop
    screenshot(page, "64-used-new-linked")

    # What AIRAS received: the new 使用者 and no 登録番号.
    received = requests.get(f"{sandbox.base_url}/_control/records/airas", timeout=5).json()
    payload = next(r["payload"] for r in received if r["payload"]["chassis_number"] == chassis)
    assert payload["registration_number"] is None and payload["application_type"] == "hybrid"
    assert payload["user_of_vehicle"] == {"name": "新規 太郎", "address": "神奈川県横浜市中区1-1"}
    assert_no_js_errors(page)
