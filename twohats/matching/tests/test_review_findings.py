"""Review findings: each test demonstrated a bug (it failed until the bug was fixed), and now
guards against its return; with them, the cases that must still show the details."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from twohats.alerts.models import Alert, Rule
from twohats.matching.models import PerceivedSimilarity, PersonalityProfile
from twohats.matching.services import profile_erase
from twohats.matching.staffing import solve_optimal
from twohats.people.models import User
from twohats.people.services import api_token_create
from twohats.test import Cast, ContactFactory

pytestmark = pytest.mark.django_db

LOW_PM = {  # a PM low on the three favoured traits
    "extraversion": 50.0,
    "agreeableness": 0.0,
    "conscientiousness": 0.0,
    "emotional_stability": 0.0,
    "intellect": 50.0,
}
PM_WORDS = "below average on conscientiousness"


def staff_profile(user: User, traits: dict[str, float]) -> PersonalityProfile:
    return PersonalityProfile.objects.create(
        user=user,
        source="self",
        instrument="ipip50",
        rated_by=user,
        consent_at=timezone.now(),
        **traits,
    )


def contact_profile(contact, by: User, traits: dict[str, float]) -> PersonalityProfile:  # type: ignore[no-untyped-def]
    return PersonalityProfile.objects.create(
        contact=contact, source="observer", instrument="mini_ipip", rated_by=by, **traits
    )


def api(user: User) -> Browser:
    _, raw = api_token_create(user=user, name="review")
    http = Browser()
    http.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return http


# ─── Access leaks of staff personality ───


def test_staffing_page_shows_pm_trait_words_to_executive(client: Browser, cast: Cast) -> None:
    """The ranking's per-candidate breakdown names the PM's own traits ("the PM below average
    on conscientiousness…", "similar extraversion (N points apart)") to an executive, who may
    not see staff profiles (fit_views._private exists for exactly this but is not used here)."""
    staff_profile(cast.owner, LOW_PM)
    contact_profile(cast.contact, cast.owner, LOW_PM)
    client.force_login(cast.executive)
    response = client.get(reverse("matching_staffing:project", args=[cast.project.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert PM_WORDS not in text
    assert "points apart" not in text


def test_fit_api_reveals_other_practice_pm_traits_to_director(cast: Cast) -> None:
    """GET /matching/fit lets a director (or an executive) ask about ANY active user and returns
    every trait's distance in words and points: with the contact's profile (which they may see)
    the PM's Big Five can be reconstructed. `outsider` is in another practice."""
    staff_profile(cast.outsider, LOW_PM)
    contact_profile(cast.contact, cast.owner, LOW_PM)
    assert not PersonalityProfile.objects.visible_to(cast.director).filter(user=cast.outsider)
    url = f"/api/v1/matching/fit?pm={cast.outsider.pk}&contact={cast.contact.pk}"
    response = api(cast.director).get(url)
    if response.status_code == 200:
        names = [p["name"] for p in response.json()["parts"]]
        assert not any(n.startswith("trait_similarity.") or n == "pm_levels" for n in names)


def test_fit_api_reveals_pm_traits_to_executive(cast: Cast) -> None:
    staff_profile(cast.owner, LOW_PM)
    contact_profile(cast.contact, cast.owner, LOW_PM)
    url = f"/api/v1/matching/fit?pm={cast.owner.pk}&contact={cast.contact.pk}"
    response = api(cast.executive).get(url)
    if response.status_code == 200:
        assert PM_WORDS not in response.content.decode()
        assert "points apart" not in response.content.decode()


def test_person_fit_weakest_part_reveals_pm_levels_to_executive(
    client: Browser, cast: Cast
) -> None:
    """The PM page's "what costs the most" column shows `pm_levels` in words ("the PM below
    average on conscientiousness, agreeableness and stability"), a function of the PM's own
    traits alone, to executives, although the same page hides the profile from them."""
    staff_profile(cast.owner, LOW_PM)
    cast.client.primary_contact = cast.contact
    cast.client.save()
    contact_profile(cast.contact, cast.owner, LOW_PM)
    client.force_login(cast.executive)
    response = client.get(reverse("fit:person", args=[cast.owner.pk]))
    assert response.status_code == 200
    assert PM_WORDS not in response.content.decode()


def test_fit_api_names_pm_traits_to_their_director_and_themself(cast: Cast) -> None:
    staff_profile(cast.owner, LOW_PM)
    contact_profile(cast.contact, cast.owner, LOW_PM)
    url = f"/api/v1/matching/fit?pm={cast.owner.pk}&contact={cast.contact.pk}"
    for who in (cast.director, cast.owner):
        names = [p["name"] for p in api(who).get(url).json()["parts"]]
        assert "pm_levels" in names and "personality" not in names
    executive = api(cast.executive).get(url).json()
    assert "personality" in [p["name"] for p in executive["parts"]]
    # Folding keeps the score: the points still add up.
    assert executive["score"] == api(cast.director).get(url).json()["score"]


def test_fit_api_other_practice_pm_is_not_found_for_a_director(cast: Cast) -> None:
    url = f"/api/v1/matching/fit?pm={cast.outsider.pk}&contact={cast.contact.pk}"
    assert api(cast.director).get(url).status_code == 404


def test_staffing_page_names_pm_traits_to_their_director(client: Browser, cast: Cast) -> None:
    staff_profile(cast.owner, LOW_PM)
    contact_profile(cast.contact, cast.owner, LOW_PM)
    client.force_login(cast.director)
    response = client.get(reverse("matching_staffing:project", args=[cast.project.pk]))
    assert PM_WORDS in response.content.decode()


def test_candidates_api_folds_pm_traits_for_an_executive(cast: Cast) -> None:
    staff_profile(cast.owner, LOW_PM)
    contact_profile(cast.contact, cast.owner, LOW_PM)
    url = f"/api/v1/matching/projects/{cast.project.pk}/candidates"
    body = api(cast.executive).get(url).json()
    [owner] = [c for c in body["candidates"] if c["pm"] == cast.owner.pk]
    names = [p["name"] for p in owner["breakdown"]["parts"]]
    assert "personality" in names and "pm_levels" not in names
    assert PM_WORDS not in str(body) and "points apart" not in str(body)


# ─── Continuity alert: PM traits in evidence, visible to teammates, and kept after erasure ───


def _continuity_alert(cast: Cast) -> Alert:
    from twohats.clients.services import continuity_evaluate

    cast.owner.capacity_hours = Decimal(40)
    cast.owner.save()
    cast.project.pm_hours_per_week = Decimal(40)
    cast.project.save()
    staff_profile(cast.owner, dict.fromkeys(LOW_PM, 0.0))
    new_rep = ContactFactory.create(client=cast.client)
    contact_profile(new_rep, cast.owner, dict.fromkeys(LOW_PM, 100.0))
    cast.client.primary_contact = cast.contact
    cast.client.save()
    cast.client.primary_contact = new_rep
    cast.client.save()
    continuity_evaluate([cast.client.pk])
    alert = Alert.objects.filter(rule=Rule.CONTINUITY, client=cast.client).first()
    assert alert is not None, "setup: the continuity alert should open"
    return alert


def test_continuity_alert_evidence_shows_lead_traits_to_teammate(cast: Cast) -> None:
    """The alert's evidence names the lead's own traits ("the PM below average on
    conscientiousness…"), and the alert is visible to anyone who sees the client (a teammate
    PM, executives)."""
    alert = _continuity_alert(cast)
    parts = " ".join(alert.evidence.get("fit_parts", []))
    visible = Alert.objects.visible_to(cast.teammate).filter(pk=alert.pk).exists()
    assert not (visible and PM_WORDS in parts), parts


def test_erasure_leaves_trait_words_in_continuity_alert(cast: Cast) -> None:
    alert = _continuity_alert(cast)
    profile_erase(by=cast.owner, user=cast.owner)
    alert.refresh_from_db()
    parts = " ".join(alert.evidence.get("fit_parts", []))
    assert PM_WORDS not in parts and "personality" not in parts, parts


# ─── Erasure ───


def test_erasure_leaves_perceived_similarity_of_the_person(cast: Cast) -> None:
    staff_profile(cast.owner, LOW_PM)
    PerceivedSimilarity.objects.create(pm=cast.owner, contact=cast.contact, rater="pm", value=6)
    erasure = profile_erase(by=cast.owner, user=cast.owner)
    assert not PerceivedSimilarity.objects.filter(pm=cast.owner).exists()
    assert erasure.similarities == 1


def test_erasing_a_contact_erases_their_perceived_similarity(cast: Cast) -> None:
    PerceivedSimilarity.objects.create(pm=cast.owner, contact=cast.contact, rater="pm", value=6)
    PerceivedSimilarity.objects.create(
        pm=cast.teammate, contact=cast.contact, rater="contact", value=3
    )
    erasure = profile_erase(by=cast.owner, contact=cast.contact)
    assert not PerceivedSimilarity.objects.filter(contact=cast.contact).exists()
    assert erasure.similarities == 2


# ─── Optimiser ───


def test_optimiser_misses_a_feasible_small_project() -> None:
    """A PM with 10 h free can take the 5 h project, but the slot is the median load (20 h),
    so they get 0 slots and the project stays open, 'given to a better fit' that does not
    exist."""
    score = np.array([[80.0, 80.0, 80.0]])
    feasible = np.ones((1, 3), dtype=bool)
    free = np.array([10.0])
    loads = np.array([5.0, 20.0, 20.0])
    solution = solve_optimal(score, feasible, free, loads)
    assert solution.pm_of[0] == 0
