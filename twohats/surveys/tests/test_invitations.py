"""Invitations: creating (with the policy's spacing and opt-outs), sending through email,
one reminder, revoking; responses saved once; the staff pages and who may use them."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test import Client as Browser
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from twohats.surveys.catalogue import install
from twohats.surveys.models import (
    Answer,
    Construct,
    Invitation,
    Question,
    Response,
    SurveyOptOut,
    SurveyTemplate,
)
from twohats.surveys.services import (
    InvalidLink,
    invitation_create,
    invitation_remind,
    invitation_revoke,
    invitation_send,
    response_submit,
    token_hash,
)
from twohats.test import Cast, ContactFactory, Inbox, ProjectFactory, count_queries

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
SITE = "https://twohats.example"


@pytest.fixture(autouse=True)
def catalogue(db: None) -> None:
    """The ready-made templates come with a migration; a transactional test run earlier in the
    same process flushes them, so put them back."""
    install(SurveyTemplate, Question)


@pytest.fixture
def contact(cast: Cast) -> object:
    cast.contact.email = "marie@aerolux.example"
    cast.contact.save(update_fields=["email"])
    return cast.contact


def invite(cast: Cast, *, now: dt.datetime = NOW, family: str = "nps") -> tuple[Invitation, str]:
    return invitation_create(
        project=cast.project,
        contact=cast.contact,
        template_family=family,
        actor=cast.owner,
        now=now,
    )


def nps_answers(invitation: Invitation, score: int = 9, reason: str = "Reliable") -> dict:
    answers: dict[int, int | str] = {}
    for q in Question.objects.filter(template=invitation.template):
        if q.construct == Construct.RECOMMEND:
            answers[q.pk] = score
        elif q.is_scale:
            answers[q.pk] = q.scale_max or 0
        else:
            answers[q.pk] = reason
    return answers


# Creating --------------------------------------------------------------------------------------


def test_it_stores_only_the_hash_of_a_long_random_token(cast: Cast, contact: object) -> None:
    invitation, token = invite(cast)
    assert len(token) >= 43  # 32 bytes, 256 bits, URL-safe
    assert invitation.token_hash == token_hash(token) and token not in invitation.token_hash
    assert invitation.expires_at == NOW + 30 * DAY
    assert invitation.template.family == "nps" and invitation.template.superseded_at is None
    _, other = invite(cast, now=NOW + 91 * DAY)
    assert other != token


def test_it_refuses_a_contact_of_another_client_or_inactive(cast: Cast, contact: object) -> None:
    stranger = ContactFactory.create(client=cast.other_client, email="x@zed.example")
    with pytest.raises(ValidationError, match="not at the project's client"):
        invitation_create(
            project=cast.project, contact=stranger, template_family="nps", actor=None, now=NOW
        )
    cast.contact.left_on = dt.date(2026, 5, 1)
    cast.contact.save(update_fields=["left_on"])
    with pytest.raises(ValidationError, match="no longer an active contact"):
        invite(cast)
    assert not Invitation.objects.exists()


def test_it_invites_a_contact_at_most_once_a_quarter(cast: Cast, contact: object) -> None:
    invite(cast)
    with pytest.raises(ValidationError, match="one invitation every 90 days"):
        invite(cast, now=NOW + 89 * DAY, family="csat")
    invite(cast, now=NOW + 91 * DAY)
    assert Invitation.objects.count() == 2


def test_a_revoked_invitation_does_not_count_against_the_spacing(
    cast: Cast, contact: object
) -> None:
    invitation, _ = invite(cast)
    invitation_revoke(invitation, actor=cast.owner, now=NOW)
    invite(cast, now=NOW + DAY)


def test_an_opted_out_contact_is_not_invited(cast: Cast, contact: object) -> None:
    SurveyOptOut.objects.create(contact=cast.contact)
    with pytest.raises(ValidationError, match="opted out"):
        invite(cast)
    assert not Invitation.objects.exists()


def test_the_unknown_template_is_refused(cast: Cast, contact: object) -> None:
    with pytest.raises(ValidationError, match="no such survey"):
        invite(cast, family="nope")


# Email -----------------------------------------------------------------------------------------


@override_settings(SITE_URL=SITE, FIRM_NAME="Northwind Consulting")
def test_the_invitation_email_carries_the_link_and_the_unsubscribe_link(
    cast: Cast, contact: object
) -> None:
    invitation, token = invite(cast)
    invitation_send(invitation, token, now=NOW)
    [message] = mail.outbox
    assert message.to == ["marie@aerolux.example"]
    assert "Northwind Consulting" in message.subject
    assert f"{SITE}/s/{token}/" in message.body
    assert f"{SITE}/s/{token}/unsubscribe/" in message.body
    assert "Cabin software" in message.body
    invitation.refresh_from_db()
    assert invitation.sent_at == NOW


def test_one_reminder_only(cast: Cast, contact: object) -> None:
    invitation, token = invite(cast)
    invitation_send(invitation, token, now=NOW)
    invitation_remind(invitation, token, now=NOW + 7 * DAY)
    with pytest.raises(ValidationError, match="already sent"):
        invitation_remind(invitation, token, now=NOW + 8 * DAY)
    assert len(mail.outbox) == 2 and mail.outbox[1].subject.startswith("Reminder")


def test_no_reminder_once_answered_or_opted_out(cast: Cast, contact: object) -> None:
    invitation, token = invite(cast)
    invitation_send(invitation, token, now=NOW)
    SurveyOptOut.objects.create(contact=cast.contact)
    with pytest.raises(ValidationError, match="opted out"):
        invitation_remind(invitation, token, now=NOW + DAY)
    SurveyOptOut.objects.all().delete()
    response_submit(token=token, answers=nps_answers(invitation), now=NOW + DAY)
    with pytest.raises(ValidationError, match="still open"):
        invitation_remind(invitation, token, now=NOW + 2 * DAY)


def test_the_invitation_arrives_through_smtp(
    cast: Cast, contact: object, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    invitation, token = invite(cast)
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
        invitation_send(invitation, token, now=NOW)
    [message] = inbox.messages
    assert message["To"] == "marie@aerolux.example"
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.get_payload()  # type: ignore[misc]
    assert f"{SITE}/s/{token}/" in text.get_payload(decode=True).decode()
    assert f'href="{SITE}/s/{token}/unsubscribe/"' in html.get_payload(decode=True).decode()


# Responses -------------------------------------------------------------------------------------


def test_a_response_is_saved_once_with_its_scores(cast: Cast, contact: object) -> None:
    invitation, token = invite(cast)
    response = response_submit(token=token, answers=nps_answers(invitation, 3), now=NOW + DAY)
    assert response.nps == 3 and response.csat is None
    assert response.project == cast.project and response.client == cast.client
    assert response.pm == cast.owner and response.contact == cast.contact
    assert Answer.objects.filter(response=response).count() == len(nps_answers(invitation))
    invitation.refresh_from_db()
    assert invitation.used_at == NOW + DAY
    with pytest.raises(InvalidLink):
        response_submit(token=token, answers=nps_answers(invitation), now=NOW + DAY)
    assert Response.objects.count() == 1


def test_csat_is_stored_for_a_csat_survey(cast: Cast, contact: object) -> None:
    invitation, token = invite(cast, family="csat")
    answers = {
        q.pk: (4 if q.is_scale else "ok")
        for q in Question.objects.filter(template=invitation.template)
    }
    assert response_submit(token=token, answers=answers, now=NOW).csat == 4


def test_expired_revoked_and_unknown_tokens_are_refused_alike(cast: Cast, contact: object) -> None:
    invitation, token = invite(cast)
    answers = nps_answers(invitation)
    with pytest.raises(InvalidLink) as expired:
        response_submit(token=token, answers=answers, now=NOW + 30 * DAY)
    with pytest.raises(InvalidLink) as unknown:
        response_submit(token=token + "x", answers=answers, now=NOW)
    invitation_revoke(invitation, actor=cast.owner, now=NOW)
    with pytest.raises(InvalidLink) as revoked:
        response_submit(token=token, answers=answers, now=NOW + DAY)
    assert str(expired.value) == str(unknown.value) == str(revoked.value)
    assert not Response.objects.exists()


def test_answers_to_another_surveys_questions_are_refused(cast: Cast, contact: object) -> None:
    invitation, token = invite(cast)
    other_project = ProjectFactory.create(client=cast.other_client, manager=cast.outsider)
    other_contact = ContactFactory.create(client=cast.other_client, email="z@zed.example")
    other, _ = invitation_create(
        project=other_project,
        contact=other_contact,
        template_family="csat",
        actor=None,
        now=NOW,
    )
    answers = {**nps_answers(invitation), **nps_answers(other)}
    with pytest.raises(ValidationError, match="not in this survey"):
        response_submit(token=token, answers=answers, now=NOW)
    # The token's own answers land on the token's project, never another's.
    response = response_submit(token=token, answers=nps_answers(invitation), now=NOW)
    assert response.project == cast.project
    assert not Response.objects.filter(project=other_project).exists()


def test_an_out_of_range_or_oversize_answer_changes_nothing(cast: Cast, contact: object) -> None:
    invitation, token = invite(cast)
    answers = nps_answers(invitation, 11)
    with pytest.raises(ValidationError, match="from 0 to 10"):
        response_submit(token=token, answers=answers, now=NOW)
    answers = nps_answers(invitation, 9, reason="x" * 4001)
    with pytest.raises(ValidationError, match="under 4000"):
        response_submit(token=token, answers=answers, now=NOW)
    invitation.refresh_from_db()
    assert invitation.used_at is None and not Response.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_once_count_once(cast: Cast, contact: object) -> None:
    invitation, token = invite(cast, now=timezone.now())
    answers = nps_answers(invitation)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def submit() -> None:
        try:
            barrier.wait()
            response_submit(token=token, answers=answers, now=timezone.now())
            outcomes.append("saved")
        except InvalidLink:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "saved"]
    assert Response.objects.count() == 1


# Staff pages -----------------------------------------------------------------------------------


def page(cast: Cast) -> str:
    return reverse("surveys:project_invitations", args=[cast.project.pk])


@pytest.mark.parametrize(
    ("who", "status", "can_invite"),
    [("owner", 200, True), ("teammate", 200, False), ("outsider", 404, False)],
)
def test_who_sees_the_invitations_and_who_invites(
    client: Browser,
    cast: Cast,
    contact: object,
    who: str,
    status: int,
    can_invite: bool,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(cast.everyone()[who])
    response = client.get(page(cast))
    assert response.status_code == status
    if status == 200:
        assert (b"Send invitations" in response.content) is can_invite
    with django_capture_on_commit_callbacks(execute=True):
        post = client.post(page(cast), {"contacts": [cast.contact.pk], "template": "nps"})
    assert post.status_code == (302 if can_invite else 404 if status == 404 else 403)
    assert Invitation.objects.exists() is can_invite
    assert len(mail.outbox) == (1 if can_invite else 0)


def test_the_owner_invites_several_contacts_all_or_nothing(
    client: Browser, cast: Cast, contact: object, django_capture_on_commit_callbacks: Any
) -> None:
    second = ContactFactory.create(client=cast.client, email="b@aerolux.example")
    third = ContactFactory.create(client=cast.client, email="c@aerolux.example")
    SurveyOptOut.objects.create(contact=third)
    client.force_login(cast.owner)
    data = {"contacts": [cast.contact.pk, second.pk, third.pk], "template": "relationship"}
    response = client.post(page(cast), data)
    assert response.status_code == 400 and b"opted out" in response.content
    assert not Invitation.objects.exists() and not mail.outbox
    data["contacts"] = [cast.contact.pk, second.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(page(cast), data).status_code == 302
    assert Invitation.objects.count() == 2 and len(mail.outbox) == 2
    assert Invitation.objects.filter(sent_at__isnull=False).count() == 2


@pytest.mark.parametrize(("who", "status"), [("owner", 302), ("teammate", 403), ("outsider", 404)])
def test_who_revokes(client: Browser, cast: Cast, contact: object, who: str, status: int) -> None:
    invitation, _ = invite(cast, now=timezone.now())
    client.force_login(cast.everyone()[who])
    response = client.post(reverse("surveys:invitation_revoke", args=[invitation.pk]))
    assert response.status_code == status
    invitation.refresh_from_db()
    assert (invitation.revoked_at is not None) is (status == 302)


def test_the_list_shows_statuses_in_a_fixed_number_of_queries(
    client: Browser, cast: Cast, contact: object
) -> None:
    client.force_login(cast.owner)
    now = timezone.now()
    invite(cast, now=now)
    few = count_queries(lambda: client.get(page(cast)))
    for n in range(10):
        other = ContactFactory.create(client=cast.client, email=f"p{n}@aerolux.example")
        made, token = invitation_create(
            project=cast.project, contact=other, template_family="nps", actor=cast.owner, now=now
        )
        if n % 3 == 0:
            invitation_revoke(made, actor=cast.owner, now=now)
        elif n % 3 == 1:
            invitation_send(made, token, now=now)
    many = count_queries(lambda: client.get(page(cast)))
    assert many == few
    body = client.get(page(cast)).content
    assert b"revoked" in body and b"sent" in body and b"not sent" in body


@pytest.mark.parametrize(
    ("who", "label"), [("owner", b"Invite to a survey"), ("teammate", b"Survey invitations")]
)
def test_the_project_page_links_to_its_surveys(
    client: Browser, cast: Cast, who: str, label: bytes
) -> None:
    client.force_login(cast.everyone()[who])
    body = client.get(cast.project.get_absolute_url()).content
    assert label in body and page(cast).encode() in body
