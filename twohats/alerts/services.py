"""The alert lifecycle: rules raise, update and clear alerts; people acknowledge, snooze,
resolve and dismiss them. Every change of status is an `AlertTransition` row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from twohats.alerts.models import LIVE, Alert, AlertTransition, Rule, Status
from twohats.people.models import User
from twohats.writes import bulk_insert


@dataclass(frozen=True)
class Finding:
    """A rule firing for one subject, with what the alert should say."""

    rule: str
    subject_key: str
    severity: int
    title: str
    evidence: dict[str, Any]
    playbook: list[str]
    client_id: int | None = None
    project_id: int | None = None
    pm_id: int | None = None
    owner_id: int | None = None


@dataclass
class Evaluated:
    opened: int = 0
    updated: int = 0
    reopened: int = 0
    resolved: int = 0
    cleared: int = 0
    rules: list[str] = field(default_factory=list)


def _move(alert: Alert, to: str, at: dt.datetime, actor: User | None, note: str = "") -> None:
    AlertTransition.objects.create(
        alert=alert, at=at, actor=actor, from_status=alert.status, to_status=to, note=note[:300]
    )
    alert.status = to


def alerts_apply(
    *,
    rules: Iterable[str],
    findings: Iterable[Finding],
    now: dt.datetime,
    client_ids: Iterable[int] | None = None,
) -> Evaluated:
    """Reconcile the alerts of `rules` with what those rules find now (only the alerts of
    `client_ids`, if given: the rules then looked at those clients alone).

    - a finding with no alert opens one; with a live alert it refreshes its evidence and
      severity; a snoozed alert whose snooze has ended reopens;
    - a live alert whose rule no longer finds its subject is resolved by the system;
    - a dismissed alert stays dismissed while its condition holds; once the condition has
      cleared, the next finding opens a new alert.

    Writes go in bulk: a daily run over ten thousand accounts touches thousands of alerts.
    """
    rules = list(rules)
    found = {(f.rule, f.subject_key): f for f in findings}
    done = Evaluated(rules=rules)
    transitions: list[AlertTransition] = []

    def move(alert: Alert, to: str, note: str) -> None:
        transitions.append(
            AlertTransition(alert=alert, at=now, from_status=alert.status, to_status=to, note=note)
        )
        alert.status = to

    with transaction.atomic():
        held = Alert.objects.select_for_update().filter(
            Q(status__in=LIVE) | Q(status=Status.DISMISSED, condition_cleared_at=None),
            rule__in=rules,
        )
        if client_ids is not None:
            held = held.filter(client_id__in=list(client_ids))
        current = {(a.rule, a.subject_key): a for a in held}
        changed: list[Alert] = []
        cleared: list[Alert] = []
        for key, alert in current.items():
            finding = found.get(key)
            if finding is None:
                if alert.status == Status.DISMISSED:
                    alert.condition_cleared_at = now
                    cleared.append(alert)
                else:
                    move(alert, Status.RESOLVED, "The condition cleared.")
                    alert.resolved_at = now
                    changed.append(alert)
                continue
            if alert.status == Status.DISMISSED:
                continue

            def state(a: Alert) -> tuple[object, ...]:
                return (a.severity, a.title, a.evidence, a.playbook, a.status)

            before = state(alert)
            alert.severity, alert.title = finding.severity, finding.title
            alert.evidence, alert.playbook = finding.evidence, finding.playbook
            woke = alert.snoozed_until is not None and alert.snoozed_until <= now
            if alert.status == Status.SNOOZED and woke:
                move(alert, Status.OPEN, "The snooze ended and the condition holds.")
                alert.snoozed_until = None
                done.reopened += 1
            if before != (
                alert.severity,
                alert.title,
                alert.evidence,
                alert.playbook,
                alert.status,
            ):
                changed.append(alert)
            done.updated += 1
        Alert.objects.bulk_update(
            changed,
            ["severity", "title", "evidence", "playbook", "status", "snoozed_until", "resolved_at"],
            batch_size=500,
        )
        Alert.objects.bulk_update(cleared, ["condition_cleared_at"], batch_size=500)
        done.resolved = sum(1 for a in changed if a.status == Status.RESOLVED)
        done.cleared = len(cleared)
        Alert.objects.filter(
            pk__in=[a.pk for key, a in current.items() if key in found and a.is_live]
        ).update(last_evaluated_at=now)
        fresh = [
            Alert(
                rule=f.rule,
                subject_key=f.subject_key,
                severity=f.severity,
                title=f.title,
                evidence=f.evidence,
                playbook=f.playbook,
                client_id=f.client_id,
                project_id=f.project_id,
                pm_id=f.pm_id,
                owner_id=f.owner_id,
                status=Status.OPEN,
                opened_at=now,
                last_evaluated_at=now,
            )
            for key, f in found.items()
            if key not in current
        ]
        bulk_insert(Alert, fresh)
        transitions += [
            AlertTransition(alert=a, at=now, from_status="", to_status=Status.OPEN) for a in fresh
        ]
        bulk_insert(AlertTransition, transitions)
        done.opened = len(fresh)
    return done


def _change(alert: Alert, actor: User, to: str, now: dt.datetime, note: str = "") -> Alert:
    with transaction.atomic():
        current = Alert.objects.select_for_update().get(pk=alert.pk)
        if not current.is_live:
            raise ValidationError(
                {"status": f"This alert is {current.get_status_display().lower()} already."}
            )
        _move(current, to, now, actor, note)
        return current


def alert_acknowledge(*, alert: Alert, actor: User, now: dt.datetime) -> Alert:
    if alert.status == Status.ACKNOWLEDGED:
        raise ValidationError({"status": "This alert is acknowledged already."})
    current = _change(alert, actor, Status.ACKNOWLEDGED, now)
    current.snoozed_until = None
    current.save(update_fields=["status", "snoozed_until"])
    return current


def alert_snooze(*, alert: Alert, actor: User, until: dt.datetime, now: dt.datetime) -> Alert:
    if until <= now:
        raise ValidationError({"until": "Snooze until a time in the future."})
    if until > now + dt.timedelta(days=90):
        raise ValidationError({"until": "Snooze for at most 90 days."})
    current = _change(alert, actor, Status.SNOOZED, now, f"until {until:%Y-%m-%d %H:%M}")
    current.snoozed_until = until
    current.save(update_fields=["status", "snoozed_until"])
    return current


def alert_resolve(*, alert: Alert, actor: User, now: dt.datetime, note: str = "") -> Alert:
    current = _change(alert, actor, Status.RESOLVED, now, note)
    current.resolved_at = now
    current.save(update_fields=["status", "resolved_at"])
    return current


def alert_dismiss(*, alert: Alert, actor: User, reason: str, now: dt.datetime) -> Alert:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the alert does not apply."})
    current = _change(alert, actor, Status.DISMISSED, now, reason)
    current.dismissed_reason = reason[:300]
    current.condition_cleared_at = None
    current.save(update_fields=["status", "dismissed_reason", "condition_cleared_at"])
    return current


ALL_RULES = [rule.value for rule in Rule]
