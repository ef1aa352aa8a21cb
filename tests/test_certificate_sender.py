"""The sender's rules one by one against the sandbox: outside hours wait for the opening,
rejections carry the outside reason and what to do, the 自賠責-not-yet error retries, and the
hybrid printouts put each field where the data file and the site's printer offset say."""
import csv
import datetime as dt
import io

import pytest
import requests
from pypdf import PdfReader
from sqlalchemy import func, select

from app.extensions import db
from app.models.billing import BillableEvent
from app.models.certificate import Certificate, CertificateEvent, PrinterOffset
from app.reports import form_layouts, hybrid
from app.services.certificates import common, confirmation, sender
from app.tenancy import Tenant
from app.timeutil import JST
from tests.test_certificate_helpers import filled_draft, ready_site, sandbox_config

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=JST)


@pytest.fixture
def ctx(app, tenants, db_session):
    ids = tenants.ids["a"]
    ready_site(db_session, ids["Site"])
    db_session.commit()
    return ids, Tenant(ids["Business"], frozenset(ids["sites"]))


def _confirmed(session, ids, tenant, chassis, **kwargs):
    draft = filled_draft(session, tenant, ids["Site"], ids["users"]["inspector"], chassis, **kwargs)
    certificate = confirmation.confirm(session, draft, ids["users"]["inspector"],
                                       set(confirmation.PREFLIGHT_ITEMS), NOW)
    session.commit()
    return certificate.id


def _billed(session, certificate_id):
    return session.scalar(select(func.count()).select_from(BillableEvent).where(
        BillableEvent.object_id == certificate_id))


def test_airas_maintenance_waits_for_the_opening(app, ctx, db_session):
    ids, tenant = ctx
    with sandbox_config(app) as server:
        requests.post(f"{server.base_url}/_control/faults", json={"maintenance": {"airas": 3600}}, timeout=5)
        certificate_id = _confirmed(db_session, ids, tenant, "HRS10-0000001")
        clients = common.clients_from_config()
        sender.send_now(db_session, certificate_id, clients, NOW)
        certificate = db_session.get(Certificate, certificate_id)
        assert certificate.status == "queued" and certificate.attempts == 0
        assert "メンテナンス中" in certificate.advice and "自動で送信します" in certificate.advice
        opens = common.as_jst(certificate.next_attempt_at)
        assert opens > NOW
        assert sender.send_due(db_session, NOW + dt.timedelta(minutes=5), clients) == 0  # not yet
        requests.post(f"{server.base_url}/_control/faults", json={"maintenance": []}, timeout=5)
        assert sender.send_due(db_session, opens + dt.timedelta(seconds=1), clients) == 1
        db_session.expire_all()
        certificate = db_session.get(Certificate, certificate_id)
        assert certificate.status == "linked" and certificate.reason is None
        assert _billed(db_session, certificate_id) == 1


def test_an_answer_lost_after_airas_stored_it_leaves_one_record(app, ctx, db_session):
    """AIRAS stores the certificate and the answer is lost (the sandbox closes the connection
    after storing, twice): every retry carries the same idempotency key, so the far end holds
    exactly one record, the one the certificate is linked to. The sandbox would store a second
    record for a new key (duplicate 車台番号 allowed here), so a fresh key fails this test."""
    ids, tenant = ctx
    with sandbox_config(app, drop_rate=1.0, fault_systems=["airas"], reject_duplicate_chassis=False) as server:
        def far_end():
            return requests.get(f"{server.base_url}/_control/records/airas", timeout=10).json()

        certificate_id = _confirmed(db_session, ids, tenant, "LST10-0000001")
        clients = common.clients_from_config()
        sender.send_now(db_session, certificate_id, clients, NOW)
        moment = NOW
        for _lost_again in range(2):
            db_session.expire_all()
            certificate = db_session.get(Certificate, certificate_id)
            assert certificate.status == "queued" and certificate.reason_code == "CONNECTION"
            assert certificate.airas_id is None and len(far_end()) == 1  # stored, answer lost
            moment = common.as_jst(certificate.next_attempt_at)
            if _lost_again:
                requests.post(f"{server.base_url}/_control/faults", json={"drop_rate": 0.0}, timeout=5)
            assert sender.send_due(db_session, moment, clients) == 1
        db_session.expire_all()
        certificate = db_session.get(Certificate, certificate_id)
        assert certificate.status == "linked" and certificate.attempts == 0
        records = far_end()
        assert len(records) == 1
        assert records[0]["airas_id"] == certificate.airas_id
        assert records[0]["idempotency_key"] == certificate.idempotency_key
        stats = requests.get(f"{server.base_url}/_control/stats", timeout=10).json()
        assert stats["airas"]["fault_drop"] == 2 and stats["airas"]["duplicates_refused"] == 2
        assert _billed(db_session, certificate_id) == 1


def test_a_refusal_is_shown_with_reason_and_next_step(app, ctx, db_session):
    ids, tenant = ctx
    with sandbox_config(app) as server:
        certificate_id = _confirmed(db_session, ids, tenant, "DUP10-9000409")
        sender.send_now(db_session, certificate_id, common.clients_from_config(), NOW)
        certificate = db_session.get(Certificate, certificate_id)
        assert certificate.status == "rejected" and certificate.reason_code == "DUP"
        assert certificate.reason == "同一車台番号の保適証が既に登録されています。"
        assert "古い保適証を削除してから" in certificate.advice
        assert certificate.next_attempt_at is None and _billed(db_session, certificate_id) == 0
        assert requests.get(f"{server.base_url}/_control/stats", timeout=5).json()["airas"].get("received", 0) == 0


