"""Delivery signals for every project (or client) at once, measured with SQL aggregates.

- SPI and CPI from each project's latest current status report on or before the date; a
  client's are its active projects' sums, ΣEV / ΣPV and ΣEV / ΣAC, which weigh each project by
  its planned value (SPI) or its actual cost (CPI), as program-level earned value does;
- milestone slippage: the days the worst open milestone is late, whether overdue (its planned
  date has passed) or forecast late (its forecast date is after its planned date);
- budget burn against progress: the share of the budget spent (AC / BAC) less the share of the
  work done (percent complete), summed over a client's projects by budget;
- change requests still pending after the policy's limit.

A project without a status report, milestones or change requests has no reading for the
signals that read them; the scoring leaves those out.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Greatest, RowNumber

from twohats.health.policy import Delivery, IndexBands
from twohats.health.scoring import Describe, Reading
from twohats.projects.models import (
    ChangeRequest,
    Decision,
    Milestone,
    Project,
    ProjectStatus,
    StatusReport,
)

if TYPE_CHECKING:
    from twohats.health.signals import Window as AsOf

Readings = dict[int, dict[str, Reading]]

NO_DELAY = dt.timedelta(0)


def live_projects(date: dt.date, end: dt.datetime) -> QuerySet[Project]:
    """The projects health is computed for on `date`: started, neither archived nor cancelled,
    and not ended yet or still active."""
    return (
        Project.objects.filter(start_date__lte=date, archived_at__isnull=True, created_at__lt=end)
        .filter(Q(end_date__gte=date) | Q(status=ProjectStatus.ACTIVE))
        .exclude(status=ProjectStatus.CANCELLED)
    )


def latest_report(date: dt.date | None = None) -> QuerySet[StatusReport]:
    """For a subquery on projects: the project's latest current report (on or before `date`),
    read through the (project, -period_end) index of current reports."""
    reports = StatusReport.objects.current().filter(project=OuterRef("pk"))
    if date is not None:
        reports = reports.filter(period_end__lte=date)
    return reports.order_by("-period_end")


def latest_reports(
    projects: QuerySet[Project], date: dt.date | None = None
) -> QuerySet[StatusReport]:
    """Each of the projects' latest current report (on or before `date`): one row a project
    that has one."""
    latest = Subquery(latest_report(date).values("pk")[:1])
    return StatusReport.objects.filter(
        pk__in=projects.annotate(latest_report=latest).values("latest_report")
    )


def measure(key: str, w: AsOf, settings: Delivery) -> Readings:
    """Every delivery reading of all projects (`key` "project_id") or clients ("client_id")."""
    subject = "project_id" if key == "project_id" else "project__client_id"
    projects = live_projects(w.date, w.end)
    readings: Readings = defaultdict(dict)
    for values in (
        earned_value(subject, projects, w, settings),
        milestones(subject, projects, w),
        pending_changes(subject, projects, w, settings.pending_change_days),
    ):
        for subject_id, found in values.items():
            readings[subject_id].update(found)
    return readings


def _index(value: Decimal | None, base: Decimal | None) -> float | None:
    if value is None or not base:
        return None
    return round(float(value / base), 6)


def _banded(value: float, bands: IndexBands, projects: int) -> Reading:
    band = bands.of(value)
    detail: dict[str, Any] = {"band": band, "limit": bands.limit(band)}
    if projects > 1:
        detail["projects"] = projects
    return Reading(value, detail)


def earned_value(
    subject: str, projects: QuerySet[Project], w: AsOf, settings: Delivery
) -> Readings:
    has_spi, has_cpi = Q(spi__isnull=False), Q(cpi__isnull=False)
    rows = (
        latest_reports(projects, w.date)
        .values(subject)
        .annotate(
            with_spi=Count("id", filter=has_spi),
            with_cpi=Count("id", filter=has_cpi),
            pv=Sum("planned_value", filter=has_spi),
            ev_of_pv=Sum("earned_value", filter=has_spi),
            ac=Sum("actual_cost", filter=has_cpi),
            ev_of_ac=Sum("earned_value", filter=has_cpi),
            bac=Sum("baseline__budget"),
            spent=Sum("actual_cost"),
            done=Sum(
                ExpressionWrapper(
                    F("baseline__budget") * F("percent_complete") / Value(Decimal(100)),
                    output_field=DecimalField(max_digits=24, decimal_places=6),
                )
            ),
        )
        .order_by()
    )
    out: Readings = defaultdict(dict)
    for row in rows:
        values = out[row[subject]]
        spi = _index(row["ev_of_pv"], row["pv"])
        if spi is not None:
            values["delivery.spi"] = _banded(spi, settings.spi, row["with_spi"])
        cpi = _index(row["ev_of_ac"], row["ac"])
        if cpi is not None:
            values["delivery.cpi"] = _banded(cpi, settings.cpi, row["with_cpi"])
        spent, done = _index(row["spent"], row["bac"]), _index(row["done"], row["bac"])
        if spent is not None and done is not None:
            values["delivery.burn_vs_progress"] = Reading(
                round(spent - done, 6), {"spent": spent, "complete": done}
            )
    return out


def milestones(subject: str, projects: QuerySet[Project], w: AsOf) -> Readings:
    """Per subject, its worst open milestone: a window function ranks them by days late; a
    subject with milestones, none of them late, reads zero."""
    open_then = Q(actual_date__isnull=True) | Q(actual_date__gt=w.date)
    # Late by the later of its forecast and today, against its plan.
    expected = Greatest(
        Coalesce("forecast_date", "planned_date"), Value(w.date, output_field=DateField())
    )
    late = Case(
        When(open_then, then=ExpressionWrapper(expected - F("planned_date"), DurationField())),
        default=Value(NO_DELAY, output_field=DurationField()),
        output_field=DurationField(),
    )
    by_subject = [F(subject)]
    rows = (
        Milestone.objects.filter(project__in=projects)
        .annotate(late=late)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=by_subject,
                order_by=[F("late").desc(), F("planned_date").asc(), F("id").asc()],
            ),
            late_count=Window(
                Sum(
                    Case(
                        When(late__gt=NO_DELAY, then=Value(1)),
                        default=Value(0),
                        output_field=IntegerField(),
                    )
                ),
                partition_by=by_subject,
            ),
        )
        .filter(rank=1)
        .values(subject, "name", "project__name", "late", "late_count", "forecast_date")
        .order_by()
    )
    out: Readings = defaultdict(dict)
    for row in rows:
        days = max(row["late"].days, 0) if row["late"] is not None else 0
        detail: dict[str, Any] = {}
        if days:
            forecast = row["forecast_date"]
            detail = {
                "milestone": row["name"],
                "forecast": bool(forecast and forecast > w.date),
                "late": int(row["late_count"] or 1),
            }
            if subject != "project_id":  # a client's: say which project
                detail["project"] = row["project__name"]
        out[row[subject]]["delivery.milestone_slippage_days"] = Reading(float(days), detail)
    return out


def pending_changes(subject: str, projects: QuerySet[Project], w: AsOf, days: int) -> Readings:
    """Per subject with change requests: how many were still pending at the end of the date
    after more than the policy's days."""
    limit = w.end - dt.timedelta(days=days)
    stale = (Q(decision=Decision.PENDING) | Q(decided_at__gte=w.end)) & Q(asked_at__lt=limit)
    rows = (
        ChangeRequest.objects.filter(project__in=projects, asked_at__lt=w.end)
        .values(subject)
        .annotate(
            stale=Count("id", filter=stale),
            oldest=Min("asked_at", filter=stale),
            value=Sum("value", filter=stale),
        )
        .order_by()
    )
    out: Readings = defaultdict(dict)
    for row in rows:
        detail: dict[str, Any] = {"limit": days}
        if row["stale"]:
            detail |= {
                "oldest_days": int((w.end - row["oldest"]).total_seconds() // 86400),
                "value": float(row["value"] or 0),
            }
        out[row[subject]]["delivery.pending_changes"] = Reading(float(row["stale"]), detail)
    return out


# ---------------------------------------------------------------------------------------------
# Reasons in plain words


def _index_words(name: str) -> Describe:
    def describe(reading: Reading, good: float) -> str:
        projects = reading.detail.get("projects")
        over = f" over {projects} projects" if projects else ""
        band, limit = reading.detail.get("band", ""), reading.detail.get("limit")
        if limit is None:
            return f"{name} {reading.raw:.2f}{over} ({band}); policy {good:.2f}"
        return f"{name} {reading.raw:.2f}{over} ({band} below {limit:.2f})"

    return describe


def _milestone_words(reading: Reading, good: float) -> str:
    detail, days = reading.detail, int(reading.raw)
    name = f"milestone '{detail.get('milestone', '?')}'"
    if detail.get("project"):
        name += f" of {detail['project']}"
    late = f"{'forecast ' if detail.get('forecast') else ''}{days} day{'s' if days != 1 else ''}"
    others = int(detail.get("late", 1)) - 1
    more = f"; {others} more milestone{'s' if others != 1 else ''} late" if others > 0 else ""
    return f"{name} {late} late{more}"


def _burn_words(reading: Reading, good: float) -> str:
    spent, done = reading.detail.get("spent", 0.0), reading.detail.get("complete", 0.0)
    return (
        f"{spent * 100:.0f} % of the budget spent for {done * 100:.0f} % of the work; "
        f"policy: spending at most {good * 100:.0f} points ahead of progress"
    )


def _pending_words(reading: Reading, good: float) -> str:
    count, limit = int(reading.raw), reading.detail.get("limit")
    oldest = reading.detail.get("oldest_days")
    return f"{count} change request{'s' if count != 1 else ''} pending for over {limit} days" + (
        f", the oldest for {oldest} days" if oldest else ""
    )


DESCRIBE: dict[str, Describe] = {
    "delivery.spi": _index_words("SPI"),
    "delivery.cpi": _index_words("CPI"),
    "delivery.milestone_slippage_days": _milestone_words,
    "delivery.burn_vs_progress": _burn_words,
    "delivery.pending_changes": _pending_words,
}
