"""Alert emails: the escalation of a neglected high-severity alert to the director, and each
person's daily digest of their alerts. Both run in the daily job (`twohats.health.tasks`).

Emails are sent after the records that say they were sent are committed, never while a
transaction (and, on SQLite, the write lock) is held; a failed send is logged and counted."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from twohats.alerts.models import Alert, AlertTransition, Severity, Status
from twohats.health.models import HealthPolicy, JobRun
from twohats.health.tasks import job_run_claim, job_run_finish
from twohats.people.models import Role, User

logger = logging.getLogger(__name__)

DIGEST = "digest"
# Listed in a digest: live alerts, except snoozed ones (a snooze asks for quiet until it ends).
LISTED = [Status.OPEN, Status.ACKNOWLEDGED]
# A first digest calls "new" what was opened in the last day.
FIRST_DIGEST_LOOKBACK = dt.timedelta(days=1)


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def alert_url(alert: Alert) -> str:
    return absolute_url(alert.get_absolute_url())


def _send(
    *,
    template: str,
    subject: str,
    to: list[str],
    context: dict[str, Any],
    zone: str,
    connection: BaseEmailBackend | None = None,
) -> None:
    """A plain-text email with an HTML alternative, its times shown in the reader's zone."""
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    with timezone.override(ZoneInfo(zone)):
        text = render_to_string(f"alerts/email/{template}.txt", context)
        html = render_to_string(f"alerts/email/{template}.html", context)
    subject = f"[{settings.SITE_NAME}] {subject}"
    message = EmailMultiAlternatives(subject, text, to=to, connection=connection)
    message.attach_alternative(html, "text/html")
    message.send()


# Escalation ----------------------------------------------------------------------------------


@dataclass
class Escalated:
    escalated: int = 0
    failed: int = 0  # escalated, but the email could not be sent


def _admins() -> list[User]:
    return list(
        User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True)
        .exclude(email="")
        .order_by("pk")
    )


def _escalation_due(now: dt.datetime) -> list[Alert]:
    """High-severity alerts open, unescalated, for the policy's number of days or more.

    Open "for" N days counts from when the alert last became open: a snooze that ended, or a
    reopening, starts the count again."""
    days = HealthPolicy.objects.active().rules.rules.escalation_days
    became_open = (
        AlertTransition.objects.filter(alert=OuterRef("pk"), to_status=Status.OPEN)
        .exclude(from_status=Status.OPEN)
        .order_by("-at")
        .values("at")[:1]
    )
    return list(
        Alert.objects.filter(status=Status.OPEN, severity=Severity.HIGH, escalated_at=None)
        .annotate(open_since=Coalesce(Subquery(became_open), "opened_at"))
        .filter(open_since__lte=now - dt.timedelta(days=days))
        .select_related("client", "project", "owner__practice__lead", "pm__practice__lead")
        .order_by("open_since", "pk")
    )


def _director_of(alert: Alert) -> User | None:
    """The owner's director: the lead of the owner's practice (the PM's, without an owner)."""
    person = alert.owner or alert.pm
    practice = person.practice if person else None
    lead = practice.lead if practice else None
    if lead is None or lead == person or not lead.is_active or not lead.email:
        return None
    return lead


def alerts_escalate(*, now: dt.datetime) -> Escalated:
    """Escalate, once, each high-severity alert left open (not acknowledged or snoozed) for
    `escalation_days`: stamp it, note it in its history and email the owner's director (the
    administrators when there is none)."""
    done = Escalated()
    admins: list[User] | None = None
    for alert in _escalation_due(now):
        director = _director_of(alert)
        if director is not None:
            readers, to_whom = [director], str(director)
        else:
            admins = _admins() if admins is None else admins
            readers, to_whom = admins, "the administrators"
        with transaction.atomic():
            # Locked and checked again: two runs at once escalate an alert once.
            current = (
                Alert.objects.select_for_update()
                .filter(pk=alert.pk, status=Status.OPEN, escalated_at=None)
                .first()
            )
            if current is None:
                continue
            current.escalated_at = now
            current.save(update_fields=["escalated_at"])
            AlertTransition.objects.create(
                alert=current,
                at=now,
                actor=None,
                from_status=Status.OPEN,
                to_status=Status.OPEN,
                note=f"escalated to {to_whom}"[:300],
            )
        done.escalated += 1
        if not readers:
            logger.warning("alert %s escalated, but nobody has an email address", alert.pk)
            continue
        days_open = (now - alert.open_since).days  # type: ignore[attr-defined]
        try:
            _send(
                template="escalation",
                subject=f"Escalated: {alert.title}"[:200],
                to=[reader.email for reader in readers],
                context={
                    "alert": alert,
                    "reader": readers[0] if director else None,
                    "owner": alert.owner or alert.pm,
                    "days_open": days_open,
                    "alert_url": alert_url(alert),
                },
                zone=readers[0].time_zone,
            )
        except Exception:
            logger.exception("alert %s: the escalation email failed", alert.pk)
            done.failed += 1
    return done


