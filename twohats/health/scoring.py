"""From raw signal values to scores, dimensions, an overall score, a band and reasons.

Pure functions: the SQL that measures the raw values lives in `signals.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from twohats.health.policy import DELIVERY, PolicyConfig

# A signal scoring below this is named among the reasons (small shortfalls are noise).
REASON_BELOW = 90.0


@dataclass(frozen=True)
class Reading:
    """A signal's raw value for one subject, with the details that explain it."""

    raw: float
    detail: Mapping[str, Any] = field(default_factory=dict)


Describe = Callable[[Reading, float], str]  # (reading, the policy's good threshold) -> words


@dataclass
class Result:
    overall: float | None
    band: str
    dimensions: dict[str, float | None]
    signals: dict[str, dict[str, Any]]
    reasons: list[str]
    missing: list[str]
    # The score without the delivery dimension: relationship health alone.
    relationship: float | None = None


def score(
    readings: Mapping[str, Reading],
    policy: PolicyConfig,
    describe: Mapping[str, Describe],
) -> Result:
    """Score one subject. A signal without a reading is left out and its weight spread over the
    others in its dimension; a dimension without any reading is left out the same way."""
    dimensions: dict[str, float | None] = {}
    signals: dict[str, dict[str, Any]] = {}
    losses: list[tuple[float, str]] = []
    missing: list[str] = []
    weighted_total = weight_sum = 0.0
    for dimension_name, dimension in policy.dimensions.items():
        total = weights = 0.0
        for signal_name, signal in dimension.signals.items():
            name = f"{dimension_name}.{signal_name}"
            reading = readings.get(name)
            if reading is None:
                missing.append(name)
                continue
            value = signal.score(reading.raw)
            signals[name] = {
                "raw": reading.raw,
                "score": round(value, 6),
                "weight": signal.weight,
                **({"detail": dict(reading.detail)} if reading.detail else {}),
            }
            total += value * signal.weight
            weights += signal.weight
            if value < REASON_BELOW and name in describe:
                loss = (100 - value) * signal.weight * dimension.weight
                losses.append((loss, describe[name](reading, signal.good)))
        dimension_score = total / weights if weights else None
        dimensions[dimension_name] = None if dimension_score is None else round(dimension_score, 6)
        if dimension_score is not None:
            weighted_total += dimension_score * dimension.weight
            weight_sum += dimension.weight
    overall = round(weighted_total / weight_sum, 6) if weight_sum else None
    relationship = relationship_score(dimensions, policy)
    reasons = [text for _, text in sorted(losses, key=lambda item: -item[0])]
    return Result(
        overall=overall,
        band=policy.bands.of(overall),
        dimensions=dimensions,
        signals=signals,
        reasons=reasons,
        missing=missing,
        relationship=relationship,
    )


def relationship_score(
    dimensions: Mapping[str, float | None], policy: PolicyConfig
) -> float | None:
    """The weighted average of every dimension but delivery that has a score (the delivery hat
    and the relationship hat are judged apart, so that their divergence shows)."""
    total = weights = 0.0
    for name, dimension in policy.dimensions.items():
        value = dimensions.get(name)
        if name == DELIVERY or value is None:
            continue
        total += value * dimension.weight
        weights += dimension.weight
    return round(total / weights, 6) if weights else None
