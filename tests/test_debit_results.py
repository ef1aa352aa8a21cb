"""The bank's 振替結果データ: a closed month's request file comes back with result codes; each
invoice records 振替済 or 振替不能 with the reason, all or nothing, once, audited; the
association uploads it on the month screen and nobody else can.

Result files are made here from the request file the existing code produced, by setting the
振替結果コード (position 112) and recomputing the trailer (§1.4) independently of the reader.
"""
import contextlib
import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from app.models.audit import AuditLog
from app.models.invoice import DebitFile
from app.reports import zengin, zengin_result
from app.reports.zengin_result import ResultFileError, read_result_file
from app.services import billing, debit_results
from app.timeutil import JST
from tests.test_billing_close import TABLE, World, give_bank_accounts, invoices_of, jst
from tests.test_billing_views import add_events, give_bank_account, in_db

CRLF = b"\r\n"


def rebuild(records, trailer=None) -> bytes:
    """The file with its trailer recomputed from the data records: 合計件数/合計金額, and the
    result totals from the codes unless ``trailer`` (four ints) overrides them."""
    data = records[1:-2]
    amounts = [(int(r[80:90]), r[111:112] == b"0") for r in data]
    paid = [a for a, ok in amounts if ok]
    unpaid = [a for a, ok in amounts if not ok]
    counts = trailer or (len(paid), sum(paid), len(unpaid), sum(unpaid))
    result_trailer = (b"8%06d%012d" % (len(data), sum(a for a, _ in amounts))
                      + b"%06d%012d%06d%012d" % tuple(counts) + records[-2][55:])
    return b"".join(r + CRLF for r in [*records[:-2], result_trailer, records[-1]])


def with_results(request: bytes, codes: dict, *, trailer=None) -> bytes:
    """The request file as the bank returns it: ``codes`` by 顧客番号 (int), others 0."""
    records = zengin.split_records(request)
    records[1:-2] = [r[:111] + codes.get(int(r[91:111]), "0").encode() + r[112:]
                     for r in records[1:-2]]
    return rebuild(records, trailer)


def set_amount(result: bytes, customer: int, amount: int) -> bytes:
    """Change one 引落金額 and keep the trailer consistent with it."""
    records = [r[:80] + b"%010d" % amount + r[90:] if r[:1] == b"2" and int(r[91:111]) == customer
               else r for r in zengin.split_records(result)]
    return rebuild(records)


def customers(request: bytes) -> list:
    return [int(r[91:111]) for r in zengin.split_records(request)[1:-2]]


@pytest.fixture
def produced(db_session, tenants):
    """October 2026 closed for five billing units (three businesses, two sites billed
    separately), every business with a bank account, the debit file produced."""
    world = World(db_session, tenants)
    world.fill(11, jst(2026, 10, 1), jst(2026, 11, 1), per_site=6)
    give_bank_accounts(db_session)
    billing.close_month(db_session, 2026, 10, price_table=TABLE)
    debit_file = billing.produce_debit_file(db_session, 2026, 10).debit_file
    assert debit_file.record_count == 5 and not debit_file.problems
    return debit_file.content


def state(session):
    """Everything an import may write, and how many billing audit rows exist."""
    session.expire_all()
    invoices = [(i.number, i.debit_result_code, i.debit_result_imported_at)
                for i in invoices_of(session, "2026-10")]
    files = [(f.result_sha256, f.result_imported_at, f.result_content)
             for f in session.scalars(select(DebitFile))]
    changes = session.scalar(select(func.count(AuditLog.id)).where(  # not the logins
        AuditLog.entity_type.in_(("Invoice", "DebitFile", "BillingMonth"))))
    return invoices, files, changes


def by_customer(session):
    return {int(billing.customer_number(i)): i for i in invoices_of(session, "2026-10")}


# --- Reading the file (pure) ---------------------------------------------------------------


