"""Alert emails: escalation to the director, and the daily digest."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client as Browser
from django.test import override_settings
from django.urls import reverse

from twohats.alerts.models import Alert, AlertTransition, Status
from twohats.alerts.notify import alert_digests_send, alerts_escalate
from twohats.alerts.services import (
    Finding,
    alert_acknowledge,
    alert_resolve,
    alert_snooze,
    alerts_apply,
)
from twohats.health.models import JobRun
from twohats.people.models import Role, User
from twohats.test import Cast, Inbox, UserFactory

OPENED = dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
SITE = "https://twohats.example"


def raise_alert(
    cast: Cast,
    *,
    severity: int = 3,
    at: dt.datetime = OPENED,
    owner: User | None = None,
    title: str = "No face-to-face with Aerolux in 41 days",
    rule: str = "no_face_to_face",
) -> Alert:
    owner = owner or cast.owner
    alerts_apply(
        rules=[rule],
        findings=[
            Finding(
                rule=rule,
                subject_key=f"client:{cast.client.pk}",
                severity=severity,
                title=title,
                evidence={"days": 41},
                playbook=["Schedule a face-to-face with the sponsor."],
                client_id=cast.client.pk,
                pm_id=owner.pk,
                owner_id=owner.pk,
            )
        ],
        now=at,
    )
    return Alert.objects.get(rule=rule, status=Status.OPEN)


def raise_alerts(cast: Cast, *specs: tuple[str, int, str], at: dt.datetime) -> None:
    """Several alerts about the cast's client at once: (rule, severity, title)."""
    alerts_apply(
        rules=[rule for rule, _, _ in specs],
        findings=[
            Finding(
                rule=rule,
                subject_key=f"client:{cast.client.pk}",
                severity=severity,
                title=title,
                evidence={},
                playbook=[],
                client_id=cast.client.pk,
                pm_id=cast.owner.pk,
                owner_id=cast.owner.pk,
            )
            for rule, severity, title in specs
        ],
        now=at,
    )


# Escalation ----------------------------------------------------------------------------------


def test_it_escalates_after_exactly_the_policys_days_and_only_once(cast: Cast) -> None:
    alert = raise_alert(cast)
    days = 2  # the default policy's escalation_days
    assert alerts_escalate(now=OPENED + days * DAY - dt.timedelta(seconds=1)).escalated == 0
    assert mail.outbox == []

    at = OPENED + days * DAY
    done = alerts_escalate(now=at)
    assert (done.escalated, done.failed) == (1, 0)
    alert.refresh_from_db()
    assert alert.escalated_at == at and alert.status == Status.OPEN
    note = AlertTransition.objects.get(alert=alert, note__startswith="escalated")
    assert (note.from_status, note.to_status, note.at) == (Status.OPEN, Status.OPEN, at)
    assert note.note == f"escalated to {cast.director}" and note.actor is None
    [message] = mail.outbox
    assert message.to == [cast.director.email]
    assert "Escalated: No face-to-face with Aerolux" in message.subject
    assert f"http://127.0.0.1:8000/alerts/{alert.pk}/" in message.body
    assert "open for 2 days" in message.body and "Owner: First" in message.body

    assert alerts_escalate(now=at + DAY).escalated == 0
    assert len(mail.outbox) == 1
    assert AlertTransition.objects.filter(alert=alert, note__startswith="escalated").count() == 1


def test_it_does_not_escalate_acknowledged_snoozed_or_lower_alerts(cast: Cast) -> None:
    alert = raise_alert(cast)
    alert_acknowledge(alert=alert, actor=cast.owner, now=OPENED + DAY / 2)
    medium = raise_alert(cast, severity=2, rule="silent_account", title="Silent")
    snoozed = raise_alert(cast, rule="sentiment_drop", title="Sentiment")
    alert_snooze(alert=snoozed, actor=cast.owner, until=OPENED + 30 * DAY, now=OPENED + DAY / 2)
    assert alerts_escalate(now=OPENED + 10 * DAY).escalated == 0
    assert mail.outbox == []
    medium.refresh_from_db()
    assert medium.escalated_at is None


