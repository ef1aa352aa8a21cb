"""Load: 200 shop users against gunicorn on PostgreSQL for a fixed time, on localhost only.

    .venv/bin/python benchmarks/load.py [--users 200] [--seconds 60] [--workers 4]
    LOAD_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/keizoku_scale  (the default)

Against a database loaded by `flask demo-data --scale full` (it adds, or reuses, 200 logins
``load-user-001`` … as inspectors of 200 sites of different scale businesses, and writes the
certificates and records the users create). It starts, and stops at the end:
  - the sandbox (``python -m app.integrations.sandbox --profile fast``) on a free port;
  - ``gunicorn -w <workers> --threads 2 --keep-alive 30 -b 127.0.0.1:<port> 'run:app'``
    (keep-alive longer than the think time, as a proxy's upstream connections would be) with
    KEIZOKU_CONFIG=config.DevelopmentConfig (plain http on localhost), DATABASE_URL the load
    database, the outside-system URLs pointing at the sandbox, and
    AUTH_RATE_LIMIT="100000 per minute": every simulated user logs in from 127.0.0.1, and
    with RATELIMIT_STORAGE_URI=memory:// each worker counts alone; in production the limit
    stays 20 per minute per address and is shared through Redis (docs/operations.md).
Each user logs in first (not measured), then for ``--seconds`` repeats, with ``--think``
(default 5-15 s) of thinking between requests (a person typing a wizard step or tapping
through a record), a mix of
  - lists: the certificate list (all sites, one site, by plate) and the site's record list;
  - the certificate wizard: start, scan, vehicle, inspection, 自賠責, checks (view, save),
    pre-flight, certify and send to the sandbox — one request per step;
  - record entry: a new 24-month record, the entry screen, three taps on checks and one
    "all good" for a device.
Every response is checked (status and, for JSON, ``ok``); anything else is an error. The last
lines are ``load_rps``, ``load_p95_ms`` and ``load_errors`` (targets: p95 under 300 ms, no
errors, on this 2-core machine).

``--via-nginx`` runs the production topology instead (scripts/topology.py, as the rehearsal
does): nginx terminating TLS in front of two gunicorn instances (``--workers`` each, default
2), ``config.Config`` with valid operator settings, ``TRUSTED_PROXY_COUNT=1``, rate limits in
the local Redis at their production value (each user connects from its own loopback address,
127.0.1.1 onwards, as people in different shops do), and one scheduler running the
certificate sender. The March peak is ``--via-nginx --users 280`` (1.38× today's 200); the
last lines are then ``peak_p95_ms`` and ``peak_errors`` (targets: under 200 ms and 0).
"""
import argparse
import datetime as dt
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from stats import percentile  # benchmarks/stats.py

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "scripts")]  # the app; scripts/topology.py
LOAD_URL = os.environ.get("LOAD_DATABASE_URL",
                          "postgresql://postgres@127.0.0.1:5432/keizoku_scale")
