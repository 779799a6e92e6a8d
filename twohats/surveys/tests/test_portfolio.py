"""The portfolio of the client's voice: who may open it, what each one sees, the figures
(NPS with n and SE, a dash below the minimum n, CSAT, response rates) and its query budget."""

from __future__ import annotations

import datetime as dt
import re
import secrets

import pytest
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from twohats.clients.models import Contact
from twohats.people.models import User
from twohats.projects.models import Project
from twohats.surveys.models import Invitation
from twohats.surveys.selectors import quarters_back, response_rates
from twohats.surveys.tests.factories import csat_response, nps_response, template_of
from twohats.test import (
    Cast,
    ContactFactory,
    ProjectFactory,
    UserFactory,
    count_queries,
)

pytestmark = pytest.mark.django_db

URL = "/surveys/portfolio/"
# Five promoters and one detractor of six: NPS 66.7, SE 100·√((5/6 + 1/6 − (4/6)²)/6) = 30.4.
SCORES = [10, 9, 10, 9, 10, 3]


def people(client_id: int, n: int) -> list[Contact]:
    return [ContactFactory.create(client_id=client_id) for _ in range(n)]


def invite(project: Project, contact: Contact, *, expired: bool) -> Invitation:
    """An unanswered invitation, expired or still open."""
    now = timezone.now()
    created = now - dt.timedelta(days=40 if expired else 5)
    return Invitation.objects.create(
        template=template_of("nps"),
        project=project,
        contact=contact,
        token_hash=secrets.token_hex(32),
        created_at=created,
        expires_at=created + dt.timedelta(days=30),
    )


@pytest.fixture
def voiced(cast: Cast) -> Cast:
    """Aerolux (the owner's, Aerospace delivery): six NPS answers and five CSAT this quarter,
    two expired invitations and one open. Banque Zed (the outsider's, Banking delivery): three
    NPS answers, below the minimum n of 5."""
    now = timezone.now()
    for contact, score in zip(people(cast.client.pk, 6), SCORES, strict=True):
        nps_response(cast.project, contact, score, at=now - dt.timedelta(hours=1))
    for contact, score in zip(people(cast.client.pk, 5), [5, 4, 4, 2, 5], strict=True):
        csat_response(cast.project, contact, score, at=now - dt.timedelta(hours=1))
    for contact in people(cast.client.pk, 2):
        invite(cast.project, contact, expired=True)
    invite(cast.project, cast.contact, expired=False)
    zed = ProjectFactory.create(client=cast.other_client, manager=cast.outsider, name="Core bank")
    for contact, score in zip(people(cast.other_client.pk, 3), [10, 0, 0], strict=True):
        nps_response(zed, contact, score, at=now - dt.timedelta(hours=1))
    return cast


def page(browser: Browser, user: User) -> str:
    browser.force_login(user)
    response = browser.get(URL)
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def test_it_is_named_and_mounted() -> None:
    assert reverse("surveys:portfolio") == URL


@pytest.mark.parametrize(
    "who,status",
    [
        ("owner", 403),
        ("teammate", 403),
        ("outsider", 403),
        ("director", 200),
        ("other_director", 200),
        ("executive", 200),
        ("admin", 200),
    ],
)
def test_it_opens_only_for_those_who_oversee(
    client: Browser, voiced: Cast, who: str, status: int
) -> None:
    client.force_login(voiced.everyone()[who])
    assert client.get(URL).status_code == status


def test_it_sends_anonymous_visitors_to_sign_in(client: Browser) -> None:
    assert client.get(URL)["Location"].startswith("/accounts/login/")