def test_a_reopened_alert_counts_its_days_from_the_reopening(cast: Cast) -> None:
    alert = raise_alert(cast)
    alert_snooze(alert=alert, actor=cast.owner, until=OPENED + 5 * DAY, now=OPENED + DAY / 2)
    # The rule still fires after the snooze: the alert reopens on day 5.
    raise_alert(cast, at=OPENED + 5 * DAY)
    alert.refresh_from_db()
    assert alert.status == Status.OPEN
    assert alerts_escalate(now=OPENED + 6 * DAY).escalated == 0
    assert alerts_escalate(now=OPENED + 7 * DAY).escalated == 1


def test_without_a_director_the_administrators_hear_of_it(cast: Cast) -> None:
    second_admin = UserFactory.create(role=Role.ADMIN)
    UserFactory.create(role=Role.ADMIN, is_active=False)
    # A director's own alert, in the practice they lead: escalating it to themselves would
    # say nothing new.
    User.objects.filter(pk=cast.director.pk).update(practice=cast.practice)
    alert = raise_alert(cast, owner=cast.director)
    assert alerts_escalate(now=OPENED + 3 * DAY).escalated == 1
    [message] = mail.outbox
    assert sorted(message.to) == sorted([cast.admin.email, second_admin.email])
    assert AlertTransition.objects.get(alert=alert, note__startswith="escalated").note == (
        "escalated to the administrators"
    )


# Digest --------------------------------------------------------------------------------------


def html_of(message: mail.EmailMessage) -> str:
    assert isinstance(message, mail.EmailMultiAlternatives)
    [(html, kind)] = message.alternatives
    assert kind == "text/html"
    return str(html)


def test_the_digest_lists_new_and_open_alerts_by_severity_with_absolute_links(
    cast: Cast,
) -> None:
    raise_alerts(
        cast,
        ("no_face_to_face", 3, "No face-to-face with Aerolux in 41 days"),
        ("silent_account", 1, "Aerolux has been quiet"),
        at=OPENED,
    )
    with override_settings(SITE_URL=SITE):
        done = alert_digests_send(period="2026-06-01", now=OPENED + dt.timedelta(hours=1))
    # The owner, and their director (the owner's practice's lead).
    assert (done.sent, done.failed) == (2, 0)
    by_reader = {message.to[0]: message for message in mail.outbox}
    owner = by_reader[cast.owner.email]
    assert owner.subject == "[Twohats] Your alerts: 2 new"
    body = owner.body
    assert body.index("HIGH (1)") < body.index("No face-to-face") < body.index("LOW (1)")
    assert body.index("LOW (1)") < body.index("Aerolux has been quiet")
    assert "[new] No face-to-face with Aerolux" in body
    alert = Alert.objects.get(rule="no_face_to_face")
    assert f"{SITE}/alerts/{alert.pk}/" in body
    assert f"{SITE}{reverse('profile')}" in body and "untick" in body
    html = html_of(owner)
    assert f'href="{SITE}/alerts/{alert.pk}/"' in html
    assert f'href="{SITE}{reverse("profile")}"' in html
    assert "High severity (1)" in html and "NEW" in html
    # No relative link anywhere.
    assert 'href="/' not in html
    # The director sees whose alert it is.
    assert f"owner {cast.owner}" in by_reader[cast.director.email].body
    assert f"owner {cast.owner}" not in body


def test_alerts_stay_new_only_until_the_next_digest(cast: Cast) -> None:
    raise_alert(cast, severity=2, rule="silent_account", title="Quiet account")
    alert_digests_send(period="2026-06-01", now=OPENED + dt.timedelta(hours=1))
    mail.outbox.clear()
    raise_alerts(
        cast,
        ("silent_account", 2, "Quiet account"),
        ("sentiment_drop", 3, "Sentiment fell"),
        at=OPENED + DAY,
    )
    alert_digests_send(period="2026-06-02", now=OPENED + DAY + dt.timedelta(hours=1))
    owner = next(m for m in mail.outbox if m.to == [cast.owner.email])
    assert "[new] Sentiment fell" in owner.body
    assert "- Quiet account" in owner.body and "[new] Quiet account" not in owner.body
    assert owner.subject == "[Twohats] Your alerts: 1 new, 1 still open"
    assert "since your last digest" in owner.body


