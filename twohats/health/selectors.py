"""Reads of health for the pages and the API: latest snapshots, series, portfolio rows, PM pages.

Every function runs a fixed number of queries, whatever the number of clients, projects or
snapshots it returns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    F,
    FilteredRelation,
    FloatField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from twohats.clients.models import Client
from twohats.health.filters import QUADRANT_CHOICES, QUADRANTS
from twohats.health.independence import (
    Absorbed,
    Independence,
    Week,
    absorbed_changes,
    independence,
    weekly_locations,
)
from twohats.health.models import HealthPolicy, HealthSnapshot
from twohats.health.policy import PolicyConfig
from twohats.health.roles import Mix, neglected_roles, role_distance, role_mix, target_shares
from twohats.people.models import Role, User
from twohats.projects.models import Project, ProjectStatus
from twohats.surveys.selectors import pm_roles_seen

# The trend compares the latest snapshot with the latest one at least this many days older.
TREND_DAYS = 30
# ...but not older than this: a trend against a much older snapshot would mislead.
TREND_MAX_DAYS = 44
# A change of fewer points than this reads as steady.
STEADY_POINTS = 3.0
# The client card's chart spans this many days back from the latest snapshot.
SERIES_DAYS = 182

BANDS = ("red", "amber", "green", "unknown")


def trend_of(change: float | None) -> str:
    """ "up", "down" or "steady"; "" without an earlier score to compare with."""
    if change is None:
        return ""
    if change >= STEADY_POINTS:
        return "up"
    if change <= -STEADY_POINTS:
        return "down"
    return "steady"


# ---------------------------------------------------------------------------------------------
# Who may see a PM's page


def pms_visible_to(viewer: User) -> QuerySet[User]:
    """The people whose role balance and independence a user may see: themselves, the staff of
    the practices a director leads, everyone for executives and administrators. Only people who
    lead accounts or manage projects (PMs and directors) have such a page."""
    leads = User.objects.filter(role__in=[Role.PM, Role.DIRECTOR])
    if viewer.sees_everything:
        return leads
    visible = Q(pk=viewer.pk)
    if viewer.is_director:
        visible |= Q(practice__lead=viewer)
    return leads.filter(visible)


# ---------------------------------------------------------------------------------------------
# Client snapshots


def client_snapshots() -> QuerySet[HealthSnapshot]:
    return HealthSnapshot.objects.of_clients()


def latest_client_snapshot(client: Client) -> HealthSnapshot | None:
    return client_snapshots().filter(client=client).select_related("policy").first()


def latest_project_snapshot(project: Project) -> HealthSnapshot | None:
    return (
        HealthSnapshot.objects.filter(project=project)
        .select_related("policy")
        .order_by("-date")
        .first()
    )


def snapshot_history(
    snapshots: QuerySet[HealthSnapshot], *, since: dt.date, until: dt.date
) -> QuerySet[HealthSnapshot]:
    """The snapshots between two dates (both included), oldest first."""
    return (
        snapshots.filter(date__gte=since, date__lte=until).select_related("policy").order_by("date")
    )


@dataclass(frozen=True)
class Point:
    date: dt.date
    overall: float | None
    band: str
    dimensions: dict[str, float | None]


def client_series(client: Client, *, until: dt.date, days: int = SERIES_DAYS) -> list[Point]:
    """The client's overall score and each dimension's by date, for the trend chart."""
    rows = (
        client_snapshots()
        .filter(client=client, date__gt=until - dt.timedelta(days=days), date__lte=until)
        .order_by("date")
        .values_list("date", "overall", "band", "dimensions")
    )
    return [Point(day, overall, band, parts or {}) for day, overall, band, parts in rows]


def earlier_point(series: list[Point], latest: dt.date) -> Point | None:
    """The point the trend compares with: the latest at least TREND_DAYS before `latest`."""
    floor = latest - dt.timedelta(days=TREND_MAX_DAYS)
    ceiling = latest - dt.timedelta(days=TREND_DAYS)
    earlier = [point for point in series if floor <= point.date <= ceiling]
    return earlier[-1] if earlier else None


def with_latest_report(projects: QuerySet[Project]) -> QuerySet[Project]:
    """Projects with their latest current status report's date, SPI, CPI and RAG (None without
    a report): one join on the report flagged latest when it was written."""
    joined = projects.annotate(
        latest_report=FilteredRelation(
            "status_reports", condition=Q(status_reports__is_latest=True)
        )
    )
    return joined.annotate(
        report_date=F("latest_report__period_end"),
        report_spi=F("latest_report__spi"),
        report_cpi=F("latest_report__cpi"),
        report_rag=F("latest_report__rag"),
    )


def band_deliveries(projects: list[Project], policy: PolicyConfig) -> list[Project]:
    """Name the bands of projects read by `with_latest_report`, under the policy: no query."""
    for project in projects:
        project.spi_band = policy.delivery.spi.of(project.report_spi)  # type: ignore[attr-defined]
        project.cpi_band = policy.delivery.cpi.of(project.report_cpi)  # type: ignore[attr-defined]
    return projects


def project_bands(client: Client, date: dt.date | None) -> list[Project]:
    """The client's active projects, each with its snapshot of `date` (None without one): its
    overall and relationship health, and its delivery from the latest status report. 2 queries
    (the projects, the policy)."""
    projects = with_latest_report(
        Project.objects.filter(
            client=client, status=ProjectStatus.ACTIVE, archived_at__isnull=True
        ).select_related("manager")
    )
    if date is None:
        projects = projects.annotate(
            health_score=Value(None, FloatField()),
            health_band=Value("unknown"),
            relationship_score=Value(None, FloatField()),
        )
    else:
        projects = projects.annotate(
            snapshot=FilteredRelation("health_snapshots", condition=Q(health_snapshots__date=date))
        ).annotate(
            health_score=F("snapshot__overall"),
            health_band=Coalesce(F("snapshot__band"), Value("unknown")),
            relationship_score=F("snapshot__relationship"),
        )
    policy = HealthPolicy.objects.active().rules
    found = band_deliveries(list(projects.order_by("name", "id")), policy)
    for project in found:
        project.relationship_band = policy.bands.of(project.relationship_score)  # type: ignore[attr-defined]
    return found


def client_health(client: Client) -> dict[str, Any]:
    """What the client's health card shows: 4 queries."""
    latest = latest_client_snapshot(client)
    if latest is None:
        return {"snapshot": None, "series": [], "projects": project_bands(client, None)}
    series = client_series(client, until=latest.date)
    earlier = earlier_point(series, latest.date)
    change = (
        latest.overall - earlier.overall
        if earlier and earlier.overall is not None and latest.overall is not None
        else None
    )
    return {
        "snapshot": latest,
        "series": series,
        "earlier": earlier,
        "change": change,
        "trend": trend_of(change),
        "projects": project_bands(client, latest.date),
    }


