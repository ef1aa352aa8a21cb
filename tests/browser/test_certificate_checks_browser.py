"""In Chromium at 1024×768, the checks around sending a 保適証 (issue 15 §3, §4, §6), against the
sandbox server: a 自賠責 without electronic data steered to hybrid, an OBD 特例番号 after the
confirmation refused without it, and a 放置違反金 有 held, then released by the police's answer.
Drafts are prepared through the services up to the step each scenario is about."""
import pytest
from sqlalchemy import select

from app.tenancy import Tenant
from tests.browser.conftest import assert_no_js_errors, login, screenshot
from tests.conftest import PASSWORD
from tests.prechecks_helpers import draft_until_checks, http_site, in_db  # noqa: F401 - fixture
from tests.test_certificate_helpers import sandbox_config
from tests.test_certificate_helpers import consent_for, inspection_form, vehicle_form


@pytest.fixture
def sandbox(app):
    with sandbox_config(app) as server:
        yield server


def _tenant(ids):
    return Tenant(ids["Business"], frozenset(ids["sites"]))


def _draft_at_insurance(app, ids, chassis):
    from app.services.certificates import drafts
    from tests.test_certificate_helpers import TODAY

    def build(session):
        draft = drafts.start_draft(session, _tenant(ids), ids["Site"], ids["users"]["clerk"])
        drafts.save_vehicle(session, draft, vehicle_form(chassis))
        consent_for(session, ids["Site"], chassis)  # OSS needs the user's 承諾書 for this 車台番号
        drafts.save_inspection(session, draft, inspection_form(ids["Inspector"]), TODAY)
        session.commit()
        return draft.id

    return in_db(app, build)


def _ready_for_checks(app, ids, chassis, **kwargs):
    def build(session):
        draft = draft_until_checks(session, ids, _tenant(ids), chassis, **kwargs)
        session.commit()
        return draft.id

    return in_db(app, build)


def _next(page, text):
    with page.expect_navigation():
        page.get_by_role("button", name=text).click()


def _certify(page):
    for box in page.locator("input[name=confirmed]").all():
        box.check()
    with page.expect_navigation():
        page.click("text=保適証を確定して送信する")


def _certificate(app, chassis):
    from app.models.certificate import Certificate

    return in_db(app, lambda s: (lambda c: {"id": c.id, "status": c.status, "type": c.application_type})(
        s.scalar(select(Certificate).where(Certificate.chassis_number == chassis))))


def test_a_paper_insurance_is_steered_to_hybrid(app, http_site, page, sandbox):
    draft = _draft_at_insurance(app, http_site, "BRW10-0000065")
    login(page, "a-clerk", PASSWORD)
    page.goto(f"{page.base_url}/certificates/wizard/{draft}/insurance")
    page.fill("#f-policy1_certificate_number", "P-0001 9999")
    page.select_option("#f-policy1_insurer_name", "三井住友海上")
    page.fill("#f-policy1_start_date", "2026-11-20")
    page.fill("#f-policy1_end_date", "2029-01-20")
    page.get_by_role("button", name="照会してこの内容で次へ").click()  # the same page, with the answer
    page.wait_for_selector("#steer-hybrid")
    assert page.inner_text("#jibai-state-1") == "電子情報なし(手入力)"
    assert "OSS申請には電子情報のある電子自賠責が必要です" in page.inner_text("#wizard-errors")
    assert page.is_visible("#steer-hybrid")
    screenshot(page, "65-jibai-no-electronic-data")
    _next(page, "ハイブリッド申請に切り替えて次へ")
    assert page.url.endswith("/checks")
    assert "電子情報なし(手入力)" in page.inner_text("#prechecks")
    screenshot(page, "66-jibai-switched-to-hybrid")
    assert_no_js_errors(page)


def test_an_obd_special_number_after_the_blocker(app, http_site, page, sandbox):
    ids = http_site
    draft = _ready_for_checks(app, ids, "BRW10-0000067", inspection={"obd_target": "y"})
    login(page, "a-inspector", PASSWORD)
    base = f"{page.base_url}/certificates/wizard/{draft}"
    page.goto(f"{base}/checks")
    page.fill("#f-inspection_fee_yen", "1600")
    _next(page, "確認して次へ")
    assert "OBD検査対象の車両です。" in page.inner_text("#precheck-blockers")
    _certify(page)
    assert "OBD検査対象の車両です。" in page.inner_text("#wizard-errors")
    screenshot(page, "67-obd-blocks-confirmation")

    page.goto(f"{base}/inspection")
    page.select_option("#f-obd_result", "special")
    page.fill("#f-obd_checked_on", "令和8年11月25日")
    page.fill("#f-obd_special_number", "TK-2611-0042")
    page.fill("#f-obd_call_note", "11/25 14:05 コールセンター 佐藤様。アプリ更新不可のため警告灯で判定。")
    screenshot(page, "68-obd-special-number")
    _next(page, "この内容で次へ")
    assert page.url.endswith("/insurance")
    page.goto(f"{base}/confirm")
    assert page.locator("#precheck-blockers").count() == 0
    _certify(page)
    assert "/wizard/" not in page.url
    assert "特例番号 TK-2611-0042" in page.inner_text("#obd-result")
    assert _certificate(app, "BRW10-0000067")["status"] == "linked"
    assert_no_js_errors(page)


def test_a_parking_fine_yes_is_held_then_released(app, http_site, page, sandbox):
    ids = http_site
    draft = _ready_for_checks(app, ids, "BRW10-9000110")
    login(page, "a-inspector", PASSWORD)
    base = f"{page.base_url}/certificates/wizard/{draft}"
    page.goto(f"{base}/checks")
    _next(page, "登録番号で照会する")
    assert "可能性 有" in page.inner_text("#parking-fine-state")
    page.fill("#f-inspection_fee_yen", "1600")
    _next(page, "確認して次へ")
    _certify(page)
    held = _certificate(app, "BRW10-9000110")
    assert held["status"] == "queued"
    assert "放置違反金の照会結果が「有」のため、送信を保留しています。" in page.inner_text("body")
    assert page.is_visible("#parking-fine-panel")
    screenshot(page, "69-parking-fine-held")
    with page.expect_download() as download:
        page.evaluate("href => { const a = document.createElement('a'); a.href = href; a.download = 'c.pdf';"
                      " document.body.appendChild(a); a.click(); }",
                      f"/certificates/{held['id']}/parking-fine.pdf")
    assert download.value.suggested_filename.endswith(".pdf")
    with page.expect_navigation():
        page.click("#parking-fine-answer")
    page.select_option("#f-answer", "none")
    page.fill("#f-answer_note", "品川署 田中様(FAX回答)")
    _next(page, "回答を記録する")
    assert _certificate(app, "BRW10-9000110")["status"] == "linked"
    assert "未納なし" in page.inner_text("#parking-fine-panel")
    assert "連携済" in page.inner_text("h2")
    assert_no_js_errors(page)
