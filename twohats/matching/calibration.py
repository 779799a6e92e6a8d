"""Calibration of the fit model's weights against the firm's own outcomes
(`twohats fit calibrate`).

The evidence that measured personality similarity matters is mixed, so the default weights of
the personality parts are modest and this decides. It works on past pairs:

- a pair is a project that is completed, or active for at least 90 days, with its manager (the
  PM) and the client's primary representative (or, without one, the client's contact of the
  highest power);
- its features are the fit model's parts (`fit.part_values`), each in [−1, 1], computed as of the
  project's start: experience counts the PM's earlier projects only. Trait similarity enters
  trait by trait (five features, `trait_similarity.<trait>`), as the policy weighs it within the
  part, so an effect that lives on one or two traits is not averaged away. A part without data
  (no profile, no perceived similarity) is 0, neutral, and the result says how many pairs lacked
  a profile. Two parts are not estimated: past outcomes (the outcome itself, leaking) and
  workload (today's load says nothing of a past project); their weights stay as they are;
- its outcome reads the relationship three ways: the mean relationship health of the project's
  snapshots (the firm's composite), the mean likelihood to recommend (NPS, 0–10) of the
  project's survey responses (the client's own word) and the mean sentiment (−2 to 2) of the
  interactions logged on the project (the tone of day-to-day contact, which health only samples
  over 90 days and NPS, near its ceiling of 10 at a happy account, hardly separates). Each is
  z-scored over the pairs and a pair's outcome is the mean of the z-scores it has, so a pair
  with only some of the three still counts; pairs with none are left out.

Two linear regressions (ridge, its penalty chosen by leave-one-out within each training fold,
on standardised parts), with and without the personality parts, are judged on out-of-fold
predictions (5-fold cross-validation, shuffled with a fixed seed): the R² of each and the gain of
the full model, with 95 % intervals from 1,000 bootstrap resamples of the pairs (fixed seed).
Personality counts only when the gain's interval lies above 0; then the proposed weights are the
full model's non-negative standardised coefficients (a negative one is 0), scaled to share what
the unestimated parts leave of 100; trait similarity's weight is the sum of its traits'
coefficients, and its trait weights are their shares (a negative one is 0), scaled to a mean of
1. Otherwise, or with fewer than 30 pairs, nothing is proposed and the result says so plainly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Avg, Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from numpy.typing import NDArray
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from twohats.clients.models import Contact
from twohats.health.models import HealthSnapshot
from twohats.interactions.models import Interaction
from twohats.matching.fit import PART_LABELS, Array, Facts, part_values, trait_values
from twohats.matching.instruments import TRAIT_LABELS, TRAITS
from twohats.matching.models import PerceivedSimilarity
from twohats.matching.policy import PARTS, PERSONALITY_PARTS, FitConfig
from twohats.matching.selectors import latest_traits
from twohats.projects.models import Project, ProjectStatus
from twohats.surveys.models import Response

MIN_PAIRS = 30
MATURE_DAYS = 90  # an active project counts from this age
FOLDS = 5
RESAMPLES = 1_000
SEED = 2004
# Not estimated: past outcomes are the outcome itself; today's workload says nothing of the past.
KEPT = ("prior_outcomes", "workload")
ESTIMATED = tuple(part for part in PARTS if part not in KEPT)
# The regression's columns: trait similarity trait by trait, then every other estimated part.
TRAIT_COLUMNS = tuple(f"trait_similarity.{trait}" for trait in TRAITS)
COLUMNS = TRAIT_COLUMNS + tuple(part for part in ESTIMATED if part != "trait_similarity")
# Ridge penalties tried (on standardised columns): from almost none to enough to flatten every
# coefficient, so a dozen columns do not overfit a few dozen pairs.
ALPHAS = np.logspace(-2, 4, 25)
BASELINE = tuple(part for part in ESTIMATED if part not in PERSONALITY_PARTS)


@dataclass
class Pairs:
    """Past pairs with an outcome: one row per project."""

    project_ids: list[int]
    pm_ids: list[int]
    contact_ids: list[int]
    features: Array  # (n, len(COLUMNS)), unknown parts as 0
    health: Array  # mean relationship health, NaN where none
    nps: Array  # mean likelihood to recommend, NaN where none
    sentiment: Array  # mean sentiment of the project's interactions, NaN where none
    outcome: Array  # the mean of the z-scores of health, NPS and sentiment
    without_profile: int  # pairs where the PM or the contact has no profile
    without_outcome: int  # past pairs left out: no snapshot, no NPS and no interaction


@dataclass
class Estimate:
    r2: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.r2:+.3f} (95 % CI {self.low:+.3f} to {self.high:+.3f})"


@dataclass
class Calibration:
    n: int
    verdict: str
    current: dict[str, float]
    without_profile: int = 0
    without_outcome: int = 0
    with_personality: Estimate | None = None
    without_personality: Estimate | None = None
    gain: Estimate | None = None
    current_traits: dict[str, float] = field(default_factory=dict)
    coefficients: dict[str, float] = field(default_factory=dict)  # standardised, per column
    proposed: dict[str, float] | None = None
    proposed_traits: dict[str, float] | None = None
    effect: bool = False

    def rows(self) -> list[tuple[str, str, float, float | None]]:
        """(part, label, current weight, proposed weight) of every part."""
        return [
            (
                part,
                PART_LABELS[part],
                self.current[part],
                None if self.proposed is None else self.proposed[part],
            )
            for part in PARTS
        ]

    def trait_rows(self) -> list[tuple[str, str, float, float | None, float | None]]:
        """(trait, label, current trait weight, proposed, standardised coefficient) of every
        trait, within trait similarity."""
        return [
            (
                trait,
                TRAIT_LABELS[trait],
                self.current_traits.get(trait, 1.0),
                None if self.proposed_traits is None else self.proposed_traits[trait],
                self.coefficients.get(f"trait_similarity.{trait}"),
            )
            for trait in TRAITS
        ]

    def note(self) -> str:
        """The evidence, for the proposed policy version's note."""
        lines = [f"Calibrated on {self.n} past pairs ({self.without_profile} without a profile)."]
        if self.with_personality and self.without_personality and self.gain:
            lines += [
                f"Out-of-fold R² with personality {self.with_personality}, "
                f"without {self.without_personality}; gain {self.gain}.",
            ]
        lines.append(self.verdict)
        return " ".join(lines)


