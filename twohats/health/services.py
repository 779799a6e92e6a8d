"""Writing health snapshots: the daily recompute, the backfill and the retention."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from auditlog.context import set_actor
from django.conf import settings
from django.db import transaction

from twohats.clients.models import Client
from twohats.health.delivery import live_projects
from twohats.health.models import HealthPolicy, HealthSnapshot
from twohats.health.scoring import Reading, score
from twohats.health.signals import DESCRIBE, Window, measure
from twohats.people.models import User
from twohats.writes import bulk_insert

# Daily snapshots are kept this long; older ones are thinned to one a week.
DAILY_RETENTION_DAYS = 90
WEEKLY_WEEKDAY = 6  # Sunday's snapshot is the one a week kept


@dataclass
class Recomputed:
    date: dt.date
    clients: int
    projects: int
    seconds: float


def window_for(date: dt.date) -> Window:
    """As of the end of `date` in the firm's time zone."""
    zone = ZoneInfo(settings.TIME_ZONE)
    end = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return Window(date=date, end=end)


def health_recompute(*, date: dt.date) -> Recomputed:
    """Compute every client's and active project's health as of the end of `date`.

    Idempotent: the date's snapshots are replaced as a whole, so recomputing after new data
    arrived gives exactly what a first computation of that date would."""
    started = time.perf_counter()
    policy = HealthPolicy.objects.active()
    window = window_for(date)
    clients = list(
        Client.objects.filter(created_at__lt=window.end, archived_at__isnull=True).values_list(
            "id", flat=True
        )
    )
    projects = list(live_projects(date, window.end).values_list("id", "client_id"))
    by_client = measure("client", window, policy.rules)
    by_project = measure("project", window, policy.rules)
    rows = [_snapshot(date, policy, by_client.get(c, {}), client_id=c) for c in clients]
    rows += [
        _snapshot(date, policy, by_project.get(p, {}), client_id=c, project_id=p)
        for p, c in projects
    ]
    with transaction.atomic():
        HealthSnapshot.objects.filter(date=date).delete()
        bulk_insert(HealthSnapshot, rows)
    return Recomputed(date, len(clients), len(projects), time.perf_counter() - started)


def _snapshot(
    date: dt.date,
    policy: HealthPolicy,
    readings: dict[str, Reading],
    *,
    client_id: int,
    project_id: int | None = None,
) -> HealthSnapshot:
    result = score(readings, policy.rules, DESCRIBE)
    return HealthSnapshot(
        date=date,
        client_id=client_id,
        project_id=project_id,
        policy=policy,
        overall=result.overall,
        band=result.band,
        relationship=result.relationship,
        dimensions=result.dimensions,
        signals=result.signals,
        reasons=result.reasons,
        missing=result.missing,
    )


def health_backfill(*, until: dt.date, weeks: int) -> list[Recomputed]:
    """Weekly snapshots for the past `weeks` weeks (on the kept weekday), so trends show from
    the first day."""
    last = until - dt.timedelta(days=(until.weekday() - WEEKLY_WEEKDAY) % 7)
    dates = [last - dt.timedelta(weeks=n) for n in range(weeks, 0, -1) if last]
    if last != until:
        dates.append(last)
    return [health_recompute(date=date) for date in dates]


def health_prune(*, today: dt.date) -> int:
    """Keep daily snapshots for 90 days, then only one a week."""
    cutoff = today - dt.timedelta(days=DAILY_RETENTION_DAYS)
    old = HealthSnapshot.objects.filter(date__lt=cutoff).values_list("date", flat=True).distinct()
    doomed = [day for day in old if day.weekday() != WEEKLY_WEEKDAY]
    deleted, _ = HealthSnapshot.objects.filter(date__in=doomed).delete()
    return deleted


def policy_publish(*, actor: User, config: dict[str, Any], note: str) -> HealthPolicy:
    """A new active version of the health policy; the previous one stays, inactive, for the
    records it judged. Health is recomputed with the new weights by the next daily run."""
    with set_actor(actor), transaction.atomic():
        current = HealthPolicy.objects.select_for_update().filter(active=True).first()
        latest = HealthPolicy.objects.order_by("-version").values_list("version", flat=True).first()
        policy = HealthPolicy(
            version=(latest or 0) + 1, active=True, config=config, note=note, created_by=actor
        )
        policy.full_clean(exclude=["active"])
        if current is not None:
            current.active = False
            current.save(update_fields=["active"])
        policy.save()
        return policy
