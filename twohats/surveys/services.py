"""Invitations and responses: invite a contact (a random token, stored only as its hash), send
the link and one reminder, revoke, and save a response once, atomically.

The token exists only in the email; a link that is unknown, used, expired or revoked is refused
with one and the same error, so the public page cannot tell them apart."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse

from twohats.clients.models import Contact
from twohats.people.models import User
from twohats.projects.models import Milestone, Project
from twohats.surveys.models import (
    Answer,
    Construct,
    Invitation,
    Question,
    Response,
    SurveyKind,
    SurveyOptOut,
    SurveyTemplate,
    Trigger,
)

logger = logging.getLogger(__name__)

# Used when the health policy has no `surveys` section.
EXPIRY_DAYS = 30
MIN_DAYS_BETWEEN_INVITATIONS = 90  # quarterly
MAX_TEXT = 4000
INVALID_LINK = "This link is not valid."


class InvalidLink(Exception):
    """An unknown, used, expired or revoked token: one error for all, so none is revealed."""

    def __str__(self) -> str:
        return INVALID_LINK


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def survey_policy() -> tuple[int, int]:
    """(expiry days, minimum days between two invitations of one contact)."""
    from twohats.health.models import HealthPolicy

    surveys: Any = getattr(HealthPolicy.objects.active().rules, "surveys", None)
    expiry = getattr(surveys, "invitation_expiry_days", EXPIRY_DAYS)
    gap = getattr(surveys, "min_days_between_invitations", MIN_DAYS_BETWEEN_INVITATIONS)
    return int(expiry), int(gap)


def firm_text(text: str) -> str:
    from twohats.surveys.catalogue import FIRM

    return text.replace(FIRM, settings.FIRM_NAME)


def invitation_create(
    *,
    project: Project,
    contact: Contact,
    template_family: str,
    actor: User | None,
    trigger: str = Trigger.NOW,
    milestone: Milestone | None = None,
    now: dt.datetime,
) -> tuple[Invitation, str]:
    """A new invitation to the current version of `template_family` and its token (returned
    once; only its hash is kept)."""
    if contact.client_id != project.client_id:
        raise ValidationError({"contact": "This contact is not at the project's client."})
    if contact.archived_at is not None or contact.left_on is not None:
        raise ValidationError({"contact": f"{contact.name} is no longer an active contact."})
    if not contact.email:
        raise ValidationError({"contact": f"{contact.name} has no email address."})
    if milestone is not None and milestone.project_id != project.pk:
        raise ValidationError({"milestone": "This milestone is not on the project."})
    if trigger not in Trigger.values:
        raise ValidationError({"trigger": "Unknown trigger."})
    template = SurveyTemplate.objects.current().filter(family=template_family).first()
    if template is None:
        raise ValidationError({"template": "There is no such survey."})
    expiry_days, gap_days = survey_policy()
    with transaction.atomic():
        # Lock the contact so two invitations at once cannot both pass the checks below.
        Contact.objects.select_for_update().filter(pk=contact.pk).first()
        if SurveyOptOut.objects.filter(contact=contact).exists():
            raise ValidationError({"contact": f"{contact.name} has opted out of surveys."})
        last = (
            Invitation.objects.filter(
                contact=contact,
                revoked_at__isnull=True,
                created_at__gt=now - dt.timedelta(days=gap_days),
            )
            .order_by("-created_at")
            .first()
        )
        if last is not None:
            raise ValidationError(
                {
                    "contact": f"{contact.name} was invited on {last.created_at:%Y-%m-%d}; "
                    f"the policy allows one invitation every {gap_days} days."
                }
            )
        token = secrets.token_urlsafe(32)  # 256 bits
        invitation = Invitation.objects.create(
            template=template,
            project=project,
            contact=contact,
            milestone=milestone,
            trigger=trigger,
            token_hash=token_hash(token),
            created_at=now,
            created_by=actor,
            expires_at=now + dt.timedelta(days=expiry_days),
        )
    return invitation, token


def survey_url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('survey_public:answer', args=[token])}"


def unsubscribe_url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('survey_public:unsubscribe', args=[token])}"


def _email(invitation: Invitation, token: str, *, reminder: bool) -> None:
    project = invitation.project
    context = {
        "firm_name": settings.FIRM_NAME,
        "contact": invitation.contact,
        "project": project,
        "pm": project.manager,
        "template": invitation.template,
        "url": survey_url(token),
        "unsubscribe_url": unsubscribe_url(token),
        "expires_at": invitation.expires_at,
        "reminder": reminder,
    }
    text = render_to_string("surveys/email/invitation.txt", context)
    html = render_to_string("surveys/email/invitation.html", context)
    subject = f"{'Reminder: ' if reminder else ''}{settings.FIRM_NAME} would value your view"
    message = EmailMultiAlternatives(subject, text, to=[invitation.contact.email])
    message.attach_alternative(html, "text/html")
    message.send()


def invitation_send(invitation: Invitation, token: str, *, now: dt.datetime) -> Invitation:
    """Email the link. The token is not stored, so the caller passes it (right after
    `invitation_create`)."""
    if token_hash(token) != invitation.token_hash:
        raise ValidationError("The token does not belong to this invitation.")
    if not invitation.is_open(now):
        raise ValidationError("This invitation is no longer open.")
    _email(invitation, token, reminder=False)
    invitation.sent_at = now
    invitation.save(update_fields=["sent_at"])
    return invitation


def invitation_remind(
    invitation: Invitation, token: str | None = None, *, now: dt.datetime
) -> tuple[Invitation, str]:
    """One reminder, only for an open, sent, unanswered invitation. Only the token's hash is
    kept, so the reminder carries a fresh token: the hash is replaced (the first link stops
    working) and the new token is returned. `token`, if given, must be the current one. The
    email goes out before the change is committed: if it fails, the first link still works."""
    with transaction.atomic():
        current = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if current.reminded_at is not None:
            raise ValidationError("A reminder was already sent.")
        if token is not None and token_hash(token) != current.token_hash:
            raise ValidationError("The token does not belong to this invitation.")
        if current.sent_at is None or not current.is_open(now):
            raise ValidationError("Only a sent invitation still open can be reminded.")
        if SurveyOptOut.objects.filter(contact_id=current.contact_id).exists():
            raise ValidationError("The contact has opted out of surveys.")
        fresh = secrets.token_urlsafe(32)
        current.token_hash = token_hash(fresh)
        current.reminded_at = now
        current.save(update_fields=["token_hash", "reminded_at"])
        _email(current, fresh, reminder=True)
    return current, fresh


def invitation_revoke(
    invitation: Invitation, *, actor: User | None, now: dt.datetime
) -> Invitation:
    with transaction.atomic():
        current = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if current.used_at is not None:
            raise ValidationError("This invitation was answered; it cannot be revoked.")
        if current.revoked_at is None:
            current.revoked_at = now
            current.save(update_fields=["revoked_at"])
    return current


def invitation_by_token(token: str, *, now: dt.datetime) -> Invitation:
    """The open invitation of a token, with its template, project and client; else InvalidLink."""
    if not token or len(token) > 100:
        raise InvalidLink
    invitation = (
        Invitation.objects.select_related("template", "project__client", "contact")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if invitation is None or not invitation.is_open(now):
        raise InvalidLink
    return invitation


def contact_opt_out(*, token: str, now: dt.datetime) -> SurveyOptOut:
    """Unsubscribe the contact a link was sent to (any link they received, open or not)."""
    invitation = Invitation.objects.filter(token_hash=token_hash(token)).first()
    if invitation is None:
        raise InvalidLink
    opt_out, _ = SurveyOptOut.objects.get_or_create(
        contact_id=invitation.contact_id, defaults={"at": now}
    )
    return opt_out


def _clean_answers(
    questions: list[Question], answers: Mapping[int, int | str | None]
) -> list[Answer]:
    by_id = {q.pk: q for q in questions}
    unknown = set(answers) - set(by_id)
    if unknown:
        raise ValidationError("The answers name questions that are not in this survey.")
    errors: dict[str, list[str]] = {}
    rows = []
    for question in questions:
        value = answers.get(question.pk)
        if value is None or value == "":
            if question.required:
                errors.setdefault(f"q{question.pk}", []).append("Please answer this question.")
            continue
        if question.is_scale:
            assert question.scale_min is not None and question.scale_max is not None
            if isinstance(value, bool) or not isinstance(value, int):
                errors.setdefault(f"q{question.pk}", []).append("Choose a point on the scale.")
                continue
            if not question.scale_min <= value <= question.scale_max:
                errors.setdefault(f"q{question.pk}", []).append(
                    f"Choose from {question.scale_min} to {question.scale_max}."
                )
                continue
            rows.append(Answer(question=question, value=value))
        else:
            text = str(value).strip()
            if len(text) > MAX_TEXT:
                errors.setdefault(f"q{question.pk}", []).append(
                    f"Please keep this under {MAX_TEXT} characters (it has {len(text)})."
                )
                continue
            if text:
                rows.append(Answer(question=question, text=text))
    if errors:
        raise ValidationError(errors)
    return rows


def response_submit(
    *, token: str, answers: Mapping[int, int | str | None], now: dt.datetime
) -> Response:
    """Save a response to the token's invitation, once: the invitation's row is locked and the
    database refuses a second response, so of two submissions at once only one counts."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(token_hash=token_hash(token or ""))
            .first()
        )
        if invitation is None or not invitation.is_open(now):
            raise InvalidLink
        questions = list(Question.objects.filter(template_id=invitation.template_id))
        rows = _clean_answers(questions, answers)
        template = SurveyTemplate.objects.get(pk=invitation.template_id)
        nps = csat = None
        for row in rows:
            construct = row.question.construct
            if construct == Construct.RECOMMEND and row.value is not None:
                nps = row.value
            if (
                construct == Construct.SATISFACTION
                and template.kind == SurveyKind.CSAT
                and row.value is not None
            ):
                csat = row.value
        project = Project.objects.get(pk=invitation.project_id)
        try:
            with transaction.atomic():
                response = Response.objects.create(
                    invitation=invitation,
                    template=template,
                    client_id=project.client_id,
                    project=project,
                    contact_id=invitation.contact_id,
                    pm_id=project.manager_id,
                    submitted_at=now,
                    nps=nps,
                    csat=csat,
                )
        except IntegrityError:  # answered meanwhile (where the row lock does not serialise)
            raise InvalidLink from None
        for row in rows:
            row.response = response
        Answer.objects.bulk_create(rows)
        _record_similarity(response, rows)
        invitation.used_at = now
        invitation.save(update_fields=["used_at"])
    return response


def _similarity_1_to_7(question: Question, value: int) -> int:
    """An answer to a perceived-similarity item on the 1–7 scale of `PerceivedSimilarity`
    (an admin may have put the item on another scale, or reverse-keyed it)."""
    assert question.scale_min is not None and question.scale_max is not None
    low, high = question.scale_min, question.scale_max
    share = (value - low) / (high - low)
    if question.reverse_keyed:
        share = 1 - share
    return max(1, min(7, round(1 + 6 * share)))


def _record_similarity(response: Response, rows: list[Answer]) -> None:
    """The contact's answers to perceived-similarity items become the contact's rating of the
    pair (PM, contact), dated with the response: the fit reads it from there."""
    from twohats.matching.models import PerceivedSimilarity

    PerceivedSimilarity.objects.bulk_create(
        PerceivedSimilarity(
            pm_id=response.pm_id,
            contact_id=response.contact_id,
            rater=PerceivedSimilarity.Rater.CONTACT,
            value=_similarity_1_to_7(row.question, row.value),
            at=response.submitted_at,
        )
        for row in rows
        if row.question.construct == Construct.SIMILARITY
        and row.question.is_scale
        and row.value is not None
    )
