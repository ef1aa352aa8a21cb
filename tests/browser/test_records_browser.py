"""In Chromium on a 1024×768 touch screen: a 24-month 別表6 record entered by taps (each tap cycles
the symbol, "全て良好" per device), signed by the inspector and as 整備主任者, the PDF downloaded and
read back; the same record on a portrait tablet (768×1024)."""
import io

import pytest
from pypdf import PdfReader

from tests.browser.conftest import assert_no_js_errors, login, new_page, screenshot
from tests.conftest import PASSWORD

A3_LANDSCAPE = (1190.6, 841.9)


@pytest.fixture
def records_site(app, tenants, tmp_path, monkeypatch):
    from app.extensions import db
    from app.models.tenancy import Site

    monkeypatch.setitem(app.config, "RECORDS_FILE_DIR", str(tmp_path))
    with app.app_context():
        db.session.get(Site, tenants.ids["a"]["Site"]).records_enabled = True
        db.session.commit()
    return tenants.ids["a"]["Site"]


def _saved(page):
    """Wait until the entry screen's queue has reached the server."""
    page.wait_for_function(
        "() => document.getElementById('record-sync').textContent === '保存済み'"
        " && localStorage.getItem('keizoku-record-queue-' + document.getElementById('record-entry')"
        ".dataset.record) === '[]'")


def _symbol(page, check_id):
    return page.inner_text(f'.record-check[data-check="{check_id}"] .record-check-symbol')


def _stored_results(app, record_id):
    from app.extensions import db
    from app.models.record import Record
    from app.services import records as svc

    with app.app_context():
        return svc.record_results(db.session.get(Record, record_id))


def _no_horizontal_scroll(page):
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_24_month_record_by_taps_signed_and_printed(app, tenants, chromium, live_server, page,
                                                     records_site):
    login(page, "a-inspector", PASSWORD)
    page.goto(page.base_url + "/records/new")
    assert page.input_value("#form") == "beppyo6" and page.input_value("#interval_months") == "24"
    page.select_option("#kind", "designated")
    page.fill("#inspection_date", "2026-11-24")
    page.locator("#registration_number").press_sequentially("品川 300 あ 12-34")
    page.locator("#chassis_number").press_sequentially("ZVW30-1234567")
    page.locator("#customer_name").press_sequentially("山田 太郎")
    page.locator("#customer_address").press_sequentially("東京都品川区北品川1-2-3")
    with page.expect_navigation():
        page.get_by_role("button", name="作成して入力へ進む").tap()
    assert page.is_visible("text=記録簿を作成しました")
    record_id = int(page.locator("#record-entry").get_attribute("data-record"))
    # A touch screen opens in the tablet layout.
    assert "layout-tablet" in page.get_attribute("#record-entry", "class")
    assert _no_horizontal_scroll(page)

    # Each tap moves the first check one symbol on: ✓ → × → A.
    first = page.locator(".record-check").first
    check_id = first.get_attribute("data-check")
    for expected in ("✓", "×", "A"):
        first.tap()
        assert _symbol(page, check_id) == expected
    _saved(page)
    assert _stored_results(app, record_id)[check_id] == ["A"]
    missing_before = int(page.inner_text("#record-missing").split()[1].rstrip("件"))
    assert missing_before > 0

    # 全て良好 per device fills only the empty checks; the tapped "A" stays.
    devices = page.locator(".record-all-good")
    assert devices.count() >= 5
    for i in range(devices.count()):
        devices.nth(i).tap()
    _saved(page)
    assert page.inner_text("#record-missing") == "未入力 0件"
    assert _symbol(page, check_id) == "A"
    assert page.locator(".record-check.is-empty").count() == 0
    results = _stored_results(app, record_id)
    assert results[check_id] == ["A"] and len(results) == missing_before + 1
    page.evaluate("document.getElementById('checks').scrollIntoView()")
    screenshot(page, "30-record-entry-grid", full_page=False)  # what the tablet shows

    # The details, then both signatures (the inspector signs as 整備主任者 too here).
    page.fill("#f-odometer_km", "45678")
    page.fill("#f-completion_date", "2026-11-25")
    page.fill("#f-certificate_number", "第0012345号")
    page.fill("#f-work_summary", "24か月点検・ブレーキ・パッド交換")
    with page.expect_navigation():
        page.get_by_role("button", name="保存", exact=True).tap()
    with page.expect_navigation():
        page.get_by_role("button", name="検査員として署名").tap()
    assert page.is_visible("text=署名しました"), page.inner_text("body")[:1500]
    with page.expect_navigation():
        page.get_by_role("button", name="整備主任者として署名").tap()
    signatures = page.inner_text("#sign")
    assert "検査 一郎(署名済み)" in signatures and "主任 次郎(署名済み)" in signatures
    assert "変更できません" in page.inner_text("#record-entry")
    assert page.locator(".record-check").first.is_disabled()

    # The shop copy downloads as a PDF: A3 landscape, with its text extractable.
    copy_button = page.locator(".record-pdf button").first
    with page.expect_download() as download_info:
        copy_button.tap()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    pdf = PdfReader(io.BytesIO(open(download.path(), "rb").read()))
    sizes = {(round(float(p.mediabox.width), 1), round(float(p.mediabox.height), 1)) for p in pdf.pages}
    assert sizes == {A3_LANDSCAPE}
    text = "".join("".join(p.extract_text().split()) for p in pdf.pages)
    for words in ("指定整備記録簿", "山田太郎", "第0012345号", "ZVW30-1234567", "検査一郎", "主任次郎"):
        assert words in text, words
    page.reload()
    assert "出力済" in page.inner_text(".record-head")
    page.evaluate("document.getElementById('sign').scrollIntoView()")
    screenshot(page, "31-record-signed", full_page=False)
    assert_no_js_errors(page)

    # The same record on a portrait tablet: one check per row, nothing wider than the screen.
    portrait = new_page(chromium, live_server, viewport={"width": 768, "height": 1024})
    try:
        login(portrait, "a-inspector", PASSWORD)
        portrait.goto(portrait.base_url + f"/records/{record_id}#checks")
        assert _no_horizontal_scroll(portrait)
        grid = portrait.locator(".record-checks").first.bounding_box()
        cells = portrait.locator(".record-device").first.locator(".record-check")
        assert cells.nth(0).bounding_box()["width"] > grid["width"] * 0.9  # a single column
        screenshot(portrait, "32-record-portrait", full_page=False)
        assert_no_js_errors(portrait)
    finally:
        portrait.context.close()


