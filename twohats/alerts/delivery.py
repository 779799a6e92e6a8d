"""The delivery rules: delivery and relationship health diverging, and change requests left
pending. Like the other rules, each is a few set-based queries over every project and client at
once; `rules.RULES` runs them. (Absorbed change requests raise the going-native rule's severity:
see `pm_rules.going_native`.)"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.db.models import F, QuerySet

from twohats.alerts.models import Rule, Severity
from twohats.alerts.services import Finding
from twohats.health.models import HealthSnapshot
from twohats.projects.models import ChangeRequest, Decision, ProjectStatus

if TYPE_CHECKING:
    from twohats.alerts.rules import Account, Context

# Evidence of EV signals is read from the snapshot; these are the delivery signals it names.
EV_SIGNALS = ["delivery.spi", "delivery.cpi"]
# The two scores this many points apart or more make a divergence severe.
SEVERE_GAP = 50.0

DELIVERY_RED_PLAYBOOK = [
    "Tell the sponsor where delivery stands before the numbers reach them another way",
    "Check the change ledger: is goodwill being bought with absorbed changes?",
    "Agree a recovery plan for schedule and cost with the team and your director",
]
RELATIONSHIP_RED_PLAYBOOK = [
    "Meet the sponsor to hear what is not working for them, whatever the numbers say",
    "Ask the client for feedback: a short survey or an item at the next steering review",
    "Review open requests and next steps: is something promised left undone?",
]


def _latest_date(today: dt.date) -> dt.date | None:
    found: dt.date | None = (
        HealthSnapshot.objects.filter(date__lte=today)
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )
    return found


def _rows(snapshots: QuerySet[HealthSnapshot]) -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in snapshots.values(
            "client_id",
            "project_id",
            "project__name",
            "project__manager_id",
            "relationship",
            "dimensions",
            "signals",
        ).order_by(F("project_id").asc(nulls_last=True), "client_id")
    ]


def divergence(ctx: Context) -> dict[str, list[Finding]]:
    """Delivery red while relationship health is green (the client may not know yet, or goodwill
    is being bought), and relationship red while delivery is green (a trust problem hidden by
    good numbers), per project and per client, from the latest snapshots. Delivery counts only
    with an SPI or a CPI behind it; a client's alert is left out when one of its projects has
    the same alert already."""
    rules: dict[str, list[Finding]] = {Rule.DELIVERY_DIVERGES: [], Rule.RELATIONSHIP_DIVERGES: []}
    date = _latest_date(ctx.today)
    if date is None:
        return rules
    red, green = ctx.rules.divergence_red_below, ctx.rules.divergence_green_at
    measured = HealthSnapshot.objects.filter(date=date, signals__has_any_keys=EV_SIGNALS)
    cases = {
        Rule.DELIVERY_DIVERGES: measured.filter(
            dimensions__delivery__lt=red, relationship__gte=green
        ),
        Rule.RELATIONSHIP_DIVERGES: measured.filter(
            relationship__lt=red, dimensions__delivery__gte=green
        ),
    }
    for rule, snapshots in cases.items():
        flagged: set[int] = set()
        for row in _rows(snapshots):  # projects first (a client's project id is null: last)
            account = ctx.accounts.get(row["client_id"])
            if account is None or (row["project_id"] is None and row["client_id"] in flagged):
                continue
            flagged.add(row["client_id"])
            rules[rule].append(_divergence(rule, row, account, date, red, green))
    return rules


def _divergence(
    rule: str, row: dict[str, Any], account: Account, date: dt.date, red: float, green: float
) -> Finding:
    delivery, relationship = float(row["dimensions"]["delivery"]), float(row["relationship"])
    if rule == Rule.DELIVERY_DIVERGES:
        words = (
            f"delivery red ({delivery:.0f}) while the relationship is green ({relationship:.0f})"
        )
        playbook, gap = DELIVERY_RED_PLAYBOOK, relationship - delivery
    else:
        words = f"relationship red ({relationship:.0f}) while delivery is green ({delivery:.0f})"
        playbook, gap = RELATIONSHIP_RED_PLAYBOOK, delivery - relationship
    signals = {
        name.removeprefix("delivery."): values["raw"]
        for name, values in row["signals"].items()
        if name.startswith("delivery.")
    }
    evidence = {
        "delivery_score": round(delivery, 2),
        "relationship_score": round(relationship, 2),
        "policy_red_below": red,
        "policy_green_at": green,
        "date": date.isoformat(),
        "delivery_signals": signals,
    }
    severity = Severity.HIGH if gap >= SEVERE_GAP else Severity.MEDIUM
    project_id = row["project_id"]
    if project_id is None:
        return account.finding(rule, severity, words, evidence, playbook)
    manager = row["project__manager_id"]
    return Finding(
        rule=rule,
        subject_key=f"project:{project_id}",
        severity=severity,
        title=f"{row['project__name']}: {words}",
        evidence=evidence,
        playbook=playbook,
        client_id=account.id,
        project_id=project_id,
        pm_id=manager,
        owner_id=manager,
    )


def pending_changes(ctx: Context) -> dict[str, list[Finding]]:
    """A project's change requests still pending after the policy's days: decide them."""
    days = ctx.delivery.pending_change_days
    stale = (
        ChangeRequest.objects.filter(
            decision=Decision.PENDING,
            asked_at__lt=ctx.now - dt.timedelta(days=days),
            project__archived_at__isnull=True,
        )
        .exclude(project__status__in=[ProjectStatus.CANCELLED, ProjectStatus.COMPLETED])
        .values(
            "id",
            "project_id",
            "project__name",
            "project__client_id",
            "project__manager_id",
            "description",
            "asked_at",
            "value",
        )
        .order_by("asked_at", "id")
    )
    by_project: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in stale:
        by_project[row["project_id"]].append(dict(row))
    findings = []
    for project_id, rows in by_project.items():
        first = rows[0]
        account = ctx.accounts.get(first["project__client_id"])
        if account is None:
            continue
        oldest = int((ctx.now - first["asked_at"]).total_seconds() // 86400)
        value = sum(float(row["value"]) for row in rows)
        count = len(rows)
        manager = first["project__manager_id"]
        findings.append(
            Finding(
                rule=Rule.PENDING_CHANGE,
                subject_key=f"project:{project_id}",
                severity=Severity.HIGH if oldest > 2 * days else Severity.MEDIUM,
                title=f"{first['project__name']}: {count} change request{'s' if count != 1 else ''}"
                f" pending for over {days} days",
                evidence={
                    "count": count,
                    "policy_days": days,
                    "oldest_days": oldest,
                    "value": round(value, 2),
                    "requests": [
                        {
                            "id": row["id"],
                            "description": row["description"][:80],
                            "asked_at": row["asked_at"].isoformat(),
                            "value": float(row["value"]),
                        }
                        for row in rows[:10]
                    ],
                },
                playbook=[
                    "Decide each change with the client: bill it, decline it, or record why it "
                    "is absorbed",
                    "Put the pending changes on the agenda of the next steering review",
                ],
                client_id=account.id,
                project_id=project_id,
                pm_id=manager,
                owner_id=manager,
            )
        )
    return {Rule.PENDING_CHANGE: findings}
