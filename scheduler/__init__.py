"""The scheduler process (``python -m scheduler``): APScheduler 3 in Japan time.

Jobs are found, not listed here: every module in ``scheduler/jobs/`` that defines
``JOBS = [{"id": ..., "func": callable(app), "trigger": "cron" | "interval", **trigger_kwargs}]``
is picked up. ``func`` receives the Flask app and enters its context itself. An entry may set
``misfire_grace_time``, and ``run_at_start: True`` to run once as soon as this process takes the
lock (a catch-up should not wait a whole interval); every job runs with ``coalesce=True`` and
``max_instances=1``.

Never started inside ``create_app()`` (FAB-NOTES.md): one process, holding a database lock
(scheduler/lock.py), runs the jobs; a second one waits and takes over if the first dies or its
heartbeat goes stale. The holder confirms the lock before every job, so one that was frozen
and replaced stops without running anything. Jobs are idempotent per period anyway, so a late
or repeated run changes nothing.
"""
from __future__ import annotations

import importlib
import logging
import pkgutil
import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

log = logging.getLogger("scheduler")

TIMEZONE = ZoneInfo("Asia/Tokyo")
JOB_PACKAGE = "scheduler.jobs"
TRIGGERS = ("cron", "interval")
# APScheduler's default grace is 1 s: a job a second late would be skipped silently.
DEFAULT_MISFIRE_GRACE_SECONDS = 15 * 60
_SPEC_KEYS = {"id", "func", "trigger", "misfire_grace_time", "name", "run_at_start"}


class JobSpecError(ValueError):
    """A JOBS entry that cannot be scheduled."""


def _job_modules(package=JOB_PACKAGE):
    pkg = importlib.import_module(package)
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        yield f"{package}.{info.name}"


def check_spec(spec, module_name):
    if not isinstance(spec, dict):
        raise JobSpecError(f"{module_name}: a JOBS entry must be a dict, got {spec!r}")
    missing = {"id", "func", "trigger"} - set(spec)
    if missing:
        raise JobSpecError(f"{module_name}: JOBS entry lacks {', '.join(sorted(missing))}")
    if not callable(spec["func"]):
        raise JobSpecError(f"{module_name}: job {spec['id']!r} has a func that is not callable")
    if spec["trigger"] not in TRIGGERS:
        raise JobSpecError(f"{module_name}: job {spec['id']!r} has trigger {spec['trigger']!r}; "
                           f"use one of {TRIGGERS}")
    return dict(spec, module=module_name)


def discover_jobs(extra_modules=(), *, package=JOB_PACKAGE, strict=False):
    """Every JOBS entry of the job package's modules and of ``extra_modules``, by id.

    A module that fails to import is logged and skipped (``strict`` raises instead), so one
    broken job cannot stop the closing or the retention; a duplicate id always raises.
    """
    jobs = {}
    for module_name in [*_job_modules(package), *extra_modules]:
        try:
            module = importlib.import_module(module_name)
        except Exception:
            if strict:
                raise
            log.exception("job module %s could not be imported; its jobs are skipped", module_name)
            continue
        for spec in getattr(module, "JOBS", None) or []:
            spec = check_spec(spec, module_name)
            if spec["id"] in jobs:
                raise JobSpecError(f"job id {spec['id']!r} is defined in both "
                                   f"{jobs[spec['id']]['module']} and {module_name}")
            jobs[spec["id"]] = spec
    return jobs


def trigger_kwargs(spec):
    return {k: v for k, v in spec.items() if k not in _SPEC_KEYS and k != "module"}


def describe(spec):
    args = ", ".join(f"{k}={v}" for k, v in trigger_kwargs(spec).items())
    return f"{spec['id']}: {spec['trigger']}({args}) [{spec['module']}]"