def _earlier(**match: object) -> Coalesce:
    """The PM's projects that started before this one, matching `match` (a subquery)."""
    earlier = (
        Project.objects.filter(
            manager=OuterRef("manager"), start_date__lt=OuterRef("start_date"), **match
        )
        .exclude(status=ProjectStatus.CANCELLED)
        .order_by()
        .values("manager")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(earlier, output_field=IntegerField()), Value(0))


def past_pairs(*, policy: FitConfig, today: dt.date | None = None) -> Pairs:
    """Every past pair with its features and outcome, in seven queries."""
    today = today or timezone.localdate()
    top_contact = (
        Contact.objects.filter(client=OuterRef("client"))
        .order_by("-power", "-interest", "pk")
        .values("pk")[:1]
    )
    rows = list(
        Project.objects.filter(
            Q(status=ProjectStatus.COMPLETED)
            | Q(status=ProjectStatus.ACTIVE, start_date__lte=today - dt.timedelta(MATURE_DAYS))
        )
        .annotate(
            contact=Coalesce("client__primary_contact", Subquery(top_contact)),
            client_before=_earlier(client=OuterRef("client")),
            industry_before=_earlier(client__industry=OuterRef("client__industry")),
        )
        .filter(contact__isnull=False)
        .order_by("pk")
        .values_list("pk", "manager_id", "contact", "client_before", "industry_before")
    )
    ids = [r[0] for r in rows]
    health_of = dict(
        HealthSnapshot.objects.filter(project_id__in=ids, relationship__isnull=False)
        .values("project_id")
        .annotate(m=Avg("relationship"))
        .order_by()
        .values_list("project_id", "m")
    )
    nps_of = dict(
        Response.objects.filter(project_id__in=ids, nps__isnull=False)
        .values("project_id")
        .annotate(m=Avg("nps"))
        .order_by()
        .values_list("project_id", "m")
    )
    sentiment_of = dict(
        Interaction.objects.filter(project_id__in=ids)
        .values("project_id")
        .annotate(m=Avg("sentiment"))
        .order_by()
        .values_list("project_id", "m")
    )
    kept = [r for r in rows if r[0] in health_of or r[0] in nps_of or r[0] in sentiment_of]
    pm_ids = [r[1] for r in kept]
    contact_ids = [r[2] for r in kept]
    by_user, by_contact = latest_traits(users=set(pm_ids), contacts=set(contact_ids))
    perceived_of = {
        (r["pm_id"], r["contact_id"]): r["m"]
        for r in PerceivedSimilarity.objects.filter(
            pm_id__in=set(pm_ids), contact_id__in=set(contact_ids)
        )
        .values("pm_id", "contact_id")
        .annotate(m=Avg("value"))
        .order_by()
    }

    def traits(found: dict[str, float] | None) -> list[float]:
        return [found[t] for t in TRAITS] if found else [np.nan] * len(TRAITS)

    nan = float("nan")
    facts = Facts(
        pm_traits=np.array([traits(by_user.get(pk)) for pk in pm_ids], dtype=float).reshape(-1, 5),
        contact_traits=np.array(
            [traits(by_contact.get(pk)) for pk in contact_ids], dtype=float
        ).reshape(-1, 5),
        perceived=np.array(
            [perceived_of.get((p, c), nan) for p, c in zip(pm_ids, contact_ids, strict=True)],
            dtype=float,
        ),
        client_projects=np.array([r[3] for r in kept], dtype=float),
        industry_projects=np.array([r[4] for r in kept], dtype=float),
        prior_health=np.full(len(kept), np.nan),
        prior_nps=np.full(len(kept), np.nan),
        utilisation=np.full(len(kept), np.nan),
    )
    health = np.array([health_of.get(r[0], nan) for r in kept], dtype=float)
    nps = np.array([nps_of.get(r[0], nan) for r in kept], dtype=float)
    sentiment = np.array([sentiment_of.get(r[0], nan) for r in kept], dtype=float)
    return Pairs(
        project_ids=[r[0] for r in kept],
        pm_ids=pm_ids,
        contact_ids=contact_ids,
        features=features_of(facts, policy),
        health=health,
        nps=nps,
        sentiment=sentiment,
        outcome=combine(health, nps, sentiment),
        without_profile=sum(
            1
            for p, c in zip(pm_ids, contact_ids, strict=True)
            if p not in by_user or c not in by_contact
        ),
        without_outcome=len(rows) - len(kept),
    )


