"""`twohats demo`: load the demo data set."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from twohats.clients.models import Client
from twohats.demo.build import DEFAULT_SEED, build
from twohats.demo.logins import DEMO_PASSWORD, DEMO_USERNAMES, print_logins
from twohats.demo.scale import parse_scale
from twohats.people.models import User


class Command(BaseCommand):
    help = (
        "Load a deterministic, realistic demo data set: small (about 60 clients, the default), "
        "large (about 10,000 clients and 1,000,000 interactions) or a number of clients."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale", default="small", help="small (default), large, or a number of clients"
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="the same seed gives the same data"
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the database already holds a client",
        )
        parser.add_argument(
            "--then-health",
            action="store_true",
            help="after loading, compute 26 weeks of health history and run today's daily job "
            "(without emails), so the pages have data at once",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            scale = parse_scale(options["scale"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        if Client.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already holds clients; no demo data loaded.")
                return
            raise CommandError(
                "The database already holds clients: the demo data go into an empty database "
                "(run `twohats flush` first to empty it)."
            )
        taken = list(
            User.objects.filter(username__in=DEMO_USERNAMES).values_list("username", flat=True)
        )
        if taken:
            raise CommandError(
                f"Users named {', '.join(sorted(taken))} exist already; the demo logins need "
                "those names (run `twohats flush` first to empty the database)."
            )
        progress = options["verbosity"] > 0
        self.stdout.write(
            f"Building the demo data: {scale.clients:,} clients, seed {options['seed']}."
        )
        writer = build(scale=scale, seed=options["seed"], progress=progress)
        for line in writer.report():
            self.stdout.write(line)
        self.stdout.write(
            f"Loaded {writer.total_rows:,} rows in {writer.elapsed:.1f} s "
            f"({writer.total_rows / writer.elapsed:,.0f} rows/s). "
            f"Demo password: {DEMO_PASSWORD}"
        )
        if options["then_health"]:
            self.health()
        if progress:
            print_logins(self.stdout)

    def health(self) -> None:
        """History for the trend charts, and today's snapshots and alerts. Without emails: a
        digest of every demo account would fill the console; they start the next morning."""
        from twohats.health.services import health_backfill
        from twohats.health.tasks import daily_run

        today = timezone.localdate()
        weeks = health_backfill(until=today, weeks=26)
        self.stdout.write(f"Health history: {len(weeks)} weekly snapshots from {weeks[0].date}.")
        done = daily_run(date=today, email=False)
        failed = [name for name, step in done.get("steps", {}).items() if not step["ok"]]
        self.stdout.write(
            f"Today's daily job: {'failed steps: ' + ', '.join(failed) if failed else 'done'}."
        )
