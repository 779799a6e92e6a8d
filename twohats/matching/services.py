"""Writes of the matching app: profiles from questionnaires (each a new row, the latest
flagged), erasure on request, working styles, perceived similarity, and fit policy versions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from twohats.clients.models import Contact
from twohats.matching.instruments import INSTRUMENTS, MINI_IPIP_OBSERVER, IncompleteAnswers, score
from twohats.matching.models import (
    Erasure,
    FitPolicy,
    PerceivedSimilarity,
    PersonalityProfile,
    ProfileAnswer,
    Source,
    StyleTag,
    WorkingStyle,
)
from twohats.matching.policy import parse
from twohats.people.models import User


def _save_profile(
    *,
    instrument_code: str,
    answers: Mapping[int, int],
    source: str,
    rated_by: User,
    user: User | None = None,
    contact: Contact | None = None,
    consent_at: dt.datetime | None = None,
    rated_on: dt.date | None = None,
) -> PersonalityProfile:
    instrument = INSTRUMENTS[instrument_code]
    try:
        traits = score(instrument, dict(answers))
    except IncompleteAnswers as error:
        raise ValidationError(str(error)) from error
    with transaction.atomic():
        # Lock the person first: without a latest row to lock (a first profile), two saves at
        # once would both flag theirs latest and one would fail on the unique constraint.
        if user is not None:
            User.objects.select_for_update().filter(pk=user.pk).first()
        else:
            Contact.objects.select_for_update().filter(pk=contact.pk).first()  # type: ignore[union-attr]
        previous = PersonalityProfile.objects.select_for_update().filter(
            user=user, contact=contact, is_latest=True
        )
        previous.update(is_latest=False)
        profile = PersonalityProfile.objects.create(
            user=user,
            contact=contact,
            source=source,
            instrument=instrument.code,
            rated_by=rated_by,
            rated_on=rated_on or timezone.localdate(),
            consent_at=consent_at,
            is_latest=True,
            **traits,
        )
        ProfileAnswer.objects.bulk_create(
            ProfileAnswer(profile=profile, item=item, value=value)
            for item, value in sorted(answers.items())
        )
    return profile


def profile_record_self(
    *, user: User, answers: Mapping[int, int], consent: bool, rated_on: dt.date | None = None
) -> PersonalityProfile:
    """A staff member's own IPIP-50 answers. Kept only with their consent."""
    if not consent:
        raise ValidationError(
            "Your profile is kept only with your consent: tick the consent box to save it."
        )
    return _save_profile(
        instrument_code="ipip50",
        answers=answers,
        source=Source.SELF,
        rated_by=user,
        user=user,
        consent_at=timezone.now(),
        rated_on=rated_on,
    )


def profile_record_contact(
    *, contact: Contact, by: User, answers: Mapping[int, int], rated_on: dt.date | None = None
) -> PersonalityProfile:
    """A PM's Mini-IPIP rating of a client contact: the rater's judgement, recorded as such."""
    if not Contact.objects.editable_by(by).filter(pk=contact.pk).exists():
        raise PermissionDenied("Only people who work on this client's records can rate a contact.")
    return _save_profile(
        instrument_code=MINI_IPIP_OBSERVER.code,
        answers=answers,
        source=Source.OBSERVER,
        rated_by=by,
        contact=contact,
        rated_on=rated_on,
    )


