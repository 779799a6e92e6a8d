"""Alerts for tests, raised the way the rules raise them: through `alerts_apply`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from twohats.alerts.models import Alert
from twohats.alerts.services import Finding, alerts_apply
from twohats.clients.models import Client
from twohats.people.models import User

EVIDENCE = {"days_since_last_interaction": 41, "policy_days": 30, "share_engaged": 0.4}
PLAYBOOK = ["Call the sponsor this week.", "Schedule a face-to-face steering review."]


def finding(
    *,
    client: Client | None = None,
    owner: User | None = None,
    rule: str = "silent_account",
    severity: int = 2,
    title: str = "",
    pm: User | None = None,
    project: Any = None,
    subject: str = "",
    **extra: Any,
) -> Finding:
    if not subject:
        if project is not None:
            subject = f"project:{project.pk}"
        elif client is not None:
            subject = f"client:{client.pk}"
        else:
            assert pm is not None, "an alert is about a client, a project or a PM"
            subject = f"pm:{pm.pk}"
    return Finding(
        rule=rule,
        subject_key=subject,
        severity=severity,
        title=title or f"No interaction with {client.name if client else 'the account'} in 41 days",
        evidence=extra.pop("evidence", EVIDENCE),
        playbook=extra.pop("playbook", PLAYBOOK),
        client_id=client.pk if client else (project.client_id if project else None),
        project_id=project.pk if project else None,
        pm_id=pm.pk if pm else None,
        owner_id=owner.pk if owner else None,
    )


def raise_alerts(*findings: Finding, now: dt.datetime | None = None) -> list[Alert]:
    """Open alerts for these findings, all at once (a rule's run resolves its alerts that it no
    longer finds, so each rule is applied once with everything it finds)."""
    alerts_apply(
        rules=sorted({f.rule for f in findings}), findings=findings, now=now or timezone.now()
    )
    keys = [(f.rule, f.subject_key) for f in findings]
    live = {(a.rule, a.subject_key): a for a in Alert.objects.live()}
    return [live[key] for key in keys]