def test_the_digest_goes_once_a_day_and_honours_the_opt_out(cast: Cast) -> None:
    raise_alert(cast)
    User.objects.filter(pk=cast.director.pk).update(alert_digest=False)
    now = OPENED + dt.timedelta(hours=1)
    assert alert_digests_send(period="2026-06-01", now=now).sent == 1
    assert [m.to for m in mail.outbox] == [[cast.owner.email]]
    again = alert_digests_send(period="2026-06-01", now=now + dt.timedelta(minutes=5))
    assert (again.sent, again.already) == (0, 1)
    assert len(mail.outbox) == 1
    run = JobRun.objects.get(job="digest", subject_key=f"user:{cast.owner.pk}")
    assert (run.period, run.outcome) == ("2026-06-01", JobRun.Outcome.OK)


def test_no_digest_without_live_alerts(cast: Cast) -> None:
    alert = raise_alert(cast)
    snoozed = raise_alert(cast, rule="silent_account", title="Quiet")
    alert_snooze(alert=snoozed, actor=cast.owner, until=OPENED + 9 * DAY, now=OPENED)
    alert_resolve(alert=alert, actor=cast.owner, now=OPENED)
    done = alert_digests_send(period="2026-06-01", now=OPENED + DAY)
    assert (done.sent, done.failed) == (0, 0)
    assert mail.outbox == []


def test_a_failed_send_is_recorded_and_tried_again(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    raise_alert(cast)
    User.objects.filter(pk=cast.director.pk).update(alert_digest=False)

    def refuse(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError("no mail server")

    with monkeypatch.context() as patched:
        patched.setattr(mail.EmailMultiAlternatives, "send", refuse)
        done = alert_digests_send(period="2026-06-01", now=OPENED + DAY)
    assert (done.sent, done.failed) == (0, 1)
    run = JobRun.objects.get(job="digest")
    assert run.outcome == JobRun.Outcome.FAILED and "no mail server" in run.detail["error"]
    assert alert_digests_send(period="2026-06-01", now=OPENED + DAY).sent == 1
    assert len(mail.outbox) == 1


def test_the_profile_turns_the_digest_off(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    page = client.get(reverse("profile")).content.decode()
    assert 'name="alert_digest"' in page and "checked" in page
    fields = {
        "first_name": "Olive",
        "last_name": "Owner",
        "email": "olive@firm.example",
        "time_zone": "Europe/Paris",
    }
    assert client.post(reverse("profile"), fields).status_code == 302
    cast.owner.refresh_from_db()
    assert cast.owner.alert_digest is False
    client.post(reverse("profile"), {**fields, "alert_digest": "on"})
    cast.owner.refresh_from_db()
    assert cast.owner.alert_digest is True


# Through a real SMTP server ------------------------------------------------------------------


def test_the_digest_arrives_through_smtp(cast: Cast, smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    raise_alert(cast)
    User.objects.filter(pk=cast.director.pk).update(alert_digest=False)
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_USE_TLS=False,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_TIMEOUT=10,
        SITE_URL=SITE,
    ):
        done = alert_digests_send(period="2026-06-02", now=OPENED + DAY)
    assert done.sent == 1
    [message] = inbox.messages
    assert message["To"] == cast.owner.email
    assert message["Subject"] == "[Twohats] Your alerts: 1 still open"
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.get_payload()  # type: ignore[misc]
    assert text.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    assert f"{SITE}/alerts/" in text.get_payload(decode=True).decode()
    assert f'href="{SITE}/alerts/' in html.get_payload(decode=True).decode()
