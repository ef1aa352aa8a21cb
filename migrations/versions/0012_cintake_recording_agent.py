"""site.recording_agent_number: the shop's 委託番号 as 記録等事務代行者 (issue 15.7)

Revision ID: 0012_cintake_recording_agent
Revises: 0011_golive_audit_targets
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_cintake_recording_agent"
down_revision = "0011_golive_audit_targets"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("site") as batch:
        batch.add_column(sa.Column("recording_agent_number", sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table("site") as batch:
        batch.drop_column("recording_agent_number")
