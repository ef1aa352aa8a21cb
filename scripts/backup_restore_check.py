"""Backup and restore, tested: dump a PostgreSQL database with pg_dump, restore it into a
fresh database with pg_restore, and compare the row count of every table.

    python scripts/backup_restore_check.py postgresql://postgres@127.0.0.1:5432/keizoku

Exits non-zero when any table differs. Prints `backup_restore_tables: N` and
`backup_restore_mismatches: 0` last.
"""
import subprocess
import sys
import tempfile
from urllib.parse import urlsplit, urlunsplit

import psycopg


def counts(url):
    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def with_database(url, name):
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def main(source_url):
    restore_name = urlsplit(source_url).path.lstrip("/") + "_restore_check"
    restore_url = with_database(source_url, restore_name)
    admin_url = with_database(source_url, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{restore_name}"')
        conn.execute(f'CREATE DATABASE "{restore_name}"')
    with tempfile.NamedTemporaryFile(suffix=".dump") as dump:
        subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", dump.name,
                        source_url], check=True)
        subprocess.run(["pg_restore", "--no-owner", "--dbname", restore_url, dump.name],
                       check=True)
    before, after = counts(source_url), counts(restore_url)
    mismatches = {t: (before.get(t), after.get(t)) for t in set(before) | set(after)
                  if before.get(t) != after.get(t)}
    for table, (b, a) in sorted(mismatches.items()):
        print(f"MISMATCH {table}: source {b}, restored {a}")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{restore_name}"')
    print(f"backup_restore_rows: {sum(before.values())}")
    print(f"backup_restore_tables: {len(before)}")
    print(f"backup_restore_mismatches: {len(mismatches)}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else
                  "postgresql://postgres@127.0.0.1:5432/test"))
