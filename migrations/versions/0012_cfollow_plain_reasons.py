"""plain reasons: exception text stored as a certificate's reason is replaced by Japanese words

Revision ID: 0012_cfollow_plain_reasons
Revises: 0011_golive_audit_targets
Create Date: 2026-12-03

Until now a timeout or a refused connection stored the `requests` exception text (with the
outside system's host and URL) as ``certificate.reason`` / ``oss_request.reason``, which the
shop's pages and the token API show. The sender now stores Japanese words only
(``app.integrations.base.shop_reason``); this replaces what was stored before. The technical
text was in the log already.
"""
from alembic import op

revision = "0012_cfollow_plain_reasons"
down_revision = "0011_golive_audit_targets"
branch_labels = None
depends_on = None

PLAIN = "外部システムとの通信に失敗しました。"
LOOKS_INTERNAL = ("://", "Pool(", "Exception", "Traceback", "timed out", "host=", "Errno")


def upgrade():
    where = " OR ".join(f"reason LIKE '%{marker}%'" for marker in LOOKS_INTERNAL)
    for table in ("certificate", "oss_request"):
        op.execute(f"UPDATE {table} SET reason = '{PLAIN}' WHERE {where}")


def downgrade():
    pass  # the replaced text was technical detail, kept in the log
