"""Two real scheduler processes started together: one runs the jobs, the other stands by and
takes over when the first dies; no tick is ever run twice.

This module is also the job module the processes load (``--jobs-module``): its ``tick`` job
appends the process id and the time to a file named in the environment.
"""
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


def start_scheduler(app, tick_file, lock_name):
    env = dict(os.environ, KEIZOKU_CONFIG="config.TestConfig",
               DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               **{TICK_FILE_ENV: str(tick_file)})
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler", "--jobs-module", "tests.test_scheduler_process",
         "--only", "test_tick", "--lock-name", lock_name, "--heartbeat", "0.5",
         "--stale-after", "3", "--poll", "0.5"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def assert_each_tick_once(ticks):
    """One runner: consecutive ticks are about a second apart, never two in the same slot."""
    times = sorted(at for _, at in ticks)
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert gaps and min(gaps) > 0.5, f"two ticks ran together: {gaps}"


def test_two_schedulers_run_each_job_once_and_the_second_takes_over(app, tmp_path):
    tick_file = tmp_path / "ticks.txt"
    lock_name = f"test-{uuid.uuid4().hex[:8]}"
    first = start_scheduler(app, tick_file, lock_name)
    second = start_scheduler(app, tick_file, lock_name)
    processes = {first.pid: first, second.pid: second}
    try:
        wait_for(lambda: len(read_ticks(tick_file)) >= 5, 60, "five ticks")
        ticks = read_ticks(tick_file)
        runners = {pid for pid, _ in ticks}
        assert len(runners) == 1, f"both schedulers ran the job: {runners}"
        assert runners <= set(processes)
        assert_each_tick_once(ticks)

        holder = runners.pop()
        standby = next(pid for pid in processes if pid != holder)
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
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait(10)
            if process.stderr:
                process.stderr.close()
