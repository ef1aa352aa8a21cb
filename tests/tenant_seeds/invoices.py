"""A closed month with one invoice per test tenant, for the isolation test's id routes. A site
seeded on its own (not the business's first site) is billed separately: its invoice carries
the site, so only that site's users may see it."""
import datetime as dt

from sqlalchemy import select

from app.models.invoice import BillingMonth, Invoice, InvoiceLine

SEED_MONTH = "2026-09"


def seed(session, key, ctx):
    month = session.scalars(select(BillingMonth).where(BillingMonth.year_month == SEED_MONTH)).first()
    if month is None:
        month = BillingMonth(year_month=SEED_MONTH, state="closed", reopen_count=0,
                             closed_at=dt.datetime(2026, 9, 30, 15, 5))
        session.add(month)
        session.flush()
    business_id, site_id = ctx["business_id"], ctx["site_id"]
    billed_separately = site_id != ctx["site_ids"][0]
    unit = f"S{site_id:08d}" if billed_separately else f"B{business_id:08d}"
    invoice = Invoice(
        billing_month_id=month.id, business_id=business_id, billing_unit=unit,
        site_id=site_id if billed_separately else None,
        number=f"202609-{unit}", recipient_name=f"事業者{key.upper()}",
        issue_date=dt.date(2026, 10, 1), period_start=dt.date(2026, 9, 1),
        period_end=dt.date(2026, 9, 30), debit_date=dt.date(2026, 10, 27),
        net_yen=282, tax_yen=28, total_yen=310,
        rate_totals=[{"tax_rate": "0.10", "tax_included": True, "subtotal_yen": 310,
                      "net_yen": 282, "tax_yen": 28, "gross_yen": 310}],
    )
    session.add(invoice)
    session.flush()
    session.add(InvoiceLine(invoice_id=invoice.id, business_id=business_id, site_id=site_id,
                            kind="certificate", quantity=10, unit_price_yen=31, tax_rate="0.10",
                            tax_included=True, amount_yen=310))
    session.flush()
    return {"Invoice": invoice.id, "BillingMonth": month.id, "_markers": [invoice.number]}