def test_reader_gives_customer_amount_code_and_reason(app, db_session, produced):
    first, second, *rest = customers(produced)
    content = with_results(produced, {first: "1", second: "3"})
    parsed = read_result_file(content, consignor_code="1234567890", debit_date=dt.date(2026, 11, 27))

    assert [int(r.customer_number) for r in parsed.results] == customers(produced)
    assert [r.record_number for r in parsed.results] == [2, 3, 4, 5, 6]
    assert [(r.code, r.reason, r.paid) for r in parsed.results[:3]] == [
        ("1", "資金不足", False), ("3", "預金者の都合による振替停止", False), ("0", "振替済", True)]
    invoices = by_customer(db_session)
    assert all(r.amount_yen == invoices[int(r.customer_number)].total_yen for r in parsed.results)
    assert len(parsed.paid) == 3 and len(parsed.unpaid) == 2 and parsed.unknown_codes == []
    # Without separators the same records read the same.
    flat = content.replace(CRLF, b"")
    assert read_result_file(flat, consignor_code="1234567890",
                            debit_date=dt.date(2026, 11, 27)).results == parsed.results


def test_every_code_of_the_bank_notes_has_its_meaning():
    assert zengin_result.RESULT_CODE_LABELS == {
        "0": "振替済", "1": "資金不足", "2": "取引なし", "3": "預金者の都合による振替停止",
        "4": "振替依頼書なし", "8": "委託者の都合による振替停止", "9": "その他"}
    assert zengin_result.result_reason("N") == "その他（結果コード「N」）"
    # The result layouts are the request layouts with only the result fields opened up.
    for layout in (zengin_result.RESULT_DATA_LAYOUT, zengin_result.RESULT_TRAILER_LAYOUT):
        assert sum(f.length for f in layout) == zengin.RECORD_LENGTH


def refused(content, match, **expected):
    options = {"consignor_code": "1234567890", "debit_date": dt.date(2026, 11, 27), **expected}
    with pytest.raises(ResultFileError) as error:
        read_result_file(content, **options)
    assert error.match(match)
    return str(error.value)


def test_reader_refuses_broken_files_naming_the_record(app, db_session, produced):
    good = with_results(produced, {customers(produced)[0]: "1"})
    lines = good.split(CRLF)

    short = CRLF.join([*lines[:2], lines[2][:-1], *lines[3:]])
    refused(short, "3件目のレコード: レコード長が119バイト")
    swapped = CRLF.join([lines[0], lines[6], *lines[1:6], *lines[7:]])
    refused(swapped, "レコードの順序")
    refused(with_results(produced, {}, trailer=(5, 1, 0, 0)), "7件目のトレーラ・レコード: 振替済金額")
    message = refused(with_results(produced, {}, trailer=(4, 0, 0, 0)), "振替済件数 4")
    assert "振替済件数と振替不能件数の和が合計件数と一致しません" in message
    refused(produced, "振替済件数 0 が振替結果コードからの集計 5")  # the request itself
    refused(good, "他の委託者", consignor_code="1111111111")
    refused(good, "別の月の結果", debit_date=dt.date(2026, 12, 28))
    blank_code = good.replace(lines[2], lines[2][:111] + b" " + lines[2][112:])
    refused(blank_code, r"3件目のデータ・レコード（顧客番号 \d+）: 振替結果コード")
    records = zengin.split_records(good)
    doubled = rebuild([records[0], records[1], *records[1:]])
    refused(doubled, "3件目のデータ・レコード（顧客番号 \\d+）: 顧客番号が2件目のデータ・レコードと同じです")
    refused(b"", "ファイルが空です")


# --- Importing -------------------------------------------------------------------------------


def test_import_records_each_outcome_and_is_audited(app, db_session, produced):
    first, second, *rest = customers(produced)
    before_audit = state(db_session)[2]
    result = debit_results.import_debit_results(
        db_session, 2026, 10, with_results(produced, {first: "1", second: "3"}))

    invoices = by_customer(db_session)
    assert result.changed == 5 and (result.unpaid_count, result.paid_count) == (2, 3)
    assert result.unpaid_yen == invoices[first].total_yen + invoices[second].total_yen
    assert result.paid_yen == sum(invoices[c].total_yen for c in rest)
    assert [invoices[c].debit_result_code for c in (first, second, *rest)] == ["1", "3", "0", "0", "0"]
    assert debit_results.outcome_label(invoices[first]) == "振替不能（資金不足）"
    assert debit_results.outcome_label(invoices[rest[0]]) == "振替済"
    assert all(i.debit_result_imported_at is not None for i in invoices.values())

    updates = db_session.scalars(select(AuditLog).where(
        AuditLog.action == "update", AuditLog.entity_type == "Invoice")).all()
    assert sorted(int(u.entity_id) for u in updates) == sorted(i.id for i in invoices.values())
    assert all(u.before["debit_result_code"] is None for u in updates)
    assert sorted(u.after["debit_result_code"] for u in updates) == ["0", "0", "0", "1", "3"]
    imported = db_session.scalars(select(AuditLog).where(
        AuditLog.action == "debit_result_imported")).one()
    assert "振替済 3件" in imported.detail and "振替不能 2件" in imported.detail
    assert state(db_session)[2] > before_audit

    summary = debit_results.result_summary(invoices_of(db_session, "2026-10"))
    assert (summary.paid_count, summary.unpaid_count) == (3, 2)
    assert {(u.code, u.reason) for u in summary.unpaid} == {
        ("1", "資金不足"), ("3", "預金者の都合による振替停止")}


