"""Clients and contacts over the JSON API. Deleting archives; purging is for administrators."""

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from twohats.apikit import (
    ARCHIVED_HELP,
    Archived,
    Id,
    In,
    PatchIn,
    current_user,
    filter_list,
    get_editable,
    get_visible,
    lead_or_self,
    leads,
    paginated,
    refuse_read_only,
    require_admin,
    resolve,
    set_archived,
)
from twohats.clients.filters import ClientFilter, ContactFilter
from twohats.clients.models import Client, ClientStatus, Contact, Industry, Stance, Tier
from twohats.clients.services import client_updated, contact_state, contact_updated
from twohats.people.models import User
from twohats.writes import record_create, record_delete, record_update

clients = Router(tags=["clients"])
contacts = Router(tags=["contacts"])

# ---------------------------------------------------------------------------------------------
# Clients


class ClientOut(Schema):
    id: int
    name: str
    industry: str
    tier: str
    status: str
    account_lead: int = Field(..., alias="account_lead_id")
    account_lead_name: str
    time_zone: str
    primary_contact: int | None = Field(..., alias="primary_contact_id")
    primary_contact_name: str | None
    city: str
    country: str
    website: str
    notes: str
    archived: bool = Field(..., alias="is_archived")
    archived_at: dt.datetime | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_account_lead_name(obj: Client) -> str:
        return str(obj.account_lead)

    # Not an alias: across an empty relation an alias needs a None default, which would make the
    # field optional in the OpenAPI document.
    @staticmethod
    def resolve_primary_contact_name(obj: Client) -> str | None:
        return obj.primary_contact.name if obj.primary_contact else None


class ClientIn(In):
    name: str = Field(..., min_length=1, max_length=200)
    industry: Industry
    tier: Tier = Tier.STANDARD
    status: ClientStatus = ClientStatus.ACTIVE
    account_lead: Id | None = Field(
        None, description="A PM's or director's user id; you, if left out and you are one."
    )
    time_zone: str = Field("UTC", max_length=64, description="e.g. Europe/Paris")
    city: str = Field("", max_length=120)
    country: str = Field("", max_length=120)
    website: str = Field("", max_length=200)
    notes: str = ""


class ClientPatch(PatchIn):
    nullable = frozenset({"primary_contact"})

    name: str | None = Field(None, min_length=1, max_length=200)
    industry: Industry | None = None
    tier: Tier | None = None
    status: ClientStatus | None = None
    account_lead: Id | None = None
    primary_contact: Id | None = Field(None, description="A contact of this client, or null.")
    time_zone: str | None = Field(None, max_length=64)
    city: str | None = Field(None, max_length=120)
    country: str | None = Field(None, max_length=120)
    website: str | None = Field(None, max_length=200)
    notes: str | None = None


class ClientQuery(Schema):
    q: str | None = Field(None, description="Search in name and city.")
    industry: Industry | None = None
    tier: Tier | None = None
    status: ClientStatus | None = None
    account_lead: Id | None = Field(None, description="Account lead's user id.")
    archived: Archived | None = Field(None, description=ARCHIVED_HELP)


def client_queryset(user: User) -> QuerySet[Client]:
    return Client.objects.visible_to(user).select_related("account_lead", "primary_contact")


def _client_fields(user: User, data: dict[str, Any], client: Client | None) -> dict[str, Any]:
    if "account_lead" in data:
        data["account_lead"] = resolve(leads(), data["account_lead"], "account_lead")
    if "primary_contact" in data:
        usable = Contact.objects.visible_to(user).filter(client=client)
        data["primary_contact"] = resolve(usable, data["primary_contact"], "primary_contact")
    return data


@clients.get("", response=list[ClientOut])
@paginated
def client_list(request: HttpRequest, filters: Query[ClientQuery]) -> QuerySet[Client]:
    user = current_user(request)
    return filter_list(ClientFilter, filters, client_queryset(user))


@clients.get("/{int:client_id}", response=ClientOut)
def client_read(request: HttpRequest, client_id: int) -> Client:
    return get_visible(client_queryset(current_user(request)), client_id)


@clients.post("", response={201: ClientOut})
def client_create(request: HttpRequest, payload: ClientIn) -> Status[Client]:
    user = current_user(request)
    refuse_read_only(user)
    data = payload.model_dump()
    data["account_lead"] = lead_or_self(user, data["account_lead"], "account_lead")
    client = record_create(Client, actor=user, fields=_client_fields(user, data, None))
    return Status(201, get_visible(client_queryset(user), client.pk))


@clients.patch("/{int:client_id}", response=ClientOut)
def client_update(request: HttpRequest, client_id: int, payload: ClientPatch) -> Client:
    user = current_user(request)
    client = get_editable(user, Client.objects.all(), client_id)
    primary_before = client.primary_contact_id
    saved = record_update(
        client,
        actor=user,
        fields=_client_fields(user, payload.changes(), client),
        expected_version=payload.version,
    )
    client_updated(saved, primary_before=primary_before)
    return get_visible(client_queryset(user), client_id)


@clients.delete("/{int:client_id}", response=ClientOut)
def client_archive(request: HttpRequest, client_id: int) -> Client:
    """Archive the client: it leaves the lists but stays, with its history; restore undoes it."""
    user = current_user(request)
    set_archived(user, Client.objects.all(), client_id, archived=True)
    return get_visible(client_queryset(user), client_id)


@clients.post("/{int:client_id}/restore", response=ClientOut)
def client_restore(request: HttpRequest, client_id: int) -> Client:
    user = current_user(request)
    set_archived(user, Client.objects.all(), client_id, archived=False)
    return get_visible(client_queryset(user), client_id)


