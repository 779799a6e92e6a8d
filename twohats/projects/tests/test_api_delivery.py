"""The delivery hat over the API: status reports with their indices and revisions, milestones and
their acceptance, the change ledger, baselines, and a project's delivery summary; the same access
rules, error shapes and query budgets as the other endpoints."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from auditlog.models import LogEntry
from django.test import Client as HttpClient

from twohats.people.models import User
from twohats.people.services import api_token_create
from twohats.projects import services
from twohats.projects.models import (
    Baseline,
    ChangeRequest,
    Milestone,
    Project,
    StatusReport,
)
from twohats.test import Cast, ContactFactory, count_queries

NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)  # the cast's project runs all of 2026

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


def get(user: User, url: str, **params: Any) -> Any:
    return signed_in(user).get(f"/api/v1{url}", params)


def post(user: User, url: str, body: dict[str, Any] | None = None) -> Any:
    return signed_in(user).post(f"/api/v1{url}", body or {}, content_type="application/json")


def patch(user: User, url: str, body: dict[str, Any]) -> Any:
    return signed_in(user).patch(f"/api/v1{url}", body, content_type="application/json")


def locs(response: Any) -> list[list[Any]]:
    return [error["loc"] for error in response.json()["detail"]]


def new_report(**changes: Any) -> dict[str, Any]:
    return {
        "period_end": "2026-05-31",
        "planned_value": "100000.00",
        "earned_value": "80000.00",
        "actual_cost": "100000.00",
        "percent_complete": "35",
        "rag": "amber",
        "narrative": " Integration slipped by two weeks. ",
    } | changes


def submit(cast: Cast, period_end: dt.date, **values: Any) -> StatusReport:
    fields: dict[str, Any] = {
        "planned_value": Decimal(50_000),
        "earned_value": Decimal(45_000),
        "actual_cost": Decimal(48_000),
        "percent_complete": Decimal(20),
        "rag": "green",
    } | values
    return services.status_report_submit(
        project=cast.project, actor=cast.owner, period_end=period_end, **fields
    )


def milestone(cast: Cast, **fields: Any) -> Milestone:
    values: dict[str, Any] = {
        "project": cast.project,
        "name": "Design review",
        "planned_date": dt.date(2026, 3, 31),
        "planned_value": Decimal(30_000),
    } | fields
    return Milestone.objects.create(**values)


def change(cast: Cast, **fields: Any) -> ChangeRequest:
    values: dict[str, Any] = {
        "project": cast.project,
        "asked_by": cast.contact,
        "asked_at": dt.datetime(2026, 4, 1, 9, tzinfo=dt.UTC),
        "description": "Add a dark mode to the cabin displays",
        "effort_hours": Decimal(40),
        "value": Decimal(5_000),
    } | fields
    return ChangeRequest.objects.create(**values)


def decided(cast: Cast, decision: str, **fields: Any) -> ChangeRequest:
    at = dt.datetime(2026, 4, 2, 9, tzinfo=dt.UTC)
    return change(cast, decision=decision, decided_by=cast.owner, decided_at=at, **fields)


# ---------------------------------------------------------------------------------------------
# Status reports


def test_it_submits_a_report_with_its_indices(cast: Cast) -> None:
    response = post(cast.owner, f"/projects/{cast.project.pk}/status-reports", new_report())
    assert response.status_code == 201, response.json()
    data = response.json()
    report = StatusReport.objects.get(pk=data["id"])
    assert (report.revision, report.baseline.number, report.created_by) == (1, 1, cast.owner)
    assert data["narrative"] == report.narrative == "Integration slipped by two weeks."
    assert (data["revision"], data["current"], data["baseline_number"]) == (1, True, 1)
    assert (data["spi"], data["cpi"], data["spi_band"], data["cpi_band"]) == (
        0.8,
        0.8,
        "red",
        "red",
    )
    indices = data["indices"]
    # BAC 250,000; PV 100,000; EV 80,000; AC 100,000: CPI = SPI = 0.8.
    assert indices["bac"] == "250000.00"
    assert (indices["sv"], indices["cv"]) == ("-20000.00", "-20000.00")
    assert indices["eac_cpi"] == "312500.00"  # 250,000 / 0.8
    assert indices["eac_atypical"] == "270000.00"  # 100,000 + 170,000
    assert indices["eac_cpi_spi"] == "365625.00"  # 100,000 + 170,000 / 0.64
    assert (indices["etc"], indices["vac"]) == ("212500.00", "-62500.00")
    assert indices["tcpi_bac"] == pytest.approx(170_000 / 150_000)
    assert indices["tcpi_bac_hard"] is True  # above 1.10
    assert indices["tcpi_eac"] == pytest.approx(0.8) and indices["tcpi_eac_hard"] is False
    assert indices["percent_spent"] == 0.4 and indices["percent_complete_ev"] == 0.32
    assert indices["planned_duration"] == 12  # monthly periods, January to December
    assert indices["spi_t"] == report.spi_t and indices["spi_t_band"] is not None
    assert indices["es"] is not None and indices["at"] is not None
    assert get(cast.owner, f"/status-reports/{report.pk}").json() == data


def test_it_takes_the_planned_value_from_the_baseline_plan(cast: Cast) -> None:
    body = new_report()
    del body["planned_value"]
    data = post(cast.owner, f"/projects/{cast.project.pk}/status-reports", body).json()
    plan = get(cast.owner, f"/projects/{cast.project.pk}/baselines").json()["results"][0]["plan"]
    assert {"period_end": "2026-05-31", "value": data["planned_value"]} in plan
    assert plan[-1] == {"period_end": "2026-12-18", "value": "250000.00"}


def test_it_takes_the_earned_value_from_the_milestones(cast: Cast) -> None:
    milestone(cast, actual_date=dt.date(2026, 3, 30))  # done: 30,000
    milestone(cast, name="Integration", planned_date=dt.date(2026, 6, 30), percent_complete=50)
    milestone(cast, name="Acceptance", planned_date=dt.date(2026, 12, 1))  # not started
    body = new_report(ev_source="milestones")
    url = f"/projects/{cast.project.pk}/status-reports"
    response = post(cast.owner, url, body)
    assert response.status_code == 422
    assert locs(response) == [["body", "earned_value"]]
    assert "leave it out" in response.json()["detail"][0]["msg"]
    del body["earned_value"]
    response = post(cast.owner, url, body)
    assert response.status_code == 201, response.json()
    assert response.json()["earned_value"] == "45000.00"  # 30,000 + half of 30,000
    assert response.json()["ev_source"] == "milestones"


def test_it_refuses_a_second_report_for_the_same_period(cast: Cast) -> None:
    url = f"/projects/{cast.project.pk}/status-reports"
    assert post(cast.owner, url, new_report()).status_code == 201
    response = post(cast.owner, url, new_report(actual_cost="1.00"))
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "period_end"]
    assert "already" in error["msg"] and "revise" in error["msg"]
    assert StatusReport.objects.get().actual_cost == Decimal(100_000)


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"actual_cost": "-1"}, "actual_cost"),
        ({"actual_cost": "1.234"}, "actual_cost"),
        ({"planned_value": "-5"}, "planned_value"),
        ({"earned_value": None}, "earned_value"),  # entered, so required
        ({"earned_value": "250000.01"}, "earned_value"),  # above BAC: re-baseline first
        ({"planned_value": "300000"}, "planned_value"),
        ({"percent_complete": "101"}, "percent_complete"),
        ({"rag": "purple"}, "rag"),
        ({"ev_source": "guess"}, "ev_source"),
        ({"period_end": "2025-12-31"}, "period_end"),  # before the project starts
        ({"period_end": "2026-02-30"}, "period_end"),
        ({"spi": 1.2}, "spi"),  # computed, not sent
        ({"narrative": "n" * 5001}, "narrative"),
    ],
)
def test_it_refuses_invalid_reports_naming_the_field(
    cast: Cast, changes: dict[str, Any], field: str
) -> None:
    response = post(
        cast.owner, f"/projects/{cast.project.pk}/status-reports", new_report(**changes)
    )
    assert response.status_code == 422, response.json()
    assert [loc[:2] for loc in locs(response)] == [["body", field]]
    assert all(error["msg"] for error in response.json()["detail"])
    assert not StatusReport.objects.exists() and not Baseline.objects.exists()


def test_it_revises_a_report_and_keeps_the_history(cast: Cast) -> None:
    first = submit(cast, dt.date(2026, 5, 31))
    body = {"reason": " AC missed a subcontractor invoice ", "changes": {"actual_cost": "52000"}}
    response = post(cast.owner, f"/status-reports/{first.pk}/revise", body)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["revision"], data["current"]) == (2, True)
    assert data["revision_reason"] == "AC missed a subcontractor invoice"
    assert (data["actual_cost"], data["earned_value"], data["rag"]) == (
        "52000.00",
        "45000.00",  # kept
        "green",
    )
    assert data["cpi"] == pytest.approx(45_000 / 52_000)
    url = f"/projects/{cast.project.pk}/status-reports"
    rows = get(cast.owner, url).json()["results"]
    assert [row["id"] for row in rows] == [data["id"]]
    rows = get(cast.owner, url, revisions="all").json()["results"]
    assert [(row["revision"], row["current"]) for row in rows] == [(1, False), (2, True)]
    assert rows[0]["superseded_at"] == "2026-06-15T10:00:00Z"
    # The corrected revision stays as it was, and is not revised again.
    response = post(cast.owner, f"/status-reports/{first.pk}/revise", body)
    assert response.status_code == 422
    assert locs(response) == [["body", "revision"]]
    assert StatusReport.objects.count() == 2


def test_it_measures_a_revision_against_the_baseline_of_the_report_it_corrects(
    cast: Cast,
) -> None:
    first = submit(cast, dt.date(2026, 5, 31), planned_value=None)
    assert first.baseline.number == 1
    before = get(cast.owner, f"/status-reports/{first.pk}").json()
    body = {"budget": "300000.00", "reason": "Phase 2 added to scope"}
    assert post(cast.owner, f"/projects/{cast.project.pk}/baselines", body).status_code == 201
    response = post(
        cast.owner,
        f"/status-reports/{first.pk}/revise",
        {"reason": "Risks were left out", "changes": {"risks": "Supplier late"}},
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    # May's numbers are restated against May's yardstick: the re-baseline applies from June on.
    assert (data["baseline_number"], data["indices"]["bac"]) == (1, before["indices"]["bac"])
    assert data["planned_value"] == before["planned_value"]
    assert data["indices"] == before["indices"]
    assert get(cast.owner, f"/status-reports/{first.pk}").json()["baseline_number"] == 1


@pytest.mark.parametrize(
    "body,loc",
    [
        ({"reason": "", "changes": {}}, ["body", "reason"]),
        ({"changes": {"rag": "green"}}, ["body", "reason"]),
        ({"reason": "x", "changes": {"earned_value": "999999"}}, ["body", "earned_value"]),
        ({"reason": "x", "changes": {"actual_cost": "-1"}}, ["body", "changes", "actual_cost"]),
        ({"reason": "x", "changes": {"rag": None}}, ["body", "changes", "rag"]),
        ({"reason": "x", "changes": {"spi": 2}}, ["body", "changes", "spi"]),
        (
            {"reason": "x", "changes": {"percent_complete": 120}},
            ["body", "changes", "percent_complete"],
        ),
        (
            {"reason": "x", "changes": {"ev_source": "milestones", "earned_value": "1"}},
            ["body", "changes", "earned_value"],
        ),
    ],
)
def test_it_refuses_an_invalid_revision(cast: Cast, body: dict[str, Any], loc: list[str]) -> None:
    first = submit(cast, dt.date(2026, 5, 31))
    response = post(cast.owner, f"/status-reports/{first.pk}/revise", body)
    assert response.status_code == 422, response.json()
    assert [error_loc[: len(loc)] for error_loc in locs(response)] == [loc]
    assert list(StatusReport.objects.values_list("pk", "superseded_at")) == [(first.pk, None)]


def test_it_refuses_an_unknown_revisions_filter(cast: Cast) -> None:
    response = get(cast.owner, f"/projects/{cast.project.pk}/status-reports", revisions="some")
    assert response.status_code == 422
    assert locs(response) == [["query", "revisions"]]


# ---------------------------------------------------------------------------------------------
# Milestones


def test_it_creates_plans_and_completes_a_milestone(cast: Cast) -> None:
    body = {
        "name": " Critical design review ",
        "planned_date": "2026-06-01",
        "planned_value": "20000",
    }
    response = post(cast.owner, f"/projects/{cast.project.pk}/milestones", body)
    assert response.status_code == 201, response.json()
    data = response.json()
    # Open and past its date: late by the days since.
    assert (data["name"], data["version"], data["slippage_days"]) == (
        "Critical design review",
        1,
        14,
    )
    created = Milestone.objects.get(pk=data["id"])
    entry = LogEntry.objects.get_for_object(created).get()
    assert (entry.action, entry.actor) == (LogEntry.Action.CREATE, cast.owner)

    url = f"/milestones/{created.pk}"
    response = patch(cast.owner, url, {"forecast_date": "2026-06-20", "version": 1})
    assert response.status_code == 200
    assert (response.json()["slippage_days"], response.json()["version"]) == (19, 2)
    response = patch(cast.owner, url, {"forecast_date": None, "percent_complete": "80"})
    assert response.status_code == 200
    assert (response.json()["forecast_date"], response.json()["percent_complete"]) == (
        None,
        "80.00",
    )
    response = post(cast.owner, f"{url}/complete", {"actual_date": "2026-06-12", "version": 3})
    assert response.status_code == 200, response.json()
    assert (response.json()["actual_date"], response.json()["slippage_days"]) == ("2026-06-12", 11)
    assert response.json()["accepted_by"] is None
    assert patch(cast.owner, url, {"name": "Late", "version": 2}).status_code == 409
    assert get(cast.owner, url).json()["name"] == "Critical design review"
    listed = get(cast.teammate, f"/projects/{cast.project.pk}/milestones").json()["results"]
    assert [row["id"] for row in listed] == [created.pk]


def test_it_completes_a_milestone_with_its_acceptance(cast: Cast) -> None:
    target = milestone(cast)
    url = f"/milestones/{target.pk}/complete"
    body = {"actual_date": "2026-04-03", "accepted_by": cast.contact.pk}
    response = post(cast.owner, url, body)
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["slippage_days"], data["accepted_by"], data["accepted_at"]) == (
        3,
        cast.contact.pk,
        "2026-06-15T10:00:00Z",  # now, when left out
    )
    for body, loc in [
        ({"actual_date": "2026-06-16"}, ["body", "actual_date"]),  # not yet come
        ({"actual_date": "2025-12-31"}, ["body", "actual_date"]),  # before the project
        ({"actual_date": "2026-04-01", "accepted_by": 999999}, ["body", "accepted_by"]),
        ({"actual_date": "2026-04-01", "version": 1}, None),  # stale: 409
    ]:
        response = post(cast.owner, url, body)
        if loc is None:
            assert response.status_code == 409
        else:
            assert response.status_code == 422, response.json()
            assert locs(response) == [loc]
    target.refresh_from_db()
    assert (target.actual_date, target.version) == (dt.date(2026, 4, 3), 2)


def test_it_records_the_clients_acceptance(cast: Cast) -> None:
    done = milestone(cast, actual_date=dt.date(2026, 3, 30))
    url = f"/milestones/{done.pk}/accept"
    body = {"accepted_by": cast.contact.pk, "accepted_at": "2026-04-02T15:00:00+02:00"}
    assert post(cast.owner, url, body | {"version": 9}).status_code == 409
    response = post(cast.owner, url, body | {"version": 1})
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["accepted_by"], data["accepted_by_name"]) == (cast.contact.pk, "Marie Curie")
    assert (data["accepted_at"], data["version"]) == ("2026-04-02T13:00:00Z", 2)
    again = post(cast.owner, url, {"accepted_by": cast.contact.pk})
    assert again.status_code == 422 and "already" in again.json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    "how,loc",
    [
        ("not done", ["body", "actual_date"]),
        ("before completion", ["body", "accepted_at"]),
        ("contact gone", ["body", "accepted_by"]),
        ("contact elsewhere", ["body", "accepted_by"]),
        ("no such contact", ["body", "accepted_by"]),
        ("in the future", ["body", "accepted_at"]),
        ("naive time", ["body", "accepted_at"]),
    ],
)
def test_it_refuses_an_invalid_acceptance(cast: Cast, how: str, loc: list[str]) -> None:
    target = milestone(cast, actual_date=None if how == "not done" else dt.date(2026, 3, 30))
    body: dict[str, Any] = {"accepted_by": cast.contact.pk}
    if how == "contact elsewhere":
        body["accepted_by"] = ContactFactory(client=cast.other_client).pk
    elif how == "no such contact":
        body["accepted_by"] = 999999
    elif how == "in the future":
        body["accepted_at"] = "2026-06-16T09:00:00Z"
    elif how == "naive time":
        body["accepted_at"] = "2026-04-02T15:00:00"
    elif how == "before completion":
        body["accepted_at"] = "2026-03-29T15:00:00Z"
    elif how == "contact gone":
        body["accepted_by"] = ContactFactory(client=cast.client, left_on=dt.date(2026, 5, 1)).pk
    # The admin sees every contact: the contact must still be at the project's client.
    response = post(cast.admin, f"/milestones/{target.pk}/accept", body)
    assert response.status_code == 422, response.json()
    assert locs(response) == [loc]
    target.refresh_from_db()
    assert (target.accepted_by, target.accepted_at, target.version) == (None, None, 1)


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"planned_date": "2025-12-01"}, "planned_date"),  # before the project starts
        ({"planned_value": "-1"}, "planned_value"),
        ({"percent_complete": "100.5"}, "percent_complete"),
        ({"name": ""}, "name"),
        ({"forecast_date": "2025-12-15"}, "forecast_date"),
        ({"actual_date": "2026-04-01"}, "actual_date"),  # recorded with complete
        ({"accepted_by": 1}, "accepted_by"),  # recorded with accept
        ({"slippage_days": 3}, "slippage_days"),
    ],
)
def test_it_refuses_invalid_milestones_naming_the_field(
    cast: Cast, changes: dict[str, Any], field: str
) -> None:
    body = {"name": "Go-live", "planned_date": "2026-11-30"} | changes
    response = post(cast.owner, f"/projects/{cast.project.pk}/milestones", body)
    assert response.status_code == 422, response.json()
    assert [loc[:2] for loc in locs(response)] == [["body", field]]
    assert not Milestone.objects.exists()


def test_it_refuses_an_invalid_milestone_change(cast: Cast) -> None:
    target = milestone(cast)
    for body, field in [
        ({"planned_date": "2025-12-01"}, "planned_date"),
        ({"name": None}, "name"),
        ({"forecast_date": "2025-12-15"}, "forecast_date"),
        ({"actual_date": "2026-04-01"}, "actual_date"),
        ({"accepted_at": "2026-04-02T15:00:00Z"}, "accepted_at"),
    ]:
        response = patch(cast.owner, f"/milestones/{target.pk}", body)
        assert response.status_code == 422, response.json()
        assert [loc[:2] for loc in locs(response)] == [["body", field]]
    target.refresh_from_db()
    assert (target.planned_date, target.version) == (dt.date(2026, 3, 31), 1)


# ---------------------------------------------------------------------------------------------
# Change requests


def test_it_logs_and_decides_a_change(cast: Cast) -> None:
    body = {
        "asked_by": cast.contact.pk,
        "asked_at": "2026-06-01T10:00:00+02:00",
        "description": " Extra export format ",
        "effort_hours": "24.5",
        "value": "3600.00",
    }
    response = post(cast.owner, f"/projects/{cast.project.pk}/change-requests", body)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["decision"], data["decided_by"], data["asked_by_name"]) == (
        "pending",
        None,
        "Marie Curie",
    )
    assert (data["description"], data["asked_at"]) == (
        "Extra export format",
        "2026-06-01T08:00:00Z",
    )
    url = f"/change-requests/{data['id']}/decide"
    stale = {"decision": "absorbed", "reason": "Goodwill", "version": 5}
    assert post(cast.director, url, stale).status_code == 409
    response = post(
        cast.director, url, {"decision": "absorbed", "reason": "Goodwill", "version": 1}
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["decision"], data["decided_by"], data["reason"]) == (
        "absorbed",
        cast.director.pk,
        "Goodwill",
    )
    assert (data["decided_by_name"], data["decided_at"]) == (
        str(cast.director),
        "2026-06-15T10:00:00Z",
    )
    again = post(cast.owner, url, {"decision": "billed"})
    assert again.status_code == 422
    assert "decided already" in again.json()["detail"][0]["msg"]
    assert ChangeRequest.objects.get().decided_by == cast.director
    entries = LogEntry.objects.get_for_object(ChangeRequest.objects.get())
    assert entries.get(action=LogEntry.Action.UPDATE).actor == cast.director


def test_it_filters_the_ledger_by_decision(cast: Cast) -> None:
    pending = change(cast)
    billed = decided(cast, "billed")
    url = f"/projects/{cast.project.pk}/change-requests"

    def ids(**params: Any) -> list[int]:
        response = get(cast.owner, url, **params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [pending.pk, billed.pk]
    assert ids(decision="pending") == [pending.pk]
    assert ids(decision="billed") == [billed.pk]
    assert ids(decision="absorbed") == []
    response = get(cast.owner, url, decision="maybe")
    assert response.status_code == 422 and locs(response) == [["query", "decision"]]


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"asked_by": 999999}, "asked_by"),
        ({"asked_at": "2026-06-16T10:00:00Z"}, "asked_at"),  # in the future
        ({"asked_at": "2026-06-01T10:00:00"}, "asked_at"),  # no offset
        ({"description": ""}, "description"),
        ({"value": "-10"}, "value"),
        ({"effort_hours": "1.25"}, "effort_hours"),
        ({"decision": "absorbed"}, "decision"),  # decided with decide, by its decider
        ({"decided_by": 1}, "decided_by"),
    ],
)
def test_it_refuses_invalid_changes_naming_the_field(
    cast: Cast, changes: dict[str, Any], field: str
) -> None:
    body = {"asked_by": cast.contact.pk, "description": "More reports"} | changes
    response = post(cast.owner, f"/projects/{cast.project.pk}/change-requests", body)
    assert response.status_code == 422, response.json()
    assert [loc[:2] for loc in locs(response)] == [["body", field]]
    assert not ChangeRequest.objects.exists()


def test_it_refuses_a_contact_of_another_client(cast: Cast) -> None:
    stranger = ContactFactory(client=cast.other_client)
    body = {"asked_by": stranger.pk, "description": "More reports"}
    for user in [cast.owner, cast.admin]:  # invisible to the owner, visible to the admin
        response = post(user, f"/projects/{cast.project.pk}/change-requests", body)
        assert response.status_code == 422
        assert locs(response) == [["body", "asked_by"]]
    assert not ChangeRequest.objects.exists()


@pytest.mark.parametrize(
    "body,field",
    [
        ({"decision": "pending"}, "decision"),
        ({"decision": "maybe"}, "decision"),
        ({}, "decision"),
        ({"decision": "absorbed"}, "reason"),  # scope given away: say why
        ({"decision": "declined", "reason": " "}, "reason"),
        ({"decision": "billed", "decided_at": "2026-03-31T09:00:00Z"}, "decided_at"),  # before ask
        ({"decision": "billed", "decided_at": "2026-06-16T09:00:00Z"}, "decided_at"),  # future
        ({"decision": "billed", "decided_by": 1}, "decided_by"),  # the decider is you
    ],
)
def test_it_refuses_an_invalid_decision(cast: Cast, body: dict[str, Any], field: str) -> None:
    pending = change(cast)
    response = post(cast.owner, f"/change-requests/{pending.pk}/decide", body)
    assert response.status_code == 422, response.json()
    assert [loc[:2] for loc in locs(response)] == [["body", field]]
    pending.refresh_from_db()
    assert (pending.decision, pending.decided_by, pending.version) == ("pending", None, 1)


# ---------------------------------------------------------------------------------------------
# Baselines


def test_it_re_baselines_with_a_reason_and_a_plan(cast: Cast) -> None:
    url = f"/projects/{cast.project.pk}/baselines"
    assert get(cast.owner, url).json()["results"] == []
    plan = [
        {"period_end": "2026-03-31", "value": "50000"},
        {"period_end": "2026-09-30", "value": "200000"},
        {"period_end": "2026-12-18", "value": "320000"},
    ]
    body = {"budget": "320000", "reason": " Second site added ", "plan": plan}
    response = post(cast.owner, url, body)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["number"], data["budget"], data["reason"]) == (2, "320000.00", "Second site added")
    assert (data["created_by"], data["created_by_name"]) == (cast.owner.pk, str(cast.owner))
    assert [point["value"] for point in data["plan"]] == ["50000.00", "200000.00", "320000.00"]
    rows = get(cast.teammate, url).json()["results"]
    assert [(row["number"], row["budget"]) for row in rows] == [(1, "250000.00"), (2, "320000.00")]
    assert rows[0]["created_by"] is None and len(rows[0]["plan"]) == 12  # from the budget
    cast.project.refresh_from_db()
    assert (cast.project.budget, cast.project.version) == (Decimal(320_000), 2)


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"reason": ""}, "reason"),
        ({"budget": "-1"}, "budget"),
        ({"budget": "0"}, "budget"),
        ({"plan": []}, "plan"),
        ({"plan": [{"period_end": "2026-12-18", "value": "200000"}]}, "plan"),  # short of it
        ({"plan": [{"period_end": "2025-12-31", "value": "300000"}]}, "plan"),  # too early
        ({"plan": [{"period_end": "2026-06-30", "value": "400000"}]}, "plan"),  # over budget
        (
            {
                "plan": [
                    {"period_end": "2026-06-30", "value": "100000"},
                    {"period_end": "2026-09-30", "value": "90000"},  # falls
                ]
            },
            "plan",
        ),
        (
            {
                "plan": [
                    {"period_end": "2026-09-30", "value": "100000"},
                    {"period_end": "2026-06-30", "value": "200000"},  # dates out of order
                ]
            },
            "plan",
        ),
        ({"plan": [{"period_end": "2026-06-30", "value": "-1"}]}, "plan"),
    ],
)
def test_it_refuses_an_invalid_baseline(cast: Cast, changes: dict[str, Any], field: str) -> None:
    body = {"budget": "300000", "reason": "Scope grew"} | changes
    response = post(cast.owner, f"/projects/{cast.project.pk}/baselines", body)
    assert response.status_code == 422, response.json()
    assert [loc[:2] for loc in locs(response)] == [["body", field]]
    assert not Baseline.objects.exists()
    cast.project.refresh_from_db()
    assert (cast.project.budget, cast.project.version) == (Decimal(250_000), 1)


# ---------------------------------------------------------------------------------------------
# A project's delivery


def test_it_summarises_a_projects_delivery(cast: Cast) -> None:
    submit(cast, dt.date(2026, 4, 30))
    latest = submit(cast, dt.date(2026, 5, 31), earned_value=Decimal(90_000))
    milestone(cast, actual_date=dt.date(2026, 4, 10), accepted_by=cast.contact, accepted_at=NOW)
    milestone(cast, planned_date=dt.date(2026, 6, 1), percent_complete=40)  # open, 14 days late
    milestone(cast, planned_date=dt.date(2026, 6, 20), forecast_date=dt.date(2026, 6, 26))
    milestone(cast, planned_date=dt.date(2026, 10, 1), actual_date=dt.date(2026, 6, 12))  # early
    change(cast, value=Decimal(1_000))
    decided(cast, "absorbed", value=Decimal(10_000))
    decided(cast, "absorbed", value=Decimal(2_500))
    decided(cast, "billed", value=Decimal(20_000))

    response = get(cast.teammate, f"/projects/{cast.project.pk}/delivery")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["project"], data["bac"], data["baseline_number"]) == (
        cast.project.pk,
        "250000.00",
        1,
    )
    assert data["report"]["id"] == latest.pk and data["report"]["period_end"] == "2026-05-31"
    assert data["indices"]["spi"] == pytest.approx(90_000 / 50_000)
    assert data["indices"]["spi_band"] == "green"
    assert data["milestones"] == {
        "count": 4,
        "completed": 2,
        "accepted": 1,
        "slipped": 3,  # done 10 days late, open 14 days past plan, forecast 6 days late
        "overdue": 1,
        "due_soon": 1,  # forecast 26 June, in the next 14 days
        "max_slippage_days": 14,
        "mean_slippage_days": 7.5,  # (10 + 14 + 6 + 0) / 4
        "planned_value": "120000.00",
        "earned_value": "72000.00",  # 30,000 + 40 % of 30,000 + 30,000
    }
    assert data["changes"] == {
        "pending": {"count": 1, "value": "1000.00"},
        "billed": {"count": 1, "value": "20000.00"},
        "absorbed": {"count": 2, "value": "12500.00"},
        "declined": {"count": 0, "value": "0.00"},
        "absorbed_share_of_bac": 0.05,  # 12,500 / 250,000
        "oldest_pending_at": "2026-04-01T09:00:00Z",
    }


def test_it_summarises_a_project_without_delivery_data(cast: Cast) -> None:
    data = get(cast.owner, f"/projects/{cast.project.pk}/delivery").json()
    assert (data["bac"], data["baseline_number"], data["report"], data["indices"]) == (
        "250000.00",
        None,
        None,
        None,
    )
    assert data["milestones"]["count"] == 0 and data["milestones"]["max_slippage_days"] is None
    assert data["changes"]["absorbed"] == {"count": 0, "value": "0.00"}
    assert data["changes"]["absorbed_share_of_bac"] == 0.0
    assert data["changes"]["oldest_pending_at"] is None
    assert not Baseline.objects.exists()  # reading writes nothing


def test_it_says_not_defined_rather_than_dividing_by_zero(cast: Cast) -> None:
    Project.objects.filter(pk=cast.project.pk).update(budget=0)
    report = submit(
        cast,
        dt.date(2026, 1, 31),
        planned_value=Decimal(0),
        earned_value=Decimal(0),
        actual_cost=Decimal(0),
    )
    data = get(cast.owner, f"/status-reports/{report.pk}").json()
    for name in ["spi", "cpi", "eac_cpi", "eac_cpi_spi", "tcpi_bac", "percent_spent"]:
        assert data["indices"][name] is None, name
    assert (data["spi_band"], data["indices"]["tcpi_bac_hard"]) == (None, False)
    summary = get(cast.owner, f"/projects/{cast.project.pk}/delivery").json()
    assert summary["changes"]["absorbed_share_of_bac"] is None


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


def test_it_reads_only_for_those_who_may_see_the_project(cast: Cast) -> None:
    report = submit(cast, dt.date(2026, 5, 31))
    target = milestone(cast)
    pending = change(cast)
    project = f"/projects/{cast.project.pk}"
    for who, user in cast.everyone().items():
        for url in [
            f"{project}/status-reports",
            f"{project}/milestones",
            f"{project}/change-requests",
            f"{project}/baselines",
            f"{project}/delivery",
            f"/status-reports/{report.pk}",
            f"/milestones/{target.pk}",
            f"/change-requests/{pending.pk}",
        ]:
            response = get(user, url)
            assert response.status_code == READ[who], (who, url)
            if READ[who] == 404:
                assert response.json() == {"detail": "Not Found"}, (who, url)


# Each write: what to send (made fresh for each user) and how to tell whether it was written.
Write = Callable[[Cast, int], tuple[str, dict[str, Any], Callable[[], bool]]]


def weekly(cast: Cast, n: int) -> dt.date:
    """The project's n-th period end, its reports made weekly so that enough periods have ended."""
    cast.project.reporting_period = "weekly"
    cast.project.save(update_fields=["reporting_period"])
    return services.period_ends(cast.project)[n]


