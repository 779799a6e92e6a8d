"""The services of client requests: deadlines, response times, breaches, policy versions."""

from __future__ import annotations

import copy
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError

from twohats.health.models import HealthPolicy
from twohats.health.policy import DEFAULT_CONFIG
from twohats.interactions.models import ClientRequest
from twohats.interactions.requests import (
    request_create,
    request_resolve,
    request_respond,
    request_update,
)
from twohats.interactions.tests.conftest import MakeRequest
from twohats.test import Cast, ClientFactory, ContactFactory, ProjectFactory
from twohats.writes import StaleRecordError

PARIS = ZoneInfo("Europe/Paris")
# Monday 23 November 2026, 16:30 in Paris.
NOW = dt.datetime(2026, 11, 23, 15, 30, tzinfo=dt.UTC)
# Friday 20 November 2026, 16:00 in Paris.
FRIDAY_4PM = dt.datetime(2026, 11, 20, 16, 0, tzinfo=PARIS)

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def paris(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


@pytest.mark.parametrize(
    "priority,sla,due",
    [
        ("critical", 240, paris(2026, 11, 23, 12, 0)),  # 1 h on Friday, 3 h on Monday
        ("high", 480, paris(2026, 11, 23, 16, 0)),
        ("normal", 960, paris(2026, 11, 24, 16, 0)),
        ("low", 2400, paris(2026, 11, 27, 16, 0)),
    ],
)
def test_it_sets_the_deadline_of_each_priority_in_business_hours(
    make_request: MakeRequest, priority: str, sla: int, due: dt.datetime
) -> None:
    request = make_request(priority=priority, raised_at=FRIDAY_4PM)
    request.refresh_from_db()
    assert request.sla_minutes == sla
    assert request.due_at == due
    assert request.policy == HealthPolicy.objects.active()
    assert request.first_response_at is None
    assert request.response_minutes is None and request.breached is None


def test_it_measures_the_deadline_in_the_clients_time_zone(cast: Cast) -> None:
    toronto = ClientFactory(account_lead=cast.owner, time_zone="America/Toronto")
    request = request_create(
        actor=cast.owner,
        fields={
            "client": toronto,
            "channel": "phone",
            "priority": "critical",
            "subject": "Outage on the test rig",
            "raised_at": FRIDAY_4PM,  # 10:00 in Toronto
        },
    )
    assert request.due_at == dt.datetime(2026, 11, 20, 14, 0, tzinfo=ZoneInfo("America/Toronto"))
    # Logged by and owned by the actor unless said otherwise.
    assert request.logged_by == request.owner == cast.owner


def test_it_stores_the_response_time_in_business_minutes(make_request: MakeRequest) -> None:
    request = make_request(priority="critical", raised_at=FRIDAY_4PM)
    at = paris(2026, 11, 23, 10, 30)
    answered = request_respond(actor=request.owner, request=request, at=at)
    answered.refresh_from_db()
    assert answered.first_response_at == at
    assert answered.response_minutes == 60 + 90  # Friday 16-17, Monday 9:00-10:30
    assert answered.breached is False
    assert answered.version == 2


def test_it_marks_a_late_response_as_breached(make_request: MakeRequest) -> None:
    # Raised Thursday 10:00: 7 h that day, 8 h on Friday, 1.5 h on Monday.
    request = make_request(priority="high", raised_at=paris(2026, 11, 19, 10, 0))
    answered = request_respond(actor=request.owner, request=request, at=paris(2026, 11, 23, 10, 30))
    assert answered.response_minutes == 7 * 60 + 8 * 60 + 90
    assert answered.breached is True
    assert answered.is_overdue(NOW)


def test_it_does_not_breach_when_answered_exactly_on_time(make_request: MakeRequest) -> None:
    request = make_request(priority="critical", raised_at=FRIDAY_4PM)
    answered = request_respond(actor=request.owner, request=request, at=paris(2026, 11, 23, 12))
    assert (answered.response_minutes, answered.breached) == (240, False)


def test_it_resolves_after_the_first_response(make_request: MakeRequest) -> None:
    request = make_request(raised_at=FRIDAY_4PM)
    request = request_respond(actor=request.owner, request=request, at=paris(2026, 11, 23, 9, 5))
    resolved = request_resolve(actor=request.owner, request=request, at=NOW)
    assert resolved.resolved_at == NOW
    assert resolved.response_minutes == 65  # unchanged by the resolution


def test_it_keeps_the_policy_a_request_was_raised_under(
    cast: Cast, make_request: MakeRequest
) -> None:
    old = make_request(priority="high", raised_at=FRIDAY_4PM)
    v1 = HealthPolicy.objects.active()
    # A new policy version with shorter targets becomes active.
    config = copy.deepcopy(DEFAULT_CONFIG)
    config["sla"] = {"critical": 60, "high": 120, "normal": 240, "low": 480}
    HealthPolicy.objects.filter(pk=v1.pk).update(active=False)
    v2 = HealthPolicy.objects.create(version=v1.version + 1, active=True, config=config)

    new = make_request(priority="high", raised_at=FRIDAY_4PM)
    assert (new.policy, new.sla_minutes, new.due_at) == (v2, 120, paris(2026, 11, 23, 10, 0))

    # The old request keeps v1's targets, even when its priority changes after v2 came in.
    old = request_update(actor=cast.owner, request=old, fields={"priority": "critical"})
    assert (old.policy, old.sla_minutes, old.due_at) == (v1, 240, paris(2026, 11, 23, 12, 0))
    old = request_update(actor=cast.owner, request=old, fields={"priority": "high"})
    assert (old.sla_minutes, old.due_at) == (480, paris(2026, 11, 23, 16, 0))
    # And the same response is on time under v1, late under v2.
    at = paris(2026, 11, 23, 11, 0)
    assert request_respond(actor=cast.owner, request=old, at=at).breached is False
    assert request_respond(actor=cast.owner, request=new, at=at).breached is True


def test_it_moves_the_deadline_when_the_time_of_raising_changes(
    cast: Cast, make_request: MakeRequest
) -> None:
    request = make_request(priority="critical", raised_at=FRIDAY_4PM)
    request_respond(actor=cast.owner, request=request, at=paris(2026, 11, 23, 10, 30))
    moved = request_update(
        actor=cast.owner, request=request, fields={"raised_at": paris(2026, 11, 20, 10, 0)}
    )
    assert moved.due_at == paris(2026, 11, 20, 14, 0)
    # The stored response time follows: 7 h on Friday and 1.5 h on Monday.
    assert (moved.response_minutes, moved.breached) == (7 * 60 + 90, True)
    # A change of subject leaves the timings alone.
    renamed = request_update(actor=cast.owner, request=moved, fields={"subject": "New title"})
    assert (renamed.due_at, renamed.response_minutes) == (moved.due_at, moved.response_minutes)


def test_it_refuses_an_edit_from_a_stale_copy(cast: Cast, make_request: MakeRequest) -> None:
    request = make_request()
    request_update(
        actor=cast.owner, request=request, fields={"subject": "First"}, expected_version=1
    )
    with pytest.raises(StaleRecordError):
        request_update(
            actor=cast.owner, request=request, fields={"subject": "Second"}, expected_version=1
        )
    with pytest.raises(StaleRecordError):
        request_respond(actor=cast.owner, request=request, at=NOW, expected_version=1)
    request.refresh_from_db()
    assert (request.subject, request.first_response_at) == ("First", None)


def test_it_keeps_the_history_of_each_change(cast: Cast, make_request: MakeRequest) -> None:
    request = make_request(actor=cast.teammate)
    request_respond(actor=cast.owner, request=request, at=NOW)
    request_resolve(actor=cast.owner, request=request, at=NOW)
    entries = LogEntry.objects.get_for_object(request).order_by("timestamp", "id")
    assert [(e.action, e.actor) for e in entries] == [
        (LogEntry.Action.CREATE, cast.teammate),
        (LogEntry.Action.UPDATE, cast.owner),
        (LogEntry.Action.UPDATE, cast.owner),
    ]
    changed = entries[1].changes_dict
    assert {"first_response_at", "response_minutes", "breached"} <= set(changed)


def field_of(error: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return set(error.value.message_dict)


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"raised_at": NOW + dt.timedelta(hours=1)}, "raised_at"),
        ({"raised_at": None}, "raised_at"),
        (
            {"first_response_at": dt.datetime(2026, 11, 20, 14, 0, tzinfo=dt.UTC)},
            "first_response_at",
        ),
        ({"first_response_at": NOW + dt.timedelta(minutes=10)}, "first_response_at"),
        ({"resolved_at": NOW}, "resolved_at"),
        ({"priority": "whenever"}, "priority"),
        ({"subject": ""}, "subject"),
    ],
)
def test_it_refuses_bad_times_and_values_and_writes_nothing(
    make_request: MakeRequest, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as error:
        make_request(**fields)
    assert field in field_of(error)
    assert not ClientRequest.objects.exists()
    assert not LogEntry.objects.filter(object_repr__contains="test plan").exists()


def test_it_accepts_a_time_a_few_minutes_ahead_of_the_server(make_request: MakeRequest) -> None:
    request = make_request(raised_at=NOW + dt.timedelta(minutes=3))
    assert request.raised_at == NOW + dt.timedelta(minutes=3)


def test_it_refuses_a_contact_or_project_of_another_client(
    cast: Cast, make_request: MakeRequest
) -> None:
    stranger = ContactFactory(client=cast.other_client)
    elsewhere = ProjectFactory(client=cast.other_client, manager=cast.outsider)
    with pytest.raises(ValidationError) as error:
        make_request(raised_by=stranger, project=elsewhere)
    assert field_of(error) == {"raised_by", "project"}
    assert not ClientRequest.objects.exists()


def test_it_refuses_answers_out_of_order(cast: Cast, make_request: MakeRequest) -> None:
    request = make_request(raised_at=FRIDAY_4PM)
    before = LogEntry.objects.count()
    with pytest.raises(ValidationError) as error:
        request_respond(actor=cast.owner, request=request, at=FRIDAY_4PM - dt.timedelta(hours=1))
    assert field_of(error) == {"first_response_at"}
    with pytest.raises(ValidationError) as error:
        request_resolve(actor=cast.owner, request=request, at=NOW)
    assert field_of(error) == {"resolved_at"}
    assert "first response" in str(error.value)
    with pytest.raises(ValidationError) as error:
        request_respond(actor=cast.owner, request=request, at=NOW + dt.timedelta(hours=2))
    assert field_of(error) == {"first_response_at"}

    request = request_respond(actor=cast.owner, request=request, at=paris(2026, 11, 23, 10))
    with pytest.raises(ValidationError) as error:
        request_resolve(actor=cast.owner, request=request, at=paris(2026, 11, 23, 9))
    assert field_of(error) == {"resolved_at"}
    request = request_resolve(actor=cast.owner, request=request, at=paris(2026, 11, 23, 10, 15))
    with pytest.raises(ValidationError) as error:
        request_respond(actor=cast.owner, request=request, at=paris(2026, 11, 23, 10, 20))
    assert field_of(error) == {"first_response_at"}
    # Only the two good writes left history.
    assert LogEntry.objects.count() == before + 2
    request.refresh_from_db()
    assert request.first_response_at == paris(2026, 11, 23, 10)
    assert request.version == 3


def test_it_corrects_the_time_of_the_first_response(cast: Cast, make_request: MakeRequest) -> None:
    request = make_request(priority="critical", raised_at=FRIDAY_4PM)
    request = request_respond(actor=cast.owner, request=request, at=paris(2026, 11, 23, 10, 30))
    assert request.response_minutes == 150
    request = request_respond(actor=cast.owner, request=request, at=paris(2026, 11, 23, 9, 30))
    assert (request.response_minutes, request.breached) == (90, False)


def test_it_keeps_the_policy_when_an_edit_names_another(
    cast: Cast, make_request: MakeRequest
) -> None:
    request = make_request()
    v1 = request.policy
    HealthPolicy.objects.filter(pk=v1.pk).update(active=False)
    v2 = HealthPolicy.objects.create(version=v1.version + 1, active=True, config=DEFAULT_CONFIG)
    updated = request_update(actor=cast.owner, request=request, fields={"policy": v2})
    assert updated.policy == v1
