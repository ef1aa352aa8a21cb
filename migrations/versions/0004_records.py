"""records: record, parts patterns, tester profiles, print batches

Revision ID: 0004_records
Revises: 0002_billable_events
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_records"
down_revision = "0002_billable_events"
branch_labels = None
depends_on = None


def _tenant_columns():
    return [
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
    ]


def _tenant_fks(table):
    return [
        sa.ForeignKeyConstraint(["business_id"], ["business.id"],
                                name=f"fk_{table}_business_id"),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=f"fk_{table}_site_id"),
    ]


def _timestamps():
    return [
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    ]


def _tenant_indexes(table):
    with op.batch_alter_table(table) as batch:
        batch.create_index(f"ix_{table}_business_id", ["business_id"])
        batch.create_index(f"ix_{table}_site_id", ["site_id"])


def upgrade():
    op.create_table(
        "record",
        sa.Column("id", sa.Integer(), nullable=False),
        *_tenant_columns(),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("form", sa.String(length=10), nullable=False),
        sa.Column("interval_months", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=True),
        sa.Column("registration_number", sa.String(length=40), nullable=True),
        sa.Column("chassis_number", sa.String(length=40), nullable=True),
        sa.Column("model_code", sa.String(length=40), nullable=True),
        sa.Column("car_name", sa.String(length=60), nullable=True),
        sa.Column("engine_model", sa.String(length=40), nullable=True),
        sa.Column("first_registration", sa.String(length=7), nullable=True),
        sa.Column("customer_name", sa.String(length=200), nullable=True),
        sa.Column("customer_address", sa.String(length=300), nullable=True),
        sa.Column("inspection_date", sa.Date(), nullable=False),
        sa.Column("odometer_km", sa.Integer(), nullable=True),
        sa.Column("results", sa.Text(), nullable=False),
        sa.Column("measurements", sa.JSON(), nullable=True),
        sa.Column("tester_values", sa.JSON(), nullable=True),
        sa.Column("replaced_parts", sa.JSON(), nullable=True),
        sa.Column("work_summary", sa.Text(), nullable=True),
        sa.Column("completion_date", sa.Date(), nullable=True),
        sa.Column("certificate_number", sa.String(length=40), nullable=True),
        sa.Column("inspector_id", sa.Integer(), nullable=True),
        sa.Column("inspector_signed_at", sa.DateTime(), nullable=True),
        sa.Column("chief_mechanic_id", sa.Integer(), nullable=True),
        sa.Column("chief_mechanic_signed_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("previous_version_id", sa.Integer(), nullable=True),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("output_at", sa.DateTime(), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("kind IN ('designated', 'periodic')", name="ck_record_kind"),
        sa.CheckConstraint("form IN ('beppyo3', 'beppyo4', 'beppyo5', 'beppyo6')",
                           name="ck_record_form"),
        sa.CheckConstraint("interval_months IN (3, 6, 12, 24)", name="ck_record_interval"),
        sa.CheckConstraint("status IN ('draft', 'signed', 'output')", name="ck_record_status"),
        *_tenant_fks("record"),
        sa.ForeignKeyConstraint(["inspector_id"], ["inspector.id"],
                                name="fk_record_inspector_id"),
        sa.ForeignKeyConstraint(["chief_mechanic_id"], ["chief_mechanic.id"],
                                name="fk_record_chief_mechanic_id"),
        sa.ForeignKeyConstraint(["previous_version_id"], ["record.id"], ondelete="SET NULL",
                                name="fk_record_previous_version_id"),
        sa.PrimaryKeyConstraint("id", name="pk_record"),
        sa.UniqueConstraint("previous_version_id", name="uq_record_previous_version"),
    )
    _tenant_indexes("record")
    with op.batch_alter_table("record") as batch:
        batch.create_index("ix_record_certificate_id", ["certificate_id"])
        batch.create_index("ix_record_inspection_date", ["inspection_date"])
        batch.create_index("ix_record_site_date", ["site_id", "inspection_date"])

    op.create_table(
        "parts_pattern",
        sa.Column("id", sa.Integer(), nullable=False),
        *_tenant_columns(),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        *_timestamps(),
        *_tenant_fks("parts_pattern"),
        sa.PrimaryKeyConstraint("id", name="pk_parts_pattern"),
    )
    _tenant_indexes("parts_pattern")

    op.create_table(
        "parts_pattern_item",
        sa.Column("id", sa.Integer(), nullable=False),
        *_tenant_columns(),
        sa.Column("pattern_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=8, scale=2), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        *_tenant_fks("parts_pattern_item"),
        sa.ForeignKeyConstraint(["pattern_id"], ["parts_pattern.id"], ondelete="CASCADE",
                                name="fk_parts_pattern_item_pattern_id"),
        sa.PrimaryKeyConstraint("id", name="pk_parts_pattern_item"),
    )
    _tenant_indexes("parts_pattern_item")
    with op.batch_alter_table("parts_pattern_item") as batch:
        batch.create_index("ix_parts_pattern_item_pattern_id", ["pattern_id"])

    op.create_table(
        "tester_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("maker", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_tester_profile"),
        sa.UniqueConstraint("code", name="uq_tester_profile_code"),
    )

    op.create_table(
        "print_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        *_tenant_columns(),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("copy", sa.String(length=10), nullable=False),
        sa.Column("record_ids", sa.JSON(), nullable=False),
        sa.Column("total_count", sa.Integer(), nullable=False),
        sa.Column("done_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("file_path", sa.String(length=500), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')",
                           name="ck_print_batch_status"),
        sa.CheckConstraint("copy IN ('shop', 'customer')", name="ck_print_batch_copy"),
        *_tenant_fks("print_batch"),
        sa.PrimaryKeyConstraint("id", name="pk_print_batch"),
    )
    _tenant_indexes("print_batch")


def downgrade():
    op.drop_table("print_batch")
    op.drop_table("tester_profile")
    op.drop_table("parts_pattern_item")
    op.drop_table("parts_pattern")
    op.drop_table("record")
