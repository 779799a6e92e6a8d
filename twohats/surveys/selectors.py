"""Survey results: NPS, CSAT, construct means, the PM-versus-firm gap and verbatim reasons, for
any set of responses (a client's, a project's, a PM's, a period's).

Every figure is an aggregate query over the responses' stored `nps` and `csat` columns or over
their answers; nothing loops over responses in Python. A score resting on fewer responses than
the policy's minimum is not given (`enough` is false and `score` is None), only its n.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Avg,
    Case,
    Count,
    F,
    FloatField,
    Q,
    QuerySet,
    When,
)
from django.db.models.functions import Cast, TruncQuarter

from twohats.surveys.models import (
    Answer,
    Construct,
    Invitation,
    Response,
    SurveyKind,
    SurveyTemplate,
)

TRUST_CONSTRUCTS = [Construct.COGNITIVE_TRUST, Construct.AFFECTIVE_TRUST, Construct.FIRM_TRUST]
# Constructs scored from answers (NPS and CSAT are read from the responses' stored columns).
ANSWER_CONSTRUCTS = [
    *TRUST_CONSTRUCTS,
    Construct.COMMITMENT,
    Construct.SIMILARITY,  # shown with the others; the fit reads it from PerceivedSimilarity
    Construct.SATISFACTION,
    Construct.ROLE,
    Construct.PM_RATING,
    Construct.FIRM_RATING,
]
VERBATIM_CONSTRUCTS = [Construct.REASON, Construct.COMMENT]


@dataclass(frozen=True)
class Nps:
    """NPS = % promoters (9–10) − % detractors (0–6), with its standard error
    100·√((p₊ + p₋ − (p₊ − p₋)²) / n); no score below the minimum n."""

    n: int
    promoters: int
    passives: int
    detractors: int
    score: float | None
    standard_error: float | None
    margin_95: float | None
    enough: bool


def nps_of(n: int, promoters: int, detractors: int, *, min_n: int) -> Nps:
    enough = n >= min_n and n > 0
    score = se = margin = None
    if enough:
        p, d = promoters / n, detractors / n
        score = round(100 * (p - d), 1)
        se = round(100 * math.sqrt(max(0.0, p + d - (p - d) ** 2) / n), 1)
        margin = round(1.96 * se, 1)
    return Nps(n, promoters, n - promoters - detractors, detractors, score, se, margin, enough)


@dataclass(frozen=True)
class Csat:
    """CSAT = the share of 4 and 5 answers on the 1–5 scale."""

    n: int
    satisfied: int
    share: float | None
    enough: bool


def csat_of(n: int, satisfied: int, *, min_n: int) -> Csat:
    enough = n >= min_n and n > 0
    return Csat(n, satisfied, round(satisfied / n, 4) if enough else None, enough)


@dataclass(frozen=True)
class Mean:
    """A construct's mean item score (reverse-keyed items already turned round) and how many
    responses it rests on."""

    mean: float | None
    n: int
    enough: bool


@dataclass(frozen=True)
class Verbatim:
    text: str
    submitted_at: dt.datetime
    contact: str
    project: str
    nps: int | None


@dataclass(frozen=True)
class VoiceStats:
    nps: Nps
    csat: Csat
    constructs: dict[str, Mean]
    trust: Mean
    roles: dict[str, Mean]
    # How the client rates the PM less how they rate the firm (0–10 scale); None below min n.
    gap: float | None
    verbatims: list[Verbatim] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)


def scored_value() -> Any:
    """An answer's value with reverse keying applied: (min + max) − x (8 − x on a 1–7 scale)."""
    value = Cast("value", FloatField())
    return Case(
        When(
            question__reverse_keyed=True,
            then=Cast(F("question__scale_min") + F("question__scale_max"), FloatField()) - value,
        ),
        default=value,
        output_field=FloatField(),
    )


def _response_counts() -> dict[str, Any]:
    return {
        "n_nps": Count("id", filter=Q(nps__isnull=False)),
        "promoters": Count("id", filter=Q(nps__gte=9)),
        "detractors": Count("id", filter=Q(nps__lte=6)),
        "n_csat": Count("id", filter=Q(csat__isnull=False)),
        "satisfied": Count("id", filter=Q(csat__gte=4)),
    }


