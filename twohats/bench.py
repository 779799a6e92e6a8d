"""`make bench`: build a large deterministic dataset and time the busiest pages.

Runs in its own database (var/bench-<scale>.sqlite3, or a `<name>_bench` database next to the
one DATABASE_URL names), so it never touches real data. Prints the demo build's rows per second,
then for each page: SQL queries per request and the median and 95th percentile of the server
time over 50 requests (measured in-process, from the request entering Django to the response
leaving it, so the figures exclude the network and the browser). The delivery pages (the
project page of the project with the most reports, milestones and changes and of a typical one;
the portfolio's SPI/CPI scatter) are found by URL name, and skipped with a line saying so while
they do not exist.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent


def prepare_database(scale: str, fresh: bool) -> str:
    """Point the settings at the benchmark database; return a label for it."""
    url = os.getenv("DATABASE_URL", "")
    if url:
        parts = urlsplit(url)
        name = parts.path.lstrip("/") + "_bench"
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + name))
        import psycopg

        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute("select 1 from pg_database where datname = %s", [name]).fetchone()
            if exists and fresh:
                conn.execute(f'drop database "{name}" with (force)')
                exists = None
            if not exists:
                conn.execute(f'create database "{name}"')
        return f"PostgreSQL database {name}"
    path = BASE_DIR / "var" / f"bench-{scale}.sqlite3"
    path.parent.mkdir(exist_ok=True)
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.environ["SQLITE_PATH"] = str(path)
    return f"SQLite file {path}"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def measure(label: str, request: Callable[[], Any], runs: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = request()
    status = response.status_code
    # Read the count now: later requests clear the connection's query log.
    query_count = len(queries.captured_queries)
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = request()
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        times.append((time.perf_counter() - started) * 1000)
    return {
        "page": label,
        "status": status,
        "queries": query_count,
        "median_ms": statistics.median(times),
        "p95_ms": percentile(times, 0.95),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("--scale", default="large", help="large (default), small, or N clients")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument(
        "--reuse", action="store_true", help="keep a benchmark database built earlier"
    )
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twohats.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-" + "x" * 40)
    os.environ["AXES_ENABLED"] = "0"
    target = prepare_database(args.scale, fresh=not args.reuse)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)

    from twohats.clients.models import Client
    from twohats.demo.build import DEFAULT_SEED, build
    from twohats.demo.scale import parse_scale

    print(f"Benchmark database: {target}")
    if not Client.objects.exists():
        writer = build(
            scale=parse_scale(args.scale),
            seed=args.seed if args.seed is not None else DEFAULT_SEED,
            progress=sys.stdout.isatty(),
        )
        print(
            f"Demo build: {writer.total_rows:,} rows in {writer.elapsed:.1f} s = "
            f"{writer.total_rows / writer.elapsed:,.0f} rows/s"
        )
        for line in writer.report():
            print("  " + line)
        delivery = [label for label in writer.rows if label in DELIVERY_TABLES]
        delivery_rows = sum(writer.rows[label] for label in delivery)
        seconds = writer.steps.get(DELIVERY_STEP, 0.0)
        if seconds:
            print(
                f"Delivery data ({', '.join(delivery)}): {delivery_rows:,} rows in "
                f"{seconds:.1f} s = {delivery_rows / seconds:,.0f} rows/s, "
                f"{seconds / writer.elapsed:.0%} of the build"
            )
    else:
        print("Demo build: reusing the data already in the benchmark database")

    measure_health()
    rows = measure_pages(args.runs) + measure_delivery_pages(args.runs)
    print(f"\n{'page':<58} {'status':>6} {'queries':>7} {'median ms':>10} {'p95 ms':>8}")
    for row in rows:
        print(
            f"{row['page']:<58} {row['status']:>6} {row['queries']:>7} "
            f"{row['median_ms']:>10.1f} {row['p95_ms']:>8.1f}"
        )
    return 0


DELIVERY_TABLES = (
    "projects.Baseline",
    "projects.PlannedValue",
    "projects.StatusReport",
    "projects.Milestone",
    "projects.ChangeRequest",
)
DELIVERY_STEP = "plans and reports"

BASELINE_SQL = (
    "SELECT client_id, count(*), max(occurred_at), avg(sentiment) FROM {table} GROUP BY client_id"
)


def measure_health() -> None:
    """The daily computation at this scale: a full recompute of every client's and project's
    health against a plain GROUP BY over the same interactions, then the alert rules."""
    from django.db import connection
    from django.utils import timezone

    from twohats.alerts.rules import alerts_evaluate
    from twohats.interactions.models import Interaction

    table = Interaction._meta.db_table
    baseline = []
    for _ in range(3):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(BASELINE_SQL.format(table=table))
            cursor.fetchall()
        baseline.append(time.perf_counter() - started)
    from twohats.health.services import health_recompute

    done = health_recompute(date=timezone.localdate())
    base = statistics.median(baseline)
    print(
        f"\nHealth recompute: {done.clients:,} clients and {done.projects:,} projects in "
        f"{done.seconds:.2f} s; baseline GROUP BY {base:.2f} s; ratio {done.seconds / base:.1f}x"
    )
    started = time.perf_counter()
    evaluated = alerts_evaluate()
    print(
        f"Alert rules: {time.perf_counter() - started:.2f} s "
        f"({evaluated.opened:,} opened, {evaluated.updated:,} still firing, "
        f"{evaluated.resolved:,} resolved)"
    )


def measure_pages(runs: int) -> list[dict[str, Any]]:
    from django.db.models import Count
    from django.test import Client as Browser

    from twohats.clients.models import Client
    from twohats.people.models import Role, User
    from twohats.people.services import api_token_create

    largest = Client.objects.annotate(n=Count("interactions")).order_by("-n").first()
    assert largest is not None
    lead = largest.account_lead
    director = User.objects.filter(role=Role.DIRECTOR, led_practices__isnull=False).first()
    executive = (
        User.objects.filter(role=Role.EXECUTIVE).first()
        or User.objects.filter(role=Role.ADMIN).first()
    )
    assert director is not None and executive is not None
    _, token = api_token_create(user=executive, name="benchmark")
    _, lead_token = api_token_create(user=lead, name="benchmark")

    def signed_in(user: User) -> Browser:
        browser = Browser()
        browser.force_login(user)
        return browser

    as_lead, as_director, as_executive = signed_in(lead), signed_in(director), signed_in(executive)
    api = Browser(headers={"Authorization": f"Bearer {token}"})
    lead_api = Browser(headers={"Authorization": f"Bearer {lead_token}"})
    page = f"/clients/{largest.pk}/"
    checks: list[tuple[str, Callable[[], Any]]] = [
        ("Today, PM (lead of the largest account)", lambda: as_lead.get("/")),
        ("Today, director", lambda: as_director.get("/")),
        ("portfolio, director", lambda: as_director.get("/portfolio/")),
        ("portfolio, executive (all clients)", lambda: as_executive.get("/portfolio/")),
        ("client list, executive (all clients)", lambda: as_executive.get("/clients/")),
        ("client list, director", lambda: as_director.get("/clients/")),
        ("client list, PM", lambda: as_lead.get("/clients/")),
        ("client list, executive, search 'an'", lambda: as_executive.get("/clients/?q=an")),
        (f"largest client page ({largest.pk}), its lead", lambda: as_lead.get(page)),
        ("largest client page, executive", lambda: as_executive.get(page)),
        ("largest client timeline (HTMX part)", lambda: as_lead.get(f"{page}timeline/")),
        (
            "largest client interaction form (HTMX part)",
            lambda: as_lead.get(f"{page}interactions/new/", headers={"HX-Request": "true"}),
        ),
        ("API client list, executive", lambda: api.get("/api/v1/clients")),
        ("API client list, PM", lambda: lead_api.get("/api/v1/clients")),
        (
            "API interactions of the largest client",
            lambda: api.get(f"/api/v1/interactions?client={largest.pk}"),
        ),
    ]
    return [measure(label, call, runs) for label, call in checks]


def url_or_none(name: str, *args: object) -> str | None:
    """The path of a named URL, or None while the page does not exist yet."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


