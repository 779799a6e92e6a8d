"""The fit model on worked pairs: each part's formula, the points adding up to the score,
missing data left out and said, and the matrix path agreeing with the one-pair path."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twohats.matching.fit import PairFacts, explain, part_values, scores
from twohats.matching.instruments import TRAITS
from twohats.matching.policy import FitConfig, parse

POLICY = FitConfig()


def traits(e: float, a: float, c: float, s: float, i: float) -> dict[str, float]:
    return dict(zip(TRAITS, (e, a, c, s, i), strict=True))


PM = traits(70, 60, 80, 65, 55)
CONTACT = traits(65, 10, 75, 50, 60)


def test_each_part_follows_its_documented_formula() -> None:
    pair = PairFacts(
        PM,
        CONTACT,
        perceived=5.5,
        client_projects=1,
        industry_projects=7,
        prior_health=72,
        prior_nps=9,
        utilisation=0.9,
    )
    values = {k: float(v) for k, v in part_values(pair.as_facts(), POLICY).items()}
    # Differences 5, 50, 5, 15, 5 against 25: 0.8, -1 (clipped), 0.8, 0.4, 0.8; mean 0.36.
    assert values["trait_similarity"] == pytest.approx(0.36)
    # z-differences (sd 15): 1/3, 10/3, 1/3, 1, 1/3; distance √(4/9·… ) computed here by hand.
    distance = math.sqrt(3 * (1 / 3) ** 2 + (10 / 3) ** 2 + 1)
    assert values["profile_distance"] == pytest.approx(1 - distance / math.sqrt(10))
    # (5.5 − 4) / 3
    assert values["perceived_similarity"] == pytest.approx(0.5)
    # z of C, A, S: 2, 2/3, 1; mean 11/9, halved 11/18.
    assert values["pm_levels"] == pytest.approx(11 / 18)
    assert values["client_experience"] == pytest.approx(1 / 3)
    assert values["industry_experience"] == pytest.approx(1.0)  # 7 capped at 5
    # ((72 − 50) / 50 + (9 − 7) / 3) / 2
    assert values["prior_outcomes"] == pytest.approx((0.44 + 2 / 3) / 2)
    # 90 % of capacity is half-way from 80 % to 100 %.
    assert values["workload"] == pytest.approx(-0.5)


def test_points_add_up_to_the_score_and_read_in_words() -> None:
    fit = explain(
        PairFacts(
            PM,
            CONTACT,
            client_projects=1,
            industry_projects=3,
            utilisation=0.95,
            prior_health=72,
            client_name="Acme",
            industry_name="aerospace",
        ),
        POLICY,
    )
    assert 50 + sum(p.points for p in fit.parts) == pytest.approx(fit.score, abs=0.05)
    assert "has run 3 aerospace projects (+" in fit.summary
    assert "at 95 % of capacity (-" in fit.summary
    assert "far apart on agreeableness (50 points) (-" in fit.summary
    assert "has run 1 project for Acme" in fit.summary


def test_without_profiles_the_fit_rests_on_the_other_parts_and_says_so() -> None:
    with_profiles = explain(PairFacts(PM, PM, industry_projects=5, utilisation=0.5), POLICY)
    without = explain(PairFacts(None, None, industry_projects=5, utilisation=0.5), POLICY)
    # Known: client experience (none: 0, weight 16), industry (+1, weight 14) and workload
    # (0, weight 20): 50 + 50·14/50.
    assert without.score == pytest.approx(64.0, abs=0.05)
    assert any("No personality profile" in line for line in without.missing)
    assert not any(p.name.startswith("trait") for p in without.parts)
    assert with_profiles.score != without.score


def test_the_best_and_worst_pairs() -> None:
    best = PairFacts(
        PM,
        PM,
        perceived=7,
        client_projects=9,
        industry_projects=9,
        prior_health=100,
        prior_nps=10,
        utilisation=0.1,
    )
    worst = PairFacts(
        traits(0, 0, 0, 0, 0),
        traits(100, 100, 100, 100, 100),
        perceived=1,
        prior_health=0,
        prior_nps=0,
        utilisation=3.0,
    )
    # Every part at +1 but the PM's own levels (11/18) and workload (0: it only ever costs).
    assert explain(best, POLICY).score == pytest.approx(
        50 + 50 * (74 + 6 * 11 / 18) / 100, abs=0.05
    )
    # Every known part at −1 but experience (none: 0); flat profiles leave correlation out.
    assert explain(worst, POLICY).score == pytest.approx(50 - 50 * 66 / 96, abs=0.05)


def test_a_flat_profile_has_no_correlation_rather_than_a_wrong_one() -> None:
    values = part_values(PairFacts(traits(50, 50, 50, 50, 50), PM).as_facts(), POLICY)
    assert np.isnan(values["profile_correlation"])


def test_the_matrix_path_equals_the_one_pair_path() -> None:
    rng = np.random.default_rng(7)
    pms = rng.uniform(10, 90, size=(4, 5))
    contacts = rng.uniform(10, 90, size=(3, 5))
    pairs = [
        [
            PairFacts(
                dict(zip(TRAITS, pms[i], strict=True)),
                dict(zip(TRAITS, contacts[j], strict=True)),
                client_projects=i,
                industry_projects=j,
                utilisation=0.7 + 0.1 * i,
            )
            for j in range(3)
        ]
        for i in range(4)
    ]
    from twohats.matching.fit import Facts

    facts = Facts(
        pm_traits=pms[:, None, :],
        contact_traits=contacts[None, :, :],
        perceived=np.full((4, 3), np.nan),
        client_projects=np.arange(4.0)[:, None] * np.ones((1, 3)),
        industry_projects=np.ones((4, 1)) * np.arange(3.0)[None, :],
        prior_health=np.full((4, 3), np.nan),
        prior_nps=np.full((4, 3), np.nan),
        utilisation=(0.7 + 0.1 * np.arange(4.0))[:, None] * np.ones((1, 3)),
    )
    matrix, _ = scores(part_values(facts, POLICY), POLICY)
    for i in range(4):
        for j in range(3):
            assert matrix[i, j] == pytest.approx(explain(pairs[i][j], POLICY).score, abs=0.05)


def test_a_policy_must_weigh_every_part_once() -> None:
    config = POLICY.model_dump()
    del config["weights"]["workload"]
    with pytest.raises(ValueError, match="weights name each of"):
        parse(config)
