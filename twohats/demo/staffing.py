"""Workloads and open staffing needs, so the staffing pages have something to plan.

Each PM's current projects share a load drawn between 35 % and 95 % of their capacity (some
PMs have room, a few are full); proposed projects, and one running project in fifteen whose PM
is moving on, wait for a PM as open staffing needs, opened by the practice's director."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

from twohats.demo.context import Context
from twohats.matching.models import StaffingNeed
from twohats.people.models import Practice, User
from twohats.projects.models import Project, ProjectStatus

CURRENT = (ProjectStatus.ACTIVE, ProjectStatus.ON_HOLD)
LEAVING_SHARE = 1 / 15


def _half_hours(value: float, low: float, high: float) -> Decimal:
    return Decimal(str(max(low, min(high, round(value * 2) / 2))))


def build_staffing(ctx: Context) -> None:
    rng = random.Random(ctx.seed * 7919 + 17)
    capacity = dict(User.objects.values_list("pk", "capacity_hours"))
    projects = list(Project.objects.filter(status__in=CURRENT).order_by("pk"))
    by_manager: dict[int, list[Project]] = defaultdict(list)
    for project in projects:
        by_manager[project.manager_id].append(project)
    for manager_id, running in sorted(by_manager.items()):
        target = float(capacity[manager_id]) * rng.uniform(0.35, 0.95)
        for project in running:
            share = target / len(running) * rng.uniform(0.75, 1.25)
            project.pm_hours_per_week = _half_hours(share, 2, 40)
    Project.objects.bulk_update(projects, ["pm_hours_per_week"], batch_size=1000)

    lead_of = dict(Practice.objects.values_list("pk", "lead_id"))
    practice_of = dict(User.objects.values_list("pk", "practice_id"))
    waiting = [
        p
        for p in Project.objects.filter(status__in=(ProjectStatus.PROPOSED, *CURRENT))
        .select_related("client__account_lead")
        .order_by("pk")
        if p.status == ProjectStatus.PROPOSED or rng.random() < LEAVING_SHARE
    ]
    needs = []
    for project in waiting:
        practice = practice_of.get(project.client.account_lead_id)
        hours = _half_hours(rng.uniform(6, 16), 4, 40)
        needs.append(
            StaffingNeed(
                project=project,
                hours_per_week=hours,
                practice_id=practice if rng.random() < 0.7 else None,
                opened_by_id=lead_of.get(practice) if practice is not None else None,
                opened_at=dt.datetime.combine(
                    ctx.today - dt.timedelta(days=rng.randint(1, 21)), dt.time(9), tzinfo=dt.UTC
                ),
            )
        )
    ctx.writer.insert(StaffingNeed, needs)
