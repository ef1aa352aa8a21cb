"""Records over HTTP: a 12-month 別表3 定期点検整備記録簿 entered the way the tablet screen
does (one POST per tap), signed and printed; 20 concurrent first outputs charge once; the
records menu only where the association switched it on; batch printing with progress."""
import threading
import time
from datetime import date

from sqlalchemy import func, select

from app.domain.inspection_forms import applicable_checks
from app.models.billing import BillableEvent
from app.models.record import PrintBatch, Record
from tests.conftest import Browser
from tests.tenant_seeds.signers import SIGNING_PIN
from tests.test_japanese_ui import english_words
from tests.test_record_services import (
    A3_LANDSCAPE,
    A4_PORTRAIT,
    assert_record_pdf,
    build_beppyo6,
    record_events,
    sign_fully,
)


def csrf_header(browser):
    return {"X-CSRFToken": browser.token()}


def create_beppyo3(browser, tenants):
    response = browser.post("/records/new", {
        "site_id": tenants.ids["a"]["Site"], "kind": "periodic", "form": "beppyo3",
        "interval_months": "12", "inspection_date": "2026-11-24", "certificate_id": "",
        "registration_number": "練馬 100 か 56-78", "chassis_number": "FE82-500123",
        "customer_name": "株式会社 練馬運送", "customer_address": "東京都練馬区豊玉北6-12-1"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def test_beppyo3_12_month_record_over_http(app, tenants, browser, tmp_path, monkeypatch):
    from app.extensions import db

    monkeypatch.setitem(app.config, "RECORDS_FILE_DIR", str(tmp_path))
    browser.login("a-manager")
    record_id = create_beppyo3(browser, tenants)
    page = browser.get(f"/records/{record_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "全て良好" in html and "record-check" in html
    assert english_words(html, {"a-manager"}) == []

    checks = applicable_checks("beppyo3", 12, date(2026, 11, 24))
    three_month = [c for c in checks if 3 in c.intervals]
    assert len(three_month) < len(checks)  # 12 months = the 3-month checks plus additions
    # One tap on the first check, then a refused symbol, then "all good" per device.
    first = checks[0]
    answer = browser.client.post(f"/records/{record_id}/result", headers=csrf_header(browser),
                                 json={"check_id": first.id, "symbols": ["T", "✓"]})
    assert answer.status_code == 200 and answer.get_json()["symbols"] == ["T", "✓"]
    not_skippable = next(c for c in checks if not c.skippable)
    refused = browser.client.post(f"/records/{record_id}/result", headers=csrf_header(browser),
                                  json={"check_id": not_skippable.id, "symbols": ["P"]})
    assert refused.status_code == 400 and "省略できない" in refused.get_json()["error"]
    for device in dict.fromkeys(c.id.split(".")[0] for c in checks):
        answer = browser.client.post(f"/records/{record_id}/device-good",
                                     headers=csrf_header(browser), json={"device": device})
        assert answer.status_code == 200
    assert answer.get_json()["missing"] == 0

    assert browser.post(f"/records/{record_id}/details", {
        "odometer_km": "123456", "completion_date": "2026-11-25", "work_summary": "12か月点検",
        "brake_lining_mm.FL": "6.5", "co_percent": ""}).status_code == 302
    assert browser.post(f"/records/{record_id}/parts",
                        {"lines": "グリース,1,式"}).status_code == 302
    # A clerk cannot sign; the site manager signs as 整備主任者.
    clerk = Browser(app)
    clerk.login("a-clerk")
    assert clerk.post(f"/records/{record_id}/sign", {
        "signature": "chief_mechanic",
        "signer_id": tenants.ids["a"]["ChiefMechanic"]}).status_code == 403
    assert browser.post(f"/records/{record_id}/sign", {
        "signature": "chief_mechanic", "pin": SIGNING_PIN,
        "signer_id": tenants.ids["a"]["ChiefMechanic"]}).status_code == 302
    with app.app_context():
        record = db.session.get(Record, record_id)
        # The old car key FL is taken as the axle layout's position 1L (front left).
        assert record.status == "signed" and record.measurements["brake_lining_mm"] == {"1L": 6.5}
        assert record.results.startswith(first.id) or f"{first.id}:T✓" in record.results
    locked = browser.client.post(f"/records/{record_id}/result", headers=csrf_header(browser),
                                 json={"check_id": first.id, "symbols": ["✓"]})
    assert locked.status_code == 409

    shop = browser.post(f"/records/{record_id}/pdf", {"copy": "shop"})
    assert shop.status_code == 200 and shop.mimetype == "application/pdf"
    assert_record_pdf(shop.data, A3_LANDSCAPE, ["定期点検整備記録簿", "別表第３", "練馬運送",
                                                "グリース", "T✓"])
    customer = browser.post(f"/records/{record_id}/pdf", {"copy": "customer"})
    assert_record_pdf(customer.data, A4_PORTRAIT, ["定期点検整備記録簿", "主任 次郎"])
    with app.app_context():
        assert record_events(db) == 1
        assert db.session.get(Record, record_id).status == "output"


def test_twenty_concurrent_first_outputs_charge_once(app, tenants, tmp_path, monkeypatch):
    from app.extensions import db

    monkeypatch.setitem(app.config, "RECORDS_FILE_DIR", str(tmp_path))
    with app.test_request_context():
        record = build_beppyo6(db, tenants)
        sign_fully(db, tenants, record)
        record_id = record.id
    browsers = []
    for _ in range(20):
        b = Browser(app)
        b.login("a-inspector")
        b.token()
        browsers.append(b)
    barrier = threading.Barrier(20)
    statuses = []

    def output(b):
        barrier.wait()
        statuses.append(b.post(f"/records/{record_id}/pdf", {"copy": "shop"}).status_code)

    threads = [threading.Thread(target=output, args=(b,)) for b in browsers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 20
    with app.app_context():
        events = db.session.scalars(select(BillableEvent).where(
            BillableEvent.kind == "record", BillableEvent.object_id == record_id)).all()
        assert len(events) == 1 and events[0].site_id == tenants.ids["a"]["Site"]
        assert db.session.get(Record, record_id).status == "output"
    assert len(list(tmp_path.rglob("shop-*.pdf"))) == 1  # rendered once, served twenty times


def test_records_menu_only_where_switched_on(app, tenants, browser):
    from app.extensions import db
    from app.models.tenancy import Site

    a = tenants.ids["a"]
    browser.login("a-manager")
    other_site = a["sites"][1]
    page = browser.get(f"/records/?site={other_site}")
    assert "開通していません" in page.get_data(as_text=True)
    with app.app_context():
        db.session.get(Site, a["Site"]).records_enabled = False
        db.session.commit()
    page = browser.get("/records/").get_data(as_text=True)
    assert "協会サポートデスクへお申し込みください" in page
    refused = browser.get(f"/records/{a['Record']}")
    assert refused.status_code == 403 and "開通していません" in refused.get_data(as_text=True)
    assert browser.post(f"/records/{a['Record']}/details",
                        {"odometer_km": "1"}).status_code == 403
    assert browser.post("/records/new", {
        "site_id": a["Site"], "kind": "periodic", "form": "beppyo6", "interval_months": "12",
        "inspection_date": "2026-11-24"}).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Record)) == 2  # seeds only


def test_pages_render_in_japanese_for_every_shop_role(app, tenants):
    for role in ("manager", "inspector", "clerk"):
        b = Browser(app)
        b.login(f"a-{role}")
        for url in ("/records/", "/records/new", "/records/patterns/", "/records/batches/",
                    f"/records/{tenants.ids['a']['Record']}",
                    f"/records/{tenants.ids['a']['Record']}/tester",
                    f"/records/batches/{tenants.ids['a']['PrintBatch']}"):
            response = b.get(url)
            assert response.status_code == 200, (role, url)
            assert english_words(response.get_data(as_text=True), {f"a-{role}"}) == [], url
    clerk = Browser(app)
    clerk.login("a-clerk")
    assert clerk.get("/records/patterns/new").status_code == 403  # only the manager edits


def test_batch_printing_shows_progress_and_produces_one_pdf(app, tenants, browser, tmp_path,
                                                            monkeypatch):
    from pypdf import PdfReader

    from app.extensions import db

    monkeypatch.setitem(app.config, "RECORDS_FILE_DIR", str(tmp_path))
    with app.test_request_context():
        first = build_beppyo6(db, tenants)
        sign_fully(db, tenants, first)
        second = build_beppyo6(db, tenants)
        sign_fully(db, tenants, second)
        ids = [first.id, second.id]
    browser.login("a-manager")
    unsigned = browser.post("/records/batches/new", {
        "site_id": tenants.ids["a"]["Site"], "record": [str(tenants.ids["a"]["Record"])],
        "copy": "shop"})
    assert unsigned.status_code == 302 and unsigned.headers["Location"].startswith(
        "/records/batches/?")
    started = browser.post("/records/batches/new", {
        "site_id": tenants.ids["a"]["Site"], "record": [str(i) for i in ids], "copy": "customer"})
    assert started.status_code == 302
    batch_url = started.headers["Location"]
    assert "まとめて印刷" in browser.get(batch_url).get_data(as_text=True)
    seen, deadline = [], time.time() + 60
    while time.time() < deadline:
        state = browser.get(f"{batch_url}/status").get_json()
        seen.append(state["done"])
        if state["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert state["status"] == "done" and state["done"] == state["total"] == 2, state
    assert seen == sorted(seen)
    pdf = browser.get(state["download"])
    assert pdf.status_code == 200
    import io

    reader = PdfReader(io.BytesIO(pdf.data))
    assert len(reader.pages) >= 2
    with app.app_context():
        assert record_events(db) == 2  # batch output is the first output of both
        batch = db.session.scalars(select(PrintBatch).where(PrintBatch.status == "done",
                                                            PrintBatch.copy == "customer")).one()
        assert batch.total_count == 2
