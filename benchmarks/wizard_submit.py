"""The certificate wizard against the sandbox: server time per step, and certificates per second.

    .venv/bin/python benchmarks/wizard_submit.py [--wizards 30] [--certificates 200] [--threads 8]

Builds a fresh database (a temporary SQLite file, or BENCH_DATABASE_URL for PostgreSQL: it is
dropped and rebuilt), starts the sandbox as a real HTTP server, then:
  1. drives the wizard through the HTTP test client ``--wizards`` times (scan, vehicle,
     inspection, 自賠責, checks with the weight-tax inquiry, pre-flight, certify + send) and
     reports p50/p95 of the time the server spent on each step;
  2. confirms ``--certificates`` certificates from ``--threads`` threads at once, each sent at
     once as the wizard does, and reports certificates per second until all are 連携済.
The last two lines are ``wizard_step_p95_ms`` (the slowest step) and ``certificates_per_s``.
"""
import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import threading
import time

from stats import percentile  # benchmarks/stats.py

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH_URL = os.environ.get("BENCH_DATABASE_URL")
if BENCH_URL:
    os.environ["DATABASE_URL"] = BENCH_URL
os.environ.setdefault("KEIZOKU_CONFIG", "config.TestConfig")

REGISTERED_READS = ["2/-  /234560012/999999/2305/6AA-X", "YZ20/0090/-   /-   /0080/13/",
                    "089/2/-/-/-   /-    /230501/14", "2/横浜\u3000\u3000３０Ａか\u3000\u3000\u3000",
                    "７/A/JTESTVIN{serial:09d}/9ZZ-1MM/1"]
PASSWORD = "Bench-Pass-2026"


def build_app(db_path):
    from config import TestConfig

    class BenchConfig(TestConfig):
        if not BENCH_URL:
            SQLALCHEMY_DATABASE_URI = f"sqlite:///{db_path}"
        RATELIMIT_ENABLED = False

    from app import create_app

    app = create_app(BenchConfig)
    with app.app_context():
        from flask_migrate import upgrade
        from sqlalchemy import text

        from app.commands.roles import sync_roles
        from app.extensions import db

        if BENCH_URL:
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(revision="heads")
        sync_roles()
    return app


def seed(app):
    from app.extensions import db
    from app.models.tenancy import Business, Inspector, Site
    from app.security.models import KeizokuUser
    from app.services.accounts import _hash

    with app.app_context():
        sm = app.appbuilder.sm
        business = Business(name="計測自動車", name_kana="ケイソク", address="東京都", phone="03-0000-0000")
        site = Site(business=business, name="計測工場", address="東京都", district_code="11",
                    designation_number="1234", airas_registered=True, ainas_status="registered")
        db.session.add_all([business, site])
        db.session.flush()
        inspector = Inspector(business_id=business.id, site_id=site.id, name="検査 一郎",
                              inspector_code="00112345")
        db.session.add(inspector)
        user = KeizokuUser(username="bench-inspector", first_name="一郎", last_name="検査",
                           email="bench@example.jp", active=True, business=business, sites=[site],
                           roles=[sm.find_role("inspector")], must_change_password=False)
        user.password = _hash(PASSWORD)
        db.session.add(user)
        db.session.commit()
        return {"business": business.id, "site": site.id, "inspector": inspector.id, "user": user.id}


class Client:
    def __init__(self, app):
        import re

        self.client = app.test_client()
        page = self.client.get("/login/").get_data(as_text=True)
        self.token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        self.client.post("/login/", data={"username": "bench-inspector", "password": PASSWORD,
                                          "csrf_token": self.token})
        page = self.client.get("/certificates/wizard/").get_data(as_text=True)  # a new session's token
        self.token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)

    def timed(self, timings, step, method, url, data=None):
        started = time.perf_counter()
        if method == "GET":
            response = self.client.get(url)
        else:
            response = self.client.post(url, data={**(data or {}), "csrf_token": self.token})
        timings.setdefault(step, []).append((time.perf_counter() - started) * 1000)
        if response.status_code not in (200, 302):
            raise SystemExit(f"{step}: {url} answered {response.status_code}")
        return response


