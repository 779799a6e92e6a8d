"""The access matrix of every API endpoint that takes an id, for the whole cast.

A record the user may not see answers 404; one they see but may not change answers 403 and
stays as it was; executives read everything and change nothing.
"""

import datetime as dt
from typing import Any

import pytest
from django.db import models
from django.test import Client as HttpClient
from django.utils import timezone

from twohats.clients.models import Client, Contact
from twohats.growth.models import Opportunity
from twohats.interactions.models import Interaction
from twohats.people.models import User, WorkdayLocation
from twohats.people.services import api_token_create
from twohats.projects.models import Project
from twohats.test import (
    Cast,
    InteractionFactory,
    OpportunityFactory,
    WorkdayLocationFactory,
)

# resource: (model, a harmless change, the field it changes)
RESOURCES: dict[str, tuple[type[models.Model], dict[str, Any], str]] = {
    "clients": (Client, {"notes": "Changed through the API."}, "notes"),
    "contacts": (Contact, {"title": "Chief engineer"}, "title"),
    "projects": (Project, {"code": "CAB-2"}, "code"),
    "interactions": (Interaction, {"summary": "Changed through the API."}, "summary"),
    "opportunities": (Opportunity, {"notes": "Changed through the API."}, "notes"),
    "workdays": (WorkdayLocation, {"note": "Changed through the API."}, "note"),
}
ARCHIVABLE = ["clients", "contacts", "projects"]

READ = {
    "owner": 200,
    "teammate": 200,
    "outsider": 404,
    "director": 200,
    "other_director": 404,
    "executive": 200,
    "admin": 200,
}
WRITE = READ | {"teammate": 403, "executive": 403}
PURGE = {
    "owner": 403,
    "teammate": 403,
    "outsider": 404,
    "director": 403,
    "other_director": 404,
    "executive": 403,
    "admin": 204,
}
# A workday is seen by the staff member, their director and those who see everything.
WORKDAY = {"teammate": 404}


def record(cast: Cast, resource: str, fresh: int = 0) -> Any:
    """The cast's record of this kind or, with `fresh`, a new one with the same access."""
    if resource == "workdays":
        day = dt.date(2026, 3, 2) + dt.timedelta(days=fresh)
        return WorkdayLocationFactory(user=cast.owner, date=day, kind="home_office")
    if fresh and resource == "interactions":
        return InteractionFactory(client=cast.client, project=cast.project, logged_by=cast.owner)
    if fresh and resource == "opportunities":
        return OpportunityFactory(client=cast.client, identified_by=cast.owner)
    singular = {"opportunities": "opportunity"}.get(resource, resource[:-1])
    return getattr(cast, singular)


def expected(table: dict[str, int], resource: str, who: str) -> int:
    return (table | WORKDAY)[who] if resource == "workdays" else table[who]


# One test client for the module: each new one loads the middleware again, which is slow.
_http = HttpClient()


def signed_in(user: User) -> HttpClient:
    """The shared client, acting as `user` through a personal token (no session to set up)."""
    _, raw = api_token_create(user=user, name="Access matrix")
    _http.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return _http


# Each test walks the whole cast over one record rather than building the cast once per user.


@pytest.mark.parametrize("resource", RESOURCES)
def test_it_reads_a_record_only_for_those_who_may_see_it(cast: Cast, resource: str) -> None:
    obj = record(cast, resource)
    for who, user in cast.everyone().items():
        response = signed_in(user).get(f"/api/v1/{resource}/{obj.pk}")
        assert response.status_code == expected(READ, resource, who), who
        if response.status_code == 200:
            assert response.json()["id"] == obj.pk, who
        else:
            assert response.json() == {"detail": "Not Found"}, who


@pytest.mark.parametrize("resource", RESOURCES)
def test_it_updates_a_record_only_for_those_who_may_edit_it(cast: Cast, resource: str) -> None:
    _, change, field = RESOURCES[resource]
    obj = record(cast, resource)
    for who, user in cast.everyone().items():
        before = getattr(obj, field)
        value = f"{change[field]} ({who})"
        response = signed_in(user).patch(
            f"/api/v1/{resource}/{obj.pk}", {field: value}, content_type="application/json"
        )
        assert response.status_code == expected(WRITE, resource, who), who
        obj.refresh_from_db()
        if response.status_code == 200:
            assert getattr(obj, field) == response.json()[field] == value, who
        else:
            assert getattr(obj, field) == before, who
            assert response.json()["detail"], who


@pytest.mark.parametrize("resource", ARCHIVABLE)
def test_it_archives_a_record_only_for_those_who_may_edit_it(cast: Cast, resource: str) -> None:
    model, _, _ = RESOURCES[resource]
    obj = record(cast, resource)
    for who, user in cast.everyone().items():
        model._default_manager.filter(pk=obj.pk).update(archived_at=None)
        response = signed_in(user).delete(f"/api/v1/{resource}/{obj.pk}")
        assert response.status_code == WRITE[who], who
        obj.refresh_from_db()
        assert obj.is_archived is (WRITE[who] == 200), who
        if response.status_code == 200:
            assert response.json()["archived"] is True, who


