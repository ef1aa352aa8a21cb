"""debit results: the bank's 振替結果データ per invoice and per debit file

Revision ID: 0010_debit_results
Revises: 0009_plate_keys
Create Date: 2026-11-27

invoice gets the bank's 振替結果コード and when it was imported; debit_file keeps the result
file as imported (bytes, sha256, time). All nullable: months before this have no results.
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_debit_results"
down_revision = "0009_plate_keys"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("invoice", sa.Column("debit_result_code", sa.String(length=1), nullable=True))
    op.add_column("invoice", sa.Column("debit_result_imported_at", sa.DateTime(), nullable=True))
    op.add_column("debit_file", sa.Column("result_content", sa.LargeBinary(), nullable=True))
    op.add_column("debit_file", sa.Column("result_sha256", sa.String(length=64), nullable=True))
    op.add_column("debit_file", sa.Column("result_imported_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("debit_file") as batch:
        batch.drop_column("result_imported_at")
        batch.drop_column("result_sha256")
        batch.drop_column("result_content")
    with op.batch_alter_table("invoice") as batch:
        batch.drop_column("debit_result_imported_at")
        batch.drop_column("debit_result_code")
