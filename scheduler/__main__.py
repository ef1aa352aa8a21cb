"""``python -m scheduler``: run the jobs of scheduler/jobs/ while holding the scheduler lock.

Start as many copies as you like (one per host, say): one runs the jobs, the others stand by
and take over when it dies. Options for operations and tests:

  --only ID            run only these job ids (repeatable)
  --jobs-module MOD    also load JOBS from this module (repeatable; tests use a short job)
  --lock-name NAME     lock to hold (default keizoku-scheduler)
  --heartbeat S        seconds between two heartbeats of the active scheduler
                       (default SCHEDULER_HEARTBEAT_SECONDS, 5)
  --stale-after S      a standby takes over from a holder whose heartbeat is older than this
                       (default SCHEDULER_STALE_SECONDS, 30; at least 3 heartbeats)
  --poll S             seconds between attempts while standing by (default: the heartbeat)

Exit status: 0 after SIGTERM/SIGINT, 3 when the lock was lost (another instance took over
because this one stopped beating): the supervisor restarts it, and it stands by.
  --list               print the jobs and exit
"""
import argparse
import logging
import os
import signal
import sys

from scheduler import SchedulerProcess, describe, discover_jobs
from scheduler.lock import DEFAULT_LOCK_NAME, make_lock


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m scheduler", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--jobs-module", action="append", default=[])
    parser.add_argument("--lock-name", default=DEFAULT_LOCK_NAME)
    parser.add_argument("--heartbeat", type=float)
    parser.add_argument("--stale-after", type=float)
    parser.add_argument("--poll", type=float)
    parser.add_argument("--list", action="store_true")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s")
    from app import create_app

    from app.settings import OperatorSettingsError, require_operator_settings

    app = create_app(os.environ.get("KEIZOKU_CONFIG", "config.Config"))
    try:
        require_operator_settings(app.config, "scheduler", logging.getLogger("scheduler"))
    except OperatorSettingsError:
        return 1
    jobs = discover_jobs(args.jobs_module)
    if args.only:
        unknown = set(args.only) - set(jobs)
        if unknown:
            sys.exit(f"unknown job ids: {', '.join(sorted(unknown))}")
        jobs = {job_id: spec for job_id, spec in jobs.items() if job_id in args.only}
    if args.list:
        for spec in jobs.values():
            print(describe(spec))
        return 0
    heartbeat = args.heartbeat or app.config["SCHEDULER_HEARTBEAT_SECONDS"]
    stale_after = args.stale_after or app.config["SCHEDULER_STALE_SECONDS"]
    if stale_after < 3 * heartbeat:
        sys.exit(f"--stale-after ({stale_after} s) must be at least three heartbeats "
                 f"({3 * heartbeat} s), or a slow beat would look like a dead scheduler")
    lock = make_lock(app.config["SQLALCHEMY_DATABASE_URI"], args.lock_name,
                     stale_after=stale_after)
    process = SchedulerProcess(app, jobs, lock, heartbeat=heartbeat,
                               poll=args.poll or heartbeat)
    signal.signal(signal.SIGTERM, process.stop)
    signal.signal(signal.SIGINT, process.stop)
    return process.run()


if __name__ == "__main__":
    sys.exit(main())
