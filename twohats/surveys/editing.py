"""Admins revise survey templates: wording, order, required or not, labels, language, and
questions added or removed.

A version that contacts have already answered, or that open invitations still point at, is
never changed: the revision becomes a new version of the same family, and the old one is marked
superseded so that its responses keep the questions they were answered against. A version that
no one can have answered is edited in place.

What scoring relies on is checked before anything is written: the item each kind's headline
score is read from (the 0–10 recommend item of an NPS survey, the 1–5 satisfaction item of a
CSAT survey, the two 0–10 ratings of a PM-versus-firm survey), one scale per construct, and
that an existing question keeps what it measures once its template has been answered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from twohats.interactions.models import ROLE_NAMES
from twohats.people.models import User
from twohats.surveys.models import (
    Construct,
    Invitation,
    Question,
    Response,
    SurveyKind,
    SurveyTemplate,
)
from twohats.surveys.selectors import VERBATIM_CONSTRUCTS

MAX_QUESTIONS = 60
MAX_TEXT = 1000
MAX_INTRODUCTION = 4000
MAX_LABEL = 60
# Scales a respondent can answer on one line of radio buttons.
SCALE_LOW, SCALE_HIGH, SCALE_MAX_POINTS = -10, 10, 11
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,4})?$")
# Where positions wait while questions of a version edited in place swap places: beyond any
# real position, below the column's limit.
PARKING = 30000


@dataclass(frozen=True)
class KeyItem:
    """An item a kind's score is read from: it must stay, once, required, on its scale."""

    construct: str
    scale_min: int
    scale_max: int
    what: str


KEY_ITEMS: dict[str, list[KeyItem]] = {
    SurveyKind.NPS: [KeyItem(Construct.RECOMMEND, 0, 10, "the 0–10 likelihood to recommend")],
    SurveyKind.CSAT: [KeyItem(Construct.SATISFACTION, 1, 5, "the 1–5 satisfaction question")],
    SurveyKind.PM_VS_FIRM: [
        KeyItem(Construct.PM_RATING, 0, 10, "the 0–10 rating of the project manager"),
        KeyItem(Construct.FIRM_RATING, 0, 10, "the 0–10 rating of the firm"),
    ],
}


@dataclass(frozen=True)
class QuestionEdit:
    """One question as the revision wants it. `id` names an existing question of the template
    (None for a new one). `construct`, the scale, `reverse_keyed` and `role` are required for a
    new question; for an existing one None keeps what it has."""

    id: int | None
    position: int
    text: str
    required: bool = True
    low_label: str = ""
    high_label: str = ""
    construct: str | None = None
    scale_min: int | None = None
    scale_max: int | None = None
    free_text: bool = False
    reverse_keyed: bool | None = None
    role: str | None = None


