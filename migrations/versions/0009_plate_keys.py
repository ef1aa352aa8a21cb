"""plate keys: searching by plate with b-tree lookups

Revision ID: 0009_plate_keys
Revises: 0008_list_indexes
Create Date: 2026-11-26

certificate and record get ``plate_key`` (the plate without spaces, hyphens and ・, NFKC) and
``plate_serial`` (its 一連指定番号 without leading zeros), as app/domain/plates.py computes them.
A search by serial alone (「12-34」) or by a whole plate is then an index lookup on
(plate_serial | plate_key, inspection_date, id), newest first; at full scale the trigram
index on the plate text answered those in up to 340 ms because their trigrams are common.
The trigram index moves from registration_number to plate_key for partial searches.

Rows already stored are filled in by one UPDATE per table on PostgreSQL (normalize() needs
PostgreSQL 13 and a UTF8 database) and in batches through Python on SQLite; a test checks the
SQL against app/domain/plates.py.
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_plate_keys"
down_revision = "0008_list_indexes"
branch_labels = None
depends_on = None

TABLES = ("certificate", "record")
KEY_SQL = ("NULLIF(left(upper(regexp_replace(normalize(registration_number, NFKC), "
           "'[-[:space:]・‐‑–—−.]', '', 'g')), 40), '')")
SERIAL_SQL = f"substring({KEY_SQL} from '(?:^|[^0-9])0*([1-9][0-9]{{0,3}})$')"
BATCH = 5000


def backfill(bind, table):
    """Fill plate_key and plate_serial of every row of ``table`` from registration_number."""
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text(f"UPDATE {table} SET plate_key = {KEY_SQL}, plate_serial = {SERIAL_SQL} "
                             "WHERE registration_number IS NOT NULL"))
        return
    from app.domain import plates

    last = 0
    while True:
        rows = bind.execute(sa.text(
            f"SELECT id, registration_number FROM {table} WHERE id > :last "
            "AND registration_number IS NOT NULL ORDER BY id LIMIT :n"), {"last": last, "n": BATCH}).all()
        if not rows:
            return
        bind.execute(sa.text(f"UPDATE {table} SET plate_key = :key, plate_serial = :serial WHERE id = :id"),
                     [{"id": row.id, "key": plates.plate_key(row.registration_number),
                       "serial": plates.plate_serial(row.registration_number)} for row in rows])
        last = rows[-1].id


def _trigram(bind):
    return bind.dialect.name == "postgresql" and bool(bind.execute(sa.text(
        "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar())


def _plate_text_index(bind, table, column):
    if _trigram(bind):
        op.create_index(f"ix_{table}_plate_trgm", table, [column], postgresql_using="gin",
                        postgresql_ops={column: "gin_trgm_ops"})
    else:
        op.create_index(f"ix_{table}_plate_trgm", table, [column])


def upgrade():
    bind = op.get_bind()
    for table in TABLES:
        op.add_column(table, sa.Column("plate_key", sa.String(length=40), nullable=True))
        op.add_column(table, sa.Column("plate_serial", sa.String(length=4), nullable=True))
        op.drop_index(f"ix_{table}_plate_trgm", table_name=table)
        backfill(bind, table)
        op.create_index(f"ix_{table}_plate_serial", table, ["plate_serial", "inspection_date", "id"])
        op.create_index(f"ix_{table}_plate_key", table, ["plate_key", "inspection_date", "id"])
        _plate_text_index(bind, table, "plate_key")


def downgrade():
    bind = op.get_bind()
    for table in reversed(TABLES):
        op.drop_index(f"ix_{table}_plate_trgm", table_name=table)
        op.drop_index(f"ix_{table}_plate_key", table_name=table)
        op.drop_index(f"ix_{table}_plate_serial", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("plate_serial")
            batch.drop_column("plate_key")
        _plate_text_index(bind, table, "registration_number")
