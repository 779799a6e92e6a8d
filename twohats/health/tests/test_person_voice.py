"""The PM page's "How clients see their roles": each role's mean client rating over the surveys'
window beside the logged role balance, with n, and the PM-versus-firm gap, against hand-computed
numbers; nothing below the policy's minimum n; access; a query count independent of the number
of responses."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse

from twohats.clients.models import Contact
from twohats.health.models import HealthPolicy
from twohats.projects.models import Project
from twohats.surveys.models import Construct, Question, Response
from twohats.surveys.selectors import pm_roles_seen
from twohats.surveys.tests.factories import ratings_response, response_make, template_of
from twohats.test import Cast, ContactFactory, ProjectFactory, count_queries, read

NOW = dt.datetime(2026, 6, 30, 15, tzinfo=dt.UTC)
AT = dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC)
ROLES = ["implementer", "coach", "entrepreneur", "politician", "friend", "marketer"]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def roles_response(
    cast: Cast,
    contact: Contact,
    ratings: dict[str, int],
    at: dt.datetime = AT,
    project: Project | None = None,
) -> Response:
    where = dict(
        Question.objects.filter(
            template=template_of("roles"), construct=Construct.ROLE
        ).values_list("role", "position")
    )
    return response_make(
        project=project or cast.project,
        contact=contact,
        family="roles",
        answers={where[role]: value for role, value in ratings.items()},
        at=at,
    )


def contacts(cast: Cast, n: int) -> list[Contact]:
    return [ContactFactory.create(client=cast.client) for _ in range(n)]


# Five clients' ratings, one row per response, in ROLES order; the fifth skips "marketer".
RATINGS = [
    [5, 1, 2, 5, 4, 3],
    [4, 2, 2, 5, 4, 3],
    [4, 3, 3, 5, 4, 4],
    [3, 4, 3, 5, 4, 5],
    [5, 5, 3, 4, 4, None],
]


@pytest.fixture
def rated(cast: Cast) -> Cast:
    people = contacts(cast, 5)
    for person, row in zip(people, RATINGS, strict=True):
        roles_response(
            cast, person, {r: v for r, v in zip(ROLES, row, strict=True) if v is not None}
        )
    for person, (pm, firm) in zip(people, [(9, 6), (8, 7), (10, 5), (7, 7), (9, 8)], strict=True):
        ratings_response(cast.project, person, pm, firm, at=AT)
    # Neither counts: one older than the 365-day window, one about another PM's project.
    roles_response(cast, people[0], dict.fromkeys(ROLES, 1), at=NOW - dt.timedelta(days=400))
    other = ProjectFactory.create(client=cast.client, manager=cast.teammate)
    roles_response(cast, people[1], dict.fromkeys(ROLES, 1), project=other)
    return cast


def page(client: Browser, cast: Cast, viewer_name: str = "director") -> str:
    client.force_login(cast.everyone()[viewer_name])
    response = client.get(reverse("health:person", args=[cast.owner.pk]))
    assert response.status_code == 200
    return read(response).decode()


def row_of(text: str, label: str) -> str:
    found = re.search(rf"<th scope=\"row\">{label}</th>(.*?)</tr>", text, re.S)
    assert found, label
    return words(found.group(1))


def words(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_it_computes_each_role_s_mean_and_the_gap_in_one_query(rated: Cast) -> None:
    since = NOW - dt.timedelta(days=365)
    seen = pm_roles_seen(rated.owner, since, min_n=5)
    assert count_queries(lambda: pm_roles_seen(rated.owner, since, min_n=5)) == 1
    # implementer (5+4+4+3+5)/5 = 4.2; coach 15/5 = 3; entrepreneur 13/5 = 2.6;
    # politician 24/5 = 4.8; friend 20/5 = 4; marketer only 4 responses: below 5.
    assert {name: (m.mean, m.n) for name, m in seen.roles.items()} == {
        "implementer": (4.2, 5),
        "coach": (3.0, 5),
        "entrepreneur": (2.6, 5),
        "politician": (4.8, 5),
        "friend": (4.0, 5),
        "marketer": (None, 4),
    }
    # PM (9+8+10+7+9)/5 = 8.6, firm (6+7+5+7+8)/5 = 6.6: a gap of 2.
    assert (seen.pm_rating.mean, seen.firm_rating.mean, seen.gap) == (8.6, 6.6, 2.0)
    assert seen.pm_rating.n == 5


def test_it_shows_the_ratings_beside_the_role_balance(client: Browser, rated: Cast) -> None:
    text = page(client, rated)
    assert "How clients see their roles" in text
    assert "4.20" in row_of(text, "Implementer")
    assert "n = 5" in row_of(text, "Implementer")
    assert "40 %" in row_of(text, "Implementer")  # the target beside it
    assert "2.60" in row_of(text, "Entrepreneur")
    marketer = row_of(text, "Marketer")
    assert "not enough responses" in marketer and "n = 4" in marketer
    gap = words(text.split('id="pm-vs-firm">')[1].split("</p>")[0])
    assert "8.60" in gap and "6.60" in gap and "gap of 2.00 points" in gap


def test_it_says_not_enough_responses_below_the_policy_s_minimum(
    client: Browser, cast: Cast
) -> None:
    assert HealthPolicy.objects.active().rules.surveys.min_n == 5
    people = contacts(cast, 4)
    for person in people:
        roles_response(cast, person, dict.fromkeys(ROLES, 5))
        ratings_response(cast.project, person, 10, 2, at=AT)
    text = page(client, cast)
    for label in ["Implementer", "Coach", "Entrepreneur", "Politician", "Friend", "Marketer"]:
        row = row_of(text, label)
        assert "not enough responses" in row and "n = 4" in row and "5.00" not in row
    assert "PM versus firm: not enough responses (n = 4, at least 5 needed)" in text
    assert "gap of" not in text


def test_it_shows_the_section_to_the_pm_and_nobody_outside(client: Browser, rated: Cast) -> None:
    assert "How clients see their roles" in page(client, rated, "owner")
    client.force_login(rated.outsider)
    assert client.get(reverse("health:person", args=[rated.owner.pk])).status_code == 404


def test_it_keeps_the_page_s_queries_constant_in_the_number_of_responses(
    client: Browser, cast: Cast
) -> None:
    client.force_login(cast.director)
    url = reverse("health:person", args=[cast.owner.pk])
    roles_response(cast, contacts(cast, 1)[0], dict.fromkeys(ROLES, 3))
    few = count_queries(lambda: read(client.get(url)))
    for person in contacts(cast, 12):
        roles_response(cast, person, dict.fromkeys(ROLES, 4))
        ratings_response(cast.project, person, 8, 7, at=AT)
    many = count_queries(lambda: read(client.get(url)))
    assert few == many, f"{few} queries with 1 response, {many} with 25"
    assert "3.92" in read(client.get(url)).decode()  # (3 + 12 · 4) / 13
