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
from scheduler import JobSpecError, build_scheduler, discover_jobs
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
