"""Production rehearsal on this machine: the topology of docs/operations.md on localhost, a
smoke scenario through nginx, a scheduler takeover. The last line is ``rehearsal: ok`` or
``rehearsal: failed: <what>``.

    .venv/bin/python scripts/rehearse_production.py [--database rehearsal] [--keep]

It starts (scripts/topology.py), and stops at the end:
  - nginx from Debian's package (apt-get install nginx when missing) terminating TLS with a
    self-signed certificate on a free port of 127.0.0.1, in front of
  - two gunicorn instances of ``run:app`` (``-w 2 --threads 2`` each), ``config.Config`` with
    valid operator settings (none of them samples) and ``TRUSTED_PROXY_COUNT=1``;
  - PostgreSQL: the database ``rehearsal``, dropped and created afresh (dropped again at the
    end unless ``--keep``); rate limits in the local Redis (database 14; its counters expire
    by themselves within the limit's minute);
  - two schedulers (``python -m scheduler``: one active, one standby), the sandbox for
    AIRAS/AINAS/MLIT (profile ``fast``), and an SMTP server (aiosmtpd) in this process.
Two clients connect from their own loopback addresses (127.0.0.2 the association, 127.0.0.3 a
shop); nginx passes the connecting address in X-Forwarded-For, so the app's rate limit and audit
log see each client (a forged X-Forwarded-For sent by a client is not believed).

The smoke scenario: the association logs in and issues a shop inspector's account, whose
利用登録通知書 arrives by mail; the inspector logs in with the mailed password, changes it and
takes a 保適証 through the wizard to 連携済 (the scheduler's sender follows it at the sandbox);
the scheduler's catch-up closes last month (``flask demo-data`` gave it usage) when it takes
the lock; the association produces and downloads the 全銀 debit file; 25 failed logins from one
client are
throttled by the limit shared through Redis while the other client still logs in; the audit
log holds both client addresses. Then the active scheduler is frozen (SIGSTOP): the standby
takes over once the heartbeat is stale, the association's status screen shows it, and the
frozen one, woken, exits without running a job; restarted as a standby, it takes over at once
when the active one is killed (SIGKILL).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from topology import (  # noqa: E402  (scripts/ is this script's directory)
    Topology, answers, client_session, free_port, production_env, remove_tree, wait_for,
)

ADMIN, ADMIN_PASSWORD = "kyokai-admin", "Demo-Pass-2026"  # flask demo-data's association admin
INSPECTOR = "rehearsal-inspector"
INSPECTOR_EMAIL = "inspector@sakura-motors.example.jp"
INSPECTOR_PASSWORD = "Rehearsal-Pass-2026"
ADMIN_ADDRESS, SHOP_ADDRESS = "127.0.0.2", "127.0.0.3"
FORGED_ADDRESS = "203.0.113.77"  # what the association's client claims in X-Forwarded-For
REDIS_URL = "redis://127.0.0.1:6379/14"
HEARTBEAT, STALE = 1.0, 5.0  # short for the rehearsal; production: 5 and 30 (§4)
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class Failed(Exception):
    """One check of the rehearsal did not hold; the message says which."""


def check(condition, message):
    if not condition:
        raise Failed(message)


class Steps:
    def __init__(self):
        self.started = time.monotonic()

    def __call__(self, text):
        print(f"[{time.monotonic() - self.started:6.1f} s] {text}", flush=True)


def csrf(page: str) -> str:
    match = CSRF_INPUT.search(page) or CSRF_META.search(page)
    check(match, "a page carried no CSRF token")
    return match.group(1)


def login(session, base, username, password):
    """The login form as a browser posts it; the Location answered."""
    token = csrf(session.get(f"{base}/login/", timeout=30).text)
    response = session.post(f"{base}/login/", timeout=30, allow_redirects=False, data={
        "username": username, "password": password, "csrf_token": token})
    return response


def logged_in(session, base, username, password):
    response = login(session, base, username, password)
    check(response.status_code == 302 and "/login" not in response.headers.get("Location", ""),
          f"{username} could not log in through nginx ({response.status_code})")
    return response.headers["Location"]


def post_form(session, base, page_path, post_path, data, what):
    token = csrf(session.get(f"{base}{page_path}", timeout=30).text)
    response = session.post(f"{base}{post_path}", data={**data, "csrf_token": token},
                            timeout=60, allow_redirects=False)
    check(response.status_code == 302, f"{what} answered {response.status_code}")
    return response


# --- Set-up ---------------------------------------------------------------------------------


def in_shop_hours(config_module):
    from app.domain.hours import Hours, is_closed
    from app.timeutil import JST

    c = config_module.Config
    hours = Hours.from_settings(c.MAINTENANCE_DAILY_START, c.MAINTENANCE_DAILY_END,
                                c.HOLIDAY_CLOSURE_START, c.HOLIDAY_CLOSURE_END)
    return not is_closed(dt.datetime.now(JST), hours)


def recreate_database(name):
    for command in (["dropdb", "--if-exists", "--force"], ["createdb"]):
        subprocess.run([*command, "-h", "127.0.0.1", "-U", "postgres", name], check=True,
                       capture_output=True)


def start_smtp(port):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Keep(Message):
        def handle_message(self, message):
            received.append(message)

    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    return controller, received


def mail_body(message):
    part = message.get_payload(0) if message.is_multipart() else message
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


# --- Checks on the database -----------------------------------------------------------------


def heartbeat(app, stale_after=STALE):
    from app.extensions import db
    from app.services.scheduler_status import heartbeats
    from app.timeutil import system_clock

    with app.app_context():
        try:
            beats = heartbeats(db.session, system_clock(), stale_after)
        finally:
            db.session.remove()
    return next((b for b in beats if b.host is not None), None)


def active_pid(app, wanted=None):
    beat = heartbeat(app)
    if beat is None or beat.stale or (wanted is not None and beat.pid != wanted):
        return None
    return beat.pid


def month_state(app, label):
    from sqlalchemy import select

    from app.extensions import db
    from app.models.invoice import BillingMonth

    with app.app_context():
        try:
            return db.session.scalar(select(BillingMonth.state).where(
                BillingMonth.year_month == label))
        finally:
            db.session.remove()


def certificate_of(app, site_id):
    from sqlalchemy import select

    from app.extensions import db
    from app.models.certificate import Certificate

    with app.app_context():
        try:
            # The wizard's (benchmarks/load.py) 車台番号, not one of flask demo-data's.
            row = db.session.scalars(select(Certificate).where(
                Certificate.site_id == site_id, Certificate.chassis_number.like("JTESTVIN%"))
                .order_by(Certificate.id.desc())).first()
            return (row.id, row.status) if row else (None, None)
        finally:
            db.session.remove()


def audit_addresses(app):
    """(actor, action) -> the set of client addresses the audit log holds for it."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models.audit import AuditLog

    found = {}
    with app.app_context():
        try:
            for actor, action, address in db.session.execute(select(
                    AuditLog.actor_username, AuditLog.action, AuditLog.remote_addr)):
                found.setdefault((actor, action), set()).add(address)
        finally:
            db.session.remove()
    return found


