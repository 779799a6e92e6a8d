"""Writes of the delivery hat: baselines and their plan, status reports and their revisions,
milestone acceptance, change-request decisions.

Plain creates and edits of milestones and change requests go through `twohats.writes`; what is
here has rules across rows (one current report per period, EV within BAC, a revision keeps the
report it corrects, a decision names its decider)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal
from typing import Any

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

from twohats.clients.models import Contact
from twohats.people.models import User
from twohats.projects import evm
from twohats.projects.models import (
    Baseline,
    ChangeRequest,
    Decision,
    EvSource,
    Milestone,
    PlannedValue,
    Project,
    ReportingPeriod,
    StatusReport,
)
from twohats.writes import StaleRecordError

CENT = Decimal("0.01")


# ─── Baselines and the plan ───


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def period_ends(project: Project, *, until: dt.date | None = None) -> list[dt.date]:
    """The ends of the project's reporting periods from its start to its end (or `until`):
    Sundays for weekly reporting, month ends for monthly; the last is the project's end date."""
    last = until or project.end_date
    ends: list[dt.date] = []
    if project.reporting_period == ReportingPeriod.WEEKLY:
        day = project.start_date + dt.timedelta(days=6 - project.start_date.weekday())
        while day < last:
            ends.append(day)
            day += dt.timedelta(weeks=1)
    else:
        day = _month_end(project.start_date)
        while day < last:
            ends.append(day)
            day = _month_end(day + dt.timedelta(days=1))
    ends.append(last)
    return ends


def _regular_end(project: Project, day: dt.date) -> dt.date:
    """The Sunday (weekly) or month end (monthly) on or after the day."""
    if project.reporting_period == ReportingPeriod.WEEKLY:
        return day + dt.timedelta(days=6 - day.weekday())
    return _month_end(day)


def is_period_end(project: Project, day: dt.date) -> bool:
    return day == project.end_date or _regular_end(project, day) == day


def period_end_of(project: Project, day: dt.date) -> dt.date:
    """The end of the reporting period that holds the day; the project's end date closes the
    period it falls in, and periods go on past it for a project that runs late."""
    end = _regular_end(project, day)
    return project.end_date if day <= project.end_date < end else end


def report_periods(project: Project, *, until: dt.date) -> list[dt.date]:
    """The period ends a report may be given for: from the project's first period to the one
    that holds `until` (a late project keeps reporting past its end date)."""
    last = period_end_of(project, until)
    ends = set(period_ends(project))
    day = _regular_end(project, project.end_date + dt.timedelta(days=1))
    while day <= last:
        ends.add(day)
        day = _regular_end(project, day + dt.timedelta(days=1))
    return sorted(end for end in ends if end <= last)


def _period_words(project: Project) -> str:
    if project.reporting_period == ReportingPeriod.WEEKLY:
        return "Reports are weekly: a period ends on a Sunday"
    return "Reports are monthly: a period ends on the last day of a month"


def plan_linear(project: Project, budget: Decimal) -> list[tuple[dt.date, Decimal]]:
    """A straight-line plan: the budget spread over the project's periods by calendar days."""
    ends = period_ends(project)
    days = max((project.end_date - project.start_date).days + 1, 1)
    plan = []
    for end in ends:
        elapsed = (end - project.start_date).days + 1
        plan.append((end, (budget * elapsed / days).quantize(CENT)))
    plan[-1] = (ends[-1], budget)
    return plan


def _validate_plan(
    plan: Sequence[tuple[dt.date, Decimal]], budget: Decimal, project: Project
) -> None:
    if not plan:
        raise ValidationError({"plan": "A plan needs at least one period."})
    if plan[0][0] < project.start_date:
        raise ValidationError(
            {"plan": f"The plan starts ({plan[0][0]}) before the project ({project.start_date})."}
        )
    previous_day: dt.date | None = None
    previous_value = Decimal(0)
    for day, value in plan:
        if value < 0:
            raise ValidationError({"plan": f"The planned value at {day} is negative."})
        if previous_day is not None and day <= previous_day:
            raise ValidationError({"plan": f"The plan's dates must increase ({day})."})
        if value < previous_value:
            raise ValidationError(
                {"plan": f"Planned value is cumulative: it cannot fall at {day} ({value})."}
            )
        if value > budget:
            raise ValidationError(
                {"plan": f"The planned value at {day} ({value}) exceeds the budget ({budget})."}
            )
        previous_day, previous_value = day, value
    if previous_value != budget:
        raise ValidationError(
            {
                "plan": f"The plan must reach the budget ({budget}) at its last period; "
                f"it reaches {previous_value}."
            }
        )