# ---------------------------------------------------------------------------------------------
# Portfolio


@dataclass(frozen=True)
class AsOf:
    """The dates the portfolio compares: the latest computed and the one about 30 days before."""

    latest: dt.date | None
    earlier: dt.date | None


def portfolio_dates() -> AsOf:
    """2 queries, each a lookup at the end of the (date) index. A computation writes every
    client's and project's snapshots of a date, so the dates of all snapshots will do."""
    latest = _last_date(HealthSnapshot.objects.all())
    if latest is None:
        return AsOf(None, None)
    earlier = _last_date(
        HealthSnapshot.objects.filter(
            date__lte=latest - dt.timedelta(days=TREND_DAYS),
            date__gte=latest - dt.timedelta(days=TREND_MAX_DAYS),
        )
    )
    return AsOf(latest, earlier)


def _last_date(snapshots: QuerySet[HealthSnapshot]) -> dt.date | None:
    found: dt.date | None = snapshots.aggregate(last=Max("date"))["last"]
    return found


def with_health(clients: QuerySet[Client], as_of: AsOf) -> QuerySet[Client]:
    """Clients with their snapshot of the latest date and of the one about 30 days before.

    Every current client gets a snapshot on each computed date, so the latest date's snapshot
    is each client's latest; joining on a date uses the one-snapshot-a-day unique index."""

    clients = clients.select_related("account_lead__practice")
    nothing = Value(None, FloatField())
    if as_of.latest is None:
        return clients.annotate(
            health_date=Value(None, DateField()),
            health_score=nothing,
            health_band=Value("unknown"),
            previous_score=nothing,
            health_change=nothing,
            health_trend=Value(""),
        )
    clients = clients.annotate(latest=_snapshot_of(as_of.latest)).annotate(
        health_date=F("latest__date"),
        health_score=F("latest__overall"),
        health_band=Coalesce(F("latest__band"), Value("unknown")),
    )
    if as_of.earlier is None:
        return clients.annotate(
            previous_score=nothing, health_change=nothing, health_trend=Value("")
        )
    return (
        clients.annotate(earlier=_snapshot_of(as_of.earlier))
        .annotate(
            previous_score=F("earlier__overall"),
            health_change=F("latest__overall") - F("earlier__overall"),
        )
        .annotate(
            health_trend=Case(
                When(health_change__gte=STEADY_POINTS, then=Value("up")),
                When(health_change__lte=-STEADY_POINTS, then=Value("down")),
                When(health_change__isnull=False, then=Value("steady")),
                default=Value(""),
            )
        )
    )


