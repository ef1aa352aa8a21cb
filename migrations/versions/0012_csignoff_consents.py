"""承諾書: consents signed on the tablet or scanned, and the vehicles each one covers

Revision ID: 0012_csignoff_consents
Revises: 0011_golive_audit_targets
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_csignoff_consents"
down_revision = "0011_golive_audit_targets"
branch_labels = None
depends_on = None


def _owner_columns(table):
    return [sa.Column("business_id", sa.Integer(), nullable=False),
            sa.Column("site_id", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(["business_id"], ["business.id"], name=f"fk_{table}_business_id"),
            sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=f"fk_{table}_site_id")]


def upgrade():
    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), primary_key=True),
        *_owner_columns("consent"),
        sa.Column("customer_name", sa.String(length=200), nullable=False),
        sa.Column("is_company", sa.Boolean(), nullable=False),
        sa.Column("signer_name", sa.String(length=100), nullable=False),
        sa.Column("signer_title", sa.String(length=100), nullable=True),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("document_type", sa.String(length=40), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("taken_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["taken_by_id"], ["ab_user.id"], name="fk_consent_taken_by_id",
                                ondelete="SET NULL"),
        sa.CheckConstraint("method IN ('signature', 'scan')", name="ck_consent_method"),
        sa.CheckConstraint("valid_until >= signed_on", name="ck_consent_valid_after_signed"),
    )
    op.create_index("ix_consent_business_id", "consent", ["business_id"])
    op.create_index("ix_consent_site_id", "consent", ["site_id"])
    op.create_index("ix_consent_valid_until", "consent", ["valid_until"])
    op.create_table(
        "consent_vehicle",
        sa.Column("id", sa.Integer(), primary_key=True),
        *_owner_columns("consent_vehicle"),
        sa.Column("consent_id", sa.Integer(), nullable=False),
        sa.Column("chassis_number", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["consent_id"], ["consent.id"], name="fk_consent_vehicle_consent_id",
                                ondelete="CASCADE"),
        sa.UniqueConstraint("consent_id", "chassis_number", name="uq_consent_vehicle_chassis"),
    )
    op.create_index("ix_consent_vehicle_business_id", "consent_vehicle", ["business_id"])
    op.create_index("ix_consent_vehicle_site_id", "consent_vehicle", ["site_id"])
    op.create_index("ix_consent_vehicle_consent_id", "consent_vehicle", ["consent_id"])
    op.create_index("ix_consent_vehicle_lookup", "consent_vehicle", ["business_id", "chassis_number"])


def downgrade():
    op.drop_table("consent_vehicle")
    op.drop_table("consent")
