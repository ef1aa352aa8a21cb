"""The documents of a closed month: the 全銀 debit file (validated, refused when malformed,
businesses without an account left out) and the invoice PDF and CSV."""
import csv
import datetime as dt
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.models.billing import BillableEvent
from app.models.invoice import BillingMonth, DebitFile, Invoice
from app.models.tenancy import Business
from app.reports.zengin import CRLF, RECORD_LENGTH, split_records, validate_file
from app.services import billing
from app.timeutil import JST


def set_account(session, business_id, **fields):
    business = session.get(Business, business_id)
    values = dict(bank_code="0001", branch_code="001", account_type="1",
                  account_number="1234567", account_holder_kana="ｼﾞｷﾞﾖｳｼﾔ")
    values.update(fields)
    for name, value in values.items():
        setattr(business, name, value)
    session.commit()


def add_month_events(session, tenants, year, month, counts):
    """``counts``: {(key, kind): n} events on the 10th of the month at noon, Japan time."""
    object_id = 20000 + month * 1000
    for (key, kind), n in counts.items():
        ids = tenants.ids[key]
        for _ in range(n):
            object_id += 1
            moment = dt.datetime(year, month, 10, 12, tzinfo=JST).astimezone(dt.timezone.utc)
            session.add(BillableEvent(business_id=ids["Business"], site_id=ids["Site"], kind=kind,
                                      object_id=object_id, occurred_at=moment.replace(tzinfo=None)))
    session.commit()


@pytest.fixture
def closed_october(db_session, tenants):
    add_month_events(db_session, tenants, 2026, 10, {("a", "certificate"): 100, ("a", "record"): 20,
                                                     ("b", "certificate"): 385, ("b", "record"): 10})
    set_account(db_session, tenants.ids["a"]["Business"])
    set_account(db_session, tenants.ids["b"]["Business"], bank_code="0005", branch_code="001",
                account_type="2", account_number="0765432", account_holder_kana="ｽｽﾞｷｾｲﾋﾞ(ﾕ")
    billing.close_month(db_session, 2026, 10)
    return {i.business_id: i for i in db_session.scalars(
        select(Invoice).where(Invoice.number.like("202610-%")))}


def field(record, start, length):
    return record[start - 1:start - 1 + length].decode("cp932")


def test_debit_file_validates_and_matches_the_invoices(app, db_session, tenants, closed_october):
    result = billing.produce_debit_file(db_session, 2026, 10)

    content = result.debit_file.content
    assert result.produced_now and result.problems == []
    assert validate_file(content) == []
    records = split_records(content)
    assert content.endswith(CRLF) and all(len(r) == RECORD_LENGTH for r in records)
    assert [chr(r[0]) for r in records] == ["1", "2", "2", "8", "9"]
    header, *data, trailer, _ = records
    assert field(header, 55, 4) == "1127"  # 2026-11-27 is a Friday
    assert field(header, 5, 10) == "1234567890"  # the demo consignor code
    # The worked examples of billing-formats.md §3.4: 3,760 and 12,265 yen, tax included.
    amounts = {field(r, 92, 20): int(field(r, 81, 10)) for r in data}
    a, b = tenants.ids["a"]["Business"], tenants.ids["b"]["Business"]
    assert amounts == {f"1{a:010d}".zfill(20): 100 * 31 + 20 * 33,
                       f"1{b:010d}".zfill(20): 385 * 31 + 10 * 33}
    assert amounts[f"1{a:010d}".zfill(20)] == closed_october[a].total_yen == 3760
    assert closed_october[b].total_yen == 12265 and closed_october[b].tax_yen == 1115
    assert int(field(trailer, 2, 6)) == 2 and int(field(trailer, 8, 12)) == 3760 + 12265
    assert field(data[1], 51, 30).rstrip() == "ｽｽﾞｷｾｲﾋﾞ(ﾕ"
    month = db_session.scalars(select(BillingMonth).where(BillingMonth.year_month == "2026-10")).one()
    assert month.state == "debit_file_produced"

    again = billing.produce_debit_file(db_session, 2026, 10)
    assert not again.produced_now and again.debit_file.content == content
    assert db_session.scalar(select(func.count(DebitFile.id))) == 1


def test_a_debit_date_on_a_weekend_moves_to_the_next_bank_day(app, db_session, tenants):
    add_month_events(db_session, tenants, 2026, 8, {("a", "record"): 3})
    set_account(db_session, tenants.ids["a"]["Business"])
    billing.close_month(db_session, 2026, 8)
    header = split_records(billing.produce_debit_file(db_session, 2026, 8).debit_file.content)[0]
    assert field(header, 55, 4) == "0928"  # 2026-09-27 is a Sunday