@clients.delete("/{int:client_id}/purge", response={204: None})
def client_purge(request: HttpRequest, client_id: int) -> Status[None]:
    """Delete the client for good, with its contacts, projects and interactions (admins only)."""
    user = current_user(request)
    record_delete(require_admin(user, Client.objects.all(), client_id), actor=user)
    return Status(204, None)


# ---------------------------------------------------------------------------------------------
# Contacts


class ContactOut(Schema):
    id: int
    client: int = Field(..., alias="client_id")
    client_name: str = Field(..., alias="client.name")
    first_name: str
    last_name: str
    name: str
    title: str
    email: str
    phone: str
    power: int
    interest: int
    quadrant: str
    stance: str
    reports_to: int | None = Field(..., alias="reports_to_id")
    reports_to_name: str | None
    left_on: dt.date | None
    active: bool = Field(..., alias="is_active")
    notes: str
    archived: bool = Field(..., alias="is_archived")
    archived_at: dt.datetime | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_reports_to_name(obj: Contact) -> str | None:
        return obj.reports_to.name if obj.reports_to else None


class ContactIn(In):
    client: Id = Field(..., description="A client whose records you may change.")
    first_name: str = Field(..., min_length=1, max_length=80)
    last_name: str = Field(..., min_length=1, max_length=80)
    title: str = Field("", max_length=160)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    power: int = Field(3, ge=1, le=5)
    interest: int = Field(3, ge=1, le=5)
    stance: Stance = Stance.NEUTRAL
    reports_to: Id | None = Field(None, description="Another contact of the same client.")
    left_on: dt.date | None = None
    notes: str = ""


class ContactPatch(PatchIn):
    nullable = frozenset({"reports_to", "left_on"})

    first_name: str | None = Field(None, min_length=1, max_length=80)
    last_name: str | None = Field(None, min_length=1, max_length=80)
    title: str | None = Field(None, max_length=160)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    power: int | None = Field(None, ge=1, le=5)
    interest: int | None = Field(None, ge=1, le=5)
    stance: Stance | None = None
    reports_to: Id | None = None
    left_on: dt.date | None = None
    notes: str | None = None


class ContactQuery(Schema):
    q: str | None = Field(None, description="Search in names, title and email.")
    client: Id | None = None
    stance: Stance | None = None
    power: int | None = Field(None, ge=1, le=5, description="Power at least.")
    interest: int | None = Field(None, ge=1, le=5, description="Interest at least.")
    active: bool | None = Field(None, description="Still at the client (true) or left (false).")
    archived: Archived | None = Field(None, description=ARCHIVED_HELP)


def contact_queryset(user: User) -> QuerySet[Contact]:
    return Contact.objects.visible_to(user).select_related("client", "reports_to")


def _contact_fields(user: User, data: dict[str, Any]) -> dict[str, Any]:
    if "reports_to" in data:
        visible = Contact.objects.visible_to(user)
        data["reports_to"] = resolve(visible, data["reports_to"], "reports_to")
    return data


@contacts.get("", response=list[ContactOut])
@paginated
def contact_list(request: HttpRequest, filters: Query[ContactQuery]) -> QuerySet[Contact]:
    user = current_user(request)
    return filter_list(ContactFilter, filters, contact_queryset(user))


@contacts.get("/{int:contact_id}", response=ContactOut)
def contact_read(request: HttpRequest, contact_id: int) -> Contact:
    return get_visible(contact_queryset(current_user(request)), contact_id)


@contacts.post("", response={201: ContactOut})
def contact_create(request: HttpRequest, payload: ContactIn) -> Status[Contact]:
    user = current_user(request)
    refuse_read_only(user)
    data = payload.model_dump()
    data["client"] = resolve(Client.objects.workable_by(user), data["client"], "client")
    contact = record_create(Contact, actor=user, fields=_contact_fields(user, data))
    return Status(201, get_visible(contact_queryset(user), contact.pk))


@contacts.patch("/{int:contact_id}", response=ContactOut)
def contact_update(request: HttpRequest, contact_id: int, payload: ContactPatch) -> Contact:
    user = current_user(request)
    contact = get_editable(user, Contact.objects.all(), contact_id)
    left_on_before, archived_at_before = contact.left_on, contact.archived_at
    saved = record_update(
        contact,
        actor=user,
        fields=_contact_fields(user, payload.changes()),
        expected_version=payload.version,
    )
    contact_updated(saved, left_on_before=left_on_before, archived_at_before=archived_at_before)
    return get_visible(contact_queryset(user), contact_id)


@contacts.delete("/{int:contact_id}", response=ContactOut)
def contact_archive(request: HttpRequest, contact_id: int) -> Contact:
    """Archive the contact: it leaves the lists but stays, with its history."""
    user = current_user(request)
    left_on_before, archived_at_before = contact_state(contact_id)
    set_archived(user, Contact.objects.all(), contact_id, archived=True)
    contact = get_visible(contact_queryset(user), contact_id)
    contact_updated(contact, left_on_before=left_on_before, archived_at_before=archived_at_before)
    return contact


@contacts.post("/{int:contact_id}/restore", response=ContactOut)
def contact_restore(request: HttpRequest, contact_id: int) -> Contact:
    user = current_user(request)
    left_on_before, archived_at_before = contact_state(contact_id)
    set_archived(user, Contact.objects.all(), contact_id, archived=False)
    contact = get_visible(contact_queryset(user), contact_id)
    contact_updated(contact, left_on_before=left_on_before, archived_at_before=archived_at_before)
    return contact


@contacts.delete("/{int:contact_id}/purge", response={204: None})
def contact_purge(request: HttpRequest, contact_id: int) -> Status[None]:
    """Delete the contact for good (admins only)."""
    user = current_user(request)
    record_delete(require_admin(user, Contact.objects.all(), contact_id), actor=user)
    return Status(204, None)
