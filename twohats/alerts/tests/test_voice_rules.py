"""The voice rule with frozen time: a detractor's response (0–6) or a contact's score falling by
two points or more opens an alert for the account lead with the call-back step and the verbatim
reason; a promoter, a small dip or an old response does not; the contact's latest response
decides; a later good score clears it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine

from twohats.alerts.models import Alert, Rule, Severity, Status
from twohats.alerts.rules import alerts_evaluate
from twohats.surveys.tests.factories import nps_response
from twohats.test import Cast, ContactFactory, ProjectFactory, UserFactory

NOW = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    """Records are made long before; the rules run as of NOW."""
    with time_machine.travel(NOW - dt.timedelta(days=400), tick=False):
        yield


def ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def fired(now: dt.datetime = NOW) -> list[Alert]:
    alerts_evaluate(now=now)
    return list(
        Alert.objects.filter(rule=Rule.DETRACTOR)
        .exclude(status=Status.RESOLVED)
        .order_by("subject_key")
    )


@pytest.mark.parametrize(
    "score,severity",
    [(0, Severity.HIGH), (4, Severity.HIGH), (5, Severity.MEDIUM), (6, Severity.MEDIUM)],
)
def test_it_alerts_the_account_lead_on_a_detractor(cast: Cast, score: int, severity: int) -> None:
    nps_response(cast.project, cast.contact, score, reason="Deadlines <b>slip</b>", at=ago(3))
    [alert] = fired()
    assert alert.owner_id == cast.owner.pk and alert.client_id == cast.client.pk
    assert alert.subject_key == f"contact:{cast.contact.pk}"
    assert alert.severity == severity
    assert alert.title == f"Aerolux: Marie Curie scored {score}/10 (a detractor)"
    assert alert.playbook[0] == "Call the contact within 2 business days"
    assert alert.evidence["reason"] == "Deadlines <b>slip</b>"
    assert alert.evidence["nps"] == score and alert.evidence["previous"] is None
    assert alert.evidence["project"] == "Cabin software"


@pytest.mark.parametrize("score", [7, 8, 9, 10])
def test_it_leaves_passives_and_promoters_alone(cast: Cast, score: int) -> None:
    nps_response(cast.project, cast.contact, score, at=ago(3))
    assert fired() == []


@pytest.mark.parametrize("before,after,fires", [(10, 8, True), (9, 7, True), (10, 9, False)])
def test_it_alerts_on_a_fall_of_two_points_or_more(
    cast: Cast, before: int, after: int, fires: bool
) -> None:
    nps_response(cast.project, cast.contact, before, at=ago(100))
    nps_response(cast.project, cast.contact, after, reason="Less attentive lately", at=ago(2))
    alerts = fired()
    assert bool(alerts) == fires
    if fires:
        [alert] = alerts
        assert alert.title == f"Aerolux: Marie Curie scored {after}/10, down from {before}"
        assert alert.severity == Severity.MEDIUM
        assert alert.evidence["previous"] == before
        assert alert.evidence["reason"] == "Less attentive lately"


def test_it_reads_only_recent_responses_and_each_contact_s_latest(cast: Cast) -> None:
    nps_response(cast.project, cast.contact, 2, at=ago(31))  # older than 30 days
    assert fired() == []
    other = ContactFactory.create(client=cast.client, first_name="Ada", last_name="Byron")
    nps_response(cast.project, other, 3, at=ago(10))
    nps_response(cast.project, other, 9, at=ago(5))  # recovered: the latest decides
    assert fired() == []


def test_it_clears_when_a_later_score_is_good(cast: Cast) -> None:
    nps_response(cast.project, cast.contact, 3, at=ago(10))
    assert len(fired(ago(9))) == 1
    nps_response(cast.project, cast.contact, 9, at=ago(5))
    assert fired() == []
    assert Alert.objects.get(rule=Rule.DETRACTOR).status == Status.RESOLVED


def test_it_opens_one_alert_per_contact_in_a_fixed_number_of_queries(cast: Cast) -> None:
    from twohats.alerts.rules import Context, accounts
    from twohats.alerts.voice import detractors
    from twohats.health.policy import Rules
    from twohats.test import count_queries

    ctx = Context(now=NOW, today=NOW.date(), rules=Rules(), accounts=accounts())
    nps_response(cast.project, cast.contact, 1, at=ago(3))
    one = count_queries(lambda: detractors(ctx))
    lead = UserFactory.create()
    for _ in range(5):
        contact = ContactFactory.create(client=cast.client)
        project = ProjectFactory.create(client=cast.client, manager=lead)
        nps_response(project, contact, 5, at=ago(4))
    ctx = Context(now=NOW, today=NOW.date(), rules=Rules(), accounts=accounts())
    assert count_queries(lambda: detractors(ctx)) == one
    assert len(detractors(ctx)[Rule.DETRACTOR]) == 6