def test_importing_the_same_results_again_changes_nothing(app, db_session, produced):
    content = with_results(produced, {customers(produced)[1]: "2"})
    debit_results.import_debit_results(db_session, 2026, 10, content)
    after_first = state(db_session)

    again = debit_results.import_debit_results(db_session, 2026, 10, content)
    flat = debit_results.import_debit_results(db_session, 2026, 10, content.replace(CRLF, b""))

    assert again.changed == 0 and flat.changed == 0 and again.unpaid_count == 1
    assert state(db_session) == after_first


def test_a_different_result_for_an_imported_invoice_is_refused(app, db_session, produced):
    first = customers(produced)[0]
    debit_results.import_debit_results(db_session, 2026, 10, with_results(produced, {first: "1"}))
    after_first = state(db_session)
    with pytest.raises(billing.BillingError, match="異なる結果「振替済」は取り込めません"):
        debit_results.import_debit_results(db_session, 2026, 10, with_results(produced, {}))
    assert state(db_session) == after_first


def drop_record(content):
    records = zengin.split_records(content)
    return rebuild([*records[:2], *records[3:]])


@pytest.mark.parametrize("tamper, message", [
    (lambda c, ids: set_amount(c, ids[1], 99999), "引落金額 99,999円が請求書"),
    (lambda c, ids: with_results(c.replace(b"%020d" % ids[2], b"%020d" % 77777), {}),
     "顧客番号 77777）: この月の口座振替データにない顧客番号"),
    (lambda c, ids: with_results(c, {}, trailer=(5, 0, 0, 0)), "振替済金額 0"),
    (lambda c, ids: c.replace(CRLF, b"  " + CRLF, 1), "1件目のレコード: レコード長が122バイト"),
    (lambda c, ids: drop_record(c), "件数が口座振替データの 5件と一致しません"),
])
def test_a_tampered_file_imports_nothing(app, db_session, produced, tamper, message, caplog):
    before = state(db_session)
    content = tamper(with_results(produced, {customers(produced)[0]: "1"}), customers(produced))
    caplog.set_level("WARNING", logger="app.services.debit_results")
    with pytest.raises(billing.BillingError, match=message) as error:
        debit_results.import_debit_results(db_session, 2026, 10, content)
    assert "取り込めませんでした" in str(error.value)
    assert state(db_session) == before
    assert "debit results 2026-10 refused" in caplog.text  # for the operators: who tried what


def test_a_month_without_a_debit_file_has_nothing_to_import(app, db_session, produced):
    before = state(db_session)
    with pytest.raises(billing.BillingError, match="2026-09 の口座振替データはまだ作成されていません"):
        debit_results.import_debit_results(db_session, 2026, 9, with_results(produced, {}))
    assert state(db_session) == before


def test_an_unknown_code_is_kept_as_other_and_reported(app, db_session, produced):
    first = customers(produced)[0]
    result = debit_results.import_debit_results(db_session, 2026, 10, with_results(produced, {first: "N"}))
    assert result.unknown_codes == ["N"] and result.unpaid_count == 1
    assert debit_results.outcome_label(by_customer(db_session)[first]) == "振替不能（その他（結果コード「N」））"


# --- Screens ---------------------------------------------------------------------------------


@contextlib.contextmanager
def nothing_changes(app):
    with in_db(app) as session:
        before = state(session)
    yield
    with in_db(app) as session:
        assert state(session) == before


def produce_october(app, tenants, browser):
    october = dt.datetime(2026, 10, 10, 12, 0, tzinfo=JST)
    add_events(app, tenants, "a", [(october, "certificate"), (october, "record")], 8000)
    add_events(app, tenants, "b", [(october, "certificate")] * 3, 8100)
    for key in ("a", "b"):
        give_bank_account(app, tenants.ids[key]["Business"])
    browser.login("assoc-admin")
    browser.post("/billing/admin/months/close", {"month": "2026-10"})
    browser.post("/billing/admin/months/2026-10/debit-file")
    with in_db(app) as session:
        return session.scalars(select(DebitFile)).one().content


