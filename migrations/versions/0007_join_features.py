"""join the feature branches

Revision ID: 0007_join_features
Revises: 0003_certificates, 0004_records, 0005_billing, 0006_support
Create Date: 2026-11-26

The certificate, record, billing and support tables were written in parallel as branches
from 0002; this revision joins them so the history has one head again.
"""

revision = "0007_join_features"
down_revision = ("0003_certificates", "0004_records", "0005_billing", "0006_support")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