def _submit(cast: Cast, n: int) -> tuple[str, dict[str, Any], Callable[[], bool]]:
    day = weekly(cast, n)
    body = new_report(period_end=day.isoformat(), earned_value="1000", planned_value="1000")
    url = f"/projects/{cast.project.pk}/status-reports"
    return url, body, StatusReport.objects.filter(period_end=day).exists


def _revise(cast: Cast, n: int) -> tuple[str, dict[str, Any], Callable[[], bool]]:
    report = submit(cast, weekly(cast, n))
    url = f"/status-reports/{report.pk}/revise"
    return (
        url,
        {"reason": "Typo"},
        StatusReport.objects.filter(revision=2, period_end=report.period_end).exists,
    )


def _milestone_create(cast: Cast, n: int) -> tuple[str, dict[str, Any], Callable[[], bool]]:
    body = {"name": f"M{n}", "planned_date": "2026-06-30"}
    return (
        f"/projects/{cast.project.pk}/milestones",
        body,
        Milestone.objects.filter(name=f"M{n}").exists,
    )


def _milestone_accept(cast: Cast, n: int) -> tuple[str, dict[str, Any], Callable[[], bool]]:
    done = milestone(cast, actual_date=dt.date(2026, 5, 1))
    body = {"accepted_by": cast.contact.pk}
    return (
        f"/milestones/{done.pk}/accept",
        body,
        Milestone.objects.filter(pk=done.pk, accepted_by__isnull=False).exists,
    )


