"""Every HTML URL that takes an id, opened by each member of the cast.

404 for a record the user may not see (its existence is not revealed), 403 for a change the user
may not make on a record they can see, 200 otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client as Browser
from django.urls import reverse

from twohats.test import Cast, WorkdayLocationFactory

WHO = ["owner", "teammate", "outsider", "director", "other_director", "executive", "admin"]

SEE = dict(zip(WHO, [200, 200, 404, 200, 404, 200, 200], strict=True))
EDIT = dict(zip(WHO, [200, 403, 404, 200, 404, 403, 200], strict=True))
PURGE = dict(zip(WHO, [403, 403, 404, 403, 404, 403, 200], strict=True))
LOG = dict(zip(WHO, [200, 200, 404, 200, 404, 403, 200], strict=True))

Url = Callable[[Cast], str]


def url(name: str, attr: str) -> Url:
    return lambda cast: reverse(name, args=[getattr(cast, attr).pk])


GETS: list[tuple[str, Url, dict[str, int]]] = [
    ("client page", url("clients:detail", "client"), SEE),
    ("client timeline", url("clients:timeline", "client"), SEE),
    ("client edit", url("clients:edit", "client"), EDIT),
    ("client delete", url("clients:delete", "client"), PURGE),
    ("log interaction", url("clients:log_interaction", "client"), LOG),
    ("contact page", url("contacts:detail", "contact"), SEE),
    ("contact edit", url("contacts:edit", "contact"), EDIT),
    ("contact delete", url("contacts:delete", "contact"), PURGE),
    ("project page", url("projects:detail", "project"), SEE),
    ("project edit", url("projects:edit", "project"), EDIT),
    ("project delete", url("projects:delete", "project"), PURGE),
    ("interaction page", url("interactions:detail", "interaction"), SEE),
    ("interaction edit", url("interactions:edit", "interaction"), EDIT),
    ("interaction delete", url("interactions:delete", "interaction"), EDIT),
    ("opportunity page", url("growth:detail", "opportunity"), SEE),
    ("opportunity edit", url("growth:edit", "opportunity"), EDIT),
    ("opportunity delete", url("growth:delete", "opportunity"), EDIT),
    ("new contact", lambda c: reverse("contacts:create") + f"?client={c.client.pk}", EDIT),
    ("new project", lambda c: reverse("projects:create") + f"?client={c.client.pk}", EDIT),
    ("new opportunity", lambda c: reverse("growth:create") + f"?client={c.client.pk}", EDIT),
]


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("name,make_url,expected", GETS, ids=[g[0] for g in GETS])
def test_it_answers_each_url_according_to_access(
    client: Browser, cast: Cast, who: str, name: str, make_url: Url, expected: dict[str, int]
) -> None:
    client.force_login(cast.everyone()[who])
    response = client.get(make_url(cast))
    assert response.status_code == expected[who], f"{who} on {name}"


POSTS: list[tuple[str, Url, dict[str, str]]] = [
    ("archive client", url("clients:archive", "client"), {"archive": "1"}),
    ("archive contact", url("contacts:archive", "contact"), {"archive": "1"}),
    ("archive project", url("projects:archive", "project"), {"archive": "1"}),
]


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("name,make_url,data", POSTS, ids=[p[0] for p in POSTS])
def test_it_lets_only_editors_archive(
    client: Browser, cast: Cast, who: str, name: str, make_url: Url, data: dict[str, str]
) -> None:
    client.force_login(cast.everyone()[who])
    response = client.post(make_url(cast), data)
    expected = {200: 302}.get(EDIT[who], EDIT[who])
    assert response.status_code == expected, f"{who} on {name}"


@pytest.mark.parametrize("who", WHO)
def test_it_lets_only_editors_mark_a_next_step_done(client: Browser, cast: Cast, who: str) -> None:
    cast.interaction.next_step = "Send the revised plan"
    cast.interaction.save()
    client.force_login(cast.everyone()[who])
    response = client.post(reverse("interactions:done", args=[cast.interaction.pk]), {"done": "1"})
    assert response.status_code == {200: 302}.get(EDIT[who], EDIT[who])
    cast.interaction.refresh_from_db()
    assert (cast.interaction.next_step_done_at is not None) is (EDIT[who] == 200)


WORKDAY = dict(zip(WHO, [404, 200, 404, 200, 404, 403, 200], strict=True))


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("name", ["workdays:edit", "workdays:delete"])
def test_it_lets_only_the_person_and_their_director_change_workdays(
    client: Browser, cast: Cast, who: str, name: str
) -> None:
    day = WorkdayLocationFactory(user=cast.teammate)
    client.force_login(cast.everyone()[who])
    assert client.get(reverse(name, args=[day.pk])).status_code == WORKDAY[who]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/clients/",
        "/contacts/",
        "/projects/",
        "/interactions/",
        "/opportunities/",
        "/workdays/",
        "/search/?q=ae",
        "/accounts/profile/",
    ],
)
def test_it_sends_anonymous_visitors_to_sign_in(client: Browser, db: None, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
