"""inquiry threads: the messages the shop sees (inquiry_message) and the association's memos
(inquiry_memo), kept in separate tables

Revision ID: 0012_admin_inquiry_threads
Revises: 0011_golive_audit_targets
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_admin_inquiry_threads"
down_revision = "0011_golive_audit_targets"
branch_labels = None
depends_on = None


def _common(table):
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inquiry_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["inquiry_id"], ["inquiry.id"], ondelete="CASCADE",
                                name=f"fk_{table}_inquiry_id"),
        sa.ForeignKeyConstraint(["author_id"], ["ab_user.id"], name=f"fk_{table}_author_id"),
        sa.PrimaryKeyConstraint("id"),
    ]


def upgrade():
    op.create_table(
        "inquiry_message",
        *_common("inquiry_message"),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("from_association", sa.Boolean(), nullable=False),
        sa.Column("mailed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["business_id"], ["business.id"],
                                name="fk_inquiry_message_business_id"),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name="fk_inquiry_message_site_id"),
    )
    op.create_table("inquiry_memo", *_common("inquiry_memo"))
    for table, columns in (("inquiry_message", ("inquiry_id", "business_id", "site_id")),
                           ("inquiry_memo", ("inquiry_id",))):
        for column in columns:
            op.create_index(f"ix_{table}_{column}", table, [column])


def downgrade():
    op.drop_table("inquiry_memo")
    op.drop_table("inquiry_message")
