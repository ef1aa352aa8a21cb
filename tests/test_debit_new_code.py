"""新規コード in the debit file (billing-formats.md §1.3): 1 on a payer's first debit, 2 on the
first debit from a changed account, 0 after that; read back from the bytes of the files."""
from sqlalchemy import select

from app.models.tenancy import Business
from app.reports import zengin
from app.services import billing
from tests.test_billing_close import TABLE, World, give_bank_accounts, jst, wipe_billing

NEW_CODE = zengin.layout_field(zengin.DATA_LAYOUT, "新規コード")
CUSTOMER = zengin.layout_field(zengin.DATA_LAYOUT, "顧客番号")


def codes(content):
    """{顧客番号 (int): 新規コード} of a debit file."""
    return {int(CUSTOMER.slice(r)): NEW_CODE.slice(r).decode() for r in zengin.split_records(content)
            if r[:1] == b"2"}


def produce(session, year, month):
    billing.close_month(session, year, month, price_table=TABLE)
    return billing.produce_debit_file(session, year, month).debit_file.content


def test_new_code_first_debit_then_changed_account_then_none(app, db_session, tenants):
    world = World(db_session, tenants)
    wipe_billing(db_session)  # the tenant seeds hold a closed September
    world.fill(5, jst(2026, 8, 1), jst(2026, 11, 1), per_site=9)
    give_bank_accounts(db_session)

    august = codes(produce(db_session, 2026, 8))
    assert august and set(august.values()) == {"1"}

    # September: C changes its account; every other payer was debited before from the same one.
    c = db_session.get(Business, world.c_id)
    c.account_number = "7654321"
    db_session.commit()
    september = codes(produce(db_session, 2026, 9))
    c_units = {int(billing.customer_number(i)) for i in c_invoices(db_session, world.c_id, "2026-09")}
    assert c_units and set(september) == set(august)
    assert {u: september[u] for u in c_units} == {u: "2" for u in c_units}
    assert {u: code for u, code in september.items() if u not in c_units} == {
        u: "0" for u in september if u not in c_units}

    # October: nothing changed since September, so no payer is new or changed.
    october = codes(produce(db_session, 2026, 10))
    assert set(october.values()) == {"0"}


def test_a_payer_left_out_before_gets_1_on_its_first_debit(app, db_session, tenants):
    world = World(db_session, tenants)
    wipe_billing(db_session)  # the tenant seeds hold a closed September
    world.fill(6, jst(2026, 8, 1), jst(2026, 10, 1), per_site=9)
    give_bank_accounts(db_session)
    c = db_session.get(Business, world.c_id)
    c.account_number = None  # no usable account in August: left out of the file
    db_session.commit()
    august = codes(produce(db_session, 2026, 8))
    c_units = {int(billing.customer_number(i)) for i in c_invoices(db_session, world.c_id, "2026-08")}
    assert c_units and not c_units & set(august)

    c.account_number = "1234567"
    db_session.commit()
    september = codes(produce(db_session, 2026, 9))
    assert {u: september[u] for u in c_units} == {u: "1" for u in c_units}
    assert all(september[u] == "0" for u in august)


def c_invoices(session, business_id, label):
    from app.models.invoice import BillingMonth, Invoice

    return session.scalars(select(Invoice).join(BillingMonth).where(
        BillingMonth.year_month == label, Invoice.business_id == business_id)).all()
