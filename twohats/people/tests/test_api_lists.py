"""The API lists: constant query counts, cursor pagination and the shared filtersets."""

import base64
import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from twohats.people.models import User
from twohats.test import (
    Cast,
    ClientFactory,
    ContactFactory,
    InteractionFactory,
    OpportunityFactory,
    ProjectFactory,
    WorkdayLocationFactory,
)

LISTS = ["clients", "contacts", "projects", "interactions", "opportunities", "workdays"]

# One test client for the module: each new one loads the middleware again, which is slow.
_http = HttpClient()


def signed_in(user: User) -> HttpClient:
    _http.cookies.clear()
    _http.force_login(user)
    return _http


def add_rows(cast: Cast, resource: str, count: int, start: int = 0) -> None:
    """Rows the owner sees, each with the related records its list shows."""
    for n in range(start, start + count):
        if resource == "clients":
            client = ClientFactory(account_lead=cast.owner)
            client.primary_contact = ContactFactory(client=client)
            client.save(update_fields=["primary_contact"])
        elif resource == "contacts":
            ContactFactory(client=cast.client, reports_to=cast.contact)
        elif resource == "projects":
            ProjectFactory(client=cast.client, manager=cast.owner, members=[cast.teammate])
        elif resource == "interactions":
            interaction = InteractionFactory(
                client=cast.client,
                project=cast.project,
                logged_by=cast.owner,
                next_step="Send the minutes",
                next_step_owner=cast.teammate,
            )
            interaction.contacts.add(cast.contact)
            interaction.staff.add(cast.owner, cast.teammate)
        elif resource == "opportunities":
            OpportunityFactory(client=cast.client, project=cast.project, identified_by=cast.owner)
        else:
            WorkdayLocationFactory(
                user=cast.owner,
                date=dt.date(2026, 1, 1) + dt.timedelta(days=n),
                kind="client_site",
                client=cast.client,
            )


def list_queries(user: User, resource: str) -> tuple[int, int]:
    client = signed_in(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/{resource}")
    assert response.status_code == 200
    return len(queries), len(response.json()["results"])


@pytest.mark.parametrize("resource", LISTS)
def test_it_lists_1_and_50_rows_with_the_same_number_of_queries(cast: Cast, resource: str) -> None:
    # The cast gives the owner one record of each kind but workdays.
    if resource == "workdays":
        add_rows(cast, resource, 1)
    one, rows = list_queries(cast.owner, resource)
    assert rows == 1
    add_rows(cast, resource, 49, start=1)
    fifty, rows = list_queries(cast.owner, resource)
    assert rows == 50
    assert fifty == one


def walk(client: HttpClient, url: str) -> list[int]:
    ids: list[int] = []
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.json()
        body = response.json()
        assert len(body["results"]) <= 3
        ids.extend(row["id"] for row in body["results"])
        url = body["next"]
        pages += 1
        assert pages < 20, "the cursor does not move on"
    return ids


@pytest.mark.parametrize("resource", LISTS)
def test_it_walks_every_row_once_with_the_cursor(cast: Cast, resource: str) -> None:
    add_rows(cast, resource, 8)
    client = signed_in(cast.owner)
    everything = [row["id"] for row in client.get(f"/api/v1/{resource}").json()["results"]]
    ids = walk(client, f"/api/v1/{resource}?page_size=3")
    assert len(ids) == len(set(ids)) == len(everything) >= 8
    assert ids == sorted(everything)


def test_it_keeps_filters_while_walking_pages(cast: Cast) -> None:
    for _ in range(5):
        ClientFactory(account_lead=cast.owner, industry="banking")
    ClientFactory(account_lead=cast.owner, industry="energy")
    client = signed_in(cast.owner)
    ids = walk(client, "/api/v1/clients?industry=banking&page_size=2")
    assert len(ids) == 5


@pytest.mark.parametrize(
    "cursor", ["not-a-cursor", *(base64.b64encode(raw).decode() for raw in [b"p=abc", b"o=-1"])]
)
def test_it_answers_422_for_a_broken_cursor(cast: Cast, cursor: str) -> None:
    response = signed_in(cast.owner).get("/api/v1/clients", {"cursor": cursor})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "cursor"]