def _change_create(cast: Cast, n: int) -> tuple[str, dict[str, Any], Callable[[], bool]]:
    body = {"asked_by": cast.contact.pk, "description": f"C{n}"}
    url = f"/projects/{cast.project.pk}/change-requests"
    return url, body, ChangeRequest.objects.filter(description=f"C{n}").exists


def _change_decide(cast: Cast, n: int) -> tuple[str, dict[str, Any], Callable[[], bool]]:
    pending = change(cast)
    body = {"decision": "declined", "reason": "Out of scope"}
    written = ChangeRequest.objects.filter(pk=pending.pk, decision="declined").exists
    return f"/change-requests/{pending.pk}/decide", body, written


def _baseline_create(cast: Cast, n: int) -> tuple[str, dict[str, Any], Callable[[], bool]]:
    body = {"budget": f"{260000 + n}", "reason": "Scope grew"}
    url = f"/projects/{cast.project.pk}/baselines"
    return url, body, Baseline.objects.filter(budget=260000 + n).exists


@pytest.mark.parametrize(
    "write",
    [
        _submit,
        _revise,
        _milestone_create,
        _milestone_accept,
        _change_create,
        _change_decide,
        _baseline_create,
    ],
)
def test_it_writes_only_for_those_who_may_edit_the_project(cast: Cast, write: Write) -> None:
    for n, (who, user) in enumerate(cast.everyone().items()):
        url, body, written = write(cast, n)
        response = post(user, url, body)
        allowed = WRITE[who] == 200
        if allowed:
            assert response.status_code in (200, 201), (who, response.json())
        else:
            assert response.status_code == WRITE[who], (who, response.json())
        assert written() is allowed, who
        if who == "executive":
            assert "read-only" in response.json()["detail"]


