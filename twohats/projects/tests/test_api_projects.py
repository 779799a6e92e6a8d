"""Projects over the API: the team as a list of ids, dates in order, money that is not negative."""

from typing import Any

import pytest
from auditlog.models import LogEntry
from django.test import Client as HttpClient

from twohats.people.models import User
from twohats.people.services import api_token_create
from twohats.projects.models import Project
from twohats.test import Cast, UserFactory

# One test client for the module: each new one loads the middleware again, which is slow.
_http = HttpClient()


def signed_in(user: User) -> HttpClient:
    """The shared client, acting as `user` through a personal token (no session to set up)."""
    _, raw = api_token_create(user=user, name="API tests")
    _http.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return _http


def new_project(cast: Cast, **changes: Any) -> dict[str, Any]:
    return {
        "client": cast.client.pk,
        "name": "Flight deck displays",
        "code": "FDD-1",
        "team": [cast.teammate.pk],
        "budget": "480000.50",
        "start_date": "2026-04-01",
        "end_date": "2026-09-30",
        "contract_type": "time_materials",
    } | changes


def create(user: User, body: dict[str, Any]) -> Any:
    return signed_in(user).post("/api/v1/projects", body, content_type="application/json")


def patch(user: User, project: Project, body: dict[str, Any]) -> Any:
    return signed_in(user).patch(
        f"/api/v1/projects/{project.pk}", body, content_type="application/json"
    )


def test_it_creates_a_project_with_its_team_and_history(cast: Cast) -> None:
    response = create(cast.owner, new_project(cast))
    assert response.status_code == 201
    data = response.json()
    project = Project.objects.get(pk=data["id"])
    assert project.manager == cast.owner
    assert list(project.team.all()) == [cast.teammate]
    assert str(project.budget) == data["budget"] == "480000.50"
    assert data["team"] == [cast.teammate.pk]
    assert data["client_name"] == "Aerolux" and data["manager_name"] == str(cast.owner)
    entry = LogEntry.objects.get_for_object(project).filter(action=LogEntry.Action.CREATE).get()
    assert entry.actor == cast.owner


def test_it_replaces_the_team_and_keeps_the_history(cast: Cast) -> None:
    newcomer = UserFactory()
    response = patch(cast.owner, cast.project, {"team": [newcomer.pk, cast.owner.pk]})
    assert response.status_code == 200
    assert response.json()["team"] == sorted([newcomer.pk, cast.owner.pk])
    assert set(cast.project.team.all()) == {newcomer, cast.owner}
    assert (
        LogEntry.objects.get_for_object(cast.project)
        .filter(actor=cast.owner, action=LogEntry.Action.UPDATE)
        .exists()
    )


def test_it_updates_fields_and_the_version(cast: Cast) -> None:
    response = patch(cast.director, cast.project, {"status": "on_hold", "version": 1})
    assert response.status_code == 200
    cast.project.refresh_from_db()
    assert (cast.project.status, cast.project.version) == ("on_hold", 2)
    assert list(cast.project.team.all()) == [cast.teammate]  # absent from the body: kept


def test_it_refuses_an_end_before_the_start(cast: Cast) -> None:
    count = Project.objects.count()
    response = create(cast.owner, new_project(cast, end_date="2026-03-31"))
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "end_date"],
            "msg": "The end date must not be before the start date.",
            "type": "value_error",
        }
    ]
    assert Project.objects.count() == count
    response = patch(cast.owner, cast.project, {"start_date": "2027-01-01"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "end_date"]
    cast.project.refresh_from_db()
    assert cast.project.version == 1


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"budget": "-1"}, "budget"),
        ({"budget": "12.345"}, "budget"),
        ({"budget": "1e20"}, "budget"),
        ({"name": ""}, "name"),
        ({"code": "C" * 33}, "code"),
        ({"start_date": "2026-02-30"}, "start_date"),
        ({"contract_type": "barter"}, "contract_type"),
        ({"team": [999999]}, "team"),
        ({"team": "everyone"}, "team"),
        ({"manager": 999999}, "manager"),
        ({"client": 999999}, "client"),
    ],
)
def test_it_refuses_invalid_values_naming_the_field(
    cast: Cast, changes: dict[str, Any], field: str
) -> None:
    count = Project.objects.count()
    response = create(cast.owner, new_project(cast, **changes))
    assert response.status_code == 422
    assert [error["loc"][:2] for error in response.json()["detail"]] == [["body", field]]
    assert Project.objects.count() == count


def test_it_refuses_a_client_the_user_may_only_see(cast: Cast) -> None:
    # The teammate sees the client through the team but may not start projects for it.
    response = create(cast.teammate, new_project(cast))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "client"]
    response = create(cast.outsider, new_project(cast))
    assert response.json()["detail"][0]["loc"] == ["body", "client"]


def test_it_refuses_an_executive_as_manager_or_team_member(cast: Cast) -> None:
    for changes, field in [
        ({"manager": cast.executive.pk}, "manager"),
        ({"team": [cast.teammate.pk, cast.executive.pk]}, "team"),
    ]:
        response = create(cast.owner, new_project(cast, **changes))
        assert response.status_code == 422
        error = response.json()["detail"][0]
        assert error["loc"] == ["body", field]
    response = patch(cast.owner, cast.project, {"team": [cast.executive.pk]})
    assert response.status_code == 422
    assert list(cast.project.team.all()) == [cast.teammate]


def test_it_refuses_a_stale_version_with_409(cast: Cast) -> None:
    assert patch(cast.owner, cast.project, {"code": "A"}).status_code == 200
    response = patch(cast.owner, cast.project, {"code": "B", "version": 1})
    assert response.status_code == 409
    cast.project.refresh_from_db()
    assert cast.project.code == "A"


def test_it_sets_and_changes_the_reporting_period(cast: Cast) -> None:
    response = create(cast.owner, new_project(cast, reporting_period="weekly"))
    assert response.status_code == 201
    assert response.json()["reporting_period"] == "weekly"
    project = Project.objects.get(pk=response.json()["id"])
    assert project.reporting_period == "weekly"
    assert create(cast.owner, new_project(cast)).json()["reporting_period"] == "monthly"
    response = patch(cast.owner, project, {"reporting_period": "monthly"})
    assert response.status_code == 200
    assert response.json()["reporting_period"] == "monthly"
    project.refresh_from_db()
    assert project.reporting_period == "monthly"
    response = patch(cast.owner, project, {"reporting_period": "daily"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "reporting_period"]


def test_it_changes_the_budget_only_by_re_baselining(cast: Cast) -> None:
    before = (cast.project.budget, cast.project.version)
    response = patch(cast.owner, cast.project, {"budget": "1", "name": "Renamed"})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "budget"]
    assert f"POST /api/v1/projects/{cast.project.pk}/baselines" in error["msg"]
    cast.project.refresh_from_db()
    assert (cast.project.budget, cast.project.version) == before
    assert cast.project.name != "Renamed"
    # The budget read and sent back unchanged is no change.
    same = str(cast.project.budget)
    response = patch(cast.owner, cast.project, {"budget": same, "name": "Renamed"})
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed" and response.json()["budget"] == same
