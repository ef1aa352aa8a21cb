"""support: FAQ entries, notices, inquiries, web application form submissions

Revision ID: 0006_support
Revises: 0002_billable_events
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_support"
down_revision = "0002_billable_events"
branch_labels = None
depends_on = None


def _timestamps():
    return [
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    ]


def upgrade():
    op.create_table(
        "faq_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=True),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_faq_entry"),
        sa.UniqueConstraint("slug", name="uq_faq_entry_slug"),
    )
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("shown_from", sa.DateTime(), nullable=False),
        sa.Column("shown_until", sa.DateTime(), nullable=True),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("on_dashboard", sa.Boolean(), nullable=False),
        sa.Column("on_public", sa.Boolean(), nullable=False),
        sa.Column("outside_system", sa.String(length=20), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("kind IN ('maintenance', 'law', 'other')", name="ck_notice_kind"),
        sa.CheckConstraint(
            "outside_system IS NULL OR outside_system IN ('airas', 'ainas', 'mlit', 'kei')",
            name="ck_notice_outside_system",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_notice"),
    )
    op.create_table(
        "inquiry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("topic", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("follow_up_on", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("mailed_at", sa.DateTime(), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(
            "channel IN ('app', 'phone', 'mail', 'fax', 'visit')", name="ck_inquiry_channel"
        ),
        sa.CheckConstraint(
            "topic IN ('airas', 'ainas', 'transport_bureau', 'records', 'billing', "
            "'qr_reader', 'other')",
            name="ck_inquiry_topic",
        ),
        sa.CheckConstraint(
            "status IN ('open', 'in_progress', 'closed')", name="ck_inquiry_status"
        ),
        sa.ForeignKeyConstraint(["business_id"], ["business.id"],
                                name="fk_inquiry_business_id"),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name="fk_inquiry_site_id"),
        sa.ForeignKeyConstraint(["handled_by_id"], ["ab_user.id"],
                                name="fk_inquiry_handled_by_id"),
        sa.ForeignKeyConstraint(["created_by_id"], ["ab_user.id"],
                                name="fk_inquiry_created_by_id"),
        sa.PrimaryKeyConstraint("id", name="pk_inquiry"),
    )
    with op.batch_alter_table("inquiry") as batch:
        batch.create_index("ix_inquiry_business_id", ["business_id"])
        batch.create_index("ix_inquiry_site_id", ["site_id"])
        batch.create_index("ix_inquiry_status", ["status"])
        batch.create_index("ix_inquiry_follow_up_on", ["follow_up_on"])
    op.create_table(
        "application_form_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("business_name", sa.String(length=200), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("imported_business_id", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(), nullable=True),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(
            "status IN ('new', 'imported', 'rejected')", name="ck_application_form_status"
        ),
        sa.ForeignKeyConstraint(["imported_business_id"], ["business.id"],
                                name="fk_application_form_business_id"),
        sa.ForeignKeyConstraint(["imported_by_id"], ["ab_user.id"],
                                name="fk_application_form_imported_by_id"),
        sa.PrimaryKeyConstraint("id", name="pk_application_form_submission"),
        sa.UniqueConstraint("reference", name="uq_application_form_reference"),
    )
    with op.batch_alter_table("application_form_submission") as batch:
        batch.create_index("ix_application_form_submission_status", ["status"])


def downgrade():
    op.drop_table("application_form_submission")
    op.drop_table("inquiry")
    op.drop_table("notice")
    op.drop_table("faq_entry")
