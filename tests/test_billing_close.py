"""Month-end closing: invoices per billing unit, lines per site, kind and price, the Japan-time
month boundary, a mid-year price change, idempotence, interruption and reopening.

Every expected figure is computed here from the events the test created (their Japan-time
moment, the test's own price rows), independently of the service's SQL aggregate.
"""
import datetime as dt
import random
from collections import Counter, defaultdict

import pytest
from sqlalchemy import delete, func, select

from app.domain.prices import PriceTable
from app.models.audit import AuditLog
from app.models.billing import BillableEvent
from app.models.invoice import BillingMonth, DebitFile, Invoice, InvoiceLine
from app.models.tenancy import Business, Site
from app.services import billing
from app.timeutil import JST

PRICE_ROWS = [
    {"kind": "certificate", "amount_yen": 31, "tax_included": True, "tax_rate": "0.10",
     "effective_from": "2023-10-01", "source": "test"},
    {"kind": "record", "amount_yen": 33, "tax_included": True, "tax_rate": "0.10",
     "effective_from": "2023-10-01", "source": "test"},
    # A mid-year change: certificates cost 35 yen from 15 July 2026.
    {"kind": "certificate", "amount_yen": 35, "tax_included": True, "tax_rate": "0.10",
     "effective_from": "2026-07-15", "source": "test"},
]
TABLE = PriceTable.from_dict({"prices": PRICE_ROWS})


def expected_price(kind, day):
    """The test's own reading of PRICE_ROWS: the latest row on or before ``day``."""
    rows = [r for r in PRICE_ROWS if r["kind"] == kind
            and dt.date.fromisoformat(r["effective_from"]) <= day]
    return max(rows, key=lambda r: r["effective_from"])["amount_yen"]


class World:
    """Three businesses; A's third site and one of C's sites are billed alone."""

    def __init__(self, session, tenants):
        self.session = session
        a, b = tenants.ids["a"], tenants.ids["b"]
        c = Business(name="事業者C", name_kana="ジギョウシャシー", address="大阪府", phone="06-0000-0000")
        c_sites = [Site(business=c, name=f"c工場{i}", address="大阪府") for i in range(2)]
        session.add_all([c, *c_sites])
        session.flush()
        c_sites[1].billed_separately = True
        session.get(Site, a["sites"][2]).billed_separately = True
        # Tenant seeds record one event "now" (November); start from a clean slate.
        session.execute(delete(BillableEvent))
        session.commit()
        self.site_business = {s: a["Business"] for s in a["sites"]}
        self.site_business.update({s: b["Business"] for s in b["sites"]})
        self.site_business.update({s.id: c.id for s in c_sites})
        self.alone = {a["sites"][2], c_sites[1].id}
        self.c_id = c.id
        self.events = []  # (site_id, kind, aware JST moment)
        self._object_id = 0

    def add(self, site_id, kind, moment):
        self._object_id += 1
        self.events.append((site_id, kind, moment))
        self.session.add(BillableEvent(
            business_id=self.site_business[site_id], site_id=site_id, kind=kind,
            object_id=self._object_id,
            occurred_at=moment.astimezone(dt.timezone.utc).replace(tzinfo=None)))

    def fill(self, seed, first_day, last_day, per_site):
        rng = random.Random(seed)
        span = int((last_day - first_day).total_seconds())
        for site_id in sorted(self.site_business):
            for _ in range(per_site + rng.randrange(per_site)):
                moment = first_day + dt.timedelta(seconds=rng.randrange(span))
                self.add(site_id, rng.choice(["certificate", "record"]), moment)
        self.session.commit()

    def unit_of(self, site_id):
        if site_id in self.alone:
            return f"S{site_id:08d}"
        return f"B{self.site_business[site_id]:08d}"

    def expected(self, year, month):
        """{unit: {"lines": {(site, kind, price): n}, "total": yen}} from the events' JST dates."""
        lines = defaultdict(Counter)
        for site_id, kind, moment in self.events:
            local = moment.astimezone(JST)
            if (local.year, local.month) == (year, month):
                lines[self.unit_of(site_id)][(site_id, kind, expected_price(kind, local.date()))] += 1
        return {unit: {"lines": dict(c), "total": sum(n * p for (_, _, p), n in c.items())}
                for unit, c in lines.items()}