def features_of(facts: Facts, policy: FitConfig) -> Array:
    """The estimated parts' values, one column each (trait similarity one per trait, in the
    order of COLUMNS); an unknown part is 0 (neutral)."""
    values = part_values(facts, policy)
    per_trait = trait_values(facts, policy)
    n = len(facts.client_projects)
    columns = [np.broadcast_to(per_trait[..., i], (n,)) for i in range(len(TRAITS))]
    columns += [np.broadcast_to(values[part], (n,)) for part in COLUMNS[len(TRAITS) :]]
    return np.nan_to_num(np.stack(columns, axis=1).astype(float), nan=0.0)


def combine(*outcomes: Array) -> Array:
    """The mean of the z-scores (over the pairs) each pair has; NaN where it has none."""
    zs = []
    for values in outcomes:
        sd = np.nanstd(values) if np.isfinite(values).any() else 0.0
        mean = np.nanmean(values) if np.isfinite(values).any() else 0.0
        zs.append((values - mean) / sd if sd > 0 else np.where(np.isnan(values), np.nan, 0.0))
    stacked = np.stack(zs)
    known = ~np.isnan(stacked)
    total = np.where(known, stacked, 0.0).sum(axis=0)
    count = known.sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _model() -> Pipeline:
    return make_pipeline(StandardScaler(), RidgeCV(alphas=ALPHAS))


