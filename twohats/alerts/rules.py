"""The early-warning rules. Each rule is a few set-based queries over every client (or PM) at
once and returns its findings; `alerts_evaluate` applies them all. Thresholds come from the
active health policy."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, Max, Q
from django.utils import timezone

from twohats.alerts.continuity import continuity
from twohats.alerts.delivery import divergence, pending_changes
from twohats.alerts.models import Rule, Severity
from twohats.alerts.pm_rules import going_native, role_mix
from twohats.alerts.services import Evaluated, Finding, alerts_apply
from twohats.alerts.voice import detractors
from twohats.clients.models import HIGH, Client, Contact, Stance
from twohats.health.models import HealthPolicy, HealthSnapshot
from twohats.health.policy import Delivery, Rules, Surveys
from twohats.interactions.models import Channel, ClientRequest, Interaction, Priority
from twohats.projects.models import Project, ProjectStatus


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    tier: str
    lead_id: int
    created_at: dt.datetime
    primary_contact_id: int | None

    def finding(
        self,
        rule: str,
        severity: int,
        title: str,
        evidence: dict[str, Any],
        playbook: list[str],
        subject: str = "",
    ) -> Finding:
        return Finding(
            rule=rule,
            subject_key=subject or f"client:{self.id}",
            severity=severity,
            title=f"{self.name}: {title}",
            evidence=evidence,
            playbook=playbook,
            client_id=self.id,
            pm_id=self.lead_id,
            owner_id=self.lead_id,
        )


@dataclass(frozen=True)
class Context:
    now: dt.datetime
    today: dt.date
    rules: Rules
    accounts: dict[int, Account]
    delivery: Delivery = field(default_factory=Delivery)
    surveys: Surveys = field(default_factory=Surveys)

    def ago(self, days: float) -> dt.datetime:
        return self.now - dt.timedelta(days=days)


def accounts() -> dict[int, Account]:
    """Current accounts: not archived, not former clients."""
    rows = Client.objects.filter(archived_at__isnull=True).exclude(status="former")
    return {
        row[0]: Account(*row)
        for row in rows.values_list(
            "id", "name", "tier", "account_lead_id", "created_at", "primary_contact_id"
        )
    }


def _days(delta: dt.timedelta) -> int:
    return int(delta.total_seconds() // 86400)


def silent_and_distant(ctx: Context) -> dict[str, list[Finding]]:
    """Rules 2 and 3: no interaction in N days (by tier); no face-to-face in N days."""
    last = {
        row["client_id"]: row
        for row in Interaction.objects.filter(occurred_at__lte=ctx.now)
        .values("client_id")
        .annotate(
            last=Max("occurred_at"),
            last_f2f=Max("occurred_at", filter=Q(channel=Channel.IN_PERSON)),
        )
        .order_by()
    }
    silent, distant = [], []
    f2f_limit = ctx.rules.face_to_face_days
    for account in ctx.accounts.values():
        row = last.get(account.id, {})
        limit = ctx.rules.silent_days.get(account.tier, max(ctx.rules.silent_days.values()))
        since = row.get("last") or account.created_at
        quiet = _days(ctx.now - since)
        if quiet > limit:
            silent.append(
                account.finding(
                    Rule.SILENT_ACCOUNT,
                    Severity.HIGH if quiet > 2 * limit else Severity.MEDIUM,
                    f"no interaction in {quiet} days",
                    {
                        "days_since_last_interaction": quiet,
                        "policy_days": limit,
                        "tier": account.tier,
                        "last_interaction": row["last"].isoformat() if row.get("last") else None,
                    },
                    [
                        "Call the primary representative this week",
                        "Schedule a face-to-face with the sponsor",
                        "Send a short insight or case study relevant to their business",
                    ],
                )
            )
        if row.get("last"):
            since_f2f = row.get("last_f2f") or account.created_at
            apart = _days(ctx.now - since_f2f)
            if apart > f2f_limit:
                distant.append(
                    account.finding(
                        Rule.NO_FACE_TO_FACE,
                        Severity.HIGH if apart > 2 * f2f_limit else Severity.MEDIUM,
                        f"no face-to-face meeting in {apart} days",
                        {
                            "days_since_face_to_face": apart,
                            "policy_days": f2f_limit,
                            "last_face_to_face": row["last_f2f"].isoformat()
                            if row.get("last_f2f")
                            else None,
                        },
                        [
                            "Schedule a face-to-face with the sponsor",
                            "Hold the next steering review on site",
                        ],
                    )
                )
    return {Rule.SILENT_ACCOUNT: silent, Rule.NO_FACE_TO_FACE: distant}


def responsiveness(ctx: Context) -> dict[str, list[Finding]]:
    """Rule 4: open requests past their SLA; the 30-day share of breaches above the policy."""
    overdue: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for due in (
        ClientRequest.objects.filter(
            first_response_at__isnull=True, resolved_at__isnull=True, due_at__lt=ctx.now
        )
        .values("id", "client_id", "subject", "priority", "due_at")
        .order_by("due_at")
    ):
        overdue[due["client_id"]].append(dict(due))
    late_findings = []
    for client_id, rows in overdue.items():
        account = ctx.accounts.get(client_id)
        if account is None:
            continue
        urgent = any(r["priority"] in (Priority.CRITICAL, Priority.HIGH) for r in rows)
        late_findings.append(
            account.finding(
                Rule.OVERDUE_REQUEST,
                Severity.HIGH if urgent else Severity.MEDIUM,
                f"{len(rows)} request{'s' if len(rows) != 1 else ''} past the SLA, unanswered",
                {
                    "requests": [
                        {
                            "id": r["id"],
                            "subject": r["subject"],
                            "priority": r["priority"],
                            "due_at": r["due_at"].isoformat(),
                        }
                        for r in rows[:10]
                    ],
                    "count": len(rows),
                },
                ["Answer the oldest request today, even if only to say when it will be done"],
            )
        )
    answered = Q(first_response_at__lte=ctx.now)
    late = (answered & Q(breached=True)) | (~answered & Q(due_at__lt=ctx.now))
    shares = (
        ClientRequest.objects.filter(raised_at__gte=ctx.ago(30), raised_at__lte=ctx.now)
        .values("client_id")
        .annotate(
            judged=Count("id", filter=answered | Q(due_at__lt=ctx.now)),
            late=Count("id", filter=late),
        )
        .order_by()
    )
    slow = []
    for row in shares:
        account = ctx.accounts.get(row["client_id"])
        if account is None or row["judged"] < 3:
            continue
        share = row["late"] / row["judged"]
        if share > ctx.rules.breach_share_max:
            slow.append(
                account.finding(
                    Rule.SLOW_RESPONSES,
                    Severity.HIGH if share > 2 * ctx.rules.breach_share_max else Severity.MEDIUM,
                    f"{row['late']} of {row['judged']} requests in 30 days breached their SLA",
                    {
                        "breached": row["late"],
                        "judged": row["judged"],
                        "share": round(share, 4),
                        "policy_share": ctx.rules.breach_share_max,
                    },
                    [
                        "Agree a named backup to answer requests when you are out",
                        "Review the open requests with the team at the weekly meeting",
                    ],
                )
            )
    return {Rule.OVERDUE_REQUEST: late_findings, Rule.SLOW_RESPONSES: slow}


def _current_contacts(today: dt.date) -> Q:
    return Q(archived_at__isnull=True) & (Q(left_on__isnull=True) | Q(left_on__gt=today))


def coverage(ctx: Context) -> dict[str, list[Finding]]:
    """Rule 5: powerful contacts not engaged in N days; single-threaded accounts."""
    since = ctx.ago(ctx.rules.coverage_days)
    Through = Interaction.contacts.through
    engaged = set(
        Through.objects.filter(
            interaction__occurred_at__gte=since, interaction__occurred_at__lte=ctx.now
        )
        .values_list("contact_id", flat=True)
        .distinct()
    )
    powerful: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pk, client_id, first, last in Contact.objects.filter(
        _current_contacts(ctx.today), power__gte=HIGH
    ).values_list("id", "client_id", "first_name", "last_name"):
        powerful[client_id].append((pk, f"{first} {last}"))
    unengaged = []
    for client_id, people in powerful.items():
        account = ctx.accounts.get(client_id)
        if account is None or account.created_at > since:
            continue
        missed = [name for pk, name in people if pk not in engaged]
        if missed:
            share = len(missed) / len(people)
            unengaged.append(
                account.finding(
                    Rule.UNENGAGED_POWER,
                    Severity.HIGH
                    if share > 0.5
                    else Severity.MEDIUM
                    if share > 0.2
                    else Severity.LOW,
                    f"{len(missed)} of {len(people)} high-power contacts not engaged in "
                    f"{ctx.rules.coverage_days} days",
                    {"not_engaged": sorted(missed)[:20], "count": len(missed), "of": len(people)},
                    [
                        f"Meet {sorted(missed)[0]}: introduce the team and the plan",
                        "Ask your champion to broker an introduction",
                    ],
                )
            )
    threads = (
        Through.objects.filter(
            interaction__occurred_at__gte=since, interaction__occurred_at__lte=ctx.now
        )
        .values("interaction__client_id")
        .annotate(
            people=Count("contact_id", distinct=True),
            touches=Count("interaction_id", distinct=True),
            contact=Max("contact_id"),
        )
        .order_by()
    )
    single = []
    for row in threads:
        account = ctx.accounts.get(row["interaction__client_id"])
        if (
            account is None
            or row["people"] != 1
            or row["touches"] < ctx.rules.single_thread_min_interactions
        ):
            continue
        single.append(
            account.finding(
                Rule.SINGLE_THREADED,
                Severity.MEDIUM,
                f"every interaction in {ctx.rules.coverage_days} days was with one person",
                {"interactions": row["touches"], "contact_id": row["contact"]},
                [
                    "Widen the relationship: meet two more stakeholders this month",
                    "Invite the sponsor's peers to the next steering review",
                ],
            )
        )
    return {Rule.UNENGAGED_POWER: unengaged, Rule.SINGLE_THREADED: single}


FALLEN = [Stance.SKEPTIC, Stance.BLOCKER]


def key_contacts(ctx: Context) -> dict[str, list[Finding]]:
    """Rule 6: the primary representative or a champion left, or their stance fell."""
    since = ctx.today - dt.timedelta(days=ctx.rules.key_contact_days)
    primaries = {a.primary_contact_id for a in ctx.accounts.values() if a.primary_contact_id}
    rows = Contact.objects.filter(
        Q(left_on__gt=since, left_on__lte=ctx.today)
        | Q(
            stance__in=FALLEN,
            stance_changed_on__gt=since,
            previous_stance__in=[Stance.CHAMPION, Stance.SUPPORTER, Stance.NEUTRAL],
        )
    ).values_list(
        "id", "client_id", "first_name", "last_name", "stance", "previous_stance", "left_on"
    )
    findings = []
    for pk, client_id, first, last, stance, previous, left_on in rows:
        account = ctx.accounts.get(client_id)
        is_primary = pk in primaries
        was_champion = stance == Stance.CHAMPION or previous == Stance.CHAMPION
        if account is None or not (is_primary or was_champion):
            continue
        who = f"{'the primary representative' if is_primary else 'champion'} {first} {last}"
        if left_on is not None and since < left_on <= ctx.today:
            title, evidence = f"{who} left on {left_on:%Y-%m-%d}", {"left_on": left_on.isoformat()}
            playbook = [
                "Meet the successor within two weeks and restate the plan",
                "Ask the sponsor who now speaks for the client",
            ]
        else:
            title = f"{who} is now a {stance}"
            evidence = {"from": previous, "to": stance}
            playbook = [
                "Call them within two business days to understand what changed",
                "Plan with your director who else should meet them",
            ]
        findings.append(
            account.finding(
                Rule.KEY_CONTACT_CHANGE,
                Severity.HIGH if is_primary else Severity.MEDIUM,
                title,
                {"contact_id": pk, **evidence},
                playbook,
                subject=f"contact:{pk}",
            )
        )
    return {Rule.KEY_CONTACT_CHANGE: findings}


def growth_roles(ctx: Context) -> dict[str, list[Finding]]:
    """Rule 7 (accounts): a project ends within N days and nobody did entrepreneur or marketer
    work with the client in the last N days."""
    ending = dict(
        Project.objects.filter(
            status=ProjectStatus.ACTIVE,
            archived_at__isnull=True,
            end_date__gte=ctx.today,
            end_date__lte=ctx.today + dt.timedelta(days=ctx.rules.role_ending_days),
        )
        .values("client_id")
        .annotate(first_end=Max("end_date"))
        .order_by()
        .values_list("client_id", "first_end")
    )
    growing = set(
        Interaction.objects.filter(
            Q(role_entrepreneur=True) | Q(role_marketer=True),
            client_id__in=list(ending),
            occurred_at__gte=ctx.ago(ctx.rules.role_window_days),
            occurred_at__lte=ctx.now,
        )
        .values_list("client_id", flat=True)
        .distinct()
    )
    findings = []
    for client_id, end in ending.items():
        account = ctx.accounts.get(client_id)
        if account is None or client_id in growing:
            continue
        findings.append(
            account.finding(
                Rule.NO_GROWTH_ROLES,
                Severity.MEDIUM,
                f"a project ends on {end:%Y-%m-%d} with no entrepreneur or marketer work in "
                f"{ctx.rules.role_window_days} days",
                {"project_end": end.isoformat(), "window_days": ctx.rules.role_window_days},
                [
                    "Explore the follow-on needs with the sponsor before the project ends",
                    "Present the firm's wider capabilities at the next steering review",
                ],
            )
        )
    return {Rule.NO_GROWTH_ROLES: findings}


LAST_N_SQL = """
SELECT client_id, AVG(CAST(sentiment AS DOUBLE PRECISION)), COUNT(*) FROM (
    SELECT client_id, sentiment,
           ROW_NUMBER() OVER (PARTITION BY client_id ORDER BY occurred_at DESC, id DESC) AS n
    FROM {table}
    WHERE occurred_at <= %s AND occurred_at >= %s
) latest
WHERE n <= %s
GROUP BY client_id
"""


def sentiment(ctx: Context) -> dict[str, list[Finding]]:
    """Rule 8: the last N interactions' mean sentiment below the floor, or the last 30 days'
    mean down by a set amount against the 90 days before."""
    table = Interaction._meta.db_table
    with connection.cursor() as cursor:
        adapt = connection.ops.adapt_datetimefield_value  # as the database stores them
        cursor.execute(
            LAST_N_SQL.format(table=table),
            [adapt(ctx.now), adapt(ctx.ago(180)), ctx.rules.sentiment_last_n],
        )
        latest = {cid: (float(mean), n) for cid, mean, n in cursor.fetchall()}
    windows = {
        row["client_id"]: row
        for row in Interaction.objects.filter(
            occurred_at__gte=ctx.ago(120), occurred_at__lte=ctx.now
        )
        .values("client_id")
        .annotate(
            recent_sum=Sum_("sentiment", Q(occurred_at__gte=ctx.ago(30))),
            recent_n=Count("id", filter=Q(occurred_at__gte=ctx.ago(30))),
            before_sum=Sum_("sentiment", Q(occurred_at__lt=ctx.ago(30))),
            before_n=Count("id", filter=Q(occurred_at__lt=ctx.ago(30))),
        )
        .order_by()
    }
    findings = []
    for client_id, account in ctx.accounts.items():
        reasons: list[str] = []
        evidence: dict[str, Any] = {}
        mean_n = latest.get(client_id)
        if (
            mean_n
            and mean_n[1] >= ctx.rules.sentiment_last_n
            and mean_n[0] < ctx.rules.sentiment_floor
        ):
            reasons.append(f"the last {mean_n[1]} interactions average {mean_n[0]:+.1f}")
            evidence |= {
                "mean_of_last_interactions": round(mean_n[0], 4),
                "policy_lowest_mean": ctx.rules.sentiment_floor,
            }
        row = windows.get(client_id)
        if row and row["recent_n"] and row["before_n"]:
            drop = row["before_sum"] / row["before_n"] - row["recent_sum"] / row["recent_n"]
            if drop >= ctx.rules.sentiment_drop:
                reasons.append(f"sentiment fell by {drop:.1f} against the 90 days before")
                evidence |= {"fall": round(drop, 4), "policy_fall": ctx.rules.sentiment_drop}
        if reasons:
            findings.append(
                account.finding(
                    Rule.SENTIMENT_DROP,
                    Severity.HIGH if len(reasons) == 2 else Severity.MEDIUM,
                    "; ".join(reasons),
                    evidence,
                    [
                        "Call the sponsor to ask how the project feels from their side",
                        "Review the last interactions' next steps: is something left undone?",
                    ],
                )
            )
    return {Rule.SENTIMENT_DROP: findings}


def Sum_(field: str, condition: Q) -> Any:
    from django.db.models import FloatField, Sum
    from django.db.models.functions import Cast

    return Sum(Cast(field, FloatField()), filter=condition)


BAND_ORDER = {"green": 3, "amber": 2, "red": 1}


def health(ctx: Context) -> dict[str, list[Finding]]:
    """Rule 9: the overall score fell by N points in N days, or the band got worse."""
    latest_date = (
        HealthSnapshot.objects.filter(date__lte=ctx.today)
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )
    if latest_date is None:
        return {Rule.HEALTH_DROP: []}
    earlier_date = (
        HealthSnapshot.objects.filter(
            date__lte=latest_date - dt.timedelta(days=ctx.rules.health_drop_days)
        )
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )
    if earlier_date is None:
        return {Rule.HEALTH_DROP: []}
    now_rows = dict(
        HealthSnapshot.objects.filter(date=latest_date, project=None).values_list(
            "client_id", "overall"
        )
    )
    then_rows = dict(
        HealthSnapshot.objects.filter(date=earlier_date, project=None).values_list(
            "client_id", "overall"
        )
    )
    bands = HealthPolicy.objects.active().rules.bands
    findings = []
    for client_id, score in now_rows.items():
        account, before = ctx.accounts.get(client_id), then_rows.get(client_id)
        if account is None or score is None or before is None:
            continue
        drop = before - score
        worse = BAND_ORDER[bands.of(score)] < BAND_ORDER[bands.of(before)]
        if drop >= ctx.rules.health_drop_points or worse:
            findings.append(
                account.finding(
                    Rule.HEALTH_DROP,
                    Severity.HIGH if bands.of(score) == "red" else Severity.MEDIUM,
                    f"health {before:.0f} → {score:.0f} since {earlier_date:%Y-%m-%d}"
                    + (f" ({bands.of(before)} → {bands.of(score)})" if worse else ""),
                    {
                        "from": round(before, 2),
                        "to": round(score, 2),
                        "since": earlier_date.isoformat(),
                        "from_band": bands.of(before),
                        "to_band": bands.of(score),
                    },
                    ["Open the health card: act on its first reason this week"],
                )
            )
    return {Rule.HEALTH_DROP: findings}


RULES: list[Callable[[Context], dict[str, list[Finding]]]] = [
    going_native,
    role_mix,
    silent_and_distant,
    responsiveness,
    coverage,
    key_contacts,
    growth_roles,
    sentiment,
    health,
    divergence,
    pending_changes,
    detractors,
    continuity,
]


def alerts_evaluate(*, now: dt.datetime | None = None) -> Evaluated:
    """Run every rule as of `now` and reconcile the alerts with what they find."""
    now = now or timezone.now()
    policy = HealthPolicy.objects.active().rules
    ctx = Context(
        now=now,
        today=timezone.localdate(now),
        rules=policy.rules,
        accounts=accounts(),
        delivery=policy.delivery,
        surveys=policy.surveys,
    )
    total = Evaluated()
    for rule in RULES:
        found = rule(ctx)
        done = alerts_apply(
            rules=list(found), findings=[f for fs in found.values() for f in fs], now=now
        )
        for name in ("opened", "updated", "reopened", "resolved", "cleared"):
            setattr(total, name, getattr(total, name) + getattr(done, name))
        total.rules += done.rules
    return total