def test_truck_measurements_per_axle_on_a_portrait_tablet(app, tenants, chromium, live_server,
                                                          records_site, tmp_path):
    """A 3-axle truck with dual rear tyres: the axle layout is chosen with the vehicle, then
    each tyre's tread depth is typed in its own box; nothing is wider than a portrait tablet."""
    from app.extensions import db
    from app.models.record import Record

    page = new_page(chromium, live_server, viewport={"width": 768, "height": 1024})
    try:
        login(page, "a-manager", PASSWORD)
        page.goto(page.base_url + "/records/new")
        page.select_option("#form", "beppyo3")
        page.select_option("#interval_months", "12")
        page.fill("#inspection_date", "2026-11-24")
        page.fill("#registration_number", "練馬 100 か 56-78")
        page.fill("#chassis_number", "FS64VZ-500123")
        with page.expect_navigation():
            page.get_by_role("button", name="作成して入力へ進む").click()
        record_id = int(page.locator("#record-entry").get_attribute("data-record"))
        page.select_option("#f-axle_layout", "SDD")
        with page.expect_navigation():
            page.get_by_role("button", name="保存", exact=True).click()
        for name, value in (("tread_depth_mm.2LO", "9.8"), ("tread_depth_mm.2LI", "9.6"),
                            ("tread_depth_mm.3RO", "10.4"), ("brake_lining_mm.2R", "9.5")):
            page.fill(f'input[name="{name}"]', value)
        assert page.get_attribute('input[name="tread_depth_mm.2LI"]', "aria-label") == "タイヤの溝の深さ 第2軸 左内"
        page.evaluate("document.getElementById('measurements').scrollIntoView()")
        assert _no_horizontal_scroll(page)
        page.screenshot(path=str(tmp_path / "truck-measurements.png"))
        with page.expect_navigation():
            page.get_by_role("button", name="測定値を保存").click()
        assert page.input_value('input[name="tread_depth_mm.3RO"]') == "10.4"
        assert_no_js_errors(page)
    finally:
        page.context.close()
    with app.app_context():
        record = db.session.get(Record, record_id)
        assert record.axle_layout == "SDD"
        assert record.measurements["tread_depth_mm"] == {"2LO": 9.8, "2LI": 9.6, "3RO": 10.4}
        assert record.measurements["brake_lining_mm"] == {"2R": 9.5}
