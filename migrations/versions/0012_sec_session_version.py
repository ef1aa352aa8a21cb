"""session version: a per-user number every session carries; bumping it ends them all

Revision ID: 0012_sec_session_version
Revises: 0011_golive_audit_targets
Create Date: 2026-12-03

Logout, a password change or reset and deactivation bump ``ab_user.session_version``; a session
whose stored version differs is treated as logged out (app/security/sessions.py).
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_sec_session_version"
down_revision = "0011_golive_audit_targets"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ab_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), nullable=False,
                                      server_default="0"))


def downgrade():
    with op.batch_alter_table("ab_user", schema=None) as batch_op:
        batch_op.drop_column("session_version")
