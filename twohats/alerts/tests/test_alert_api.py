"""Alerts over the JSON API: the access matrix, the actions, their errors, the list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from twohats.alerts.models import Alert
from twohats.alerts.services import alert_resolve
from twohats.alerts.tests.raising import finding, raise_alerts
from twohats.people.models import User
from twohats.people.services import api_token_create
from twohats.test import Cast, ClientFactory, ProjectFactory

NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)

READ = {
    "owner": 200,
    "teammate": 200,
    "outsider": 404,
    "director": 200,
    "other_director": 404,
    "executive": 200,
    "admin": 200,
}
ACT = READ | {"executive": 403}

ACTIONS: dict[str, tuple[dict[str, Any], str]] = {
    "acknowledge": ({}, "acknowledged"),
    "snooze": ({"until": "2026-03-17T09:00:00+01:00"}, "snoozed"),
    "resolve": ({"note": "Met the sponsor."}, "resolved"),
    "dismiss": ({"reason": "The account is winding down by agreement."}, "dismissed"),
}

# One test client for the module: each new one loads the middleware again, which is slow.
_http = HttpClient()


def signed_in(user: User) -> HttpClient:
    _, raw = api_token_create(user=user, name="Alerts")
    _http.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return _http


def post(user: User, path: str, body: dict[str, Any] | None = None) -> Any:
    return signed_in(user).post(
        f"/api/v1/alerts/{path}", body or {}, content_type="application/json"
    )


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def alert(cast: Cast) -> Alert:
    (alert,) = raise_alerts(
        finding(client=cast.client, owner=cast.owner, pm=cast.owner, severity=3),
        now=NOW - dt.timedelta(days=3),
    )
    return alert


def test_it_reads_an_alert_only_for_those_who_may_see_it(cast: Cast, alert: Alert) -> None:
    for who, user in cast.everyone().items():
        response = signed_in(user).get(f"/api/v1/alerts/{alert.pk}")
        assert response.status_code == READ[who], who
        if response.status_code == 404:
            assert response.json() == {"detail": "Not Found"}, who
    body = signed_in(cast.owner).get(f"/api/v1/alerts/{alert.pk}").json()
    assert body["id"] == alert.pk
    assert (body["severity"], body["severity_name"], body["status"]) == (3, "High", "open")
    assert (body["rule"], body["rule_name"]) == ("silent_account", "Silent account")
    assert (body["client"], body["client_name"]) == (cast.client.pk, "Aerolux")
    assert (body["owner"], body["owner_name"]) == (cast.owner.pk, str(cast.owner))
    assert body["evidence"]["days_since_last_interaction"] == 41
    assert body["playbook"][0] == "Call the sponsor this week."
    assert body["transitions"] == [
        {
            "at": "2026-03-07T10:00:00Z",
            "actor": None,
            "actor_name": None,
            "from_status": "",
            "to_status": "open",
            "note": "",
        }
    ]


@pytest.mark.parametrize("action", ACTIONS)
def test_it_lets_only_those_who_may_act_change_an_alert(cast: Cast, action: str) -> None:
    body, status = ACTIONS[action]
    for who, user in cast.everyone().items():
        (alert,) = raise_alerts(finding(client=cast.client, owner=cast.owner, subject=who))
        response = post(user, f"{alert.pk}/{action}", body)
        assert response.status_code == ACT[who], who
        alert.refresh_from_db()
        if response.status_code == 200:
            assert alert.status == response.json()["status"] == status, who
            last = response.json()["transitions"][-1]
            assert (last["actor"], last["from_status"], last["to_status"]) == (
                user.pk,
                "open",
                status,
            ), who
        else:
            assert alert.status == "open", who
            assert alert.transitions.count() == 1, who
        if response.status_code == 403:
            assert "read-only" in response.json()["detail"]


def test_it_snoozes_until_the_time_given(cast: Cast, alert: Alert) -> None:
    response = post(cast.owner, f"{alert.pk}/snooze", {"until": "2026-03-17T09:00:00+01:00"})
    assert response.status_code == 200
    assert response.json()["snoozed_until"] == "2026-03-17T08:00:00Z"
    alert.refresh_from_db()
    assert alert.snoozed_until == dt.datetime(2026, 3, 17, 8, 0, tzinfo=dt.UTC)


def test_it_resolves_with_a_note_and_dismisses_with_a_reason(cast: Cast) -> None:
    first, second = raise_alerts(
        finding(client=cast.client, owner=cast.owner),
        finding(client=cast.client, owner=cast.owner, rule="no_face_to_face"),
    )
    resolved = post(cast.owner, f"{first.pk}/resolve", {"note": "Met the sponsor."}).json()
    assert resolved["resolved_at"] == "2026-03-10T10:00:00Z"
    assert resolved["transitions"][-1]["note"] == "Met the sponsor."
    dismissed = post(cast.director, f"{second.pk}/dismiss", {"reason": "  Agreed pause. "}).json()
    assert dismissed["dismissed_reason"] == "Agreed pause."
    assert dismissed["transitions"][-1]["actor_name"] == str(cast.director)


@pytest.mark.parametrize(
    "action,body,loc,message",
    [
        (
            "snooze",
            {"until": "2026-03-09T09:00:00Z"},
            "until",
            "Snooze until a time in the future.",
        ),
        ("snooze", {"until": "2026-07-01T09:00:00Z"}, "until", "Snooze for at most 90 days."),
        ("snooze", {"until": "2026-03-17T09:00:00"}, "until", "timezone"),
        ("snooze", {}, "until", "Field required"),
        ("dismiss", {"reason": "   "}, "reason", "at least 1 character"),
        ("dismiss", {}, "reason", "Field required"),
        ("resolve", {"note": "x" * 301}, "note", "at most 300 characters"),
        ("resolve", {"note": "ok", "status": "resolved"}, "status", "Extra inputs"),
    ],
)
def test_it_refuses_bad_input_naming_the_field_and_changes_nothing(
    cast: Cast, alert: Alert, action: str, body: dict[str, Any], loc: str, message: str
) -> None:
    response = post(cast.owner, f"{alert.pk}/{action}", body)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", loc]
    assert message in error["msg"]
    alert.refresh_from_db()
    assert alert.status == "open" and alert.transitions.count() == 1


@pytest.mark.parametrize("action", ACTIONS)
def test_it_refuses_to_act_on_a_resolved_alert(cast: Cast, alert: Alert, action: str) -> None:
    alert_resolve(alert=alert, actor=cast.owner, now=NOW)
    response = post(cast.owner, f"{alert.pk}/{action}", ACTIONS[action][0])
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["body", "status"], "msg": "This alert is resolved already.", "type": "value_error"}
    ]
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.transitions.count() == 2


def test_it_refuses_to_acknowledge_twice(cast: Cast, alert: Alert) -> None:
    assert post(cast.owner, f"{alert.pk}/acknowledge").status_code == 200
    response = post(cast.owner, f"{alert.pk}/acknowledge")
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "This alert is acknowledged already."
    assert alert.transitions.count() == 2


def test_it_answers_404_for_an_unknown_alert(cast: Cast) -> None:
    assert signed_in(cast.admin).get("/api/v1/alerts/999999").status_code == 404
    assert post(cast.admin, "999999/acknowledge").status_code == 404


# ---------------------------------------------------------------------------------------------
# The list


def ids(user: User, **query: Any) -> list[int]:
    response = signed_in(user).get("/api/v1/alerts", query)
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_it_lists_and_filters_alerts(cast: Cast) -> None:
    high, low, outside = raise_alerts(
        finding(client=cast.client, owner=cast.owner, severity=3),
        finding(
            project=cast.project,
            owner=cast.teammate,
            pm=cast.teammate,
            rule="sentiment_drop",
            severity=1,
        ),
        finding(client=cast.other_client, owner=cast.outsider, rule="no_face_to_face"),
    )
    (gone,) = raise_alerts(finding(client=cast.client, owner=cast.owner, rule="health_drop"))
    alert_resolve(alert=gone, actor=cast.owner, now=NOW)
    assert ids(cast.owner) == [high.pk, low.pk]  # live only, by id
    assert ids(cast.admin) == [high.pk, low.pk, outside.pk]
    assert ids(cast.owner, status="resolved") == [gone.pk]
    assert ids(cast.owner, status="all") == [high.pk, low.pk, gone.pk]
    assert ids(cast.owner, severity=1) == [low.pk]
    assert ids(cast.owner, rule="silent_account") == [high.pk]
    assert ids(cast.owner, owner="mine") == [high.pk]
    assert ids(cast.teammate, owner="mine") == [low.pk]
    assert ids(cast.admin, pm=cast.teammate.pk) == [low.pk]
    assert ids(cast.admin, client=cast.client.pk) == [high.pk, low.pk]
    assert ids(cast.admin, q="banque") == [outside.pk]


@pytest.mark.parametrize(
    "query,loc",
    [
        ({"severity": 9}, "severity"),
        ({"status": "asleep"}, "status"),
        ({"owner": "yours"}, "owner"),
        ({"rule": "gut_feeling"}, "rule"),
        ({"pm": 999999}, "pm"),
        ({"cursor": "bogus"}, "cursor"),
    ],
)
def test_it_refuses_a_bad_filter_naming_it(cast: Cast, query: dict[str, Any], loc: str) -> None:
    response = signed_in(cast.owner).get("/api/v1/alerts", query)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", loc]


def test_it_lists_1_and_50_alerts_with_the_same_number_of_queries(cast: Cast) -> None:
    def queries() -> tuple[int, int]:
        client = signed_in(cast.owner)
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/alerts", {"owner": "mine"})
        return len(captured), len(response.json()["results"])

    def alerts(count: int) -> None:
        Alert.objects.all().delete()
        clients = [ClientFactory(account_lead=cast.owner) for _ in range(count)]
        projects = [ProjectFactory(client=c, manager=cast.owner) for c in clients]
        raise_alerts(*(finding(project=p, owner=cast.owner, pm=cast.teammate) for p in projects))

    alerts(1)
    few, rows = queries()
    assert rows == 1
    alerts(50)
    many, rows = queries()
    assert rows == 50
    assert few == many


def test_it_pages_with_a_cursor(cast: Cast) -> None:
    clients = [ClientFactory(account_lead=cast.owner) for _ in range(5)]
    raised = raise_alerts(*(finding(client=c, owner=cast.owner) for c in clients))
    client = signed_in(cast.owner)
    first = client.get("/api/v1/alerts", {"page_size": 3}).json()
    assert [row["id"] for row in first["results"]] == [a.pk for a in raised[:3]]
    second = client.get(first["next"]).json()
    assert [row["id"] for row in second["results"]] == [a.pk for a in raised[3:]]
    assert second["next"] is None