def upload(browser, content, **kw):
    return browser.post("/billing/admin/months/2026-10/debit-result",
                        {"result_file": (io.BytesIO(content), "furikae-kekka.txt"), **kw})


def test_association_admin_uploads_and_sees_the_unpaid(app, tenants, browser):
    request = produce_october(app, tenants, browser)
    page = browser.get("/billing/admin/months/2026-10/").get_data(as_text=True)
    assert "振替結果を取り込む" in page and "まだ取り込んでいません" in page
    with in_db(app) as session:
        b_customer = next(int(billing.customer_number(i)) for i in invoices_of(session, "2026-10")
                          if i.business_id == tenants.ids["b"]["Business"])

    with nothing_changes(app):
        assert upload(browser, request[:-5]).status_code == 302  # broken: refused
        page = browser.get("/billing/admin/months/2026-10/").get_data(as_text=True)
    assert "振替結果データを取り込めませんでした" in page

    response = upload(browser, with_results(request, {b_customer: "1"}))
    assert response.status_code == 302
    page = browser.get("/billing/admin/months/2026-10/").get_data(as_text=True)
    assert "振替結果を取り込みました" in page
    assert "振替済</th><td>1件</td><td>64円" in page and "振替不能</th><td>1件</td><td>93円" in page
    assert "事業者B" in page and "資金不足" in page and "振替不能（資金不足）" in page
    with in_db(app) as session:
        outcomes = {i.business_id: i.debit_result_code for i in invoices_of(session, "2026-10")}
        assert outcomes == {tenants.ids["a"]["Business"]: "0", tenants.ids["b"]["Business"]: "1"}
        a_invoice = next(i.id for i in invoices_of(session, "2026-10")
                         if i.business_id == tenants.ids["a"]["Business"])

    with nothing_changes(app):
        upload(browser, with_results(request, {b_customer: "1"}))
    assert "取込み済みです" in browser.get("/billing/admin/months/2026-10/").get_data(as_text=True)
    assert "振替済" in browser.get(f"/billing/admin/invoices/{a_invoice}").get_data(as_text=True)

    browser.logout()
    browser.login("a-manager")
    assert "振替済" in browser.get("/billing/invoices/").get_data(as_text=True)


def test_only_the_association_admin_may_upload(app, tenants, browser):
    request = produce_october(app, tenants, browser)
    content = with_results(request, {})
    with nothing_changes(app):
        no_token = browser.client.post("/billing/admin/months/2026-10/debit-result", data={
            "result_file": (io.BytesIO(content), "kekka.txt")})
        assert no_token.status_code == 400
        for username in ("assoc-staff", "a-manager", "a-clerk", "b-manager"):
            browser.logout()
            browser.login(username)
            assert upload(browser, content).status_code in (403, 404), username
    browser.logout()
    browser.login("assoc-staff")
    page = browser.get("/billing/admin/months/2026-10/").get_data(as_text=True)
    assert "振替結果を取り込む" not in page


def test_cli_imports_a_result_file_and_refuses_a_tampered_one(app, db_session, produced, tmp_path):
    first, second = customers(produced)[:2]
    good = tmp_path / "result.txt"
    good.write_bytes(with_results(produced, {first: "1"}))
    bad = tmp_path / "tampered.txt"
    bad.write_bytes(set_amount(with_results(produced, {second: "1"}), second, 1))
    runner = app.test_cli_runner()

    refused = runner.invoke(args=["billing", "import-result", str(bad), "--month", "2026-10"])
    assert refused.exit_code != 0 and "一致しません" in refused.output
    assert all(i.debit_result_code is None for i in by_customer(db_session).values())

    done = runner.invoke(args=["billing", "import-result", str(good), "--month", "2026-10"])
    assert done.exit_code == 0, done.output
    assert "振替不能 1件" in done.output
    db_session.expire_all()
    codes = {c: i.debit_result_code for c, i in by_customer(db_session).items()}
    assert codes[first] == "1" and codes[second] == "0"
    wrong_month = runner.invoke(args=["billing", "import-result", str(good), "--month", "2026/10"])
    assert wrong_month.exit_code != 0 and "2026-10" in wrong_month.output
