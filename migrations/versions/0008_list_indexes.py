"""list indexes: the list pages and the searches at the service's scale

Revision ID: 0008_list_indexes
Revises: 0007_join_features
Create Date: 2026-11-26

At 7 million certificates and 7 million records (`flask demo-data --scale full`):
  - a shop's certificate list walks (business_id, inspection_date, id) or, for one site,
    (site_id, inspection_date, id) backwards and stops after the page: no sort, no count;
  - a site's record list does the same on (site_id, inspection_date, id), which replaces the
    two-column ix_record_site_date (the id breaks ties the way the list orders them);
  - the association's support list walks (status, updated_at) and updated_at backwards, one
    failure group after the other (app/views/certificates.py, CertificateSupportView);
  - plate (登録番号) and 車台番号 searches are substring searches (LIKE '%…%'): on PostgreSQL they
    use trigram GIN indexes (pg_trgm, a trusted extension since PostgreSQL 13). Where pg_trgm
    cannot be created, and on SQLite, the same index names are plain b-tree indexes, so the
    schema still matches the models; searches are then slower but correct.
benchmarks/list_pages.py measures the pages these serve.
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_list_indexes"
down_revision = "0007_join_features"
branch_labels = None
depends_on = None

TRIGRAM = (("certificate", "ix_certificate_plate_trgm", "registration_number"),
           ("certificate", "ix_certificate_chassis_trgm", "chassis_number"),
           ("record", "ix_record_plate_trgm", "registration_number"),
           ("record", "ix_record_chassis_trgm", "chassis_number"))


def _trigram_available(bind):
    if bind.dialect.name != "postgresql":
        return False
    if bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar():
        return True
    if not bind.execute(sa.text(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).scalar():
        return False
    savepoint = bind.begin_nested()
    try:
        bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def upgrade():
    bind = op.get_bind()
    op.create_index("ix_certificate_business_date", "certificate",
                    ["business_id", "inspection_date", "id"])
    op.create_index("ix_certificate_site_date", "certificate", ["site_id", "inspection_date", "id"])
    op.create_index("ix_certificate_updated_at", "certificate", ["updated_at"])
    op.create_index("ix_certificate_status_updated", "certificate", ["status", "updated_at"])
    op.drop_index("ix_record_site_date", table_name="record")
    op.create_index("ix_record_site_date", "record", ["site_id", "inspection_date", "id"])
    trigram = _trigram_available(bind)
    for table, name, column in TRIGRAM:
        if trigram:
            op.create_index(name, table, [column], postgresql_using="gin",
                            postgresql_ops={column: "gin_trgm_ops"})
        else:
            op.create_index(name, table, [column])


def downgrade():
    for table, name, _column in reversed(TRIGRAM):
        op.drop_index(name, table_name=table)
    op.drop_index("ix_record_site_date", table_name="record")
    op.create_index("ix_record_site_date", "record", ["site_id", "inspection_date"])
    op.drop_index("ix_certificate_status_updated", table_name="certificate")
    op.drop_index("ix_certificate_updated_at", table_name="certificate")
    op.drop_index("ix_certificate_site_date", table_name="certificate")
    op.drop_index("ix_certificate_business_date", table_name="certificate")
