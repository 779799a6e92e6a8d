"""Health over the JSON API: snapshots of clients and projects, the portfolio, and each PM's role
balance and independence. The same access rules as the pages: what you may not see answers 404.
"""

import datetime as dt
from dataclasses import asdict
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from twohats.apikit import Id, current_user, filter_list, invalid, paginated
from twohats.clients.models import Client, Industry, Tier
from twohats.health.filters import PortfolioFilter
from twohats.health.independence import (
    Independence,
    independence,
    weekly_locations,
    window_start,
)
from twohats.health.models import HealthPolicy, HealthSnapshot
from twohats.health.selectors import (
    client_snapshots,
    pms_visible_to,
    portfolio_dates,
    portfolio_rows,
    role_balance,
    snapshot_history,
)
from twohats.projects.models import Project

router = Router(tags=["health"])

# A history answers at most this many days at once.
MAX_HISTORY_DAYS = 3 * 366
DEFAULT_HISTORY_DAYS = 90

Band = Literal["red", "amber", "green", "unknown"]

# ---------------------------------------------------------------------------------------------
# Snapshots


class SignalOut(Schema):
    raw: float
    score: float
    weight: float
    detail: dict[str, Any] | None = None


class SnapshotOut(Schema):
    date: dt.date
    client: int = Field(..., alias="client_id")
    project: int | None = Field(..., alias="project_id")
    overall: float | None = Field(..., description="0 to 100; null when no signal had data.")
    band: Band
    relationship: float | None = Field(
        None, description="0 to 100: every dimension but delivery, relationship health alone."
    )
    dimensions: dict[str, float | None] = Field(..., description="Null: no data.")
    signals: dict[str, SignalOut] = Field(..., description="Measured signals, by name.")
    reasons: list[str] = Field(..., description="In plain words, the largest shortfall first.")
    missing: list[str] = Field(..., description="Signals without data, left out of the score.")
    policy_version: int = Field(..., alias="policy.version")
    computed_at: dt.datetime


class PointOut(Schema):
    date: dt.date
    overall: float | None
    band: Band
    dimensions: dict[str, float | None]
    policy_version: int = Field(..., alias="policy.version")


class HistoryQuery(Schema):
    since: dt.date | None = Field(
        None, description=f"On or after this day; {DEFAULT_HISTORY_DAYS} days before `until`."
    )
    until: dt.date | None = Field(None, description="On or before this day; today by default.")


def _span(query: HistoryQuery) -> tuple[dt.date, dt.date]:
    until = query.until or timezone.localdate()
    since = query.since or until - dt.timedelta(days=DEFAULT_HISTORY_DAYS)
    if since > until:
        raise invalid("since", "`since` must not be after `until`.", "query")
    if (until - since).days > MAX_HISTORY_DAYS:
        raise invalid("since", f"Ask for at most {MAX_HISTORY_DAYS} days at once.", "query")
    return since, until


def _latest(snapshots: QuerySet[HealthSnapshot]) -> HealthSnapshot:
    found = snapshots.select_related("policy").order_by("-date").first()
    if found is None:
        raise Http404("No health snapshot has been computed for it yet.")
    return found


def _client(request: HttpRequest, client_id: int) -> Client:
    return get_object_or_404(Client.objects.visible_to(current_user(request)), pk=client_id)


def _project(request: HttpRequest, project_id: int) -> Project:
    return get_object_or_404(Project.objects.visible_to(current_user(request)), pk=project_id)


@router.get("/health/clients/{int:client_id}", response=SnapshotOut)
def client_health(request: HttpRequest, client_id: int) -> HealthSnapshot:
    """The client's latest health snapshot; 404 also while none has been computed (see
    `GET /clients/{id}` to tell the two apart)."""
    return _latest(client_snapshots().filter(client=_client(request, client_id)))