@pytest.mark.parametrize("resource", ["interactions", "opportunities", "workdays"])
def test_it_deletes_a_record_only_for_those_who_may_edit_it(cast: Cast, resource: str) -> None:
    model, _, _ = RESOURCES[resource]
    for n, (who, user) in enumerate(cast.everyone().items(), start=1):
        obj = record(cast, resource, fresh=n)
        response = signed_in(user).delete(f"/api/v1/{resource}/{obj.pk}")
        allowed = expected(WRITE, resource, who) == 200
        assert response.status_code == (204 if allowed else expected(WRITE, resource, who)), who
        assert model._default_manager.filter(pk=obj.pk).exists() is not allowed, who


@pytest.mark.parametrize("resource", ARCHIVABLE)
def test_it_restores_a_record_only_for_those_who_may_edit_it(cast: Cast, resource: str) -> None:
    model, _, _ = RESOURCES[resource]
    obj = record(cast, resource)
    for who, user in cast.everyone().items():
        model._default_manager.filter(pk=obj.pk).update(archived_at=timezone.now())
        response = signed_in(user).post(f"/api/v1/{resource}/{obj.pk}/restore")
        assert response.status_code == WRITE[who], who
        obj.refresh_from_db()
        assert obj.is_archived is (WRITE[who] != 200), who
        if response.status_code == 200:
            assert response.json()["archived"] is False, who


@pytest.mark.parametrize("resource", ARCHIVABLE)
def test_it_purges_a_record_only_for_admins(cast: Cast, resource: str) -> None:
    model, _, _ = RESOURCES[resource]
    obj = record(cast, resource)
    # The admin comes last: everyone else must have left the record in place.
    for who, user in cast.everyone().items():
        response = signed_in(user).delete(f"/api/v1/{resource}/{obj.pk}/purge")
        assert response.status_code == PURGE[who], who
        assert model._default_manager.filter(pk=obj.pk).exists() is (PURGE[who] != 204), who


@pytest.mark.parametrize("resource", RESOURCES)
def test_it_answers_404_for_an_id_that_does_not_exist(cast: Cast, resource: str) -> None:
    client = signed_in(cast.admin)
    assert client.get(f"/api/v1/{resource}/999999").status_code == 404
    response = client.patch(f"/api/v1/{resource}/999999", {}, content_type="application/json")
    assert response.status_code == 404
    assert client.delete(f"/api/v1/{resource}/999999").status_code == 404


def creations(cast: Cast) -> dict[str, dict[str, Any]]:
    return {
        "clients": {"name": "Nouvelle", "industry": "energy", "account_lead": cast.owner.pk},
        "contacts": {"client": cast.client.pk, "first_name": "Ada", "last_name": "Byron"},
        "projects": {
            "client": cast.client.pk,
            "name": "Avionics",
            "manager": cast.owner.pk,
            "start_date": "2026-02-02",
            "end_date": "2026-06-30",
        },
        "interactions": {
            "client": cast.client.pk,
            "kind": "call",
            "channel": "phone",
            "location": "home_office",
            "occurred_at": "2026-03-02T10:00:00+01:00",
            "summary": "Call about the test campaign.",
        },
        "opportunities": {"client": cast.client.pk, "title": "Ground station"},
        "workdays": {
            "user": cast.owner.pk,
            "start": "2026-03-02",
            "end": "2026-03-03",
            "kind": "home_office",
        },
    }


@pytest.mark.parametrize("resource", RESOURCES)
def test_it_refuses_every_creation_by_an_executive(cast: Cast, resource: str) -> None:
    model, _, _ = RESOURCES[resource]
    count = model._default_manager.count()
    response = signed_in(cast.executive).post(
        f"/api/v1/{resource}", creations(cast)[resource], content_type="application/json"
    )
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert model._default_manager.count() == count


@pytest.mark.parametrize("resource", RESOURCES)
def test_it_lets_an_admin_create_every_kind_of_record(cast: Cast, resource: str) -> None:
    model, _, _ = RESOURCES[resource]
    count = model._default_manager.count()
    response = signed_in(cast.admin).post(
        f"/api/v1/{resource}", creations(cast)[resource], content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    assert model._default_manager.count() > count


@pytest.mark.parametrize("resource", RESOURCES)
def test_it_leaves_records_others_may_not_see_out_of_lists(cast: Cast, resource: str) -> None:
    obj = record(cast, resource)
    for who in READ:
        response = signed_in(cast.everyone()[who]).get(f"/api/v1/{resource}")
        ids = {row["id"] for row in response.json()["results"]}
        assert (obj.pk in ids) is (expected(READ, resource, who) == 200), who