def voice_stats(
    responses: QuerySet[Response], *, min_n: int, verbatims: int = 10, versions: bool = True
) -> VoiceStats:
    """The results of a set of responses, in three or four queries whatever their number."""
    counts = responses.order_by().aggregate(**_response_counts())
    rows = (
        Answer.objects.filter(
            response__in=responses.order_by().values("pk"),
            value__isnull=False,
            question__construct__in=ANSWER_CONSTRUCTS,
        )
        # A CSAT survey's satisfaction item (1–5) is the CSAT, read from the responses.
        .exclude(question__template__kind=SurveyKind.CSAT)
        .values("question__construct", "question__role")
        .annotate(mean=Avg(scored_value()), n=Count("response_id", distinct=True))
        .order_by()
    )
    constructs: dict[str, Mean] = {}
    roles: dict[str, Mean] = {}
    for row in rows:
        construct, n = row["question__construct"], row["n"]
        mean = Mean(round(row["mean"], 3) if n >= min_n else None, n, n >= min_n)
        if construct == Construct.ROLE:
            roles[row["question__role"]] = mean
            continue
        # Rows of one construct differ only by role, which is blank outside role items.
        constructs[construct] = mean
    trust_rows = (
        Answer.objects.filter(
            response__in=responses.order_by().values("pk"),
            value__isnull=False,
            question__construct__in=TRUST_CONSTRUCTS,
        )
        .order_by()
        .aggregate(mean=Avg(scored_value()), n=Count("response_id", distinct=True))
    )
    trust_n = trust_rows["n"] or 0
    trust = Mean(
        round(trust_rows["mean"], 3)
        if trust_rows["mean"] is not None and trust_n >= min_n
        else None,
        trust_n,
        trust_n >= min_n,
    )
    pm, firm = constructs.get(Construct.PM_RATING), constructs.get(Construct.FIRM_RATING)
    gap = (
        round(pm.mean - firm.mean, 2)
        if pm and firm and pm.mean is not None and firm.mean is not None
        else None
    )
    return VoiceStats(
        nps=nps_of(counts["n_nps"], counts["promoters"], counts["detractors"], min_n=min_n),
        csat=csat_of(counts["n_csat"], counts["satisfied"], min_n=min_n),
        constructs=constructs,
        trust=trust,
        roles=roles,
        gap=gap,
        verbatims=verbatim_list(responses, limit=verbatims) if verbatims else [],
        versions=template_versions(responses) if versions else [],
    )


def verbatim_list(responses: QuerySet[Response], *, limit: int = 10) -> list[Verbatim]:
    """The latest free-text reasons and comments, newest first (shown escaped, as text)."""
    rows = (
        Answer.objects.filter(
            response__in=responses.order_by().values("pk"),
            question__construct__in=VERBATIM_CONSTRUCTS,
        )
        .exclude(text="")
        .values(
            "text",
            "response__submitted_at",
            "response__contact__first_name",
            "response__contact__last_name",
            "response__project__name",
            "response__nps",
        )
        .order_by("-response__submitted_at", "-id")[:limit]
    )
    return [
        Verbatim(
            text=row["text"],
            submitted_at=row["response__submitted_at"],
            contact=f"{row['response__contact__first_name']} {row['response__contact__last_name']}",
            project=row["response__project__name"],
            nps=row["response__nps"],
        )
        for row in rows
    ]


def template_versions(responses: QuerySet[Response]) -> list[str]:
    """Which template versions the results come from and how many responses each, e.g.
    "Net Promoter Score v1 (38 responses)": once a template is revised, its results mix
    wordings, and readers should know in what proportion."""
    rows = (
        responses.order_by()
        .values("template__family", "template__name", "template__version")
        .annotate(n=Count("id"))
        .order_by("template__family", "template__version")
    )
    return [
        f"{row['template__name']} v{row['template__version']} "
        f"({row['n']} response{'' if row['n'] == 1 else 's'})"
        for row in rows
    ]


@dataclass(frozen=True)
class TemplateVersionRow:
    """One version of a survey template with what hangs on it."""

    template: SurveyTemplate
    questions: int
    responses: int
    open_invitations: int


def template_version_list(*, now: dt.datetime) -> list[TemplateVersionRow]:
    """Every version of every survey template, current first within a family, with its numbers
    of questions, responses and open invitations: three queries whatever their number."""
    templates = SurveyTemplate.objects.annotate(n_questions=Count("questions")).order_by(
        "family", "-version"
    )
    responses = dict(
        Response.objects.order_by()
        .values("template_id")
        .annotate(n=Count("id"))
        .values_list("template_id", "n")
    )
    open_invitations = dict(
        Invitation.objects.order_by()
        .filter(used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)
        .values("template_id")
        .annotate(n=Count("id"))
        .values_list("template_id", "n")
    )
    return [
        TemplateVersionRow(
            template=template,
            questions=template.n_questions,  # type: ignore[attr-defined]
            responses=responses.get(template.pk, 0),
            open_invitations=open_invitations.get(template.pk, 0),
        )
        for template in templates
    ]


@dataclass(frozen=True)
class PeriodRow:
    quarter: dt.date
    group: Any
    label: str
    nps: Nps
    csat: Csat

    @property
    def quarter_name(self) -> str:
        return f"{self.quarter.year} Q{(self.quarter.month - 1) // 3 + 1}"


def voice_by_quarter(
    responses: QuerySet[Response], *, min_n: int, by: str | None = None, label: str | None = None
) -> list[PeriodRow]:
    """NPS and CSAT per quarter (and per `by`, e.g. "pm_id" or "pm__practice_id"), oldest
    first, in one query."""
    keys = ["quarter"] + ([by] if by else []) + ([label] if label else [])
    rows = (
        responses.order_by()
        .annotate(quarter=TruncQuarter("submitted_at"))
        .values(*keys)
        .annotate(**_response_counts())
        .order_by(*keys)
    )
    out = []
    for row in rows:
        quarter = row["quarter"]
        if isinstance(quarter, dt.datetime):
            quarter = quarter.date()
        out.append(
            PeriodRow(
                quarter=quarter,
                group=row[by] if by else None,
                label=str(row[label]) if label and row[label] is not None else "",
                nps=nps_of(row["n_nps"], row["promoters"], row["detractors"], min_n=min_n),
                csat=csat_of(row["n_csat"], row["satisfied"], min_n=min_n),
            )
        )
    return out


