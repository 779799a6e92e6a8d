"""Trends of the client's voice: NPS, CSAT and trust over the later half of the policy's window
against the earlier half, as the health model weighs them, with the words the voice card and
the API give."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Avg, Count, Q, QuerySet

from twohats.surveys.models import Answer, Response
from twohats.surveys.selectors import TRUST_CONSTRUCTS, csat_of, nps_of, scored_value


@dataclass(frozen=True)
class Trend:
    """A score over the later half of the window (`later`) against the earlier half; no change
    unless both halves rest on at least `min_n` responses. `kind` is "nps", "csat" or "trust"."""

    kind: str
    earlier: float | None
    earlier_n: int
    later: float | None
    later_n: int
    min_n: int
    half_days: int

    @property
    def _digits(self) -> int:
        return 1 if self.kind == "trust" else 0

    @property
    def change(self) -> float | None:
        if self.earlier is None or self.later is None:
            return None
        scale = 100 if self.kind == "csat" else 1  # CSAT in percentage points
        return round((self.later - self.earlier) * scale, self._digits)

    @property
    def arrow(self) -> str:
        change = self.change
        return "" if change is None else "↑" if change > 0 else "↓" if change < 0 else "→"

    @property
    def period(self) -> str:
        return "half-year" if 180 <= self.half_days <= 184 else f"{self.half_days} days"

    def shown(self, value: float | None) -> str:
        if value is None:
            return "–"
        if self.kind == "nps":
            return f"{value:+.0f}" if round(value) else "0"
        if self.kind == "csat":
            return f"{value * 100:.0f} %"
        return f"{value:.1f}"

    @property
    def words(self) -> str:
        """E.g. "down 18 points on the previous half-year (from +40, n = 9, to +22, n = 7)"
        (the card puts `arrow` before it)."""
        change = self.change
        if change is None:
            short = [
                name
                for name, n in (("earlier", self.earlier_n), ("later", self.later_n))
                if n < self.min_n
            ]
            where = f"the {short[0]} {self.period}" if len(short) == 1 else f"either {self.period}"
            return (
                f"no trend: fewer than {self.min_n} responses in {where} "
                f"(n = {self.earlier_n}, then {self.later_n})"
            )
        unit = {"nps": "points", "csat": "percentage points", "trust": "points of 7"}[self.kind]
        direction = "up" if change > 0 else "down"
        amount = f"{direction} {abs(change):.{self._digits}f} {unit}" if change else "steady"
        return (
            f"{amount} on the previous {self.period} (from "
            f"{self.shown(self.earlier)}, n = {self.earlier_n}, to {self.shown(self.later)}, "
            f"n = {self.later_n})"
        )


@dataclass(frozen=True)
class VoiceTrends:
    nps: Trend
    csat: Trend
    trust: Trend


def voice_trends(
    responses: QuerySet[Response], *, now: dt.datetime, window_days: int, min_n: int
) -> VoiceTrends:
    """NPS, CSAT and trust over the later half of the window up to `now` (the last 182 days of
    365) against the earlier half, in two queries whatever the number of responses: conditional
    counts of each half over the responses, and each half's mean trust over their answers."""
    half = max(1, window_days // 2)
    since, middle = now - dt.timedelta(days=window_days), now - dt.timedelta(days=half)
    halves = {"earlier": Q(submitted_at__lte=middle), "later": Q(submitted_at__gt=middle)}
    counts = (
        responses.order_by()
        .filter(submitted_at__gt=since, submitted_at__lte=now)
        .aggregate(
            **{
                f"{name}_{side}": Count("id", filter=when & condition)
                for side, when in halves.items()
                for name, condition in (
                    ("n_nps", Q(nps__isnull=False)),
                    ("promoters", Q(nps__gte=9)),
                    ("detractors", Q(nps__lte=6)),
                    ("n_csat", Q(csat__isnull=False)),
                    ("satisfied", Q(csat__gte=4)),
                )
            }
        )
    )
    answer_halves = {
        "earlier": Q(response__submitted_at__lte=middle),
        "later": Q(response__submitted_at__gt=middle),
    }
    trust = (
        Answer.objects.filter(
            response__in=responses.order_by().values("pk"),
            response__submitted_at__gt=since,
            response__submitted_at__lte=now,
            value__isnull=False,
            question__construct__in=TRUST_CONSTRUCTS,
        )
        .order_by()
        .aggregate(
            **{
                f"{name}_{side}": aggregate
                for side, when in answer_halves.items()
                for name, aggregate in (
                    ("mean", Avg(scored_value(), filter=when)),
                    ("n", Count("response_id", distinct=True, filter=when)),
                )
            }
        )
    )
    nps = {
        side: nps_of(
            counts[f"n_nps_{side}"],
            counts[f"promoters_{side}"],
            counts[f"detractors_{side}"],
            min_n=min_n,
        )
        for side in halves
    }
    csat = {
        side: csat_of(counts[f"n_csat_{side}"], counts[f"satisfied_{side}"], min_n=min_n)
        for side in halves
    }
    means = {
        side: (trust[f"mean_{side}"] if (trust[f"n_{side}"] or 0) >= min_n else None)
        for side in halves
    }
    common = {"min_n": min_n, "half_days": half}
    return VoiceTrends(
        nps=Trend(
            "nps",
            nps["earlier"].score,
            nps["earlier"].n,
            nps["later"].score,
            nps["later"].n,
            **common,
        ),
        csat=Trend(
            "csat",
            csat["earlier"].share,
            csat["earlier"].n,
            csat["later"].share,
            csat["later"].n,
            **common,
        ),
        trust=Trend(
            "trust",
            None if means["earlier"] is None else round(means["earlier"], 3),
            trust["n_earlier"] or 0,
            None if means["later"] is None else round(means["later"], 3),
            trust["n_later"] or 0,
            **common,
        ),
    )
