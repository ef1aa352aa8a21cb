"""chief mechanic: their own login and their own signing PIN (hashed)

Revision ID: 0012_csignoff_signer_pin
Revises: 0011_golive_audit_targets
Create Date: 2026-12-03

The 整備主任者's signature on a record is theirs only: the login linked here, or the PIN they set
(stored as a hash). Existing rows have neither until the manager links a login and the person
sets a PIN.
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_csignoff_signer_pin"
down_revision = "0011_golive_audit_targets"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("chief_mechanic") as batch:
        batch.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("pin_hash", sa.String(length=256), nullable=True))
        batch.add_column(sa.Column("pin_failures", sa.Integer(), nullable=False, server_default="0"))
        batch.create_foreign_key("fk_chief_mechanic_user_id_ab_user", "ab_user", ["user_id"], ["id"],
                                 ondelete="SET NULL")


def downgrade():
    with op.batch_alter_table("chief_mechanic") as batch:
        batch.drop_constraint("fk_chief_mechanic_user_id_ab_user", type_="foreignkey")
        batch.drop_column("pin_failures")
        batch.drop_column("pin_hash")
        batch.drop_column("user_id")
