"""Projects over the JSON API. Deleting archives; purging is for administrators."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from twohats.apikit import (
    ARCHIVED_HELP,
    Archived,
    Id,
    IdList,
    In,
    PatchIn,
    current_user,
    filter_list,
    get_editable,
    get_visible,
    invalid,
    lead_or_self,
    leads,
    paginated,
    refuse_read_only,
    require_admin,
    resolve,
    resolve_many,
    set_archived,
    staff,
)
from twohats.clients.models import Client
from twohats.people.models import User
from twohats.projects.filters import ProjectFilter
from twohats.projects.models import ContractType, Project, ProjectStatus, ReportingPeriod
from twohats.writes import record_create, record_delete, record_update

router = Router(tags=["projects"])


class ProjectOut(Schema):
    id: int
    client: int = Field(..., alias="client_id")
    client_name: str = Field(..., alias="client.name")
    name: str
    code: str
    manager: int = Field(..., alias="manager_id")
    manager_name: str
    team: list[int]
    budget: Decimal
    start_date: dt.date
    end_date: dt.date
    contract_type: str
    status: str
    reporting_period: str
    pm_hours_per_week: Decimal
    description: str
    archived: bool = Field(..., alias="is_archived")
    archived_at: dt.datetime | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_manager_name(obj: Project) -> str:
        return str(obj.manager)

    @staticmethod
    def resolve_team(obj: Project) -> list[int]:
        # Read from the prefetched memberships: no query per project.
        return sorted(member.user_id for member in obj.memberships.all())


class ProjectIn(In):
    client: Id = Field(..., description="A client you may edit.")
    name: str = Field(..., min_length=1, max_length=200)
    code: str = Field("", max_length=32)
    manager: Id | None = Field(
        None, description="A PM's or director's user id; you, if left out and you are one."
    )
    team: IdList = Field([], description="User ids of the staff on the team.")
    budget: Decimal = Field(
        Decimal(0),
        ge=0,
        max_digits=14,
        decimal_places=2,
        description="The budget at completion (BAC): the first baseline.",
    )
    start_date: dt.date
    end_date: dt.date
    contract_type: ContractType = ContractType.FIXED_PRICE
    status: ProjectStatus = ProjectStatus.ACTIVE
    reporting_period: ReportingPeriod = Field(
        ReportingPeriod.MONTHLY, description="How often status reports are due."
    )
    pm_hours_per_week: Decimal = Field(
        Decimal(10),
        ge=0,
        le=80,
        max_digits=4,
        decimal_places=1,
        description="The PM's expected weekly hours on the project (workload, staffing).",
    )
    description: str = ""


class ProjectPatch(PatchIn):
    name: str | None = Field(None, min_length=1, max_length=200)
    code: str | None = Field(None, max_length=32)
    manager: Id | None = None
    team: IdList | None = Field(None, description="The whole team: it replaces the old one.")
    budget: Decimal | None = Field(
        None,
        ge=0,
        max_digits=14,
        decimal_places=2,
        description="Only the current budget is taken: the baseline owns it, and it changes by "
        "re-baselining (POST /projects/{id}/baselines), with a reason.",
    )
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    contract_type: ContractType | None = None
    status: ProjectStatus | None = None
    reporting_period: ReportingPeriod | None = None
    pm_hours_per_week: Decimal | None = Field(None, ge=0, le=80, max_digits=4, decimal_places=1)
    description: str | None = None


class ProjectQuery(Schema):
    q: str | None = Field(None, description="Search in name, code and client name.")
    client: Id | None = None
    status: ProjectStatus | None = None
    contract_type: ContractType | None = None
    manager: Id | None = Field(None, description="The project manager's user id.")
    archived: Archived | None = Field(None, description=ARCHIVED_HELP)


def project_queryset(user: User) -> QuerySet[Project]:
    return (
        Project.objects.visible_to(user)
        .select_related("client", "manager")
        .prefetch_related("memberships")
    )


def _project_fields(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[User]]]:
    m2m = {}
    if "team" in data:
        m2m["team"] = resolve_many(staff(), data.pop("team"), "team")
    if "manager" in data:
        data["manager"] = resolve(leads(), data["manager"], "manager")
    return data, m2m


@router.get("", response=list[ProjectOut])
@paginated
def project_list(request: HttpRequest, filters: Query[ProjectQuery]) -> QuerySet[Project]:
    user = current_user(request)
    return filter_list(ProjectFilter, filters, project_queryset(user))


@router.get("/{int:project_id}", response=ProjectOut)
def project_read(request: HttpRequest, project_id: int) -> Project:
    return get_visible(project_queryset(current_user(request)), project_id)


@router.post("", response={201: ProjectOut})
def project_create(request: HttpRequest, payload: ProjectIn) -> Status[Project]:
    user = current_user(request)
    refuse_read_only(user)
    data = payload.model_dump()
    data["client"] = resolve(Client.objects.editable_by(user), data["client"], "client")
    data["manager"] = lead_or_self(user, data["manager"], "manager")
    fields, m2m = _project_fields(data)
    project = record_create(Project, actor=user, fields=fields, m2m=m2m)
    return Status(201, get_visible(project_queryset(user), project.pk))


@router.patch("/{int:project_id}", response=ProjectOut)
def project_update(request: HttpRequest, project_id: int, payload: ProjectPatch) -> Project:
    user = current_user(request)
    project = get_editable(user, Project.objects.all(), project_id)
    fields, m2m = _project_fields(payload.changes())
    # The budget is the baseline's, as on the edit page: it moves only by re-baselining, which
    # keeps the old plan and says why. The current value, sent back unchanged, is accepted.
    budget = fields.pop("budget", None)
    if budget is not None and budget != project.budget:
        raise invalid(
            "budget",
            f"The budget ({project.budget}) changes only by re-baselining: "
            f"POST /api/v1/projects/{project.pk}/baselines with the budget and a reason.",
        )
    record_update(project, actor=user, fields=fields, m2m=m2m, expected_version=payload.version)
    return get_visible(project_queryset(user), project_id)


@router.delete("/{int:project_id}", response=ProjectOut)
def project_archive(request: HttpRequest, project_id: int) -> Project:
    """Archive the project: it leaves the lists but stays, with its history."""
    user = current_user(request)
    set_archived(user, Project.objects.all(), project_id, archived=True)
    return get_visible(project_queryset(user), project_id)


@router.post("/{int:project_id}/restore", response=ProjectOut)
def project_restore(request: HttpRequest, project_id: int) -> Project:
    user = current_user(request)
    set_archived(user, Project.objects.all(), project_id, archived=False)
    return get_visible(project_queryset(user), project_id)


@router.delete("/{int:project_id}/purge", response={204: None})
def project_purge(request: HttpRequest, project_id: int) -> Status[None]:
    """Delete the project for good (admins only)."""
    user = current_user(request)
    record_delete(require_admin(user, Project.objects.all(), project_id), actor=user)
    return Status(204, None)
