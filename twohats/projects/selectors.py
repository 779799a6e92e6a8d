"""Reads of the delivery hat for the project page and the status CSV: the baseline in force, the
latest report with every index and its bands, the S-curve, the milestones, the change ledger and
the report history.

`delivery_detail` runs a fixed number of queries (six) however many periods, reports, revisions,
milestones or changes the project has; it never writes (a project without a stored plan is shown
the straight line it will get with its first report).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from twohats.health.models import HealthPolicy
from twohats.projects import evm
from twohats.projects.models import (
    Baseline,
    ChangeRequest,
    Decision,
    Milestone,
    PlannedValue,
    Project,
    StatusReport,
    milestone_slippage_days,
)
from twohats.projects.services import actual_time, milestones_earned, plan_linear, planned_curve

Curve = list[tuple[dt.date, Decimal]]

# Milestones due within this many days are "due soon" (the Today page and the API).
DUE_SOON_DAYS = 14


# ---------------------------------------------------------------------------------------------
# The policy's delivery settings


@dataclass(frozen=True)
class DeliveryPolicy:
    """Bands of SPI and CPI (at or above `green` is green, at or above `amber` amber, else red)
    and how long a change request may wait for a decision."""

    spi_green: float = 0.95
    spi_amber: float = 0.90
    cpi_green: float = 0.95
    cpi_amber: float = 0.90
    pending_change_days: int = 14

    def spi_band(self, value: float | None) -> evm.Band | None:
        return evm.band(value, self.spi_green, self.spi_amber)

    def cpi_band(self, value: float | None) -> evm.Band | None:
        return evm.band(value, self.cpi_green, self.cpi_amber)


def delivery_policy(policy: HealthPolicy | None = None) -> DeliveryPolicy:
    """The delivery settings of the active health policy (its `delivery` section: SPI and CPI
    bands, the days a change may stay pending)."""
    policy = policy or HealthPolicy.objects.active()
    section = policy.rules.delivery
    return DeliveryPolicy(
        spi_green=section.spi.green_at,
        spi_amber=section.spi.amber_at,
        cpi_green=section.cpi.green_at,
        cpi_amber=section.cpi.amber_at,
        pending_change_days=section.pending_change_days,
    )


# ---------------------------------------------------------------------------------------------
# What the page shows


@dataclass
class ReportRow:
    report: StatusReport
    evm: evm.Evm
    bac: Decimal
    baseline_number: int
    current: bool


@dataclass
class MilestoneRow:
    milestone: Milestone
    slippage_days: int  # `milestone_slippage_days` as of today (negative: early)
    overdue: bool  # not done and its planned date has passed
    done: bool


@dataclass
class ChangeRow:
    change: ChangeRequest
    age_days: int  # since asked (pending) or until decided
    overdue: bool  # pending longer than the policy allows


@dataclass
class DecisionTotal:
    decision: str
    label: str
    count: int
    value: Decimal


@dataclass
class Ledger:
    rows: list[ChangeRow]
    totals: list[DecisionTotal]
    absorbed_share: float | None  # absorbed value / BAC
    overdue: int
    limit_days: int

    @property
    def absorbed(self) -> DecisionTotal:
        return next(t for t in self.totals if t.decision == Decision.ABSORBED)


@dataclass
class SCurve:
    start: dt.date
    plan: Curve  # cumulative PV of the current baseline per period end
    earned: Curve  # EV per current report
    actual: Curve  # AC per current report
    bac: Decimal
    eac: Decimal | None
    status_date: dt.date | None
    end: dt.date  # the project's planned end
    forecast_finish: dt.date | None  # from earned schedule

    @property
    def table(self) -> list[tuple[dt.date, Decimal | None, Decimal | None, Decimal | None]]:
        """One row a date of the plan or of a report: PV, EV and AC (None where not reported)."""
        earned, actual = dict(self.earned), dict(self.actual)
        plan = dict(self.plan)
        return [
            (day, plan.get(day), earned.get(day), actual.get(day))
            for day in sorted(set(plan) | set(earned))
        ]


@dataclass
class DeliveryDetail:
    project: Project
    baseline: Baseline
    baselines: list[Baseline]
    curve: Curve
    policy: DeliveryPolicy
    latest: ReportRow | None
    history: list[ReportRow]
    milestones: list[MilestoneRow]
    ledger: Ledger
    scurve: SCurve
    milestone_value: Decimal  # the milestones' planned values, summed
    milestone_earned: Decimal  # EV from milestones today
    bands: dict[str, evm.Band | None] = field(default_factory=dict)

    @property
    def has_reports(self) -> bool:
        return bool(self.history)


def date_at(curve: Curve, start: dt.date, periods: float) -> dt.date:
    """The date `periods` reporting periods after the start, on the plan's calendar (the inverse
    of `actual_time`); past the plan, periods as long as its last one."""
    ends = [start - dt.timedelta(days=1)] + [day for day, _ in curve]
    whole = math.floor(periods)
    if whole < len(curve):
        before, after = ends[whole], ends[whole + 1]
        return before + dt.timedelta(days=round((periods - whole) * (after - before).days))
    last = (ends[-1] - ends[-2]).days if len(ends) > 1 else 1
    return ends[-1] + dt.timedelta(days=round((periods - len(curve)) * max(last, 1)))


def _curves(project: Project, baselines: list[Baseline]) -> dict[int, Curve]:
    curves: dict[int, Curve] = defaultdict(list)
    plans = (
        PlannedValue.objects.filter(baseline__project=project)
        .order_by("baseline_id", "period_end")
        .values_list("baseline_id", "period_end", "value")
    )
    for baseline_id, day, value in plans:
        curves[baseline_id].append((day, value))
    for baseline in baselines:
        if not curves.get(baseline.pk):  # no stored plan yet: the straight line it will get
            curves[baseline.pk] = plan_linear(project, baseline.budget)
    return curves


def report_rows(project: Project) -> tuple[list[Baseline], dict[int, Curve], list[ReportRow]]:
    """Every revision of every report, newest period first, each with its indices against the
    baseline it was measured with (three queries)."""
    baselines = list(project.baselines.select_related("created_by").order_by("-number"))
    if not baselines:  # none stored yet: baseline 1 will be the project's budget
        baselines = [Baseline(project=project, number=1, budget=project.budget)]
    curves = _curves(project, baselines)
    by_id = {b.pk: b for b in baselines}
    reports = list(
        project.status_reports.select_related("created_by").order_by("-period_end", "-revision")
    )
    rows = []
    for report in reports:
        baseline = by_id[report.baseline_id]
        curve = curves[baseline.pk]
        result = evm.evaluate(
            bac=baseline.budget,
            pv=report.planned_value,
            ev=report.earned_value,
            ac=report.actual_cost,
            planned_curve=[value for _, value in curve],
            at=actual_time(curve, project.start_date, report.period_end) if curve else None,
        )
        rows.append(
            ReportRow(
                report=report,
                evm=result,
                bac=baseline.budget,
                baseline_number=baseline.number,
                current=report.superseded_at is None,
            )
        )
    return baselines, curves, rows


def _milestone_rows(project: Project, today: dt.date) -> list[MilestoneRow]:
    rows = []
    for milestone in project.milestones.select_related("accepted_by").order_by(
        "planned_date", "id"
    ):
        done = milestone.actual_date is not None
        overdue = not done and milestone.planned_date < today
        rows.append(MilestoneRow(milestone, milestone.slippage_days(today), overdue, done))
    return rows


def _ledger(project: Project, bac: Decimal, limit_days: int, now: dt.datetime) -> Ledger:
    rows: list[ChangeRow] = []
    counts: dict[str, int] = defaultdict(int)
    values: dict[str, Decimal] = defaultdict(Decimal)
    for change in project.change_requests.select_related("asked_by", "decided_by").order_by(
        "-asked_at", "-id"
    ):
        pending = change.decision == Decision.PENDING
        until = now if pending or change.decided_at is None else change.decided_at
        age = (until - change.asked_at).days
        rows.append(ChangeRow(change, age, pending and age > limit_days))
        counts[change.decision] += 1
        values[change.decision] += change.value
    totals = [
        DecisionTotal(value, str(label), counts[value], values[value])
        for value, label in Decision.choices
    ]
    absorbed = values[Decision.ABSORBED]
    return Ledger(
        rows=rows,
        totals=totals,
        absorbed_share=float(absorbed / bac) if bac else None,
        overdue=sum(1 for row in rows if row.overdue),
        limit_days=limit_days,
    )


def delivery_detail(
    project: Project, *, now: dt.datetime | None = None, policy: HealthPolicy | None = None
) -> DeliveryDetail:
    """Everything the project page shows of delivery, in six queries."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    settings = delivery_policy(policy)
    baselines, curves, history = report_rows(project)
    baseline = baselines[0]
    curve = curves[baseline.pk]
    current = sorted((row for row in history if row.current), key=lambda r: r.report.period_end)
    latest = current[-1] if current else None
    milestones = _milestone_rows(project, today)
    result = latest.evm if latest else None
    forecast = None
    if result is not None and result.forecast_duration is not None and curve:
        forecast = date_at(curve, project.start_date, result.forecast_duration)
    scurve = SCurve(
        start=project.start_date,
        plan=curve,
        earned=[(row.report.period_end, row.report.earned_value) for row in current],
        actual=[(row.report.period_end, row.report.actual_cost) for row in current],
        bac=baseline.budget,
        eac=result.eac_cpi if result else None,
        status_date=latest.report.period_end if latest else None,
        end=project.end_date,
        forecast_finish=forecast,
    )
    detail = DeliveryDetail(
        project=project,
        baseline=baseline,
        baselines=baselines,
        curve=curve,
        policy=settings,
        latest=latest,
        history=history,
        milestones=milestones,
        ledger=_ledger(project, baseline.budget, settings.pending_change_days, now),
        scurve=scurve,
        milestone_value=sum((row.milestone.planned_value for row in milestones), Decimal(0)),
        milestone_earned=milestones_earned(
            (
                (
                    row.milestone.planned_value,
                    row.milestone.percent_complete,
                    row.milestone.actual_date,
                )
                for row in milestones
            ),
            as_of=today,
        ),
    )
    if result is not None:
        detail.bands = {
            "spi": settings.spi_band(result.spi),
            "cpi": settings.cpi_band(result.cpi),
            "spi_t": settings.spi_band(result.spi_t),
        }
    return detail