def test_it_updates_a_milestone_only_for_those_who_may_edit_it(cast: Cast) -> None:
    target = milestone(cast)
    for who, user in cast.everyone().items():
        response = patch(user, f"/milestones/{target.pk}", {"name": f"By {who}"})
        assert response.status_code == WRITE[who], who
        target.refresh_from_db()
        assert (target.name == f"By {who}") is (WRITE[who] == 200), who


def test_it_answers_404_for_ids_that_do_not_exist(cast: Cast) -> None:
    for url in [
        "/projects/999999/status-reports",
        "/projects/999999/milestones",
        "/projects/999999/change-requests",
        "/projects/999999/baselines",
        "/projects/999999/delivery",
        "/status-reports/999999",
        "/milestones/999999",
        "/change-requests/999999",
    ]:
        assert get(cast.admin, url).status_code == 404, url
    for url, body in [
        ("/projects/999999/status-reports", new_report()),
        ("/projects/999999/milestones", {"name": "M", "planned_date": "2026-06-30"}),
        ("/projects/999999/change-requests", {"asked_by": cast.contact.pk, "description": "C"}),
        ("/projects/999999/baselines", {"budget": "1", "reason": "R"}),
        ("/status-reports/999999/revise", {"reason": "R"}),
        ("/milestones/999999/accept", {"accepted_by": cast.contact.pk}),
        ("/change-requests/999999/decide", {"decision": "billed"}),
    ]:
        assert post(cast.admin, url, body).status_code == 404, url
    assert patch(cast.admin, "/milestones/999999", {"name": "M"}).status_code == 404


