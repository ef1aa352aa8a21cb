"""cchecks: OBD検査 results and 放置違反金 checks per certificate

Revision ID: 0012_cchecks_obd_parking_fines
Revises: 0011_golive_audit_targets
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_cchecks_obd_parking_fines"
down_revision = "0011_golive_audit_targets"
branch_labels = None
depends_on = None


def _owned():
    return [
        sa.Column("business_id", sa.Integer(), sa.ForeignKey("business.id"), nullable=False),
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("site.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    ]


def upgrade():
    op.create_table(
        "obd_result",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("certificate_id", sa.Integer(), sa.ForeignKey("certificate.id"), nullable=False),
        sa.Column("chassis_number", sa.String(length=32), nullable=False),
        sa.Column("completion_inspection_date", sa.Date(), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("result", sa.String(length=10), nullable=False),
        sa.Column("special_number", sa.String(length=40), nullable=True),
        sa.Column("call_note", sa.Text(), nullable=True),
        sa.Column("target_source", sa.String(length=10), nullable=False),
        *_owned(),
        sa.UniqueConstraint("certificate_id"),
        sa.CheckConstraint("result IN ('pass', 'special')", name="ck_obd_result_result"),
    )
    for column in ("business_id", "site_id", "chassis_number"):
        op.create_index(f"ix_obd_result_{column}", "obd_result", [column])
    op.create_table(
        "parking_fine_check",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("certificate_id", sa.Integer(), sa.ForeignKey("certificate.id"), nullable=False),
        sa.Column("query_id", sa.String(length=40), nullable=True),
        sa.Column("possibility", sa.String(length=2), nullable=False),
        sa.Column("queried_at", sa.DateTime(), nullable=False),
        sa.Column("queried_by_id", sa.Integer(), sa.ForeignKey("ab_user.id"), nullable=True),
        sa.Column("answer", sa.String(length=10), nullable=True),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("answer_note", sa.Text(), nullable=True),
        sa.Column("answer_recorded_at", sa.DateTime(), nullable=True),
        sa.Column("answer_recorded_by_id", sa.Integer(), sa.ForeignKey("ab_user.id"), nullable=True),
        *_owned(),
        sa.UniqueConstraint("certificate_id"),
        sa.CheckConstraint("possibility IN ('有', '無')", name="ck_parking_fine_check_possibility"),
        sa.CheckConstraint("answer IS NULL OR answer IN ('none', 'paid', 'unpaid')",
                           name="ck_parking_fine_check_answer"),
    )
    for column in ("business_id", "site_id"):
        op.create_index(f"ix_parking_fine_check_{column}", "parking_fine_check", [column])


def downgrade():
    op.drop_table("parking_fine_check")
    op.drop_table("obd_result")
