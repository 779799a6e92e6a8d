from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_POST

from twohats.growth.models import Opportunity
from twohats.interactions.models import Interaction
from twohats.interactions.selectors import timeline_page
from twohats.projects.delivery_views import delivery_context
from twohats.projects.filters import ProjectFilter
from twohats.projects.forms import ProjectForm
from twohats.projects.models import Project
from twohats.web import (
    archive_toggle,
    can_edit,
    client_param,
    confirm_delete,
    get_editable,
    get_visible,
    history_of,
    list_page,
    require_writer,
    save_form,
    user_of,
)
from twohats.writes import record_create, record_update

COLUMNS = [
    ("id", lambda p: p.pk),
    ("client", lambda p: p.client.name),
    ("name", lambda p: p.name),
    ("code", lambda p: p.code),
    ("manager", lambda p: p.manager),
    ("team", lambda p: "; ".join(str(u) for u in p.team.all())),
    ("status", lambda p: p.get_status_display()),
    ("contract type", lambda p: p.get_contract_type_display()),
    ("budget", lambda p: p.budget),
    ("start", lambda p: p.start_date),
    ("end", lambda p: p.end_date),
    ("archived at", lambda p: p.archived_at),
]


@login_required
def project_list(request: HttpRequest) -> HttpResponseBase:
    queryset = (
        Project.objects.visible_to(user_of(request))
        .select_related("client", "manager")
        .prefetch_related("team")
    )
    return list_page(
        request,
        filterset=ProjectFilter(request.GET, queryset=queryset),
        template="projects/project_list.html",
        columns=COLUMNS,
        filename="projects",
    )


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_visible(Project, request, pk, "client", "manager")
    editable = can_edit(Project, request, pk)
    context = {
        **delivery_context(request, project, can_write=editable),
        "client": project.client,
        "team": list(project.team.all()),
        "opportunities": list(
            Opportunity.objects.filter(project=project).select_related("identified_by")
        ),
        "timeline": timeline_page(Interaction.objects.filter(project=project)),
        "can_edit": editable,
        "history": history_of(project),
    }
    return render(request, "projects/project_detail.html", context)


@login_required
def project_create(request: HttpRequest) -> HttpResponse:
    user = require_writer(request)
    client = client_param(
        request,
        rights="edit",
        refusal="Only the account lead, their director or an admin add projects.",
    )
    form = ProjectForm(request.POST or None, initial={"manager": user})
    return save_form(
        request,
        form,
        lambda form: record_create(
            Project,
            actor=user,
            fields=form.model_fields() | {"client": client},
            m2m={"team": form.cleaned_data["team"]},
        ),
        template="projects/project_form.html",
        message="Project created.",
        context={"client": client},
    )


@login_required
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_editable(Project, request, pk, "client")
    form = ProjectForm(request.POST or None, instance=project)
    return save_form(
        request,
        form,
        lambda form: record_update(
            project,
            actor=user_of(request),
            # The budget is the baseline's: it moves only by re-baselining.
            fields={k: v for k, v in form.model_fields().items() if k != "budget"},
            m2m={"team": form.cleaned_data["team"]},
            expected_version=form.expected_version,
        ),
        template="projects/project_form.html",
        message="Project saved.",
        context={"client": project.client, "project": project},
    )


@login_required
@require_POST
def project_archive(request: HttpRequest, pk: int) -> HttpResponse:
    return archive_toggle(request, Project, pk)


@login_required
def project_delete(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_visible(Project, request, pk, "client")
    return confirm_delete(
        request,
        project,
        allowed=user_of(request).is_admin,
        consequence="Its interactions stay with the client, without the project.",
        cancel_url=project.get_absolute_url(),
        done_url=project.client.get_absolute_url(),
    )
