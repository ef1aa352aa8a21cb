"""record: 保安基準適合標章 and 限定保安基準適合証 numbers, axle layout

Revision ID: 0011_docsrec_record_fields
Revises: 0010_debit_results
Create Date: 2026-12-03

The 指定整備記録簿 names the numbers of the 保安基準適合証, the 保安基準適合標章 and the
限定保安基準適合証 (指定自動車整備事業規則 第10条); the record held only the first. The axle
layout ("SS", "SDD": S single, D dual tyres per axle) gives trucks and buses measured values
per axle and wheel position. All nullable: older records have none (a car, "SS").
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_docsrec_record_fields"
down_revision = "0010_debit_results"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("record", sa.Column("axle_layout", sa.String(length=8), nullable=True))
    op.add_column("record", sa.Column("sticker_number", sa.String(length=40), nullable=True))
    op.add_column("record", sa.Column("limited_certificate_number", sa.String(length=40),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table("record") as batch:
        batch.drop_column("limited_certificate_number")
        batch.drop_column("sticker_number")
        batch.drop_column("axle_layout")
