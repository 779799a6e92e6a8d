"""`make bench`: build a large deterministic dataset and time the busiest pages.

Runs in its own database (var/bench-<scale>.sqlite3, or a `<name>_bench` database next to the
one DATABASE_URL names), so it never touches real data. Prints the demo build's rows per second,
then for each page: SQL queries per request and the median and 95th percentile of the server
time over 50 requests (measured in-process, from the request entering Django to the response
leaving it, so the figures exclude the network and the browser). The delivery pages (the
project page of the project with the most reports, milestones and changes and of a typical one;
the portfolio's SPI/CPI scatter) are found by URL name, and skipped with a line saying so while
they do not exist. So are the client's-voice pages: the largest client's voice card and results
page, the invitations page of the project with the most invitations, the voice portfolio (as a
director) and the public survey page (GET, on a fresh invitation's token, with the rate limits
lifted for the runs). Last, the daily job's surveys step at this scale (invitations and
reminders due today; emails to a dummy backend), in a transaction rolled back afterwards, so the
benchmark database stays as built and a `--reuse` run measures the same work.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
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
    rows += measure_voice_pages(args.runs)
    measure_surveys_step()
    measure_staffing_optimiser()
    print(f"\n{'page':<58} {'status':>6} {'queries':>7} {'median ms':>10} {'p95 ms':>8}")
    for row in rows:
        print(
            f"{row['page']:<58} {row['status']:>6} {row['queries']:>7} "
            f"{row['median_ms']:>10.1f} {row['p95_ms']:>8.1f}"
        )
    measure_calibration()
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


def _fresh_survey_token(now: Any) -> tuple[Any, str] | None:
    """A new invitation (through the service, so its token is valid) to a contact the policy
    allows to invite now, and its token; None if no contact may be invited."""
    import datetime as dt

    from django.core.exceptions import ValidationError

    from twohats.clients.models import Contact
    from twohats.projects.models import Project
    from twohats.surveys.services import invitation_create, survey_policy

    _, gap = survey_policy()
    contacts = (
        Contact.objects.filter(archived_at__isnull=True, left_on__isnull=True)
        .exclude(email="")
        .exclude(survey_invitations__created_at__gt=now - dt.timedelta(days=gap))
        .filter(client__projects__status="active")
        .distinct()
        .order_by("pk")
    )
    for contact in contacts[:20]:
        project = (
            Project.objects.filter(client_id=contact.client_id, status="active")
            .order_by("pk")
            .first()
        )
        if project is None:
            continue
        try:
            return invitation_create(
                project=project, contact=contact, template_family="nps", actor=None, now=now
            )
        except ValidationError:  # opted out, or invited meanwhile: try the next one
            continue
    return None


@contextmanager
def rate_limits_lifted() -> Iterator[None]:
    """The public pages still count every request, but refuse none (50 runs from one address on
    one token would be over the limits after ten)."""
    from twohats.surveys import ratelimit

    saved = ratelimit.PER_ADDRESS, ratelimit.PER_TOKEN
    ratelimit.PER_ADDRESS = replace(saved[0], hits=10**9)
    ratelimit.PER_TOKEN = replace(saved[1], hits=10**9)
    try:
        yield
    finally:
        ratelimit.PER_ADDRESS, ratelimit.PER_TOKEN = saved


def measure_voice_pages(runs: int) -> list[dict[str, Any]]:
    """The client's-voice pages: the largest client's voice card and results page as its lead,
    the invitations page of the project with the most invitations as its PM, the voice
    portfolio as a director, and the public survey page on a fresh token; a page whose URL does
    not exist yet is skipped."""
    from django.db.models import Count
    from django.test import Client as Browser
    from django.utils import timezone

    from twohats.clients.models import Client
    from twohats.people.models import Role, User
    from twohats.projects.models import Project
    from twohats.surveys.models import Invitation, Response

    def signed_in(user: User) -> Browser:
        browser = Browser()
        browser.force_login(user)
        return browser

    checks: list[tuple[str, Callable[[], Any]]] = []
    largest = Client.objects.annotate(n=Count("interactions")).order_by("-n").first()
    assert largest is not None
    as_lead = signed_in(largest.account_lead)
    answered = Response.objects.filter(client=largest).count()
    for name, label in (
        ("surveys:client_voice_card", "voice card"),
        ("surveys:client_results", "survey results page"),
    ):
        url = url_or_none(name, largest.pk)
        if url is None:
            print(f"Client {label}: skipped, no URL named {name} yet")
            continue
        checks.append((f"largest client {label} ({answered} responses)", partial(as_lead.get, url)))
    busiest = (
        Invitation.objects.values("project")
        .annotate(n=Count("pk"))
        .order_by("-n", "project")
        .values_list("project", "n")
        .first()
    )
    invitations_url = url_or_none("surveys:project_invitations", busiest[0]) if busiest else None
    if busiest is None or invitations_url is None:
        print("Project invitations page: skipped, no invitation or no URL yet")
    else:
        project = Project.objects.select_related("manager").get(pk=busiest[0])
        checks.append(
            (
                f"project invitations page, PM ({busiest[1]} invitations)",
                partial(signed_in(project.manager).get, invitations_url),
            )
        )
    director = User.objects.filter(role=Role.DIRECTOR, led_practices__isnull=False).first()
    portfolio_url = url_or_none("surveys:portfolio")
    if director is None or portfolio_url is None:
        print("Voice portfolio: skipped, no director or no URL named surveys:portfolio yet")
    else:
        checks.append(
            ("voice portfolio, director", partial(signed_in(director).get, portfolio_url))
        )
    rows = [measure(label, call, runs) for label, call in checks]

    created = _fresh_survey_token(timezone.now())
    if created is None:
        print("Public survey page: skipped, no contact may be invited now")
        return rows
    invitation, token = created
    answer_url = url_or_none("survey_public:answer", token)
    if answer_url is not None:
        public = Browser()
        with rate_limits_lifted():
            rows.append(
                measure(
                    "public survey page GET (fresh token)", partial(public.get, answer_url), runs
                )
            )
    else:
        print("Public survey page: skipped, no URL named survey_public:answer yet")
    invitation.delete()  # leave the benchmark database as built
    return rows


def measure_surveys_step() -> None:
    """The daily job's surveys step (twohats.health.tasks: `surveys_daily`) at this scale, with
    emails to a dummy backend, rolled back afterwards."""
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from twohats.health.tasks import firm_date
    from twohats.surveys.schedule import surveys_daily

    class Rollback(Exception):
        pass

    now = timezone.now()
    backend = settings.EMAIL_BACKEND
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    summary: dict[str, Any] = {}
    seconds = 0.0
    try:
        with transaction.atomic():
            started = time.perf_counter()
            summary = surveys_daily(today=firm_date(now), now=now, email=True)
            seconds = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    finally:
        settings.EMAIL_BACKEND = backend
    invited = summary.get("cadence_invited", 0) + summary.get("milestone_invited", 0)
    print(
        f"Daily surveys step: {seconds:.2f} s; {invited:,} invitations created "
        f"({summary.get('cadence_invited', 0):,} cadence, "
        f"{summary.get('milestone_invited', 0):,} milestone; "
        f"{summary.get('cadence_skipped', 0) + summary.get('milestone_skipped', 0):,} skipped), "
        f"{summary.get('reminder_sent', 0):,} reminders, {summary.get('failed', 0):,} failed "
        "(rolled back)"
    )


def measure_staffing_optimiser(n_projects: int = 1000, n_pms: int = 500, seed: int = 7) -> float:
    """The staffing optimiser on a synthetic problem of `n_projects` open projects and `n_pms`
    PMs: fit scores from synthetic facts through the fit model (numpy, no database), random hard
    constraints, then the exact slot assignment and the greedy one. Prints and returns the
    optimiser's seconds."""
    import numpy as np

    from twohats.matching.fit import Facts, part_values, scores
    from twohats.matching.policy import FitConfig
    from twohats.matching.staffing import solve_greedy, solve_optimal

    rng = np.random.default_rng(seed)
    policy = FitConfig()
    capacity = rng.choice([32.0, 40.0], size=n_pms)
    load_now = rng.uniform(0.0, 15.0, size=n_pms)
    loads = rng.choice([5.0, 8.0, 10.0, 12.0, 15.0, 20.0], size=n_projects)
    unknown = np.full((n_pms, n_projects), np.nan)
    facts = Facts(
        pm_traits=rng.normal(50, 15, size=(n_pms, 1, 5)).clip(0, 100),
        contact_traits=rng.normal(50, 15, size=(1, n_projects, 5)).clip(0, 100),
        perceived=np.where(rng.random((n_pms, n_projects)) < 0.02, 5.0, unknown),
        client_projects=rng.poisson(0.05, size=(n_pms, n_projects)).astype(float),
        industry_projects=rng.poisson(0.6, size=(n_pms, n_projects)).astype(float),
        prior_health=unknown,
        prior_nps=unknown,
        utilisation=(load_now[:, None] + loads[None, :]) / capacity[:, None],
    )
    started = time.perf_counter()
    score, _ = scores(part_values(facts, policy), policy)
    fit_seconds = time.perf_counter() - started
    # Practices (10) and conflicts (1 %) as hard constraints; capacity is the solver's.
    practice_of_pm = rng.integers(0, 10, size=n_pms)
    practice_of_project = np.where(
        rng.random(n_projects) < 0.5, rng.integers(0, 10, size=n_projects), -1
    )
    feasible = (practice_of_project[None, :] < 0) | (
        practice_of_pm[:, None] == practice_of_project[None, :]
    )
    feasible &= rng.random((n_pms, n_projects)) > 0.01
    free = capacity - load_now
    optimal = solve_optimal(score, feasible, free, loads)
    greedy = solve_greedy(
        score, feasible, free, loads, slots=optimal.slots, slot_hours=optimal.slot_hours
    )
    print(
        f"\nStaffing optimiser, {n_projects:,} projects × {n_pms:,} PMs: fit matrix "
        f"{fit_seconds:.2f} s; optimal assignment {optimal.seconds:.2f} s "
        f"({optimal.rounds} round{'s' * (optimal.rounds != 1)}, {int(optimal.slots.sum()):,} "
        f"slots of {optimal.slot_hours:.0f} h, {optimal.staffed:,} staffed, total fit "
        f"{optimal.total:,.0f}); greedy {greedy.seconds:.2f} s ({greedy.staffed:,} staffed, "
        f"total {greedy.total:,.0f})"
    )
    return optimal.seconds


def measure_calibration() -> None:
    """The fit calibration on the benchmark's data: does it recover the demo's known effect
    (similarity on extraversion and agreeableness), and in which traits?"""
    from twohats.matching.calibration import calibrate
    from twohats.matching.models import FitPolicy

    started = time.perf_counter()
    result = calibrate(policy=FitPolicy.objects.active().rules)
    seconds = time.perf_counter() - started
    print(f"\nFit calibration on {result.n:,} past pairs ({seconds:.1f} s):")
    if result.with_personality and result.without_personality and result.gain:
        print(f"  out-of-fold R² with personality    {result.with_personality}")
        print(f"  out-of-fold R² without personality {result.without_personality}")
        print(f"  gain                               {result.gain}")
    print(f"  {result.verdict}")
    if result.proposed_traits is not None:
        traits = ", ".join(f"{t} {w:.2f}" for t, w in result.proposed_traits.items())
        print(f"  proposed trait weights: {traits}")


if __name__ == "__main__":
    sys.exit(main())
