"""Two real scheduler processes started together: one runs the jobs, the other stands by and
takes over when the first dies, or when it is frozen (SIGSTOP) and its heartbeat goes stale;
no tick is ever run twice, and a frozen holder that wakes up exits without running a job.

This module is also the job module the processes load (``--jobs-module``): its ``tick`` job
appends the process id and the time to a file named in the environment.
"""
import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICK_FILE_ENV = "KEIZOKU_TEST_TICK_FILE"


def tick(app):
    with app.app_context():
        with open(os.environ[TICK_FILE_ENV], "a") as f:
            f.write(f"{os.getpid()} {time.time():.3f}\n")


JOBS = [{"id": "test_tick", "func": tick, "trigger": "interval", "seconds": 1,
         "misfire_grace_time": 5}]


def read_ticks(path):
    if not path.exists():
        return []
    return [(int(pid), float(at)) for pid, at in
            (line.split() for line in path.read_text().splitlines() if line.strip())]


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


HEARTBEAT, STALE_AFTER = 0.5, 3.0


def start_scheduler(app, tick_file, lock_name):
    env = dict(os.environ, KEIZOKU_CONFIG="config.TestConfig",
               DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               **{TICK_FILE_ENV: str(tick_file)})
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler", "--jobs-module", "tests.test_scheduler_process",
         "--only", "test_tick", "--lock-name", lock_name, "--heartbeat", str(HEARTBEAT),
         "--stale-after", str(STALE_AFTER), "--poll", "0.5"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def assert_each_tick_once(ticks):
    """One runner: consecutive ticks are about a second apart, never two in the same slot."""
    times = sorted(at for _, at in ticks)
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert gaps and min(gaps) > 0.5, f"two ticks ran together: {gaps}"


def stop_all(processes):
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)
            process.kill()
            process.wait(10)
        if process.stderr:
            process.stderr.close()


def start_pair(app, tick_file):
    """Two schedulers on one fresh lock; (processes by pid, holder pid, standby pid) once the
    holder has ticked five times."""
    lock_name = f"test-{uuid.uuid4().hex[:8]}"
    first = start_scheduler(app, tick_file, lock_name)
    second = start_scheduler(app, tick_file, lock_name)
    processes = {first.pid: first, second.pid: second}
    try:
        wait_for(lambda: len(read_ticks(tick_file)) >= 5, 60, "five ticks")
    except AssertionError:
        stop_all(processes)
        raise
    holder = read_ticks(tick_file)[0][0]
    return processes, holder, next(pid for pid in processes if pid != holder), lock_name


def test_a_frozen_scheduler_is_replaced_and_exits_without_a_job_when_it_wakes(app, tmp_path):
    """SIGSTOP keeps the holder's connection (and PostgreSQL advisory lock) open for ever: the
    standby ends it once the heartbeat is stale; woken by SIGCONT, the old holder exits (3)."""
    from app.extensions import db
    from app.services.scheduler_status import heartbeats

    tick_file = tmp_path / "ticks.txt"
    processes, holder, standby, lock_name = start_pair(app, tick_file)
    try:
        assert {pid for pid, _ in read_ticks(tick_file)} == {holder}, "both ran the job"
        processes[holder].send_signal(signal.SIGSTOP)
        frozen_at = time.time()
        wait_for(lambda: any(pid == standby for pid, _ in read_ticks(tick_file)), 60,
                 "the standby to take over from the frozen holder")
        first_standby_tick = min(at for pid, at in read_ticks(tick_file) if pid == standby)
        # Not before the holder's last beat went stale (it beat at most one interval before).
        assert first_standby_tick >= frozen_at + STALE_AFTER - HEARTBEAT - 0.2
        assert processes[holder].poll() is None  # still there, only frozen
        with app.app_context():
            beat = next(b for b in heartbeats(db.session, dt.datetime.now(dt.timezone.utc),
                                              STALE_AFTER) if b.name == lock_name)
            db.session.remove()
        assert beat.pid == standby and not beat.stale

        processes[holder].send_signal(signal.SIGCONT)
        woke_at = time.time()
        assert processes[holder].wait(60) == 3  # it noticed it lost the lock
        ticks = read_ticks(tick_file)
        assert all(at < frozen_at for pid, at in ticks if pid == holder), \
            "the woken holder ran a job"
        wait_for(lambda: any(pid == standby and at > woke_at for pid, at in read_ticks(tick_file)),
                 30, "the standby to keep ticking")
        assert_each_tick_once([t for t in read_ticks(tick_file) if t[0] == standby])
        stderr = processes[holder].stderr.read().decode()
        assert "lock" in stderr and "lost" in stderr

        processes[standby].send_signal(signal.SIGTERM)
        assert processes[standby].wait(20) == 0
    finally:
        stop_all(processes)


def test_two_schedulers_run_each_job_once_and_the_second_takes_over(app, tmp_path):
    tick_file = tmp_path / "ticks.txt"
    processes, holder, standby, _ = start_pair(app, tick_file)
    try:
        ticks = read_ticks(tick_file)
        runners = {pid for pid, _ in ticks}
        assert len(runners) == 1, f"both schedulers ran the job: {runners}"
        assert runners <= set(processes)
        assert_each_tick_once(ticks)

        processes[holder].send_signal(signal.SIGKILL)  # dies without releasing anything
        processes[holder].wait(10)
        died_at = time.time()
        wait_for(lambda: sum(1 for pid, _ in read_ticks(tick_file) if pid == standby) >= 3,
                 60, "the standby to take over")
        ticks = read_ticks(tick_file)
        assert all(at < died_at for pid, at in ticks if pid == holder)
        assert {pid for pid, _ in ticks} == {holder, standby}
        assert_each_tick_once([t for t in ticks if t[0] == standby])

        processes[standby].send_signal(signal.SIGTERM)
        assert processes[standby].wait(20) == 0  # a clean stop releases the lock
    finally:
        stop_all(processes)
