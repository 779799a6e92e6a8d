"""Opportunities over the API: value, stage and probability kept consistent; real deletes."""

from typing import Any

import pytest
from auditlog.models import LogEntry
from django.test import Client as HttpClient
from django.utils import timezone

from twohats.growth.models import Opportunity
from twohats.people.models import User
from twohats.people.services import api_token_create
from twohats.test import Cast, ProjectFactory

# One test client for the module: each new one loads the middleware again, which is slow.
_http = HttpClient()


def signed_in(user: User) -> HttpClient:
    """The shared client, acting as `user` through a personal token (no session to set up)."""
    _, raw = api_token_create(user=user, name="API tests")
    _http.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return _http


def new_opportunity(cast: Cast, **changes: Any) -> dict[str, Any]:
    return {
        "client": cast.client.pk,
        "project": cast.project.pk,
        "title": "Cabin software, phase 2",
        "identified_by": cast.teammate.pk,
        "identified_on": "2026-03-02",
        "value": "350000",
        "stage": "qualified",
        "probability": 40,
        "expected_close": "2026-09-01",
    } | changes


def create(user: User, body: dict[str, Any]) -> Any:
    return signed_in(user).post("/api/v1/opportunities", body, content_type="application/json")


def patch(user: User, opportunity: Opportunity, body: dict[str, Any]) -> Any:
    return signed_in(user).patch(
        f"/api/v1/opportunities/{opportunity.pk}", body, content_type="application/json"
    )


def test_it_creates_an_opportunity_credited_to_who_spotted_it(cast: Cast) -> None:
    response = create(cast.owner, new_opportunity(cast))
    assert response.status_code == 201
    data = response.json()
    opportunity = Opportunity.objects.get(pk=data["id"])
    assert opportunity.identified_by == cast.teammate
    assert str(opportunity.value) == data["value"] == "350000.00"
    assert data["identified_by_name"] == str(cast.teammate)
    assert data["project_name"] == "Cabin software" and data["open"] is True
    entry = LogEntry.objects.get_for_object(opportunity).get()
    assert (entry.action, entry.actor) == (LogEntry.Action.CREATE, cast.owner)


def test_it_credits_the_user_and_today_when_left_out(cast: Cast) -> None:
    body = {"client": cast.client.pk, "title": "Support contract"}
    response = create(cast.owner, body)
    assert response.status_code == 201
    assert response.json()["identified_by"] == cast.owner.pk
    assert response.json()["identified_on"] == timezone.localdate().isoformat()


def test_it_closes_an_opportunity_as_won_with_history(cast: Cast) -> None:
    body = {"stage": "won", "probability": 100, "closed_on": "2026-05-04", "version": 1}
    response = patch(cast.owner, cast.opportunity, body)
    assert response.status_code == 200
    assert response.json()["open"] is False
    cast.opportunity.refresh_from_db()
    assert (cast.opportunity.stage, cast.opportunity.version) == ("won", 2)
    assert (
        LogEntry.objects.get_for_object(cast.opportunity)
        .filter(action=LogEntry.Action.UPDATE, actor=cast.owner)
        .exists()
    )


def test_it_deletes_an_opportunity_with_history(cast: Cast) -> None:
    opportunity = cast.opportunity
    response = signed_in(cast.director).delete(f"/api/v1/opportunities/{opportunity.pk}")
    assert response.status_code == 204
    assert not Opportunity.objects.filter(pk=opportunity.pk).exists()
    entry = LogEntry.objects.get_for_object(opportunity).filter(action=LogEntry.Action.DELETE)
    assert entry.get().actor == cast.director


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"probability": 101}, "probability"),
        ({"probability": -1}, "probability"),
        ({"value": "-0.01"}, "value"),
        ({"value": "lots"}, "value"),
        ({"stage": "dreaming"}, "stage"),
        ({"title": "t" * 201}, "title"),
        ({"stage": "won", "probability": 100}, "closed_on"),
        ({"stage": "lost", "probability": 5, "closed_on": "2026-04-01"}, "probability"),
        ({"closed_on": "2026-04-01"}, "closed_on"),
        ({"expected_close": "2026-01-01"}, "expected_close"),
        ({"identified_by": 999999}, "identified_by"),
        ({"project": 999999}, "project"),
        ({"client": 999999}, "client"),
    ],
)
def test_it_refuses_invalid_values_naming_the_field(
    cast: Cast, changes: dict[str, Any], field: str
) -> None:
    count = Opportunity.objects.count()
    response = create(cast.owner, new_opportunity(cast, **changes))
    assert response.status_code == 422, response.json()
    assert [error["loc"][:2] for error in response.json()["detail"]] == [["body", field]]
    assert Opportunity.objects.count() == count


def test_it_refuses_a_project_of_another_client(cast: Cast) -> None:
    elsewhere = ProjectFactory(client=cast.other_client)
    for user in [cast.owner, cast.admin]:
        response = create(user, new_opportunity(cast, project=elsewhere.pk))
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "project"]


def test_it_refuses_a_client_the_user_may_only_see(cast: Cast) -> None:
    response = create(cast.teammate, new_opportunity(cast))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "client"]


def test_it_refuses_a_stale_version_with_409(cast: Cast) -> None:
    assert patch(cast.owner, cast.opportunity, {"probability": 60}).status_code == 200
    response = patch(cast.director, cast.opportunity, {"probability": 20, "version": 1})
    assert response.status_code == 409
    cast.opportunity.refresh_from_db()
    assert cast.opportunity.probability == 60
