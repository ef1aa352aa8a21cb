"""The scheduler in-process: job discovery, scheduling options, the lock, `flask jobs`."""
import datetime as dt
import sys
import textwrap
import time
import uuid

import pytest
from sqlalchemy import select

from app.models.billing import BillableEvent
from app.models.invoice import BillingMonth, Invoice
from app.services import billing
from app.timeutil import JST
from scheduler import JobSpecError, build_scheduler, discover_jobs, run_job
from scheduler.lock import AdvisoryLock, RowLock, make_lock


@pytest.fixture
def job_package(tmp_path, monkeypatch):
    """A throwaway job package; modules written into it are discovered like scheduler/jobs/."""
    name = f"jobs_{uuid.uuid4().hex[:8]}"
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(module, source):
        (package / f"{module}.py").write_text(textwrap.dedent(source))

    yield name, write
    for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
        del sys.modules[key]


def test_discovery_picks_up_every_module_with_jobs(job_package):
    package, write = job_package
    write("alpha", """
        def run(app):
            return "alpha"
        JOBS = [{"id": "alpha", "func": run, "trigger": "interval", "minutes": 1}]
    """)
    write("beta", """
        def run(app):
            return "beta"
        JOBS = [{"id": "beta", "func": run, "trigger": "cron", "hour": 3, "minute": 0}]
    """)
    write("helpers", "VALUE = 1\n")  # no JOBS: ignored
    write("broken", "import module_that_does_not_exist\n")  # skipped, logged
    jobs = discover_jobs(package=package)
    assert set(jobs) == {"alpha", "beta"}
    assert jobs["beta"]["module"] == f"{package}.beta"
    assert jobs["alpha"]["func"](None) == "alpha"
    with pytest.raises(ModuleNotFoundError):
        discover_jobs(package=package, strict=True)


def test_bad_job_entries_are_refused(job_package):
    package, write = job_package
    write("one", """
        JOBS = [{"id": "same", "func": print, "trigger": "interval", "seconds": 5}]
    """)
    write("two", """
        JOBS = [{"id": "same", "func": print, "trigger": "interval", "seconds": 5}]
    """)
    with pytest.raises(JobSpecError, match="defined in both"):
        discover_jobs(package=package)
    write("two", """
        JOBS = [{"id": "other", "func": print, "trigger": "date"}]
    """)
    sys.modules.pop(f"{package}.two")  # read the module again, as a new process would
    with pytest.raises(JobSpecError, match="trigger"):
        discover_jobs(package=package)


def test_real_jobs_are_scheduled_in_japan_time_with_explicit_options(app):
    jobs = discover_jobs(strict=True)
    assert {"billing_close", "billing_close_catch_up"} <= set(jobs)
    scheduler = build_scheduler(app, jobs)
    scheduled = {job.id: job for job in scheduler.get_jobs()}
    assert set(scheduled) == set(jobs)
    for job in scheduled.values():
        assert job.coalesce is True and job.max_instances == 1
        assert job.misfire_grace_time >= 60
    assert str(scheduler.timezone) == "Asia/Tokyo"
    close = scheduled["billing_close"]
    moment = dt.datetime(2026, 11, 26, 10, 0, tzinfo=JST)
    assert close.trigger.get_next_fire_time(None, moment) == dt.datetime(2026, 12, 1, 0, 5, tzinfo=JST)
    after = dt.datetime(2026, 12, 1, 0, 6, tzinfo=JST)
    assert close.trigger.get_next_fire_time(None, after) == dt.datetime(2027, 1, 1, 0, 5, tzinfo=JST)
    # The catch-up runs as soon as a scheduler takes the lock, then hourly; the closing waits.
    started = dt.datetime.now(JST)
    assert scheduled["billing_close_catch_up"].next_run_time <= started
    assert not hasattr(close, "next_run_time")  # computed from its trigger when started


