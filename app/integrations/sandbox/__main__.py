"""`python -m app.integrations.sandbox --port 8765 [--profile fast] [--enforce-hours] [--state-file PATH]`"""

import argparse
import os
import signal

from app.integrations.sandbox.catalogue import PROFILES
from app.integrations.sandbox.server import serve

DEFAULT_STATE_FILE = os.path.join("instance", "sandbox-state.json")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Keizoku sandbox: plays AIRAS, AINAS and the weight-tax inquiries.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="fast",
                        help="delays: instant (tests), fast (demos), realistic (report batches, hours)")
    parser.add_argument("--enforce-hours", action="store_true", help="refuse calls outside the service hours")
    parser.add_argument("--seed", type=int, default=None, help="seed for injected faults")
    parser.add_argument("--state-file", default=os.environ.get("SANDBOX_STATE_FILE", DEFAULT_STATE_FILE),
                        help="where the records are kept across restarts (JSON; '' keeps nothing); "
                             f"default $SANDBOX_STATE_FILE or {DEFAULT_STATE_FILE}")
    parser.add_argument("--save-interval", type=float, default=0.5,
                        help="write the state file at most this often, in seconds (0: after every change)")
    args = parser.parse_args(argv)
    settings = {"profile": args.profile, "state_path": args.state_file or None,
                "save_interval": args.save_interval}
    if args.enforce_hours:
        settings["enforce_hours"] = True
    if args.seed is not None:
        settings["seed"] = args.seed
    server, sandbox = serve(args.host, args.port, **settings)
    kept = f"; state kept in {args.state_file}" if args.state_file else ""
    print(f"sandbox on http://{args.host}:{server.server_port} "
          f"(airas, ainas, mlit, kei under their own prefix; control under /_control{kept})", flush=True)
    signal.signal(signal.SIGTERM, _stop)  # a stopped sandbox writes its state first
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        sandbox.close()


def _stop(_signum, _frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    main()
