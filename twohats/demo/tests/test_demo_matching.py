"""The demo's profiles and its known effect of fit on outcomes."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest

from twohats.clients.models import Client
from twohats.demo.context import ClientPlan, Context, ProjectPlan, Staff
from twohats.demo.matching import answer_sheet, build_matching, latent, shift_moods
from twohats.demo.scale import Scale
from twohats.demo.writer import Writer
from twohats.matching.calibration import combine, evaluate, features_of
from twohats.matching.fit import Facts
from twohats.matching.instruments import IPIP_50, MINI_IPIP_OBSERVER, TRAITS, score
from twohats.matching.models import PersonalityProfile, ProfileAnswer
from twohats.matching.policy import FitConfig
from twohats.test import ClientFactory, ContactFactory, UserFactory


def staff(index: int, pk: int = 0) -> Staff:
    return Staff(index, f"pm{index}", "pm", 0, "A", "B", "Europe/London", id=pk)


def client_plan(index: int, lead: Staff, projects: list[Staff], pk: int = 0) -> ClientPlan:
    plan = ClientPlan(
        index=index,
        name=f"C{index}",
        industry="aerospace",
        practice=0,
        tier="key",
        status="active",
        lead=lead,
        locale="en_GB",
        city="Bristol",
        country="GB",
        time_zone="Europe/London",
        start=738000,
        end=738700,
        mood=0.4,
        contacts_n=1,
        projects_n=len(projects),
        id=pk,
    )
    plan.projects = [
        ProjectPlan("s", f"p{k}", "completed", 738000, 738300, manager, [], 100_000, "fixed_price")
        for k, manager in enumerate(projects)
    ]
    return plan


def test_answer_sheets_score_back_to_the_traits_they_were_drawn_from() -> None:
    rng = random.Random(1)
    drawn = [latent(rng) for _ in range(200)]
    for instrument in (IPIP_50, MINI_IPIP_OBSERVER):
        scored = [score(instrument, answer_sheet(rng, t, instrument)) for t in drawn]
        for trait in TRAITS:
            r = np.corrcoef([t[trait] for t in drawn], [s[trait] for s in scored])[0, 1]
            assert r > 0.8, (instrument.code, trait, r)


def test_the_demo_effect_is_recovered_by_the_calibration() -> None:
    """The demo's own generating functions on 400 synthetic pairs: the projects' mood (what
    their interactions and surveys follow) plus noise as the outcome, measured profiles as the
    features. The calibration finds a positive gain from personality and, within trait
    similarity, puts the weight on extraversion and agreeableness, the traits the effect
    lives on."""
    rng = random.Random(5)
    pms = [staff(k) for k in range(40)]
    clients = [
        client_plan(k, pms[k % 40], [pms[k % 40], pms[(k * 7 + 3) % 40]]) for k in range(200)
    ]
    pm_traits = {pm.index: latent(rng) for pm in pms}
    reps = {c.index: latent(rng) for c in clients}
    before = [c.mood for c in clients]
    shift_moods(clients, pm_traits, reps)
    assert before != [c.mood for c in clients]
    assert all(c.projects[0].mood == 0 for c in clients)  # the lead's project: the account's
    measured_pm = {k: score(IPIP_50, answer_sheet(rng, t, IPIP_50)) for k, t in pm_traits.items()}
    measured_rep = {
        k: score(MINI_IPIP_OBSERVER, answer_sheet(rng, t, MINI_IPIP_OBSERVER))
        for k, t in reps.items()
    }
    pairs = [(c, p) for c in clients for p in c.projects]
    outcome = np.array([c.mood + p.mood + rng.gauss(0, 0.8) for c, p in pairs])
    n = len(pairs)
    facts = Facts(
        pm_traits=np.array([[measured_pm[p.manager.index][t] for t in TRAITS] for _, p in pairs]),
        contact_traits=np.array([[measured_rep[c.index][t] for t in TRAITS] for c, _ in pairs]),
        perceived=np.full(n, np.nan),
        client_projects=np.array([float(k) for c in clients for k in range(len(c.projects))]),
        industry_projects=np.zeros(n),
        prior_health=np.full(n, np.nan),
        prior_nps=np.full(n, np.nan),
        utilisation=np.full(n, np.nan),
    )
    result = evaluate(features_of(facts, FitConfig()), combine(outcome), current=FitConfig())
    assert result.gain is not None and result.gain.r2 > 0 and result.gain.low > 0
    assert result.coefficients["trait_similarity"] > 0
    traits = result.proposed_traits
    assert traits is not None
    assert sorted(traits, key=lambda t: -traits[t])[:2] == ["extraversion", "agreeableness"]
    assert traits["extraversion"] + traits["agreeableness"] > 0.75 * sum(traits.values())


@pytest.mark.django_db
def test_it_stores_profiles_with_their_answer_sheets() -> None:
    pm, other = UserFactory.create(), UserFactory.create()
    plans = []
    for k in range(4):
        client = ClientFactory.create(account_lead=pm)
        contact = ContactFactory.create(client=client)
        Client.objects.filter(pk=client.pk).update(primary_contact=contact)
        lead = staff(0, pm.pk)
        plan = client_plan(k, lead, [lead, staff(1, other.pk)], pk=client.pk)
        plan.contact_ids = [contact.pk]
        plans.append(plan)
    ctx = Context(scale=Scale(10), seed=3, writer=Writer(progress=False, out=io.StringIO()))
    ctx.staff = [plans[0].lead, plans[0].projects[1].manager]
    ctx.clients = plans
    build_matching(ctx)
    profiles = PersonalityProfile.objects.all()
    assert profiles.filter(contact__isnull=False).count() == 4
    assert profiles.filter(user__isnull=False, consent_at__isnull=False).count() >= 1
    for profile in profiles:
        instrument = IPIP_50 if profile.user_id else MINI_IPIP_OBSERVER
        sheet = dict(ProfileAnswer.objects.filter(profile=profile).values_list("item", "value"))
        assert len(sheet) == len(instrument.items)
        assert score(instrument, sheet) == pytest.approx(profile.traits)
