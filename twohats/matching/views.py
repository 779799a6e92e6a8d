"""The profile pages: my own (the IPIP-50, kept with my consent), a contact's (a PM's Mini-IPIP
rating, recorded as the rater's judgement), a staff member's for their director and admins, and
the admins' list of erasures. None of it is ever on a page a client sees."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from twohats.clients.models import Contact
from twohats.interactions.models import Interaction
from twohats.matching.forms import EraseForm, QuestionnaireForm, SimilarityForm, StyleForm
from twohats.matching.instruments import INSTRUMENTS, IPIP_50, MINI_IPIP_OBSERVER, TRAIT_LABELS
from twohats.matching.models import (
    Erasure,
    PerceivedSimilarity,
    PersonalityProfile,
    Source,
    WorkingStyle,
)
from twohats.matching.services import (
    perceived_similarity_record,
    profile_erase,
    profile_record_contact,
    profile_record_self,
    working_style_set,
)
from twohats.people.models import User
from twohats.web import add_errors, get_visible, paginate, user_of

# Who sees a staff member's profile, in the words of the pages.
STAFF_AUDIENCE = "you, your practice director and administrators; not executives, never clients"


def staff_visible_to(viewer: User) -> QuerySet[User]:
    """The staff members whose profiles `viewer` may see besides their own: everyone for an
    admin, the members of the practices a director leads, nobody for anyone else (executives
    included). The same rule as `PersonalityProfile.objects.visible_to`."""
    if viewer.is_admin:
        return User.objects.all()
    if viewer.is_director:
        return User.objects.filter(practice__lead=viewer)
    return User.objects.none()


def contact_rateable(viewer: User, contact: Contact) -> bool:
    return Contact.objects.editable_by(viewer).filter(pk=contact.pk).exists()


def worked_together(viewer: User, contact: Contact) -> bool:
    """Whether the two have met in an interaction: before then, perceived similarity is a
    guess."""
    return (
        Interaction.objects.filter(contacts=contact)
        .filter(Q(logged_by=viewer) | Q(staff=viewer))
        .exists()
    )


def profile_context(profile: PersonalityProfile | None) -> dict[str, Any]:
    if profile is None:
        return {"profile": None}
    bars = [
        {"name": name, "label": TRAIT_LABELS[name], "value": value}
        for name, value in profile.traits.items()
    ]
    instrument = INSTRUMENTS.get(profile.instrument)
    return {
        "profile": profile,
        "bars": bars,
        "instrument_name": instrument.name if instrument else profile.instrument,
        "is_self_report": profile.source == Source.SELF,
    }


def latest_profile(**person: Any) -> PersonalityProfile | None:
    return PersonalityProfile.objects.current().filter(**person).select_related("rated_by").first()


def style_of(**person: Any) -> WorkingStyle | None:
    return WorkingStyle.objects.filter(**person).first()


# ---------------------------------------------------------------------------------------------
# My profile


@login_required
def my_profile(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form = QuestionnaireForm(request.POST or None, instrument=IPIP_50, consent=True)
    if request.method == "POST" and form.is_valid():
        try:
            profile_record_self(
                user=user, answers=form.answers(), consent=form.cleaned_data["consent"]
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Your answers were scored and your profile saved.")
            return redirect("matching:me")
    style = style_of(user=user)
    context = profile_context(latest_profile(user=user)) | {
        "form": form,
        "style": style,
        "style_form": StyleForm(initial={"tags": style.tags if style else []}),
        "audience": STAFF_AUDIENCE,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "matching/profile_me.html", context, status=status)


@login_required
@require_POST
def my_style(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form = StyleForm(request.POST)
    if form.is_valid():
        working_style_set(by=user, user=user, tags=form.cleaned_data["tags"])
        messages.success(request, "Your working style was saved.")
    else:
        messages.error(request, "Choose working-style tags from the list.")
    return redirect("matching:me")


@login_required
def my_erase(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    return _erase_page(
        request,
        whose="your",
        erase=lambda: profile_erase(by=user, user=user),
        cancel_url=reverse("matching:me"),
    )


# ---------------------------------------------------------------------------------------------
# A staff member's profile, for their director and admins


def _person(request: HttpRequest, pk: int) -> User:
    return get_object_or_404(staff_visible_to(user_of(request)).select_related("practice"), pk=pk)


@login_required
def person_profile(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = user_of(request)
    if viewer.pk == pk:
        return redirect("matching:me")
    person = _person(request, pk)
    context = profile_context(latest_profile(user=person)) | {
        "person": person,
        "whose_answers": f"{person}’s own answers",
        "style": style_of(user=person),
        "can_erase": viewer.is_admin,
        "audience": STAFF_AUDIENCE,
    }
    return render(request, "matching/profile_person.html", context)


@login_required
def person_erase(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = user_of(request)
    person = _person(request, pk)
    if not viewer.is_admin:
        raise PermissionDenied("Only an administrator erases a staff member's profile.")
    return _erase_page(
        request,
        whose=f"{person}’s",
        erase=lambda: profile_erase(by=viewer, user=person),
        cancel_url=reverse("matching:person", args=[person.pk]),
    )


# ---------------------------------------------------------------------------------------------
# A contact's profile


def _contact_context(request: HttpRequest, contact: Contact) -> dict[str, Any]:
    viewer = user_of(request)
    can_rate = contact_rateable(viewer, contact)
    can_record_similarity = can_rate and worked_together(viewer, contact)
    similarity = None
    if can_record_similarity:
        similarity = PerceivedSimilarity.objects.filter(
            pm=viewer, contact=contact, rater=PerceivedSimilarity.Rater.PM
        ).first()
    style = style_of(contact=contact)
    return profile_context(latest_profile(contact=contact)) | {
        "contact": contact,
        "can_rate": can_rate,
        "can_erase": can_rate,
        "can_record_similarity": can_record_similarity,
        "similarity": similarity,
        "similarity_form": SimilarityForm(initial={"value": similarity.value if similarity else 4}),
        "style": style,
        "style_form": StyleForm(initial={"tags": style.tags if style else []}),
    }


def _contact_for_rating(request: HttpRequest, pk: int) -> Contact:
    contact = get_visible(Contact, request, pk, "client")
    if not contact_rateable(user_of(request), contact):
        raise PermissionDenied("You may see this contact but not rate them.")
    return contact


@login_required
def contact_profile(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_visible(Contact, request, pk, "client")
    form = None
    if request.method == "POST":
        contact = _contact_for_rating(request, pk)
        form = QuestionnaireForm(request.POST, instrument=MINI_IPIP_OBSERVER)
        if form.is_valid():
            try:
                profile_record_contact(contact=contact, by=user_of(request), answers=form.answers())
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, f"Your rating of {contact.name} was saved.")
                return redirect("matching:contact", pk=contact.pk)
    context = _contact_context(request, contact)
    if context["can_rate"]:
        context["form"] = form or QuestionnaireForm(instrument=MINI_IPIP_OBSERVER)
    status = 400 if request.method == "POST" else 200
    return render(request, "matching/profile_contact.html", context, status=status)


@login_required
@require_POST
def contact_style(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact_for_rating(request, pk)
    form = StyleForm(request.POST)
    if form.is_valid():
        working_style_set(by=user_of(request), contact=contact, tags=form.cleaned_data["tags"])
        messages.success(request, f"{contact.name}’s working style was saved.")
    else:
        messages.error(request, "Choose working-style tags from the list.")
    return redirect("matching:contact", pk=contact.pk)


@login_required
@require_POST
def contact_similarity(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact_for_rating(request, pk)
    viewer = user_of(request)
    if not worked_together(viewer, contact):
        raise PermissionDenied("Perceived similarity is recorded once you have worked together.")
    form = SimilarityForm(request.POST)
    if form.is_valid():
        perceived_similarity_record(
            pm=viewer,
            contact=contact,
            rater=PerceivedSimilarity.Rater.PM,
            value=form.cleaned_data["value"],
        )
        messages.success(request, "Your view of how alike you are was saved.")
    else:
        messages.error(request, "Choose how alike you are, from 1 to 7.")
    return redirect("matching:contact", pk=contact.pk)


@login_required
def contact_erase(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact_for_rating(request, pk)
    viewer = user_of(request)
    return _erase_page(
        request,
        whose=f"{contact.name}’s",
        erase=lambda: profile_erase(by=viewer, contact=contact),
        cancel_url=reverse("matching:contact", args=[contact.pk]),
    )


# ---------------------------------------------------------------------------------------------
# Erasure


def _erase_page(request: HttpRequest, *, whose: str, erase: Any, cancel_url: str) -> HttpResponse:
    """A confirmation page; on a confirmed POST, erase and go back."""
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        erasure: Erasure = erase()
        messages.success(
            request,
            f"Erased: {erasure.profiles} profile{'s' if erasure.profiles != 1 else ''} and "
            f"{erasure.answers} answers. A record of the erasure (who, when, whose) is kept.",
        )
        return redirect(cancel_url)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "whose": whose, "cancel_url": cancel_url}
    return render(request, "matching/profile_erase.html", context, status=status)


@login_required
def erasure_list(request: HttpRequest) -> HttpResponse:
    if not user_of(request).is_admin:
        raise Http404("No such page.")
    page = paginate(request, Erasure.objects.select_related("erased_by"))
    # Name whose profile went, in two queries for the whole page.
    ids: dict[str, set[int]] = {"user": set(), "contact": set()}
    for erasure in page.object_list:
        kind, _, pk = erasure.subject.partition(":")
        if kind in ids and pk.isdigit():
            ids[kind].add(int(pk))
    names = {f"user:{u.pk}": str(u) for u in User.objects.filter(pk__in=ids["user"])}
    names |= {
        f"contact:{c.pk}": f"{c.name} ({c.client})"
        for c in Contact.objects.filter(pk__in=ids["contact"]).select_related("client")
    }
    rows = [(erasure, names.get(erasure.subject, "")) for erasure in page.object_list]
    return render(request, "matching/erasures.html", {"page": page, "rows": rows})
