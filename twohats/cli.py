"""The `twohats` console command.

`twohats serve` runs the web server (gunicorn); every other word is a Django management command
(`twohats demo`, `twohats createuser`, `twohats migrate`, ...).
"""

from __future__ import annotations

import os
import sys


def serve(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="twohats serve", description="Serve Twohats over HTTP.")
    parser.add_argument("--bind", default=os.getenv("BIND", "127.0.0.1:8000"))
    parser.add_argument("--workers", type=int, default=int(os.getenv("WEB_WORKERS", "2")))
    args = parser.parse_args(argv)

    import django

    django.setup()
    from twohats.demo.logins import print_logins

    host, _, port = args.bind.rpartition(":")
    print(f"\nTwohats is serving at http://{host or '127.0.0.1'}:{port}/\n", flush=True)
    print_logins()
    from gunicorn.app.wsgiapp import run

    sys.argv = [
        "gunicorn",
        "twohats.wsgi:application",
        "--bind",
        args.bind,
        "--workers",
        str(args.workers),
        "--access-logfile",
        "-",
        "--timeout",
        "120",
    ]
    run()
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twohats.settings")
    if len(argv) > 1 and argv[1] == "serve":
        return serve(argv[2:])
    from django.core.management import execute_from_command_line

    execute_from_command_line(["twohats", *argv[1:]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
