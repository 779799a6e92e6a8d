"""Opportunities over the JSON API: whoever may edit one may delete it for good."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

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
from twohats.clients.models import Client
from twohats.growth.filters import OpportunityFilter
from twohats.growth.models import Opportunity, Stage
from twohats.people.models import User
from twohats.projects.models import Project
from twohats.writes import record_create, record_delete, record_update

router = Router(tags=["opportunities"])


class OpportunityOut(Schema):
    id: int
    client: int = Field(..., alias="client_id")
    client_name: str = Field(..., alias="client.name")
    project: int | None = Field(..., alias="project_id")
    project_name: str | None
    title: str
    identified_by: int = Field(..., alias="identified_by_id")
    identified_by_name: str
    identified_on: dt.date
    value: Decimal
    stage: str
    probability: int
    expected_close: dt.date | None
    closed_on: dt.date | None
    open: bool = Field(..., alias="is_open")
    notes: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    # Not an alias: across an empty relation an alias needs a None default, which would make the
    # field optional in the OpenAPI document.
    @staticmethod
    def resolve_project_name(obj: Opportunity) -> str | None:
        return obj.project.name if obj.project else None

    @staticmethod
    def resolve_identified_by_name(obj: Opportunity) -> str:
        return str(obj.identified_by)


class OpportunityIn(In):
    client: Id = Field(..., description="A client whose records you may change.")
    project: Id | None = Field(None, description="The engagement it came up in, if any.")
    title: str = Field(..., min_length=1, max_length=200)
    identified_by: Id | None = Field(
        None, description="Who spotted it (a user id); you, if left out."
    )
    identified_on: dt.date | None = Field(None, description="Today, if left out.")
    value: Decimal = Field(Decimal(0), ge=0, max_digits=14, decimal_places=2)
    stage: Stage = Stage.IDENTIFIED
    probability: int = Field(10, ge=0, le=100, description="In per cent.")
    expected_close: dt.date | None = None
    closed_on: dt.date | None = Field(None, description="Only for a won or lost opportunity.")
    notes: str = ""


class OpportunityPatch(PatchIn):
    nullable = frozenset({"project", "expected_close", "closed_on"})

    project: Id | None = None
    title: str | None = Field(None, min_length=1, max_length=200)
    identified_by: Id | None = None
    identified_on: dt.date | None = None
    value: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    stage: Stage | None = None
    probability: int | None = Field(None, ge=0, le=100)
    expected_close: dt.date | None = None
    closed_on: dt.date | None = None
    notes: str | None = None


class OpportunityQuery(Schema):
    q: str | None = Field(None, description="Search in the title and the client's name.")
    client: Id | None = None
    stage: Stage | None = None
    open: bool | None = Field(None, description="Open (true) or closed (false) only.")
    identified_by: Id | None = Field(None, description="User id of who identified it.")


def opportunity_queryset(user: User) -> QuerySet[Opportunity]:
    return Opportunity.objects.visible_to(user).select_related("client", "project", "identified_by")


def _opportunity_fields(user: User, data: dict[str, Any]) -> dict[str, Any]:
    if "project" in data:
        data["project"] = resolve(Project.objects.visible_to(user), data["project"], "project")
    if "identified_by" in data:
        data["identified_by"] = resolve(staff(), data["identified_by"], "identified_by")
    return data


@router.get("", response=list[OpportunityOut])
@paginated
def opportunity_list(
    request: HttpRequest, filters: Query[OpportunityQuery]
) -> QuerySet[Opportunity]:
    user = current_user(request)
    return filter_list(OpportunityFilter, filters, opportunity_queryset(user))


@router.get("/{int:opportunity_id}", response=OpportunityOut)
def opportunity_read(request: HttpRequest, opportunity_id: int) -> Opportunity:
    return get_visible(opportunity_queryset(current_user(request)), opportunity_id)


@router.post("", response={201: OpportunityOut})
def opportunity_create(request: HttpRequest, payload: OpportunityIn) -> Status[Opportunity]:
    user = current_user(request)
    refuse_read_only(user)
    data = payload.model_dump()
    data["client"] = resolve(Client.objects.workable_by(user), data["client"], "client")
    if data["identified_by"] is None:
        data["identified_by"] = user.pk
    if data["identified_on"] is None:
        data["identified_on"] = timezone.localdate()
    opportunity = record_create(Opportunity, actor=user, fields=_opportunity_fields(user, data))
    return Status(201, get_visible(opportunity_queryset(user), opportunity.pk))


@router.patch("/{int:opportunity_id}", response=OpportunityOut)
def opportunity_update(
    request: HttpRequest, opportunity_id: int, payload: OpportunityPatch
) -> Opportunity:
    user = current_user(request)
    opportunity = get_editable(user, Opportunity.objects.all(), opportunity_id)
    record_update(
        opportunity,
        actor=user,
        fields=_opportunity_fields(user, payload.changes()),
        expected_version=payload.version,
    )
    return get_visible(opportunity_queryset(user), opportunity_id)


@router.delete("/{int:opportunity_id}", response={204: None})
def opportunity_delete(request: HttpRequest, opportunity_id: int) -> Status[None]:
    user = current_user(request)
    record_delete(get_editable(user, Opportunity.objects.all(), opportunity_id), actor=user)
    return Status(204, None)
