"""Month-end closing at the real service's scale, against the plain SQL aggregate.

Loads one month (2026-10) of 300,000 certificate and 400,000 record events for 5,180 sites in
1,130 businesses into a dedicated PostgreSQL database (COPY), then times, in the same run:
  - the plain aggregate: one GROUP BY (business, site, kind) over the month's rows;
  - ``close_month``: the same counting plus pricing, invoices, lines and the audit log.

    .venv/bin/python benchmarks/month_close.py
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/keizoku_bench  (the default)

Targets (issue 7): closing under 10 s and within 5x the aggregate. The database is dropped and
rebuilt by the migrations on every run; never point this at a database you need.
"""
import datetime as dt
import os
import random
import sys
import time

BENCH_URL = os.environ.get("BENCH_DATABASE_URL",
                           "postgresql://postgres@127.0.0.1:5432/keizoku_bench")
BUSINESSES = 1130
SITES = 5180
CERTIFICATES = 300_000
RECORDS = 400_000
SEPARATELY_BILLED_SHARE = 0.05
YEAR, MONTH = 2026, 10

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ["DATABASE_URL"] = BENCH_URL


def ensure_database():
    import psycopg

    name = BENCH_URL.rsplit("/", 1)[1]
    admin = BENCH_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def build_schema(app):
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app.extensions import db

    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(revision="heads")


def load(app):
    """Businesses, sites and the month's events by COPY, with a fixed random seed."""
    from app.extensions import db
    from app.services.billing import month_bounds_utc

    rng = random.Random(20261031)
    now = dt.datetime(2026, 11, 1, 0, 0)
    start, end = month_bounds_utc(YEAR, MONTH)
    span = int((end - start).total_seconds())
    conn = db.engine.raw_connection()
    try:
        cur = conn.cursor()
        with cur.copy("COPY business (id, name, name_kana, address, phone, active, bank_code, "
                      "branch_code, account_type, account_number, account_holder_kana, "
                      "created_at, updated_at) FROM STDIN") as copy:
            for b in range(1, BUSINESSES + 1):
                copy.write_row((b, f"ベンチ自動車{b}", "ベンチジドウシャ", "東京都", "03-0000-0000",
                                True, "0001", "001", "1", f"{b:07d}", "ﾍﾞﾝﾁｼﾞﾄﾞｳｼﾔ", now, now))
        # Every business has at least one site; the rest are spread at random.
        site_business = list(range(1, BUSINESSES + 1)) + [
            rng.randint(1, BUSINESSES) for _ in range(SITES - BUSINESSES)]
        with cur.copy("COPY site (id, business_id, name, address, airas_registered, ainas_status, "
                      "billed_separately, records_enabled, active, created_at, updated_at) "
                      "FROM STDIN") as copy:
            for s, b in enumerate(site_business, start=1):
                copy.write_row((s, b, f"工場{s}", "東京都", True, "registered",
                                rng.random() < SEPARATELY_BILLED_SHARE, False, True, now, now))
        with cur.copy("COPY billable_event (business_id, site_id, kind, object_id, occurred_at) "
                      "FROM STDIN") as copy:
            for kind, count in (("certificate", CERTIFICATES), ("record", RECORDS)):
                for object_id in range(1, count + 1):
                    s = rng.randint(1, SITES)
                    copy.write_row((site_business[s - 1], s, kind, object_id,
                                    start + dt.timedelta(seconds=rng.randrange(span))))
        for table in ("business", "site"):
            cur.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
        conn.commit()
        cur.execute("ANALYZE")
        conn.commit()
    finally:
        conn.close()


def plain_aggregate(app):
    from sqlalchemy import text

    from app.extensions import db
    from app.services.billing import month_bounds_utc

    start, end = month_bounds_utc(YEAR, MONTH)
    rows = db.session.execute(text(
        "SELECT business_id, site_id, kind, count(*) FROM billable_event "
        "WHERE occurred_at >= :start AND occurred_at < :end GROUP BY business_id, site_id, kind"),
        {"start": start, "end": end}).all()
    db.session.rollback()
    return rows


def main():
    from app import create_app
    from app.extensions import db
    from app.services import billing
    from app.timeutil import JST

    ensure_database()
    app = create_app("config.Config")
    with app.app_context():
        build_schema(app)
        started = time.perf_counter()
        load(app)
        print(f"loaded {BUSINESSES} businesses, {SITES} sites, {CERTIFICATES + RECORDS} events "
              f"in {time.perf_counter() - started:.1f} s")
        plain_aggregate(app)  # warm the cache so both timings read the same pages

        started = time.perf_counter()
        groups = plain_aggregate(app)
        aggregate_s = time.perf_counter() - started
        print(f"plain aggregate: {len(groups)} groups, {sum(r[3] for r in groups)} events, "
              f"{aggregate_s:.3f} s")

        started = time.perf_counter()
        result = billing.close_month(db.session, YEAR, MONTH,
                                     now=dt.datetime(2026, 11, 1, 0, 5, tzinfo=JST))
        close_s = time.perf_counter() - started
        expected = sum(count * (31 if kind == "certificate" else 33) for _, _, kind, count in groups)
        assert result.total_yen == expected, (result.total_yen, expected)
        print(f"close_month: {result.invoice_count} invoices, {result.total_yen:,} yen "
              f"(checked against the aggregate), {close_s:.3f} s")
        db.session.remove()
    print(f"month_close_s: {close_s:.3f}")
    print(f"month_close_vs_aggregate: {close_s / aggregate_s:.2f}")


if __name__ == "__main__":
    main()
