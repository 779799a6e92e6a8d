"""The fit partials the contact and person pages load after they have shown: on a contact's
page, their profile, their fit with the account lead and the PMs who would fit them best; on a
PM's page, the clients where their fit with the representative is weakest. Each partial runs a
constant number of queries (fit matrices, not a loop over pairs)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from twohats.alerts.continuity import (
    Alternative,
    PartPoints,
    account_loads,
    best_alternatives,
    candidate_pms,
    conflicts,
    weakest_part,
)
from twohats.clients.models import Client, ClientStatus, Contact
from twohats.health.selectors import pms_visible_to
from twohats.matching.fit import Fit, Part
from twohats.matching.instruments import TRAIT_LABELS, TRAITS
from twohats.matching.models import FitPolicy, PersonalityProfile, WorkingStyle
from twohats.matching.privacy import fold_unless_seen, sees_profile_of
from twohats.matching.selectors import explain_pair, fit_matrix
from twohats.matching.views import profile_context
from twohats.people.models import User
from twohats.web import get_visible, user_of


def _shown(fit: Fit) -> list[Part]:
    """The parts worth a point or more, largest first."""
    return sorted((p for p in fit.parts if round(p.points)), key=lambda p: -abs(p.points))


@login_required
def contact_fit(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = user_of(request)
    contact = get_visible(Contact, request, pk, "client", "client__account_lead")
    client: Client = contact.client
    lead: User = client.account_lead
    policy = FitPolicy.objects.active().rules
    profiles = PersonalityProfile.objects.visible_to(viewer).current()
    profile = profiles.filter(contact=contact).select_related("rated_by").first()
    # The parts that read the lead's own traits, one by one, only for those who may see the
    # lead's profile (the lead, their director, admins): one "personality" part for the others.
    fit = fold_unless_seen(explain_pair(lead, contact, policy), viewer, lead)
    alternatives: list[Alternative] | None = None
    # Who else could lead the account is a staffing question: for those who staff (directors,
    # executives, administrators), among the PMs they may see.
    if viewer.sees_everything or viewer.is_director:
        names = candidate_pms(pms_visible_to(viewer))
        names.pop(lead.pk, None)
        matrix = fit_matrix(
            list(names), [contact.pk], policy, hours=[account_loads([client.pk]).get(client.pk, 0)]
        )
        alternatives = best_alternatives(
            matrix, 0, names=names, client_id=client.pk, blocked=conflicts([client.pk])
        )
    context = {
        "contact": contact,
        "lead": lead,
        "profile": profile,
        "traits": [(TRAIT_LABELS[t], profile.traits[t]) for t in TRAITS] if profile else [],
        "fit": fit,
        "parts": _shown(fit),
        "threshold": policy.continuity_threshold,
        "alternatives": alternatives,
    }
    return render(request, "matching/fit_contact.html", context)


@dataclass
class WeakFit:
    client_id: int
    client_name: str
    contact_id: int | None
    contact_name: str
    score: float | None
    weakest: PartPoints | None


@login_required
def person_fit(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = user_of(request)
    someone = get_object_or_404(pms_visible_to(viewer), pk=pk)
    rows = list(
        Client.objects.visible_to(viewer)
        .filter(archived_at__isnull=True)
        .exclude(status=ClientStatus.FORMER)
        .filter(Q(account_lead=someone) | Q(pk__in=someone.managed_projects.values("client_id")))
        .values(
            "id",
            "name",
            "primary_contact_id",
            "primary_contact__first_name",
            "primary_contact__last_name",
        )
        .order_by("name", "id")
    )
    reps = sorted({r["primary_contact_id"] for r in rows if r["primary_contact_id"]})
    policy = FitPolicy.objects.active().rules
    matrix = fit_matrix([someone.pk], reps, policy) if reps else None
    # The person, their director and admins may see the PM's profile; for everyone else the
    # parts that read the PM's own traits count as one "personality" part.
    may_see_profile = sees_profile_of(viewer, someone)
    fits = []
    for r in rows:
        rep = r["primary_contact_id"]
        name = f"{r['primary_contact__first_name'] or ''} {r['primary_contact__last_name'] or ''}"
        j = reps.index(rep) if rep else None
        fits.append(
            WeakFit(
                r["id"],
                r["name"],
                rep,
                name.strip(),
                round(float(matrix.score[0, j]), 1) if matrix and j is not None else None,
                weakest_part(matrix, 0, j, private=not may_see_profile)
                if matrix and j is not None
                else None,
            )
        )
    fits.sort(key=lambda f: (f.score is None, f.score or 0.0, f.client_name))
    # The PM's own profile and working style, for those who may see them (the person, their
    # director, admins): everyone else sees only the fits.
    profile = (
        PersonalityProfile.objects.visible_to(viewer)
        .current()
        .filter(user=someone)
        .select_related("rated_by")
        .first()
    )
    style = WorkingStyle.objects.filter(user=someone).first() if may_see_profile else None
    context = {
        "person": someone,
        "fits": fits,
        "threshold": policy.continuity_threshold,
        "may_see_profile": may_see_profile,
        "style": style,
        "is_self": viewer.pk == someone.pk,
        **profile_context(profile),
    }
    return render(request, "matching/fit_person.html", context)
