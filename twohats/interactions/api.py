"""Interactions over the JSON API: whoever may edit one may delete it for good."""

import datetime as dt
from typing import Any, Literal, get_args

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import AwareDatetime

from twohats.apikit import (
    Id,
    IdList,
    In,
    PatchIn,
    current_user,
    filter_list,
    get_editable,
    get_visible,
    invalid,
    paginated,
    refuse_read_only,
    resolve,
    resolve_many,
    staff,
)
from twohats.clients.models import Client, Contact
from twohats.interactions import services
from twohats.interactions.filters import InteractionFilter
from twohats.interactions.models import ROLE_NAMES, Channel, Interaction, Kind, Location
from twohats.people.models import User
from twohats.projects.models import Project
from twohats.writes import record_delete

router = Router(tags=["interactions"])

RoleName = Literal["implementer", "coach", "entrepreneur", "politician", "friend", "marketer"]
assert list(get_args(RoleName)) == ROLE_NAMES, "the API's role names follow the model's"


class InteractionOut(Schema):
    id: int
    client: int = Field(..., alias="client_id")
    client_name: str = Field(..., alias="client.name")
    project: int | None = Field(..., alias="project_id")
    project_name: str | None
    kind: str
    channel: str
    location: str
    occurred_at: dt.datetime
    duration_minutes: int
    contacts: list[int]
    staff: list[int]
    roles: list[str]
    sentiment: int
    summary: str
    next_step: str
    next_step_due: dt.date | None
    next_step_owner: int | None = Field(..., alias="next_step_owner_id")
    next_step_done: bool
    next_step_done_at: dt.datetime | None
    logged_by: int = Field(..., alias="logged_by_id")
    logged_by_name: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    # Not an alias: across an empty relation an alias needs a None default, which would make the
    # field optional in the OpenAPI document.
    @staticmethod
    def resolve_project_name(obj: Interaction) -> str | None:
        return obj.project.name if obj.project else None

    # Contacts and staff come from prefetched lists: no query per interaction.
    @staticmethod
    def resolve_contacts(obj: Interaction) -> list[int]:
        return sorted(contact.pk for contact in obj.contacts.all())

    @staticmethod
    def resolve_staff(obj: Interaction) -> list[int]:
        return sorted(user.pk for user in obj.staff.all())

    @staticmethod
    def resolve_next_step_done(obj: Interaction) -> bool:
        return obj.next_step_done_at is not None

    @staticmethod
    def resolve_logged_by_name(obj: Interaction) -> str:
        return str(obj.logged_by)


class InteractionIn(In):
    client: Id = Field(..., description="A client you may see.")
    project: Id | None = Field(None, description="One of the client's projects.")
    kind: Kind
    channel: Channel
    location: Location
    occurred_at: AwareDatetime = Field(..., description="With its offset, e.g. +01:00 or Z.")
    duration_minutes: int = Field(30, ge=1, le=24 * 60)
    contacts: IdList = Field([], description="Contact ids of the client's people present.")
    staff: IdList = Field([], description="User ids of the firm's people present.")
    roles: list[RoleName] = Field([], description="The PM roles this interaction served.")
    sentiment: int = Field(0, ge=-2, le=2)
    summary: str = Field(..., min_length=1)
    next_step: str = Field("", max_length=300)
    next_step_due: dt.date | None = None
    next_step_owner: Id | None = None
    next_step_done: bool = False


class InteractionPatch(PatchIn):
    nullable = frozenset({"project", "next_step_due", "next_step_owner"})

    project: Id | None = None
    kind: Kind | None = None
    channel: Channel | None = None
    location: Location | None = None
    occurred_at: AwareDatetime | None = None
    duration_minutes: int | None = Field(None, ge=1, le=24 * 60)
    contacts: IdList | None = Field(None, description="The whole list: it replaces the old.")
    staff: IdList | None = Field(None, description="The whole list: it replaces the old.")
    roles: list[RoleName] | None = Field(None, description="The whole list: it replaces the old.")
    sentiment: int | None = Field(None, ge=-2, le=2)
    summary: str | None = Field(None, min_length=1)
    next_step: str | None = Field(None, max_length=300)
    next_step_due: dt.date | None = None
    next_step_owner: Id | None = None
    next_step_done: bool | None = None