# Digest --------------------------------------------------------------------------------------


@dataclass
class Digests:
    sent: int = 0
    already: int = 0  # sent earlier for the same day
    failed: int = 0


@dataclass
class DigestItem:
    alert: Alert
    url: str
    new: bool
    owner: User | None  # shown when the reader is not the owner


def _listed_by_reader() -> dict[int, list[Alert]]:
    """The alerts each person should read about: those they own, and for a director those
    owned by (or about) the PMs of the practices they lead. One query."""
    alerts = (
        Alert.objects.filter(status__in=LISTED)
        .select_related("client", "project", "owner", "pm")
        .annotate(owner_lead=F("owner__practice__lead"), pm_lead=F("pm__practice__lead"))
        .order_by("-severity", "-opened_at", "pk")
    )
    readers: dict[int, list[Alert]] = defaultdict(list)
    for alert in alerts:
        for reader in {alert.owner_id, alert.owner_lead, alert.pm_lead} - {None}:  # type: ignore[attr-defined]
            readers[reader].append(alert)
    return readers


def _previous_digests(readers: list[User], period: str) -> dict[str, dt.datetime]:
    return dict(
        JobRun.objects.filter(
            job=DIGEST,
            outcome=JobRun.Outcome.OK,
            subject_key__in=[f"user:{reader.pk}" for reader in readers],
        )
        .exclude(period=period)
        .order_by()
        .values("subject_key")
        .annotate(at=Max("finished_at"))
        .values_list("subject_key", "at")
    )


def _groups(items: list[DigestItem]) -> list[dict[str, Any]]:
    return [
        {"severity": severity.label, "level": severity.value, "items": chosen}
        for severity in sorted(Severity, key=lambda s: -s.value)
        if (chosen := [item for item in items if item.alert.severity == severity])
    ]


def alert_digests_send(*, period: str, now: dt.datetime) -> Digests:
    """Email each person who wants the digest (`alert_digest`) and has alerts to read: the
    alerts new since their previous digest and those still open, by severity, with links.

    Sent once per person and `period` (the daily job's date); a failed send is tried again by
    the next run for the same period."""
    done = Digests()
    by_reader = _listed_by_reader()
    readers = list(
        User.objects.filter(pk__in=list(by_reader), is_active=True, alert_digest=True)
        .exclude(email="")
        .order_by("pk")
    )
    if not readers:
        return done
    previous = _previous_digests(readers, period)
    links = {
        "profile_url": absolute_url(reverse("profile")),
        "home_url": absolute_url(reverse("home")),
    }
    with get_connection() as connection:
        for reader in readers:
            key = f"user:{reader.pk}"
            run = job_run_claim(
                job=DIGEST,
                period=period,
                subject_key=key,
                now=now,
                retake=(JobRun.Outcome.FAILED,),
            )
            if run is None:
                done.already += 1
                continue
            try:
                detail = _send_digest(
                    reader,
                    by_reader[reader.pk],
                    previous=previous.get(key),
                    now=now,
                    links=links,
                    connection=connection,
                )
            except Exception as error:
                logger.exception("the alert digest to user %s failed", reader.pk)
                failure = {"error": f"{type(error).__name__}: {error}"[:300]}
                job_run_finish(run=run, ok=False, now=now, detail=failure)
                done.failed += 1
                continue
            # Finished "as of" the job's time: the next digest calls new what opened after it.
            job_run_finish(run=run, ok=True, now=now, detail=detail)
            done.sent += 1
    return done


def _send_digest(
    reader: User,
    alerts: list[Alert],
    *,
    previous: dt.datetime | None,
    now: dt.datetime,
    links: dict[str, str],
    connection: BaseEmailBackend,
) -> dict[str, Any]:
    since = previous or now - FIRST_DIGEST_LOOKBACK
    items = [
        DigestItem(
            alert=alert,
            url=alert_url(alert),
            new=alert.opened_at > since,
            owner=alert.owner if alert.owner_id != reader.pk else None,
        )
        for alert in alerts
    ]
    new = sum(item.new for item in items)
    _send(
        template="digest",
        subject=_digest_subject(new, len(items)),
        to=[reader.email],
        context={
            "reader": reader,
            "groups": _groups(items),
            "new_count": new,
            "open_count": len(items) - new,
            "since": previous,
            **links,
        },
        zone=reader.time_zone,
        connection=connection,
    )
    return {"new": new, "listed": len(items)}


def _digest_subject(new: int, listed: int) -> str:
    still = listed - new
    parts = [f"{new} new" if new else "", f"{still} still open" if still else ""]
    return f"Your alerts: {', '.join(part for part in parts if part)}"