def _snapshot_of(date: dt.date) -> FilteredRelation:
    return FilteredRelation(
        "health_snapshots",
        condition=Q(health_snapshots__date=date, health_snapshots__project__isnull=True),
    )


def portfolio_rows(viewer: User, as_of: AsOf) -> QuerySet[Client]:
    """The current clients the user may see, with their health; whether the user may open the
    page of each account lead comes along (`lead_visible`)."""
    return with_health(Client.objects.visible_to(viewer).active(), as_of).annotate(
        lead_visible=Exists(pms_visible_to(viewer).filter(pk=OuterRef("account_lead_id")))
    )


def band_counts(rows: QuerySet[Any]) -> dict[str, int]:
    """How many rows fall in each band: 1 query."""
    counted = rows.order_by().values("health_band").annotate(n=Count("id"))
    found = {row["health_band"]: row["n"] for row in counted}
    return {band: found.get(band, 0) for band in BANDS}


# ---------------------------------------------------------------------------------------------
# A PM's page


@dataclass(frozen=True)
class RoleBalance:
    since: dt.datetime
    until: dt.datetime
    mix: Mix | None  # None without interactions in the window
    target: Mix
    distance: float | None
    distance_max: float
    neglected: list[str]

    @property
    def off_target(self) -> bool:
        return self.distance is not None and self.distance > self.distance_max


def role_balance(
    subject: User | Client,
    *,
    now: dt.datetime,
    policy: HealthPolicy,
    days: int | None = None,
) -> RoleBalance:
    """A PM's mix (the interactions they took part in) or a client's (every interaction with
    the account) over `days` (the policy's role window by default) against the policy's
    target: 1 query."""
    rules = policy.rules
    since = now - dt.timedelta(days=days or rules.rules.role_window_days)
    by: Literal["pm", "client"] = "client" if isinstance(subject, Client) else "pm"
    mix = role_mix(by=by, since=since, until=now, ids=[subject.pk]).get(subject.pk)
    return RoleBalance(
        since=since,
        until=now,
        mix=mix,
        target=target_shares(rules.role_target),
        distance=role_distance(mix, rules.role_target) if mix else None,
        distance_max=rules.rules.role_distance_max,
        neglected=neglected_roles(mix, rules.role_target) if mix else [],
    )


@dataclass(frozen=True)
class IndependenceView:
    numbers: Independence | None  # None without recorded workdays in the window
    weeks: list[Week]
    client_names: dict[int, str]  # the clients named in the numbers that the viewer may see
    site_share_max: float
    home_absence_max: int
    absorbed: Absorbed | None = None  # None: no project running and nothing absorbed
    absorbed_count_max: int = 0
    absorbed_share_max: float = 0.0

    @property
    def absorbed_high(self) -> bool:
        """As many absorbed change requests, or as much of the budgets given away, as raise
        the going-native alert's severity."""
        gave = self.absorbed
        return gave is not None and (
            gave.count >= self.absorbed_count_max or (gave.share or 0) >= self.absorbed_share_max
        )

    @property
    def top_share_high(self) -> bool:
        share = self.numbers.top_client_share if self.numbers else None
        return share is not None and share > self.site_share_max

    @property
    def home_absence_high(self) -> bool:
        return bool(self.numbers) and (
            self.numbers.workdays_since_home_office >= self.home_absence_max  # type: ignore[union-attr]
        )


