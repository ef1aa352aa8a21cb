"""billable events

Revision ID: 0002_billable_events
Revises: 1dcabb97fc82
Create Date: 2026-11-26

Feature branches (certificates, records, billing, support) each start from this revision;
`flask db upgrade heads` applies them all, and a merge revision joins them when they land.
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_billable_events"
down_revision = "1dcabb97fc82"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "billable_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('certificate', 'record')", name="ck_billable_event_kind"),
        sa.ForeignKeyConstraint(["business_id"], ["business.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "object_id", name="uq_billable_event_object"),
    )
    with op.batch_alter_table("billable_event") as batch:
        batch.create_index("ix_billable_event_business_id", ["business_id"])
        batch.create_index("ix_billable_event_site_id", ["site_id"])
        batch.create_index("ix_billable_event_month", ["occurred_at", "business_id"])


def downgrade():
    op.drop_table("billable_event")