def test_only_one_lock_holder_and_a_dead_one_is_replaced(app):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    name = f"test-{uuid.uuid4().hex[:8]}"
    first = make_lock(url, name, stale_after=1.0)
    second = make_lock(url, name, stale_after=1.0)
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
        assert first.heartbeat()
        assert not second.try_acquire()
        if isinstance(first, AdvisoryLock):
            # The holder's connection ends (the process died): the server drops the lock.
            first._conn.invalidate()
            first._conn = None
            # The server ends the dead backend asynchronously; the standby polls, as it
            # does in the scheduler loop.
            deadline = time.monotonic() + 10
            while not second.try_acquire():
                assert time.monotonic() < deadline, "the dead holder's lock was never freed"
                time.sleep(0.05)
        else:
            assert isinstance(first, RowLock)
            time.sleep(1.3)  # no heartbeat: the row goes stale
            assert second.try_acquire()
            assert not first.heartbeat()  # the old holder learns it lost the lock
        assert second.heartbeat()
        second.release()
        third = make_lock(url, name, stale_after=1.0)
        assert third.try_acquire()  # a released lock is free at once
        third.release()
    finally:
        for lock in (first, second):
            lock.release()


def _poll(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_holder_that_stops_beating_is_replaced_and_learns_it_lost_the_lock(app):
    """A frozen holder keeps its connection (and on PostgreSQL its advisory lock) but stops
    beating: a standby takes over once the heartbeat is stale, not before."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    name = f"test-{uuid.uuid4().hex[:8]}"
    stale_after = 1.5
    first = make_lock(url, name, stale_after=stale_after)
    second = make_lock(url, name, stale_after=stale_after)
    try:
        assert first.try_acquire()
        for _ in range(3):  # a beating holder is never replaced
            assert first.heartbeat()
            assert not second.try_acquire()
        assert first.heartbeat()
        last_beat = time.monotonic()
        _poll(second.try_acquire, 30, "the standby to take over")
        assert time.monotonic() - last_beat >= stale_after - 0.2  # the server's clock, not ours
        assert not first.heartbeat()  # it would stop before its next job
        assert not first.heartbeat()
        assert second.heartbeat()
        from app.extensions import db
        from app.models.invoice import SchedulerLock

        with app.app_context():
            row = db.session.get(SchedulerLock, name)
            assert row.holder == second.holder
            db.session.remove()
    finally:
        second.release()
        first.release()
    with app.app_context():
        assert db.session.get(SchedulerLock, name) is None  # a clean stop removes the row
        db.session.remove()


def test_a_job_is_not_run_once_the_lock_is_lost(app):
    ran = []
    assert run_job(app, "probe", lambda app: ran.append(1) or "done", guard=lambda: True) == "done"
    assert run_job(app, "probe", lambda app: ran.append(2), guard=lambda: False) is None
    assert ran == [1]


class _FakeLock:
    name, holder = "fake", "host:1:token"

    def __init__(self, beats):
        self.beats = list(beats)
        self.released = False

    def heartbeat(self):
        return self.beats.pop(0)

    def release(self):
        self.released = True


def test_the_process_stops_for_good_when_a_beat_fails():
    from scheduler import SchedulerProcess

    lock = _FakeLock([True, False, True])
    process = SchedulerProcess(None, {}, lock)
    assert process.confirm_lock()
    assert not process.confirm_lock()
    assert process.lost_lock and process.stopping.is_set()
    assert not process.confirm_lock()  # no later beat can bring it back
    assert lock.beats == [True]


def test_the_sending_status_screen_shows_the_schedulers_heartbeat(app, db_session, tenants, browser):
    from app.models.invoice import SchedulerLock

    client = browser
    client.login("assoc-admin")
    page = client.get("/association/certificates/list/").get_data(as_text=True)
    assert "動いているスケジューラがありません" in page

    utcnow = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    db_session.add(SchedulerLock(name="keizoku-scheduler", holder="sched-host-1:4242:ab12cd34",
                                 acquired_at=utcnow - dt.timedelta(hours=1),
                                 heartbeat_at=utcnow - dt.timedelta(seconds=2)))
    db_session.commit()
    page = client.get("/association/certificates/list/").get_data(as_text=True)
    assert "稼働中" in page and "sched-host-1(プロセス 4242)" in page
    assert "応答なし" not in page

    row = db_session.get(SchedulerLock, "keizoku-scheduler")
    row.heartbeat_at = utcnow - dt.timedelta(seconds=app.config["SCHEDULER_STALE_SECONDS"] + 60)
    db_session.commit()
    page = client.get("/association/certificates/list/").get_data(as_text=True)
    assert "応答なし" in page and "sched-host-1(プロセス 4242)" in page
    assert "送信と月締めは止まっています" in page
    assert "稼働中" not in page


def _events_in_october(session, tenants):
    a = tenants.ids["a"]
    for i, (day, kind) in enumerate([(3, "certificate"), (15, "record"), (31, "certificate")]):
        moment = dt.datetime(2026, 10, day, 12, 0, tzinfo=JST).astimezone(dt.timezone.utc)
        session.add(BillableEvent(business_id=a["Business"], site_id=a["Site"], kind=kind,
                                  object_id=5000 + i, occurred_at=moment.replace(tzinfo=None)))
    session.commit()


def test_flask_jobs_run_closes_a_given_month(app, db_session, tenants):
    _events_in_october(db_session, tenants)
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["jobs", "list"])
    assert listed.exit_code == 0 and "billing_close: cron(day=1, hour=0, minute=5)" in listed.output

    result = runner.invoke(args=["jobs", "run", "billing_close", "--month", "2026-10"])
    assert result.exit_code == 0, result.output
    invoices = db_session.scalars(select(Invoice).join(BillingMonth).where(
        BillingMonth.year_month == "2026-10")).all()
    assert [i.business_id for i in invoices] == [tenants.ids["a"]["Business"]]
    assert sum(l.quantity for l in invoices[0].lines) == 3

    again = runner.invoke(args=["jobs", "run", "billing_close", "--month", "2026-10"])
    assert again.exit_code == 0
    assert db_session.scalars(select(Invoice.id).join(BillingMonth).where(
        BillingMonth.year_month == "2026-10")).all() == [invoices[0].id]

    unknown = runner.invoke(args=["jobs", "run", "no_such_job"])
    assert unknown.exit_code != 0 and "flask jobs list" in unknown.output
    refused = runner.invoke(args=["jobs", "run", "billing_close_catch_up", "--month", "2026-10"])
    assert refused.exit_code != 0 and "--month" in refused.output
    not_ended = runner.invoke(args=["jobs", "run", "billing_close", "--month", "2026-11"])
    assert not_ended.exit_code != 0 and "まだ終わっていない" in not_ended.output


def test_scheduled_closing_takes_the_previous_month_and_leaves_a_reopened_one(app, db_session, tenants):
    from scheduler.jobs.billing import catch_up_job, close_month_job

    _events_in_october(db_session, tenants)
    app.config["CLOCK"] = lambda: dt.datetime(2026, 11, 1, 0, 5, tzinfo=JST)
    assert close_month_job(app) == 1
    month = db_session.scalars(select(BillingMonth).where(BillingMonth.year_month == "2026-10")).one()
    assert month.state == "closed"

    billing.reopen_month(db_session, 2026, 10, reason="確認")
    assert close_month_job(app) is None  # the association closes a reopened month by hand
    assert catch_up_job(app) is None  # the month exists: nothing to catch up
    db_session.expire_all()
    assert db_session.get(BillingMonth, month.id).state == "open"


def test_catch_up_closes_a_month_the_scheduler_missed(app, db_session, tenants):
    from scheduler.jobs.billing import catch_up_job

    _events_in_october(db_session, tenants)
    app.config["CLOCK"] = lambda: dt.datetime(2026, 11, 2, 9, 0, tzinfo=JST)
    assert catch_up_job(app) == 1
    assert catch_up_job(app) is None
    assert db_session.scalars(select(BillingMonth.state).where(
        BillingMonth.year_month == "2026-10")).one() == "closed"
