"""Survey scores as pure functions: NPS, CSAT, Likert reverse-keying, construct means and the
PM-versus-firm gap. No models, no database: callers pass plain answer values.

- NPS (Bain's definition): % promoters (9–10) − % detractors (0–6) on the 0–10 scale, in points
  from −100 to 100, with its standard error 100·√((p₊ + p₋ − (p₊ − p₋)²) / n) (the plain Wald
  variance of a difference of two multinomial shares) and a 95% margin of 1.96·SE.
- CSAT: the share of 4 and 5 answers on the 1–5 scale, in percent, with the standard error of a
  proportion 100·√(p(1 − p) / n).
- Below the policy's minimum n (and always for n = 0) no score, SE or margin is given.

Figures are not rounded; rounding is for display.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

Z_95 = 1.96


def _check(value: int, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{what} must be a whole number from {low} to {high}, got {value!r}")
    return value


@dataclass(frozen=True)
class NpsResult:
    n: int
    promoters: int
    passives: int
    detractors: int
    score: float | None  # points, −100..100
    standard_error: float | None  # points
    margin_95: float | None  # points, 1.96·SE
    enough: bool  # n ≥ min_n (and n > 0): the score may be shown


def nps(scores: Iterable[int], *, min_n: int = 0) -> NpsResult:
    """Net Promoter Score of 0–10 answers; raises ValueError for a value outside 0–10."""
    promoters = passives = detractors = 0
    for value in scores:
        _check(value, 0, 10, "An NPS answer")
        if value >= 9:
            promoters += 1
        elif value >= 7:
            passives += 1
        else:
            detractors += 1
    n = promoters + passives + detractors
    enough = n > 0 and n >= min_n
    score = se = margin = None
    if enough:
        p, d = promoters / n, detractors / n
        score = 100 * (p - d)
        se = 100 * math.sqrt(max(0.0, p + d - (p - d) ** 2) / n)
        margin = Z_95 * se
    return NpsResult(n, promoters, passives, detractors, score, se, margin, enough)


@dataclass(frozen=True)
class CsatResult:
    n: int
    satisfied: int  # answers of 4 or 5
    score: float | None  # percent satisfied, 0..100
    standard_error: float | None  # percentage points
    margin_95: float | None  # percentage points, 1.96·SE
    enough: bool  # n ≥ min_n (and n > 0): the score may be shown


def csat(scores: Iterable[int], *, min_n: int = 0) -> CsatResult:
    """Share of 4 and 5 among 1–5 answers; raises ValueError for a value outside 1–5."""
    n = satisfied = 0
    for value in scores:
        _check(value, 1, 5, "A CSAT answer")
        n += 1
        satisfied += value >= 4
    enough = n > 0 and n >= min_n
    score = se = margin = None
    if enough:
        p = satisfied / n
        score = 100 * p
        se = 100 * math.sqrt(p * (1 - p) / n)
        margin = Z_95 * se
    return CsatResult(n, satisfied, score, se, margin, enough)


def likert_score(value: int, *, reverse: bool, points: int = 7) -> int:
    """An item's score on a 1..points scale; a reverse-keyed item scores (points + 1) − value."""
    if isinstance(points, bool) or not isinstance(points, int) or points < 2:
        raise ValueError(f"A Likert scale needs at least 2 points, got {points!r}")
    _check(value, 1, points, "A Likert answer")
    return points + 1 - value if reverse else value


def construct_means(
    answers: Iterable[tuple[str, int, bool]], *, points: int = 7
) -> dict[str, float]:
    """Mean item score per construct from (construct, raw value, reverse-keyed) triples."""
    totals: defaultdict[str, int] = defaultdict(int)
    counts: defaultdict[str, int] = defaultdict(int)
    for construct, value, reverse in answers:
        totals[construct] += likert_score(value, reverse=reverse, points=points)
        counts[construct] += 1
    return {construct: totals[construct] / counts[construct] for construct in totals}


def gap(pm: float | None, firm: float | None) -> float | None:
    """How the client rates the PM minus how they rate the firm; None when either is missing."""
    if pm is None or firm is None:
        return None
    return pm - firm
