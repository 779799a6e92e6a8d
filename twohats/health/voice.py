"""Voice signals for every client (or project) at once, from survey responses in the policy's
window (365 days by default) up to the end of the date, measured with SQL aggregates:

- NPS: % promoters (9–10) − % detractors (0–6) of the responses' stored scores;
- CSAT: the share of 4 and 5 on the 1–5 scale;
- trust: the mean trust item (cognitive and affective trust in the PM, trust in the firm) on the
  1–7 scale, reverse-keyed items scored (min + max) − x;
- the PM-versus-firm gap: how far apart the client rates the PM and the firm (0–10), either
  way round; the signed gap is in the detail;
- the trends of NPS and trust: the score over the later half of the window (the last 182 days of
  365) less the score over the earlier half (the 183 days before), measured in the same queries
  as the latest scores by counting each half apart.

A signal resting on fewer responses than the policy's `surveys.min_n` has no reading; a trend
needs that many in each half.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from django.db.models import Avg, Count, Q

from twohats.health.policy import Surveys
from twohats.health.scoring import Describe, Reading
from twohats.surveys.models import Answer, Construct, Response
from twohats.surveys.selectors import TRUST_CONSTRUCTS, csat_of, nps_of, scored_value

if TYPE_CHECKING:
    from twohats.health.signals import Window

Readings = dict[int, dict[str, Reading]]

RATINGS = [Construct.PM_RATING, Construct.FIRM_RATING]


def half_days(window_days: int) -> int:
    """The later half of a window for its trend (182 days of 365); the earlier is the rest."""
    return max(1, window_days // 2)


def _nps_counts(when: Q, suffix: str) -> dict[str, Count]:
    return {
        f"n_nps{suffix}": Count("id", filter=when & Q(nps__isnull=False)),
        f"promoters{suffix}": Count("id", filter=when & Q(nps__gte=9)),
        f"detractors{suffix}": Count("id", filter=when & Q(nps__lte=6)),
    }


def measure(key: str, w: Window, settings: Surveys) -> Readings:
    since, min_n = w.days_back(settings.window_days), settings.min_n
    middle = w.days_back(half_days(settings.window_days))
    responses = Response.objects.filter(submitted_at__gte=since, submitted_at__lt=w.end)
    out: Readings = defaultdict(dict)
    rows = (
        responses.values(key)
        .annotate(
            **_nps_counts(Q(), ""),
            n_csat=Count("id", filter=Q(csat__isnull=False)),
            satisfied=Count("id", filter=Q(csat__gte=4)),
            # Each half of the window apart, for the trend: still one query.
            **_nps_counts(Q(submitted_at__lt=middle), "_earlier"),
            **_nps_counts(Q(submitted_at__gte=middle), "_later"),
        )
        .order_by()
    )
    for row in rows:
        values = out[row[key]]
        nps = nps_of(row["n_nps"], row["promoters"], row["detractors"], min_n=min_n)
        if nps.score is not None:
            values["voice.nps"] = Reading(
                nps.score,
                {
                    "n": nps.n,
                    "promoters": nps.promoters,
                    "detractors": nps.detractors,
                    "standard_error": nps.standard_error,
                },
            )
        csat = csat_of(row["n_csat"], row["satisfied"], min_n=min_n)
        if csat.share is not None:
            values["voice.csat"] = Reading(csat.share, {"n": csat.n, "satisfied": csat.satisfied})
        earlier, later = (
            nps_of(row[f"n_nps{s}"], row[f"promoters{s}"], row[f"detractors{s}"], min_n=min_n)
            for s in ("_earlier", "_later")
        )
        if earlier.score is not None and later.score is not None:
            values["voice.nps_trend"] = Reading(
                round(later.score - earlier.score, 1),
                {
                    "earlier": earlier.score,
                    "earlier_n": earlier.n,
                    "later": later.score,
                    "later_n": later.n,
                },
            )
    answers = Answer.objects.filter(
        response__submitted_at__gte=since, response__submitted_at__lt=w.end, value__isnull=False
    )
    subject = f"response__{key}"
    earlier_half = Q(response__submitted_at__lt=middle)
    later_half = Q(response__submitted_at__gte=middle)
    trust = (
        answers.filter(question__construct__in=TRUST_CONSTRUCTS)
        .values(subject)
        .annotate(
            mean=Avg(scored_value()),
            n=Count("response_id", distinct=True),
            mean_earlier=Avg(scored_value(), filter=earlier_half),
            n_earlier=Count("response_id", distinct=True, filter=earlier_half),
            mean_later=Avg(scored_value(), filter=later_half),
            n_later=Count("response_id", distinct=True, filter=later_half),
        )
        .order_by()
    )
    for row in trust:
        if row["n"] >= min_n:
            out[row[subject]]["voice.trust"] = Reading(round(row["mean"], 6), {"n": row["n"]})
        if min(row["n_earlier"], row["n_later"]) >= min_n:
            out[row[subject]]["voice.trust_trend"] = Reading(
                round(row["mean_later"] - row["mean_earlier"], 6),
                {
                    "earlier": round(row["mean_earlier"], 2),
                    "earlier_n": row["n_earlier"],
                    "later": round(row["mean_later"], 2),
                    "later_n": row["n_later"],
                },
            )
    ratings = (
        answers.filter(question__construct__in=RATINGS)
        .values(subject, "question__construct")
        .annotate(mean=Avg(scored_value()), n=Count("response_id", distinct=True))
        .order_by()
    )
    means: dict[int, dict[str, tuple[float, int]]] = defaultdict(dict)
    for row in ratings:
        means[row[subject]][row["question__construct"]] = (row["mean"], row["n"])
    for subject_id, found in means.items():
        pm, firm = found.get(Construct.PM_RATING), found.get(Construct.FIRM_RATING)
        if pm and firm and min(pm[1], firm[1]) >= min_n:
            gap = pm[0] - firm[0]
            out[subject_id]["voice.pm_vs_firm_gap"] = Reading(
                round(abs(gap), 6), {"gap": round(gap, 2), "n": min(pm[1], firm[1])}
            )
    return out


def _gap_words(r: Reading, good: float) -> str:
    gap = float(r.detail.get("gap", r.raw))
    side = "the PM above the firm" if gap > 0 else "the firm above the PM"
    return f"the client rates {side} by {abs(gap):.1f} points of 10; policy {good:.1f}"


def _signed(value: float, digits: int = 0) -> str:
    """+40, -25 or 0 (no sign on zero)."""
    text = f"{value:+.{digits}f}"
    return text[1:] if float(text) == 0 else text


def _trend_words(what: str, unit: str, digits: int, shown: str) -> Describe:
    """E.g. "NPS fell 18 points (from +40, n = 9, to +22, n = 7); policy 0"."""

    def words(r: Reading, good: float) -> str:
        change = round(r.raw, digits)
        verb = "rose" if change > 0 else "fell" if change < 0 else "held steady"
        amount = f" {abs(change):.{digits}f} {unit}" if change else ""
        d = r.detail
        earlier, later = (
            shown.format(float(d.get(side, 0)), sign=_signed(float(d.get(side, 0))))
            for side in ("earlier", "later")
        )
        return (
            f"{what} {verb}{amount} (from {earlier}, "
            f"n = {d.get('earlier_n', 0)}, to {later}, n = {d.get('later_n', 0)}); "
            f"policy {_signed(good, digits)}"
        )

    return words


DESCRIBE: dict[str, Describe] = {
    "voice.nps": lambda r, good: (
        f"NPS {r.raw:+.0f} (n = {r.detail.get('n', 0)}, ± {r.detail.get('standard_error', 0)}); "
        f"policy {good:+.0f}"
    ),
    "voice.csat": lambda r, good: (
        f"{r.detail.get('satisfied', 0)} of {r.detail.get('n', 0)} satisfied (4 or 5); "
        f"policy {good * 100:.0f} %"
    ),
    "voice.trust": lambda r, good: (
        f"trust {r.raw:.1f} of 7 (n = {r.detail.get('n', 0)}); policy {good:.1f}"
    ),
    "voice.pm_vs_firm_gap": _gap_words,
    "voice.nps_trend": _trend_words("NPS", "points", 0, "{sign}"),
    "voice.trust_trend": _trend_words("trust", "points of 7", 1, "{0:.1f}"),
}
