"""Calibration of the fit weights: a planted effect is found, no effect is said plainly, too
few pairs propose nothing; the command proposes an inactive version an admin accepts."""

from __future__ import annotations

import datetime as dt
import io
import random

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client as WebClient

from twohats.clients.models import Client
from twohats.health.models import HealthPolicy, HealthSnapshot
from twohats.matching.calibration import COLUMNS, MIN_PAIRS, calibrate, evaluate, past_pairs
from twohats.matching.models import FitPolicy, PersonalityProfile
from twohats.matching.policy import PERSONALITY_PARTS, FitConfig
from twohats.matching.services import fit_policy_accept
from twohats.people.models import Role
from twohats.projects.models import ProjectStatus
from twohats.test import ClientFactory, ContactFactory, ProjectFactory, UserFactory

TODAY = dt.date(2026, 6, 1)
TRAIT = COLUMNS.index("trait_similarity.extraversion")
CLIENT = COLUMNS.index("client_experience")


def synthetic(n: int, effect: float, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, len(COLUMNS)))
    y = effect * x[:, TRAIT] + 0.4 * x[:, CLIENT] + rng.normal(0, 0.5, n)
    return x, y


def personality_share(weights: dict[str, float]) -> float:
    return 100 * sum(weights[p] for p in PERSONALITY_PARTS) / sum(weights.values())


def test_it_finds_a_planted_effect_and_proposes_more_weight_for_personality() -> None:
    x, y = synthetic(200, effect=0.6)
    current = FitConfig()
    result = evaluate(x, y, current=current)
    assert result.gain is not None and result.gain.low > 0
    assert result.effect
    assert result.proposed is not None
    assert sum(result.proposed.values()) == pytest.approx(100, abs=0.5)
    assert result.proposed["prior_outcomes"] == current.weights["prior_outcomes"]
    assert result.proposed["workload"] == current.weights["workload"]
    assert personality_share(result.proposed) > personality_share(current.weights)
    assert result.proposed["trait_similarity"] > current.weights["trait_similarity"]
    assert "explains part of the outcomes" in result.verdict
    # Within trait similarity, the weight goes to the one trait that matters.
    traits = result.proposed_traits
    assert traits is not None and max(traits, key=lambda t: traits[t]) == "extraversion"
    assert traits["extraversion"] > 2 and sum(traits.values()) == pytest.approx(5, abs=0.05)
    assert "Within trait similarity the weight goes to extraversion" in result.verdict
    FitConfig.model_validate(
        {**current.model_dump(), "weights": result.proposed, "trait_weights": traits}
    )


def test_it_says_plainly_when_the_data_show_no_effect() -> None:
    x, y = synthetic(200, effect=0.0)
    result = evaluate(x, y, current=FitConfig())
    assert result.gain is not None and result.gain.low <= 0
    assert result.verdict.startswith("The data show no effect of personality on outcomes")
    assert "keep personality weights modest" in result.verdict
    assert result.proposed is None


def test_it_is_the_same_every_run() -> None:
    x, y = synthetic(120, effect=0.3)
    first, second = evaluate(x, y, current=FitConfig()), evaluate(x, y, current=FitConfig())
    assert first.gain == second.gain and first.proposed == second.proposed


def test_it_says_so_when_there_are_too_few_pairs() -> None:
    x, y = synthetic(MIN_PAIRS - 1, effect=1.0)
    result = evaluate(x, y, current=FitConfig())
    assert result.verdict.startswith("Too few past pairs")
    assert result.proposed is None and result.gain is None


def traits(rng: random.Random) -> dict[str, float]:
    """Alike on every trait but extraversion."""
    return {"extraversion": round(rng.uniform(20, 90), 1)} | dict.fromkeys(
        ("agreeableness", "conscientiousness", "emotional_stability", "intellect"), 55.0
    )