def demo_ids(app):
    from sqlalchemy import select

    from app.extensions import db
    from app.models.tenancy import Business, Inspector, Site

    with app.app_context():
        try:
            business = db.session.scalars(select(Business).where(
                Business.name == "株式会社さくらモータース")).one()
            site = db.session.scalars(select(Site).where(Site.business_id == business.id,
                                                         Site.name == "本社工場")).one()
            inspector = db.session.scalars(select(Inspector.id).where(
                Inspector.site_id == site.id)).first()
            role = app.appbuilder.sm.find_role("inspector")
            return business.id, site.id, inspector, role.id
        finally:
            db.session.remove()


# --- The scenario ---------------------------------------------------------------------------


def issue_account(admin, base, received, ids):
    business_id, site_id, _, role_id = ids
    post_form(admin, base, "/association/accounts/add", "/association/accounts/add", {
        "username": INSPECTOR, "last_name": "予行", "first_name": "検査員", "email": INSPECTOR_EMAIL,
        "business": business_id, "sites": site_id, "roles": role_id}, "issuing the account")
    message = wait_for(lambda: next((m for m in received if INSPECTOR_EMAIL in m["To"]), None),
                       30, "the 利用登録通知書 mail at the SMTP server")
    body = mail_body(message)
    password = re.search(r"■ 初期パスワード\n(\S+)", body)
    check(password, "the notice mail carries no initial password")
    check(os.environ["PUBLIC_BASE_URL"] in body,
          "the notice mail's login URL does not start with PUBLIC_BASE_URL")
    return password.group(1)