class InteractionQuery(Schema):
    q: str | None = Field(None, description="Search in the summary and the next step.")
    client: Id | None = None
    project: Id | None = None
    kind: Kind | None = None
    channel: Channel | None = None
    location: Location | None = None
    role: RoleName | None = None
    since: dt.date | None = Field(None, description="Occurred on or after this day.")
    until: dt.date | None = Field(None, description="Occurred on or before this day.")
    logged_by: Id | None = Field(None, description="User id of who logged it.")
    open_next_step: bool | None = None


def interaction_queryset(user: User) -> QuerySet[Interaction]:
    return (
        Interaction.objects.visible_to(user)
        .select_related("client", "project", "logged_by")
        .prefetch_related(
            Prefetch("contacts", queryset=Contact.objects.only("id")),
            Prefetch("staff", queryset=User.objects.only("id")),
        )
    )


def _interaction_fields(
    user: User, data: dict[str, Any], current: Interaction | None
) -> tuple[dict[str, Any], list[Contact] | None, list[User] | None]:
    contacts = staff_members = None
    if "contacts" in data:
        contacts = resolve_many(Contact.objects.visible_to(user), data.pop("contacts"), "contacts")
    if "staff" in data:
        staff_members = resolve_many(staff(), data.pop("staff"), "staff")
    if "project" in data:
        data["project"] = resolve(Project.objects.visible_to(user), data["project"], "project")
    if "next_step_owner" in data:
        data["next_step_owner"] = resolve(staff(), data["next_step_owner"], "next_step_owner")
    if "roles" in data:
        roles = set(data.pop("roles"))
        data.update({f"role_{name}": name in roles for name in ROLE_NAMES})
    if "next_step_done" in data:
        # Marked in the same locked, versioned update as the other changes of the request.
        done = data.pop("next_step_done")
        next_step = data.get("next_step", current.next_step if current else "")
        if done and not next_step:
            raise invalid("next_step_done", "There is no next step to mark done.")
        done_at = current.next_step_done_at if current else None
        data["next_step_done_at"] = (done_at or timezone.now()) if done else None
    return data, contacts, staff_members


@router.get("", response=list[InteractionOut])
@paginated
def interaction_list(
    request: HttpRequest, filters: Query[InteractionQuery]
) -> QuerySet[Interaction]:
    user = current_user(request)
    return filter_list(InteractionFilter, filters, interaction_queryset(user))


@router.get("/{int:interaction_id}", response=InteractionOut)
def interaction_read(request: HttpRequest, interaction_id: int) -> Interaction:
    return get_visible(interaction_queryset(current_user(request)), interaction_id)


@router.post("", response={201: InteractionOut})
def interaction_create(request: HttpRequest, payload: InteractionIn) -> Status[Interaction]:
    """Log an interaction; you are recorded as who logged it."""
    user = current_user(request)
    refuse_read_only(user)
    data = payload.model_dump()
    data["client"] = resolve(Client.objects.visible_to(user), data["client"], "client")
    fields, contacts, staff_members = _interaction_fields(user, data, None)
    interaction = services.interaction_create(
        actor=user, fields=fields, contacts=contacts or [], staff=staff_members or []
    )
    return Status(201, get_visible(interaction_queryset(user), interaction.pk))


@router.patch("/{int:interaction_id}", response=InteractionOut)
def interaction_update(
    request: HttpRequest, interaction_id: int, payload: InteractionPatch
) -> Interaction:
    user = current_user(request)
    interaction = get_editable(user, Interaction.objects.all(), interaction_id)
    fields, contacts, staff_members = _interaction_fields(user, payload.changes(), interaction)
    services.interaction_update(
        actor=user,
        interaction=interaction,
        fields=fields,
        contacts=contacts,
        staff=staff_members,
        expected_version=payload.version,
    )
    return get_visible(interaction_queryset(user), interaction_id)


@router.delete("/{int:interaction_id}", response={204: None})
def interaction_delete(request: HttpRequest, interaction_id: int) -> Status[None]:
    user = current_user(request)
    record_delete(get_editable(user, Interaction.objects.all(), interaction_id), actor=user)
    return Status(204, None)
