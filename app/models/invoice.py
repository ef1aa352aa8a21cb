"""Month-end billing: the closed month, its invoices and lines, the bank debit file, and the
scheduler's lock row.

A month is closed once into one invoice per billing unit (a business, or a site billed
separately). Invoice numbers are derived from the month and the billing unit, never from a
sequence, so closing the same month again, or after an interrupted run, yields the same numbers.
Issued invoices are kept 7 years (消費税法57条の4第6項): retention never deletes these rows.
"""
from flask_appbuilder import Model
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from app.models.base import TimestampMixin

MONTH_STATES = ("open", "closed", "debit_file_produced")
MONTH_STATE_LABELS = {"open": "未締め", "closed": "締め済", "debit_file_produced": "口座振替データ作成済"}


class BillingMonth(TimestampMixin, Model):
    __label__ = "請求月"
    __tablename__ = "billing_month"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("year_month", name="uq_billing_month_year_month"),
        CheckConstraint(
            "state IN ('open', 'closed', 'debit_file_produced')", name="ck_billing_month_state"
        ),
    )

    id = Column(Integer, primary_key=True)
    year_month = Column(String(7), nullable=False)  # "2026-10"
    state = Column(String(20), nullable=False, default="open")
    closed_at = Column(DateTime)  # UTC
    reopened_at = Column(DateTime)  # UTC, the last reopening
    reopened_by = Column(String(128))
    reopen_count = Column(Integer, nullable=False, default=0)

    invoices = relationship("Invoice", back_populates="billing_month", order_by="Invoice.number")

    @property
    def state_label(self):
        return MONTH_STATE_LABELS.get(self.state, self.state)

    def __repr__(self):
        return self.year_month


class Invoice(Model):
    """One billing unit's invoice for one month; amounts in int yen."""

    __label__ = "請求書"
    __tablename__ = "invoice"
    __tenant_scope__ = "business_site"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("number", name="uq_invoice_number"),
        UniqueConstraint("billing_month_id", "billing_unit", name="uq_invoice_month_unit"),
    )

    id = Column(Integer, primary_key=True)
    billing_month_id = Column(Integer, ForeignKey("billing_month.id"), nullable=False, index=True)
    business_id = Column(Integer, ForeignKey("business.id"), nullable=False, index=True)
    # Set when the site is billed separately (Site.billed_separately); None for the business.
    site_id = Column(Integer, ForeignKey("site.id"), index=True)
    billing_unit = Column(String(12), nullable=False)  # "B00000012" or "S00000034"
    number = Column(String(24), nullable=False)  # "202610-B00000012"
    recipient_name = Column(String(410), nullable=False)
    issue_date = Column(Date, nullable=False)
    period_start = Column(Date, nullable=False)
    period_end = Column(Date, nullable=False)
    debit_date = Column(Date, nullable=False)
    net_yen = Column(Integer, nullable=False)
    tax_yen = Column(Integer, nullable=False)
    total_yen = Column(Integer, nullable=False)  # 税込: the amount debited
    # Per tax rate: [{"tax_rate": "0.10", "tax_included": true, "subtotal_yen", "net_yen",
    # "tax_yen", "gross_yen"}], the 適格請求書 items 4 and 5.
    rate_totals = Column(JSON, nullable=False)
    # The bank's 振替結果コード for this invoice's debit ("0" 振替済, anything else 振替不能;
    # app/reports/zengin_result.py names them), None until the result file is imported.
    debit_result_code = Column(String(1))
    debit_result_imported_at = Column(DateTime)  # UTC

    billing_month = relationship("BillingMonth", back_populates="invoices")
    business = relationship("Business")
    site = relationship("Site")
    lines = relationship("InvoiceLine", back_populates="invoice", order_by="InvoiceLine.id",
                         cascade="all, delete-orphan", passive_deletes=True)

    def __repr__(self):
        return self.number


class InvoiceLine(Model):
    """Count × unit price for one site and kind at one price (a price change splits lines).

    Written in bulk with its invoice at closing and never changed, so not audited row by row:
    the closing's own audit record names the month, the count and the total."""

    __label__ = "請求明細"
    __tablename__ = "invoice_line"
    __tenant_scope__ = "business"
    # No unique key over (invoice, site, kind, price): the closing merges lines by that key
    # before writing, and the index cost a tenth of the closing time at full scale.

    id = Column(Integer, primary_key=True)
    invoice_id = Column(Integer, ForeignKey("invoice.id", ondelete="CASCADE"), nullable=False,
                        index=True)
    business_id = Column(Integer, ForeignKey("business.id"), nullable=False, index=True)
    site_id = Column(Integer, ForeignKey("site.id"), nullable=False)
    kind = Column(String(20), nullable=False)
    quantity = Column(Integer, nullable=False)
    unit_price_yen = Column(Integer, nullable=False)
    tax_rate = Column(String(8), nullable=False)  # exact decimal text, as in prices.json
    tax_included = Column(Boolean, nullable=False)
    amount_yen = Column(Integer, nullable=False)

    invoice = relationship("Invoice", back_populates="lines")
    site = relationship("Site")


class DebitFile(Model):
    """The 全銀 口座振替 request file of a month, kept byte for byte as sent to the bank."""

    __label__ = "口座振替データ"
    __tablename__ = "debit_file"
    __audited__ = True
    __audit_exclude__ = ("content", "result_content")  # bytes; the sha256s identify them
    __table_args__ = (UniqueConstraint("billing_month_id", name="uq_debit_file_month"),)

    id = Column(Integer, primary_key=True)
    billing_month_id = Column(Integer, ForeignKey("billing_month.id"), nullable=False)
    content = Column(LargeBinary, nullable=False)
    sha256 = Column(String(64), nullable=False)
    debit_date = Column(Date, nullable=False)
    record_count = Column(Integer, nullable=False)
    total_yen = Column(Integer, nullable=False)
    # Invoices left out (no valid bank account): [{"invoice_number", "recipient", "problem"}].
    problems = Column(JSON, nullable=False)
    produced_at = Column(DateTime, nullable=False)  # UTC
    # The bank's 振替結果データ, byte for byte, as first imported (a re-import changes nothing).
    result_content = Column(LargeBinary)
    result_sha256 = Column(String(64))
    result_imported_at = Column(DateTime)  # UTC

    billing_month = relationship("BillingMonth")


class SchedulerLock(Model):
    """The SQLite stand-in for PostgreSQL's advisory lock: who runs the scheduler, and when
    they last said so. Not audited: the heartbeat updates it every few seconds."""

    __label__ = "スケジューラのロック"
    __tablename__ = "scheduler_lock"

    name = Column(String(100), primary_key=True)
    holder = Column(String(200), nullable=False)
    acquired_at = Column(DateTime, nullable=False)  # UTC, system clock
    heartbeat_at = Column(DateTime, nullable=False)  # UTC, system clock