def test_businesses_without_a_usable_account_are_listed_not_written(app, db_session, tenants,
                                                                     closed_october):
    a, b = tenants.ids["a"]["Business"], tenants.ids["b"]["Business"]
    set_account(db_session, a, account_holder_kana=None)  # no holder name
    set_account(db_session, b, branch_code="999")  # no such branch at bank 0005

    result = billing.produce_debit_file(db_session, 2026, 10)

    assert result.debit_file is None  # nobody left to debit: no file at all
    problems = {p["invoice_number"]: p["problem"] for p in result.problems}
    assert set(problems) == {closed_october[a].number, closed_october[b].number}
    assert "口座名義" in problems[closed_october[a].number]
    assert "支店コード" in problems[closed_october[b].number]
    assert db_session.scalar(select(func.count(DebitFile.id))) == 0

    set_account(db_session, a)
    result = billing.produce_debit_file(db_session, 2026, 10)
    assert result.debit_file.record_count == 1 and result.debit_file.total_yen == 3760
    assert [p["invoice_number"] for p in result.debit_file.problems] == [closed_october[b].number]
    assert validate_file(result.debit_file.content) == []


def test_a_malformed_file_is_refused(app, db_session, tenants, closed_october):
    sample = app.config["DEBIT_CONSIGNOR_NAME"]
    app.config["DEBIT_CONSIGNOR_NAME"] = "整備情報協会"  # kanji cannot go into the bank file
    try:
        with pytest.raises(billing.BillingError, match="DEBIT_CONSIGNOR_NAME（口座振替の委託者名）"):
            billing.produce_debit_file(db_session, 2026, 10)
    finally:
        app.config["DEBIT_CONSIGNOR_NAME"] = sample
    assert db_session.scalar(select(func.count(DebitFile.id))) == 0
    assert db_session.scalars(select(BillingMonth.state).where(
        BillingMonth.year_month == "2026-10")).one() == "closed"

    content = billing.produce_debit_file(db_session, 2026, 10).debit_file.content
    records = split_records(content)
    broken_amount = records[1][:80] + b"00000X0000" + records[1][90:]
    assert validate_file(CRLF.join([records[0], broken_amount, *records[2:]]) + CRLF)
    wrong_total = records[3][:7] + b"999999999999" + records[3][19:]
    problems = validate_file(CRLF.join([*records[:3], wrong_total, records[4]]) + CRLF)
    assert any("合計金額" in p for p in problems)
    assert validate_file(content[:-5]) != []


def test_producing_needs_a_closed_month(app, db_session, tenants):
    with pytest.raises(billing.BillingError, match="締められていません"):
        billing.produce_debit_file(db_session, 2026, 10)


def test_invoice_pdf_is_a_qualified_invoice(app, db_session, tenants, closed_october):
    invoice = closed_october[tenants.ids["b"]["Business"]]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(billing.invoice_pdf(invoice))).pages)
    compact = text.replace(" ", "").replace("\n", "")
    assert app.config["INVOICE_REGISTRATION_NUMBER"] == "T9234567890123"  # the sample
    assert "T9234567890123" in compact
    assert invoice.number in compact and "事業者B" in compact
    assert "12,265" in compact and "1,115" in compact and "10%" in compact
    assert "2026年10月1日" in compact and "2026年10月31日" in compact

    app.config["INVOICE_REGISTRATION_NUMBER"] = "T8700110005901"
    try:
        text = PdfReader(io.BytesIO(billing.invoice_pdf(invoice))).pages[0].extract_text()
        assert "T8700110005901" in text.replace(" ", "")
    finally:
        app.config["INVOICE_REGISTRATION_NUMBER"] = "T9234567890123"


def test_invoice_csv_in_utf8_with_bom_and_shift_jis(app, db_session, tenants, closed_october):
    invoice = closed_october[tenants.ids["a"]["Business"]]
    utf8 = billing.invoice_csv(invoice)
    sjis = billing.invoice_csv(invoice, "cp932")
    assert utf8.startswith(b"\xef\xbb\xbf") and b"\r\n" in utf8
    rows = list(csv.reader(io.StringIO(utf8.decode("utf-8-sig"), newline="")))
    assert rows == list(csv.reader(io.StringIO(sjis.decode("cp932"), newline="")))
    # The lines, then per rate its total and tax, the amount billed and the 登録番号.
    assert len(rows) == 1 + len(invoice.lines) + 2 * len(invoice.rate_totals) + 2
    header = rows[0]
    lines = rows[1:1 + len(invoice.lines)]
    amounts = [int(r[header.index("金額（円）")]) for r in lines]
    assert sum(amounts) == invoice.total_yen
    assert {r[header.index("区分")] for r in lines} == {"電子保適証作成", "記録簿作成"}
    kinds = {r[header.index("区分")]: r[header.index("金額（円）")] for r in rows[1 + len(invoice.lines):]}
    assert kinds["ご請求額（税込）"] == str(invoice.total_yen) == "3760"
    assert kinds["10%対象 うち消費税等"] == str(invoice.tax_yen) == "341"
    assert any(billing.registration_number() in k for k in kinds)
