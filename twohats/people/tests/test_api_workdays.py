"""Workday locations over the API: ranges at once, for oneself or, for directors, their staff."""

import datetime as dt
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.test import Client as HttpClient

from twohats.people.models import User, WorkdayLocation
from twohats.people.services import api_token_create
from twohats.test import Cast, WorkdayLocationFactory

# One test client for the module: each new one loads the middleware again, which is slow.
_http = HttpClient()


def signed_in(user: User) -> HttpClient:
    """The shared client, acting as `user` through a personal token (no session to set up)."""
    _, raw = api_token_create(user=user, name="API tests")
    _http.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return _http


def record(actor: User, **body: Any) -> Any:
    # 2 March 2026 is a Monday.
    body = {"start": "2026-03-02", "end": "2026-03-08", "kind": "home_office"} | body
    return signed_in(actor).post("/api/v1/workdays", body, content_type="application/json")


def test_it_records_a_range_of_working_days_with_history(cast: Cast) -> None:
    response = record(cast.owner, kind="client_site", client=cast.client.pk, note="Go-live")
    assert response.status_code == 201
    data = response.json()
    assert [row["date"] for row in data] == [f"2026-03-0{day}" for day in range(2, 7)]
    assert {row["client_name"] for row in data} == {"Aerolux"}
    days = WorkdayLocation.objects.filter(user=cast.owner)
    assert days.count() == 5
    assert {day.kind for day in days} == {"client_site"}
    entry = LogEntry.objects.get_for_object(days.first()).get()
    assert (entry.action, entry.actor) == (LogEntry.Action.CREATE, cast.owner)


def test_it_includes_weekends_when_asked_and_replaces_days_already_there(cast: Cast) -> None:
    WorkdayLocationFactory(user=cast.owner, date=dt.date(2026, 3, 7), kind="remote")
    response = record(cast.owner, include_weekends=True)
    assert response.status_code == 201
    assert len(response.json()) == 7
    assert WorkdayLocation.objects.get(user=cast.owner, date="2026-03-07").kind == "home_office"


def test_it_lets_a_director_record_days_for_their_staff(cast: Cast) -> None:
    response = record(cast.director, user=cast.owner.pk)
    assert response.status_code == 201
    assert {row["user"] for row in response.json()} == {cast.owner.pk}
    day = WorkdayLocation.objects.filter(user=cast.owner).first()
    assert LogEntry.objects.get_for_object(day).get().actor == cast.director


@pytest.mark.parametrize("who", ["teammate", "other_director"])
def test_it_refuses_to_record_days_for_someone_else(cast: Cast, who: str) -> None:
    response = record(cast.everyone()[who], user=cast.owner.pk)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "user"]
    assert not WorkdayLocation.objects.exists()


@pytest.mark.parametrize(
    "body,field",
    [
        ({"kind": "client_site"}, "client"),
        ({"kind": "remote", "client": "the cast's client"}, "client"),
        ({"kind": "client_site", "client": 999999}, "client"),
        ({"start": "2026-03-09"}, "end"),
        ({"start": "2026-03-07", "end": "2026-03-08"}, "end"),
        ({"start": "2025-01-01", "end": "2026-03-08"}, "end"),
        ({"kind": "beach"}, "kind"),
        ({"note": "n" * 201}, "note"),
        ({"end": "soon"}, "end"),
    ],
)
def test_it_refuses_invalid_ranges_naming_the_field(
    cast: Cast, body: dict[str, Any], field: str
) -> None:
    if body.get("client") == "the cast's client":
        body = body | {"client": cast.client.pk}
    response = record(cast.owner, **body)
    assert response.status_code == 422, response.json()
    assert [error["loc"] for error in response.json()["detail"]] == [["body", field]]
    assert not WorkdayLocation.objects.exists()


def test_it_refuses_a_client_site_the_user_may_not_see(cast: Cast) -> None:
    response = record(cast.owner, kind="client_site", client=cast.other_client.pk)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "client"]


def test_it_updates_a_day_and_clears_the_client_when_leaving_the_site(cast: Cast) -> None:
    day = WorkdayLocationFactory(user=cast.owner, kind="client_site", client=cast.client)
    client = signed_in(cast.owner)
    response = client.patch(
        f"/api/v1/workdays/{day.pk}", {"kind": "remote"}, content_type="application/json"
    )
    assert response.status_code == 200
    day.refresh_from_db()
    assert (day.kind, day.client) == ("remote", None)
    assert (
        LogEntry.objects.get_for_object(day)
        .filter(action=LogEntry.Action.UPDATE, actor=cast.owner)
        .exists()
    )
    response = client.patch(
        f"/api/v1/workdays/{day.pk}", {"kind": "client_site"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "client"]
    response = client.patch(
        f"/api/v1/workdays/{day.pk}",
        {"kind": "client_site", "client": cast.client.pk},
        content_type="application/json",
    )
    assert response.json()["client"] == cast.client.pk


def test_it_deletes_a_day_with_history(cast: Cast) -> None:
    day = WorkdayLocationFactory(user=cast.owner)
    response = signed_in(cast.owner).delete(f"/api/v1/workdays/{day.pk}")
    assert response.status_code == 204
    assert not WorkdayLocation.objects.filter(pk=day.pk).exists()
    entry = LogEntry.objects.get_for_object(day).filter(action=LogEntry.Action.DELETE).get()
    assert entry.actor == cast.owner


def test_it_refuses_a_version_on_workdays(cast: Cast) -> None:
    # Workdays carry no version: the field is refused rather than silently ignored.
    day = WorkdayLocationFactory(user=cast.owner)
    response = signed_in(cast.owner).patch(
        f"/api/v1/workdays/{day.pk}", {"note": "x", "version": 1}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "version"]