def jst(*args):
    return dt.datetime(*args, tzinfo=JST)


@pytest.fixture
def world(db_session, tenants):
    return World(db_session, tenants)


def invoices_of(session, label):
    return session.scalars(select(Invoice).join(BillingMonth)
                           .where(BillingMonth.year_month == label)
                           .order_by(Invoice.number)).all()


def snapshot(session, label):
    """Everything a closing writes, without surrogate ids."""
    result = []
    for invoice in invoices_of(session, label):
        lines = sorted((l.site_id, l.kind, l.quantity, l.unit_price_yen, l.tax_rate,
                        l.tax_included, l.amount_yen) for l in invoice.lines)
        result.append((invoice.number, invoice.business_id, invoice.site_id,
                       invoice.recipient_name, invoice.issue_date, invoice.period_start,
                       invoice.period_end, invoice.debit_date, invoice.net_yen,
                       invoice.tax_yen, invoice.total_yen, invoice.rate_totals, lines,
                       billing.invoice_csv(invoice), billing.invoice_csv(invoice, "cp932")))
    return result


def check_against_events(session, world, year, month):
    expected = world.expected(year, month)
    invoices = invoices_of(session, billing.month_label(year, month))
    assert {i.billing_unit for i in invoices} == set(expected)
    for invoice in invoices:
        want = expected[invoice.billing_unit]
        got = {(l.site_id, l.kind, l.unit_price_yen): l.quantity for l in invoice.lines}
        assert got == want["lines"], invoice.number
        assert all(l.amount_yen == l.quantity * l.unit_price_yen for l in invoice.lines)
        assert invoice.total_yen == want["total"]
        # Tax-included prices: the 消費税額等 is taken once from the invoice total.
        assert invoice.tax_yen == want["total"] * 10 // 110
        assert invoice.net_yen == want["total"] - invoice.tax_yen
        assert invoice.number == f"{year:04d}{month:02d}-{invoice.billing_unit}"
    return expected


def test_closing_matches_an_independent_count(app, db_session, world):
    world.fill(1, jst(2026, 9, 25), jst(2026, 11, 6), per_site=15)
    # The month boundary in Japan time (which is 15:00 UTC the day before).
    a_site = sorted(world.site_business)[0]
    world.add(a_site, "certificate", jst(2026, 9, 30, 23, 59, 59))  # September
    world.add(a_site, "certificate", jst(2026, 10, 1, 0, 0, 0))  # October
    world.add(a_site, "record", jst(2026, 10, 31, 23, 59, 59))  # October
    world.add(a_site, "record", jst(2026, 11, 1, 0, 0, 0))  # November
    db_session.commit()

    result = billing.close_month(db_session, 2026, 10, price_table=TABLE)

    assert result.closed_now
    expected = check_against_events(db_session, world, 2026, 10)
    assert result.invoice_count == len(expected) == 5  # A, A's site billed alone, B, C, C's site
    assert result.total_yen == sum(u["total"] for u in expected.values())
    month = db_session.scalars(select(BillingMonth).where(BillingMonth.year_month == "2026-10")).one()
    assert month.state == "closed"
    # The 27th of November 2026 is a Friday: the debit date is the 27th itself.
    assert {i.debit_date for i in month.invoices} == {dt.date(2026, 11, 27)}
    alone = {i.billing_unit: i for i in month.invoices}[f"S{sorted(world.alone)[0]:08d}"]
    assert {l.site_id for l in alone.lines} == {sorted(world.alone)[0]}
    assert "a工場2" in alone.recipient_name
    (closing,) = db_session.scalars(select(AuditLog).where(AuditLog.action == "billing_month_closed")).all()
    assert closing.entity_id == str(month.id)
    assert f"{len(expected)} invoices" in closing.detail and f"{result.total_yen} yen" in closing.detail


