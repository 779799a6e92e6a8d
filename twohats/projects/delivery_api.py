"""The delivery hat over the JSON API: status reports with their earned-value indices, milestones,
the change ledger, baselines, and a project's delivery summary.

Lists and new records hang under their project (`/projects/{id}/milestones`); a record with its
own id is reached directly (`/milestones/{id}`). The same access rules as the projects: reading
needs the project visible (else 404), writing needs it editable (else 403). Indices are computed
by the server from the numbers and the baseline, never sent. The bodies are in
`delivery_schemas`.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router
from ninja.errors import ValidationError as NinjaValidationError
from ninja.responses import Status

from twohats.apikit import current_user, get_editable, get_visible, invalid, paginated, resolve
from twohats.clients.models import Contact
from twohats.people.models import User
from twohats.projects import selectors, services
from twohats.projects.delivery_schemas import (
    AcceptIn,
    BaselineIn,
    BaselineOut,
    ChangeIn,
    ChangeOut,
    ChangeQuery,
    CompleteIn,
    DecideIn,
    DeliveryOut,
    MilestoneIn,
    MilestoneOut,
    MilestonePatch,
    ReportDetailOut,
    ReportIn,
    ReportOut,
    ReportQuery,
    ReviseIn,
    policy_of,
)
from twohats.projects.models import (
    Baseline,
    ChangeRequest,
    EvSource,
    Milestone,
    Project,
    StatusReport,
    StatusReportQuerySet,
)
from twohats.writes import StaleRecordError, record_create, record_update

router = Router(tags=["delivery"])


def _current_contacts(user: User, project: Project) -> QuerySet[Contact]:
    """The contacts of the project's client who may act for it now: not archived, not gone."""
    return Contact.objects.visible_to(user).filter(
        client_id=project.client_id, archived_at__isnull=True, left_on__isnull=True
    )


def _project_visible(user: User, project_id: int) -> Project:
    return get_visible(Project.objects.visible_to(user), project_id)


def _project_editable(user: User, project_id: int) -> Project:
    return get_editable(user, Project.objects.all(), project_id)


# ---------------------------------------------------------------------------------------------
# Status reports


def report_queryset(user: User) -> StatusReportQuerySet:
    return StatusReport.objects.visible_to(user).select_related("project", "baseline", "created_by")


def _ev_from_milestones_only(ev_source: str, earned_value: Decimal | None, loc: list[str]) -> None:
    if ev_source == EvSource.MILESTONES and earned_value is not None:
        message = "With ev_source=milestones the earned value comes from them: leave it out."
        raise NinjaValidationError([{"loc": loc, "msg": message, "type": "value_error"}])


@router.get("/projects/{int:project_id}/status-reports", response=list[ReportOut])
@paginated
def report_list(
    request: HttpRequest, project_id: int, filters: Query[ReportQuery]
) -> QuerySet[StatusReport]:
    """The project's reports: the one in force for each period, or every revision."""
    user = current_user(request)
    project = _project_visible(user, project_id)
    reports = report_queryset(user).filter(project=project)
    return reports if filters.revisions == "all" else reports.current()


@router.post("/projects/{int:project_id}/status-reports", response={201: ReportDetailOut})
def report_submit(request: HttpRequest, project_id: int, payload: ReportIn) -> Status[StatusReport]:
    """Submit the report of a period, measured against the current baseline (made from the
    project's budget and dates if it has none yet). One report per period: correct it with
    `revise`."""
    user = current_user(request)
    project = _project_editable(user, project_id)
    _ev_from_milestones_only(payload.ev_source, payload.earned_value, ["body", "earned_value"])
    report = services.status_report_submit(project=project, actor=user, **payload.model_dump())
    return Status(201, get_visible(report_queryset(user), report.pk))


@router.get("/status-reports/{int:report_id}", response=ReportDetailOut)
def report_read(request: HttpRequest, report_id: int) -> StatusReport:
    return get_visible(report_queryset(current_user(request)), report_id)


@router.post("/status-reports/{int:report_id}/revise", response={201: ReportDetailOut})
def report_revise(request: HttpRequest, report_id: int, payload: ReviseIn) -> Status[StatusReport]:
    """Correct a report: a new revision with the reason, measured against the same baseline;
    the corrected one stays in the history, no longer current."""
    user = current_user(request)
    report = get_visible(report_queryset(user), report_id)
    _project_editable(user, report.project_id)
    changes = payload.changes.changes()
    _ev_from_milestones_only(
        changes.get("ev_source", report.ev_source),
        changes.get("earned_value"),
        ["body", "changes", "earned_value"],
    )
    revised = services.status_report_revise(
        report=report, actor=user, reason=payload.reason, changes=changes
    )
    return Status(201, get_visible(report_queryset(user), revised.pk))


