"""one certificate per AIRAS id: a unique constraint on certificate.airas_id

Revision ID: 0012_cfollow_unique_airas_id
Revises: 0011_golive_audit_targets
Create Date: 2026-12-03

Until now two certificates could hold the same AIRAS id (after the sandbox lost its memory, an id
came back naming another car and was stored on a second certificate). Rows without an id (not
yet registered) stay allowed. If existing rows share an id, the upgrade stops and lists them:
a person must decide which certificate the AIRAS record belongs to.
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_cfollow_unique_airas_id"
down_revision = "0011_golive_audit_targets"
branch_labels = None
depends_on = None


def upgrade():
    shared = op.get_bind().execute(sa.text(
        "SELECT airas_id, COUNT(*) FROM certificate WHERE airas_id IS NOT NULL "
        "GROUP BY airas_id HAVING COUNT(*) > 1 ORDER BY airas_id")).fetchall()
    if shared:
        listed = ", ".join(f"{airas_id} ({count} certificates)" for airas_id, count in shared[:20])
        raise RuntimeError(f"certificates share an AIRAS id; resolve these before upgrading: {listed}")
    with op.batch_alter_table("certificate") as batch:
        batch.create_unique_constraint("uq_certificate_airas_id", ["airas_id"])


def downgrade():
    with op.batch_alter_table("certificate") as batch:
        batch.drop_constraint("uq_certificate_airas_id", type_="unique")
