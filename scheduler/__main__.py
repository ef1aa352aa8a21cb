"""``python -m scheduler``: run the jobs of scheduler/jobs/ while holding the scheduler lock.

Start as many copies as you like (one per host, say): one runs the jobs, the others stand by
and take over when it dies. Options for operations and tests:

  --only ID            run only these job ids (repeatable)
  --jobs-module MOD    also load JOBS from this module (repeatable; tests use a short job)
  --lock-name NAME     lock to hold (default keizoku-scheduler)
  --heartbeat S        seconds between lock checks (default 10)
  --stale-after S      SQLite: a lock row older than this is taken over (default 60)
  --poll S             seconds between attempts while standing by (default 5)
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
    parser.add_argument("--heartbeat", type=float, default=10.0)
    parser.add_argument("--stale-after", type=float, default=60.0)
    parser.add_argument("--poll", type=float, default=5.0)
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
    lock = make_lock(app.config["SQLALCHEMY_DATABASE_URI"], args.lock_name,
                     stale_after=args.stale_after)
    process = SchedulerProcess(app, jobs, lock, heartbeat=args.heartbeat, poll=args.poll)
    signal.signal(signal.SIGTERM, process.stop)
    signal.signal(signal.SIGINT, process.stop)
    return process.run()


if __name__ == "__main__":
    sys.exit(main())
