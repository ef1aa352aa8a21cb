"""Prices and inspection fees the association keeps (13.5): seeded from the shipped data,
edited on its screens (audited), never reaching a closed month; the wizard's fee says whom to
ask when no confirmed amount is in force."""
import datetime as dt
from contextlib import contextmanager

from sqlalchemy import delete, func, select

from app.domain.fees import inspection_fees
from app.domain.prices import default_price_table
from app.extensions import db
from app.models.audit import AuditLog
from app.models.billing import BillableEvent
from app.models.fees import InspectionFee, UnitPrice
from app.models.invoice import Invoice
from app.services import billing, fees
from app.timeutil import JST

OCTOBER_DAY = dt.datetime(2026, 10, 10, 12, 0, tzinfo=JST)
AFTER_OCTOBER = dt.datetime(2026, 11, 2, 9, 0, tzinfo=JST)


@contextmanager
def session_of(app):
    """A database session in an app context of its own: the test client's requests must not
    share one (Flask reuses a pushed context, and with it ``g`` and the CSRF token)."""
    with app.app_context():
        yield db.session
        db.session.remove()


def _price_form(kind="certificate", amount="35", effective_from="2026-11-01", **extra):
    return {"kind": kind, "amount_yen": amount, "tax_included": "y", "tax_rate": "0.10",
            "effective_from": effective_from, "source": "理事会決定 2026-10", **extra}


def _events(session, tenants, moment, n):
    ids = tenants.ids["a"]
    base = session.scalar(select(func.coalesce(func.max(BillableEvent.object_id), 0))) + 1000
    session.add_all(BillableEvent(business_id=ids["Business"], site_id=ids["Site"], kind="certificate",
                                  object_id=base + i,
                                  occurred_at=moment.astimezone(dt.timezone.utc).replace(tzinfo=None))
                    for i in range(n))
    session.commit()


def _october_lines(session):
    return sorted((line.kind, line.quantity, line.unit_price_yen)
                  for invoice in session.scalars(select(Invoice)) for line in invoice.lines
                  if invoice.billing_month.year_month == "2026-10")


def _price_rows(session, kind="certificate"):
    session.expire_all()
    return sorted((r.effective_from, r.amount_yen) for r in session.scalars(
        select(UnitPrice).where(UnitPrice.kind == kind)))


def test_the_tables_are_seeded_from_the_shipped_data(app, db_session):
    table = fees.price_table(db_session)
    shipped = default_price_table()
    for kind in ("certificate", "record"):
        assert table.unit_price(kind, dt.date(2026, 10, 1)) == shipped.unit_price(kind, dt.date(2026, 10, 1))
    for on in (dt.date(2025, 6, 1), dt.date(2026, 4, 1)):
        for kind in ("registered", "kei", "small_motorcycle"):
            stored = fees.fees_for(db_session, vehicle_kind=kind, application_type="oss", on_date=on)
            assert stored.total_yen == inspection_fees(vehicle_kind=kind, application_type="oss",
                                                       on_date=on).total_yen


def test_a_closed_month_keeps_its_prices_after_the_association_changes_them(app, tenants, browser):
    with session_of(app) as session:
        session.execute(delete(BillableEvent))
        session.commit()
        _events(session, tenants, OCTOBER_DAY, 4)
        billing.close_month(session, 2026, 10, now=AFTER_OCTOBER)
        assert _october_lines(session) == [("certificate", 4, 31)]
        seeded = session.scalar(select(UnitPrice.id).where(UnitPrice.kind == "certificate"))

    browser.login("assoc-admin")
    # A new price cannot take effect in the closed month ...
    page = browser.post("/association/prices/add", _price_form(effective_from="2026-10-15"),
                        follow_redirects=True)
    assert "適用開始日は締め済みの2026年10月より後の日にしてください。" in page.get_data(as_text=True)
    # ... nor can the price the closed month used be changed or removed.
    page = browser.post(f"/association/prices/edit/{seeded}",
                        _price_form(amount="40", effective_from="2023-10-01"), follow_redirects=True)
    assert "2026年10月までの請求は締め済みのため" in page.get_data(as_text=True)
    page = browser.post(f"/association/prices/delete/{seeded}", follow_redirects=True)
    assert "2026年10月までの請求は締め済みのため" in page.get_data(as_text=True)
    with session_of(app) as session:
        assert _price_rows(session) == [(dt.date(2023, 10, 1), 31)]
    # A price from the next month is taken, and audited.
    assert browser.post("/association/prices/add", _price_form()).status_code == 302
    with session_of(app) as session:
        assert _price_rows(session) == [(dt.date(2023, 10, 1), 31), (dt.date(2026, 11, 1), 35)]
        assert session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.entity_type == "UnitPrice", AuditLog.action == "create")) == 1
        # October, closed, keeps 31 yen; reopened and closed again it still prices October at 31.
        assert _october_lines(session) == [("certificate", 4, 31)]
        billing.reopen_month(session, 2026, 10)
        billing.close_month(session, 2026, 10, now=AFTER_OCTOBER)
        session.expire_all()
        assert _october_lines(session) == [("certificate", 4, 31)]
        # November's events are billed at the new price.
        _events(session, tenants, dt.datetime(2026, 11, 20, 10, 0, tzinfo=JST), 2)
        billing.close_month(session, 2026, 11, now=dt.datetime(2026, 12, 1, 9, 0, tzinfo=JST))
        session.expire_all()
        november = [line.unit_price_yen for invoice in session.scalars(select(Invoice))
                    if invoice.billing_month.year_month == "2026-11" for line in invoice.lines]
        assert november == [35]


