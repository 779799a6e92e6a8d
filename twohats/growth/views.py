from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from twohats.growth.filters import OpportunityFilter
from twohats.growth.forms import OpportunityForm
from twohats.growth.models import Opportunity
from twohats.web import (
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
    ("id", lambda o: o.pk),
    ("client", lambda o: o.client.name),
    ("title", lambda o: o.title),
    ("project", lambda o: o.project.name if o.project else ""),
    ("identified by", lambda o: o.identified_by),
    ("identified on", lambda o: o.identified_on),
    ("value", lambda o: o.value),
    ("stage", lambda o: o.get_stage_display()),
    ("probability", lambda o: o.probability),
    ("expected close", lambda o: o.expected_close),
    ("closed on", lambda o: o.closed_on),
]


@login_required
def opportunity_list(request: HttpRequest) -> HttpResponseBase:
    queryset = Opportunity.objects.visible_to(user_of(request)).select_related(
        "client", "project", "identified_by"
    )
    return list_page(
        request,
        filterset=OpportunityFilter(request.GET, queryset=queryset),
        template="growth/opportunity_list.html",
        columns=COLUMNS,
        filename="opportunities",
    )


@login_required
def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = get_visible(Opportunity, request, pk, "client", "project", "identified_by")
    context = {
        "opportunity": opportunity,
        "client": opportunity.client,
        "can_edit": can_edit(Opportunity, request, pk),
        "history": history_of(opportunity),
    }
    return render(request, "growth/opportunity_detail.html", context)


@login_required
def opportunity_create(request: HttpRequest) -> HttpResponse:
    user = require_writer(request)
    client = client_param(
        request, rights="work", refusal="You may see this client but not record its opportunities."
    )
    initial = {"identified_by": user, "identified_on": timezone.localdate()}
    form = OpportunityForm(request.POST or None, client=client, initial=initial)
    return save_form(
        request,
        form,
        lambda form: record_create(
            Opportunity, actor=user, fields=form.model_fields() | {"client": client}
        ),
        template="growth/opportunity_form.html",
        message="Opportunity recorded.",
        context={"client": client},
    )


@login_required
def opportunity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = get_editable(Opportunity, request, pk, "client")
    form = OpportunityForm(request.POST or None, instance=opportunity, client=opportunity.client)
    return save_form(
        request,
        form,
        lambda form: record_update(
            opportunity,
            actor=user_of(request),
            fields=form.model_fields(),
            expected_version=form.expected_version,
        ),
        template="growth/opportunity_form.html",
        message="Opportunity saved.",
        context={"client": opportunity.client, "opportunity": opportunity},
    )


@login_required
def opportunity_delete(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = get_visible(Opportunity, request, pk, "client")
    return confirm_delete(
        request,
        opportunity,
        allowed=can_edit(Opportunity, request, pk),
        consequence="",
        cancel_url=opportunity.get_absolute_url(),
        done_url=reverse("clients:detail", args=[opportunity.client_id]),
    )