# ---------------------------------------------------------------------------------------------
# Summaries of one report or one project (the API's delivery endpoints read these)


def status_report_indices(
    report: StatusReport, *, policy: DeliveryPolicy | None = None
) -> dict[str, Any]:
    """Every index of a report against the baseline it names, with the policy's bands. Select
    the report's baseline and project with it to save two queries."""
    curve: Curve = planned_curve(report.baseline) or plan_linear(
        report.project, report.baseline.budget
    )
    result = evm.evaluate(
        bac=report.baseline.budget,
        pv=report.planned_value,
        ev=report.earned_value,
        ac=report.actual_cost,
        planned_curve=[value for _, value in curve],
        at=actual_time(curve, report.project.start_date, report.period_end),
    )
    settings = policy or delivery_policy()
    return {
        "bac": report.baseline.budget,
        **{name: getattr(result, name) for name in evm.Evm.__dataclass_fields__},
        "tcpi_bac_hard": evm.tcpi_is_hard(result.tcpi_bac),
        "tcpi_eac_hard": evm.tcpi_is_hard(result.tcpi_eac),
        "spi_band": settings.spi_band(result.spi),
        "cpi_band": settings.cpi_band(result.cpi),
        "spi_t_band": settings.spi_band(result.spi_t),
    }


def milestone_stats(project: Project, *, today: dt.date) -> dict[str, Any]:
    """Counts, slippage (early milestones count as 0) and value of a project's milestones."""
    rows = list(
        project.milestones.values_list(
            "planned_date", "forecast_date", "actual_date", "accepted_at", "planned_value",
            "percent_complete",
        )
    )  # fmt: skip
    slips = [
        max(
            milestone_slippage_days(planned=planned, forecast=forecast, actual=done, today=today),
            0,
        )
        for planned, forecast, done, *_ in rows
    ]
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    open_rows = [row for row in rows if row[2] is None]
    return {
        "count": len(rows),
        "completed": len(rows) - len(open_rows),
        "accepted": sum(1 for row in rows if row[3] is not None),
        "slipped": sum(1 for slip in slips if slip > 0),
        "overdue": sum(1 for row in open_rows if row[0] < today),
        "due_soon": sum(1 for row in open_rows if today <= (row[1] or row[0]) <= soon),
        "max_slippage_days": max(slips) if slips else None,
        "mean_slippage_days": sum(slips) / len(slips) if slips else None,
        "planned_value": sum((row[4] for row in rows), Decimal(0)),
        "earned_value": milestones_earned(((r[4], r[5], r[2]) for r in rows), as_of=today),
    }


def change_request_stats(project: Project, *, bac: Decimal) -> dict[str, Any]:
    """The change ledger's count and value by decision, in one query."""
    aggregates: dict[str, Any] = {
        "oldest_pending_at": Min("asked_at", filter=Q(decision="pending"))
    }
    for decision in Decision.values:
        aggregates[f"{decision}_count"] = Count("id", filter=Q(decision=decision))
        aggregates[f"{decision}_value"] = Sum("value", filter=Q(decision=decision))
    numbers = project.change_requests.aggregate(**aggregates)
    result: dict[str, Any] = {
        decision: {
            "count": numbers[f"{decision}_count"],
            "value": numbers[f"{decision}_value"] or Decimal(0),
        }
        for decision in Decision.values
    }
    absorbed = result[Decision.ABSORBED]["value"]
    result["absorbed_share_of_bac"] = float(absorbed / bac) if bac else None
    result["oldest_pending_at"] = numbers["oldest_pending_at"]
    return result
