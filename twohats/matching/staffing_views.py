"""Staffing pages: a project's ranked candidates, and the optimiser's plan for directors.

Who sees what: the rankings rest on colleagues' personality profiles and workloads, which only
the person, their director and admins see (`PersonalityProfile.visible_to`), so PMs (the
project's own manager included) get 403 on both pages. Directors and admins see and assign
(a director for the practices they lead); executives see them read-only. A project the user may
not see answers 404.

The page also lists the staffing conflicts recorded for the project's client (a PM who must not
work for it, and why). Directors and admins record and remove them there; the ranking then
leaves the PM out, with the reason. Executives see the list read-only.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from twohats.matching.models import StaffingConflict, StaffingNeed
from twohats.matching.staffing import (
    active_policy,
    needs_for,
    open_needs,
    plan,
    pm_pool,
    rank_candidates,
)
from twohats.matching.staffing_services import (
    can_staff,
    staffing_assign,
    staffing_conflict_record,
    staffing_need_open,
)
from twohats.people.models import Practice, User
from twohats.projects.models import Project
from twohats.web import get_visible, user_of


class NeedForm(forms.Form):
    hours_per_week = forms.DecimalField(
        label="Expected PM load (hours per week)", min_value=1, max_value=80, decimal_places=1
    )
    practice = forms.ModelChoiceField(
        queryset=Practice.objects.order_by("name"),
        required=False,
        empty_label="Any practice",
        help_text="Only PMs of this practice may take it.",
    )


class ConflictForm(forms.Form):
    pm = forms.ModelChoiceField(
        label="Project manager",
        queryset=pm_pool().order_by("last_name", "first_name", "username"),
        empty_label="Choose a PM",
        error_messages={
            "required": "Choose the PM who must not work for this client.",
            "invalid_choice": "Choose an active project manager from the list.",
        },
    )
    reason = forms.CharField(
        label="Reason",
        max_length=200,
        help_text="A conflict of interest, a past dispute: what a director needs to know.",
        error_messages={"required": "Say why the PM must not work for this client."},
    )

    def clean_reason(self) -> str:
        reason = str(self.cleaned_data["reason"]).strip()
        if not reason:
            raise forms.ValidationError("Say why the PM must not work for this client.")
        return reason


def _require_staffing_reader(user: User) -> None:
    if not (user.is_director or user.sees_everything):
        raise PermissionDenied(
            "Staffing rankings are for directors and administrators: they rest on colleagues' "
            "profiles and workloads."
        )


@login_required
def project_staffing(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    project = get_visible(Project, request, pk, "client", "manager__practice")
    _require_staffing_reader(user)
    return _staffing_page(request, project)


def _staffing_page(
    request: HttpRequest,
    project: Project,
    *,
    conflict_form: ConflictForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = user_of(request)
    ranking = rank_candidates(project, active_policy(), viewer=user)
    need = ranking.need
    may_open = (
        need is None
        and (user.is_director or user.is_admin)
        and Project.objects.editable_by(user).filter(pk=project.pk).exists()
    )
    form = NeedForm(initial={"hours_per_week": project.pm_hours_per_week})
    context = {
        "project": project,
        "ranking": ranking,
        "may_assign": need is not None and can_staff(user, need),
        "may_open": may_open,
        "form": form,
        "conflicts": StaffingConflict.objects.filter(client_id=project.client_id)
        .select_related("user", "recorded_by")
        .order_by("-recorded_at", "-pk"),
        "may_record_conflicts": _may_record_conflicts(user),
        "conflict_form": conflict_form or ConflictForm(),
    }
    return render(request, "matching/staffing_project.html", context, status=status)


def _may_record_conflicts(user: User) -> bool:
    """Directors (for the clients they see: the page is 404 otherwise) and admins."""
    return user.is_admin or user.is_director


def _conflict_project(request: HttpRequest, pk: int) -> tuple[User, Project]:
    """The project (404 if hidden) and a user who may record its client's conflicts (403)."""
    user = user_of(request)
    project = get_visible(Project, request, pk, "client", "manager__practice")
    if not _may_record_conflicts(user):
        raise PermissionDenied(
            "Only directors and administrators record or remove staffing conflicts."
        )
    return user, project