@router.get("/health/clients/{int:client_id}/history", response=list[PointOut])
def client_health_history(
    request: HttpRequest, client_id: int, query: Query[HistoryQuery]
) -> QuerySet[HealthSnapshot]:
    """The client's snapshots by date, oldest first: daily for 90 days, weekly before."""
    since, until = _span(query)
    snapshots = client_snapshots().filter(client=_client(request, client_id))
    return snapshot_history(snapshots, since=since, until=until)


@router.get("/health/projects/{int:project_id}", response=SnapshotOut)
def project_health(request: HttpRequest, project_id: int) -> HealthSnapshot:
    """The project's latest health snapshot; 404 also while none has been computed."""
    return _latest(HealthSnapshot.objects.filter(project=_project(request, project_id)))


@router.get("/health/projects/{int:project_id}/history", response=list[PointOut])
def project_health_history(
    request: HttpRequest, project_id: int, query: Query[HistoryQuery]
) -> QuerySet[HealthSnapshot]:
    since, until = _span(query)
    snapshots = HealthSnapshot.objects.filter(project=_project(request, project_id))
    return snapshot_history(snapshots, since=since, until=until)


# ---------------------------------------------------------------------------------------------
# Portfolio


class PortfolioRowOut(Schema):
    client: int = Field(..., alias="id")
    name: str
    industry: str
    tier: str
    account_lead: int = Field(..., alias="account_lead_id")
    account_lead_name: str
    practice: int | None = Field(..., alias="account_lead.practice_id")
    date: dt.date | None = Field(..., alias="health_date", description="Of the latest snapshot.")
    overall: float | None = Field(..., alias="health_score")
    band: Band = Field(..., alias="health_band")
    previous_overall: float | None = Field(
        ..., alias="previous_score", description="The score about 30 days before."
    )
    change: float | None = Field(..., alias="health_change")
    trend: Literal["up", "down", "steady", ""] = Field(
        ..., alias="health_trend", description="Empty without an earlier score."
    )

    @staticmethod
    def resolve_account_lead_name(obj: Client) -> str:
        return str(obj.account_lead)


class PortfolioQuery(Schema):
    q: str | None = Field(None, description="Search in client names.")
    practice: Id | None = Field(None, description="The account lead's practice.")
    account_lead: Id | None = Field(None, description="Account lead's user id.")
    industry: Industry | None = None
    tier: Tier | None = None
    band: Band | None = None


@router.get("/health/portfolio", response=list[PortfolioRowOut])
@paginated
def portfolio(request: HttpRequest, filters: Query[PortfolioQuery]) -> QuerySet[Client]:
    """The current clients you may see, each with its latest health and the change against
    about 30 days before; filtered as on the portfolio page, in the order of client ids."""
    user = current_user(request)
    return filter_list(PortfolioFilter, filters, portfolio_rows(user, portfolio_dates()))


# ---------------------------------------------------------------------------------------------
# People


class RolesOut(Schema):
    user: int
    name: str
    since: dt.datetime
    until: dt.datetime
    mix: dict[str, float] | None = Field(
        ...,
        description="Share of interaction time per role (summing to 1); null without "
        "interactions in the window.",
    )
    target: dict[str, float] = Field(..., description="The policy's target, as shares.")
    distance: float | None = Field(
        ..., description="Total variation distance from the target: 0 (same) to 1."
    )
    distance_max: float = Field(..., description="What the policy allows.")
    neglected: list[str] = Field(..., description="Roles below half their target, in words.")


class RolesQuery(Schema):
    days: int | None = Field(
        None, ge=7, le=730, description="The window, in days; the policy's role window by default."
    )


@router.get("/people/{int:user_id}/roles", response=RolesOut)
def person_roles(request: HttpRequest, user_id: int, query: Query[RolesQuery]) -> dict[str, Any]:
    """A PM's role balance: the person themselves, their practice's director, executives and
    administrators may see it."""
    person = get_object_or_404(pms_visible_to(current_user(request)), pk=user_id)
    policy = HealthPolicy.objects.active()
    balance = role_balance(person, now=timezone.now(), policy=policy, days=query.days)
    return {"user": person.pk, "name": str(person), **asdict(balance)}