def first_login(shop, base, initial_password):
    location = logged_in(shop, base, INSPECTOR, initial_password)
    page = shop.get(f"{base}/account/password", timeout=30)
    check(page.status_code == 200 and "現在のパスワード" in page.text,
          f"the forced password change did not open after the first login ({location})")
    post_form(shop, base, "/account/password", "/account/password", {
        "current_password": initial_password, "new_password": INSPECTOR_PASSWORD,
        "confirm_password": INSPECTOR_PASSWORD}, "changing the initial password")


def run_wizard(shop, base, ids):
    """The load benchmark's wizard (benchmarks/load.py), one step after another."""
    from load import ShopUser, Stats

    _, site_id, inspector_id, _ = ids
    stats = Stats()
    user = ShopUser(base, INSPECTOR, site_id, inspector_id, 1, int(time.time()) % 1000, stats,
                    random.Random(1))
    user.session = shop
    user.token = csrf(shop.get(f"{base}/certificates/wizard/", timeout=30).text)
    for _ in user.wizard():
        pass
    check(not stats.errors, f"the wizard failed: {stats.errors[:3]}")
    check(len(stats.times) == 10, f"the wizard made {len(stats.times)} requests, not 10")


def debit_file(admin, base, month):
    from app.reports import zengin

    page = admin.get(f"{base}/billing/admin/months/{month}/", timeout=30)
    check(page.status_code == 200 and "締め済" in page.text,
          f"the month screen does not show {month} as closed")
    post_form(admin, base, f"/billing/admin/months/{month}/",
              f"/billing/admin/months/{month}/debit-file", {}, "producing the debit file")
    response = admin.get(f"{base}/billing/admin/months/{month}/debit-file", timeout=30)
    check(response.status_code == 200, f"the debit file download answered {response.status_code}")
    problems = zengin.validate_file(response.content)
    check(not problems, f"the debit file has problems: {problems[:3]}")
    records = zengin.split_records(response.content)  # header, data…, trailer, end: checked
    check(records[0][4:14].decode() == os.environ["DEBIT_CONSIGNOR_CODE"],
          "the debit file's header does not carry DEBIT_CONSIGNOR_CODE")
    debits = sum(1 for r in records if r[:1] == b"2")
    check(debits >= 1, "the debit file has no debit")
    return debits


def throttled_elsewhere(base, cert):
    """25 wrong logins from one client: the limit (20 a minute, shared by both instances and
    all their workers through Redis) refuses the rest; the other client still logs in."""
    import redis

    attacker = client_session(base, ADMIN_ADDRESS, cert)
    answers_seen = [login(attacker, base, "no-such-user", "wrong-Pass-1").status_code
                    for _ in range(25)]
    check(429 in answers_seen, f"25 failed logins from one client were never throttled: {answers_seen}")
    first = answers_seen.index(429) + 1
    check(first <= 21, f"the limit counted per instance or worker: first 429 at attempt {first}")
    shop = client_session(base, SHOP_ADDRESS, cert)
    logged_in(shop, base, INSPECTOR, INSPECTOR_PASSWORD)
    keys = redis.Redis.from_url(REDIS_URL).keys(f"*{ADMIN_ADDRESS}*")
    check(keys, "no rate-limit counter for the client in Redis")
    return first


def audit_holds_client_addresses(app):
    found = audit_addresses(app)
    admin = found.get((ADMIN, "login_success"), set())
    shop = found.get((INSPECTOR, "login_success"), set())
    created = found.get((ADMIN, "create"), set())
    check(admin == {ADMIN_ADDRESS}, f"the admin's logins are logged from {admin or 'nowhere'}")
    check(shop == {SHOP_ADDRESS}, f"the inspector's logins are logged from {shop or 'nowhere'}")
    check(created == {ADMIN_ADDRESS}, f"the account's creation is logged from {created or 'nowhere'}")
    everything = set().union(*found.values())
    check(FORGED_ADDRESS not in everything, "the audit log believed a forged X-Forwarded-For")


