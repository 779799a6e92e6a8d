"""Client requests: the list (per client, per owner), a request's page, logging, answering."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from twohats.clients.models import Client
from twohats.interactions.models import ClientRequest
from twohats.interactions.request_filters import RequestFilter
from twohats.interactions.request_forms import RequestForm, ResolveForm, RespondForm, TimeForm
from twohats.interactions.requests import (
    awaiting,
    request_create,
    request_resolve,
    request_respond,
    request_rows,
    request_update,
)
from twohats.lib.business_hours import format_minutes
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
from twohats.writes import StaleRecordError

# On the client page: the unanswered requests (most urgent first), then the latest answered.
SECTION_OPEN = 10
SECTION_ANSWERED = 5

COLUMNS = [
    ("id", lambda r: r.pk),
    ("client", lambda r: r.client.name),
    ("project", lambda r: r.project.name if r.project else ""),
    ("subject", lambda r: r.subject),
    ("priority", lambda r: r.priority),
    ("channel", lambda r: r.channel),
    ("raised by", lambda r: r.raised_by.name if r.raised_by else ""),
    ("raised at", lambda r: r.raised_at),
    ("owner", lambda r: r.owner),
    ("policy version", lambda r: r.policy.version),
    ("sla business minutes", lambda r: r.sla_minutes),
    ("due at", lambda r: r.due_at),
    ("first response at", lambda r: r.first_response_at),
    ("response business minutes", lambda r: r.response_minutes),
    ("sla missed", lambda r: "yes" if r.late else "no"),
    ("overdue", lambda r: "yes" if r.overdue else "no"),
    ("resolved at", lambda r: r.resolved_at),
    ("logged by", lambda r: r.logged_by),
]


def _rows(request: HttpRequest) -> Any:
    return request_rows(ClientRequest.objects.visible_to(user_of(request)), now=timezone.now())


@login_required
def request_list(request: HttpRequest) -> HttpResponseBase:
    user = user_of(request)
    raw = request.GET.get("client", "")
    client = (
        Client.objects.visible_to(user).filter(pk=int(raw)).only("id", "name").first()
        if raw.isdigit()
        else None
    )
    return list_page(
        request,
        filterset=RequestFilter(request.GET, queryset=_rows(request).order_by("-raised_at", "-id")),
        template="interactions/requests/request_list.html",
        columns=COLUMNS,
        filename="requests",
        context={"client": client, "mine": request.GET.get("owner") == str(user.pk)},
    )


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(_rows(request), pk=pk)
    editable = can_edit(ClientRequest, request, pk)
    context = {
        "item": item,
        "client": item.client,
        "can_edit": editable,
        "due_local": timezone.localtime(item.due_at, ZoneInfo(item.client.time_zone)),
        "sla_words": format_minutes(item.sla_minutes),
        "response_words": format_minutes(item.response_minutes),
        "respond_form": RespondForm(request=item) if editable else None,
        "resolve_form": ResolveForm(request=item) if editable else None,
        "history": history_of(item),
    }
    return render(request, "interactions/requests/request_detail.html", context)


def _section_context(request: HttpRequest, client: Client, **extra: Any) -> dict[str, Any]:
    """What the client page's requests section shows, in a fixed number of queries."""
    user = user_of(request)
    now = timezone.now()
    mine = ClientRequest.objects.filter(client=client)
    rows = request_rows(mine, now=now)
    unanswered = list(
        rows.filter(first_response_at__isnull=True).order_by("due_at", "id")[:SECTION_OPEN]
    )
    answered = list(
        rows.filter(first_response_at__isnull=False).order_by("-first_response_at", "-id")[
            :SECTION_ANSWERED
        ]
    )
    counts = mine.aggregate(
        open=Count("id", filter=Q(first_response_at__isnull=True)),
        overdue=Count("id", filter=awaiting(now)),
        total=Count("id"),
    )
    shown = [r.pk for r in unanswered]
    editable = set(
        ClientRequest.objects.editable_by(user).filter(pk__in=shown).values_list("pk", flat=True)
    )
    context: dict[str, Any] = {
        "client": client,
        "unanswered": unanswered,
        "answered": answered,
        "counts": counts,
        "editable": editable,
        "can_log": not user.is_read_only,
    }
    if "form" not in extra and context["can_log"]:
        context["form"] = RequestForm(client=client, user=user)
    return context | extra


