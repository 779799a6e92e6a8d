"""The client's voice over the JSON API: the current survey templates, a project's invitations
(list, invite, revoke) and a client's survey results.

Invitations follow the project's access rules: reading needs the project visible (else 404),
inviting and revoking need it editable (else 403). Results need the client visible (else 404).
An invitation's token exists only in the email: no output carries it or its hash.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.errors import ValidationError as NinjaValidationError
from ninja.responses import Status

from twohats.apikit import (
    Id,
    IdList,
    In,
    current_user,
    get_editable,
    get_visible,
    paginated,
    refuse_read_only,
    resolve,
    resolve_many,
)
from twohats.clients.models import Client, Contact
from twohats.health.models import HealthPolicy
from twohats.people.models import User
from twohats.projects.models import Milestone, Project
from twohats.surveys import services
from twohats.surveys.editing import QuestionEdit, template_revise
from twohats.surveys.models import Invitation, Question, Response, SurveyTemplate, Trigger
from twohats.surveys.selectors import client_voice_detail
from twohats.surveys.trends import voice_trends
from twohats.surveys.views import status_of

logger = logging.getLogger(__name__)

router = Router(tags=["surveys"])

# As many verbatims as the client page's voice card shows.
VERBATIMS = 5


# ---------------------------------------------------------------------------------------------
# Templates


class QuestionOut(Schema):
    id: int
    position: int
    text: str
    # Not `construct`, which would shadow a method of the schema's base class.
    measures: str = Field(..., alias="construct", description="The construct the item measures.")
    scale_min: int | None
    scale_max: int | None
    low_label: str
    high_label: str
    required: bool
    reverse_keyed: bool
    role: str

    @staticmethod
    def resolve_text(obj: Question) -> str:
        return services.firm_text(obj.text)


class TemplateOut(Schema):
    id: int
    family: str = Field(..., description="Names the template across its versions; invite by it.")
    version: int
    kind: str
    name: str
    language: str
    introduction: str
    created_at: dt.datetime
    questions: list[QuestionOut]

    @staticmethod
    def resolve_introduction(obj: SurveyTemplate) -> str:
        return services.firm_text(obj.introduction)

    @staticmethod
    def resolve_questions(obj: SurveyTemplate) -> list[Question]:
        # Prefetched: the questions of every template in the page come in one query.
        return sorted(obj.questions.all(), key=lambda q: q.position)


@router.get("/surveys/templates", response=list[TemplateOut])
@paginated
def template_list(request: HttpRequest) -> QuerySet[SurveyTemplate]:
    """The current version of each template, with its questions in order."""
    return SurveyTemplate.objects.current().prefetch_related("questions")


class TemplateQuestionIn(In):
    """A question of the revised template: `id` names an existing one of this version (omit it
    for a new one, which then needs `measures` and a scale or `free_text`)."""

    id: Id | None = None
    position: int = Field(..., ge=1, le=999)
    text: str = Field(..., min_length=1, max_length=1000)
    required: bool = True
    low_label: str = Field("", max_length=60)
    high_label: str = Field("", max_length=60)
    measures: str | None = Field(
        None, max_length=20, description="The construct, as `measures` in the output."
    )
    scale_min: int | None = Field(None, ge=-10, le=10)
    scale_max: int | None = Field(None, ge=-10, le=10)
    free_text: bool = False
    reverse_keyed: bool | None = None
    role: str | None = Field(None, max_length=16)


class TemplateRevisionIn(In):
    name: str = Field(..., min_length=1, max_length=120)
    language: str = Field(..., min_length=2, max_length=8)
    introduction: str = Field("", max_length=4000)
    questions: list[TemplateQuestionIn] = Field(..., max_length=60)


class TemplateRevisionOut(Schema):
    changed: bool
    new_version: bool = Field(..., description="True when the revision made a new version.")
    message: str
    template: TemplateOut = Field(..., description="The current version after the revision.")


@router.put("/surveys/templates/{int:template_id}", response=TemplateRevisionOut)
def template_update(
    request: HttpRequest, template_id: int, payload: TemplateRevisionIn
) -> dict[str, Any]:
    """Revise the current version of a template (administrators only). A version with responses
    or open invitations is kept as it was and the revision becomes a new version; otherwise it
    is edited in place. A refused revision (422) changes nothing."""
    user = current_user(request)
    if not user.is_admin:
        raise PermissionDenied("Only administrators edit survey templates.")
    template = get_object_or_404(SurveyTemplate, pk=template_id)
    revision = template_revise(
        template=template,
        by=user,
        name=payload.name,
        language=payload.language,
        introduction=payload.introduction,
        questions=[
            QuestionEdit(
                id=q.id,
                position=q.position,
                text=q.text,
                required=q.required,
                low_label=q.low_label,
                high_label=q.high_label,
                construct=q.measures,
                scale_min=q.scale_min,
                scale_max=q.scale_max,
                free_text=q.free_text,
                reverse_keyed=q.reverse_keyed,
                role=q.role,
            )
            for q in payload.questions
        ],
    )
    current = SurveyTemplate.objects.prefetch_related("questions").get(pk=revision.template.pk)
    return {
        "changed": revision.changed,
        "new_version": revision.new_version,
        "message": revision.message(),
        "template": current,
    }


# ---------------------------------------------------------------------------------------------
# Invitations


class InvitationOut(Schema):
    id: int
    project: int = Field(..., alias="project_id")
    contact: int = Field(..., alias="contact_id")
    contact_name: str = Field(..., alias="contact.name")
    template: int = Field(..., alias="template_id")
    template_family: str = Field(..., alias="template.family")
    template_name: str = Field(..., alias="template.name")
    template_version: int = Field(..., alias="template.version")
    milestone: int | None = Field(..., alias="milestone_id")
    trigger: str
    status: str = Field(..., description="not sent, sent, answered, revoked or expired.")
    created_at: dt.datetime
    created_by: int | None = Field(..., alias="created_by_id")
    expires_at: dt.datetime
    sent_at: dt.datetime | None
    reminded_at: dt.datetime | None
    used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @staticmethod
    def resolve_status(obj: Invitation) -> str:
        return status_of(obj, timezone.now())


class InvitationsIn(In):
    contacts: IdList = Field(
        ..., min_length=1, description="Current contacts of the project's client, with an email."
    )
    template: str = Field(
        ..., min_length=1, max_length=40, description="The family of a current template."
    )
    milestone: Id | None = Field(None, description="The project's milestone the survey is about.")


def invitation_queryset(user: User) -> QuerySet[Invitation]:
    return Invitation.objects.visible_to(user).select_related("contact", "template")


def _send_all(created: list[tuple[Invitation, str]]) -> None:
    now = timezone.now()
    for invitation, token in created:
        try:
            services.invitation_send(invitation, token, now=now)
        except Exception:  # one failed email must not lose the others
            logger.exception("Survey invitation %s could not be sent", invitation.pk)


@router.get("/projects/{int:project_id}/invitations", response=list[InvitationOut])
@paginated
def invitation_list(request: HttpRequest, project_id: int) -> QuerySet[Invitation]:
    user = current_user(request)
    project = get_visible(Project.objects.visible_to(user), project_id)
    return invitation_queryset(user).filter(project=project)


@router.post("/projects/{int:project_id}/invitations", response={201: list[InvitationOut]})
def invitation_create(
    request: HttpRequest, project_id: int, payload: InvitationsIn
) -> Status[list[Invitation]]:
    """Invite each contact to the current version of the template; the emails go once the
    invitations are saved. All or nothing: if one contact may not be invited (opted out, invited
    too recently under the policy, no email), none is, and the 422 says why."""
    user = current_user(request)
    project = get_editable(user, Project.objects.all(), project_id)
    contacts = resolve_many(
        Contact.objects.visible_to(user).filter(client_id=project.client_id),
        payload.contacts,
        "contacts",
    )
    if not SurveyTemplate.objects.current().filter(family=payload.template).exists():
        raise NinjaValidationError(
            [
                {
                    "loc": ["body", "template"],
                    "msg": "There is no such survey.",
                    "type": "value_error",
                }
            ]
        )
    milestone = resolve(Milestone.objects.filter(project=project), payload.milestone, "milestone")
    now = timezone.now()
    created: list[tuple[Invitation, str]] = []
    errors: list[dict[str, Any]] = []
    with transaction.atomic():
        for contact in contacts:
            try:
                created.append(
                    services.invitation_create(
                        project=project,
                        contact=contact,
                        template_family=payload.template,
                        actor=user,
                        trigger=Trigger.MILESTONE if milestone else Trigger.NOW,
                        milestone=milestone,
                        now=now,
                    )
                )
            except ValidationError as error:
                errors.extend(
                    {"loc": ["body", "contacts"], "msg": msg, "type": "value_error"}
                    for msg in error.messages
                )
        if errors:
            transaction.set_rollback(True)
        else:
            transaction.on_commit(lambda: _send_all(created))
    if errors:
        raise NinjaValidationError(errors)
    pks = [invitation.pk for invitation, _ in created]
    rows = invitation_queryset(user).in_bulk(pks)
    return Status(201, [rows[pk] for pk in pks])


@router.post("/invitations/{int:invitation_id}/revoke", response=InvitationOut)
def invitation_revoke(request: HttpRequest, invitation_id: int) -> Invitation:
    """Revoke an invitation: its link stops working. An answered one cannot be revoked (422);
    revoking twice changes nothing."""
    user = current_user(request)
    invitation = get_object_or_404(invitation_queryset(user), pk=invitation_id)
    refuse_read_only(user)
    if not Project.objects.editable_by(user).filter(pk=invitation.project_id).exists():
        raise PermissionDenied("You may see this invitation but not change it.")
    services.invitation_revoke(invitation, actor=user, now=timezone.now())
    return get_visible(invitation_queryset(user), invitation_id)


# ---------------------------------------------------------------------------------------------
# Results


class NpsOut(Schema):
    n: int
    promoters: int
    passives: int
    detractors: int
    score: float | None = Field(..., description="Null below the policy's minimum n.")
    standard_error: float | None
    margin_95: float | None
    enough: bool


class CsatOut(Schema):
    n: int
    satisfied: int = Field(..., description="Answers of 4 or 5.")
    share: float | None = Field(..., description="Share of 4 and 5; null below the minimum n.")
    enough: bool


class MeanOut(Schema):
    mean: float | None
    n: int
    enough: bool


class VerbatimOut(Schema):
    text: str
    submitted_at: dt.datetime
    contact: str
    project: str
    nps: int | None


class TrendOut(Schema):
    earlier: float | None = Field(..., description="The earlier half of the window; null below n.")
    earlier_n: int
    later: float | None = Field(..., description="The later half of the window; null below n.")
    later_n: int
    change: float | None = Field(
        ..., description="Later less earlier (CSAT in percentage points); null without both."
    )
    words: str


class TrendsOut(Schema):
    nps: TrendOut
    csat: TrendOut
    trust: TrendOut


class SurveyResultsOut(Schema):
    client: int
    window_days: int = Field(..., description="Responses this recent make the latest scores.")
    min_n: int = Field(..., description="Responses a score needs before it is given.")
    nps: NpsOut
    nps_previous: NpsOut = Field(..., description="The window before, for the trend.")
    nps_trend: float | None = Field(
        ..., description="This window's NPS less the window before's (see `trends`)."
    )
    trends: TrendsOut = Field(
        ...,
        description="NPS, CSAT and trust over the later half of the window against the earlier "
        "half, as on the voice card and in the health model.",
    )
    csat: CsatOut
    trust: MeanOut
    constructs: dict[str, MeanOut]
    roles: dict[str, MeanOut]
    gap: float | None = Field(..., description="The PM's rating less the firm's (0–10 scale).")
    verbatims: list[VerbatimOut]
    versions: list[str] = Field(..., description="The template versions the results come from.")


@router.get("/clients/{int:client_id}/survey-results", response=SurveyResultsOut)
def client_survey_results(request: HttpRequest, client_id: int) -> dict[str, Any]:
    """The client's latest survey results, as on the client page's voice card."""
    client = get_visible(Client.objects.visible_to(current_user(request)), client_id)
    surveys = HealthPolicy.objects.active().rules.surveys
    voice = client_voice_detail(
        client.pk,
        now=timezone.now(),
        min_n=surveys.min_n,
        window_days=surveys.window_days,
        verbatims=VERBATIMS,
    )
    latest = voice.latest
    trends = voice_trends(
        Response.objects.filter(client_id=client.pk),
        now=timezone.now(),
        window_days=surveys.window_days,
        min_n=surveys.min_n,
    )
    return {
        "client": client.pk,
        "trends": trends,
        "window_days": voice.window_days,
        "min_n": surveys.min_n,
        "nps": latest.nps,
        "nps_previous": voice.previous,
        "nps_trend": voice.nps_trend,
        "csat": latest.csat,
        "trust": latest.trust,
        "constructs": latest.constructs,
        "roles": latest.roles,
        "gap": latest.gap,
        "verbatims": latest.verbatims,
        "versions": latest.versions,
    }
