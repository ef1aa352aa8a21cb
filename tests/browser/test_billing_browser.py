"""In Chromium: the association closes October 2026 (the clock stands in November), produces and
downloads the debit file (全銀 format) and an invoice PDF."""
import datetime as dt
import io

from pypdf import PdfReader
from sqlalchemy import select

from app.models.invoice import DebitFile, Invoice
from app.reports.zengin import validate_file
from app.services import billing
from app.timeutil import JST
from tests.browser.conftest import assert_no_js_errors, login, screenshot
from tests.conftest import PASSWORD
from tests.test_billing_views import add_events, give_bank_account, in_db


def test_association_closes_october_and_downloads(app, tenants, page):
    october = dt.datetime(2026, 10, 15, 11, 0, tzinfo=JST)
    add_events(app, tenants, "a", [(october, "certificate"), (october, "certificate"),
                                   (october, "record")], 9000)
    add_events(app, tenants, "b", [(october, "certificate")], 9100)
    give_bank_account(app, tenants.ids["a"]["Business"])  # B has no bank account on file

    login(page, "assoc-admin", PASSWORD)
    page.goto(page.base_url + "/billing/admin/months/")
    assert page.input_value("#month") == "2026-10"  # the month just ended is suggested
    screenshot(page, "40-billing-months")
    with page.expect_navigation():
        page.get_by_role("button", name="締める", exact=True).click()
    assert page.url.endswith("/billing/admin/months/2026-10/")
    body = page.inner_text("body")
    assert "2026-10 を締めました（請求書 2件" in body and "締め済" in body and "事業者A" in body and "事業者B" in body

    with page.expect_navigation():
        page.get_by_role("button", name="口座振替データを作成する").click()
    body = page.inner_text("body")
    assert "口座振替データ作成済" in body
    assert "口座情報に問題があるため含めていません" in body
    screenshot(page, "41-billing-month-closed")

    with page.expect_download() as info:
        page.get_by_role("link", name="ダウンロード", exact=True).click()
    debit = open(info.value.path(), "rb").read()
    with in_db(app) as session:
        stored = session.scalars(select(DebitFile)).one()
        assert debit == stored.content and stored.record_count == 1
        assert info.value.suggested_filename == billing.debit_file_name(stored)
        invoice_a = session.scalars(select(Invoice).where(
            Invoice.business_id == tenants.ids["a"]["Business"], Invoice.number.like("202610-%"))).one()
        number, total = invoice_a.number, invoice_a.total_yen
    assert validate_file(debit) == []

    with page.expect_navigation():
        page.get_by_role("link", name=number).click()
    assert f"{total:,}円" in page.inner_text("body")
    screenshot(page, "42-billing-invoice")
    with page.expect_download() as info:
        page.get_by_role("link", name="請求書をダウンロード(PDF)").click()
    assert info.value.suggested_filename.endswith(".pdf")
    pdf = PdfReader(io.BytesIO(open(info.value.path(), "rb").read()))
    text = "".join("".join(p.extract_text().split()) for p in pdf.pages)
    assert number in text and "事業者A" in text and f"{total:,}" in text
    assert_no_js_errors(page)
