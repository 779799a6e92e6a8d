"""Survey responses written straight through the ORM, for tests of results, signals and alerts
(the public form and `response_submit` have their own tests)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping

from django.utils import timezone

from twohats.clients.models import Contact
from twohats.projects.models import Project
from twohats.surveys.models import (
    Answer,
    Construct,
    Invitation,
    Question,
    Response,
    SurveyKind,
    SurveyTemplate,
)


def template_of(family: str) -> SurveyTemplate:
    return SurveyTemplate.objects.current().get(family=family)


def response_make(
    *,
    project: Project,
    contact: Contact,
    family: str,
    answers: Mapping[int, int | str],
    at: dt.datetime | None = None,
) -> Response:
    """A submitted response to the current version of `family`, with `answers` keyed by the
    question's position (an int for a scale, a str for free text). The stored NPS and CSAT
    columns are filled as the service fills them."""
    at = at or timezone.now()
    template = template_of(family)
    questions = {q.position: q for q in Question.objects.filter(template=template)}
    invitation = Invitation.objects.create(
        template=template,
        project=project,
        contact=contact,
        token_hash=secrets.token_hex(32),
        created_at=at - dt.timedelta(days=1),
        expires_at=at + dt.timedelta(days=29),
        sent_at=at - dt.timedelta(days=1),
        used_at=at,
    )
    nps = csat = None
    for position, value in answers.items():
        construct = questions[position].construct
        if construct == Construct.RECOMMEND and isinstance(value, int):
            nps = value
        if (
            construct == Construct.SATISFACTION
            and template.kind == SurveyKind.CSAT
            and isinstance(value, int)
        ):
            csat = value
    response = Response.objects.create(
        invitation=invitation,
        template=template,
        client_id=project.client_id,
        project=project,
        contact=contact,
        pm_id=project.manager_id,
        submitted_at=at,
        nps=nps,
        csat=csat,
    )
    Answer.objects.bulk_create(
        Answer(
            response=response,
            question=questions[position],
            value=value if isinstance(value, int) else None,
            text=value if isinstance(value, str) else "",
        )
        for position, value in answers.items()
    )
    return response


def positions(family: str, construct: str) -> list[int]:
    return list(
        Question.objects.filter(template=template_of(family), construct=construct)
        .order_by("position")
        .values_list("position", flat=True)
    )


def nps_response(
    project: Project, contact: Contact, score: int, reason: str = "", at: dt.datetime | None = None
) -> Response:
    [recommend] = positions("nps", Construct.RECOMMEND)
    answers: dict[int, int | str] = {recommend: score}
    if reason:
        answers[positions("nps", Construct.REASON)[0]] = reason
    return response_make(project=project, contact=contact, family="nps", answers=answers, at=at)


def csat_response(
    project: Project, contact: Contact, score: int, at: dt.datetime | None = None
) -> Response:
    [satisfaction] = positions("csat", Construct.SATISFACTION)
    return response_make(
        project=project, contact=contact, family="csat", answers={satisfaction: score}, at=at
    )


def relationship_response(
    project: Project, contact: Contact, value: int, at: dt.datetime | None = None
) -> Response:
    """Every relationship item answered `value` (so reverse-keyed items score 8 − value)."""
    template = template_of("relationship")
    scale = Question.objects.filter(template=template, scale_min__isnull=False)
    answers: dict[int, int | str] = dict.fromkeys(scale.values_list("position", flat=True), value)
    return response_make(
        project=project, contact=contact, family="relationship", answers=answers, at=at
    )


def ratings_response(
    project: Project, contact: Contact, pm: int, firm: int, at: dt.datetime | None = None
) -> Response:
    [pm_at] = positions("pm_vs_firm", Construct.PM_RATING)
    [firm_at] = positions("pm_vs_firm", Construct.FIRM_RATING)
    return response_make(
        project=project,
        contact=contact,
        family="pm_vs_firm",
        answers={pm_at: pm, firm_at: firm},
        at=at,
    )