def _r2(y: Array, predicted: Array, index: NDArray[np.intp]) -> Array:
    """R² of out-of-fold predictions on each bootstrap resample (rows of `index`)."""
    ys, ps = y[index], predicted[index]
    sse = ((ys - ps) ** 2).sum(axis=1)
    sst = ((ys - ys.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sst > 0, 1.0 - sse / sst, np.nan)


def _estimate(point: float, resampled: Array) -> Estimate:
    low, high = np.nanpercentile(resampled, [2.5, 97.5])
    return Estimate(round(point, 4), round(float(low), 4), round(float(high), 4))


def evaluate(
    features: Array,
    outcome: Array,
    *,
    current: FitConfig,
    without_profile: int = 0,
    without_outcome: int = 0,
) -> Calibration:
    """Judge the fit model on pairs: features (n, len(COLUMNS)) and outcomes (n)."""
    weights = {part: float(current.weights[part]) for part in PARTS}
    trait_weights = {trait: float(current.trait_weights[trait]) for trait in TRAITS}
    n = len(outcome)
    if n < MIN_PAIRS:
        return Calibration(
            n=n,
            current=weights,
            current_traits=trait_weights,
            verdict=(
                f"Too few past pairs to calibrate: {n} with an outcome, and a calibration needs "
                f"at least {MIN_PAIRS}. Nothing is proposed; keep the current weights."
            ),
            without_profile=without_profile,
            without_outcome=without_outcome,
        )
    x, y = np.asarray(features, dtype=float), np.asarray(outcome, dtype=float)
    base = [COLUMNS.index(part) for part in BASELINE]
    folds = KFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    full = cross_val_predict(_model(), x, y, cv=folds)
    reduced = cross_val_predict(_model(), x[:, base], y, cv=folds)
    index = np.random.default_rng(SEED).integers(0, n, size=(RESAMPLES, n), dtype=np.intp)
    everyone = np.arange(n, dtype=np.intp)[None, :]
    r2_full, r2_base = _r2(y, full, index), _r2(y, reduced, index)
    point_full, point_base = float(_r2(y, full, everyone)[0]), float(_r2(y, reduced, everyone)[0])
    result = Calibration(
        n=n,
        current=weights,
        current_traits=trait_weights,
        verdict="",
        with_personality=_estimate(point_full, r2_full),
        without_personality=_estimate(point_base, r2_base),
        gain=_estimate(point_full - point_base, r2_full - r2_base),
        without_profile=without_profile,
        without_outcome=without_outcome,
    )
    ridge = _model().fit(x, y)[-1]
    standardised = ridge.coef_ / (float(y.std()) or 1.0)
    result.coefficients = {
        column: round(float(c), 4) for column, c in zip(COLUMNS, standardised, strict=True)
    }
    # Trait similarity as a part: what its traits add in its favour (as its weight is proposed).
    in_favour = _positive(result.coefficients, "trait_similarity")
    result.coefficients["trait_similarity"] = round(in_favour, 4)
    gain = result.gain
    assert gain is not None
    result.effect = gain.low > 0
    if not result.effect:
        result.verdict = (
            f"The data show no effect of personality on outcomes (gain in R² {gain.r2:+.3f}, "
            f"95 % CI {gain.low:+.3f} to {gain.high:+.3f}): keep personality weights modest. "
            "Nothing is proposed."
        )
        return result
    result.proposed = _weights(result.coefficients, weights)
    result.proposed_traits = _trait_weights(result.coefficients, trait_weights)
    if result.proposed is None:
        result.effect = False
        result.verdict = (
            f"Personality adds to the prediction (gain in R² {gain}) but no part counts in its "
            "favour: nothing is proposed."
        )
        return result
    share = sum(result.proposed[p] for p in PERSONALITY_PARTS)
    was = 100 * sum(weights[p] for p in PERSONALITY_PARTS) / sum(weights.values())
    result.verdict = (
        f"Personality explains part of the outcomes beyond experience (gain in R² {gain.r2:+.3f}, "
        f"95 % CI {gain.low:+.3f} to {gain.high:+.3f}). The proposed weights follow the firm's "
        f"own outcomes: personality parts {share:.0f} of 100 (now {was:.0f})."
    )
    traits = result.proposed_traits
    if traits and result.proposed["trait_similarity"] > 0:
        ranked = sorted((t for t in TRAITS if traits[t] > 0), key=lambda t: -traits[t])
        named = [f"{TRAIT_LABELS[t]} {traits[t]:.2f}" for t in ranked]
        result.verdict += f" Within trait similarity the weight goes to {', '.join(named)}."
    return result


def _positive(coefficients: dict[str, float], part: str) -> float:
    """A part's coefficient, negative ones as 0; trait similarity's is its traits' sum."""
    if part == "trait_similarity":
        return sum(max(0.0, coefficients[column]) for column in TRAIT_COLUMNS)
    return max(0.0, coefficients[part])


def _weights(coefficients: dict[str, float], current: dict[str, float]) -> dict[str, float] | None:
    """Non-negative standardised coefficients as weights, sharing what the kept parts (their
    current weights, rescaled to a total of 100) leave of 100."""
    positive = {part: _positive(coefficients, part) for part in ESTIMATED}
    total_positive = sum(positive.values())
    if total_positive <= 0:
        return None
    total = sum(current.values())
    kept = {part: 100.0 * current[part] / total for part in KEPT}
    left = 100.0 - sum(kept.values())
    proposed = {part: left * positive[part] / total_positive for part in ESTIMATED}
    proposed.update(kept)
    return {part: round(proposed[part], 1) for part in PARTS}


def _trait_weights(coefficients: dict[str, float], current: dict[str, float]) -> dict[str, float]:
    """The traits' non-negative coefficients as trait weights with a mean of 1; the current
    trait weights where no trait counts."""
    positive = {t: max(0.0, coefficients[f"trait_similarity.{t}"]) for t in TRAITS}
    total = sum(positive.values())
    if total <= 0:
        return dict(current)
    return {t: round(len(TRAITS) * positive[t] / total, 2) for t in TRAITS}


def calibrate(*, policy: FitConfig, today: dt.date | None = None) -> Calibration:
    pairs = past_pairs(policy=policy, today=today)
    return evaluate(
        pairs.features,
        pairs.outcome,
        current=policy,
        without_profile=pairs.without_profile,
        without_outcome=pairs.without_outcome,
    )


def proposed_config(result: Calibration, policy: FitConfig) -> dict[str, object]:
    """The policy's config with the proposed weights and trait weights (everything else as it
    is)."""
    if result.proposed is None:
        raise ValueError("the calibration proposes nothing")
    config = policy.model_dump()
    config["weights"] = dict(result.proposed)
    if result.proposed_traits is not None:
        config["trait_weights"] = dict(result.proposed_traits)
    return config