def status_screen_shows(admin, base, pid):
    page = admin.get(f"{base}/association/certificates/list/", timeout=30).text
    return "稼働中" in page and f"(プロセス {pid})" in page


def scheduler_takeover(topology, app, admin, base, step):
    names = {p.pid: n for n, p in topology.processes.items() if n.startswith("scheduler")}
    active = wait_for(lambda: active_pid(app), 30, "an active scheduler")
    check(active in names, f"the lock is held by pid {active}, not by a scheduler started here")
    standby = next(pid for pid in names if pid != active)
    frozen = names[active]

    log_path = topology.log_path(frozen)
    offset = log_path.stat().st_size
    topology.signal(frozen, signal.SIGSTOP)
    frozen_at = time.monotonic()
    wait_for(lambda: active_pid(app, standby), STALE + 60, "the standby to take over")
    took = time.monotonic() - frozen_at
    check(took >= STALE - HEARTBEAT - 0.5, f"the standby took over after {took:.1f} s, before "
          f"the heartbeat was stale ({STALE:.0f} s)")
    step(f"scheduler {active} frozen (SIGSTOP): standby {standby} took over after {took:.1f} s")
    wait_for(lambda: status_screen_shows(admin, base, standby), 30,
             "the status screen to show the new scheduler")

    topology.signal(frozen, signal.SIGCONT)
    code = topology.processes[frozen].wait(60)
    after = log_path.read_bytes()[offset:].decode(errors="replace")
    check(code == 3, f"the woken scheduler exited with {code}, not 3 (lock lost)")
    check("lost" in after, "the woken scheduler did not log that it lost the lock")
    check(not re.search(r"job \S+ started", after), "the woken scheduler ran a job")
    step("the frozen scheduler, woken (SIGCONT), exited with 3 without running a job")

    restarted = topology.start_scheduler(frozen + "-restarted")  # as systemd would
    wait_for(lambda: "standing by" in topology.log_path(frozen + "-restarted").read_text(), 60,
             "the restarted scheduler to stand by")
    topology.signal(names[standby], signal.SIGKILL)
    killed_at = time.monotonic()
    wait_for(lambda: active_pid(app, restarted.pid), 30, "the standby to take over after a kill")
    step(f"scheduler {standby} killed (SIGKILL): {restarted.pid} took over after "
         f"{time.monotonic() - killed_at:.1f} s")
    wait_for(lambda: status_screen_shows(admin, base, restarted.pid), 30,
             "the status screen to show the restarted scheduler")


