"""The fit model: a transparent score in 0–100 for a PM and a client contact.

Each part of the score is a value in [−1, 1] (−1 against the pair, 0 neutral, +1 for it):

- trait similarity, per trait: 1 − |difference| / `similar_within`, so a difference of 0 is +1,
  the policy's 25 points is 0 and 50 points or more is −1; traits weighted within the part;
- profile distance: the Euclidean distance of the two standardised profiles (z-scores against
  the policy's norms) against √10, the distance expected of two people drawn at random:
  1 − distance / √10;
- profile correlation: Pearson's r between the two standardised profiles (undefined, so left
  out, when either profile is flat);
- perceived similarity (1–7, from the PM and from the contact's survey answer): (mean − 4) / 3;
- the PM's own levels where research favours them (conscientiousness, agreeableness, emotional
  stability): the mean of their z-scores, halved;
- client experience: past projects the PM ran for this client, up to the policy's cap, as a
  share of the cap; industry experience likewise for the client's industry;
- prior outcomes of the pair: the mean relationship health (0–100) of the PM's projects at the
  client, (score − 50) / 50, averaged with the contact's mean likelihood to recommend (0–10),
  (nps − 7) / 3, where the contact answered surveys about this PM;
- workload: 0 up to the policy's `busy_from` utilisation (80 %), then falling to −1 at full
  capacity, counting the project being staffed.

The score is 50 + 50 × (the weighted mean of the parts that are known), clamped to 0–100. A part
without data (no profile, no history) is left out and its weight with it, and the explanation
says so. Each part's points are its share of the distance from 50, so the points add up to the
score. The same functions serve one pair (with words) and a whole matrix of pairs (numpy arrays,
for ranking and the staffing optimiser).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from twohats.matching.instruments import TRAIT_LABELS, TRAITS
from twohats.matching.policy import PARTS, FitConfig

Array = NDArray[np.float64]
FAVOURED = ("conscientiousness", "agreeableness", "emotional_stability")
PART_LABELS = {
    "trait_similarity": "trait similarity",
    "profile_distance": "profile distance",
    "profile_correlation": "profile correlation",
    "perceived_similarity": "perceived similarity",
    "pm_levels": "the PM's own traits",
    "client_experience": "experience with the client",
    "industry_experience": "experience in the industry",
    "prior_outcomes": "past relationship outcomes",
    "workload": "workload",
}


@dataclass
class Facts:
    """What the fit of one or many pairs rests on. Traits are arrays of shape (..., 5) in the
    order of TRAITS; every other fact is an array (or a float) broadcastable to the pairs'
    shape, with NaN where it is unknown."""

    pm_traits: Array
    contact_traits: Array
    perceived: Array
    client_projects: Array
    industry_projects: Array
    prior_health: Array
    prior_nps: Array
    utilisation: Array


def _clip(values: Array) -> Array:
    return np.clip(values, -1.0, 1.0)


def _z(traits: Array, policy: FitConfig) -> Array:
    means = np.array([policy.norms[t].mean for t in TRAITS])
    sds = np.array([policy.norms[t].sd for t in TRAITS])
    return (traits - means) / sds


def trait_values(facts: Facts, policy: FitConfig) -> Array:
    """Per-trait similarity, shape (..., 5)."""
    diff = np.abs(facts.pm_traits - facts.contact_traits)
    return _clip(1.0 - diff / policy.similar_within)


def part_values(facts: Facts, policy: FitConfig) -> dict[str, Array]:
    """Each part's value in [−1, 1] (NaN where unknown), for every pair at once."""
    weights = np.array([policy.trait_weights[t] for t in TRAITS])
    per_trait = trait_values(facts, policy)
    z_pm, z_contact = _z(facts.pm_traits, policy), _z(facts.contact_traits, policy)
    distance = np.sqrt(np.sum((z_pm - z_contact) ** 2, axis=-1))
    centred_pm = z_pm - z_pm.mean(axis=-1, keepdims=True)
    centred_contact = z_contact - z_contact.mean(axis=-1, keepdims=True)
    norm = np.sqrt(np.sum(centred_pm**2, axis=-1) * np.sum(centred_contact**2, axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = np.where(
            norm > 1e-9, np.sum(centred_pm * centred_contact, axis=-1) / norm, np.nan
        )
    favoured = [TRAITS.index(t) for t in FAVOURED]
    outcome = np.stack([(facts.prior_health - 50.0) / 50.0, (facts.prior_nps - 7.0) / 3.0], axis=0)
    known = ~np.isnan(outcome)
    with np.errstate(invalid="ignore"):
        prior = np.where(
            known.any(axis=0),
            np.nansum(np.where(known, outcome, 0.0), axis=0) / np.maximum(known.sum(axis=0), 1),
            np.nan,
        )
    busy = policy.busy_from
    workload = np.where(
        facts.utilisation <= busy,
        0.0,
        -np.minimum(1.0, (facts.utilisation - busy) / max(1.0 - busy, 1e-9)),
    )
    return {
        "trait_similarity": np.sum(per_trait * weights, axis=-1) / weights.sum(),
        "profile_distance": _clip(1.0 - distance / math.sqrt(10)),
        "profile_correlation": _clip(correlation),
        "perceived_similarity": _clip((facts.perceived - 4.0) / 3.0),
        "pm_levels": _clip(z_pm[..., favoured].mean(axis=-1) / 2.0),
        "client_experience": np.minimum(facts.client_projects, policy.experience_cap_client)
        / policy.experience_cap_client,
        "industry_experience": np.minimum(facts.industry_projects, policy.experience_cap_industry)
        / policy.experience_cap_industry,
        "prior_outcomes": _clip(prior),
        "workload": np.where(np.isnan(facts.utilisation), np.nan, workload),
    }


def scores(values: dict[str, Array], policy: FitConfig) -> tuple[Array, dict[str, Array]]:
    """The fit score of every pair, and each part's points (its share of the distance from
    50; NaN where the part is unknown)."""
    shape = np.broadcast_shapes(*(np.shape(v) for v in values.values()))
    numerator = np.zeros(shape)
    denominator = np.zeros(shape)
    for name in PARTS:
        value = np.broadcast_to(values[name], shape)
        known = ~np.isnan(value)
        weight = policy.weights[name]
        numerator += np.where(known, weight * value, 0.0)
        denominator += np.where(known, weight, 0.0)
    safe = np.where(denominator > 0, denominator, 1.0)
    score = np.clip(50.0 + 50.0 * numerator / safe, 0.0, 100.0)
    points = {
        name: np.where(
            np.isnan(np.broadcast_to(values[name], shape)),
            np.nan,
            50.0 * policy.weights[name] * np.broadcast_to(values[name], shape) / safe,
        )
        for name in PARTS
    }
    return score, points


@dataclass
class Part:
    name: str
    points: float
    words: str


@dataclass
class Fit:
    score: float
    parts: list[Part] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        shown = sorted(self.parts, key=lambda p: -abs(p.points))
        return "; ".join(f"{p.words} ({p.points:+.0f})" for p in shown if round(p.points))


@dataclass
class PairFacts:
    """The facts of one pair, with the names the explanation needs."""

    pm_traits: dict[str, float] | None
    contact_traits: dict[str, float] | None
    perceived: float | None = None
    client_projects: int = 0
    industry_projects: int = 0
    prior_health: float | None = None
    prior_nps: float | None = None
    utilisation: float | None = None
    client_name: str = "the client"
    industry_name: str = "the industry"
    contact_name: str = "the contact"

    def as_facts(self) -> Facts:
        def traits(found: dict[str, float] | None) -> Array:
            return np.array([found[t] if found else np.nan for t in TRAITS], dtype=float)

        def maybe(value: float | None) -> Array:
            return np.array(np.nan if value is None else float(value))

        return Facts(
            pm_traits=traits(self.pm_traits),
            contact_traits=traits(self.contact_traits),
            perceived=maybe(self.perceived),
            client_projects=np.array(float(self.client_projects)),
            industry_projects=np.array(float(self.industry_projects)),
            prior_health=maybe(self.prior_health),
            prior_nps=maybe(self.prior_nps),
            utilisation=maybe(self.utilisation),
        )


def _points(diff: float) -> str:
    return "1 point" if round(diff) == 1 else f"{diff:.0f} points"


def explain(pair: PairFacts, policy: FitConfig) -> Fit:
    """One pair's score with every part in words."""
    facts = pair.as_facts()
    values = part_values(facts, policy)
    score, points = scores(values, policy)
    fit = Fit(score=round(float(score), 1))
    if pair.pm_traits is None or pair.contact_traits is None:
        whose = (
            "the PM nor the contact"
            if pair.pm_traits is None and pair.contact_traits is None
            else ("the PM" if pair.pm_traits is None else pair.contact_name)
        )
        fit.missing.append(f"No personality profile for {whose}: the fit rests on the other parts.")
    if pair.pm_traits is not None and pair.contact_traits is not None:
        per_trait = trait_values(facts, policy)
        weights = np.array([policy.trait_weights[t] for t in TRAITS])
        known_weight = sum(policy.weights[n] for n in PARTS if not np.isnan(values[n]))
        scale = 50.0 * policy.weights["trait_similarity"] / known_weight / weights.sum()
        for i, trait in enumerate(TRAITS):
            diff = abs(pair.pm_traits[trait] - pair.contact_traits[trait])
            share = scale * float(weights[i] * per_trait[i])
            if per_trait[i] >= 0:
                words = f"similar {TRAIT_LABELS[trait]} ({_points(diff)} apart)"
            else:
                words = f"far apart on {TRAIT_LABELS[trait]} ({_points(diff)})"
            fit.parts.append(Part(f"trait_similarity.{trait}", share, words))
        fit.parts.append(
            Part(
                "profile_distance",
                float(points["profile_distance"]),
                "profiles close overall"
                if values["profile_distance"] >= 0
                else "profiles far apart overall",
            )
        )
        if not np.isnan(values["profile_correlation"]):
            r = float(values["profile_correlation"])
            fit.parts.append(
                Part(
                    "profile_correlation",
                    float(points["profile_correlation"]),
                    f"profiles {'alike' if r >= 0 else 'opposite'} in shape (r = {r:.2f})",
                )
            )
    if pair.pm_traits is not None:
        level = float(values["pm_levels"])
        fit.parts.append(
            Part(
                "pm_levels",
                float(points["pm_levels"]),
                "a conscientious, agreeable, steady PM"
                if level >= 0
                else "the PM below average on conscientiousness, agreeableness and stability",
            )
        )
    if pair.perceived is not None:
        fit.parts.append(
            Part(
                "perceived_similarity",
                float(points["perceived_similarity"]),
                f"they see themselves as alike ({pair.perceived:.1f} of 7)"
                if pair.perceived >= 4
                else f"they do not see themselves as alike ({pair.perceived:.1f} of 7)",
            )
        )
    else:
        fit.missing.append("No perceived similarity yet: the pair has not worked together.")
    fit.parts.append(
        Part(
            "client_experience",
            float(points["client_experience"]),
            f"has run {pair.client_projects} project{'s' * (pair.client_projects != 1)} "
            f"for {pair.client_name}"
            if pair.client_projects
            else f"no past project for {pair.client_name}",
        )
    )
    fit.parts.append(
        Part(
            "industry_experience",
            float(points["industry_experience"]),
            f"has run {pair.industry_projects} {pair.industry_name} "
            f"project{'s' * (pair.industry_projects != 1)}"
            if pair.industry_projects
            else f"no {pair.industry_name} project yet",
        )
    )
    if pair.prior_health is not None or pair.prior_nps is not None:
        bits = []
        if pair.prior_health is not None:
            bits.append(f"relationship health {pair.prior_health:.0f}")
        if pair.prior_nps is not None:
            bits.append(f"{pair.contact_name} scores them {pair.prior_nps:.1f} of 10")
        fit.parts.append(
            Part(
                "prior_outcomes",
                float(points["prior_outcomes"]),
                "past work together: " + ", ".join(bits),
            )
        )
    else:
        fit.missing.append("No past outcomes of this pair.")
    if pair.utilisation is not None:
        fit.parts.append(
            Part(
                "workload",
                float(points["workload"]),
                f"at {pair.utilisation * 100:.0f} % of capacity",
            )
        )
    return fit