@login_required
@require_POST
def conflict_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Record that a PM must not work for the project's client. A pair already recorded is
    refused: remove the conflict first to record another reason."""
    user, project = _conflict_project(request, pk)
    client = project.client
    form = ConflictForm(request.POST)
    if not form.is_valid():
        return _staffing_page(request, project, conflict_form=form, status=400)
    pm: User = form.cleaned_data["pm"]
    existing = (
        StaffingConflict.objects.filter(user=pm, client=client)
        .select_related("recorded_by")
        .first()
    )
    if existing is not None:
        by = f" by {existing.recorded_by}" if existing.recorded_by else ""
        form.add_error(
            "pm",
            f"A conflict of {pm} with {client.name} is already recorded{by} on "
            f"{existing.recorded_at:%Y-%m-%d} ({existing.reason}). Remove it first to record "
            "another reason.",
        )
        return _staffing_page(request, project, conflict_form=form, status=409)
    try:
        staffing_conflict_record(
            user=pm, client=client, by=user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return _staffing_page(request, project, conflict_form=form, status=400)
    messages.success(
        request, f"Conflict recorded: {pm} will not be proposed for {client.name}'s projects."
    )
    return redirect("matching_staffing:project", pk=project.pk)


@login_required
@require_POST
def conflict_remove(request: HttpRequest, pk: int, conflict_pk: int) -> HttpResponse:
    _, project = _conflict_project(request, pk)
    conflict = get_object_or_404(
        StaffingConflict.objects.select_related("user"),
        pk=conflict_pk,
        client_id=project.client_id,
    )
    conflict.delete()
    messages.success(
        request,
        f"Conflict removed: {conflict.user} may again be proposed for {project.client.name}.",
    )
    return redirect("matching_staffing:project", pk=project.pk)


@login_required
@require_POST
def need_open(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    project = get_visible(Project, request, pk, "client")
    _require_staffing_reader(user)
    form = NeedForm(request.POST)
    if form.is_valid():
        try:
            staffing_need_open(
                project=project,
                by=user,
                hours=form.cleaned_data["hours_per_week"],
                practice=form.cleaned_data["practice"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"A staffing need is open for {project}.")
    else:
        errors = "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items())
        messages.error(request, f"The need was not opened: {errors}")
    return redirect("matching_staffing:project", pk=project.pk)


@login_required
@require_POST
def need_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Assign a PM to an open need: from the project page or the plan's Accept button (an
    HTMX request gets the plan's row back, marked done)."""
    user = user_of(request)
    need = get_object_or_404(
        StaffingNeed.objects.visible_to(user).select_related("project", "practice"), pk=pk
    )
    if not can_staff(user, need):
        raise PermissionDenied("Only the director of the need's practice or an admin assigns.")
    raw = str(request.POST.get("pm", ""))
    pm = User.objects.filter(pk=int(raw) if raw.isdigit() else 0).first()
    back = (
        reverse("matching_staffing:plan")
        if request.POST.get("back") == "plan"
        else reverse("matching_staffing:project", args=[need.project_id])
    )
    error = ""
    if pm is None:
        error = "Choose a PM to assign."
    else:
        try:
            staffing_assign(need=need, pm=pm, by=user)
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
    if request.htmx:  # type: ignore[attr-defined]
        context = {"need": need, "pm": pm, "error": error}
        return render(
            request, "matching/staffing_assigned.html", context, status=422 if error else 200
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"{pm} now runs {need.project}.")
    return redirect(back)


@login_required
def staffing_plan(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    _require_staffing_reader(user)
    mine = needs_for(user)
    # A plan per practice: the practices of the user's needs, and "none" for needs naming none.
    practices = list(Practice.objects.filter(pk__in=mine.values("practice_id")).order_by("name"))
    choice = request.GET.get("practice", "")
    status = 200
    if choice == "none":
        mine = mine.filter(practice__isnull=True)
    elif choice:
        chosen = next((p for p in practices if str(p.pk) == choice), None)
        if chosen is None:
            messages.error(request, "No open need of yours names that practice: all are shown.")
            choice, status = "", 400
        else:
            mine = mine.filter(practice=chosen)
    needs = list(mine.select_related("project__manager__practice"))
    result = plan(needs, active_policy()) if needs else None
    may_assign = user.is_admin or user.is_director
    # Needs without a practice are the director's where they may edit the project: one query.
    editable = set(
        Project.objects.editable_by(user)
        .filter(pk__in=[n.project_id for n in needs if n.practice_id is None])
        .values_list("pk", flat=True)
    )
    acceptable = {
        n.pk
        for n in needs
        if may_assign
        and (
            user.is_admin
            or (n.practice is not None and n.practice.lead_id == user.pk)
            or (n.practice_id is None and n.project_id in editable)
        )
    }
    context = {
        "plan": result,
        "acceptable": acceptable,
        "open_count": open_needs().count(),
        "practices": practices,
        "choice": choice,
    }
    return render(request, "matching/staffing_plan.html", context, status=status)