# ---------------------------------------------------------------------------------------------
# Milestones


def _check_forecast(project: Project, forecast: dt.date | None) -> None:
    if forecast is not None and forecast < project.start_date:
        message = f"The forecast is before the project starts ({project.start_date})."
        raise invalid("forecast_date", message)


def milestone_queryset(user: User) -> QuerySet[Milestone]:
    return Milestone.objects.visible_to(user).select_related("accepted_by")


@router.get("/projects/{int:project_id}/milestones", response=list[MilestoneOut])
@paginated
def milestone_list(request: HttpRequest, project_id: int) -> QuerySet[Milestone]:
    user = current_user(request)
    project = _project_visible(user, project_id)
    return milestone_queryset(user).filter(project=project)


@router.post("/projects/{int:project_id}/milestones", response={201: MilestoneOut})
def milestone_create(
    request: HttpRequest, project_id: int, payload: MilestoneIn
) -> Status[Milestone]:
    """Plan a milestone; record its completion with `complete`."""
    user = current_user(request)
    project = _project_editable(user, project_id)
    _check_forecast(project, payload.forecast_date)
    fields = payload.model_dump() | {"project": project}
    milestone = record_create(Milestone, actor=user, fields=fields)
    return Status(201, get_visible(milestone_queryset(user), milestone.pk))


@router.get("/milestones/{int:milestone_id}", response=MilestoneOut)
def milestone_read(request: HttpRequest, milestone_id: int) -> Milestone:
    return get_visible(milestone_queryset(current_user(request)), milestone_id)


@router.patch("/milestones/{int:milestone_id}", response=MilestoneOut)
def milestone_update(request: HttpRequest, milestone_id: int, payload: MilestonePatch) -> Milestone:
    """Change the plan, forecast or progress; completion and acceptance have their own actions."""
    user = current_user(request)
    milestone = get_editable(user, Milestone.objects.select_related("project"), milestone_id)
    _check_forecast(milestone.project, payload.forecast_date)
    record_update(milestone, actor=user, fields=payload.changes(), expected_version=payload.version)
    return get_visible(milestone_queryset(user), milestone_id)


@router.post("/milestones/{int:milestone_id}/accept", response=MilestoneOut)
def milestone_accept(request: HttpRequest, milestone_id: int, payload: AcceptIn) -> Milestone:
    """Record the client's acceptance of a completed milestone, by one of its contacts."""
    user = current_user(request)
    milestone = get_editable(user, Milestone.objects.select_related("project"), milestone_id)
    contact = resolve(
        _current_contacts(user, milestone.project), payload.accepted_by, "accepted_by"
    )
    assert contact is not None  # the id is required
    if payload.version is not None and payload.version != milestone.version:
        # The service locks the row and refuses a second acceptance; this refuses a stale copy.
        raise StaleRecordError(milestone)
    at = payload.accepted_at or timezone.now()
    services.milestone_accept(milestone=milestone, actor=user, contact=contact, at=at)
    return get_visible(milestone_queryset(user), milestone_id)


@router.post("/milestones/{int:milestone_id}/complete", response=MilestoneOut)
def milestone_complete(request: HttpRequest, milestone_id: int, payload: CompleteIn) -> Milestone:
    """Mark the milestone done on a day (again, to correct it), with the client's acceptance
    if it has been given; an acceptance on record is kept unless another is sent."""
    user = current_user(request)
    milestone = get_editable(user, Milestone.objects.select_related("project"), milestone_id)
    contact = resolve(
        _current_contacts(user, milestone.project), payload.accepted_by, "accepted_by"
    )
    accepted_at = payload.accepted_at
    if contact is not None and accepted_at is None:
        accepted_at = timezone.now()
    services.milestone_complete(
        milestone=milestone,
        actor=user,
        actual_date=payload.actual_date,
        contact=contact,
        accepted_at=accepted_at,
        expected_version=payload.version,
    )
    return get_visible(milestone_queryset(user), milestone_id)


# ---------------------------------------------------------------------------------------------
# Change requests


def change_queryset(user: User) -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.visible_to(user).select_related("asked_by", "decided_by")


