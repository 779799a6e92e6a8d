"""Contacts over the API: the reporting line stays acyclic, ids resolve through access rules."""

import datetime as dt
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.test import Client as HttpClient
from django.utils import timezone

from twohats.clients.models import Contact
from twohats.people.models import User
from twohats.people.services import api_token_create
from twohats.test import Cast, ContactFactory, ProjectFactory

# One test client for the module: each new one loads the middleware again, which is slow.
_http = HttpClient()


def signed_in(user: User) -> HttpClient:
    """The shared client, acting as `user` through a personal token (no session to set up)."""
    _, raw = api_token_create(user=user, name="API tests")
    _http.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return _http


def patch(user: User, contact: Contact, body: dict[str, Any]) -> Any:
    return signed_in(user).patch(
        f"/api/v1/contacts/{contact.pk}", body, content_type="application/json"
    )


def create(user: User, body: dict[str, Any]) -> Any:
    return signed_in(user).post("/api/v1/contacts", body, content_type="application/json")


def test_it_creates_a_contact_with_history(cast: Cast) -> None:
    body = {
        "client": cast.client.pk,
        "first_name": "Pierre",
        "last_name": "Curie",
        "title": "Chief engineer",
        "power": 5,
        "interest": 2,
        "stance": "champion",
        "reports_to": cast.contact.pk,
    }
    response = create(cast.owner, body)
    assert response.status_code == 201
    data = response.json()
    contact = Contact.objects.get(pk=data["id"])
    assert contact.reports_to == cast.contact
    assert data["client_name"] == "Aerolux"
    assert data["reports_to_name"] == "Marie Curie"
    assert data["quadrant"] == "Keep satisfied"
    entry = LogEntry.objects.get_for_object(contact).get()
    assert (entry.action, entry.actor) == (LogEntry.Action.CREATE, cast.owner)


def test_it_lets_the_manager_of_one_of_the_clients_projects_add_contacts(cast: Cast) -> None:
    body = {"client": cast.client.pk, "first_name": "Irène", "last_name": "Joliot"}
    assert create(cast.teammate, body).status_code == 422
    ProjectFactory(client=cast.client, manager=cast.teammate)
    response = create(cast.teammate, body)
    assert response.status_code == 201
    assert Contact.objects.get(pk=response.json()["id"]).client == cast.client


@pytest.mark.parametrize("who", ["outsider", "teammate"])
def test_it_refuses_a_client_the_user_may_not_work_on(cast: Cast, who: str) -> None:
    count = Contact.objects.count()
    response = create(
        cast.everyone()[who], {"client": cast.client.pk, "first_name": "A", "last_name": "B"}
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[0]["loc"] == ["body", "client"]
    # The message is the same whether the client exists or not.
    unknown = create(cast.everyone()[who], {"client": 999999, "first_name": "A", "last_name": "B"})
    assert (
        unknown.json()["detail"][0]["msg"].replace("999999", str(cast.client.pk))
        == (detail[0]["msg"])
    )
    assert Contact.objects.count() == count


def test_it_updates_a_contact_with_history(cast: Cast) -> None:
    response = patch(cast.owner, cast.contact, {"stance": "skeptic", "power": 5, "version": 1})
    assert response.status_code == 200
    cast.contact.refresh_from_db()
    assert (cast.contact.stance, cast.contact.power, cast.contact.version) == ("skeptic", 5, 2)
    assert (
        LogEntry.objects.get_for_object(cast.contact)
        .filter(action=LogEntry.Action.UPDATE, actor=cast.owner)
        .exists()
    )


def test_it_archives_and_restores_a_contact(cast: Cast) -> None:
    client = signed_in(cast.director)
    assert client.delete(f"/api/v1/contacts/{cast.contact.pk}").json()["archived"] is True
    cast.contact.refresh_from_db()
    assert cast.contact.is_archived
    assert client.post(f"/api/v1/contacts/{cast.contact.pk}/restore").json()["archived"] is False
    cast.contact.refresh_from_db()
    assert not cast.contact.is_archived


def test_it_refuses_a_contact_reporting_to_itself(cast: Cast) -> None:
    response = patch(cast.owner, cast.contact, {"reports_to": cast.contact.pk})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "reports_to"],
            "msg": "A contact cannot report to themselves.",
            "type": "value_error",
        }
    ]
    cast.contact.refresh_from_db()
    assert cast.contact.reports_to is None and cast.contact.version == 1


def test_it_refuses_a_loop_in_the_reporting_line(cast: Cast) -> None:
    boss = cast.contact
    middle = ContactFactory(client=cast.client, reports_to=boss)
    report = ContactFactory(client=cast.client, reports_to=middle)
    for manager in [middle, report]:
        response = patch(cast.owner, boss, {"reports_to": manager.pk})
        assert response.status_code == 422
        error = response.json()["detail"][0]
        assert error["loc"] == ["body", "reports_to"]
        assert "loop" in error["msg"]
    boss.refresh_from_db()
    assert boss.reports_to is None


def test_it_refuses_a_manager_at_another_client(cast: Cast) -> None:
    elsewhere = ContactFactory(client=cast.other_client)
    # The owner may not see the other client's contact; the admin sees it but it is elsewhere.
    for user in [cast.owner, cast.admin]:
        response = patch(user, cast.contact, {"reports_to": elsewhere.pk})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "reports_to"]
    cast.contact.refresh_from_db()
    assert cast.contact.reports_to is None


@pytest.mark.parametrize(
    "body,field",
    [
        ({"power": 6}, "power"),
        ({"power": 0}, "power"),
        ({"interest": "high"}, "interest"),
        ({"stance": "enemy"}, "stance"),
        ({"first_name": ""}, "first_name"),
        ({"last_name": "z" * 81}, "last_name"),
        ({"email": "not-an-email"}, "email"),
        ({"left_on": "someday"}, "left_on"),
        ({"client": 2}, "client"),
    ],
)
def test_it_refuses_invalid_values_naming_the_field(
    cast: Cast, body: dict[str, Any], field: str
) -> None:
    response = patch(cast.owner, cast.contact, body)
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["body", field]]
    cast.contact.refresh_from_db()
    assert cast.contact.version == 1


def test_it_refuses_a_departure_in_the_future(cast: Cast) -> None:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = patch(cast.owner, cast.contact, {"left_on": tomorrow.isoformat()})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "left_on"]


def test_it_refuses_a_stale_version_with_409(cast: Cast) -> None:
    patch(cast.owner, cast.contact, {"title": "CTO"})
    response = patch(cast.director, cast.contact, {"title": "CEO", "version": 1})
    assert response.status_code == 409
    cast.contact.refresh_from_db()
    assert cast.contact.title == "CTO"