# The portfolio's SPI/CPI scatter: the health URL of this name (the page), or failing
# that one whose name or view says scatter.
SCATTER_URL_NAME = "health:delivery"


def scatter_url() -> str | None:
    from django.urls import URLPattern, get_resolver

    url = url_or_none(SCATTER_URL_NAME)
    if url is not None:
        return url
    patterns = get_resolver().namespace_dict.get("health")
    if patterns is None:
        return None
    for pattern in patterns[1].url_patterns:
        if not isinstance(pattern, URLPattern) or not pattern.name:
            continue
        view = getattr(pattern.callback, "__name__", "")
        if "scatter" in pattern.name or "scatter" in view:
            return url_or_none(f"health:{pattern.name}")
    return None


def measure_delivery_pages(runs: int) -> list[dict[str, Any]]:
    """The project page of the project with the most delivery records and of a typical one,
    as their PMs, and the portfolio's SPI/CPI scatter; a page not built yet is skipped."""
    from django.db.models import Count, IntegerField, OuterRef, Subquery
    from django.db.models.functions import Coalesce
    from django.test import Client as Browser

    from twohats.people.models import Role, User
    from twohats.projects.models import ChangeRequest, Milestone, Project, StatusReport

    def count_of(model: Any) -> Coalesce:
        rows = (
            model.objects.filter(project=OuterRef("pk"))
            .order_by()
            .values("project")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(rows, output_field=IntegerField()), 0)

    ranked = list(
        Project.objects.exclude(status="proposed")
        .annotate(
            n_reports=count_of(StatusReport),
            n_milestones=count_of(Milestone),
            n_changes=count_of(ChangeRequest),
        )
        .values_list("pk", "n_reports", "n_milestones", "n_changes")
    )
    if not ranked:
        print("Project pages: skipped, no project has started")
        return []
    by_total = sorted(ranked, key=lambda row: (-(row[1] + row[2] + row[3]), row[0]))
    picks = [("most records", by_total[0]), ("typical", by_total[len(by_total) // 2])]

    def signed_in(user: User) -> Browser:
        browser = Browser()
        browser.force_login(user)
        return browser

    checks: list[tuple[str, Callable[[], Any]]] = []
    for kind, (pk, reports, milestones, changes) in picks:
        url = url_or_none("projects:detail", pk)
        if url is None:
            print("Project page: skipped, no URL named projects:detail yet")
            break
        project = Project.objects.select_related("manager").get(pk=pk)
        browser = signed_in(project.manager)
        label = f"project page, PM, {kind}: {reports} rep / {milestones} ms / {changes} CR"
        checks.append((label, partial(browser.get, url)))
    scatter = scatter_url()
    if scatter is None:
        print(
            f"Portfolio SPI/CPI scatter: skipped, no URL named {SCATTER_URL_NAME} "
            "(nor a health URL or view named *scatter*) yet"
        )
    else:
        director = User.objects.filter(role=Role.DIRECTOR, led_practices__isnull=False).first()
        executive = (
            User.objects.filter(role=Role.EXECUTIVE).first()
            or User.objects.filter(role=Role.ADMIN).first()
        )
        assert director is not None and executive is not None
        as_director, as_executive = signed_in(director), signed_in(executive)
        checks.append(("portfolio SPI/CPI scatter, director", lambda: as_director.get(scatter)))
        checks.append(("portfolio SPI/CPI scatter, executive", lambda: as_executive.get(scatter)))
    return [measure(label, call, runs) for label, call in checks]


if __name__ == "__main__":
    sys.exit(main())