@router.get("/projects/{int:project_id}/change-requests", response=list[ChangeOut])
@paginated
def change_list(
    request: HttpRequest, project_id: int, filters: Query[ChangeQuery]
) -> QuerySet[ChangeRequest]:
    user = current_user(request)
    project = _project_visible(user, project_id)
    changes = change_queryset(user).filter(project=project)
    return changes.filter(decision=filters.decision) if filters.decision else changes


@router.post("/projects/{int:project_id}/change-requests", response={201: ChangeOut})
def change_create(
    request: HttpRequest, project_id: int, payload: ChangeIn
) -> Status[ChangeRequest]:
    """Log a change the client asked for; it is pending until decided."""
    user = current_user(request)
    project = _project_editable(user, project_id)
    data = payload.model_dump()
    data["asked_by"] = resolve(_current_contacts(user, project), data["asked_by"], "asked_by")
    data["asked_at"] = data["asked_at"] or timezone.now()
    if data["asked_at"] > timezone.now():
        raise invalid("asked_at", "A change cannot be asked in the future.")
    change = record_create(ChangeRequest, actor=user, fields=data | {"project": project})
    return Status(201, get_visible(change_queryset(user), change.pk))


@router.get("/change-requests/{int:change_id}", response=ChangeOut)
def change_read(request: HttpRequest, change_id: int) -> ChangeRequest:
    return get_visible(change_queryset(current_user(request)), change_id)


@router.post("/change-requests/{int:change_id}/decide", response=ChangeOut)
def change_decide(request: HttpRequest, change_id: int, payload: DecideIn) -> ChangeRequest:
    """Decide a pending change: billed, absorbed as goodwill, or declined. You are recorded as
    the decider; a decided change is not decided again."""
    user = current_user(request)
    change = get_editable(user, ChangeRequest.objects.all(), change_id)
    services.change_request_decide(
        change=change,
        actor=user,
        decision=payload.decision,
        at=payload.decided_at or timezone.now(),
        reason=payload.reason,
        expected_version=payload.version,
    )
    return get_visible(change_queryset(user), change_id)


# ---------------------------------------------------------------------------------------------
# Baselines


def baseline_queryset(project: Project) -> QuerySet[Baseline]:
    return project.baselines.select_related("created_by").prefetch_related("plan")


@router.get("/projects/{int:project_id}/baselines", response=list[BaselineOut])
@paginated
def baseline_list(request: HttpRequest, project_id: int) -> QuerySet[Baseline]:
    """The project's baselines with their plans, oldest first. Baseline 1 is made from the
    project's budget and dates with its first status report or re-baseline."""
    project = _project_visible(current_user(request), project_id)
    return baseline_queryset(project)


@router.post("/projects/{int:project_id}/baselines", response={201: BaselineOut})
def baseline_create(request: HttpRequest, project_id: int, payload: BaselineIn) -> Status[Baseline]:
    """Re-baseline: a new plan version with its reason. Reports from now on are measured
    against it; earlier reports, and revisions of them, keep the baseline they were measured
    against."""
    user = current_user(request)
    project = _project_editable(user, project_id)
    plan = [(p.period_end, p.value) for p in payload.plan] if payload.plan is not None else None
    if plan == []:  # the service would take an empty plan for no plan: the straight line
        raise invalid("plan", "Give at least one period, or leave the plan out.")
    baseline = services.baseline_create(
        project=project, actor=user, budget=payload.budget, reason=payload.reason, plan=plan
    )
    return Status(201, baseline_queryset(project).get(pk=baseline.pk))


# ---------------------------------------------------------------------------------------------
# A project's delivery at a glance


@router.get("/projects/{int:project_id}/delivery", response=DeliveryOut)
def delivery_read(request: HttpRequest, project_id: int) -> dict[str, Any]:
    """The latest indices with their bands, the milestones' slippage and the change ledger."""
    user = current_user(request)
    project = _project_visible(user, project_id)
    baseline = project.baselines.order_by("-number").first()
    bac = baseline.budget if baseline else project.budget
    report = report_queryset(user).filter(project=project).current().order_by("-period_end").first()
    return {
        "project": project.pk,
        "bac": bac,
        "baseline_number": baseline.number if baseline else None,
        "report": report,
        "indices": (
            selectors.status_report_indices(report, policy=policy_of({"request": request}))
            if report
            else None
        ),
        "milestones": selectors.milestone_stats(project, today=timezone.localdate()),
        "changes": selectors.change_request_stats(project, bac=bac),
    }
