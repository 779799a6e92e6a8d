from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from twohats.alerts.filters import ORDERING, with_subjects
from twohats.alerts.models import Alert, Severity
from twohats.alerts.models import Status as AlertStatus
from twohats.clients.models import Client, Contact
from twohats.interactions.models import Channel, ClientRequest, Interaction
from twohats.interactions.selectors import timeline_queryset
from twohats.people.models import User
from twohats.projects.models import Milestone, Project, ProjectStatus
from twohats.projects.selectors import DUE_SOON_DAYS

SEARCH_LIMIT = 10


TODAY_ALERTS = 20
TODAY_STEPS = 15
TODAY_REQUESTS = 15
TODAY_MILESTONES = 15
MILESTONE_DAYS = DUE_SOON_DAYS  # milestones due within this many days are shown


def today_for(user: User) -> dict[str, Any]:
    """The Today page: what needs attention first (alerts, overdue next steps, requests past
    their deadline), then the user's accounts, projects and latest touchpoints.

    A fixed number of queries whatever the number of rows, each bounded by a limit."""
    now = timezone.now()
    today = timezone.localdate()
    visible = Interaction.objects.visible_to(user)
    open_steps = visible.filter(next_step_owner=user, next_step_done_at__isnull=True).exclude(
        next_step=""
    )
    overdue_steps = (
        open_steps.filter(next_step_due__lt=today)
        .select_related("client")
        .order_by("next_step_due", "occurred_at")[: TODAY_STEPS + 1]
    )
    next_steps = (
        open_steps.filter(Q(next_step_due__gte=today) | Q(next_step_due__isnull=True))
        .select_related("client")
        .order_by(F("next_step_due").asc(nulls_last=True), "occurred_at")[:TODAY_STEPS]
    )
    breached = (
        ClientRequest.objects.visible_to(user)
        .filter(owner=user, first_response_at__isnull=True, due_at__lt=now)
        .select_related("client")
        .order_by("due_at", "id")[: TODAY_REQUESTS + 1]
    )
    # The latest touchpoints read from the timeline index, one account at a time: cheaper than
    # grouping every interaction of the user's accounts.
    timeline = Interaction.objects.filter(client=OuterRef("pk")).order_by("-occurred_at")
    accounts = (
        Client.objects.visible_to(user)
        .active()
        .filter(
            Q(account_lead=user)
            | Q(pk__in=Project.objects.filter(manager=user).values("client_id"))
        )
        .annotate(
            last_touch=Subquery(timeline.values("occurred_at")[:1]),
            last_face_to_face=Subquery(
                timeline.filter(channel=Channel.IN_PERSON).values("occurred_at")[:1]
            ),
        )
        .order_by(F("last_touch").asc(nulls_first=True), "name")[:25]
    )
    projects = (
        Project.objects.worked_on_by(user)
        .active()
        .filter(status=ProjectStatus.ACTIVE)
        # The clients of the projects shown, read after them: joined, every client is read.
        .prefetch_related(Prefetch("client", Client.objects.only("id", "name")))
        .order_by("end_date")[:15]
    )
    overdue = list(overdue_steps)
    late = list(breached)
    milestones = list(_due_milestones(user, today)[: TODAY_MILESTONES + 1])
    for milestone in milestones:
        milestone.days = (milestone.due - today).days  # type: ignore[attr-defined]
        milestone.days_late = -milestone.days  # type: ignore[attr-defined]
    return {
        **_today_alerts(user),
        "overdue_steps": overdue[:TODAY_STEPS],
        "more_overdue_steps": len(overdue) > TODAY_STEPS,
        "next_steps": list(next_steps),
        "breached_requests": late[:TODAY_REQUESTS],
        "more_breached_requests": len(late) > TODAY_REQUESTS,
        "milestones": milestones[:TODAY_MILESTONES],
        "more_milestones": len(milestones) > TODAY_MILESTONES,
        "milestone_days": MILESTONE_DAYS,
        "accounts": list(accounts),
        "projects": list(projects),
        "recent": list(timeline_queryset(visible.filter(logged_by=user))[:8]),
        "today": today,
        "now": now,
    }


def _due_milestones(user: User, today: dt.date) -> QuerySet[Milestone]:
    """Open milestones of the user's active projects due (by forecast, else plan) within the
    next days, the late ones first, each with `due` and `days` (negative: late): 1 query."""
    due = Coalesce("forecast_date", "planned_date")
    return (
        Milestone.objects.filter(
            project__in=Project.objects.worked_on_by(user)
            .active()
            .filter(status=ProjectStatus.ACTIVE)
            .values("pk"),
            actual_date__isnull=True,
        )
        .annotate(due=due)
        .filter(due__lte=today + dt.timedelta(days=MILESTONE_DAYS))
        .select_related("project__client")
        .only(
            "id",
            "name",
            "planned_date",
            "forecast_date",
            "project__id",
            "project__name",
            "project__client__id",
            "project__client__name",
        )
        .order_by("due", "planned_date", "id")
    )


def _today_alerts(user: User) -> dict[str, Any]:
    """Live alerts the user owns and, for a director, those their practice's people own: the
    open and acknowledged ones most severe first; snoozed ones only counted."""
    live = Alert.objects.live()
    if user.is_director:
        # Ids rather than a subquery, so that the alerts are read through the (status, owner)
        # index; those about a PM of the practice are the ones `visible_to` lets a director
        # see without reading their clients (the rules make that PM the owner).
        staff = list(User.objects.filter(practice__lead=user).values_list("pk", flat=True))
        live = live.filter(Q(owner=user) | Q(pm__in=staff), owner__in=[user.pk, *staff])
    else:
        live = live.filter(owner=user)  # what you own you may see
    awake = [AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED]
    counts = live.aggregate(
        **{
            severity.label.lower(): Count("id", filter=Q(severity=severity, status__in=awake))
            for severity in Severity
        },
        snoozed=Count("id", filter=Q(status=AlertStatus.SNOOZED)),
    )
    alerts = list(with_subjects(live.filter(status__in=awake)).order_by(*ORDERING)[:TODAY_ALERTS])
    shown = sum(counts[severity.label.lower()] for severity in Severity)
    groups = [
        (
            severity.label,
            counts[severity.label.lower()],
            [a for a in alerts if a.severity == severity],
        )
        for severity in sorted(Severity, reverse=True)
    ]
    return {
        "alert_groups": [group for group in groups if group[2]],
        "alerts_awake": shown,
        "alerts_hidden": shown - len(alerts),
        "alerts_snoozed": counts["snoozed"],
    }


def search(user: User, text: str) -> dict[str, Any]:
    text = text.strip()[:100]
    if len(text) < 2:
        return {"clients": [], "contacts": [], "projects": [], "too_short": bool(text)}
    words = text.split()
    contact_q = Q()
    for word in words:
        contact_q &= (
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
        )
    return {
        "clients": list(
            Client.objects.visible_to(user)
            .filter(name__icontains=text)
            .select_related("account_lead")[:SEARCH_LIMIT]
        ),
        "contacts": list(
            Contact.objects.visible_to(user)
            .filter(contact_q)
            .select_related("client")[:SEARCH_LIMIT]
        ),
        "projects": list(
            Project.objects.visible_to(user)
            .filter(Q(name__icontains=text) | Q(code__icontains=text))
            .select_related("client", "manager")[:SEARCH_LIMIT]
        ),
        "too_short": False,
    }
