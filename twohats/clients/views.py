from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from twohats.clients.filters import ClientFilter, ContactFilter
from twohats.clients.forms import ClientForm, ContactForm
from twohats.clients.models import Client, Contact
from twohats.clients.selectors import client_page, contact_page
from twohats.clients.services import client_updated, contact_state, contact_updated
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

CLIENT_COLUMNS = [
    ("id", lambda c: c.pk),
    ("name", lambda c: c.name),
    ("industry", lambda c: c.get_industry_display()),
    ("tier", lambda c: c.get_tier_display()),
    ("status", lambda c: c.get_status_display()),
    ("account lead", lambda c: c.account_lead),
    ("time zone", lambda c: c.time_zone),
    ("city", lambda c: c.city),
    ("country", lambda c: c.country),
    ("archived at", lambda c: c.archived_at),
]

CONTACT_COLUMNS = [
    ("id", lambda c: c.pk),
    ("client", lambda c: c.client.name),
    ("first name", lambda c: c.first_name),
    ("last name", lambda c: c.last_name),
    ("title", lambda c: c.title),
    ("email", lambda c: c.email),
    ("phone", lambda c: c.phone),
    ("power", lambda c: c.power),
    ("interest", lambda c: c.interest),
    ("quadrant", lambda c: c.quadrant),
    ("stance", lambda c: c.get_stance_display()),
    ("reports to", lambda c: c.reports_to.name if c.reports_to else ""),
    ("left on", lambda c: c.left_on),
    ("archived at", lambda c: c.archived_at),
]


@login_required
def client_list(request: HttpRequest) -> HttpResponseBase:
    queryset = Client.objects.visible_to(user_of(request)).select_related("account_lead")
    return list_page(
        request,
        filterset=ClientFilter(request.GET, queryset=queryset),
        template="clients/client_list.html",
        columns=CLIENT_COLUMNS,
        filename="clients",
    )


@login_required
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_visible(Client, request, pk, "account_lead", "primary_contact")
    user = user_of(request)
    context = client_page(client)
    context |= {
        "client": client,
        "can_edit": can_edit(Client, request, pk),
        "can_work": (can_work := Client.objects.workable_by(user).filter(pk=pk).exists()),
        "can_edit_all": can_work,  # every interaction in the timeline
        "can_log": not user.is_read_only,
        "history": history_of(client),
    }
    return render(request, "clients/client_detail.html", context)


@login_required
def client_create(request: HttpRequest) -> HttpResponse:
    user = require_writer(request)
    initial = {"account_lead": user, "time_zone": "UTC"}
    form = ClientForm(request.POST or None, initial=initial, creator=user)
    return save_form(
        request,
        form,
        lambda form: record_create(Client, actor=user, fields=form.model_fields()),
        template="clients/client_form.html",
        message="Client created.",
    )


@login_required
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_editable(Client, request, pk)
    # Read before the form is bound: validating it sets the new values on `client`.
    primary_before = client.primary_contact_id

    def save(form: ClientForm) -> Client:
        saved = record_update(
            client,
            actor=user_of(request),
            fields=form.model_fields(),
            expected_version=form.expected_version,
        )
        client_updated(saved, primary_before=primary_before)
        return saved

    form = ClientForm(request.POST or None, instance=client)
    return save_form(
        request,
        form,
        save,
        template="clients/client_form.html",
        message="Client saved.",
        context={"client": client},
    )


@login_required
@require_POST
def client_archive(request: HttpRequest, pk: int) -> HttpResponse:
    return archive_toggle(request, Client, pk)


@login_required
def client_delete(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_visible(Client, request, pk)
    return confirm_delete(
        request,
        client,
        allowed=user_of(request).is_admin,
        consequence="Its contacts, projects, interactions and opportunities go with it. "
        "To keep them, archive the client instead.",
        cancel_url=client.get_absolute_url(),
        done_url=reverse("clients:list"),
    )


@login_required
def contact_list(request: HttpRequest) -> HttpResponseBase:
    queryset = Contact.objects.visible_to(user_of(request)).select_related("client", "reports_to")
    return list_page(
        request,
        filterset=ContactFilter(request.GET, queryset=queryset),
        template="clients/contact_list.html",
        columns=CONTACT_COLUMNS,
        filename="contacts",
    )


@login_required
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_visible(Contact, request, pk, "client", "reports_to")
    context = contact_page(contact) | {
        "contact": contact,
        "can_edit": can_edit(Contact, request, pk),
        "history": history_of(contact),
    }
    return render(request, "clients/contact_detail.html", context)


@login_required
def contact_create(request: HttpRequest) -> HttpResponse:
    user = require_writer(request)
    client = client_param(
        request, rights="work", refusal="You may see this client but not add contacts to it."
    )
    form = ContactForm(request.POST or None, client=client)
    return save_form(
        request,
        form,
        lambda form: record_create(
            Contact, actor=user, fields=form.model_fields() | {"client": client}
        ),
        template="clients/contact_form.html",
        message="Contact added.",
        context={"client": client},
    )


@login_required
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_editable(Contact, request, pk, "client")
    left_on_before, archived_at_before = contact.left_on, contact.archived_at

    def save(form: ContactForm) -> Contact:
        saved = record_update(
            contact,
            actor=user_of(request),
            fields=form.model_fields(),
            expected_version=form.expected_version,
        )
        contact_updated(saved, left_on_before=left_on_before, archived_at_before=archived_at_before)
        return saved

    form = ContactForm(request.POST or None, instance=contact, client=contact.client)
    return save_form(
        request,
        form,
        save,
        template="clients/contact_form.html",
        message="Contact saved.",
        context={"client": contact.client, "contact": contact},
    )


@login_required
@require_POST
def contact_archive(request: HttpRequest, pk: int) -> HttpResponse:
    left_on_before, archived_at_before = contact_state(pk)
    response = archive_toggle(request, Contact, pk)
    contact = Contact.objects.get(pk=pk)
    contact_updated(contact, left_on_before=left_on_before, archived_at_before=archived_at_before)
    return response


@login_required
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_visible(Contact, request, pk, "client")
    return confirm_delete(
        request,
        contact,
        allowed=user_of(request).is_admin,
        consequence="They are removed from the interactions they took part in.",
        cancel_url=contact.get_absolute_url(),
        done_url=contact.client.get_absolute_url(),
    )
