"""Clients over the API: history of writes, archive and restore, bad input changes nothing."""

from typing import Any

import pytest
from auditlog.models import LogEntry
from django.test import Client as HttpClient

from twohats.clients.models import Client
from twohats.people.models import User
from twohats.people.services import api_token_create
from twohats.test import Cast, ContactFactory

# One test client for the module: each new one loads the middleware again, which is slow.
_http = HttpClient()


def signed_in(user: User) -> HttpClient:
    """The shared client, acting as `user` through a personal token (no session to set up)."""
    _, raw = api_token_create(user=user, name="API tests")
    _http.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return _http


def logged(obj: Any, action: int, actor: User) -> bool:
    return LogEntry.objects.get_for_object(obj).filter(action=action, actor=actor).exists()


def test_it_creates_a_client_led_by_the_pm(cast: Cast) -> None:
    body = {
        "name": "  Orbital Systems ",
        "industry": "aerospace",
        "tier": "strategic",
        "time_zone": "America/Toronto",
        "city": "Montreal",
        "website": "https://orbital.example",
    }
    response = signed_in(cast.owner).post("/api/v1/clients", body, content_type="application/json")
    assert response.status_code == 201
    data = response.json()
    client = Client.objects.get(pk=data["id"])
    assert client.name == data["name"] == "Orbital Systems"
    assert client.account_lead == cast.owner
    assert data["account_lead"] == cast.owner.pk
    assert data["account_lead_name"] == str(cast.owner)
    assert data["version"] == 1 and data["archived"] is False
    assert logged(client, LogEntry.Action.CREATE, cast.owner)


def test_it_lets_a_director_name_the_account_lead(cast: Cast) -> None:
    body = {"name": "Orbital", "industry": "aerospace", "account_lead": cast.teammate.pk}
    response = signed_in(cast.director).post(
        "/api/v1/clients", body, content_type="application/json"
    )
    assert response.status_code == 201
    assert Client.objects.get(pk=response.json()["id"]).account_lead == cast.teammate


def test_it_updates_a_client_and_keeps_the_history(cast: Cast) -> None:
    contact = cast.contact
    body = {"tier": "strategic", "primary_contact": contact.pk, "version": 1}
    response = signed_in(cast.owner).patch(
        f"/api/v1/clients/{cast.client.pk}", body, content_type="application/json"
    )
    assert response.status_code == 200
    data = response.json()
    assert data["primary_contact"] == contact.pk
    assert data["primary_contact_name"] == "Marie Curie"
    assert data["version"] == 2
    cast.client.refresh_from_db()
    assert (cast.client.tier, cast.client.primary_contact, cast.client.version) == (
        "strategic",
        contact,
        2,
    )
    assert cast.client.name == "Aerolux"  # untouched: absent from the body
    assert logged(cast.client, LogEntry.Action.UPDATE, cast.owner)


def test_it_clears_the_primary_contact_with_null(cast: Cast) -> None:
    Client.objects.filter(pk=cast.client.pk).update(primary_contact=cast.contact)
    response = signed_in(cast.owner).patch(
        f"/api/v1/clients/{cast.client.pk}",
        {"primary_contact": None},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["primary_contact"] is None


def test_it_archives_restores_and_purges_with_history(cast: Cast) -> None:
    client = signed_in(cast.owner)
    response = client.delete(f"/api/v1/clients/{cast.client.pk}")
    assert response.status_code == 200
    assert response.json()["archived"] is True
    cast.client.refresh_from_db()
    assert cast.client.is_archived
    assert logged(cast.client, LogEntry.Action.UPDATE, cast.owner)

    response = client.post(f"/api/v1/clients/{cast.client.pk}/restore")
    assert response.status_code == 200
    assert response.json()["archived"] is False
    cast.client.refresh_from_db()
    assert not cast.client.is_archived

    response = signed_in(cast.admin).delete(f"/api/v1/clients/{cast.client.pk}/purge")
    assert response.status_code == 204
    assert not Client.objects.filter(pk=cast.client.pk).exists()
    assert logged(cast.client, LogEntry.Action.DELETE, cast.admin)


def test_it_refuses_a_stale_version_with_409(cast: Cast) -> None:
    Client.objects.filter(pk=cast.client.pk).update(version=3)
    response = signed_in(cast.owner).patch(
        f"/api/v1/clients/{cast.client.pk}",
        {"name": "Renamed", "version": 2},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert "changed by someone else" in response.json()["detail"]
    cast.client.refresh_from_db()
    assert (cast.client.name, cast.client.version) == ("Aerolux", 3)


@pytest.mark.parametrize(
    "body,field",
    [
        ({"name": "x" * 201}, "name"),
        ({"name": "   "}, "name"),
        ({"name": None}, "name"),
        ({"industry": "shipbuilding"}, "industry"),
        ({"tier": None}, "tier"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"website": "not a web address"}, "website"),
        ({"city": "y" * 121}, "city"),
        ({"archived": True}, "archived"),
        ({"version": 0}, "version"),
        ({"version": "one"}, "version"),
    ],
)
def test_it_refuses_invalid_values_naming_the_field(
    cast: Cast, body: dict[str, Any], field: str
) -> None:
    response = signed_in(cast.owner).patch(
        f"/api/v1/clients/{cast.client.pk}", body, content_type="application/json"
    )
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["body", field]]
    cast.client.refresh_from_db()
    assert (cast.client.name, cast.client.version) == ("Aerolux", 1)


def test_it_refuses_a_primary_contact_of_another_client(cast: Cast) -> None:
    stranger = ContactFactory(client=cast.other_client)
    visible_elsewhere = ContactFactory(client=cast.other_client)
    for user, contact in [(cast.owner, stranger), (cast.admin, visible_elsewhere)]:
        response = signed_in(user).patch(
            f"/api/v1/clients/{cast.client.pk}",
            {"primary_contact": contact.pk},
            content_type="application/json",
        )
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "primary_contact"]
    cast.client.refresh_from_db()
    assert cast.client.primary_contact is None


@pytest.mark.parametrize("lead", ["executive", "admin", "unknown"])
def test_it_refuses_an_account_lead_who_cannot_lead(cast: Cast, lead: str) -> None:
    pk = 999999 if lead == "unknown" else cast.everyone()[lead].pk
    count = Client.objects.count()
    response = signed_in(cast.director).post(
        "/api/v1/clients",
        {"name": "Orbital", "industry": "aerospace", "account_lead": pk},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "account_lead"]
    assert Client.objects.count() == count


def test_it_asks_an_admin_to_name_the_account_lead(cast: Cast) -> None:
    response = signed_in(cast.admin).post(
        "/api/v1/clients",
        {"name": "Orbital", "industry": "aerospace"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "account_lead"]