@dataclass(frozen=True)
class ClientVoice:
    """The latest scores (the policy's window up to now) beside the window before, for a trend."""

    latest: VoiceStats
    previous: Nps
    window_days: int

    @property
    def nps_trend(self) -> float | None:
        if self.latest.nps.score is None or self.previous.score is None:
            return None
        return round(self.latest.nps.score - self.previous.score, 1)


def client_voice_detail(
    client_id: int, *, now: dt.datetime, min_n: int, window_days: int, verbatims: int = 5
) -> ClientVoice:
    responses = Response.objects.filter(client_id=client_id, submitted_at__lte=now)
    since = now - dt.timedelta(days=window_days)
    before = responses.filter(
        submitted_at__lte=since, submitted_at__gt=since - dt.timedelta(days=window_days)
    )
    counts = before.order_by().aggregate(**_response_counts())
    return ClientVoice(
        latest=voice_stats(
            responses.filter(submitted_at__gt=since), min_n=min_n, verbatims=verbatims
        ),
        previous=nps_of(counts["n_nps"], counts["promoters"], counts["detractors"], min_n=min_n),
        window_days=window_days,
    )


# ---------------------------------------------------------------------------------------------
# The portfolio of the client's voice


def quarters_back(now: dt.datetime, quarters: int) -> list[dt.date]:
    """The first days of the last `quarters` quarters up to `now`'s, oldest first."""
    index = now.year * 4 + (now.month - 1) // 3
    return [dt.date(i // 4, (i % 4) * 3 + 1, 1) for i in range(index - quarters + 1, index + 1)]


@dataclass(frozen=True)
class ResponseRate:
    """Answered invitations over those that are closed (answered, or expired unanswered and not
    revoked): open invitations still running do not count against the rate."""

    group: Any
    label: str
    closed: int
    answered: int

    @property
    def rate(self) -> float | None:
        return round(self.answered / self.closed, 4) if self.closed else None


def response_rates(
    invitations: QuerySet[Invitation], *, now: dt.datetime, by: str, label: str
) -> list[ResponseRate]:
    """Response rates per `by` (e.g. "project__manager__practice_id"), in one query."""
    answered = Q(used_at__isnull=False)
    expired = Q(used_at__isnull=True, revoked_at__isnull=True, expires_at__lte=now)
    rows = (
        invitations.order_by()
        .filter(answered | expired)
        .values(by, label)
        .annotate(closed=Count("id"), answered=Count("id", filter=answered))
        .order_by(label, by)
    )
    return [
        ResponseRate(
            group=row[by],
            label=str(row[label]) if row[label] is not None else "",
            closed=row["closed"],
            answered=row["answered"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class PmRolesSeen:
    """How clients rate a PM's six roles (1–5) and the PM against the firm (0–10), from the
    answers to responses about the PM's projects since a date."""

    roles: dict[str, Mean]
    pm_rating: Mean
    firm_rating: Mean
    min_n: int

    @property
    def gap(self) -> float | None:
        """How the clients rate the PM less how they rate the firm; None below the minimum n."""
        pm, firm = self.pm_rating.mean, self.firm_rating.mean
        return round(pm - firm, 2) if pm is not None and firm is not None else None

    @property
    def n(self) -> int:
        """The most responses behind any one role's mean."""
        return max((mean.n for mean in self.roles.values()), default=0)


def pm_roles_seen(pm: Any, since: dt.datetime, *, min_n: int) -> PmRolesSeen:
    """The mean client rating of each of the PM's roles and the PM's and the firm's ratings, over
    the responses about the PM submitted after `since`: 1 query (grouped by construct and role).
    A mean resting on fewer than `min_n` responses is not given, only its n."""
    rows = (
        Answer.objects.filter(
            response__pm=pm,
            response__submitted_at__gt=since,
            value__isnull=False,
            question__construct__in=[Construct.ROLE, Construct.PM_RATING, Construct.FIRM_RATING],
        )
        .values("question__construct", "question__role")
        .annotate(mean=Avg(scored_value()), n=Count("response_id", distinct=True))
        .order_by()
    )
    roles: dict[str, Mean] = {}
    ratings: dict[str, Mean] = {}
    for row in rows:
        n = row["n"]
        mean = Mean(round(row["mean"], 2) if n >= min_n else None, n, n >= min_n)
        if row["question__construct"] == Construct.ROLE:
            roles[row["question__role"]] = mean
        else:
            ratings[row["question__construct"]] = mean
    none = Mean(None, 0, False)
    return PmRolesSeen(
        roles=roles,
        pm_rating=ratings.get(Construct.PM_RATING, none),
        firm_rating=ratings.get(Construct.FIRM_RATING, none),
        min_n=min_n,
    )
