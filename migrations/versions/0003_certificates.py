"""certificates: vehicles, wizard drafts, certificates, OSS requests, timeline, printer offsets

Revision ID: 0003_certificates
Revises: 0002_billable_events
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_certificates"
down_revision = "0002_billable_events"
branch_labels = None
depends_on = None

CERTIFICATE_STATUSES = ("draft", "queued", "sent", "linked", "reported", "completed",
                        "rejected", "failed", "deleted")
OSS_REQUEST_STATUSES = ("queued", "accepted", "filing", "paid", "under_review",
                        "correction_requested", "returned", "rejected", "withdrawn",
                        "completed", "failed")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _timestamps():
    return [sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.Column("updated_at", sa.DateTime(), nullable=False)]


def _tenant():
    return [sa.Column("business_id", sa.Integer(), nullable=False),
            sa.Column("site_id", sa.Integer(), nullable=False)]


def _tenant_fks(table):
    return [sa.ForeignKeyConstraint(["business_id"], ["business.id"],
                                    name=f"fk_{table}_business_id"),
            sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=f"fk_{table}_site_id")]


def _tenant_indexes(table, *more):
    with op.batch_alter_table(table) as batch:
        batch.create_index(f"ix_{table}_business_id", ["business_id"])
        batch.create_index(f"ix_{table}_site_id", ["site_id"])
        for name, columns in more:
            batch.create_index(name, columns)


def upgrade():
    op.create_table(
        "vehicle",
        *_timestamps(),
        sa.Column("id", sa.Integer(), nullable=False),
        *_tenant(),
        sa.Column("chassis_number", sa.String(length=32), nullable=False),
        sa.Column("vehicle_kind", sa.String(length=20), nullable=False),
        sa.Column("registration_number", sa.String(length=40)),
        sa.Column("model", sa.String(length=40)),
        sa.Column("first_registration", sa.String(length=7)),
        sa.Column("last_odometer_km", sa.Integer()),
        sa.Column("last_inspection_date", sa.Date()),
        *_tenant_fks("vehicle"),
        sa.PrimaryKeyConstraint("id", name="pk_vehicle"),
        sa.UniqueConstraint("business_id", "chassis_number", name="uq_vehicle_business_chassis"),
    )
    _tenant_indexes("vehicle")

    op.create_table(
        "certificate",
        *_timestamps(),
        sa.Column("id", sa.Integer(), nullable=False),
        *_tenant(),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("inspector_id", sa.Integer(), nullable=False),
        sa.Column("certified_by_id", sa.Integer()),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("application_type", sa.String(length=10), nullable=False),
        sa.Column("vehicle_kind", sa.String(length=20), nullable=False),
        sa.Column("chassis_number", sa.String(length=32), nullable=False),
        sa.Column("registration_number", sa.String(length=40)),
        sa.Column("model", sa.String(length=40)),
        sa.Column("inspection_date", sa.Date(), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("odometer_km", sa.Integer(), nullable=False),
        sa.Column("validity_years", sa.Integer(), nullable=False),
        sa.Column("new_expiry_date", sa.Date()),
        sa.Column("certificate_valid_until", sa.Date()),
        sa.Column("last_application_date", sa.Date()),
        sa.Column("weight_tax_yen", sa.Integer()),
        sa.Column("inspection_fee_yen", sa.Integer()),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("airas_id", sa.String(length=40)),
        sa.Column("issue_number", sa.String(length=40)),
        sa.Column("airas_status", sa.String(length=20)),
        sa.Column("report_status", sa.String(length=20)),
        sa.Column("reason_code", sa.String(length=40)),
        sa.Column("reason", sa.Text()),
        sa.Column("advice", sa.Text()),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime()),
        sa.Column("first_insurance_error_at", sa.DateTime()),
        sa.Column("lease_until", sa.DateTime()),
        sa.Column("lease_token", sa.String(length=40)),
        sa.Column("sent_at", sa.DateTime()),
        sa.Column("linked_at", sa.DateTime()),
        *_tenant_fks("certificate"),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicle.id"], name="fk_certificate_vehicle_id"),
        sa.ForeignKeyConstraint(["inspector_id"], ["inspector.id"],
                                name="fk_certificate_inspector_id"),
        sa.ForeignKeyConstraint(["certified_by_id"], ["ab_user.id"],
                                name="fk_certificate_certified_by_id"),
        sa.PrimaryKeyConstraint("id", name="pk_certificate"),
        sa.UniqueConstraint("idempotency_key", name="uq_certificate_idempotency_key"),
        sa.CheckConstraint(_in("status", CERTIFICATE_STATUSES), name="ck_certificate_status"),
        sa.CheckConstraint(_in("application_type", ("oss", "hybrid")),
                           name="ck_certificate_application_type"),
    )
    _tenant_indexes("certificate",
                    ("ix_certificate_vehicle_id", ["vehicle_id"]),
                    ("ix_certificate_chassis_number", ["chassis_number"]),
                    ("ix_certificate_inspection_date", ["inspection_date"]),
                    ("ix_certificate_due", ["status", "next_attempt_at"]))

    op.create_table(
        "certificate_draft",
        *_timestamps(),
        sa.Column("id", sa.Integer(), nullable=False),
        *_tenant(),
        sa.Column("created_by_id", sa.Integer()),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("certificate_id", sa.Integer()),
        *_tenant_fks("certificate_draft"),
        sa.ForeignKeyConstraint(["created_by_id"], ["ab_user.id"],
                                name="fk_certificate_draft_created_by_id"),
        sa.ForeignKeyConstraint(["certificate_id"], ["certificate.id"],
                                name="fk_certificate_draft_certificate_id"),
        sa.PrimaryKeyConstraint("id", name="pk_certificate_draft"),
    )
    _tenant_indexes("certificate_draft")

    op.create_table(
        "oss_request",
        *_timestamps(),
        sa.Column("id", sa.Integer(), nullable=False),
        *_tenant(),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("request_id", sa.String(length=40)),
        sa.Column("ainas_status", sa.String(length=20)),
        sa.Column("reason_code", sa.String(length=40)),
        sa.Column("reason", sa.Text()),
        sa.Column("advice", sa.Text()),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime()),
        sa.Column("sent_at", sa.DateTime()),
        *_tenant_fks("oss_request"),
        sa.ForeignKeyConstraint(["certificate_id"], ["certificate.id"],
                                name="fk_oss_request_certificate_id"),
        sa.PrimaryKeyConstraint("id", name="pk_oss_request"),
        sa.UniqueConstraint("certificate_id", name="uq_oss_request_certificate"),
        sa.UniqueConstraint("idempotency_key", name="uq_oss_request_idempotency_key"),
        sa.CheckConstraint(_in("status", OSS_REQUEST_STATUSES), name="ck_oss_request_status"),
    )
    _tenant_indexes("oss_request")

    op.create_table(
        "certificate_event",
        sa.Column("id", sa.Integer(), nullable=False),
        *_tenant(),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("system", sa.String(length=10), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("status_before", sa.String(length=30)),
        sa.Column("status_after", sa.String(length=30)),
        sa.Column("code", sa.String(length=40)),
        sa.Column("message", sa.Text()),
        sa.Column("attempt", sa.Integer()),
        sa.Column("success", sa.Boolean(), nullable=False),
        *_tenant_fks("certificate_event"),
        sa.ForeignKeyConstraint(["certificate_id"], ["certificate.id"],
                                name="fk_certificate_event_certificate_id"),
        sa.PrimaryKeyConstraint("id", name="pk_certificate_event"),
    )
    _tenant_indexes("certificate_event",
                    ("ix_certificate_event_certificate_id", ["certificate_id"]))

    op.create_table(
        "printer_offset",
        *_timestamps(),
        sa.Column("id", sa.Integer(), nullable=False),
        *_tenant(),
        sa.Column("offset_x_mm", sa.Float(), nullable=False),
        sa.Column("offset_y_mm", sa.Float(), nullable=False),
        *_tenant_fks("printer_offset"),
        sa.PrimaryKeyConstraint("id", name="pk_printer_offset"),
        sa.UniqueConstraint("site_id", name="uq_printer_offset_site"),
    )
    _tenant_indexes("printer_offset")


def downgrade():
    for table in ("printer_offset", "certificate_event", "oss_request", "certificate_draft",
                  "certificate", "vehicle"):
        op.drop_table(table)