def test_it_shows_the_director_their_practice_with_n_se_csat_and_rates(
    client: Browser, voiced: Cast
) -> None:
    body = page(client, voiced.director)
    assert "Aerospace delivery" in body and "Banking delivery" not in body
    assert str(voiced.owner) in body and str(voiced.outsider) not in body
    assert "NPS <strong>67</strong>" in body and "± 30.4" in body and "n = 6" in body
    # CSAT: 4 of 5 answered 4 or 5.
    assert "CSAT <strong>80 %</strong>" in body and "n = 5" in body
    # Eleven answered (six NPS, five CSAT) of eleven answered and two expired: 11/13 = 85 %.
    # The open invitation does not count.
    assert '<td class="text-end">11</td> <td class="text-end">13</td>' in body
    assert '<td class="text-end">85 %</td>' in body


def test_it_shows_the_other_director_only_their_practice(client: Browser, voiced: Cast) -> None:
    body = page(client, voiced.other_director)
    assert "Banking delivery" in body and "Aerospace delivery" not in body
    assert str(voiced.outsider) in body and str(voiced.owner) not in body
    # Three responses: below the minimum, a dash and the n, no score.
    assert 'NPS <span class="text-body-secondary">—</span>' in body and "n = 3" in body
    assert "NPS <strong>" not in body  # no score shown, the 67 of the other practice least of all


def test_it_shows_the_executive_every_practice(client: Browser, voiced: Cast) -> None:
    body = page(client, voiced.executive)
    assert "Aerospace delivery" in body and "Banking delivery" in body
    assert str(voiced.owner) in body and str(voiced.outsider) in body


def test_it_leaves_out_responses_older_than_eight_quarters(client: Browser, cast: Cast) -> None:
    old = timezone.now() - dt.timedelta(days=3 * 366)
    for contact in people(cast.client.pk, 5):
        nps_response(cast.project, contact, 10, at=old)
    assert "No responses in these quarters." in page(client, cast.executive)


def test_it_counts_quarters_back_across_years() -> None:
    now = dt.datetime(2026, 2, 10, tzinfo=dt.UTC)
    assert quarters_back(now, 4) == [
        dt.date(2025, 4, 1),
        dt.date(2025, 7, 1),
        dt.date(2025, 10, 1),
        dt.date(2026, 1, 1),
    ]


def test_it_leaves_revoked_and_open_invitations_out_of_the_rate(cast: Cast) -> None:
    expired = invite(cast.project, cast.contact, expired=True)
    invite(cast.project, cast.contact, expired=False)
    revoked = invite(cast.project, ContactFactory.create(client=cast.client), expired=True)
    revoked.revoked_at = revoked.created_at + dt.timedelta(days=1)
    revoked.save(update_fields=["revoked_at"])
    nps_response(cast.project, ContactFactory.create(client=cast.client), 9)
    [rate] = response_rates(
        Invitation.objects.all(),
        now=timezone.now(),
        by="project__manager__practice_id",
        label="project__manager__practice__name",
    )
    assert (rate.label, rate.answered, rate.closed, rate.rate) == ("Aerospace delivery", 1, 2, 0.5)
    assert expired.used_at is None


def test_its_queries_do_not_grow_with_rows(client: Browser, voiced: Cast) -> None:
    client.force_login(voiced.executive)
    client.get(URL)  # warm the session and the policy
    before = count_queries(lambda: client.get(URL))
    now = timezone.now()
    for practice in (voiced.practice, voiced.other_practice):
        for quarter in range(1, 6):
            pm = UserFactory.create(practice=practice)
            project = ProjectFactory.create(client=voiced.client, manager=pm)
            for contact in people(voiced.client.pk, 2):
                at = now - dt.timedelta(days=91 * quarter)
                nps_response(project, contact, 9, at=at)
                csat_response(project, contact, 4, at=at)
                invite(project, contact, expired=True)
    after = count_queries(lambda: client.get(URL))
    assert after == before
    assert before <= 8


@pytest.mark.parametrize("who,shown", [("owner", False), ("director", True), ("executive", True)])
def test_the_health_portfolio_links_to_it_for_those_who_oversee(
    client: Browser, cast: Cast, who: str, shown: bool
) -> None:
    client.force_login(cast.everyone()[who])
    body = client.get(reverse("health:portfolio")).content.decode()
    assert (f'href="{URL}"' in body) is shown
