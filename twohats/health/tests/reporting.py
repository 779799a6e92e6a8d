"""Delivery records for tests of health, alerts and pages: status reports, milestones and change
requests written straight to the tables, with the indices stored as the services store them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from twohats.clients.models import Contact
from twohats.people.models import User
from twohats.projects.models import (
    Baseline,
    ChangeRequest,
    Decision,
    Milestone,
    Project,
    StatusReport,
)
from twohats.projects.services import status_reports_mark_latest


def baseline(project: Project) -> Baseline:
    found, _ = Baseline.objects.get_or_create(
        project=project, number=1, defaults={"budget": project.budget}
    )
    return found


def report(
    project: Project,
    *,
    on: dt.date = dt.date(2026, 6, 30),
    pv: float | int = 100_000,
    ev: float | int = 100_000,
    ac: float | int = 100_000,
    complete: float | int = 40,
    rag: str = "green",
    revision: int = 1,
) -> StatusReport:
    """A current status report; SPI = EV/PV and CPI = EV/AC (None when not defined)."""
    planned, earned, cost = Decimal(str(pv)), Decimal(str(ev)), Decimal(str(ac))
    made = StatusReport.objects.create(
        project=project,
        period_end=on,
        revision=revision,
        baseline=baseline(project),
        planned_value=planned,
        earned_value=earned,
        actual_cost=cost,
        percent_complete=Decimal(str(complete)),
        rag=rag,
        spi=float(earned / planned) if planned else None,
        cpi=float(earned / cost) if cost else None,
    )
    status_reports_mark_latest(project_ids=[project.pk])
    made.refresh_from_db()
    return made


def milestone(
    project: Project,
    name: str,
    planned: dt.date,
    *,
    forecast: dt.date | None = None,
    done: dt.date | None = None,
) -> Milestone:
    return Milestone.objects.create(
        project=project, name=name, planned_date=planned, forecast_date=forecast, actual_date=done
    )


def change(
    project: Project,
    asked_by: Contact,
    asked_at: dt.datetime,
    *,
    decision: str = Decision.PENDING,
    value: float | int = 10_000,
    decided_by: User | None = None,
    decided_at: dt.datetime | None = None,
) -> ChangeRequest:
    decided = decision != Decision.PENDING
    return ChangeRequest.objects.create(
        project=project,
        asked_by=asked_by,
        asked_at=asked_at,
        description="Add a second language to the cabin display",
        value=Decimal(str(value)),
        decision=decision,
        decided_by=(decided_by or project.manager) if decided else None,
        decided_at=(decided_at or asked_at + dt.timedelta(days=1)) if decided else None,
    )
