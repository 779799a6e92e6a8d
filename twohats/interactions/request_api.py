"""Client requests over the JSON API: log, answer and resolve them; whoever may edit one may
delete it for good. Deadlines and response times are computed by the server, never sent."""

import datetime as dt
from typing import Any, Literal, get_args

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import AwareDatetime

from twohats.apikit import (
    Id,
    In,
    PatchIn,
    current_user,
    filter_list,
    get_editable,
    get_visible,
    paginated,
    refuse_read_only,
    resolve,
    staff,
)
from twohats.clients.models import Client, Contact
from twohats.interactions import requests as services
from twohats.interactions.models import Channel, ClientRequest, Priority
from twohats.interactions.request_filters import RequestFilter
from twohats.interactions.request_filters import Status as RequestStatus
from twohats.people.models import User
from twohats.projects.models import Project
from twohats.writes import record_delete

router = Router(tags=["requests"])

StatusName = Literal["open", "answered", "resolved", "overdue"]
assert list(get_args(StatusName)) == RequestStatus.values, "the API's statuses follow the filter's"

VERSION_HELP = "The version you read; if it is no longer current: 409."


class RequestOut(Schema):
    id: int
    client: int = Field(..., alias="client_id")
    client_name: str = Field(..., alias="client.name")
    project: int | None = Field(..., alias="project_id")
    project_name: str | None
    raised_by: int | None = Field(..., alias="raised_by_id")
    raised_by_name: str | None
    channel: str
    priority: str
    subject: str
    details: str
    raised_at: dt.datetime
    owner: int = Field(..., alias="owner_id")
    owner_name: str
    policy_version: int = Field(..., alias="policy.version")
    sla_minutes: int = Field(..., description="First-response target, in business minutes.")
    due_at: dt.datetime
    first_response_at: dt.datetime | None
    response_minutes: int | None = Field(..., description="Business minutes to first response.")
    breached: bool | None = Field(..., description="Answered after the target; null until then.")
    overdue: bool = Field(..., description="Not answered and past its deadline.")
    resolved_at: dt.datetime | None
    status: str = Field(..., description="open, answered or resolved.")
    logged_by: int = Field(..., alias="logged_by_id")
    logged_by_name: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    # Not aliases: across an empty relation an alias needs a None default, which would make the
    # field optional in the OpenAPI document.
    @staticmethod
    def resolve_project_name(obj: ClientRequest) -> str | None:
        return obj.project.name if obj.project else None

    @staticmethod
    def resolve_raised_by_name(obj: ClientRequest) -> str | None:
        return obj.raised_by.name if obj.raised_by else None

    @staticmethod
    def resolve_owner_name(obj: ClientRequest) -> str:
        return str(obj.owner)

    @staticmethod
    def resolve_logged_by_name(obj: ClientRequest) -> str:
        return str(obj.logged_by)

    @staticmethod
    def resolve_status(obj: ClientRequest) -> str:
        if obj.resolved_at is not None:
            return RequestStatus.RESOLVED
        return RequestStatus.ANSWERED if obj.first_response_at else RequestStatus.OPEN


class RequestIn(In):
    client: Id = Field(..., description="A client you may see.")
    project: Id | None = Field(None, description="One of the client's projects.")
    raised_by: Id | None = Field(None, description="The client's contact who asked.")
    channel: Channel
    priority: Priority = Priority.NORMAL
    subject: str = Field(..., min_length=1, max_length=200)
    details: str = Field("", max_length=5000)
    raised_at: AwareDatetime | None = Field(
        None, description="With its offset, e.g. +01:00 or Z; now, if left out."
    )
    owner: Id | None = Field(None, description="Who answers (a user id); you, if left out.")


class RequestPatch(PatchIn):
    nullable = frozenset({"project", "raised_by"})

    project: Id | None = None
    raised_by: Id | None = None
    channel: Channel | None = None
    priority: Priority | None = Field(None, description="A new priority moves the deadline.")
    subject: str | None = Field(None, min_length=1, max_length=200)
    details: str | None = Field(None, max_length=5000)
    raised_at: AwareDatetime | None = Field(None, description="A new time moves the deadline.")
    owner: Id | None = None


class RespondIn(In):
    first_response_at: AwareDatetime | None = Field(None, description="Now, if left out.")
    version: int | None = Field(None, ge=1, le=2**31 - 1, description=VERSION_HELP)


