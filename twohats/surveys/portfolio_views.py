"""The portfolio of the client's voice: NPS and CSAT by practice and by PM over the last eight
quarters, and response rates per practice. For those who oversee (directors, executives and
administrators, as the Portfolio menu entry); figures come only from responses and invitations
of the clients the user may see (`Client.objects.visible_to`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from twohats.clients.models import Client
from twohats.health.models import HealthPolicy
from twohats.people.models import User
from twohats.surveys.models import Invitation, Response
from twohats.surveys.selectors import PeriodRow, quarters_back, response_rates, voice_by_quarter
from twohats.web import user_of

QUARTERS = 8


@dataclass(frozen=True)
class Line:
    """One practice or PM, with a cell per quarter (None where it has no response)."""

    label: str
    cells: list[PeriodRow | None]


def _lines(
    rows: Iterable[PeriodRow], quarters: list[dt.date], labels: dict[Any, str]
) -> list[Line]:
    found: dict[Any, dict[dt.date, PeriodRow]] = {}
    for row in rows:
        found.setdefault(row.group, {})[row.quarter] = row
    lines = [
        Line(labels.get(group) or "No practice", [cells.get(q) for q in quarters])
        for group, cells in found.items()
    ]
    return sorted(lines, key=lambda line: line.label.lower())


@login_required
def portfolio(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if not (user.is_director or user.sees_everything):
        raise PermissionDenied("The voice portfolio is for directors and executives.")
    now = timezone.now()
    min_n = HealthPolicy.objects.active().rules.surveys.min_n
    quarters = quarters_back(now, QUARTERS)
    since = dt.datetime.combine(quarters[0], dt.time.min, tzinfo=dt.UTC)
    clients = Client.objects.visible_to(user).values("pk")
    responses = Response.objects.filter(
        client__in=clients, submitted_at__gte=since, submitted_at__lte=now
    )
    by_practice = voice_by_quarter(
        responses, min_n=min_n, by="pm__practice_id", label="pm__practice__name"
    )
    by_pm = voice_by_quarter(responses, min_n=min_n, by="pm_id")
    pm_ids = {row.group for row in by_pm}
    pm_names = {pm.pk: str(pm) for pm in User.objects.filter(pk__in=pm_ids)} if pm_ids else {}
    rates = response_rates(
        Invitation.objects.filter(project__client__in=clients, created_at__gte=since),
        now=now,
        by="project__manager__practice_id",
        label="project__manager__practice__name",
    )
    context = {
        "quarters": [f"{q.year} Q{(q.month - 1) // 3 + 1}" for q in quarters],
        "tables": [
            (
                "By practice",
                _lines(by_practice, quarters, {r.group: r.label for r in by_practice}),
                "practice",
            ),
            ("By PM", _lines(by_pm, quarters, pm_names), "pm"),
        ],
        "rates": rates,
        "min_n": min_n,
        "section": "health",
    }
    return render(request, "surveys/portfolio.html", context)
