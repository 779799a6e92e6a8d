"""`twohats health recompute [--date D]`, `twohats health backfill [--weeks N]`,
`twohats health prune`, `twohats health daily [--date D] [--force]`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from twohats.health.services import health_backfill, health_prune, health_recompute


def parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"“{value}” is not a date; use YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Compute relationship health snapshots."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        recompute = sub.add_parser("recompute", help="compute (again) the snapshots of a date")
        recompute.add_argument("--date", help="YYYY-MM-DD; today by default")
        backfill = sub.add_parser("backfill", help="weekly snapshots of past weeks")
        backfill.add_argument("--weeks", type=int, default=26)
        sub.add_parser("prune", help="thin snapshots older than 90 days to one a week")
        daily = sub.add_parser(
            "daily",
            help="the daily job now, in the foreground (the worker runs it by itself; "
            "this is for cron): health, alerts, escalations, digests, retention",
        )
        daily.add_argument("--date", help="YYYY-MM-DD; today by default")
        daily.add_argument(
            "--force", action="store_true", help="run again a day that has run already"
        )
        daily.add_argument(
            "--no-email", action="store_true", help="leave out escalations and digests"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        if options["action"] == "recompute":
            date = parse_date(options["date"]) if options.get("date") else today
            if date > today:
                raise CommandError("Health is computed for today or past dates, not the future.")
            done = health_recompute(date=date)
            self.stdout.write(
                f"{done.date}: {done.clients:,} clients and {done.projects:,} projects "
                f"in {done.seconds:.2f} s"
            )
        elif options["action"] == "backfill":
            if not 1 <= options["weeks"] <= 260:
                raise CommandError("--weeks must be between 1 and 260.")
            for done in health_backfill(until=today, weeks=options["weeks"]):
                self.stdout.write(f"{done.date}: {done.clients:,} clients in {done.seconds:.2f} s")
        elif options["action"] == "daily":
            self.daily(options, today)
        else:
            self.stdout.write(f"{health_prune(today=today):,} old daily snapshots removed")

    def daily(self, options: dict[str, Any], today: dt.date) -> None:
        from twohats.health.tasks import daily_run

        date = parse_date(options["date"]) if options.get("date") else today
        if date > today:
            raise CommandError("The daily job runs for today or past dates, not the future.")
        done = daily_run(date=date, force=options["force"], email=not options["no_email"])
        if not done["ran"]:
            self.stdout.write(
                f"{done['date']}: the daily job has run already or is under way "
                "(--force runs it again)."
            )
            return
        for name, step in done["steps"].items():
            said = step.get("error") or ", ".join(
                f"{key} {value}" for key, value in step.items() if key not in ("ok", "seconds")
            )
            mark = "ok" if step["ok"] else "FAILED"
            self.stdout.write(f"{done['date']} {name}: {mark}, {said} ({step['seconds']:.2f} s)")
        if not done["ok"]:
            raise CommandError("The daily job finished with failed steps (see above).")
