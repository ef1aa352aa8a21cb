"""List pages at the service's scale: server time p50/p95 through the Flask test client.

    .venv/bin/python benchmarks/list_pages.py [--rounds 15]
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/keizoku_scale  (the default)

Needs a database loaded by `flask demo-data --scale full` (5,180 sites, about 7 million
certificates and 7 million records); it only reads. Logged in as the manager of a
one-site business, of a middle one and of the business with the most sites, and as the
association's kyokai-admin, it times with varied search terms each round:
  - the shop's certificate list (all sites, one site, by plate, by 車台番号);
  - a site's record list (the list, by plate, by 車台番号 through the words field);
  - the association's search across every site (/association/search/, by plate and by
    車台番号) and its support list (/association/certificates/list/, plain and by 車台番号).
Server time is the time the app takes to answer in-process (no network). The last line is
``list_p95_ms: <p95 over every request>`` (target under 150 ms).
"""
import argparse
import datetime as dt
import gc
import os
import random
import re
import statistics
import sys
import time

from stats import percentile  # benchmarks/stats.py

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH_URL = os.environ.get("BENCH_DATABASE_URL",
                           "postgresql://postgres@127.0.0.1:5432/keizoku_scale")
os.environ["DATABASE_URL"] = BENCH_URL
os.environ.setdefault("KEIZOKU_CONFIG", "config.TestConfig")
PASSWORD = "Demo-Pass-2026"  # app/commands/scale_data.py SCALE_PASSWORD


def build_app():
    from app import create_app
    from app.timeutil import JST
    from config import TestConfig

    class BenchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = TestConfig.SQLALCHEMY_DATABASE_URI
        RATELIMIT_ENABLED = False

    app = create_app(BenchConfig)
    gc.freeze()  # as run.py does after start-up
    # Inside operating hours whatever the hour of the run (the gate closes 0:00-1:00 JST).
    moment = dt.datetime.now(JST).replace(hour=10, minute=0)
    app.config["CLOCK"] = lambda: moment
    return app


def login(app, username):
    client = app.test_client()
    page = client.get("/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login/", data={"username": username, "password": PASSWORD,
                                            "csrf_token": token})
    if response.status_code != 302 or "/login" in response.headers.get("Location", ""):
        raise SystemExit(f"{username}: login failed ({response.status_code})")
    return client


def pick_shops(app):
    """Three scale businesses: one site, the middle, the most sites; with search samples."""
    from sqlalchemy import func, select, text

    from app.extensions import db
    from app.models.certificate import Certificate
    from app.models.tenancy import Site
    from app.security.models import KeizokuUser

    with app.app_context():
        total = db.session.scalar(text("SELECT reltuples::bigint FROM pg_class WHERE relname = 'certificate'"))
        if not total or total < 1_000_000:
            print(f"warning: certificate holds about {total} rows; load `flask demo-data --scale full` first")
        sizes = db.session.execute(
            select(Site.business_id, func.count(Site.id))
            .where(Site.records_enabled.is_(True), Site.business_id.in_(
                select(KeizokuUser.business_id).where(KeizokuUser.username.like("scale%"))))
            .group_by(Site.business_id).order_by(func.count(Site.id), Site.business_id)).all()
        chosen = [sizes[0], sizes[len(sizes) // 2], sizes[-1]]
        shops = []
        for business_id, n_sites in chosen:
            site_id = db.session.scalar(select(Site.id).where(
                Site.business_id == business_id, Site.records_enabled.is_(True)).order_by(Site.id))
            samples = db.session.execute(select(Certificate.registration_number, Certificate.chassis_number)
                                         .where(Certificate.site_id == site_id).limit(200)).all()
            n_certs = db.session.scalar(select(func.count(Certificate.id)).where(
                Certificate.business_id == business_id))
            shops.append(dict(business_id=business_id, sites=n_sites, site_id=site_id,
                              certificates=n_certs, samples=samples,
                              username=f"scale{business_id:05d}-manager"))
        low, high = db.session.execute(select(func.min(Certificate.id), func.max(Certificate.id))).one()
        picks = random.Random(11).sample(range(low, high + 1), 400)
        anywhere = db.session.execute(select(Certificate.registration_number, Certificate.chassis_number)
                                      .where(Certificate.id.in_(picks)).limit(200)).all()
    return shops, anywhere


def pages(shops, anywhere, rng):
    """(label, username, url) for one round, with this round's search terms."""
    out = []
    for shop in shops:
        plate, chassis = rng.choice(shop["samples"])
        serial = plate.split(" ")[-1]
        who, site = shop["username"], shop["site_id"]
        tag = f"{shop['sites']}事業場"
        out += [
            (f"保適証一覧 全事業場 ({tag})", who, "/certificates/list/"),
            (f"保適証一覧 1事業場 ({tag})", who, f"/certificates/list/?site={site}"),
            (f"保適証一覧 登録番号 ({tag})", who, f"/certificates/list/?plate={serial}"),
            (f"保適証一覧 車台番号 ({tag})", who, f"/certificates/list/?chassis={chassis}"),
            (f"記録簿一覧 ({tag})", who, f"/records/?site={site}"),
            (f"記録簿一覧 登録番号 ({tag})", who, f"/records/?site={site}&q={serial}"),
            (f"記録簿一覧 車台番号 ({tag})", who, f"/records/?site={site}&q={chassis}"),
        ]
    plate, chassis = rng.choice(anywhere)
    serial = plate.split(" ")[-1]
    out += [
        ("協会 横断検索 登録番号(一連番号)", "kyokai-admin", f"/association/search/?plate={serial}"),
        ("協会 横断検索 登録番号(全体)", "kyokai-admin", f"/association/search/?plate={plate}"),
        ("協会 横断検索 車台番号", "kyokai-admin", f"/association/search/?chassis={chassis}"),
        ("協会 横断検索 車台番号(下7桁)", "kyokai-admin",
         f"/association/search/?chassis={chassis.split('-')[-1]}"),
        ("協会 送信状況", "kyokai-admin", "/association/certificates/list/"),
        ("協会 送信状況 車台番号", "kyokai-admin", f"/association/certificates/list/?chassis={chassis}"),
    ]
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    from urllib.parse import quote

    app = build_app()
    shops, anywhere = pick_shops(app)
    for shop in shops:
        print(f"{shop['username']}: {shop['sites']} 事業場、保適証 {shop['certificates']:,} 件")
    clients = {u: login(app, u) for u in {s["username"] for s in shops} | {"kyokai-admin"}}
    rng = random.Random(7)
    timings = {}
    for round_no in range(args.rounds + 1):  # round 0 warms the caches and is not counted
        for label, user, url in pages(shops, anywhere, rng):
            url = quote(url, safe="/?=&")
            started = time.perf_counter()
            response = clients[user].get(url)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{label}: {url} answered {response.status_code}")
            if round_no:
                timings.setdefault(label, []).append(elapsed)
    every = []
    print(f"{'page':<36} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for label, values in timings.items():
        every += values
        print(f"{label:<36} {statistics.median(values):8.1f} {percentile(values, 0.95):8.1f} "
              f"{max(values):8.1f}")
    print(f"requests: {len(every)}, p50 {statistics.median(every):.1f} ms")
    print(f"list_p95_ms: {percentile(every, 0.95):.1f}")


if __name__ == "__main__":
    main()