def test_the_insurance_not_yet_error_retries_until_it_clears(app, ctx, db_session):
    ids, tenant = ctx
    with sandbox_config(app, jibai_delay_seconds=1.0) as server:
        certificate_id = _confirmed(db_session, ids, tenant, "JIB10-0000001")
        clients = common.clients_from_config()
        sender.send_now(db_session, certificate_id, clients, NOW)
        certificate = db_session.get(Certificate, certificate_id)
        assert certificate.status == "queued" and certificate.reason_code == "E127"
        assert certificate.first_insurance_error_at is not None
        retry_at = common.as_jst(certificate.next_attempt_at)
        assert retry_at >= NOW + dt.timedelta(seconds=1)  # never sooner than AIRAS asked
        requests.post(f"{server.base_url}/_control/clock", json={"advance_seconds": 5}, timeout=5)
        sender.send_due(db_session, retry_at, clients)
        db_session.expire_all()
        assert db_session.get(Certificate, certificate_id).status == "linked"


def test_the_insurance_error_gives_up_after_an_hour(app, ctx, db_session):
    ids, tenant = ctx
    with sandbox_config(app):
        certificate_id = _confirmed(db_session, ids, tenant, "JIB20-9000127")  # E127 for ever
        clients = common.clients_from_config()
        moment = NOW
        for _ in range(10):
            sender.send_due(db_session, moment, clients)
            moment += dt.timedelta(minutes=20)
        db_session.expire_all()
        certificate = db_session.get(Certificate, certificate_id)
        assert certificate.status == "failed" and certificate.reason_code == "E127"
        assert certificate.next_attempt_at is None
        failures = db_session.scalars(select(CertificateEvent).where(
            CertificateEvent.certificate_id == certificate_id, CertificateEvent.success.is_(False))).all()
        assert 3 <= len(failures) <= 6


def test_hybrid_printouts_follow_positions_and_offset(app, ctx, db_session):
    ids, tenant = ctx
    with sandbox_config(app):
        certificate_id = _confirmed(db_session, ids, tenant, "HYB10-0012345", application_type="hybrid")
        certificate = db_session.get(Certificate, certificate_id)
        assert certificate.oss_request is None and certificate.payload["application_type"] == "hybrid"
        box = form_layouts.shipped_layout("ocr-registered")["fields"]["chassis_last7"]

        def left_of(pdf, text):
            """(x, y) in mm from the top-left of where ``text`` is drawn."""
            page = PdfReader(io.BytesIO(pdf)).pages[0]
            height = float(page.mediabox.height)
            found = []

            def visit(chunk, cm, tm, _font, _size):
                if chunk.strip() == text:
                    x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                    y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                    found.append((x * 25.4 / 72, (height - y) * 25.4 / 72))

            page.extract_text(visitor_text=visit)
            assert found, text
            return found[0]

        plain = left_of(hybrid.ocr_sheet_pdf(certificate, certificate.site, None), "0012345")
        offset = PrinterOffset(business_id=ids["Business"], site_id=ids["Site"], offset_x_mm=3.0,
                               offset_y_mm=-2.0)
        shifted = left_of(hybrid.ocr_sheet_pdf(certificate, certificate.site, offset), "0012345")
        assert abs(plain[0] - box["x"]) < 2.0
        assert abs(shifted[0] - plain[0] - 3.0) < 0.3 and abs(shifted[1] - plain[1] + 2.0) < 0.3
        slip = hybrid.weight_tax_slip_pdf(certificate, certificate.site)
        text = PdfReader(io.BytesIO(slip)).pages[0].extract_text()
        assert "24,600円" in text and "継続検査" in text and "HYB10-0012345" in text


def test_register_lists_the_month_as_csv_and_pdf(app, tenants, browser):
    from tests.test_certificate_helpers import filled_draft as fill

    ids = tenants.ids["a"]
    with app.app_context():
        ready_site(db.session, ids["Site"])
        tenant = Tenant(ids["Business"], frozenset(ids["sites"]))
        draft = fill(db.session, tenant, ids["Site"], ids["users"]["inspector"], "REG10-0000001")
        confirmation.confirm(db.session, draft, ids["users"]["inspector"], set(confirmation.PREFLIGHT_ITEMS), NOW)
        db.session.commit()
    browser.login("a-manager")
    response = browser.get("/certificates/register.csv?month=2026-11")
    assert response.status_code == 200 and response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "交付年月日"
    assert {r[3]: r[8] for r in rows[1:]} == {"100-0000001": "エラー", "REG10-0000001": "送信待ち"}
    assert browser.get("/certificates/register.csv?month=2026-10").data.decode("utf-8-sig").count("\n") == 1
    pdf = browser.get("/certificates/register.pdf?month=2026-11")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    foreign_site = tenants.ids["b"]["Site"]
    assert browser.get(f"/certificates/register.csv?site={foreign_site}").status_code == 404
    listing = browser.get("/certificates/list/?chassis=reg10").get_data(as_text=True)
    assert "REG10-0000001" in listing and "100-0000001" not in listing
    assert "REG10-0000001" not in browser.get("/certificates/list/?status=linked").get_data(as_text=True)


def test_support_view_is_for_the_association_and_puts_failures_first(app, tenants, browser):
    browser.login("a-manager")
    assert browser.get("/association/certificates/list/").status_code == 403
    browser.logout()
    browser.login("assoc-admin")
    page = browser.get("/association/certificates/list/").get_data(as_text=True)
    assert "事業者A" in page and "事業者B" in page  # every business
    assert page.index("エラー") < page.index("試験用の理由") + 1000
    detail = browser.get(f"/association/certificates/{tenants.ids['b']['Certificate']}").get_data(as_text=True)
    assert "試験用の記録" in detail