def independence_view(
    viewer: User, person: User, *, today: dt.date, policy: HealthPolicy
) -> IndependenceView:
    """The person's independence numbers over the policy's window, the change requests they
    absorbed in it, and 12 weeks of places: at most 7 queries."""
    rules = policy.rules.rules
    numbers = independence(until=today, weeks=rules.native_weeks, user_ids=[person.pk]).get(
        person.pk
    )
    weeks = weekly_locations(person.pk, until=today, weeks=12)
    named = {numbers.top_client_id, numbers.longest_streak_client_id} - {None} if numbers else set()
    names = (
        dict(Client.objects.visible_to(viewer).filter(pk__in=named).values_list("pk", "name"))
        if named
        else {}
    )
    return IndependenceView(
        numbers=numbers,
        weeks=weeks,
        client_names=names,
        site_share_max=rules.native_site_share,
        home_absence_max=rules.native_home_absence_days,
        absorbed=absorbed_changes(until=today, weeks=rules.native_weeks, user_ids=[person.pk]).get(
            person.pk
        ),
        absorbed_count_max=rules.native_absorbed_count,
        absorbed_share_max=rules.native_absorbed_share,
    )


def person_page(viewer: User, person: User, *, now: dt.datetime, today: dt.date) -> dict[str, Any]:
    """Everything the PM page shows, in a fixed number of queries."""
    policy = HealthPolicy.objects.active()
    as_of = portfolio_dates()
    led = with_health(
        Client.objects.visible_to(viewer).active().filter(account_lead=person), as_of
    ).order_by(F("health_score").asc(nulls_last=True), "name", "id")
    return {
        "person": person,
        "policy": policy,
        "roles": role_balance(person, now=now, policy=policy),
        "roles_seen": pm_roles_seen(
            person,
            now - dt.timedelta(days=policy.rules.surveys.window_days),
            min_n=policy.rules.surveys.min_n,
        ),
        "independence": independence_view(viewer, person, today=today, policy=policy),
        "clients": list(led),
        "as_of": as_of,
    }


# ---------------------------------------------------------------------------------------------
# Delivery: projects by SPI/CPI quadrant

# The scatter draws at most this many projects (the worst first); the table pages through all.
SCATTER_LIMIT = 2000


def delivery_rows(viewer: User) -> QuerySet[Project]:
    """The active projects the user may see, with their latest status report's SPI, CPI, RAG
    and date, and the quadrant they fall in (`unknown` without both indices)."""
    projects = with_latest_report(
        Project.objects.visible_to(viewer)
        .active()
        .filter(status=ProjectStatus.ACTIVE)
        .select_related("client", "manager__practice")
    )
    return projects.annotate(
        quadrant=Case(
            *(When(condition, then=Value(name)) for name, (_, condition) in QUADRANTS.items()),
            default=Value("unknown"),
        )
    )


def quadrant_counts(rows: QuerySet[Any]) -> dict[str, int]:
    """How many rows fall in each quadrant: 1 query."""
    counted = rows.order_by().values("quadrant").annotate(n=Count("id"))
    found = {row["quadrant"]: row["n"] for row in counted}
    return {name: found.get(name, 0) for name, _ in QUADRANT_CHOICES}


def scatter_points(rows: QuerySet[Any]) -> list[dict[str, Any]]:
    """The rows with both indices, as few columns as the chart needs: 1 query, at most
    SCATTER_LIMIT + 1 rows (one more says there were more)."""
    return list(
        rows.exclude(quadrant="unknown").values(
            "id", "name", "client__name", "report_spi", "report_cpi", "quadrant"
        )[: SCATTER_LIMIT + 1]
    )