def baseline_current(project: Project) -> Baseline:
    """The baseline in force: the latest. A project that has none yet gets baseline 1 from its
    budget and a straight-line plan; a baseline without a plan (those the migration gave every
    existing project) gets the straight line then. Call it with the project row locked."""
    baseline = project.baselines.order_by("-number").first()
    if baseline is not None:
        if not baseline.plan.exists():
            _plan_save(baseline, plan_linear(project, baseline.budget))
        return baseline
    try:
        with transaction.atomic():
            baseline = Baseline.objects.create(
                project=project, number=1, budget=project.budget, reason="The original budget."
            )
            _plan_save(baseline, plan_linear(project, project.budget))
            return baseline
    except IntegrityError:  # created by a concurrent request
        return project.baselines.order_by("-number").first()  # type: ignore[return-value]


def _plan_save(baseline: Baseline, plan: Sequence[tuple[dt.date, Decimal]]) -> None:
    PlannedValue.objects.bulk_create(
        [PlannedValue(baseline=baseline, period_end=day, value=value) for day, value in plan]
    )


def baseline_create(
    *,
    project: Project,
    actor: User,
    budget: Decimal,
    reason: str,
    plan: Sequence[tuple[dt.date, Decimal]] | None = None,
) -> Baseline:
    """Re-baseline: a new plan version with its reason; the project's budget follows it. Earlier
    reports keep the baseline they were measured against."""
    if budget is None or budget <= 0:
        raise ValidationError({"budget": "A baseline needs a budget above zero."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the project is re-baselined."})
    plan = list(plan) if plan else plan_linear(project, budget)
    _validate_plan(plan, budget, project)
    with set_actor(actor), transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        earned = (
            locked.status_reports.current()
            .order_by("-period_end")
            .values_list("earned_value", flat=True)
            .first()
        )
        if earned is not None and earned > budget:
            raise ValidationError(
                {"budget": f"The project has earned {earned} already: the budget cannot be less."}
            )
        baseline_current(locked)
        number = (locked.baselines.aggregate(n=Max("number"))["n"] or 0) + 1
        baseline = Baseline.objects.create(
            project=locked, number=number, budget=budget, reason=reason.strip(), created_by=actor
        )
        _plan_save(baseline, plan)
        locked.budget = budget
        locked.version += 1
        locked.save(update_fields=["budget", "version", "updated_at"])
        return baseline


def planned_curve(baseline: Baseline) -> list[tuple[dt.date, Decimal]]:
    return list(baseline.plan.order_by("period_end").values_list("period_end", "value"))


def planned_value_at(curve: Sequence[tuple[dt.date, Decimal]], day: dt.date) -> Decimal:
    """Cumulative PV at a date: the plan's value at the last period end on or before it."""
    value = Decimal(0)
    for end, planned in curve:
        if end > day:
            break
        value = planned
    return value


def actual_time(curve: Sequence[tuple[dt.date, Decimal]], start: dt.date, day: dt.date) -> float:
    """Actual time (AT) in plan periods at a date: whole periods ended, plus the elapsed part of
    the current one; past the plan's end, periods of the last one's length keep counting."""
    previous = start - dt.timedelta(days=1)
    for index, (end, _) in enumerate(curve):
        if day <= end:
            length = (end - previous).days or 1
            return index + (day - previous).days / length
        previous = end
    if not curve:
        return 0.0
    last_length = (
        (curve[-1][0] - curve[-2][0]).days if len(curve) > 1 else (curve[-1][0] - start).days + 1
    )
    return len(curve) + (day - curve[-1][0]).days / max(last_length, 1)


def earned_value_from_milestones(project: Project, *, as_of: dt.date) -> Decimal:
    """EV from milestones: the planned value of those completed by the date, plus the earned
    part of those in progress."""
    rows = project.milestones.values_list("planned_value", "percent_complete", "actual_date")
    return milestones_earned(rows, as_of=as_of)


def milestones_earned(
    rows: Iterable[tuple[Decimal, Decimal, dt.date | None]], *, as_of: dt.date
) -> Decimal:
    """The sum over (planned value, percent complete, completed on) of milestones: the whole
    value of those completed by the date, the recorded percentage of the others."""
    total = Decimal(0)
    for value, percent, done in rows:
        if done is not None and done <= as_of:
            total += value
        elif percent:
            total += value * percent / 100
    return total.quantize(CENT)


def evm_of(report: StatusReport, curve: Sequence[tuple[dt.date, Decimal]] | None = None) -> evm.Evm:
    """Every index for a report, against the baseline it names."""
    if curve is None:
        curve = planned_curve(report.baseline)
    return evm.evaluate(
        bac=report.baseline.budget,
        pv=report.planned_value,
        ev=report.earned_value,
        ac=report.actual_cost,
        planned_curve=[value for _, value in curve],
        at=actual_time(curve, report.project.start_date, report.period_end) if curve else None,
    )


# ─── Status reports ───

REPORT_FIELDS = ("percent_complete", "rag", "narrative", "risks", "next_steps")


def _report_values(
    *,
    project: Project,
    baseline: Baseline,
    curve: Sequence[tuple[dt.date, Decimal]],
    period_end: dt.date,
    values: dict[str, Any],
) -> dict[str, Any]:
    """Check a report's numbers and fill in what is derived: PV from the plan when not given,
    EV from milestones when so chosen, and the stored indices."""
    errors: dict[str, str] = {}
    if period_end < project.start_date:
        errors["period_end"] = "The period ends before the project starts."
    if values.get("ev_source") not in EvSource.values:
        errors["ev_source"] = "Say whether EV is entered or derived from milestones."
    if values.get("ev_source") == EvSource.MILESTONES:
        values["earned_value"] = earned_value_from_milestones(project, as_of=period_end)
    if values.get("planned_value") is None:
        values["planned_value"] = planned_value_at(curve, period_end)
    for name in ("planned_value", "earned_value", "actual_cost"):
        if values.get(name) is None:
            errors[name] = "This field is required."
        elif values[name] < 0:
            errors[name] = "Values cannot be negative."
    ev = values.get("earned_value")
    if ev is not None and ev > baseline.budget:
        errors["earned_value"] = (
            f"Earned value ({ev}) cannot exceed the budget at completion ({baseline.budget}): "
            "re-baseline the project first if its scope grew."
        )
    pv = values.get("planned_value")
    if pv is not None and pv > baseline.budget:
        errors["planned_value"] = (
            f"Planned value ({pv}) cannot exceed the budget at completion ({baseline.budget})."
        )
    if errors:
        raise ValidationError(errors)
    at = actual_time(curve, project.start_date, period_end) if curve else None
    result = evm.evaluate(
        bac=baseline.budget,
        pv=values["planned_value"],
        ev=values["earned_value"],
        ac=values["actual_cost"],
        planned_curve=[value for _, value in curve],
        at=at,
    )
    values.update(spi=result.spi, cpi=result.cpi, spi_t=result.spi_t)
    return values


def status_report_submit(
    *,
    project: Project,
    actor: User,
    period_end: dt.date,
    actual_cost: Decimal,
    percent_complete: Decimal,
    rag: str,
    earned_value: Decimal | None = None,
    planned_value: Decimal | None = None,
    ev_source: str = EvSource.ENTERED,
    narrative: str = "",
    risks: str = "",
    next_steps: str = "",
) -> StatusReport:
    """The report for a period. A second report for the same period is refused: correct the
    first with `status_report_revise`."""
    with set_actor(actor), transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if not is_period_end(locked, period_end):
            raise ValidationError(
                {
                    "period_end": f"{_period_words(locked)} (or on the project's end date, "
                    f"{locked.end_date}); {period_end} is not one."
                }
            )
        if period_end > period_end_of(locked, timezone.localdate()):
            raise ValidationError(
                {"period_end": f"The period ending {period_end} has not started yet."}
            )
        if locked.status_reports.current().filter(period_end=period_end).exists():
            raise ValidationError(
                {
                    "period_end": f"There is a report for the period ending {period_end} already: "
                    "revise it instead."
                }
            )
        baseline = baseline_current(locked)
        curve = planned_curve(baseline)
        values = _report_values(
            project=locked,
            baseline=baseline,
            curve=curve,
            period_end=period_end,
            values={
                "earned_value": earned_value,
                "planned_value": planned_value,
                "actual_cost": actual_cost,
                "ev_source": ev_source,
            },
        )
        report = StatusReport(
            project=locked,
            period_end=period_end,
            revision=1,
            baseline=baseline,
            percent_complete=percent_complete,
            rag=rag,
            narrative=narrative,
            risks=risks,
            next_steps=next_steps,
            created_by=actor,
            **values,
        )
        report.full_clean()
        report.save()
        status_reports_mark_latest(project_ids=[locked.pk])
        report.refresh_from_db(fields=["is_latest"])
        return report


def status_report_revise(
    *, report: StatusReport, actor: User, reason: str, changes: dict[str, Any]
) -> StatusReport:
    """Correct a report: a new revision with the reason; the corrected one stays, superseded."""
    if not reason.strip():
        raise ValidationError({"revision_reason": "Say why the report is corrected."})
    with set_actor(actor), transaction.atomic():
        Project.objects.select_for_update().get(pk=report.project_id)
        current = StatusReport.objects.select_related("project", "baseline").get(pk=report.pk)
        if current.superseded_at is not None:
            raise ValidationError(
                {"revision": "This revision was corrected already: revise the latest one."}
            )
        # A correction restates the period's numbers, not its yardstick: it is measured against
        # the baseline the period was reported with, even after a re-baseline (which applies
        # from the next report on). Against the new one, a typo fixed in March would change
        # March's PV, BAC and plan, and mix an old PV with a new BAC.
        baseline = current.baseline
        curve = planned_curve(baseline) or plan_linear(current.project, baseline.budget)
        numbers = {
            name: changes.get(name, getattr(current, name))
            for name in ("planned_value", "earned_value", "actual_cost", "ev_source")
        }
        values = _report_values(
            project=current.project,
            baseline=baseline,
            curve=curve,
            period_end=current.period_end,
            values=numbers,
        )
        current.superseded_at = timezone.now()
        current.save(update_fields=["superseded_at"])
        revised = StatusReport(
            project=current.project,
            period_end=current.period_end,
            revision=current.revision + 1,
            baseline=baseline,
            created_by=actor,
            revision_reason=reason.strip(),
            **{name: changes.get(name, getattr(current, name)) for name in REPORT_FIELDS},
            **values,
        )
        revised.full_clean()
        revised.save()
        status_reports_mark_latest(project_ids=[current.project_id])
        revised.refresh_from_db(fields=["is_latest"])
        return revised


def status_reports_mark_latest(*, project_ids: Collection[int] | None = None) -> None:
    """Flag each project's latest current report (and unflag the rest), for the given projects
    or all: set-based, two statements."""
    reports = StatusReport.objects.all()
    if project_ids is not None:
        reports = reports.filter(project_id__in=list(project_ids))
    reports.filter(is_latest=True).update(is_latest=False)
    latest = (
        StatusReport.objects.current()
        .filter(project=OuterRef("project_id"))
        .order_by("-period_end")
        .values("pk")[:1]
    )
    reports.current().filter(pk=Subquery(latest)).update(is_latest=True)


# ─── Milestones and changes ───


def _acceptance_errors(
    milestone: Milestone, contact: Contact | None, at: dt.datetime | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if contact is None or at is None:
        return errors
    if contact.client_id != milestone.project.client_id:
        errors["accepted_by"] = "The contact who accepted must be at the project's client."
    if at > timezone.now():
        errors["accepted_at"] = "Acceptance cannot be in the future."
    elif milestone.actual_date and timezone.localdate(at) < milestone.actual_date:
        errors["accepted_at"] = (
            f"Acceptance cannot come before the milestone was completed ({milestone.actual_date})."
        )
    return errors


def milestone_accept(
    *, milestone: Milestone, actor: User, contact: Contact, at: dt.datetime
) -> Milestone:
    """Record the client's acceptance of a completed milestone."""
    with set_actor(actor), transaction.atomic():
        current = (
            Milestone.objects.select_for_update().select_related("project").get(pk=milestone.pk)
        )
        if current.accepted_at is not None:
            raise ValidationError({"accepted_by": "This milestone is accepted already."})
        if errors := _acceptance_errors(current, contact, at):
            raise ValidationError(errors)
        current.accepted_by = contact
        current.accepted_at = at
        current.version += 1
        current.full_clean()
        current.save(update_fields=["accepted_by", "accepted_at", "version", "updated_at"])
        return current


def milestone_complete(
    *,
    milestone: Milestone,
    actor: User,
    actual_date: dt.date,
    contact: Contact | None = None,
    accepted_at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> Milestone:
    """Mark a milestone done on a date and, if the client has signed it off, record who
    accepted it and when. An acceptance already recorded is kept unless another is given."""
    with set_actor(actor), transaction.atomic():
        current = (
            Milestone.objects.select_for_update().select_related("project").get(pk=milestone.pk)
        )
        if expected_version is not None and current.version != expected_version:
            raise StaleRecordError(current)
        errors: dict[str, str] = {}
        if actual_date > timezone.localdate():
            errors["actual_date"] = "A milestone is completed on a day that has come."
        elif actual_date < current.project.start_date:
            errors["actual_date"] = (
                f"The milestone cannot be completed before the project starts "
                f"({current.project.start_date})."
            )
        if (contact is None) != (accepted_at is None):
            errors["accepted_by"] = "Acceptance needs both the contact who accepted and when."
        current.actual_date = actual_date
        errors |= _acceptance_errors(current, contact, accepted_at)
        if errors:
            raise ValidationError(errors)
        if contact is not None:
            current.accepted_by = contact
            current.accepted_at = accepted_at
        current.version += 1
        current.full_clean()
        current.save(
            update_fields=["actual_date", "accepted_by", "accepted_at", "version", "updated_at"]
        )
        return current


def change_request_decide(
    *,
    change: ChangeRequest,
    actor: User,
    decision: str,
    at: dt.datetime,
    reason: str = "",
    expected_version: int | None = None,
) -> ChangeRequest:
    """Decide a pending change: billed, absorbed as goodwill, or declined; the decider is the
    actor. A decided change is not decided again. Absorbing (scope given away) and declining
    need a reason: the ledger is the firm's record of why."""
    if decision not in Decision.values or decision == Decision.PENDING:
        raise ValidationError({"decision": "Choose billed, absorbed or declined."})
    if decision != Decision.BILLED and not reason.strip():
        raise ValidationError({"reason": "Say why the change is absorbed or declined."})
    if at > timezone.now():
        raise ValidationError({"decided_at": "A decision cannot be dated in the future."})
    with set_actor(actor), transaction.atomic():
        current = (
            ChangeRequest.objects.select_for_update()
            .select_related("project", "asked_by")
            .get(pk=change.pk)
        )
        if expected_version is not None and current.version != expected_version:
            raise StaleRecordError(current)
        if current.decision != Decision.PENDING:
            raise ValidationError(
                {"decision": f"This change was decided already ({current.get_decision_display()})."}
            )
        current.decision = decision
        current.decided_by = actor
        current.decided_at = at
        current.reason = reason.strip()
        current.version += 1
        current.full_clean()
        current.save(
            update_fields=[
                "decision",
                "decided_by",
                "decided_at",
                "reason",
                "version",
                "updated_at",
            ]
        )
        return current
