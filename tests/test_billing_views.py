"""Billing screens: the association closes, produces and downloads; shops see only their own
invoices and usage; read-only staff and other roles are refused.

Database work happens in short app contexts (``in_db``), never around the browser's requests:
a request inside an outer app context would share its ``g`` (and so a stale CSRF token).
"""
import contextlib
import datetime as dt

from sqlalchemy import func, select

from app.models.audit import AuditLog
from app.models.billing import BillableEvent
from app.models.invoice import BillingMonth, DebitFile, Invoice
from app.models.tenancy import Business
from app.reports.zengin import validate_file
from app.timeutil import JST


@contextlib.contextmanager
def in_db(app):
    from app.extensions import db

    with app.app_context():
        yield db.session
        db.session.remove()


def add_events(app, tenants, key, moments_and_kinds, start_id):
    ids = tenants.ids[key]
    with in_db(app) as session:
        for i, (moment, kind) in enumerate(moments_and_kinds):
            session.add(BillableEvent(
                business_id=ids["Business"], site_id=ids["Site"], kind=kind,
                object_id=start_id + i,
                occurred_at=moment.astimezone(dt.timezone.utc).replace(tzinfo=None)))
        session.commit()


def give_bank_account(app, business_id):
    with in_db(app) as session:
        business = session.get(Business, business_id)
        business.bank_code, business.branch_code, business.account_type = "0001", "001", "1"
        business.account_number, business.account_holder_kana = "1234567", "ｼﾞｷﾞﾖｳｼﾔｴｰ"
        session.commit()


def month_state(app, label):
    with in_db(app) as session:
        return session.scalars(select(BillingMonth.state).where(
            BillingMonth.year_month == label)).first()


def test_association_closes_produces_and_downloads(app, tenants, browser):
    october = dt.datetime(2026, 10, 10, 12, 0, tzinfo=JST)
    add_events(app, tenants, "a", [(october, "certificate"), (october, "record")], 7000)
    add_events(app, tenants, "b", [(october, "certificate")], 7100)
    give_bank_account(app, tenants.ids["a"]["Business"])  # B has no account
    browser.login("assoc-admin")

    page = browser.get("/billing/admin/months/").get_data(as_text=True)
    assert "請求月の一覧" in page and "2026-09" in page  # the seeded month
    response = browser.post("/billing/admin/months/close", {"month": "2026-10"})
    assert response.status_code == 302
    page = browser.get("/billing/admin/months/2026-10/").get_data(as_text=True)
    assert "締め済" in page and "事業者A" in page and "事業者B" in page

    browser.post("/billing/admin/months/2026-10/debit-file")
    page = browser.get("/billing/admin/months/2026-10/").get_data(as_text=True)
    assert "口座振替データ作成済" in page
    assert "口座情報に問題があるため含めていません" in page and "事業者B" in page
    download = browser.get("/billing/admin/months/2026-10/debit-file")
    assert download.status_code == 200
    with in_db(app) as session:
        stored = session.scalars(select(DebitFile)).one()
        assert download.data == stored.content and validate_file(download.data) == []
        assert stored.record_count == 1 and stored.total_yen == 31 + 33
        assert session.scalar(select(func.count(AuditLog.id)).where(
            AuditLog.action == "debit_file_downloaded")) == 1
        invoice_id = session.scalars(select(Invoice.id).where(
            Invoice.business_id == tenants.ids["b"]["Business"],
            Invoice.number.like("202610-%"))).one()

    browser.post("/billing/admin/months/2026-10/reopen", {"reason": "確認"})
    assert month_state(app, "2026-10") == "debit_file_produced"  # refused once the file exists

    page = browser.get(f"/billing/admin/invoices/{invoice_id}").get_data(as_text=True)
    assert "事業者B" in page and "31円" in page
    history = browser.get(f"/billing/admin/businesses/{tenants.ids['b']['Business']}")
    assert "口座振替できません" in history.get_data(as_text=True)


def test_reopen_needs_a_reason_and_withdraws_the_invoices(app, tenants, browser):
    add_events(app, tenants, "a", [(dt.datetime(2026, 10, 2, tzinfo=JST), "record")], 7200)
    browser.login("assoc-admin")
    browser.post("/billing/admin/months/close", {"month": "2026-10"})
    browser.post("/billing/admin/months/2026-10/reopen", {"reason": ""})
    assert month_state(app, "2026-10") == "closed"
    browser.post("/billing/admin/months/2026-10/reopen", {"reason": "単価の誤り"})
    assert month_state(app, "2026-10") == "open"
    with in_db(app) as session:
        assert session.scalar(select(func.count(Invoice.id)).where(
            Invoice.number.like("202610-%"))) == 0


def test_staff_reads_but_cannot_close(app, tenants, browser):
    browser.login("assoc-staff")
    assert browser.get("/billing/admin/months/").status_code == 200
    assert browser.post("/billing/admin/months/close", {"month": "2026-10"}).status_code == 403
    assert browser.post("/billing/admin/months/2026-09/reopen", {"reason": "x"}).status_code == 403
    assert month_state(app, "2026-10") is None
    assert month_state(app, "2026-09") == "closed"


def test_shop_sees_its_own_invoices_and_usage(app, tenants, browser):
    november = dt.datetime(2026, 11, 20, 9, 0, tzinfo=JST)
    add_events(app, tenants, "a", [(november, "record"), (november, "record")], 7300)
    browser.login("a-manager")
    usage = browser.get("/billing/usage/").get_data(as_text=True)
    assert "a工場0" in usage and "b工場0" not in usage
    assert "2件" in usage  # the two records (the tenant seed adds one certificate)

    page = browser.get("/billing/invoices/").get_data(as_text=True)
    own, other = tenants.ids["a"]["Invoice"], tenants.ids["b"]["Invoice"]
    assert f"/billing/invoices/{own}" in page and f"/billing/invoices/{other}" not in page

    pdf = browser.get(f"/billing/invoices/{own}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    utf8 = browser.get(f"/billing/invoices/{own}/csv")
    assert utf8.data.startswith(b"\xef\xbb\xbf") and "事業者A".encode() in utf8.data
    sjis = browser.get(f"/billing/invoices/{own}/csv?encoding=sjis")
    assert "事業者A" in sjis.data.decode("cp932") and not sjis.data.startswith(b"\xef\xbb\xbf")

    for url in (f"/billing/invoices/{other}", f"/billing/invoices/{other}/pdf",
                f"/billing/invoices/{other}/csv"):
        assert browser.get(url).status_code == 404
    assert browser.get("/billing/admin/months/").status_code == 403
    assert browser.get(f"/billing/admin/invoices/{own}").status_code == 403


def test_inspector_sees_usage_but_not_invoices(app, tenants, browser):
    browser.login("a-inspector")
    assert browser.get("/billing/usage/").status_code == 200
    assert browser.get("/billing/invoices/").status_code == 403
    assert browser.get(f"/billing/invoices/{tenants.ids['a']['Invoice']}/pdf").status_code == 403