def test_a_price_form_refuses_bad_values_in_japanese(app, tenants, browser):
    browser.login("assoc-admin")
    with session_of(app) as session:
        before = _price_rows(session)
    page = browser.post("/association/prices/add", _price_form(amount="-1", tax_rate="10%"))
    text = page.get_data(as_text=True)
    assert "金額は0円以上の整数で入力してください。" in text
    assert "消費税率は「0.10」のように0以上1未満の小数で入力してください。" in text
    page = browser.post("/association/prices/add", _price_form(kind="sticker"))
    assert "種類は一覧から選んでください。" in page.get_data(as_text=True)
    with session_of(app) as session:
        assert _price_rows(session) == before


def test_staff_read_the_prices_but_do_not_change_them(app, tenants, browser):
    browser.login("assoc-staff")
    listing = browser.get("/association/prices/list/").get_data(as_text=True)
    assert "電子保適証作成" in listing and "2023-10-01" in listing
    assert browser.post("/association/prices/add", _price_form()).status_code == 403
    browser.logout()
    browser.login("a-manager")
    assert browser.get("/association/prices/list/").status_code == 403
    assert browser.get("/association/inspection_fees/list/").status_code == 403


def test_no_confirmed_fee_names_the_association_support_desk(app, db_session):
    result = fees.fees_for(db_session, vehicle_kind="registered", application_type="oss",
                           on_date=dt.date(2026, 4, 1))
    assert result.lookup_required and result.total_yen is None
    assert app.config["ASSOCIATION_CONTACT"] in result.note
    assert "改正案" not in result.note


def _fee_row(session, **where):
    return session.scalar(select(InspectionFee).filter_by(**where))


def test_the_association_confirms_a_revised_fee_and_the_wizard_uses_it(app, tenants, browser):
    browser.login("assoc-admin")
    with session_of(app) as session:
        oss = _fee_row(session, part="inspection_fee", vehicle_kind="registered", fee_as="oss",
                       status="proposed")
        technical = _fee_row(session, part="technical_info_fee", vehicle_kind="registered",
                             status="proposed")
    form = {"part": "inspection_fee", "vehicle_kind": "registered", "fee_as": "oss",
            "effective_from": "2026-04-01", "effective_until": "", "amount_yen": "",
            "proposed_amount_yen": "1450", "payee": "国", "status": "confirmed",
            "source": "手数料令 改正(官報)"}
    page = browser.post(f"/association/inspection_fees/edit/{oss.id}", form, follow_redirects=True)
    assert "確定した手数料には金額を入力してください。" in page.get_data(as_text=True)
    assert browser.post(f"/association/inspection_fees/edit/{oss.id}",
                        {**form, "amount_yen": "1450"}).status_code == 302
    assert browser.post(f"/association/inspection_fees/edit/{technical.id}", {
        **form, "part": "technical_info_fee", "fee_as": "", "amount_yen": "450",
        "payee": "自動車技術総合機構"}).status_code == 302
    with session_of(app) as session:
        result = fees.fees_for(session, vehicle_kind="registered", application_type="oss",
                               on_date=dt.date(2026, 4, 1))
        assert not result.lookup_required and result.total_yen == 1450 + 450
        assert session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.entity_type == "InspectionFee", AuditLog.action == "update")) == 2