@dataclass(frozen=True)
class Revision:
    """What a revision did: `template` is the current version afterwards; `previous` is the
    version it replaced (None when edited in place or unchanged), with its responses and open
    invitations, which stay with it."""

    template: SurveyTemplate
    changed: bool
    previous: SurveyTemplate | None = None
    previous_responses: int = 0
    previous_open_invitations: int = 0

    @property
    def new_version(self) -> bool:
        return self.previous is not None

    def message(self) -> str:
        if not self.changed:
            return "Nothing was changed."
        if self.previous is None:
            return (
                f"Version {self.template.version} saved. No one has answered it or holds an "
                "open invitation to it, so no new version was needed."
            )
        held = [_count(self.previous_responses, "response")]
        if self.previous_open_invitations:
            held.append(_count(self.previous_open_invitations, "open invitation"))
        return (
            f"Version {self.template.version} made: version {self.previous.version} has "
            f"{' and '.join(held)} and stays as it was."
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class _Item:
    """A question of the revised template, fully resolved (existing values filled in)."""

    source: Question | None
    position: int
    text: str
    required: bool
    low_label: str
    high_label: str
    construct: str
    scale_min: int | None
    scale_max: int | None
    reverse_keyed: bool
    role: str

    def fields(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "text": self.text,
            "required": self.required,
            "low_label": self.low_label,
            "high_label": self.high_label,
            "construct": self.construct,
            "scale_min": self.scale_min,
            "scale_max": self.scale_max,
            "reverse_keyed": self.reverse_keyed,
            "role": self.role,
        }

    def changes(self) -> bool:
        if self.source is None:
            return True
        return any(getattr(self.source, name) != value for name, value in self.fields().items())


def template_usage(template: SurveyTemplate, *, now: Any) -> tuple[int, int]:
    """(responses, open invitations) of one version: either means it must not change."""
    responses = Response.objects.filter(template=template).count()
    open_invitations = Invitation.objects.filter(
        template=template,
        used_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    ).count()
    return responses, open_invitations


def template_revise(
    *,
    template: SurveyTemplate,
    by: User,
    name: str,
    language: str,
    introduction: str,
    questions: list[QuestionEdit],
) -> Revision:
    """Apply a revision to the current version of a template: in place if no one has answered
    it or holds an open invitation to it, else as a new version. Raises ValidationError with
    every problem found, having written nothing."""
    now = timezone.now()
    with set_actor(by), transaction.atomic():
        # The lock makes two admins saving at once queue; the second sees the first's result.
        current = SurveyTemplate.objects.select_for_update().filter(pk=template.pk).first()
        if current is None:
            raise ValidationError("This template no longer exists.")
        if current.superseded_at is not None:
            latest = SurveyTemplate.objects.current().filter(family=current.family).first()
            newer = f"version {latest.version}" if latest else "a newer version"
            raise ValidationError(
                f"Version {current.version} was replaced by {newer}; edit the current version."
            )
        existing = {q.pk: q for q in Question.objects.filter(template=current)}
        responses, open_invitations = template_usage(current, now=now)
        header = _clean_header(name=name, language=language, introduction=introduction)
        items = _resolve(current, existing, questions, answered=responses > 0)
        header_changed = any(getattr(current, key) != value for key, value in header.items())
        removed = set(existing) - {item.source.pk for item in items if item.source}
        if not header_changed and not removed and not any(item.changes() for item in items):
            return Revision(template=current, changed=False)
        if responses or open_invitations:
            return Revision(
                template=_new_version(current, header, items, by=by, now=now),
                changed=True,
                previous=current,
                previous_responses=responses,
                previous_open_invitations=open_invitations,
            )
        _edit_in_place(current, header, items, removed)
        return Revision(template=current, changed=True)


def _clean_header(*, name: str, language: str, introduction: str) -> dict[str, str]:
    errors: dict[str, list[str]] = {}
    name, language, introduction = name.strip(), language.strip(), introduction.strip()
    if not name:
        errors["name"] = ["Give the survey a name."]
    elif len(name) > 120:
        errors["name"] = [f"Keep the name to 120 characters (it has {len(name)})."]
    if not LANGUAGE.match(language):
        errors["language"] = ["Give the language as a code such as en, fr or pt-BR."]
    if len(introduction) > MAX_INTRODUCTION:
        errors["introduction"] = [
            f"Keep the introduction to {MAX_INTRODUCTION} characters (it has {len(introduction)})."
        ]
    if errors:
        raise ValidationError(errors)
    return {"name": name, "language": language, "introduction": introduction}


def _resolve(
    template: SurveyTemplate,
    existing: dict[int, Question],
    edits: list[QuestionEdit],
    *,
    answered: bool,
) -> list[_Item]:
    """The revised questions with every rule checked; all problems are raised together."""
    errors: list[str] = []
    if not edits:
        raise ValidationError({"questions": ["A survey needs at least one question."]})
    if len(edits) > MAX_QUESTIONS:
        raise ValidationError({"questions": [f"A survey has at most {MAX_QUESTIONS} questions."]})
    seen_ids: set[int] = set()
    items: list[_Item] = []
    for number, edit in enumerate(edits, start=1):
        where = (
            f"The question at position {edit.position}"
            if isinstance(edit.position, int) and 1 <= edit.position <= 999
            else f"Question {number}"
        )
        source = None
        if edit.id is not None:
            source = existing.get(edit.id)
            if source is None:
                errors.append(f"{where} is not a question of this version of the survey.")
                continue
            if edit.id in seen_ids:
                errors.append(f"{where} repeats a question already listed.")
                continue
            seen_ids.add(edit.id)
        item = _item(edit, source, where, errors, answered=answered)
        if item is not None:
            items.append(item)
    positions = [item.position for item in items]
    repeated = sorted({p for p in positions if positions.count(p) > 1})
    if repeated:
        errors.append(
            "Two questions cannot share a position: "
            + ", ".join(str(p) for p in repeated)
            + " is used more than once."
        )
    if not errors:
        errors.extend(_check_scoring(template.kind, items))
    if errors:
        raise ValidationError({"questions": errors})
    return sorted(items, key=lambda item: item.position)


def _item(
    edit: QuestionEdit,
    source: Question | None,
    where: str,
    errors: list[str],
    *,
    answered: bool,
) -> _Item | None:
    count = len(errors)
    text = edit.text.strip()
    if not text:
        errors.append(f"{where} has no text.")
    elif len(text) > MAX_TEXT:
        errors.append(f"{where}: keep the text to {MAX_TEXT} characters (it has {len(text)}).")
    if isinstance(edit.position, bool) or not 1 <= edit.position <= 999:
        errors.append(f"{where}: the position must be a whole number from 1 to 999.")
    for label in (edit.low_label, edit.high_label):
        if len(label.strip()) > MAX_LABEL:
            errors.append(f"{where}: keep scale labels to {MAX_LABEL} characters.")
    if source is None:
        measure = _new_measure(edit, where, errors)
    else:
        measure = _kept_measure(edit, source, where, errors, answered=answered)
    if measure is None or len(errors) > count:
        return None
    construct, scale_min, scale_max, reverse_keyed, role = measure
    scale = scale_min is not None
    return _Item(
        source=source,
        position=edit.position,
        text=text,
        required=edit.required,
        low_label=edit.low_label.strip() if scale else "",
        high_label=edit.high_label.strip() if scale else "",
        construct=construct,
        scale_min=scale_min,
        scale_max=scale_max,
        reverse_keyed=reverse_keyed,
        role=role,
    )


Measure = tuple[str, int | None, int | None, bool, str]


def _new_measure(edit: QuestionEdit, where: str, errors: list[str]) -> Measure | None:
    if edit.construct not in Construct.values:
        errors.append(f"{where}: choose what the new question measures.")
        return None
    assert edit.construct is not None
    if edit.free_text:
        scale_min = scale_max = None
    else:
        scale_min, scale_max = edit.scale_min, edit.scale_max
    measure = (edit.construct, scale_min, scale_max, bool(edit.reverse_keyed), edit.role or "")
    return measure if _measure_ok(measure, where, errors) else None


def _kept_measure(
    edit: QuestionEdit, source: Question, where: str, errors: list[str], *, answered: bool
) -> Measure | None:
    """An existing question's measure, changed only where the edit asks and only while its
    template is unanswered: once answered, a new measure would silently rescore old answers
    compared with new ones, so it must be a new question."""
    scale_given = edit.free_text or edit.scale_min is not None or edit.scale_max is not None
    measure: Measure = (
        edit.construct if edit.construct is not None else source.construct,
        (None if edit.free_text else edit.scale_min) if scale_given else source.scale_min,
        (None if edit.free_text else edit.scale_max) if scale_given else source.scale_max,
        edit.reverse_keyed if edit.reverse_keyed is not None else source.reverse_keyed,
        edit.role if edit.role is not None else source.role,
    )
    before = (
        source.construct,
        source.scale_min,
        source.scale_max,
        source.reverse_keyed,
        source.role,
    )
    if measure != before and answered:
        errors.append(
            f"{where}: this version has been answered, so what a question measures, its scale "
            "and its keying cannot change; remove it and add a new question instead."
        )
        return None
    return measure if _measure_ok(measure, where, errors) else None


def _measure_ok(measure: Measure, where: str, errors: list[str]) -> bool:
    construct, scale_min, scale_max, reverse_keyed, role = measure
    count = len(errors)
    verbatim = construct in VERBATIM_CONSTRUCTS
    if verbatim and scale_min is not None:
        errors.append(f"{where}: a {Construct(construct).label.lower()} is answered in free text.")
    if not verbatim:
        if scale_min is None or scale_max is None:
            errors.append(f"{where}: {Construct(construct).label.lower()} needs a scale.")
        elif not SCALE_LOW <= scale_min < scale_max <= SCALE_HIGH:
            errors.append(
                f"{where}: a scale runs from a lower to a higher number, between {SCALE_LOW} "
                f"and {SCALE_HIGH}."
            )
        elif scale_max - scale_min + 1 > SCALE_MAX_POINTS:
            errors.append(f"{where}: a scale has at most {SCALE_MAX_POINTS} points.")
    if reverse_keyed and scale_min is None:
        errors.append(f"{where}: only a scale question can be reverse-keyed.")
    if construct == Construct.ROLE and role not in ROLE_NAMES:
        errors.append(f"{where}: say which of the project manager's roles it is about.")
    if construct != Construct.ROLE and role:
        errors.append(f"{where}: only a role question names a role.")
    return len(errors) == count


def _check_scoring(kind: str, items: list[_Item]) -> list[str]:
    """The kind's key items and one scale per construct, which the results average over."""
    errors: list[str] = []
    for key in KEY_ITEMS.get(kind, []):
        found = [item for item in items if item.construct == key.construct]
        if len(found) != 1:
            errors.append(
                f"A {SurveyKind(kind).label} survey needs {key.what}, once: its score is read "
                "from it."
            )
            continue
        [item] = found
        if (item.scale_min, item.scale_max) != (key.scale_min, key.scale_max):
            errors.append(f"{key.what.capitalize()} must keep its scale.")
        if not item.required:
            errors.append(f"{key.what.capitalize()} must stay required.")
    scales: dict[str, set[tuple[int | None, int | None]]] = {}
    for item in items:
        if item.scale_min is not None:
            scales.setdefault(item.construct, set()).add((item.scale_min, item.scale_max))
    for construct, ranges in sorted(scales.items()):
        if len(ranges) > 1:
            errors.append(
                f"Questions measuring {Construct(construct).label.lower()} are averaged "
                "together, so they must share one scale."
            )
    return errors


def _new_version(
    current: SurveyTemplate,
    header: dict[str, str],
    items: list[_Item],
    *,
    by: User,
    now: Any,
) -> SurveyTemplate:
    """The next version with the revised questions; the current one is superseded first, as
    the database allows one current version per family."""
    current.superseded_at = now
    current.save(update_fields=["superseded_at"])
    template = SurveyTemplate.objects.create(
        family=current.family,
        version=current.version + 1,
        kind=current.kind,
        created_at=now,
        created_by=by,
        **header,
    )
    # One by one rather than in bulk, so that the history records each question.
    for item in items:
        Question.objects.create(template=template, **item.fields())
    return template


def _edit_in_place(
    template: SurveyTemplate,
    header: dict[str, str],
    items: list[_Item],
    removed: set[int],
) -> None:
    changed = [key for key, value in header.items() if getattr(template, key) != value]
    if changed:
        for key in changed:
            setattr(template, key, header[key])
        template.save(update_fields=changed)
    for question in Question.objects.filter(pk__in=removed):
        question.delete()
    moving = [
        item.source.pk
        for item in items
        if item.source is not None and item.source.position != item.position
    ]
    if moving:
        # Positions are unique per template even mid-way, so questions that swap places wait
        # out of the way first.
        Question.objects.filter(pk__in=moving).update(position=F("position") + PARKING)
    for item in items:
        if item.source is None:
            Question.objects.create(template=template, **item.fields())
        elif item.changes():
            for key, value in item.fields().items():
                setattr(item.source, key, value)
            item.source.save(update_fields=list(item.fields()))