# ---------------------------------------------------------------------------------------------
# Query budgets


def queries(user: User, url: str, rows: int | None = None) -> int:
    client = signed_in(user)
    responses: list[Any] = []
    count = count_queries(lambda: responses.append(client.get(f"/api/v1{url}")))
    assert responses[0].status_code == 200
    if rows is not None:
        assert len(responses[0].json()["results"]) == rows
    return count


def test_it_lists_reports_with_the_same_number_of_queries_for_1_and_50(cast: Cast) -> None:
    url = f"/projects/{cast.project.pk}/status-reports"
    first = submit(cast, dt.date(2026, 1, 31))
    one = queries(cast.director, url, 1)
    # More periods than have ended: rows copied from the first, a day apart.
    StatusReport.objects.bulk_create(
        StatusReport(
            **{f.attname: getattr(first, f.attname) for f in StatusReport._meta.concrete_fields}
            | {
                "id": None,
                "period_end": dt.date(2026, 2, 1) + dt.timedelta(days=n),
                "is_latest": False,
            }
        )
        for n in range(49)
    )
    assert queries(cast.director, url, 50) == one
    assert queries(cast.director, f"{url}?revisions=all", 50) == one


def test_it_lists_milestones_and_changes_with_the_same_number_of_queries(cast: Cast) -> None:
    milestones = f"/projects/{cast.project.pk}/milestones"
    changes = f"/projects/{cast.project.pk}/change-requests"
    milestone(cast, accepted_by=cast.contact, accepted_at=NOW, actual_date=dt.date(2026, 4, 1))
    decided(cast, "billed")
    one = queries(cast.owner, milestones, 1), queries(cast.owner, changes, 1)
    for n in range(49):
        accepted = {"accepted_by": cast.contact, "accepted_at": NOW} if n % 2 else {}
        milestone(cast, actual_date=dt.date(2026, 4, 1), **accepted)
        decided(cast, "absorbed") if n % 2 else change(cast)
    assert (queries(cast.owner, milestones, 50), queries(cast.owner, changes, 50)) == one


def test_it_lists_baselines_and_summarises_with_the_same_number_of_queries(cast: Cast) -> None:
    baselines = f"/projects/{cast.project.pk}/baselines"
    delivery = f"/projects/{cast.project.pk}/delivery"
    submit(cast, dt.date(2026, 1, 31))
    milestone(cast)
    change(cast)
    one = queries(cast.owner, baselines, 1), queries(cast.owner, delivery)
    for n in range(49):
        services.baseline_create(
            project=cast.project, actor=cast.owner, budget=Decimal(300_000 + n), reason="More"
        )
        milestone(cast, actual_date=dt.date(2026, 4, 1))
        decided(cast, "absorbed")
    submit(cast, dt.date(2026, 2, 28))
    assert (queries(cast.owner, baselines, 50), queries(cast.owner, delivery)) == one
