from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from twohats.clients.models import Client
from twohats.interactions.filters import InteractionFilter
from twohats.interactions.forms import InteractionForm
from twohats.interactions.models import Interaction
from twohats.interactions.selectors import timeline_page, timeline_queryset
from twohats.interactions.services import (
    interaction_create,
    interaction_set_next_step_done,
    interaction_update,
)
from twohats.web import (
    add_errors,
    can_edit,
    confirm_delete,
    get_editable,
    get_visible,
    history_of,
    list_page,
    require_writer,
    save_form,
    user_of,
)
from twohats.writes import StaleRecordError, record_delete

COLUMNS = [
    ("id", lambda i: i.pk),
    ("client", lambda i: i.client.name),
    ("project", lambda i: i.project.name if i.project else ""),
    ("occurred at", lambda i: i.occurred_at),
    ("minutes", lambda i: i.duration_minutes),
    ("kind", lambda i: i.get_kind_display()),
    ("channel", lambda i: i.get_channel_display()),
    ("location", lambda i: i.get_location_display()),
    ("roles", lambda i: " ".join(i.roles)),
    ("sentiment", lambda i: i.sentiment),
    ("contacts", lambda i: "; ".join(c.name for c in i.contacts.all())),
    ("staff", lambda i: "; ".join(str(u) for u in i.staff.all())),
    ("summary", lambda i: i.summary),
    ("next step", lambda i: i.next_step),
    ("next step due", lambda i: i.next_step_due),
    ("next step owner", lambda i: i.next_step_owner or ""),
    ("next step done at", lambda i: i.next_step_done_at),
    ("logged by", lambda i: i.logged_by),
]


@login_required
def interaction_list(request: HttpRequest) -> HttpResponseBase:
    queryset = timeline_queryset(Interaction.objects.visible_to(user_of(request)))
    return list_page(
        request,
        filterset=InteractionFilter(request.GET, queryset=queryset),
        template="interactions/interaction_list.html",
        columns=COLUMNS,
        filename="interactions",
    )


@login_required
def client_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """The next page of a client's timeline (HTMX 'show older')."""
    client = get_visible(Client, request, pk)
    page = timeline_page(
        Interaction.objects.filter(client=client), cursor=request.GET.get("cursor")
    )
    return render(
        request,
        "interactions/_timeline_page.html",
        {
            "timeline": page,
            "client": client,
            "more_url": reverse("clients:timeline", args=[pk]),
            "can_edit_all": Client.objects.workable_by(user_of(request)).filter(pk=pk).exists(),
        },
    )


@login_required
def interaction_create_for_client(request: HttpRequest, pk: int) -> HttpResponse:
    """Log an interaction from the client page: HTMX swaps in the new item and a fresh form;
    without JavaScript it is an ordinary form post."""
    user = require_writer(request)
    client = get_visible(Client, request, pk)
    form = InteractionForm(request.POST or None, client=client, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            interaction = interaction_create(
                actor=user,
                fields=form.model_fields() | {"client": client},
                contacts=form.cleaned_data["contacts"],
                staff=form.cleaned_data["staff"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            if request.htmx:  # type: ignore[attr-defined]
                fresh = InteractionForm(client=client, user=user)
                item = timeline_queryset(Interaction.objects.filter(pk=interaction.pk)).get()
                return render(
                    request,
                    "interactions/_created.html",
                    {"form": fresh, "client": client, "item": item, "can_edit_item": True},
                )
            messages.success(request, "Interaction logged.")
            return redirect(client.get_absolute_url())
    template = "interactions/_form.html" if request.htmx else "interactions/interaction_form.html"  # type: ignore[attr-defined]
    status = 422 if request.method == "POST" else 200
    return render(request, template, {"form": form, "client": client}, status=status)


@login_required
def interaction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    interaction = get_visible(Interaction, request, pk)
    item = timeline_queryset(Interaction.objects.filter(pk=pk)).get()
    context = {
        "item": item,
        "client": item.client,
        "can_edit": can_edit(Interaction, request, pk),
        "history": history_of(interaction),
    }
    return render(request, "interactions/interaction_detail.html", context)


@login_required
def interaction_edit(request: HttpRequest, pk: int) -> HttpResponse:
    interaction = get_editable(Interaction, request, pk, "client")
    user = user_of(request)
    form = InteractionForm(
        request.POST or None, instance=interaction, client=interaction.client, user=user
    )
    return save_form(
        request,
        form,
        lambda form: interaction_update(
            actor=user,
            interaction=interaction,
            fields=form.model_fields(),
            contacts=form.cleaned_data["contacts"],
            staff=form.cleaned_data["staff"],
            expected_version=form.expected_version,
        ),
        template="interactions/interaction_form.html",
        message="Interaction saved.",
        context={"client": interaction.client, "interaction": interaction},
    )


@login_required
def interaction_delete(request: HttpRequest, pk: int) -> HttpResponse:
    interaction = get_visible(Interaction, request, pk, "client")
    allowed = can_edit(Interaction, request, pk)
    if request.method == "POST" and request.htmx and allowed:  # type: ignore[attr-defined]
        record_delete(interaction, actor=user_of(request))
        return HttpResponse("")  # the timeline item is swapped out
    return confirm_delete(
        request,
        interaction,
        allowed=allowed,
        consequence="",
        cancel_url=interaction.get_absolute_url(),
        done_url=interaction.client.get_absolute_url(),
    )


@login_required
@require_POST
def interaction_done(request: HttpRequest, pk: int) -> HttpResponse:
    interaction = get_editable(Interaction, request, pk)
    done = request.POST.get("done", "1") == "1"
    try:
        interaction_set_next_step_done(actor=user_of(request), interaction=interaction, done=done)
    except (ValidationError, StaleRecordError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    if request.htmx:  # type: ignore[attr-defined]
        item = timeline_queryset(Interaction.objects.filter(pk=pk)).get()
        return render(request, "interactions/_item.html", {"item": item, "can_edit_item": True})
    return redirect(interaction.get_absolute_url())