def planted(n: int, effect: float) -> None:
    """n past pairs, each a client of its own, whose relationship health follows (with
    `effect`) the similarity of the PM and the primary contact on extraversion."""
    rng = random.Random(7)
    policy = HealthPolicy.objects.active()
    pms = [UserFactory.create() for _ in range(8)]
    for pm in pms:
        PersonalityProfile.objects.create(
            user=pm,
            source="self",
            instrument="ipip50",
            consent_at=dt.datetime.now(dt.UTC),
            **traits(rng),
        )
    for k in range(n):
        pm = pms[k % len(pms)]
        client = ClientFactory.create(account_lead=pm)
        contact = ContactFactory.create(client=client)
        Client.objects.filter(pk=client.pk).update(primary_contact=contact)
        found = traits(rng)
        PersonalityProfile.objects.create(
            contact=contact, source="observer", instrument="mini_ipip", **found
        )
        project = ProjectFactory.create(
            client=client,
            manager=pm,
            status=ProjectStatus.COMPLETED,
            start_date=dt.date(2025, 1, 6),
            end_date=dt.date(2025, 12, 19),
        )
        mine = pm.personality_profiles.get().extraversion
        similar = 1 - abs(mine - found["extraversion"]) / 25
        HealthSnapshot.objects.create(
            date=dt.date(2025, 6, 2),
            client=client,
            project=project,
            policy=policy,
            band="green",
            relationship=60 + effect * similar + rng.gauss(0, 5),
        )


@pytest.mark.django_db
def test_it_recovers_a_planted_effect_from_the_database_and_proposes_it() -> None:
    planted(90, effect=30)
    pairs = past_pairs(policy=FitConfig(), today=TODAY)
    assert len(pairs.project_ids) == 90 and pairs.without_profile == 0
    result = calibrate(policy=FitConfig(), today=TODAY)
    assert result.effect and result.gain is not None and result.gain.low > 0

    out = io.StringIO()
    call_command("fit", "calibrate", "--propose", stdout=out)
    said = out.getvalue()
    assert "Past pairs with an outcome: 90" in said
    assert "Gain from personality" in said
    assert "/matching/policy/" in said
    proposed = FitPolicy.objects.get(version=2)
    assert not proposed.active
    assert FitPolicy.objects.active().version == 1
    assert "gain in R²" in proposed.note
    traits = proposed.config["trait_weights"]
    assert max(traits, key=lambda t: traits[t]) == "extraversion"
    assert "Within trait similarity" in said
    assert personality_share(proposed.config["weights"]) > personality_share(FitConfig().weights)

    with pytest.raises(PermissionDenied):
        fit_policy_accept(policy=proposed, by=UserFactory.create(role=Role.DIRECTOR))
    admin = UserFactory.create(role=Role.ADMIN)
    fit_policy_accept(policy=proposed, by=admin)
    assert FitPolicy.objects.active().version == 2


@pytest.mark.django_db
def test_it_proposes_nothing_without_an_effect() -> None:
    planted(60, effect=0)
    out = io.StringIO()
    call_command("fit", "calibrate", "--propose", stdout=out)
    assert "The data show no effect of personality" in out.getvalue()
    assert "Nothing to propose" in out.getvalue()
    assert FitPolicy.objects.count() == 1


@pytest.mark.django_db
def test_the_command_says_so_when_there_are_too_few_pairs() -> None:
    planted(3, effect=12)
    out = io.StringIO()
    call_command("fit", "calibrate", "--propose", stdout=out)
    assert "Too few past pairs to calibrate: 3" in out.getvalue()
    assert FitPolicy.objects.count() == 1


def login(username: str, role: str) -> WebClient:
    web = WebClient()
    web.force_login(UserFactory.create(username=username, role=role))
    return web


@pytest.mark.django_db
def test_the_policy_page_is_for_admins_only() -> None:
    from twohats.matching.services import fit_policy_propose

    proposed = fit_policy_propose(
        config={**FitConfig().model_dump()}, by=None, note="Calibrated on 90 past pairs."
    )
    admin = login("admin", Role.ADMIN)
    response = admin.get("/matching/policy/")
    assert response.status_code == 200
    assert b"Calibrated on 90 past pairs." in response.content
    assert b"Accept version 2" in response.content
    assert b'data-testid="trait-weights"' in response.content
    assert b"extraversion" in response.content
    for name, role in (("pm", Role.PM), ("dir", Role.DIRECTOR), ("exec", Role.EXECUTIVE)):
        other = login(name, role)
        assert other.get("/matching/policy/").status_code == 403
        assert other.post(f"/matching/policy/{proposed.version}/accept/").status_code == 403
    assert FitPolicy.objects.active().version == 1
    response = admin.post(f"/matching/policy/{proposed.version}/accept/")
    assert response.status_code == 302
    assert FitPolicy.objects.active().version == 2
    assert WebClient().get("/matching/policy/").status_code == 302
