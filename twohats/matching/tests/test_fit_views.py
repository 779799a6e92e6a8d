"""The fit partials: on a contact's page, the profile, the fit with the account lead in words and
(for those who staff) the best alternative PMs; on a PM's page, the clients where their fit is
weakest, lowest first. Access follows the client and the person page; the queries do not grow
with the PMs or the clients."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as Browser
from django.urls import reverse

from twohats.clients.models import Client, Contact
from twohats.matching.instruments import TRAITS
from twohats.matching.models import FitPolicy, PersonalityProfile
from twohats.people.models import User
from twohats.test import Cast, ClientFactory, ContactFactory, UserFactory, count_queries

LOW = dict(zip(TRAITS, [10, 20, 10, 20, 10], strict=True))
FAR = dict(zip(TRAITS, [90, 80, 90, 80, 90], strict=True))
HIGH = dict(zip(TRAITS, [85, 80, 90, 80, 90], strict=True))

pytestmark = pytest.mark.django_db


def profile(person: User | Contact, traits: dict[str, int]) -> None:
    if isinstance(person, User):
        owner: dict[str, Any] = {"user": person, "source": "observer"}
    else:
        owner = {"contact": person, "source": "observer"}
    PersonalityProfile.objects.create(instrument="ipip-bfm-20", **owner, **traits)


def get(browser: Browser, user: User, url: str) -> Any:
    browser.force_login(user)
    return browser.get(url, HTTP_HX_REQUEST="true")


def contact_url(contact: Contact) -> str:
    return reverse("fit:contact", args=[contact.pk])


def person_url(user: User) -> str:
    return reverse("fit:person", args=[user.pk])


@pytest.fixture
def fits(cast: Cast) -> Cast:
    Client.objects.filter(pk=cast.client.pk).update(primary_contact=cast.contact)
    profile(cast.owner, LOW)
    profile(cast.contact, FAR)
    for n in range(2):
        profile(
            UserFactory.create(first_name="Alt", last_name=str(n), practice=cast.practice), HIGH
        )
    FitPolicy.objects.active()
    return cast


@pytest.mark.parametrize(
    "who,status",
    [
        ("owner", 200),
        ("teammate", 200),
        ("outsider", 404),
        ("director", 200),
        ("other_director", 404),
        ("executive", 200),
        ("admin", 200),
    ],
)
def test_contact_fit_follows_the_client(client: Browser, fits: Cast, who: str, status: int) -> None:
    response = get(client, fits.everyone()[who], contact_url(fits.contact))
    assert response.status_code == status


def test_contact_fit_shows_the_profile_the_lead_fit_and_the_alternatives(
    client: Browser, fits: Cast
) -> None:
    response = get(client, fits.executive, contact_url(fits.contact))
    html = response.content.decode()
    assert 'id="fit-profile"' in html and "observer rating" in html
    assert f"With the account lead, {fits.owner}" in html
    assert "below the policy" in html
    assert 'id="fit-alternatives"' in html and "Alt 0" in html and "Alt 1" in html


def test_contact_fit_folds_the_lead_traits_for_a_teammate(client: Browser, fits: Cast) -> None:
    teammate = get(client, fits.teammate, contact_url(fits.contact)).content.decode()
    assert "profiles opposite in shape" not in teammate
    assert "personality against them" in teammate
    # Alternatives are a staffing question: not for a PM.
    assert 'id="fit-alternatives"' not in teammate
    # The lead sees the parts of their own traits.
    owner = get(client, fits.owner, contact_url(fits.contact)).content.decode()
    assert "profiles opposite in shape" in owner and "personality against them" not in owner


def test_director_alternatives_are_their_own_practice(client: Browser, fits: Cast) -> None:
    profile(fits.outsider, HIGH)
    html = get(client, fits.director, contact_url(fits.contact)).content.decode()
    assert "Alt 0" in html and str(fits.outsider) not in html


def test_contact_fit_of_an_unseen_contact_is_404(client: Browser, fits: Cast) -> None:
    stranger = ContactFactory.create(client=fits.other_client)
    assert get(client, fits.owner, contact_url(stranger)).status_code == 404


@pytest.mark.parametrize(
    "who,status",
    [
        ("owner", 200),
        ("teammate", 404),
        ("outsider", 404),
        ("director", 200),
        ("other_director", 404),
        ("executive", 200),
        ("admin", 200),
    ],
)
def test_person_fit_follows_the_person_page(
    client: Browser, fits: Cast, who: str, status: int
) -> None:
    response = get(client, fits.everyone()[who], person_url(fits.owner))
    assert response.status_code == status


def test_person_fit_lists_the_weakest_first(client: Browser, fits: Cast) -> None:
    good = ClientFactory.create(name="Good Fit Ltd", account_lead=fits.owner)
    near = ContactFactory.create(client=good, first_name="Near", last_name="Rep")
    profile(near, LOW)
    Client.objects.filter(pk=good.pk).update(primary_contact=near)
    ClientFactory.create(name="Nobody Named", account_lead=fits.owner)
    html = get(client, fits.owner, person_url(fits.owner)).content.decode()
    assert "Where fit is weakest" in html
    aerolux, good_at, nobody = (html.index(n) for n in ("Aerolux", "Good Fit Ltd", "Nobody Named"))
    assert aerolux < good_at < nobody
    assert "far apart in personality" in html and "none named" in html


def test_person_fit_of_an_unknown_user_is_404(client: Browser, fits: Cast) -> None:
    assert get(client, fits.owner, person_url(fits.executive)).status_code == 404
    assert get(client, fits.admin, reverse("fit:person", args=[99999])).status_code == 404


def _more_pms(cast: Cast, n: int) -> None:
    for _ in range(n):
        profile(UserFactory.create(practice=cast.practice), HIGH)


def _more_clients(cast: Cast, n: int) -> None:
    for _ in range(n):
        account = ClientFactory.create(account_lead=cast.owner)
        rep = ContactFactory.create(client=account)
        profile(rep, FAR)
        Client.objects.filter(pk=account.pk).update(primary_contact=rep)


def test_contact_fit_queries_do_not_grow_with_the_pms(
    client: Browser, fits: Cast, django_assert_max_num_queries: Any
) -> None:
    client.force_login(fits.executive)
    url = contact_url(fits.contact)
    client.get(url)
    small = count_queries(lambda: client.get(url))
    _more_pms(fits, 12)
    with django_assert_max_num_queries(small):
        response = client.get(url)
    assert response.content.decode().count("<li><a href=") == 3


def test_person_fit_queries_do_not_grow_with_the_clients(
    client: Browser, fits: Cast, django_assert_max_num_queries: Any
) -> None:
    client.force_login(fits.owner)
    url = person_url(fits.owner)
    client.get(url)
    small = count_queries(lambda: client.get(url))
    _more_clients(fits, 12)
    with django_assert_max_num_queries(small):
        response = client.get(url)
    assert response.content.decode().count('badge text-bg-warning">low<') == 13
