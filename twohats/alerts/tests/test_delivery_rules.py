"""The delivery rules at their thresholds, with frozen time: delivery and relationship health
diverging, change requests pending past the policy's limit, and absorbed change requests
raising the going-native severity."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from twohats.alerts.models import Alert, Rule, Severity, Status
from twohats.alerts.rules import alerts_evaluate
from twohats.health.models import HealthPolicy, HealthSnapshot
from twohats.health.services import health_recompute
from twohats.health.tests.reporting import change, report
from twohats.people.models import WorkdayLocation
from twohats.projects.models import ChangeRequest, Decision, Project, ProjectStatus
from twohats.test import Cast, ProjectFactory

NOW = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    """Records are made long before; the rules run as of NOW."""
    with time_machine.travel(NOW - dt.timedelta(days=400), tick=False):
        yield


def fired(rule: str) -> list[Alert]:
    alerts_evaluate(now=NOW)
    return list(
        Alert.objects.filter(rule=rule).exclude(status=Status.RESOLVED).order_by("subject_key")
    )


# ---------------------------------------------------------------------------------------------
# Divergence


def snapshot(
    cast: Cast,
    *,
    delivery: float | None,
    relationship: float | None,
    project: Project | None = None,
    spi: float | None = 0.86,
) -> HealthSnapshot:
    policy = HealthPolicy.objects.active()
    signals: dict[str, Any] = {}
    if spi is not None:
        signals["delivery.spi"] = {"raw": spi, "score": 10.0, "weight": 30}
    signals["delivery.pending_changes"] = {"raw": 1.0, "score": 66.7, "weight": 10}
    return HealthSnapshot.objects.create(
        date=TODAY,
        client=cast.client,
        project=project,
        policy=policy,
        overall=None if delivery is None else (delivery + (relationship or 0)) / 2,
        band="amber",
        relationship=relationship,
        dimensions={"delivery": delivery, "presence": relationship},
        signals=signals,
    )


@pytest.mark.parametrize(
    "delivery,relationship,fires",
    [
        (49.99, 70.0, True),  # red below 50, green at 70
        (50.0, 70.0, False),  # delivery exactly at the red line: amber
        (49.99, 69.99, False),  # relationship just short of green
        (10.0, 95.0, True),
    ],
)
def test_it_warns_when_delivery_is_red_and_the_relationship_green(
    cast: Cast, delivery: float, relationship: float, fires: bool
) -> None:
    snapshot(cast, delivery=delivery, relationship=relationship, project=cast.project)
    alerts = fired(Rule.DELIVERY_DIVERGES)
    assert bool(alerts) is fires
    assert fired(Rule.RELATIONSHIP_DIVERGES) == []
    if fires:
        [alert] = alerts
        assert alert.subject_key == f"project:{cast.project.pk}"
        assert (alert.project, alert.client, alert.owner) == (
            cast.project,
            cast.client,
            cast.owner,
        )
        assert alert.title == (
            f"Cabin software: delivery red ({delivery:.0f}) while the relationship is green "
            f"({relationship:.0f})"
        )
        assert alert.evidence["delivery_score"] == delivery
        assert alert.evidence["relationship_score"] == relationship
        assert alert.evidence["delivery_signals"] == {"spi": 0.86, "pending_changes": 1.0}
        assert alert.severity == (
            Severity.HIGH if relationship - delivery >= 50 else Severity.MEDIUM
        )
        assert "Check the change ledger: is goodwill being bought with absorbed changes?" in (
            alert.playbook
        )


@pytest.mark.parametrize(
    "delivery,relationship,fires",
    [(70.0, 49.99, True), (69.99, 49.99, False), (70.0, 50.0, False)],
)
def test_it_warns_when_the_relationship_is_red_and_delivery_green(
    cast: Cast, delivery: float, relationship: float, fires: bool
) -> None:
    snapshot(cast, delivery=delivery, relationship=relationship, spi=1.02)
    alerts = fired(Rule.RELATIONSHIP_DIVERGES)
    assert bool(alerts) is fires
    if fires:
        [alert] = alerts
        assert alert.subject_key == f"client:{cast.client.pk}" and alert.project is None
        assert alert.title == "Aerolux: relationship red (50) while delivery is green (70)"
        assert alert.owner == cast.owner and alert.severity == Severity.MEDIUM


def test_it_needs_an_spi_or_a_cpi_behind_delivery(cast: Cast) -> None:
    snapshot(cast, delivery=100.0, relationship=20.0, spi=None)  # only pending changes measured
    assert fired(Rule.RELATIONSHIP_DIVERGES) == []


def test_it_leaves_out_the_client_when_its_project_has_the_alert(cast: Cast) -> None:
    snapshot(cast, delivery=20.0, relationship=80.0, project=cast.project)
    snapshot(cast, delivery=30.0, relationship=75.0)
    other = Project.objects.create(
        client=cast.other_client,
        manager=cast.outsider,
        name="Core banking",
        start_date=dt.date(2026, 1, 5),
        end_date=dt.date(2026, 12, 18),
    )
    HealthSnapshot.objects.create(
        date=TODAY,
        client=cast.other_client,
        policy=HealthPolicy.objects.active(),
        band="amber",
        relationship=80.0,
        dimensions={"delivery": 20.0},
        signals={"delivery.cpi": {"raw": 0.8, "score": 0, "weight": 30}},
    )
    keys = [alert.subject_key for alert in fired(Rule.DELIVERY_DIVERGES)]
    assert keys == sorted([f"project:{cast.project.pk}", f"client:{cast.other_client.pk}"])
    assert other.pk  # its own project has no snapshot: the client's alert stands


def test_it_reads_the_latest_snapshots_and_clears_when_they_converge(cast: Cast) -> None:
    old = snapshot(cast, delivery=20.0, relationship=80.0)
    HealthSnapshot.objects.filter(pk=old.pk).update(date=TODAY - dt.timedelta(days=1))
    assert len(fired(Rule.DELIVERY_DIVERGES)) == 1  # the latest date is yesterday's
    snapshot(cast, delivery=60.0, relationship=80.0)
    assert fired(Rule.DELIVERY_DIVERGES) == []
    assert Alert.objects.get(rule=Rule.DELIVERY_DIVERGES).status == Status.RESOLVED


def test_it_finds_divergence_from_a_computed_snapshot(cast: Cast) -> None:
    """End to end: a project on budget and on time with a relationship gone cold."""
    with time_machine.travel(NOW, tick=False):
        report(cast.project, on=TODAY, pv=100_000, ev=100_000, ac=95_000, complete=40)
        health_recompute(date=TODAY)
    snap = HealthSnapshot.objects.get(project=cast.project, date=TODAY)
    assert snap.dimensions["delivery"] == 100.0
    assert snap.relationship is not None and snap.relationship < 50
    [alert] = fired(Rule.RELATIONSHIP_DIVERGES)
    assert alert.project == cast.project
    assert alert.evidence["delivery_signals"]["spi"] == 1.0


# ---------------------------------------------------------------------------------------------
# Pending change requests


@pytest.mark.parametrize(
    "age,severity",
    [
        (dt.timedelta(days=14), None),  # exactly the limit: not older than it
        (dt.timedelta(days=14, seconds=1), Severity.MEDIUM),
        (dt.timedelta(days=28), Severity.MEDIUM),
        (dt.timedelta(days=29), Severity.HIGH),  # over twice the limit
    ],
)
def test_it_warns_of_a_change_request_pending_past_the_limit(
    cast: Cast, age: dt.timedelta, severity: int | None
) -> None:
    change(cast.project, cast.contact, NOW - age, value=12_000)
    change(cast.project, cast.contact, NOW - dt.timedelta(days=3))
    change(cast.project, cast.contact, NOW - dt.timedelta(days=60), decision=Decision.BILLED)
    alerts = fired(Rule.PENDING_CHANGE)
    assert [a.severity for a in alerts] == ([severity] if severity else [])
    if severity:
        [alert] = alerts
        assert alert.title == "Cabin software: 1 change request pending for over 14 days"
        assert (alert.project, alert.client, alert.owner) == (
            cast.project,
            cast.client,
            cast.owner,
        )
        assert alert.evidence["count"] == 1 and alert.evidence["value"] == 12_000
        assert alert.evidence["oldest_days"] == age.days
        assert alert.playbook[0].startswith("Decide each change with the client")


def test_it_resolves_the_alert_once_the_change_is_decided(cast: Cast) -> None:
    stale = change(cast.project, cast.contact, NOW - dt.timedelta(days=20))
    assert len(fired(Rule.PENDING_CHANGE)) == 1
    ChangeRequest.objects.filter(pk=stale.pk).update(
        decision=Decision.BILLED, decided_by=cast.owner, decided_at=NOW
    )
    assert fired(Rule.PENDING_CHANGE) == []


def test_it_follows_the_policy_s_pending_limit_and_skips_closed_projects(cast: Cast) -> None:
    change(cast.project, cast.contact, NOW - dt.timedelta(days=10))
    closed = ProjectFactory(client=cast.client, manager=cast.owner, status=ProjectStatus.COMPLETED)
    change(closed, cast.contact, NOW - dt.timedelta(days=60))
    assert fired(Rule.PENDING_CHANGE) == []
    policy = HealthPolicy.objects.active()
    HealthPolicy.objects.filter(pk=policy.pk).update(
        config=policy.config | {"delivery": {"pending_change_days": 7}}
    )
    [alert] = fired(Rule.PENDING_CHANGE)
    assert alert.project == cast.project and alert.evidence["policy_days"] == 7


# ---------------------------------------------------------------------------------------------
# Going native, raised by absorbed change requests

WINDOW_START = dt.datetime(2026, 5, 6, tzinfo=dt.UTC)  # 8 weeks ending on 30 June


def on_site(cast: Cast) -> None:
    """33 of the 40 workdays of 8 weeks at the client's site, none at the office since: the
    rule fires, at medium severity."""
    first = TODAY - dt.timedelta(weeks=8) + dt.timedelta(days=1)
    assert first == WINDOW_START.date()
    span = [first + dt.timedelta(days=n) for n in range((TODAY - first).days + 1)]
    days = [day for day in span if day.weekday() < 5]
    WorkdayLocation.objects.bulk_create(
        WorkdayLocation(user=cast.owner, date=day, kind="home_office")
        if n < 7
        else WorkdayLocation(user=cast.owner, date=day, kind="client_site", client=cast.client)
        for n, day in enumerate(days)
    )


def absorb(cast: Cast, decided_at: dt.datetime, value: int = 1_000) -> None:
    change(
        cast.project,
        cast.contact,
        decided_at - dt.timedelta(days=2),
        decision=Decision.ABSORBED,
        decided_at=decided_at,
        value=value,
    )


@pytest.mark.parametrize(
    "absorbed,severity",
    [
        ([], Severity.MEDIUM),
        ([1_000, 1_000], Severity.MEDIUM),  # 2 absorbed, 0.8 % of the budget
        ([1_000, 1_000, 1_000], Severity.HIGH),  # the policy's count: 3
        ([12_499], Severity.MEDIUM),  # just under 5 % of the 250 000 budget
        ([12_500], Severity.HIGH),  # 5 %: the policy's share
    ],
)
def test_it_raises_going_native_with_absorbed_change_requests(
    cast: Cast, absorbed: list[int], severity: int
) -> None:
    on_site(cast)
    for n, value in enumerate(absorbed):
        absorb(cast, NOW - dt.timedelta(days=n + 1), value)
    [alert] = fired(Rule.GOING_NATIVE)
    assert alert.severity == severity
    assert alert.evidence["absorbed_changes"] == len(absorbed)
    assert alert.evidence["absorbed_value"] == sum(absorbed)
    converts = "Convert the absorbed change into a billed change request" in alert.playbook
    assert converts is (severity == Severity.HIGH)


def test_it_counts_only_changes_absorbed_in_the_window(cast: Cast) -> None:
    on_site(cast)
    for _ in range(3):
        absorb(cast, WINDOW_START - dt.timedelta(seconds=1))
    [alert] = fired(Rule.GOING_NATIVE)
    assert alert.severity == Severity.MEDIUM and alert.evidence["absorbed_changes"] == 0
    for _ in range(3):
        absorb(cast, WINDOW_START)
    [alert] = fired(Rule.GOING_NATIVE)
    assert alert.severity == Severity.HIGH and alert.evidence["absorbed_changes"] == 3


def test_it_does_not_warn_of_going_native_for_absorbed_changes_alone(cast: Cast) -> None:
    for n in range(5):
        absorb(cast, NOW - dt.timedelta(days=n + 1), 50_000)
    assert fired(Rule.GOING_NATIVE) == []
