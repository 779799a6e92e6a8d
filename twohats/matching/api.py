"""Personality profiles over the JSON API, with the access rules of the pages: my own profile
(the IPIP-50, kept with my consent), a contact's (a Mini-IPIP rating, the rater's judgement) and
a staff member's for their director and admins. A profile the user may not see answers 404;
one they may see but not change answers 403. Answers are never sent back, only the scores."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import StrictBool, StrictInt

from twohats.apikit import Id, In, current_user, invalid
from twohats.clients.models import Contact
from twohats.matching.instruments import (
    INSTRUMENTS,
    IPIP_50,
    MINI_IPIP_OBSERVER,
    IncompleteAnswers,
    Instrument,
    score,
)
from twohats.matching.models import PersonalityProfile, Source, WorkingStyle
from twohats.matching.services import profile_erase, profile_record_contact, profile_record_self
from twohats.matching.views import contact_rateable, staff_visible_to
from twohats.people.models import User

router = Router(tags=["matching"])

Answer = Annotated[StrictInt, Field(ge=1, le=5)]
Answers = Annotated[
    dict[Annotated[int, Field(ge=1, le=50)], Answer],
    Field(
        description="Statement number → answer, 1 (very inaccurate) to 5 (very accurate); every "
        "statement of the questionnaire, each once.",
        max_length=50,
    ),
]


class ProfileOut(Schema):
    id: int
    instrument: str
    instrument_name: str
    source: str = Field(..., description="`self` (a self-report) or `observer` (a rating).")
    provenance: str = Field(..., description="Whose answers or whose judgement, in words.")
    rated_by: int | None = Field(..., alias="rated_by_id")
    rated_on: dt.date
    consent_at: dt.datetime | None
    extraversion: float
    agreeableness: float
    conscientiousness: float
    emotional_stability: float
    intellect: float

    @staticmethod
    def resolve_instrument_name(obj: PersonalityProfile) -> str:
        instrument = INSTRUMENTS.get(obj.instrument)
        return instrument.name if instrument else obj.instrument

    @staticmethod
    def resolve_provenance(obj: PersonalityProfile) -> str:
        if obj.source == Source.SELF:
            return "A self-report: the person's own answers, kept with their consent."
        rater = str(obj.rated_by) if obj.rated_by else "a former colleague"
        return (
            f"The rating of {rater} on {obj.rated_on:%Y-%m-%d}: a judgement, not the person's "
            "own answers."
        )


class PersonProfileOut(Schema):
    profile: ProfileOut | None = Field(..., description="The latest profile; null if none.")
    working_style: list[str] = Field(..., description="Working-style tags.")


class SelfAnswersIn(In):
    answers: Answers
    consent: StrictBool = Field(
        ...,
        description="The person agrees that the profile is kept, seen by them, their practice "
        "director and administrators (not executives, never clients). Must be true.",
    )


class ContactAnswersIn(In):
    answers: Answers


def _view(**person: object) -> PersonProfileOut:
    profile = PersonalityProfile.objects.current().filter(**person).select_related("rated_by")
    style = WorkingStyle.objects.filter(**person).values_list("tags", flat=True).first()
    return PersonProfileOut(
        profile=profile.first(),  # type: ignore[arg-type]
        working_style=list(style or []),
    )


def _check(instrument: Instrument, answers: dict[int, int]) -> None:
    """Every statement answered, before anything is written: a 422 on `answers` otherwise."""
    try:
        score(instrument, answers)
    except IncompleteAnswers as error:
        raise invalid("answers", str(error)) from error


def _contact(user: User, contact_id: int) -> Contact:
    return get_object_or_404(Contact.objects.visible_to(user), pk=contact_id)


def _contact_to_change(user: User, contact_id: int) -> Contact:
    contact = _contact(user, contact_id)
    if not contact_rateable(user, contact):
        raise PermissionDenied("You may see this contact but not rate them or erase their profile.")
    return contact


def _person(user: User, person_id: int) -> User:
    people: QuerySet[User] = staff_visible_to(user) | User.objects.filter(pk=user.pk)
    return get_object_or_404(people, pk=person_id)


@router.get("/profiles/me", response=PersonProfileOut)
def my_profile(request: HttpRequest) -> PersonProfileOut:
    """My latest profile (a self-report) and working style."""
    return _view(user=current_user(request))


@router.post("/profiles/me", response={201: PersonProfileOut})
def my_profile_record(request: HttpRequest, payload: SelfAnswersIn) -> Status:
    """Score my IPIP-50 answers (all 50) and keep the profile, with my consent."""
    user = current_user(request)
    if not payload.consent:
        raise invalid(
            "consent", "Your profile is kept only with your consent: send consent true to save it."
        )
    _check(IPIP_50, payload.answers)
    try:
        profile_record_self(user=user, answers=payload.answers, consent=payload.consent)
    except DjangoValidationError as error:
        raise invalid("answers", " ".join(error.messages)) from error
    return Status(201, _view(user=user))


@router.delete("/profiles/me", response={204: None})
def my_profile_erase(request: HttpRequest) -> Status:
    """Erase my answers, profiles and working style; a record of the erasure stays."""
    user = current_user(request)
    profile_erase(by=user, user=user)
    return Status(204, None)


@router.get("/contacts/{int:contact_id}/profile", response=PersonProfileOut)
def contact_profile(request: HttpRequest, contact_id: int) -> PersonProfileOut:
    """A contact's latest rating (a PM's judgement, not the contact's answers) and style."""
    contact = _contact(current_user(request), contact_id)
    return _view(contact=contact)


@router.post("/contacts/{int:contact_id}/profile", response={201: PersonProfileOut})
def contact_profile_record(
    request: HttpRequest, contact_id: int, payload: ContactAnswersIn
) -> Status:
    """Score my Mini-IPIP rating of a contact (all 20 statements), recorded as mine."""
    user = current_user(request)
    contact = _contact_to_change(user, contact_id)
    _check(MINI_IPIP_OBSERVER, payload.answers)
    try:
        profile_record_contact(contact=contact, by=user, answers=payload.answers)
    except DjangoValidationError as error:
        raise invalid("answers", " ".join(error.messages)) from error
    return Status(201, _view(contact=contact))


@router.delete("/contacts/{int:contact_id}/profile", response={204: None})
def contact_profile_erase(request: HttpRequest, contact_id: int) -> Status:
    """Erase every rating of a contact, its answers and their working style."""
    user = current_user(request)
    profile_erase(by=user, contact=_contact_to_change(user, contact_id))
    return Status(204, None)


@router.get("/people/{int:person_id}/profile", response=PersonProfileOut)
def person_profile(request: HttpRequest, person_id: Id) -> PersonProfileOut:
    """A staff member's latest profile: for the person, their director and admins only."""
    return _view(user=_person(current_user(request), person_id))


@router.delete("/people/{int:person_id}/profile", response={204: None})
def person_profile_erase(request: HttpRequest, person_id: Id) -> Status:
    """Erase a staff member's profile on their request: administrators (or the person)."""
    user = current_user(request)
    person = _person(user, person_id)
    if not (user.is_admin or person.pk == user.pk):
        raise PermissionDenied("Only an administrator erases a staff member's profile.")
    profile_erase(by=user, user=person)
    return Status(204, None)