def run_wizards(app, ids, count):
    timings = {}
    client = Client(app)
    for n in range(count):
        response = client.timed(timings, "start", "POST", "/certificates/wizard/start", {"site_id": ids["site"]})
        base = response.headers["Location"].rsplit("/", 1)[0]
        reads = "\n".join(REGISTERED_READS[:-1] + [REGISTERED_READS[-1].format(serial=n)])
        client.timed(timings, "scan", "POST", f"{base}/scan", {"reads": reads})
        client.timed(timings, "vehicle", "POST", f"{base}/vehicle", {
            "vehicle_kind": "registered", "chassis_number": f"JTESTVIN{n:09d}", "plate_area": "横浜",
            "plate_class": "30A", "plate_kana": "か", "plate_serial": "7", "model": "6AA-XYZ20",
            "first_registration": "2023-05", "expiry_date": "2026-12-20", "owner_name": "試験 花子",
            "owner_address": "東京都品川区1-2-3"})
        client.timed(timings, "inspection", "POST", f"{base}/inspection", {
            "inspection_date": "2026-11-26", "inspector_id": ids["inspector"], "odometer_km": "45678",
            "validity_years": "2", "use": "private", "body": "passenger", "eco": "",
            "vehicle_weight_kg": "1200", "application_type": "oss", "application_agent": "jaspa",
            "consent": "y"})
        client.timed(timings, "insurance", "POST", f"{base}/insurance", {
            "policy1_certificate_number": "ABC12345678", "policy1_insurer_name": "試験損保",
            "policy1_start_date": "2026-11-20", "policy1_end_date": "2029-01-20", "policy1_electronic": "y"})
        client.timed(timings, "checks_view", "GET", f"{base}/checks")
        client.timed(timings, "checks", "POST", f"{base}/checks", {
            "weight_tax_yen": "24600", "inspection_fee_yen": "1600", "weight_tax_differs": "0"})
        client.timed(timings, "preflight", "GET", f"{base}/confirm")
        client.timed(timings, "certify_and_send", "POST", f"{base}/certify", {
            "confirmed": ["chassis_number", "vehicle_kind", "issue_date", "inspection_date", "inspector"]})
    return timings


def run_throughput(app, ids, count, threads):
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models.certificate import Certificate, CertificateDraft
    from app.services.certificates import common, confirmation, drafts, sender
    from app.tenancy import Tenant
    from app.timeutil import now

    tenant = Tenant(ids["business"], frozenset({ids["site"]}))
    with app.app_context():
        draft_ids = []
        for n in range(count):
            draft = drafts.start_draft(db.session, tenant, ids["site"], ids["user"])
            drafts.save_vehicle(db.session, draft, {
                "vehicle_kind": "registered", "chassis_number": f"THRU{n:06d}-0000001", "expiry_date": "2026-12-20",
                "owner_name": "試験 花子", "owner_address": "東京都"})
            drafts.save_inspection(db.session, draft, {
                "inspection_date": "2026-11-26", "inspector_id": str(ids["inspector"]), "odometer_km": "1000",
                "validity_years": "2", "use": "private", "body": "passenger", "vehicle_weight_kg": "1200",
                "application_type": "oss", "application_agent": "jaspa", "consent": "y"}, dt.date(2026, 11, 26))
            drafts.save_insurance(db.session, draft, {
                "policy1_certificate_number": "ABC12345678", "policy1_insurer_name": "試験損保",
                "policy1_start_date": "2026-11-20", "policy1_end_date": "2029-01-20", "policy1_electronic": "y"})
            drafts.save_checks(db.session, draft, {"weight_tax_yen": "24600", "inspection_fee_yen": "1600"})
            draft_ids.append(draft.id)
        db.session.commit()
        db.session.remove()

    def confirm(index):
        with app.app_context():
            clients = common.clients_from_config()
            for draft_id in draft_ids[index::threads]:
                moment = now()
                certificate = confirmation.confirm(db.session, db.session.get(CertificateDraft, draft_id),
                                                   ids["user"], set(confirmation.PREFLIGHT_ITEMS), moment)
                db.session.commit()
                sender.send_now(db.session, certificate.id, clients, moment)
            while sender.send_due(db.session, now(), clients):
                pass
            db.session.remove()

    started = time.perf_counter()
    workers = [threading.Thread(target=confirm, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    with app.app_context():
        linked = db.session.scalar(select(func.count()).select_from(Certificate).where(
            Certificate.chassis_number.like("THRU%"), Certificate.status.in_(common.LINKED_STATUSES)))
    if linked != count:
        raise SystemExit(f"only {linked} of {count} certificates reached 連携済")
    return count / elapsed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wizards", type=int, default=30)
    parser.add_argument("--certificates", type=int, default=200)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)

    from app.integrations.sandbox.server import start_sandbox_in_thread
    from app.timeutil import JST

    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(os.path.join(tmp, "bench.db"))
        app.config["CLOCK"] = lambda: dt.datetime(2026, 11, 26, 10, 0, tzinfo=JST)
        base_url, server = start_sandbox_in_thread(port=0)
        app.config.update(AIRAS_BASE_URL=server.url("airas"), AINAS_BASE_URL=server.url("ainas"),
                          MLIT_BASE_URL=server.url("mlit"), MLIT_KEI_BASE_URL=server.url("kei"))
        try:
            ids = seed(app)
            timings = run_wizards(app, ids, args.wizards)
            rate = run_throughput(app, ids, args.certificates, args.threads)
        finally:
            server.stop()
    database = "PostgreSQL" if BENCH_URL else "SQLite"
    print(f"wizard steps over {args.wizards} runs ({database}, sandbox over HTTP), server time in ms:")
    worst = 0.0
    for step, values in timings.items():
        p50, p95 = statistics.median(values), percentile(values, 0.95)
        worst = max(worst, p95)
        print(f"  {step:18s} p50 {p50:7.1f}  p95 {p95:7.1f}")
    print(f"end to end: {args.certificates} certificates from {args.threads} threads, confirmed, sent, 連携済")
    print(f"wizard_step_p95_ms: {worst:.1f}")
    print(f"certificates_per_s: {rate:.1f}")


if __name__ == "__main__":
    main()