class ClientRolesOut(Schema):
    client: int
    name: str
    since: dt.datetime
    until: dt.datetime
    mix: dict[str, float] | None = Field(
        ...,
        description="Share of the account's interaction time per role (summing to 1); null "
        "without interactions in the window.",
    )
    target: dict[str, float]
    distance: float | None
    distance_max: float
    neglected: list[str]


@router.get("/health/clients/{int:client_id}/roles", response=ClientRolesOut)
def client_roles(request: HttpRequest, client_id: int, query: Query[RolesQuery]) -> dict[str, Any]:
    """The account's role balance: every interaction with the client, against the target."""
    client = _client(request, client_id)
    policy = HealthPolicy.objects.active()
    balance = role_balance(client, now=timezone.now(), policy=policy, days=query.days)
    return {"client": client.pk, "name": client.name, **asdict(balance)}


class WeekOut(Schema):
    start: dt.date
    end: dt.date
    client_site: int
    home_office: int
    remote: int


class SiteOut(Schema):
    client: int
    client_name: str | None = Field(..., description="Null for a client you may not see.")
    days: int
    share: float


class IndependenceOut(Schema):
    user: int
    name: str
    since: dt.date
    until: dt.date
    workdays: int
    client_site_days: int
    home_office_days: int
    remote_days: int
    sites: list[SiteOut] = Field(..., description="Days at each client's site, most first.")
    top_client: int | None
    top_client_share: float | None
    last_home_office: dt.date | None
    workdays_since_home_office: int = Field(
        ..., description="Recorded workdays after the last day at the home office."
    )
    longest_streak: int = Field(
        ..., description="Most consecutive recorded workdays at one client's site."
    )
    longest_streak_client: int | None
    longest_streak_end: dt.date | None
    weeks: list[WeekOut] = Field(..., description="12 calendar weeks, the last one `until`'s.")


class IndependenceQuery(Schema):
    until: dt.date | None = Field(None, description="The window's last day; today by default.")
    weeks: int | None = Field(
        None, ge=1, le=52, description="The window in weeks; the policy's by default."
    )


@router.get("/people/{int:user_id}/independence", response=IndependenceOut)
def person_independence(
    request: HttpRequest, user_id: int, query: Query[IndependenceQuery]
) -> dict[str, Any]:
    """Where a PM worked: shares of workdays at client sites, time since the home office,
    the longest run at one client's site, and 12 weeks of places."""
    viewer = current_user(request)
    person = get_object_or_404(pms_visible_to(viewer), pk=user_id)
    until = query.until or timezone.localdate()
    weeks = query.weeks or HealthPolicy.objects.active().rules.rules.native_weeks
    found = independence(until=until, weeks=weeks, user_ids=[person.pk]).get(person.pk)
    if found is None:
        found = Independence(
            user_id=person.pk,
            since=window_start(until, weeks),
            until=until,
            workdays=0,
            client_site_days=0,
            home_office_days=0,
            remote_days=0,
        )
    sites = sorted(found.site_days.items(), key=lambda item: (-item[1], item[0]))
    names = dict(
        Client.objects.visible_to(viewer)
        .filter(pk__in=[client_id for client_id, _ in sites])
        .values_list("pk", "name")
    )
    numbers = asdict(found)
    return numbers | {
        "user": person.pk,
        "name": str(person),
        "top_client": found.top_client_id,
        "top_client_share": found.top_client_share,
        "longest_streak_client": found.longest_streak_client_id,
        "sites": [
            {
                "client": client_id,
                "client_name": names.get(client_id),
                "days": days,
                "share": found.site_share(client_id),
            }
            for client_id, days in sites
        ],
        "weeks": weekly_locations(person.pk, until=until),
    }