def test_boundary_events_land_in_their_japan_month(app, db_session, world):
    site = sorted(world.site_business)[0]
    world.add(site, "certificate", jst(2026, 9, 30, 23, 59, 59))
    world.add(site, "certificate", jst(2026, 10, 1, 0, 0, 0))
    world.add(site, "record", jst(2026, 10, 31, 23, 59, 59))
    world.add(site, "record", jst(2026, 11, 1, 0, 0, 0))
    db_session.commit()
    billing.close_month(db_session, 2026, 10, price_table=TABLE)
    (invoice,) = invoices_of(db_session, "2026-10")
    assert sorted((l.kind, l.quantity) for l in invoice.lines) == [("certificate", 1), ("record", 1)]
    assert invoice.total_yen == (expected_price("certificate", dt.date(2026, 10, 1))
                                 + expected_price("record", dt.date(2026, 10, 31)))
    # The September and November neighbours are in the usage of their own months only.
    november = billing.usage_this_month(db_session, world.site_business[site],
                                        now=jst(2026, 11, 26, 10, 0), price_table=TABLE)
    assert {u.site_id: u.counts["record"] for u in november}[site] == 1


def test_price_change_mid_year_splits_lines(app, db_session, world):
    world.fill(2, jst(2026, 7, 1), jst(2026, 8, 1), per_site=20)
    site = sorted(world.site_business)[1]
    world.add(site, "certificate", jst(2026, 7, 14, 23, 59, 59))  # old price
    world.add(site, "certificate", jst(2026, 7, 15, 0, 0, 0))  # new price
    db_session.commit()

    billing.close_month(db_session, 2026, 7, price_table=TABLE)

    check_against_events(db_session, world, 2026, 7)
    prices = {(l.site_id, l.unit_price_yen) for i in invoices_of(db_session, "2026-07")
              for l in i.lines if l.kind == "certificate"}
    assert (site, 31) in prices and (site, 35) in prices
    # June is before the change: one price per kind.
    world.fill(3, jst(2026, 6, 1), jst(2026, 7, 1), per_site=5)
    billing.close_month(db_session, 2026, 6, price_table=TABLE)
    check_against_events(db_session, world, 2026, 6)
    assert {l.unit_price_yen for i in invoices_of(db_session, "2026-06") for l in i.lines} == {31, 33}


def test_closing_again_changes_nothing(app, db_session, world):
    world.fill(4, jst(2026, 10, 1), jst(2026, 11, 1), per_site=10)
    billing.close_month(db_session, 2026, 10, price_table=TABLE)
    before = snapshot(db_session, "2026-10")
    ids = db_session.scalars(select(Invoice.id).order_by(Invoice.id)).all()
    audit_rows = db_session.scalar(select(func.count(AuditLog.id)))

    again = billing.close_month(db_session, 2026, 10, price_table=TABLE)

    assert not again.closed_now
    assert snapshot(db_session, "2026-10") == before
    assert db_session.scalars(select(Invoice.id).order_by(Invoice.id)).all() == ids
    assert db_session.scalar(select(func.count(AuditLog.id))) == audit_rows


def test_a_month_that_has_not_ended_cannot_be_closed(app, db_session, world):
    with pytest.raises(billing.BillingError, match="まだ終わっていない"):
        billing.close_month(db_session, 2026, 11, price_table=TABLE)
    assert db_session.scalar(select(func.count(BillingMonth.id)).where(
        BillingMonth.year_month == "2026-11")) == 0


def give_bank_accounts(session, account_number="1234567"):
    """Every business gets a usable bank account, so each invoice is in the debit file."""
    for business in session.scalars(select(Business)):
        business.bank_code, business.branch_code, business.account_type = "0001", "001", "1"
        business.account_number, business.account_holder_kana = account_number, "ｼﾞｷﾞﾖｳｼﾔ"
    session.commit()


def wipe_billing(session):
    session.execute(delete(DebitFile))
    session.execute(delete(InvoiceLine))
    session.execute(delete(Invoice))
    session.execute(delete(BillingMonth))
    session.commit()


