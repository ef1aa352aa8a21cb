"""Development entry point.

`python run.py` serves the app; `python run.py --with-services` (what `make run` does) also
starts the outside-system sandbox and the scheduler as child processes and stops them on
exit. FLASK_APP=run.py serves the CLI.
"""
import argparse
import gc
import atexit
import logging
import os
import subprocess
import sys

from app import create_app
from app.settings import require_operator_settings

app = create_app(os.environ.get("KEIZOKU_CONFIG", "config.DevelopmentConfig"))
if os.environ.get("FLASK_RUN_FROM_CLI") != "true":
    # Serving (gunicorn's run:app, python run.py): production refuses to start on missing,
    # sample or invalid operator settings. The flask CLI still runs, deploy-check above all.
    require_operator_settings(app.config, "web", logging.getLogger("keizoku"))
# What start-up loaded lives as long as the process: keep it out of the garbage collector's
# full passes, which otherwise paused a request for 110-160 ms now and then
# (benchmarks/list_pages.py). Each gunicorn worker imports this module, so each freezes.
gc.freeze()


def start_services():
    """The sandbox (playing AIRAS, AINAS, MLIT) and the scheduler, beside the web app."""
    env = dict(os.environ, KEIZOKU_CONFIG=os.environ.get("KEIZOKU_CONFIG",
                                                        "config.DevelopmentConfig"))
    children = [
        subprocess.Popen([sys.executable, "-m", "app.integrations.sandbox",
                          "--port", str(app.config["SANDBOX_PORT"])], env=env),
        subprocess.Popen([sys.executable, "-m", "scheduler"], env=env),
    ]

    def stop():
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()

    atexit.register(stop)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Keizoku development server")
    parser.add_argument("--with-services", action="store_true",
                        help="also start the sandbox and the scheduler")
    args = parser.parse_args()
    if args.with_services:
        start_services()
    port = int(os.environ.get("PORT", "5000"))
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=port, debug=False, use_reloader=False)
