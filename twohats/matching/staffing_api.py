"""Staffing over the JSON API: a project's ranked candidates, the fit of one PM with one
contact, the optimiser's plan of the open needs, and assigning a PM to a need.

Access is the staffing pages': a project or contact the user may not see answers 404; rankings
and plans are for directors, admins and executives (read-only), so PMs get 403 (they may ask
for their own fit with a contact they see, and a director only about the PMs they may see);
assigning is for the director of the need's practice or an admin. A PM's own traits are named
only to those who may see the PM's profile (matching.privacy): for others a fit's personal
parts are one "personality" part.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema

from twohats.apikit import Id, current_user, resolve
from twohats.clients.models import Contact
from twohats.health.selectors import pms_visible_to
from twohats.matching.fit import Fit
from twohats.matching.models import StaffingNeed
from twohats.matching.privacy import fold_unless_seen
from twohats.matching.selectors import explain_pair
from twohats.matching.staffing import (
    Candidate,
    Choice,
    active_policy,
    needs_for,
    plan,
    pm_pool,
    rank_candidates,
)
from twohats.matching.staffing_services import can_staff, staffing_assign
from twohats.people.models import User
from twohats.projects.models import Project

router = Router(tags=["staffing"])


def _require_reader(user: User) -> None:
    if not (user.is_director or user.sees_everything):
        raise PermissionDenied(
            "Staffing rankings are for directors and administrators: they rest on colleagues' "
            "profiles and workloads."
        )


class PartOut(Schema):
    name: str
    points: float
    words: str


class FitOut(Schema):
    score: float
    summary: str
    parts: list[PartOut]
    missing: list[str]


def fit_out(fit: Fit) -> FitOut:
    return FitOut(
        score=fit.score,
        summary=fit.summary,
        parts=[PartOut(name=p.name, points=round(p.points, 2), words=p.words) for p in fit.parts],
        missing=fit.missing,
    )


class CandidateOut(Schema):
    pm: int
    name: str
    score: float
    utilisation: float | None
    free_hours: float
    current: bool
    breakdown: FitOut | None
    reasons: list[str]


def candidate_out(entry: Candidate) -> CandidateOut:
    return CandidateOut(
        pm=entry.pm.pk,
        name=str(entry.pm),
        score=entry.score,
        utilisation=None if entry.utilisation is None else round(entry.utilisation, 3),
        free_hours=round(entry.free_hours, 1),
        current=entry.current,
        breakdown=fit_out(entry.fit) if entry.fit is not None else None,
        reasons=entry.reasons,
    )


class TargetOut(Schema):
    contact: int
    name: str
    weight: float


class CandidatesOut(Schema):
    project: int
    need: int | None
    hours: float
    contacts: list[TargetOut]
    candidates: list[CandidateOut]
    excluded: list[CandidateOut]
    excluded_count: int
    notes: list[str]


class CandidatesQuery(Schema):
    limit: int = 10
    several: bool = False


@router.get("/projects/{int:project_id}/candidates", response=CandidatesOut)
def project_candidates(
    request: HttpRequest, project_id: Id, query: Query[CandidatesQuery]
) -> CandidatesOut:
    """Feasible PMs best fit first (the first five with their score in words), and the PMs a
    hard constraint excludes, with the reasons. `several` judges the fit against every
    powerful contact, weighted by power, rather than the primary representative alone."""
    user = current_user(request)
    project = get_object_or_404(
        Project.objects.visible_to(user).select_related("client", "manager"), pk=project_id
    )
    _require_reader(user)
    limit = max(1, min(query.limit, 100))
    ranking = rank_candidates(
        project, active_policy(), limit=limit, several=query.several, viewer=user
    )
    return CandidatesOut(
        project=project.pk,
        need=ranking.need.pk if ranking.need else None,
        hours=ranking.hours,
        contacts=[
            TargetOut(contact=t.contact.pk, name=str(t.contact), weight=t.weight)
            for t in ranking.targets
        ],
        candidates=[candidate_out(c) for c in ranking.candidates],
        excluded=[candidate_out(c) for c in ranking.excluded],
        excluded_count=ranking.excluded_count,
        notes=ranking.notes,
    )


class PairQuery(Schema):
    pm: Id
    contact: Id
    hours: float = 0.0


class PairFitOut(FitOut):
    pm: int
    contact: int


@router.get("/fit", response=PairFitOut)
def pair_fit(request: HttpRequest, query: Query[PairQuery]) -> PairFitOut:
    """The fit of one PM with one contact, each part in words. A PM may ask about themself;
    directors about the PMs of the practices they lead; admins and executives about any PM
    (another PM answers 404). The parts that read the PM's own traits are shown one by one only
    to those who may see the PM's profile (the PM, their director, admins): for everyone else
    they are one "personality" part."""
    user = current_user(request)
    contact = get_object_or_404(
        Contact.objects.visible_to(user).select_related("client"), pk=query.contact
    )
    if query.pm != user.pk:
        _require_reader(user)
    pms = User.objects.filter(pk=user.pk) | pms_visible_to(user)
    pm = get_object_or_404(pms.filter(is_active=True), pk=query.pm)
    hours = max(0.0, min(query.hours, 80.0))
    explained = explain_pair(pm, contact, active_policy(), hours=hours)
    fit = fit_out(fold_unless_seen(explained, user, pm))
    return PairFitOut(pm=pm.pk, contact=contact.pk, **fit.model_dump())


class ChoiceOut(Schema):
    pm: int
    name: str
    score: float
    feasible: bool


def choice_out(choice: Choice | None) -> ChoiceOut | None:
    if choice is None:
        return None
    return ChoiceOut(
        pm=choice.pm.pk, name=str(choice.pm), score=choice.score, feasible=choice.feasible
    )


class PlanRowOut(Schema):
    need: int
    project: int
    project_name: str
    hours: float
    optimal: ChoiceOut | None
    greedy: ChoiceOut | None
    current: ChoiceOut | None
    why_open: str


class PlanOut(Schema):
    rows: list[PlanRowOut]
    totals: dict[str, float]
    staffed: dict[str, int]
    slot_hours: float
    pms: int
    seconds: float


@router.get("/staffing/plan", response=PlanOut)
def staffing_plan(request: HttpRequest) -> PlanOut:
    """The optimiser's assignment of the open needs the user plans (a director: their
    practices'; admins and executives: all), beside the greedy and the current ones."""
    user = current_user(request)
    _require_reader(user)
    needs = list(needs_for(user).select_related("project__manager__practice"))
    if not needs:
        return PlanOut(
            rows=[],
            totals={"optimal": 0.0, "greedy": 0.0, "current": 0.0},
            staffed={"optimal": 0, "greedy": 0},
            slot_hours=0.0,
            pms=pm_pool().count(),
            seconds=0.0,
        )
    result = plan(needs, active_policy())
    return PlanOut(
        rows=[
            PlanRowOut(
                need=row.need.pk,
                project=row.need.project_id,
                project_name=str(row.need.project),
                hours=float(row.need.hours_per_week),
                optimal=choice_out(row.optimal),
                greedy=choice_out(row.greedy),
                current=choice_out(row.current),
                why_open=row.why_open,
            )
            for row in result.rows
        ],
        totals=result.totals,
        staffed={"optimal": result.optimal.staffed, "greedy": result.greedy.staffed},
        slot_hours=result.optimal.slot_hours,
        pms=result.pm_count,
        seconds=round(result.seconds, 3),
    )


class AssignIn(Schema):
    pm: Id


class NeedOut(Schema):
    id: int
    project: int
    assigned: int | None
    filled_at: dt.datetime | None


@router.post("/staffing/needs/{int:need_id}/assign", response=NeedOut)
def need_assign(request: HttpRequest, need_id: Id, payload: AssignIn) -> NeedOut:
    """Put a PM on the need's project (it becomes the project's manager; the change is in the
    project's history). A PM who breaks a hard constraint answers 422 with the reason."""
    user = current_user(request)
    need = get_object_or_404(
        StaffingNeed.objects.visible_to(user).select_related("project", "practice"), pk=need_id
    )
    if not can_staff(user, need):
        raise PermissionDenied(
            "Only the director of the need's practice or an administrator assigns a PM."
        )
    pm = resolve(User.objects.filter(is_active=True), payload.pm, "pm")
    assert pm is not None
    need = staffing_assign(need=need, pm=pm, by=user)
    return NeedOut(
        id=need.pk, project=need.project_id, assigned=need.assigned_id, filled_at=need.filled_at
    )