class ResolveIn(In):
    resolved_at: AwareDatetime | None = Field(None, description="Now, if left out.")
    version: int | None = Field(None, ge=1, le=2**31 - 1, description=VERSION_HELP)


class RequestQuery(Schema):
    q: str | None = Field(None, description="Search in the subject, details and client name.")
    client: Id | None = None
    project: Id | None = None
    owner: Id | None = Field(None, description="User id of the owner.")
    priority: Priority | None = None
    status: StatusName | None = Field(
        None, description="Awaiting a response (open, including overdue), answered, resolved."
    )
    missed: bool | None = Field(None, description="Answered late, or unanswered past due.")
    since: dt.date | None = Field(None, description="Raised on or after this day.")
    until: dt.date | None = Field(None, description="Raised on or before this day.")


def request_queryset(user: User) -> QuerySet[ClientRequest]:
    return services.request_rows(ClientRequest.objects.visible_to(user), now=timezone.now())


def _request_fields(user: User, data: dict[str, Any]) -> dict[str, Any]:
    if "project" in data:
        data["project"] = resolve(Project.objects.visible_to(user), data["project"], "project")
    if "raised_by" in data:
        data["raised_by"] = resolve(
            Contact.objects.visible_to(user), data["raised_by"], "raised_by"
        )
    if "owner" in data:
        data["owner"] = resolve(staff(), data["owner"], "owner")
    return data


@router.get("", response=list[RequestOut])
@paginated
def request_list(request: HttpRequest, filters: Query[RequestQuery]) -> QuerySet[ClientRequest]:
    user = current_user(request)
    return filter_list(RequestFilter, filters, request_queryset(user))


@router.get("/{int:request_id}", response=RequestOut)
def request_read(request: HttpRequest, request_id: int) -> ClientRequest:
    return get_visible(request_queryset(current_user(request)), request_id)


@router.post("", response={201: RequestOut})
def request_create(request: HttpRequest, payload: RequestIn) -> Status[ClientRequest]:
    """Log a request; you are recorded as who logged it. Its deadline follows from its
    priority under the health policy active now."""
    user = current_user(request)
    refuse_read_only(user)
    data = payload.model_dump()
    data["client"] = resolve(Client.objects.visible_to(user), data["client"], "client")
    if data["raised_at"] is None:
        data["raised_at"] = timezone.now()
    if data["owner"] is None:
        data["owner"] = user.pk
    created = services.request_create(actor=user, fields=_request_fields(user, data))
    return Status(201, get_visible(request_queryset(user), created.pk))


@router.patch("/{int:request_id}", response=RequestOut)
def request_update(request: HttpRequest, request_id: int, payload: RequestPatch) -> ClientRequest:
    user = current_user(request)
    current = get_editable(user, ClientRequest.objects.all(), request_id)
    services.request_update(
        actor=user,
        request=current,
        fields=_request_fields(user, payload.changes()),
        expected_version=payload.version,
    )
    return get_visible(request_queryset(user), request_id)


@router.post("/{int:request_id}/respond", response=RequestOut)
def request_respond(request: HttpRequest, request_id: int, payload: RespondIn) -> ClientRequest:
    """Record the first response (again, to correct its time); its business-hours delay and
    whether it missed the target are computed and stored."""
    user = current_user(request)
    current = get_editable(user, ClientRequest.objects.all(), request_id)
    services.request_respond(
        actor=user,
        request=current,
        at=payload.first_response_at or timezone.now(),
        expected_version=payload.version,
    )
    return get_visible(request_queryset(user), request_id)


@router.post("/{int:request_id}/resolve", response=RequestOut)
def request_resolve(request: HttpRequest, request_id: int, payload: ResolveIn) -> ClientRequest:
    """Mark the request resolved; its first response must be on record."""
    user = current_user(request)
    current = get_editable(user, ClientRequest.objects.all(), request_id)
    services.request_resolve(
        actor=user,
        request=current,
        at=payload.resolved_at or timezone.now(),
        expected_version=payload.version,
    )
    return get_visible(request_queryset(user), request_id)


@router.delete("/{int:request_id}", response={204: None})
def request_delete(request: HttpRequest, request_id: int) -> Status[None]:
    user = current_user(request)
    record_delete(get_editable(user, ClientRequest.objects.all(), request_id), actor=user)
    return Status(204, None)
