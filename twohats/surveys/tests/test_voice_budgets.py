"""Query budgets of the client's-voice pages (the pages `make bench` times): the client's voice
card and results page, a project's invitations page, the voice portfolio and the public survey
page. Each is measured with few and with many responses and invitations: the count must not
grow with them, and must stay within a fixed budget."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from twohats.clients.models import Contact
from twohats.projects.models import Project
from twohats.surveys.catalogue import install
from twohats.surveys.models import Question, SurveyTemplate
from twohats.surveys.services import invitation_create, invitation_revoke, invitation_send
from twohats.surveys.tests.factories import (
    csat_response,
    nps_response,
    ratings_response,
    relationship_response,
)
from twohats.test import Cast, ContactFactory, ProjectFactory, UserFactory, count_queries

pytestmark = pytest.mark.django_db

# The most queries each page may run, whatever the number of responses and invitations (the
# session, the user and the policy included).
BUDGETS = {
    "voice card": 12,
    "results page": 14,
    "invitations page": 10,
    "portfolio": 8,
    "public page": 5,
}


@pytest.fixture(autouse=True)
def catalogue(db: None) -> None:
    """The ready-made templates come with a migration; a transactional test run earlier in the
    same process flushes them, so put them back."""
    install(SurveyTemplate, Question)


def grow(cast: Cast, n: int, *, start: int) -> None:
    """`n` more contacts at the client, each with responses to every kind of survey over the
    last two years (under several PMs' projects) and an invitation in each state."""
    now = timezone.now()
    for k in range(start, start + n):
        person = ContactFactory.create(client=cast.client, email=f"p{k}@aerolux.example")
        project = (
            cast.project
            if k % 2
            else ProjectFactory.create(
                client=cast.client, manager=UserFactory.create(practice=cast.practice)
            )
        )
        at = now - dt.timedelta(days=40 * (k % 16) + 1)
        nps_response(project, person, k % 11, reason=f"Reason {k}", at=at)
        relationship_response(project, person, 1 + k % 7, at=at)
        ratings_response(project, person, 8, 5 + k % 5, at=at)
        csat_response(project, person, 1 + k % 5, at=at)
        # The invitations page lists the project's own invitations: one per state.
        other = ContactFactory.create(client=cast.client, email=f"q{k}@aerolux.example")
        made, token = invitation_create(
            project=cast.project, contact=other, template_family="nps", actor=cast.owner, now=now
        )
        if k % 3 == 0:
            invitation_revoke(made, actor=cast.owner, now=now)
        elif k % 3 == 1:
            invitation_send(made, token, now=now)


def public_token(cast: Cast) -> str:
    contact: Contact = ContactFactory.create(client=cast.client, email="reader@aerolux.example")
    _, token = invitation_create(
        project=cast.project,
        contact=contact,
        template_family="pm_vs_firm",
        actor=None,
        now=timezone.now(),
    )
    return token


def pages(cast: Cast, token: str) -> dict[str, tuple[Browser, str]]:
    def signed_in(user: Any) -> Browser:
        browser = Browser()
        browser.force_login(user)
        return browser

    owner, director = signed_in(cast.owner), signed_in(cast.director)
    client, project = cast.client.pk, cast.project.pk
    return {
        "voice card": (owner, reverse("surveys:client_voice_card", args=[client])),
        "results page": (owner, reverse("surveys:client_results", args=[client])),
        "invitations page": (owner, reverse("surveys:project_invitations", args=[project])),
        "portfolio": (director, reverse("surveys:portfolio")),
        "public page": (Browser(), reverse("survey_public:answer", args=[token])),
    }


def counts(targets: dict[str, tuple[Browser, str]]) -> dict[str, int]:
    found = {}
    for name, (browser, url) in targets.items():
        get: Callable[[], Any] = lambda browser=browser, url=url: browser.get(url)  # noqa: E731
        response = get()  # warm the session and the policy
        assert response.status_code == 200, (name, response.status_code)
        found[name] = count_queries(get)
    return found


def test_the_voice_pages_run_a_fixed_number_of_queries(cast: Cast) -> None:
    assert isinstance(cast.project, Project)
    targets = pages(cast, public_token(cast))
    grow(cast, 2, start=0)
    few = counts(targets)
    grow(cast, 18, start=2)
    many = counts(targets)
    assert many == few
    over = {name: n for name, n in many.items() if n > BUDGETS[name]}
    assert not over, f"over budget: {over} (budgets {BUDGETS})"


def test_the_budgets_hold_with_django_assert_max_num_queries(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    targets = pages(cast, public_token(cast))
    grow(cast, 10, start=0)
    for name, (browser, url) in targets.items():
        browser.get(url)  # warm
        with django_assert_max_num_queries(BUDGETS[name]):
            assert browser.get(url).status_code == 200
