"""billing: months, invoices, invoice lines, debit files, scheduler lock

Revision ID: 0005_billing
Revises: 0002_billable_events
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_billing"
down_revision = "0002_billable_events"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "billing_month",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year_month", sa.String(length=7), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("reopened_at", sa.DateTime(), nullable=True),
        sa.Column("reopened_by", sa.String(length=128), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("state IN ('open', 'closed', 'debit_file_produced')",
                           name="ck_billing_month_state"),
        sa.PrimaryKeyConstraint("id", name="pk_billing_month"),
        sa.UniqueConstraint("year_month", name="uq_billing_month_year_month"),
    )
    op.create_table(
        "invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("billing_month_id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("billing_unit", sa.String(length=12), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("recipient_name", sa.String(length=410), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("debit_date", sa.Date(), nullable=False),
        sa.Column("net_yen", sa.Integer(), nullable=False),
        sa.Column("tax_yen", sa.Integer(), nullable=False),
        sa.Column("total_yen", sa.Integer(), nullable=False),
        sa.Column("rate_totals", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["billing_month_id"], ["billing_month.id"]),
        sa.ForeignKeyConstraint(["business_id"], ["business.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"]),
        sa.PrimaryKeyConstraint("id", name="pk_invoice"),
        sa.UniqueConstraint("number", name="uq_invoice_number"),
        sa.UniqueConstraint("billing_month_id", "billing_unit", name="uq_invoice_month_unit"),
    )
    with op.batch_alter_table("invoice") as batch:
        batch.create_index("ix_invoice_billing_month_id", ["billing_month_id"])
        batch.create_index("ix_invoice_business_id", ["business_id"])
        batch.create_index("ix_invoice_site_id", ["site_id"])
    op.create_table(
        "invoice_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_yen", sa.Integer(), nullable=False),
        sa.Column("tax_rate", sa.String(length=8), nullable=False),
        sa.Column("tax_included", sa.Boolean(), nullable=False),
        sa.Column("amount_yen", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["business_id"], ["business.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"]),
        sa.PrimaryKeyConstraint("id", name="pk_invoice_line"),
    )
    with op.batch_alter_table("invoice_line") as batch:
        batch.create_index("ix_invoice_line_invoice_id", ["invoice_id"])
        batch.create_index("ix_invoice_line_business_id", ["business_id"])
    op.create_table(
        "debit_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("billing_month_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("debit_date", sa.Date(), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("total_yen", sa.Integer(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("produced_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["billing_month_id"], ["billing_month.id"]),
        sa.PrimaryKeyConstraint("id", name="pk_debit_file"),
        sa.UniqueConstraint("billing_month_id", name="uq_debit_file_month"),
    )
    op.create_table(
        "scheduler_lock",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("acquired_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_scheduler_lock"),
    )


def downgrade():
    op.drop_table("scheduler_lock")
    op.drop_table("debit_file")
    op.drop_table("invoice_line")
    op.drop_table("invoice")
    op.drop_table("billing_month")