PASSWORD = "Load-Pass-2026"
def japan_today():
    """The shop's today (Japan time): between 0:00 and 9:00 JST the machine's UTC date is
    yesterday, and a 承諾書 signed today would postdate that inspection."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo("Asia/Tokyo")).date()


def _signature_data_url():
    """What the 承諾書 pad posts: a PNG data URL with a stroke on a transparent canvas."""
    import base64
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (120, 40), (0, 0, 0, 0))
    ImageDraw.Draw(image).line((10, 30, 60, 8, 110, 28), fill=(0, 0, 0, 255), width=3)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


SIGNATURE = _signature_data_url()

READS = ["2/-  /234560012/999999/2305/6AA-X", "YZ20/0090/-   /-   /0080/13/",
         "089/2/-/-/-   /-    /230501/14", "2/横浜\u3000\u3000３０Ａか\u3000\u3000\u3000",
         "７/A/JTESTVIN{serial:09d}/9ZZ-1MM/1"]
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_users(count):
    """``count`` inspectors, each at one site of a different scale business; ids of their sites."""
    os.environ["DATABASE_URL"] = LOAD_URL
    from sqlalchemy import func, select

    from app import create_app
    from app.extensions import db
    from app.models.tenancy import Inspector, Site
    from app.security.models import KeizokuUser
    from app.services.accounts import _hash
    from config import DevelopmentConfig

    app = create_app(DevelopmentConfig)
    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.find_role("inspector")
        rows = db.session.execute(
            select(func.min(Site.id)).join(Inspector, Inspector.site_id == Site.id)
            .where(Site.records_enabled.is_(True), Site.airas_registered.is_(True),
                   Site.ainas_status == "registered", Site.business_id.in_(
                       select(KeizokuUser.business_id).where(KeizokuUser.username.like("scale%"))))
            .group_by(Site.business_id).order_by(Site.business_id).limit(count)).scalars().all()
        if len(rows) < count:
            raise SystemExit(f"only {len(rows)} scale businesses: load `flask demo-data --scale full` first")
        password = _hash(PASSWORD)
        users = []
        for n, site_id in enumerate(rows, start=1):
            site = db.session.get(Site, site_id)
            username = f"load-user-{n:03d}"
            user = db.session.scalar(select(KeizokuUser).where(KeizokuUser.username == username))
            if user is None:
                user = KeizokuUser(username=username, first_name="負荷", last_name=f"試験{n:03d}",
                                   email=f"{username}@example.jp", active=True)
                db.session.add(user)
            user.business_id, user.sites, user.roles = site.business_id, [site], [role]
            user.password, user.must_change_password, user.locked_until = password, False, None
            user.fail_login_count = 0
            inspector = db.session.scalar(select(Inspector.id).where(Inspector.site_id == site_id)
                                          .order_by(Inspector.id))
            users.append((username, site_id, inspector))
        db.session.commit()
    return users


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.times, self.errors, self.kinds = [], [], {}

    def add(self, kind, elapsed_ms, error=None):
        with self.lock:
            self.times.append(elapsed_ms)
            self.kinds.setdefault(kind, []).append(elapsed_ms)
            if error:
                self.errors.append(f"{kind}: {error}")


class ShopUser:
    think = (5.0, 15.0)
    password = PASSWORD

    def __init__(self, base, username, site_id, inspector_id, number, run_tag, stats, rng):
        self.base, self.username, self.site_id, self.inspector_id = base, username, site_id, inspector_id
        self.number, self.run_tag, self.stats, self.rng = number, run_tag, stats, rng
        self.session = requests.Session()
        self.token = None
        self.counter = 0

    def login(self):
        page = self.session.get(f"{self.base}/login/", timeout=60).text
        token = CSRF_INPUT.search(page).group(1)
        response = self.session.post(f"{self.base}/login/", timeout=60, allow_redirects=False, data={
            "username": self.username, "password": self.password, "csrf_token": token})
        if response.status_code != 302 or "/login" in response.headers.get("Location", ""):
            raise RuntimeError(f"{self.username}: login answered {response.status_code}")
        page = self.session.get(f"{self.base}/certificates/wizard/", timeout=60).text
        self.token = CSRF_META.search(page).group(1)

    def request(self, kind, method, path, expect=(200,), **kw):
        started = time.perf_counter()
        error, response = None, None
        try:
            response = self.session.request(method, f"{self.base}{path}", timeout=30,
                                            allow_redirects=False, **kw)
            if response.status_code not in expect:
                error = f"{method} {path} answered {response.status_code}"
            elif "json" in response.headers.get("Content-Type", "") and response.json().get("ok") is False:
                error = f"{method} {path}: {response.json().get('error')}"
        except requests.RequestException as exc:
            error = f"{method} {path}: {exc.__class__.__name__}"
        self.stats.add(kind, (time.perf_counter() - started) * 1000, error)
        return response if error is None else None

    def post(self, kind, path, data, expect=(302,)):
        return self.request(kind, "POST", path, expect=expect, data={**data, "csrf_token": self.token})

    # -- activities: generators yielding between requests (the user thinks there) ----------
    def lists(self):
        rng = self.rng
        choice = rng.random()
        if choice < 0.3:
            self.request("保適証一覧", "GET", "/certificates/list/")
        elif choice < 0.5:
            self.request("保適証一覧", "GET", f"/certificates/list/?site={self.site_id}")
        elif choice < 0.65:
            self.request("保適証一覧 検索", "GET", f"/certificates/list/?plate={rng.randint(1, 99)}-{rng.randint(0, 99):02d}")
        else:
            self.request("記録簿一覧", "GET", f"/records/?site={self.site_id}")
        yield

    def wizard(self):
        self.counter += 1
        serial = int(f"{self.run_tag:03d}{self.number:03d}{self.counter % 1000:03d}")
        today = japan_today()
        response = self.post("作成 開始", "/certificates/wizard/start", {"site_id": self.site_id})
        if response is None:
            return
        base = response.headers["Location"].split("://", 1)[-1]
        base = base[base.index("/"):].rsplit("/", 1)[0]
        yield
        reads = "\n".join(READS[:-1] + [READS[-1].format(serial=serial)])
        if self.post("作成 読み取り", f"{base}/scan", {"reads": reads}) is None:
            return
        yield
        if self.post("作成 車両", f"{base}/vehicle", {
            "vehicle_kind": "registered", "chassis_number": f"JTESTVIN{serial:09d}", "plate_area": "横浜",
            "plate_class": "30A", "plate_kana": "か", "plate_serial": str(self.counter % 9999 + 1),
            "model": "6AA-XYZ20", "first_registration": "2023-05",
            "expiry_date": (today + dt.timedelta(days=20)).isoformat(), "owner_name": "試験 花子",
            "owner_address": "東京都品川区1-2-3"}) is None:
            return
        yield
        # The customer signs the 承諾書 on the tablet; OSS needs it for this 車台番号 (15.5).
        if self.post("承諾書", "/consents/new", {
            "site_id": self.site_id, "customer_name": "試験 花子", "signer_name": "試験 花子",
            "chassis_numbers": f"JTESTVIN{serial:09d}", "validity_months": "3",
            "signature": SIGNATURE}) is None:
            return
        yield
        if self.post("作成 検査", f"{base}/inspection", {
            "inspection_date": today.isoformat(), "inspector_id": self.inspector_id,
            "odometer_km": "45678", "validity_years": "2", "use": "private", "body": "passenger",
            "eco": "", "vehicle_weight_kg": "1200", "application_type": "oss",
            "application_agent": "jaspa"}) is None:
            return
        yield
        if self.post("作成 自賠責", f"{base}/insurance", {
            "policy1_certificate_number": "ABC12345678", "policy1_insurer_name": "東京海上日動",
            "policy1_start_date": (today - dt.timedelta(days=6)).isoformat(),
            "policy1_end_date": (today + dt.timedelta(days=800)).isoformat(), "policy1_electronic": "y"}) is None:
            return
        yield
        if self.request("作成 確認事項", "GET", f"{base}/checks") is None:
            return
        yield
        if self.post("作成 確認事項", f"{base}/checks", {
                "weight_tax_yen": "24600", "inspection_fee_yen": "1600", "weight_tax_differs": "0"}) is None:
            return
        yield
        if self.request("作成 確定前", "GET", f"{base}/confirm") is None:
            return
        yield
        self.post("作成 確定・送信", f"{base}/certify", {
            "confirmed": ["chassis_number", "vehicle_kind", "issue_date", "inspection_date", "inspector"]})
        yield

    def record_entry(self):
        today = japan_today()
        response = self.post("記録簿 作成", "/records/new", {
            "site_id": self.site_id, "kind": "designated", "form": "beppyo6", "interval_months": "24",
            "inspection_date": today.isoformat(), "certificate_id": "",
            "registration_number": f"横浜 300 さ {self.rng.randint(10, 99)}-{self.rng.randint(10, 99)}",
            "chassis_number": f"ZVW30-{self.rng.randint(1000000, 9999999)}", "customer_name": "試験 次郎"})
        if response is None:
            return
        path = response.headers["Location"].split("://", 1)[-1]
        path = path[path.index("/"):]
        yield
        response = self.request("記録簿 入力画面", "GET", path)
        if response is None:
            return
        checks = re.findall(r'data-check="([^"]+)"', response.text)
        devices = re.findall(r'data-device="([^"]+)"', response.text)
        headers = {"X-CSRFToken": self.token}
        for check in self.rng.sample(checks, min(3, len(checks))):
            yield
            self.request("記録簿 タップ", "POST", f"{path}/result", json={"check_id": check, "symbols": ["✓"]},
                         headers=headers)
        if devices:
            yield
            self.request("記録簿 装置ごと良好", "POST", f"{path}/device-good",
                         json={"device": self.rng.choice(devices)}, headers=headers)
        yield

    def run(self, start_at, stop_at):
        rng = self.rng
        while time.time() < start_at:
            time.sleep(0.05)
        while time.time() < stop_at:
            roll = rng.random()
            activity = self.lists() if roll < 0.55 else (self.wizard() if roll < 0.8 else self.record_entry())
            for _ in activity:
                time.sleep(rng.uniform(*self.think))
                if time.time() >= stop_at:
                    return


def wait_for(url, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {seconds} s")


def user_address(number):
    """The loopback address user ``number`` (1-based) connects from: 127.0.1.1, …, 127.0.1.250,
    127.0.2.1, …"""
    return f"127.0.{1 + (number - 1) // 250}.{1 + (number - 1) % 250}"


def start_via_nginx(args, run_dir):
    """The rehearsal's topology on the load database; (topology, base URL, CA file)."""
    from topology import Topology, answers, production_env, wait_for as wait_until

    ports = {name: free_port() for name in ("nginx", "web-a", "web-b", "sandbox", "smtp")}
    env = production_env(database_url=LOAD_URL, public_url="https://keizoku.load.example",
                         sandbox_url=f"http://127.0.0.1:{ports['sandbox']}",
                         smtp_port=ports["smtp"], redis_url="redis://127.0.0.1:6379/13")
    topology = Topology(run_dir, env)
    topology.start_sandbox(ports["sandbox"])
    for name in ("web-a", "web-b"):
        topology.start_gunicorn(name, ports[name], workers=args.workers)
    cert = topology.start_nginx(ports["nginx"], [ports["web-a"], ports["web-b"]])
    topology.start_scheduler("scheduler", "--only", "certificate_send")
    base = f"https://127.0.0.1:{ports['nginx']}"
    for name in ("web-a", "web-b"):
        wait_until(lambda: answers(f"http://127.0.0.1:{ports[name]}/login/"), 120, name)
    wait_until(lambda: answers(f"{base}/login/", verify=str(cert)), 30, "nginx")
    return topology, base, cert


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default 4; with --via-nginx, per instance, default 2)")
    parser.add_argument("--think", default="5,15",
                        help="seconds a user thinks between two requests, min,max (default 5,15)")
    parser.add_argument("--via-nginx", action="store_true",
                        help="through nginx and two gunicorn instances, config.Config (the March peak: --users 280)")
    args = parser.parse_args()
    ShopUser.think = tuple(float(v) for v in args.think.split(","))
    args.workers = args.workers or (2 if args.via_nginx else 4)

    users = prepare_users(args.users)
    if args.via_nginx:
        return run_via_nginx(args, users)
    app_port, sandbox_port = free_port(), free_port()
    sandbox = f"http://127.0.0.1:{sandbox_port}"
    env = dict(os.environ, KEIZOKU_CONFIG="config.DevelopmentConfig", DATABASE_URL=LOAD_URL,
               AUTH_RATE_LIMIT="100000 per minute", RATELIMIT_STORAGE_URI="memory://",
               SANDBOX_PORT=str(sandbox_port), AIRAS_BASE_URL=f"{sandbox}/airas",
               AINAS_BASE_URL=f"{sandbox}/ainas", MLIT_BASE_URL=f"{sandbox}/mlit",
               MLIT_KEI_BASE_URL=f"{sandbox}/kei", SESSION_COOKIE_SECURE="0")
    python = sys.executable
    processes = [
        subprocess.Popen([python, "-m", "app.integrations.sandbox", "--host", "127.0.0.1",
                          "--port", str(sandbox_port), "--profile", "fast", "--state-file", ""],
                         cwd=ROOT, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen([os.path.join(os.path.dirname(python), "gunicorn"), "-w", str(args.workers),
                          "--threads", "2", "-b", f"127.0.0.1:{app_port}", "--timeout", "60",
                          "--keep-alive", "30",
                          "--log-level", "warning", "run:app"], cwd=ROOT, env=env),
    ]
    try:
        base = f"http://127.0.0.1:{app_port}"
        wait_for(f"{base}/login/")
        wait_for(f"{sandbox}/")
        stats, elapsed = run_users(args, base, users, f"gunicorn -w {args.workers} --threads 2")
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    report(stats, elapsed)


def run_users(args, base, users, where, session_for=None):
    """Log every user in (not measured), then run them for ``--seconds``; (stats, seconds)."""
    stats = Stats()
    run_tag = int(time.time()) % 1000
    shop_users = [ShopUser(base, name, site, inspector, n, run_tag, stats, random.Random(n))
                  for n, (name, site, inspector) in enumerate(users, start=1)]
    if session_for is not None:
        for n, user in enumerate(shop_users, start=1):
            user.session = session_for(n)
    started = time.perf_counter()
    for user in shop_users:  # logins are the ramp-up, not measured
        user.login()
    print(f"{len(shop_users)} users logged in ({time.perf_counter() - started:.1f} s); running "
          f"{args.seconds} s on {where}, think {args.think} s")
    start_at = time.time() + 1
    stop_at = start_at + args.seconds
    # Users arrive spread over one think time, as they would in steady state (not all at once).
    threads = [threading.Thread(target=u.run, args=(start_at + random.Random(i).uniform(0, ShopUser.think[1]),
                                                    stop_at),
                                daemon=True) for i, u in enumerate(shop_users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1, stop_at - time.time() + 35))
    return stats, time.time() - start_at


def run_via_nginx(args, users):
    from topology import client_session

    run_dir = tempfile.mkdtemp(prefix="load-nginx-", dir=os.path.join(ROOT, "instance"))
    os.chmod(run_dir, 0o755)
    topology, base, cert = start_via_nginx(args, Path(run_dir))
    try:
        stats, elapsed = run_users(
            args, base, users, f"nginx -> 2 × gunicorn -w {args.workers} --threads 2",
            session_for=lambda n: client_session(base, user_address(n), cert))
    finally:
        topology.stop_all()
    report(stats, elapsed)
    print(f"logs: {run_dir}")
    print(f"peak_p95_ms: {percentile(stats.times, 0.95):.1f}")
    print(f"peak_errors: {len(stats.errors)}")


def report(stats, elapsed):
    print(f"{'request':<22} {'count':>6} {'p50 ms':>8} {'p95 ms':>8}")
    for kind, values in sorted(stats.kinds.items()):
        print(f"{kind:<22} {len(values):6d} {statistics.median(values):8.1f} {percentile(values, 0.95):8.1f}")
    for error in stats.errors[:10]:
        print("error:", error)
    print(f"requests: {len(stats.times)} in {elapsed:.1f} s")
    print(f"load_rps: {len(stats.times) / elapsed:.1f}")
    print(f"load_p95_ms: {percentile(stats.times, 0.95):.1f}")
    print(f"load_errors: {len(stats.errors)}")


if __name__ == "__main__":
    main()
