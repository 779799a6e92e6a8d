"""The signed-in user and workday locations over the JSON API."""

import datetime as dt

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from twohats.apikit import (
    Id,
    In,
    PartialIn,
    current_user,
    filter_list,
    get_editable,
    get_visible,
    paginated,
    refuse_read_only,
    resolve,
)
from twohats.clients.models import Client
from twohats.people.filters import WorkdayLocationFilter
from twohats.people.models import User, WorkdayLocation
from twohats.people.services import MAX_RANGE_DAYS, workday_set_range
from twohats.writes import record_delete, record_update

me = Router(tags=["me"])
workdays = Router(tags=["workdays"])


class MeOut(Schema):
    id: int
    username: str
    name: str
    role: str
    time_zone: str

    @staticmethod
    def resolve_name(obj: User) -> str:
        return str(obj)


@me.get("", response=MeOut)
def me_read(request: HttpRequest) -> User:
    """Who the token or session belongs to."""
    return current_user(request)


# ---------------------------------------------------------------------------------------------
# Workday locations


Kind = WorkdayLocation.Kind


class WorkdayOut(Schema):
    id: int
    user: int = Field(..., alias="user_id")
    user_name: str
    date: dt.date
    kind: str
    client: int | None = Field(..., alias="client_id")
    client_name: str | None
    note: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_user_name(obj: WorkdayLocation) -> str:
        return str(obj.user)

    # Not an alias: across an empty relation an alias needs a None default, which would make the
    # field optional in the OpenAPI document.
    @staticmethod
    def resolve_client_name(obj: WorkdayLocation) -> str | None:
        return obj.client.name if obj.client else None


class WorkdayRangeIn(In):
    user: Id | None = Field(
        None, description="Whose days (directors and admins, for their staff); you, if left out."
    )
    start: dt.date = Field(..., description="The first day.")
    end: dt.date = Field(..., description=f"The last day; at most {MAX_RANGE_DAYS} days in all.")
    kind: Kind
    client: Id | None = Field(None, description="The client's site, for a client-site day.")
    note: str = Field("", max_length=200)
    include_weekends: bool = False


class WorkdayPatch(PartialIn):
    nullable = frozenset({"client"})

    kind: Kind | None = None
    client: Id | None = None
    note: str | None = Field(None, max_length=200)


class WorkdayQuery(Schema):
    user: Id | None = None
    client: Id | None = None
    kind: Kind | None = None
    since: dt.date | None = Field(None, description="On or after this day.")
    until: dt.date | None = Field(None, description="On or before this day.")


def workday_queryset(user: User) -> QuerySet[WorkdayLocation]:
    return WorkdayLocation.objects.visible_to(user).select_related("user", "client")


def recordable_for(actor: User) -> QuerySet[User]:
    """Whose days the actor may record: their own; a director's staff; anyone for an admin."""
    if actor.is_admin:
        return User.objects.filter(is_active=True)
    if actor.is_director:
        return User.objects.filter(Q(pk=actor.pk) | Q(practice__lead=actor), is_active=True)
    return User.objects.filter(pk=actor.pk)


@workdays.get("", response=list[WorkdayOut])
@paginated
def workday_list(request: HttpRequest, filters: Query[WorkdayQuery]) -> QuerySet[WorkdayLocation]:
    user = current_user(request)
    return filter_list(WorkdayLocationFilter, filters, workday_queryset(user))


@workdays.get("/{int:workday_id}", response=WorkdayOut)
def workday_read(request: HttpRequest, workday_id: int) -> WorkdayLocation:
    return get_visible(workday_queryset(current_user(request)), workday_id)


@workdays.post("", response={201: list[WorkdayOut]})
def workday_record(request: HttpRequest, payload: WorkdayRangeIn) -> Status[list[WorkdayLocation]]:
    """Record where someone works on each day of a range, replacing what was there."""
    actor = current_user(request)
    refuse_read_only(actor)
    user = resolve(recordable_for(actor), payload.user or actor.pk, "user")
    assert user is not None
    days = workday_set_range(
        actor=actor,
        user=user,
        start=payload.start,
        end=payload.end,
        kind=payload.kind,
        client=resolve(Client.objects.visible_to(actor), payload.client, "client"),
        note=payload.note,
        include_weekends=payload.include_weekends,
    )
    saved = workday_queryset(actor).filter(pk__in=[day.pk for day in days]).order_by("date")
    return Status(201, list(saved))


@workdays.patch("/{int:workday_id}", response=WorkdayOut)
def workday_update(request: HttpRequest, workday_id: int, payload: WorkdayPatch) -> WorkdayLocation:
    actor = current_user(request)
    workday = get_editable(actor, WorkdayLocation.objects.all(), workday_id)
    fields = payload.changes()
    if "client" in fields:
        fields["client"] = resolve(Client.objects.visible_to(actor), fields["client"], "client")
    elif fields.get("kind", Kind.CLIENT_SITE) != Kind.CLIENT_SITE:
        # Leaving a client's site for the office or home: the day no longer names a client.
        fields["client"] = None
    record_update(workday, actor=actor, fields=fields)
    return get_visible(workday_queryset(actor), workday_id)


@workdays.delete("/{int:workday_id}", response={204: None})
def workday_delete(request: HttpRequest, workday_id: int) -> Status[None]:
    actor = current_user(request)
    record_delete(get_editable(actor, WorkdayLocation.objects.all(), workday_id), actor=actor)
    return Status(204, None)
