"""`python -m app.integrations.sandbox --port 8765 [--profile fast] [--enforce-hours]`"""

import argparse

from app.integrations.sandbox.catalogue import PROFILES
from app.integrations.sandbox.server import serve


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Keizoku sandbox: plays AIRAS, AINAS and the weight-tax inquiries.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="fast",
                        help="delays: instant (tests), fast (demos), realistic (report batches, hours)")
    parser.add_argument("--enforce-hours", action="store_true", help="refuse calls outside the service hours")
    parser.add_argument("--seed", type=int, default=None, help="seed for injected faults")
    args = parser.parse_args(argv)
    settings = {"profile": args.profile}
    if args.enforce_hours:
        settings["enforce_hours"] = True
    if args.seed is not None:
        settings["seed"] = args.seed
    server, _sandbox = serve(args.host, args.port, **settings)
    print(f"sandbox on http://{args.host}:{server.server_port} "
          f"(airas, ainas, mlit, kei under their own prefix; control under /_control)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