@login_required
def client_section(request: HttpRequest, pk: int) -> HttpResponse:
    """The requests section of the client page, loaded right after the page."""
    client = get_visible(Client, request, pk)
    return render(
        request, "interactions/requests/_client_section.html", _section_context(request, client)
    )


@login_required
def request_log(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a request from the client page: HTMX swaps in the section with the new request and
    a fresh form; without JavaScript it is an ordinary form page."""
    user = require_writer(request)
    client = get_visible(Client, request, pk)
    form = RequestForm(request.POST or None, client=client, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            created = request_create(actor=user, fields=form.model_fields() | {"client": client})
        except ValidationError as error:
            add_errors(form, error)
        else:
            if request.htmx:  # type: ignore[attr-defined]
                context = _section_context(request, client, logged=created)
                return render(request, "interactions/requests/_client_section.html", context)
            messages.success(request, "Request logged.")
            return redirect(created.get_absolute_url())
    status = 422 if request.method == "POST" else 200
    if request.htmx and request.method == "POST":  # type: ignore[attr-defined]
        context = _section_context(request, client, form=form, form_open=True)
        return render(request, "interactions/requests/_client_section.html", context, status=status)
    context = {"form": form, "client": client}
    return render(request, "interactions/requests/request_form.html", context, status=status)


@login_required
def request_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_editable(ClientRequest, request, pk, "client")
    user = user_of(request)
    form = RequestForm(request.POST or None, instance=item, client=item.client, user=user)
    return save_form(
        request,
        form,
        lambda form: request_update(
            actor=user,
            request=item,
            fields=form.model_fields(),
            expected_version=form.expected_version,
        ),
        template="interactions/requests/request_form.html",
        message="Request saved.",
        context={"client": item.client, "item": item},
    )


def _record_moment(
    request: HttpRequest, pk: int, form_class: type[TimeForm], *, message: str
) -> HttpResponse:
    """Record the first response or the resolution. From the client page (HTMX) the section
    is swapped in again; otherwise the usual form round trip to the request's page."""
    item = get_editable(ClientRequest, request, pk, "client")
    user = user_of(request)
    service = request_respond if form_class is RespondForm else request_resolve
    # An empty post is a valid one here: the moment is now.
    form = form_class(request.POST if request.method == "POST" else None, request=item)
    if request.htmx and request.method == "POST":  # type: ignore[attr-defined]
        error = ""
        if form.is_valid():
            try:
                service(
                    actor=user, request=item, at=form.at, expected_version=form.expected_version
                )
            except (ValidationError, StaleRecordError) as problem:
                error = " ".join(getattr(problem, "messages", [str(problem)]))
        else:
            error = " ".join(str(e) for errors in form.errors.values() for e in errors)
        context = _section_context(request, item.client, done=message if not error else "")
        context["problem"] = error
        return render(
            request,
            "interactions/requests/_client_section.html",
            context,
            status=422 if error else 200,
        )
    return save_form(
        request,
        form,
        lambda form: service(
            actor=user, request=item, at=form.at, expected_version=form.expected_version
        ),
        template="interactions/requests/request_moment.html",
        message=message,
        context={"item": item, "client": item.client},
    )


@login_required
def request_respond_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _record_moment(request, pk, RespondForm, message="First response recorded.")


@login_required
def request_resolve_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _record_moment(request, pk, ResolveForm, message="Request resolved.")


@login_required
def request_delete(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_visible(ClientRequest, request, pk, "client")
    return confirm_delete(
        request,
        item,
        allowed=can_edit(ClientRequest, request, pk),
        consequence="Its response time leaves the client's responsiveness figures.",
        cancel_url=item.get_absolute_url(),
        done_url=item.client.get_absolute_url(),
    )
