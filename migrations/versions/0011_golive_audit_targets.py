"""audit targets: rows logged against a request proxy name the user they were about

Revision ID: 0011_golive_audit_targets
Revises: 0010_debit_results
Create Date: 2026-12-03

Until now a password change logged ``entity_type = 'LocalProxy'`` (the logged-in user passed as
Flask-Login's proxy). The only caller that passed the proxy was the password change, so every
such row is about a KeizokuUser; app/audit.py now unwraps proxies before naming the target.
"""
from alembic import op

revision = "0011_golive_audit_targets"
down_revision = "0010_debit_results"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE audit_log SET entity_type = 'KeizokuUser' WHERE entity_type = 'LocalProxy'")


def downgrade():
    pass  # the rows named the proxy by mistake; nothing to restore