def rehearse(args, topology, app, received, ports, step):
    base = f"https://127.0.0.1:{ports['nginx']}"
    step("flask deploy-check, db upgrade heads, roles sync, demo-data")
    topology.flask("deploy-check")  # exit 1 on a missing, sample or invalid operator setting
    topology.flask("db", "upgrade", "heads")
    topology.flask("roles", "sync")
    topology.flask("demo-data")  # the demo tenants with the last two months of use
    from app.services.billing import previous_month
    from app.timeutil import JST

    today = dt.datetime.now(JST).date()
    month = "%04d-%02d" % previous_month(today.year, today.month)
    check(month_state(app, month) is None, f"{month} was closed before the scheduler started")
    ids = demo_ids(app)

    topology.start_sandbox(ports["sandbox"])
    for name in ("web-a", "web-b"):
        topology.start_gunicorn(name, ports[name])
    cert = topology.start_nginx(ports["nginx"], [ports["web-a"], ports["web-b"]])
    for name in ("web-a", "web-b"):
        wait_for(lambda: answers(f"http://127.0.0.1:{ports[name]}/login/"), 90, f"gunicorn {name}")
    wait_for(lambda: answers(f"{base}/login/", verify=str(cert)), 30, "nginx")
    topology.start_scheduler("scheduler-a")
    wait_for(lambda: active_pid(app), 90, "the first scheduler to take the lock")
    topology.start_scheduler("scheduler-b")
    wait_for(lambda: "standing by" in topology.log_path("scheduler-b").read_text(), 90,
             "the second scheduler to stand by")
    step(f"up: nginx https://127.0.0.1:{ports['nginx']} -> gunicorn :{ports['web-a']} "
         f":{ports['web-b']}, 2 schedulers, sandbox, SMTP :{ports['smtp']}, Redis, PostgreSQL "
         f"{args.database}")

    admin = client_session(base, ADMIN_ADDRESS, cert)
    admin.headers["X-Forwarded-For"] = FORGED_ADDRESS
    logged_in(admin, base, ADMIN, ADMIN_PASSWORD)
    initial = issue_account(admin, base, received, ids)
    step(f"{ADMIN} (from {ADMIN_ADDRESS}) issued {INSPECTOR}; the notice came by mail")
    shop = client_session(base, SHOP_ADDRESS, cert)
    first_login(shop, base, initial)
    run_wizard(shop, base, ids)
    certificate_id, status = certificate_of(app, ids[1])
    check(certificate_id is not None, "the wizard left no certificate")
    step(f"{INSPECTOR} (from {SHOP_ADDRESS}) changed the password and certified "
         f"certificate {certificate_id} ({status})")

    wait_for(lambda: month_state(app, month) == "closed", 120, f"the scheduler to close {month}")
    log = "".join(topology.log_path(n).read_text() for n in ("scheduler-a", "scheduler-b"))
    check("job billing_close_catch_up finished" in log, "no scheduler log of the closing job")
    step(f"{month} closed by the scheduler's catch-up job")
    debits = debit_file(admin, base, month)
    step(f"debit file of {month}: {debits} debits, every record valid")

    first = throttled_elsewhere(base, cert)
    step(f"failed logins from {ADMIN_ADDRESS} throttled from attempt {first} (Redis); "
         f"{SHOP_ADDRESS} still logged in")
    audit_holds_client_addresses(app)
    step("the audit log holds each client's own address")

    wait_for(lambda: certificate_of(app, ids[1])[1] == "linked", 180,
             f"certificate {certificate_id} to reach 連携済")
    page = shop.get(f"{base}/certificates/{certificate_id}", timeout=30)
    check(page.status_code == 200 and "連携済" in page.text,
          "the certificate's page does not show 連携済")
    step(f"certificate {certificate_id} 連携済 (the scheduler's sender followed it)")

    scheduler_takeover(topology, app, admin, base, step)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="rehearsal")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database and the run's directory (logs) afterwards")
    args = parser.parse_args(argv)
    step = Steps()

    ports = {name: free_port() for name in ("nginx", "web-a", "web-b", "sandbox", "smtp")}
    database_url = f"postgresql://postgres@127.0.0.1:5432/{args.database}"
    env = production_env(
        database_url=database_url, public_url="https://keizoku.rehearsal.example",
        sandbox_url=f"http://127.0.0.1:{ports['sandbox']}", smtp_port=ports["smtp"],
        redis_url=REDIS_URL)
    env.update(SCHEDULER_HEARTBEAT_SECONDS=str(HEARTBEAT), SCHEDULER_STALE_SECONDS=str(STALE))
    os.environ.update(env)  # this process reads the same settings for its checks
    run_dir = ROOT / "instance" / f"rehearsal-{os.getpid()}"
    run_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(run_dir, 0o755)
    topology = Topology(run_dir, env)
    smtp = None
    result = "ok"
    try:
        import config

        if not in_shop_hours(config):
            raise Failed("the shop service is closed now (maintenance 0:00-1:00 or 12/29-1/3, "
                         "Japan time): shop logins would be refused; run it in service hours")
        recreate_database(args.database)
        from app import create_app

        app = create_app("config.Config")
        smtp, received = start_smtp(ports["smtp"])
        rehearse(args, topology, app, received, ports, step)
    except Failed as error:
        result = f"failed: {error}"
    except Exception as error:  # noqa: BLE001 - the last line says what failed, whatever it was
        result = f"failed: {error.__class__.__name__}: {error}"
    finally:
        topology.stop_all()
        if smtp is not None:
            smtp.stop()
        if result != "ok" or args.keep:
            print(f"logs: {run_dir}")
        else:
            remove_tree(run_dir)
        if not args.keep:
            subprocess.run(["dropdb", "--if-exists", "--force", "-h", "127.0.0.1", "-U",
                            "postgres", args.database], capture_output=True)
    step(f"stopped everything ({time.monotonic() - step.started:.0f} s in all)")
    print(f"rehearsal: {result}")
    return 0 if result == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
