"""Staffing pages: a project's ranked candidates, and the optimiser's plan for directors.

Who sees what: the rankings rest on colleagues' personality profiles and workloads, which only
the person, their director and admins see (`PersonalityProfile.visible_to`), so PMs (the
project's own manager included) get 403 on both pages. Directors and admins see and assign
(a director for the practices they lead); executives see them read-only. A project the user may
not see answers 404.
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

from twohats.matching.models import StaffingNeed
from twohats.matching.staffing import (
    active_policy,
    needs_for,
    open_needs,
    plan,
    rank_candidates,
)
from twohats.matching.staffing_services import (
    can_staff,
    staffing_assign,
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
    ranking = rank_candidates(project, active_policy())
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
    }
    return render(request, "matching/staffing_project.html", context)


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
    visible = Project.objects.visible_to(user).values("pk")
    need = get_object_or_404(
        StaffingNeed.objects.select_related("project", "practice").filter(project__in=visible),
        pk=pk,
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
    needs = list(needs_for(user).select_related("project__manager__practice"))
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
    context = {"plan": result, "acceptable": acceptable, "open_count": open_needs().count()}
    return render(request, "matching/staffing_plan.html", context)
