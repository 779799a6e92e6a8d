"""The surveys' daily step: invitations on the cadence and on milestones (once, within the
policy's spacing, never to those who opted out), one reminder with a fresh link, and the
rate-limit counters thinned."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.core import mail
from django.test import Client as Browser
from django.test import override_settings
from django.utils import timezone

from twohats.clients.models import Contact
from twohats.health.tasks import daily_run
from twohats.projects.models import Milestone, ProjectStatus
from twohats.surveys.catalogue import install
from twohats.surveys.models import (
    Invitation,
    Question,
    RateCounter,
    SurveyOptOut,
    SurveyTemplate,
    Trigger,
)
from twohats.surveys.schedule import (
    cadence_invite,
    milestones_invite,
    reminders_send,
    surveys_daily,
)
from twohats.surveys.services import (
    InvalidLink,
    invitation_by_token,
    invitation_create,
    invitation_send,
    response_submit,
)
from twohats.test import Cast, ContactFactory

NOW = dt.datetime(2026, 6, 30, 7, 0, tzinfo=dt.UTC)  # the firm's zone is UTC in the tests
DAY = dt.timedelta(days=1)
SITE = "https://twohats.example"


@pytest.fixture(autouse=True)
def catalogue(db: None) -> None:
    install(SurveyTemplate, Question)


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def people(cast: Cast) -> dict[str, Contact]:
    """The primary representative (of middling power), a contact of high power, one of low
    power, one who opted out and one without an email address."""
    primary = cast.contact
    primary.email, primary.power = "marie@aerolux.example", 3
    primary.save(update_fields=["email", "power"])
    cast.client.primary_contact = primary
    cast.client.save(update_fields=["primary_contact"])
    make = ContactFactory.create
    people = {
        "primary": primary,
        "sponsor": make(client=cast.client, email="sponsor@aerolux.example", power=5),
        "analyst": make(client=cast.client, email="analyst@aerolux.example", power=2),
        "gone": make(client=cast.client, email="gone@aerolux.example", power=5),
        "no_email": make(client=cast.client, email="", power=5),
    }
    SurveyOptOut.objects.create(contact=people["gone"])
    return people


def invited() -> list[tuple[str, str, str]]:
    return sorted(
        Invitation.objects.filter(revoked_at__isnull=True).values_list(
            "contact__email", "template__family", "trigger"
        )
    )


def milestone(cast: Cast, *, done_on: dt.date, by: Contact | None = None) -> Milestone:
    return Milestone.objects.create(
        project=cast.project,
        name=f"Milestone done {done_on}",
        planned_date=done_on,
        actual_date=done_on,
        accepted_by=by,
        accepted_at=NOW - dt.timedelta(hours=1) if by else None,
    )


# The cadence ---------------------------------------------------------------------------------


def test_the_cadence_invites_the_primary_representative_and_contacts_of_high_power(
    cast: Cast, people: dict[str, Contact], clock: time_machine.Traveller
) -> None:
    done = cadence_invite(now=NOW)
    assert (done.invited, done.skipped, done.failed) == (2, 0, 0)
    assert invited() == [
        ("marie@aerolux.example", "nps", Trigger.CADENCE),
        ("sponsor@aerolux.example", "nps", Trigger.CADENCE),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == [
        "marie@aerolux.example",
        "sponsor@aerolux.example",
    ]
    invitation = Invitation.objects.get(contact=people["primary"])
    assert invitation.project == cast.project and invitation.created_by is None
    assert invitation.sent_at == NOW

    # Not again the same day, nor within the cadence.
    for later in (NOW, NOW + 30 * DAY, NOW + 90 * DAY):
        clock.move_to(later)
        assert cadence_invite(now=timezone.now()).invited == 0
    assert Invitation.objects.count() == 2 and len(mail.outbox) == 2

    # Once the cadence (91 days) has passed, they are due again.
    clock.move_to(NOW + 91 * DAY + dt.timedelta(hours=1))
    assert cadence_invite(now=timezone.now()).invited == 2
    assert Invitation.objects.count() == 4


def test_the_cadence_asks_only_about_active_projects(
    cast: Cast, people: dict[str, Contact]
) -> None:
    cast.project.status = ProjectStatus.COMPLETED
    cast.project.save(update_fields=["status"])
    assert cadence_invite(now=NOW).invited == 0
    assert not Invitation.objects.exists() and not mail.outbox


def test_the_cadence_leaves_contacts_who_left_or_were_invited_lately(
    cast: Cast, people: dict[str, Contact]
) -> None:
    people["sponsor"].left_on = NOW.date() - 10 * DAY
    people["sponsor"].save(update_fields=["left_on"])
    invitation_create(
        project=cast.project,
        contact=people["primary"],
        template_family="csat",
        actor=None,
        now=NOW - 20 * DAY,
    )
    assert cadence_invite(now=NOW).invited == 0
    assert Invitation.objects.count() == 1


# Milestones ----------------------------------------------------------------------------------


def test_a_milestone_invites_the_contact_who_accepted_it_once(
    cast: Cast, people: dict[str, Contact]
) -> None:
    accepted = milestone(cast, done_on=NOW.date() - DAY, by=people["sponsor"])
    done = milestones_invite(since=NOW.date() - DAY, now=NOW)
    assert (done.invited, done.skipped) == (1, 0)
    [invitation] = Invitation.objects.all()
    assert (invitation.contact, invitation.template.family) == (people["sponsor"], "csat")
    assert (invitation.trigger, invitation.milestone) == (Trigger.MILESTONE, accepted)
    assert [m.to for m in mail.outbox] == [["sponsor@aerolux.example"]]

    # Once per milestone.
    assert milestones_invite(since=NOW.date() - DAY, now=NOW + DAY).invited == 0
    # Another milestone of the same contact within the policy's spacing is skipped, silently.
    milestone(cast, done_on=NOW.date(), by=people["sponsor"])
    done = milestones_invite(since=NOW.date() - DAY, now=NOW + DAY)
    assert (done.invited, done.skipped) == (0, 1)
    assert Invitation.objects.count() == 1 and len(mail.outbox) == 1


def test_a_milestone_without_acceptance_invites_the_primary_representative(
    cast: Cast, people: dict[str, Contact]
) -> None:
    milestone(cast, done_on=NOW.date())
    milestone(cast, done_on=NOW.date() - 10 * DAY)  # before the run looked: not this one
    assert milestones_invite(since=NOW.date() - DAY, now=NOW).invited == 1
    assert invited() == [("marie@aerolux.example", "csat", Trigger.MILESTONE)]


def test_a_milestone_never_invites_a_contact_who_opted_out(
    cast: Cast, people: dict[str, Contact]
) -> None:
    milestone(cast, done_on=NOW.date(), by=people["gone"])
    done = milestones_invite(since=NOW.date() - DAY, now=NOW)
    assert (done.invited, done.skipped) == (0, 1)
    assert not Invitation.objects.exists() and not mail.outbox


# The reminder --------------------------------------------------------------------------------


def sent(cast: Cast, contact: Contact) -> tuple[Invitation, str]:
    invitation, token = invitation_create(
        project=cast.project, contact=contact, template_family="nps", actor=None, now=NOW
    )
    invitation_send(invitation, token, now=NOW)
    return invitation, token


@override_settings(SITE_URL=SITE)
def test_one_reminder_a_week_on_with_a_new_link_and_the_old_one_dead(
    cast: Cast, people: dict[str, Contact], clock: time_machine.Traveller
) -> None:
    invitation, old = sent(cast, people["primary"])
    mail.outbox.clear()
    clock.move_to(NOW + 6 * DAY)
    assert reminders_send(now=timezone.now())["sent"] == 0

    clock.move_to(NOW + 7 * DAY)
    assert reminders_send(now=timezone.now()) == {"sent": 1, "skipped": 0, "failed": 0}
    [message] = mail.outbox
    assert message.subject.startswith("Reminder") and message.to == ["marie@aerolux.example"]
    assert f"{SITE}/s/{old}/" not in message.body
    [new] = [
        word.removeprefix(f"{SITE}/s/").removesuffix("/")
        for word in message.body.split()
        if word.startswith(f"{SITE}/s/") and not word.endswith("/unsubscribe/")
    ]
    now = timezone.now()
    assert invitation_by_token(new, now=now).pk == invitation.pk
    with pytest.raises(InvalidLink):
        invitation_by_token(old, now=now)
    browser = Browser()
    assert browser.get(f"/s/{new}/").status_code == 200
    assert browser.get(f"/s/{old}/").status_code == 404

    # Once only.
    clock.move_to(NOW + 8 * DAY)
    assert reminders_send(now=timezone.now())["sent"] == 0
    assert len(mail.outbox) == 1


def test_no_reminder_once_answered_revoked_expired_or_opted_out(
    cast: Cast, people: dict[str, Contact]
) -> None:
    answered, token = sent(cast, people["primary"])
    recommend = Question.objects.get(template=answered.template, construct="recommend")
    response_submit(token=token, answers={recommend.pk: 9}, now=NOW + DAY)
    sent(cast, people["sponsor"])
    SurveyOptOut.objects.create(contact=people["sponsor"])
    mail.outbox.clear()
    assert reminders_send(now=NOW + 7 * DAY)["sent"] == 0
    assert reminders_send(now=NOW + 31 * DAY)["sent"] == 0  # expired
    assert not mail.outbox


# The daily step ------------------------------------------------------------------------------


def test_the_daily_job_runs_the_surveys_once_a_day(
    cast: Cast, people: dict[str, Contact], clock: time_machine.Traveller
) -> None:
    RateCounter.objects.create(key="addr:1.2.3.4", window=NOW - 2 * DAY, hits=3)
    done = daily_run(now=NOW)
    surveys = done["steps"]["surveys"]
    assert surveys["ok"] and surveys["cadence_invited"] == 2
    assert surveys["counters_pruned"] == 1 and not RateCounter.objects.exists()
    assert daily_run(now=NOW) == {"date": NOW.date().isoformat(), "ran": False}
    assert daily_run(now=NOW, force=True)["steps"]["surveys"]["cadence_invited"] == 0
    assert Invitation.objects.count() == 2

    # A milestone accepted after the day's run is seen by the next day's.
    clock.move_to(NOW + dt.timedelta(hours=5))
    milestone(cast, done_on=NOW.date(), by=people["analyst"])
    clock.move_to(NOW + DAY)
    surveys = daily_run(now=NOW + DAY)["steps"]["surveys"]
    assert surveys["milestone_invited"] == 1 and surveys["cadence_invited"] == 0
    assert Invitation.objects.filter(trigger=Trigger.MILESTONE).count() == 1
    clock.move_to(NOW + 2 * DAY)
    assert daily_run(now=NOW + 2 * DAY)["steps"]["surveys"]["milestone_invited"] == 0

    # The reminders go out a week after the first invitations, once.
    clock.move_to(NOW + 7 * DAY)
    assert daily_run(now=NOW + 7 * DAY)["steps"]["surveys"]["reminder_sent"] == 2
    clock.move_to(NOW + 8 * DAY)
    surveys = daily_run(now=NOW + 8 * DAY)["steps"]["surveys"]
    assert surveys["reminder_sent"] == 1  # the milestone's invitation, sent a day later
    clock.move_to(NOW + 9 * DAY)
    assert daily_run(now=NOW + 9 * DAY)["steps"]["surveys"]["reminder_sent"] == 0


def test_without_email_only_the_counters_are_thinned(
    cast: Cast, people: dict[str, Contact]
) -> None:
    assert surveys_daily(today=NOW.date(), now=NOW, email=False) == {"counters_pruned": 0}
    assert not Invitation.objects.exists()
