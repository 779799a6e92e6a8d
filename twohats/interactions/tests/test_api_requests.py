"""Client requests over the API: log, answer, resolve; deadlines computed by the server; the
same access rules and error shapes as the other endpoints."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from auditlog.models import LogEntry
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from twohats.interactions.models import ClientRequest
from twohats.interactions.tests.conftest import MakeRequest
from twohats.people.models import User
from twohats.people.services import api_token_create
from twohats.test import Cast, ContactFactory, ProjectFactory

NOW = dt.datetime(2026, 11, 23, 15, 30, tzinfo=dt.UTC)  # Monday, 16:30 in Paris

pytestmark = pytest.mark.usefixtures("frozen")

# One test client for the module: each new one loads the middleware again, which is slow.
_http = HttpClient()


@pytest.fixture
def frozen() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def signed_in(user: User) -> HttpClient:
    """The shared client, acting as `user` through a personal token (no session to set up)."""
    _, raw = api_token_create(user=user, name="API tests")
    _http.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return _http


def new_request(cast: Cast, **changes: Any) -> dict[str, Any]:
    return {
        "client": cast.client.pk,
        "project": cast.project.pk,
        "raised_by": cast.contact.pk,
        "channel": "written",
        "priority": "critical",
        "subject": "  Outage on the test rig ",
        "details": "Since this morning.",
        "raised_at": "2026-11-20T16:00:00+01:00",
    } | changes


def create(user: User, body: dict[str, Any]) -> Any:
    return signed_in(user).post("/api/v1/requests", body, content_type="application/json")


def post(user: User, url: str, body: dict[str, Any] | None = None) -> Any:
    return signed_in(user).post(url, body or {}, content_type="application/json")


def patch(user: User, request: ClientRequest, body: dict[str, Any]) -> Any:
    return signed_in(user).patch(
        f"/api/v1/requests/{request.pk}", body, content_type="application/json"
    )


def test_it_logs_a_request_with_its_deadline(cast: Cast) -> None:
    response = create(cast.teammate, new_request(cast))
    assert response.status_code == 201, response.json()
    data = response.json()
    request = ClientRequest.objects.get(pk=data["id"])
    assert data["subject"] == request.subject == "Outage on the test rig"
    assert (request.logged_by, request.owner) == (cast.teammate, cast.teammate)
    assert data["owner"] == cast.teammate.pk and data["owner_name"] == str(cast.teammate)
    assert data["raised_by_name"] == "Marie Curie" and data["project_name"] == "Cabin software"
    assert data["policy_version"] == 1 and data["sla_minutes"] == 240
    assert data["due_at"] == "2026-11-23T11:00:00Z"  # Monday 12:00 in Paris
    assert data["overdue"] is True and data["status"] == "open"
    assert data["response_minutes"] is None and data["breached"] is None
    entry = LogEntry.objects.get_for_object(request).get()
    assert (entry.action, entry.actor) == (LogEntry.Action.CREATE, cast.teammate)


def test_it_takes_now_and_the_user_when_left_out(cast: Cast) -> None:
    body = new_request(cast, owner=cast.teammate.pk)
    del body["raised_at"]
    data = create(cast.owner, body).json()
    assert data["raised_at"] == "2026-11-23T15:30:00Z"
    assert data["owner"] == cast.teammate.pk
    assert data["due_at"] == "2026-11-24T11:30:00Z"  # 30 min on Monday, 3.5 h on Tuesday


def test_it_answers_and_resolves_a_request(cast: Cast, make_request: MakeRequest) -> None:
    request = make_request(priority="critical")
    url = f"/api/v1/requests/{request.pk}"
    response = post(
        cast.owner, f"{url}/respond", {"first_response_at": "2026-11-23T10:30:00+01:00"}
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["first_response_at"] == "2026-11-23T09:30:00Z"
    assert (data["response_minutes"], data["breached"], data["status"]) == (150, False, "answered")
    assert data["version"] == 2
    response = post(cast.owner, f"{url}/resolve", {"version": 2})
    assert response.status_code == 200
    assert response.json()["resolved_at"] == "2026-11-23T15:30:00Z"
    assert response.json()["status"] == "resolved"
    actions = LogEntry.objects.get_for_object(request).values_list("action", flat=True)
    assert sorted(actions) == [LogEntry.Action.CREATE] + [LogEntry.Action.UPDATE] * 2


def test_it_moves_the_deadline_when_the_priority_changes(
    cast: Cast, make_request: MakeRequest
) -> None:
    request = make_request(priority="critical")
    response = patch(cast.owner, request, {"priority": "normal", "version": 1})
    assert response.status_code == 200
    data = response.json()
    assert (data["sla_minutes"], data["due_at"]) == (960, "2026-11-24T15:00:00Z")
    assert patch(cast.owner, request, {"priority": "low", "version": 1}).status_code == 409


def test_it_deletes_a_request_with_history(cast: Cast, make_request: MakeRequest) -> None:
    request = make_request()
    response = signed_in(cast.owner).delete(f"/api/v1/requests/{request.pk}")
    assert response.status_code == 204
    assert not ClientRequest.objects.exists()
    entries = LogEntry.objects.get_for_object(request).filter(action=LogEntry.Action.DELETE)
    assert entries.get().actor == cast.owner


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"priority": "asap"}, "priority"),
        ({"channel": "pigeon"}, "channel"),
        ({"subject": ""}, "subject"),
        ({"subject": "s" * 201}, "subject"),
        ({"raised_at": "2026-11-20T16:00:00"}, "raised_at"),  # no offset
        ({"raised_at": "2026-11-24T09:00:00+01:00"}, "raised_at"),  # in the future
        ({"client": 999999}, "client"),
        ({"project": 999999}, "project"),
        ({"raised_by": 999999}, "raised_by"),
        ({"owner": 999999}, "owner"),
        ({"sla_minutes": 10}, "sla_minutes"),  # computed, not sent
        ({"due_at": "2026-12-01T00:00:00Z"}, "due_at"),
    ],
)
def test_it_refuses_invalid_values_naming_the_field(
    cast: Cast, changes: dict[str, Any], field: str
) -> None:
    response = create(cast.owner, new_request(cast, **changes))
    assert response.status_code == 422, response.json()
    assert [error["loc"][:2] for error in response.json()["detail"]] == [["body", field]]
    assert not ClientRequest.objects.exists()


def test_it_refuses_people_and_projects_of_another_client(cast: Cast) -> None:
    stranger = ContactFactory(client=cast.other_client)
    elsewhere = ProjectFactory(client=cast.other_client, manager=cast.outsider)
    for user in [cast.owner, cast.admin]:  # invisible to the owner, visible to the admin
        for changes, field in [
            ({"raised_by": stranger.pk}, "raised_by"),
            ({"project": elsewhere.pk}, "project"),
        ]:
            response = create(user, new_request(cast, **changes))
            assert response.status_code == 422
            assert response.json()["detail"][0]["loc"] == ["body", field]
    assert not ClientRequest.objects.exists()


def test_it_refuses_answers_out_of_order(cast: Cast, make_request: MakeRequest) -> None:
    request = make_request()
    url = f"/api/v1/requests/{request.pk}"
    early = post(cast.owner, f"{url}/respond", {"first_response_at": "2026-11-19T10:00:00Z"})
    assert early.status_code == 422
    assert early.json()["detail"][0]["loc"] == ["body", "first_response_at"]
    unanswered = post(cast.owner, f"{url}/resolve")
    assert unanswered.status_code == 422
    assert unanswered.json()["detail"][0]["loc"] == ["body", "resolved_at"]
    future = post(cast.owner, f"{url}/respond", {"first_response_at": "2026-11-23T18:00:00Z"})
    assert future.status_code == 422
    stale = post(cast.owner, f"{url}/respond", {"version": 7})
    assert stale.status_code == 409
    request.refresh_from_db()
    assert (request.first_response_at, request.resolved_at, request.version) == (None, None, 1)


def test_it_filters_the_list(cast: Cast, make_request: MakeRequest) -> None:
    overdue = make_request(priority="critical")
    make_request(priority="low", owner=cast.teammate)
    client = signed_in(cast.owner)

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/requests?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids("status=overdue") == ids("missed=true") == [overdue.pk]
    assert ids(f"owner={cast.owner.pk}") == [overdue.pk]
    assert ids("priority=low") != [overdue.pk]
    assert len(ids(f"client={cast.client.pk}")) == 2
    assert ids("status=resolved") == []
    for bad, param in [
        ("status=late", "status"),
        ("priority=asap", "priority"),
        ("since=soon", "since"),
    ]:
        response = client.get(f"/api/v1/requests?{bad}")
        assert response.status_code == 422
        assert [e["loc"] for e in response.json()["detail"]] == [["query", param]]


# ---------------------------------------------------------------------------------------------
# Access

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


def test_it_reads_a_request_only_for_those_who_may_see_it(
    cast: Cast, make_request: MakeRequest
) -> None:
    request = make_request()
    for who, user in cast.everyone().items():
        response = signed_in(user).get(f"/api/v1/requests/{request.pk}")
        assert response.status_code == READ[who], who
        listed = {row["id"] for row in signed_in(user).get("/api/v1/requests").json()["results"]}
        assert (request.pk in listed) is (READ[who] == 200), who


def test_it_updates_a_request_only_for_those_who_may_edit_it(
    cast: Cast, make_request: MakeRequest
) -> None:
    request = make_request()
    for who, user in cast.everyone().items():
        before = ClientRequest.objects.get(pk=request.pk).details
        response = patch(user, request, {"details": f"Changed by {who}"})
        assert response.status_code == WRITE[who], who
        details = ClientRequest.objects.get(pk=request.pk).details
        assert details == (f"Changed by {who}" if WRITE[who] == 200 else before), who


@pytest.mark.parametrize("action", ["respond", "resolve"])
def test_it_answers_and_resolves_only_for_those_who_may_edit(
    cast: Cast, make_request: MakeRequest, action: str
) -> None:
    for who, user in cast.everyone().items():
        request = make_request()
        if action == "resolve":
            ClientRequest.objects.filter(pk=request.pk).update(
                first_response_at=dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
            )
        response = post(user, f"/api/v1/requests/{request.pk}/{action}")
        assert response.status_code == WRITE[who], who
        request.refresh_from_db()
        done = request.resolved_at if action == "resolve" else request.first_response_at
        assert (done == NOW) is (WRITE[who] == 200), who


def test_it_deletes_only_for_those_who_may_edit(cast: Cast, make_request: MakeRequest) -> None:
    for who, user in cast.everyone().items():
        request = make_request()
        response = signed_in(user).delete(f"/api/v1/requests/{request.pk}")
        allowed = WRITE[who] == 200
        assert response.status_code == (204 if allowed else WRITE[who]), who
        assert ClientRequest.objects.filter(pk=request.pk).exists() is not allowed, who


def test_it_lets_a_teammate_log_and_answer_their_own_requests(cast: Cast) -> None:
    data = create(cast.teammate, new_request(cast)).json()
    response = post(cast.teammate, f"/api/v1/requests/{data['id']}/respond")
    assert response.status_code == 200
    assert response.json()["breached"] is True  # 1 h on Friday, 7.5 h on Monday: over 4 h


def test_it_refuses_a_creation_by_an_executive_or_an_outsider(cast: Cast) -> None:
    response = create(cast.executive, new_request(cast))
    assert response.status_code == 403 and "read-only" in response.json()["detail"]
    response = create(cast.outsider, new_request(cast, project=None, raised_by=None))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "client"]
    assert not ClientRequest.objects.exists()


def test_it_answers_404_for_an_id_that_does_not_exist(cast: Cast) -> None:
    client = signed_in(cast.admin)
    assert client.get("/api/v1/requests/999999").status_code == 404
    assert patch(cast.admin, ClientRequest(pk=999999), {}).status_code == 404
    assert post(cast.admin, "/api/v1/requests/999999/respond").status_code == 404
    assert post(cast.admin, "/api/v1/requests/999999/resolve").status_code == 404
    assert client.delete("/api/v1/requests/999999").status_code == 404


def list_queries(user: User) -> tuple[int, int]:
    client = signed_in(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/requests")
    assert response.status_code == 200
    return len(queries), len(response.json()["results"])


def test_it_lists_1_and_50_rows_with_the_same_number_of_queries(
    cast: Cast, make_request: MakeRequest
) -> None:
    make_request()
    one, rows = list_queries(cast.owner)
    assert rows == 1
    for n in range(49):
        make_request(
            owner=cast.teammate if n % 2 else cast.owner, raised_by=None if n % 3 else cast.contact
        )
    fifty, rows = list_queries(cast.owner)
    assert rows == 50
    assert fifty == one


def test_it_walks_every_row_once_with_the_cursor(cast: Cast, make_request: MakeRequest) -> None:
    created = [make_request().pk for _ in range(7)]
    client = signed_in(cast.owner)
    ids: list[int] = []
    url: str | None = "/api/v1/requests?page_size=3"
    while url:
        body = client.get(url).json()
        ids.extend(row["id"] for row in body["results"])
        url = body["next"]
    assert ids == sorted(created)