def test_interrupted_closing_reruns_to_the_same_rows_and_bytes(app, db_session, world, monkeypatch):
    world.fill(5, jst(2026, 10, 1), jst(2026, 11, 1), per_site=12)
    give_bank_accounts(db_session)
    billing.close_month(db_session, 2026, 10, price_table=TABLE)
    uninterrupted = snapshot(db_session, "2026-10")
    uninterrupted_file = billing.produce_debit_file(db_session, 2026, 10).debit_file.content
    assert len(uninterrupted) == 5

    wipe_billing(db_session)
    real_row = billing._invoice_row
    half = len(uninterrupted) // 2
    written_before_failure = []

    def failing_row(*args, **kwargs):
        if len(written_before_failure) == 0 and db_session.scalar(select(func.count(Invoice.id))) == half:
            # Half the invoices (and their lines) are in the database, uncommitted.
            written_before_failure.append(db_session.scalar(select(func.count(InvoiceLine.id))))
            raise RuntimeError("power cut")
        return real_row(*args, **kwargs)

    monkeypatch.setattr(billing, "INSERT_BATCH", 1)  # write invoice by invoice
    monkeypatch.setattr(billing, "_invoice_row", failing_row)
    with pytest.raises(RuntimeError, match="power cut"):
        billing.close_month(db_session, 2026, 10, price_table=TABLE)
    assert written_before_failure and written_before_failure[0] > 0
    # Nothing of the interrupted run is left: no invoice, no line, the month not closed.
    assert db_session.scalar(select(func.count(Invoice.id))) == 0
    assert db_session.scalar(select(func.count(InvoiceLine.id))) == 0
    assert db_session.scalar(select(func.count(BillingMonth.id)).where(
        BillingMonth.state != "open")) == 0

    monkeypatch.setattr(billing, "_invoice_row", real_row)
    billing.close_month(db_session, 2026, 10, price_table=TABLE)
    assert snapshot(db_session, "2026-10") == uninterrupted
    rerun_file = billing.produce_debit_file(db_session, 2026, 10).debit_file.content
    assert rerun_file == uninterrupted_file


def test_reopen_is_audited_and_refused_after_the_debit_file(app, db_session, world):
    world.fill(6, jst(2026, 10, 1), jst(2026, 11, 1), per_site=5)
    give_bank_accounts(db_session, account_number="7654321")
    billing.close_month(db_session, 2026, 10, price_table=TABLE)
    closed = snapshot(db_session, "2026-10")

    month = billing.reopen_month(db_session, 2026, 10, reason="単価の確認")

    assert month.state == "open" and month.reopen_count == 1 and month.reopened_at is not None
    assert invoices_of(db_session, "2026-10") == []
    logged = db_session.scalars(select(AuditLog).where(
        AuditLog.action == "billing_month_reopened")).all()
    assert len(logged) == 1 and "単価の確認" in logged[0].detail
    withdrawn = db_session.scalar(select(func.count(AuditLog.id)).where(
        AuditLog.action == "delete", AuditLog.entity_type == "Invoice"))
    assert withdrawn == len(closed)

    billing.close_month(db_session, 2026, 10, price_table=TABLE)
    assert snapshot(db_session, "2026-10") == closed
    billing.produce_debit_file(db_session, 2026, 10)
    with pytest.raises(billing.BillingError, match="口座振替データを作成済み"):
        billing.reopen_month(db_session, 2026, 10)
    assert len(invoices_of(db_session, "2026-10")) == len(closed)


def test_usage_this_month_grows_per_site(app, db_session, world, tenants):
    a = tenants.ids["a"]
    now = jst(2026, 11, 26, 10, 0)
    world.add(a["sites"][0], "certificate", jst(2026, 11, 1, 0, 0, 0))
    world.add(a["sites"][0], "record", jst(2026, 11, 20, 9, 0))
    world.add(a["sites"][1], "certificate", jst(2026, 10, 31, 23, 59, 59))  # last month
    db_session.commit()
    usage = {u.site_id: u for u in billing.usage_this_month(db_session, a["Business"], now=now,
                                                             price_table=TABLE)}
    assert set(usage) == set(a["sites"])
    assert usage[a["sites"][0]].counts == {"certificate": 1, "record": 1}
    assert usage[a["sites"][0]].amount_yen == 35 + 33
    assert usage[a["sites"][1]].counts == {"certificate": 0, "record": 0}

    world.add(a["sites"][1], "record", jst(2026, 11, 26, 9, 59))
    db_session.commit()
    usage = {u.site_id: u for u in billing.usage_this_month(
        db_session, a["Business"], site_ids={a["sites"][1]}, now=now, price_table=TABLE)}
    assert list(usage) == [a["sites"][1]]
    assert usage[a["sites"][1]].counts["record"] == 1
