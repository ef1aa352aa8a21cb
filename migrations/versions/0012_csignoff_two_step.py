"""two-step sign-off: a per-site setting, the site's 代務者, and each certificate's approval

Revision ID: 0012_csignoff_two_step
Revises: 0011_golive_audit_targets
Create Date: 2026-12-03

Off by default (``server_default`` false): existing sites keep sending at confirmation. A
certificate's ``approval_status`` is NULL unless its site asked for the second check.
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_csignoff_two_step"
down_revision = "0011_golive_audit_targets"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("site") as batch:
        batch.add_column(sa.Column("two_step_signoff", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("signoff_deputy_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_site_signoff_deputy_id_ab_user", "ab_user",
                                 ["signoff_deputy_id"], ["id"], ondelete="SET NULL")
    with op.batch_alter_table("certificate") as batch:
        batch.add_column(sa.Column("approval_status", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("approved_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("approved_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("returned_reason", sa.Text(), nullable=True))
        batch.create_foreign_key("fk_certificate_approved_by_id_ab_user", "ab_user",
                                 ["approved_by_id"], ["id"])


def downgrade():
    with op.batch_alter_table("certificate") as batch:
        batch.drop_constraint("fk_certificate_approved_by_id_ab_user", type_="foreignkey")
        for name in ("returned_reason", "approved_at", "approved_by_id", "approval_status"):
            batch.drop_column(name)
    with op.batch_alter_table("site") as batch:
        batch.drop_constraint("fk_site_signoff_deputy_id_ab_user", type_="foreignkey")
        batch.drop_column("signoff_deputy_id")
        batch.drop_column("two_step_signoff")