def run_job(app, job_id, func, *, guard=None, **kwargs):
    """Run one job with its start, end and duration in the log (a failure is logged, and
    raised again for APScheduler's own listener). ``guard``, when given, is asked first; a
    False answer (this process no longer holds the scheduler lock) skips the job."""
    if guard is not None and not guard():
        log.error("job %s not run: this scheduler no longer holds the lock", job_id)
        return None
    started = time.monotonic()
    log.info("job %s started", job_id)
    try:
        result = func(app, **kwargs)
    except Exception:
        log.exception("job %s failed after %.1f s", job_id, time.monotonic() - started)
        raise
    log.info("job %s finished in %.1f s", job_id, time.monotonic() - started)
    return result


def build_scheduler(app, jobs, scheduler_class=None, *, guard=None):
    """The APScheduler scheduler with every job of ``jobs``; each run asks ``guard`` first."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = (scheduler_class or BlockingScheduler)(
        timezone=TIMEZONE,
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": DEFAULT_MISFIRE_GRACE_SECONDS},
    )
    for spec in jobs.values():
        scheduler.add_job(
            run_job, spec["trigger"], args=[app, spec["id"], spec["func"]],
            kwargs={"guard": guard} if guard else None, id=spec["id"],
            name=spec.get("name", spec["id"]),
            misfire_grace_time=spec.get("misfire_grace_time", DEFAULT_MISFIRE_GRACE_SECONDS),
            coalesce=True, max_instances=1, replace_existing=True, **trigger_kwargs(spec),
            **({"next_run_time": datetime.now(TIMEZONE)} if spec.get("run_at_start") else {}),
        )
    return scheduler


class SchedulerProcess:
    """Waits for the lock, runs the jobs while it holds it, stops when it loses it.

    ``heartbeat`` is the seconds between two heartbeats of the holder; a standby asks for the
    lock every ``poll`` seconds and takes it over once the holder's heartbeat is older than the
    lock's ``stale_after``.
    """

    def __init__(self, app, jobs, lock, *, heartbeat=5.0, poll=5.0):
        self.app = app
        self.jobs = jobs
        self.lock = lock
        self.heartbeat = heartbeat
        self.poll = poll
        self.stopping = threading.Event()
        self.lost_lock = False
        self.scheduler = None
        # The lock's connection serves the heartbeat thread and the jobs' guard in turn.
        self._lock_use = threading.Lock()

    def stop(self, *_):
        self.stopping.set()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def _wait_for_lock(self):
        announced = False
        while not self.stopping.is_set():
            try:
                if self.lock.try_acquire():
                    return True
            except Exception:
                log.exception("scheduler lock %s: could not ask the database", self.lock.name)
            if not announced:
                log.info("another scheduler holds lock %s; standing by", self.lock.name)
                announced = True
            self.stopping.wait(self.poll)
        return False

    def confirm_lock(self) -> bool:
        """Beat once; False (and the process stops) when the lock is no longer ours, e.g.
        after this process was frozen and a standby took over."""
        if self.stopping.is_set():
            return False
        with self._lock_use:
            if self.lost_lock:
                return False
            if self.lock.heartbeat():
                return True
            log.error("scheduler lock %s lost; stopping so that only one instance runs jobs",
                      self.lock.name)
            self.lost_lock = True
        self.stop()
        return False

    def _keep_lock(self):
        while not self.stopping.wait(self.heartbeat):
            if not self.confirm_lock():
                return

    def run(self) -> int:
        """0 after a requested stop, 3 when the lock was lost (a supervisor restarts us)."""
        if not self._wait_for_lock():
            return 0
        log.info("scheduler lock %s taken by %s; jobs: %s", self.lock.name, self.lock.holder,
                 ", ".join(sorted(self.jobs)))
        try:
            self.scheduler = build_scheduler(self.app, self.jobs, guard=self.confirm_lock)
            threading.Thread(target=self._keep_lock, name="scheduler-lock", daemon=True).start()
            if not self.stopping.is_set():
                self.scheduler.start()  # blocks until stop()
        finally:
            self.stopping.set()
            with self._lock_use:
                if not self.lost_lock:
                    self.lock.release()
        return 3 if self.lost_lock else 0
