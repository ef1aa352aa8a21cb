"""prices and inspection fees the association keeps: unit_price and inspection_fee, seeded from
the shipped data files

Revision ID: 0012_admin_price_fee_tables
Revises: 0011_golive_audit_targets
Create Date: 2026-12-03

The seed is the data files as they are today (31/33 円 since 2023-10-01; the 手数料令 rows with
their sources); from here on the association edits the tables on its screens.
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0012_admin_price_fee_tables"
down_revision = "0011_golive_audit_targets"
branch_labels = None
depends_on = None


def upgrade():
    from app.domain.fees import fee_seed_rows
    from app.domain.prices import price_seed_rows

    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    stamps = [sa.Column("created_at", sa.DateTime(), nullable=False),
              sa.Column("updated_at", sa.DateTime(), nullable=False)]
    prices = op.create_table(
        "unit_price",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount_yen", sa.Integer(), nullable=False),
        sa.Column("tax_included", sa.Boolean(), nullable=False),
        sa.Column("tax_rate", sa.String(length=8), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        *stamps,
        sa.CheckConstraint("kind IN ('certificate', 'record')", name="ck_unit_price_kind"),
        sa.CheckConstraint("amount_yen >= 0", name="ck_unit_price_amount"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "effective_from", name="uq_unit_price_kind_from"),
    )
    fees = op.create_table(
        "inspection_fee",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("part", sa.String(length=30), nullable=False),
        sa.Column("vehicle_kind", sa.String(length=20), nullable=False),
        sa.Column("fee_as", sa.String(length=10), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("effective_until", sa.Date(), nullable=True),
        sa.Column("amount_yen", sa.Integer(), nullable=True),
        sa.Column("proposed_amount_yen", sa.Integer(), nullable=True),
        sa.Column("payee", sa.String(length=50), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        *[c.copy() for c in stamps],
        sa.CheckConstraint("part IN ('inspection_fee', 'technical_info_fee')",
                           name="ck_inspection_fee_part"),
        sa.CheckConstraint("status IN ('confirmed', 'proposed')", name="ck_inspection_fee_status"),
        sa.CheckConstraint("status = 'proposed' OR amount_yen IS NOT NULL",
                           name="ck_inspection_fee_confirmed_amount"),
        sa.PrimaryKeyConstraint("id"),
    )
    for table, rows in ((prices, price_seed_rows), (fees, fee_seed_rows)):
        op.bulk_insert(table, [{**row, "created_at": now, "updated_at": now} for row in rows()])


def downgrade():
    op.drop_table("inspection_fee")
    op.drop_table("unit_price")