def profile_erase(*, by: User, user: User | None = None, contact: Contact | None = None) -> Erasure:
    """Erase every profile and answer of one person, their working style, the perceived
    similarity ratings of pairs they are in, with their history rows, and the personality part
    of the continuity alerts' evidence about them; an erasure record (who, when, whose, how many
    rows) stays."""
    from twohats.alerts.continuity import continuity_forget_personality

    if (user is None) == (contact is None):
        raise ValueError("erase the profiles of one user or one contact")
    with transaction.atomic():
        profiles = PersonalityProfile.objects.filter(user=user, contact=contact)
        ids = list(profiles.values_list("pk", flat=True))
        answers = ProfileAnswer.objects.filter(profile_id__in=ids)
        answer_ids = list(answers.values_list("pk", flat=True))
        styles = WorkingStyle.objects.filter(user=user, contact=contact)
        similar = (
            PerceivedSimilarity.objects.filter(pm=user)
            if user is not None
            else PerceivedSimilarity.objects.filter(contact=contact)
        )
        similar_ids = list(similar.values_list("pk", flat=True))
        # None of these models is registered with auditlog today; should one be, its history
        # rows would hold the very values erased, so they go too.
        _history_delete(PersonalityProfile, ids)
        _history_delete(ProfileAnswer, answer_ids)
        _history_delete(WorkingStyle, list(styles.values_list("pk", flat=True)))
        _history_delete(PerceivedSimilarity, similar_ids)
        answers.delete()
        profiles.delete()
        styles.delete()
        PerceivedSimilarity.objects.filter(pk__in=similar_ids).delete()
        continuity_forget_personality(user=user, contact=contact)
        subject = f"user:{user.pk}" if user is not None else f"contact:{contact.pk}"  # type: ignore[union-attr]
        return Erasure.objects.create(
            subject=subject,
            erased_by=by,
            profiles=len(ids),
            answers=len(answer_ids),
            similarities=len(similar_ids),
        )


def _history_delete(model: type[models.Model], pks: list[int]) -> None:
    if pks:
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_pk__in=[str(pk) for pk in pks],
        ).delete()


def working_style_set(
    *, by: User, tags: list[str], user: User | None = None, contact: Contact | None = None
) -> WorkingStyle:
    known = set(StyleTag.values)
    unknown = [tag for tag in tags if tag not in known]
    if unknown:
        raise ValidationError(f"Unknown working-style tag: {', '.join(unknown)}.")
    style, _ = WorkingStyle.objects.update_or_create(
        user=user, contact=contact, defaults={"tags": sorted(set(tags)), "updated_by": by}
    )
    return style


def perceived_similarity_record(
    *, pm: User, contact: Contact, rater: str, value: int, at: dt.datetime | None = None
) -> PerceivedSimilarity:
    if not 1 <= value <= 7:
        raise ValidationError("Perceived similarity runs from 1 (not at all alike) to 7 (very).")
    return PerceivedSimilarity.objects.create(
        pm=pm, contact=contact, rater=rater, value=value, at=at or timezone.now()
    )


def _lock_policies() -> None:
    """Serialise the writes of fit policy versions: each locks the first version's row, which
    always exists (the default is made if need be) and never changes. Locking the last version
    would not do: a concurrent proposal's new row is not seen by a query already waiting, and
    the active row changes hands on acceptance. Queries after the lock see what the writer
    before committed."""
    FitPolicy.objects.active()  # the default exists before anything is written over it
    FitPolicy.objects.select_for_update().order_by("version").first()


def fit_policy_propose(*, config: dict[str, Any], by: User | None, note: str) -> FitPolicy:
    """A new, inactive version of the fit policy (from a calibration or an admin's edit)."""
    parse(config)
    with transaction.atomic():
        _lock_policies()
        last = FitPolicy.objects.order_by("-version").first()
        return FitPolicy.objects.create(
            version=(last.version if last else 0) + 1,
            active=False,
            config=config,
            note=note,
            created_by=by,
        )


def fit_policy_accept(*, policy: FitPolicy, by: User) -> FitPolicy:
    if not by.is_admin:
        raise PermissionDenied("Only an administrator can put a fit policy in force.")
    with transaction.atomic():
        _lock_policies()
        FitPolicy.objects.filter(active=True).exclude(pk=policy.pk).update(active=False)
        policy.active = True
        policy.accepted_by = by
        policy.accepted_at = timezone.now()
        policy.save(update_fields=["active", "accepted_by", "accepted_at"])
    return policy