def results(user: User, url: str) -> list[dict[str, Any]]:
    response = signed_in(user).get(url)
    assert response.status_code == 200, response.json()
    return list(response.json()["results"])


def test_it_filters_clients(cast: Cast) -> None:
    ClientFactory(account_lead=cast.owner, name="Orbital Bank", industry="banking")
    names = [row["name"] for row in results(cast.owner, "/api/v1/clients?industry=banking")]
    assert names == ["Orbital Bank"]
    assert [row["name"] for row in results(cast.owner, "/api/v1/clients?q=orbit")] == [
        "Orbital Bank"
    ]
    lead = f"/api/v1/clients?account_lead={cast.outsider.pk}"
    assert [row["name"] for row in results(cast.admin, lead)] == ["Banque Zed"]


def test_it_lists_archived_clients_only_when_asked(cast: Cast) -> None:
    client = signed_in(cast.owner)
    client.delete(f"/api/v1/clients/{cast.client.pk}")
    assert results(cast.owner, "/api/v1/clients") == []
    archived = results(cast.owner, "/api/v1/clients?archived=archived")
    assert [row["id"] for row in archived] == [cast.client.pk]
    assert archived[0]["archived"] is True
    assert len(results(cast.owner, "/api/v1/clients?archived=all")) == 1


def test_it_filters_contacts(cast: Cast) -> None:
    ContactFactory(client=cast.client, power=2, left_on=dt.date(2026, 1, 9))
    powerful = results(cast.owner, "/api/v1/contacts?power=4")
    assert [row["id"] for row in powerful] == [cast.contact.pk]
    gone = results(cast.owner, "/api/v1/contacts?active=false")
    assert [row["active"] for row in gone] == [False]


def test_it_filters_projects(cast: Cast) -> None:
    ProjectFactory(client=cast.client, manager=cast.owner, status="completed")
    done = results(cast.owner, "/api/v1/projects?status=completed")
    assert [row["status"] for row in done] == ["completed"]
    mine = results(cast.director, f"/api/v1/projects?client={cast.client.pk}")
    assert len(mine) == 2


def test_it_filters_interactions(cast: Cast) -> None:
    InteractionFactory(client=cast.client, logged_by=cast.owner, role_coach=True)
    coaching = results(cast.owner, "/api/v1/interactions?role=coach")
    assert [row["roles"] for row in coaching] == [["implementer", "coach"]]
    assert results(cast.owner, "/api/v1/interactions?since=2000-01-01&kind=workshop") == []


def test_it_filters_opportunities(cast: Cast) -> None:
    OpportunityFactory(
        client=cast.client, stage="won", probability=100, closed_on=dt.date(2026, 4, 1)
    )
    closed = results(cast.owner, "/api/v1/opportunities?open=false")
    assert [row["stage"] for row in closed] == ["won"]
    assert [row["id"] for row in results(cast.owner, "/api/v1/opportunities?open=true")] == [
        cast.opportunity.pk
    ]


def test_it_filters_workdays(cast: Cast) -> None:
    add_rows(cast, "workdays", 10)
    days = results(cast.director, "/api/v1/workdays?since=2026-01-03&until=2026-01-05")
    assert [row["date"] for row in days] == ["2026-01-03", "2026-01-04", "2026-01-05"]
    assert results(cast.director, "/api/v1/workdays?kind=remote") == []


@pytest.mark.parametrize(
    "url,param",
    [
        ("/api/v1/clients?industry=shipbuilding", "industry"),
        ("/api/v1/clients?archived=yes", "archived"),
        ("/api/v1/contacts?power=9", "power"),
        ("/api/v1/projects?status=late", "status"),
        ("/api/v1/interactions?since=yesterday", "since"),
        ("/api/v1/interactions?role=wizard", "role"),
        ("/api/v1/opportunities?open=maybe", "open"),
        ("/api/v1/workdays?kind=beach", "kind"),
    ],
)
def test_it_answers_422_naming_an_invalid_filter(cast: Cast, url: str, param: str) -> None:
    response = signed_in(cast.owner).get(url)
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["query", param]]


def test_it_answers_422_when_the_filterset_refuses_a_value(cast: Cast) -> None:
    # An executive cannot lead an account: the filterset's own choices refuse the id.
    response = signed_in(cast.owner).get(f"/api/v1/clients?account_lead={cast.executive.pk}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "account_lead"]
