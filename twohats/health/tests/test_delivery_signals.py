"""Delivery signals at their thresholds: SPI and CPI bands, milestone slippage, budget burn
against progress, pending change requests; a client's aggregate over its projects; the
relationship score apart from delivery; the policy's new keys.

The suite runs on SQLite and PostgreSQL, so both give the same readings for the same data."""

from __future__ import annotations

import copy
import datetime as dt
import importlib
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse

from twohats.health.models import HealthPolicy, HealthSnapshot
from twohats.health.policy import DEFAULT_CONFIG, Delivery, IndexBands, parse
from twohats.health.services import health_recompute, window_for
from twohats.health.signals import measure
from twohats.health.tests.reporting import change, milestone, report
from twohats.projects.models import Decision, Project, ProjectStatus
from twohats.test import Cast, ProjectFactory

DAY = dt.date(2026, 6, 30)
END = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)  # the end of DAY; the firm's zone is UTC in tests


@pytest.fixture(autouse=True)
def made_early() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2026, 1, 2, 9, tzinfo=dt.UTC), tick=False):
        yield


def readings(subject: str = "project") -> dict[int, dict[str, object]]:
    return measure(subject, window_for(DAY), HealthPolicy.objects.active().rules)  # type: ignore[return-value]


def reading(cast: Cast, name: str, subject: str = "project"):  # type: ignore[no-untyped-def]
    pk = cast.project.pk if subject == "project" else cast.client.pk
    return readings(subject).get(pk, {}).get(name)


def project_snapshot(project: Project) -> HealthSnapshot:
    health_recompute(date=DAY)
    return HealthSnapshot.objects.get(project=project, date=DAY)


# ---------------------------------------------------------------------------------------------
# SPI and CPI


@pytest.mark.parametrize(
    "ev,band,score,reason",
    [
        (96_000, "green", 100.0, None),
        (95_000, "green", 100.0, None),  # exactly the green threshold
        (94_500, "amber", 95.0, None),  # amber, but a small shortfall is not named
        (93_000, "amber", 80.0, "SPI 0.93 (amber below 0.95)"),
        (90_000, "amber", 50.0, "SPI 0.90 (amber below 0.95)"),  # exactly the amber threshold
        (89_000, "red", 40.0, "SPI 0.89 (red below 0.90)"),
        (86_000, "red", 10.0, "SPI 0.86 (red below 0.90)"),
        (80_000, "red", 0.0, "SPI 0.80 (red below 0.90)"),
    ],
)
def test_it_bands_and_scores_the_spi(
    cast: Cast, ev: int, band: str, score: float, reason: str | None
) -> None:
    report(cast.project, pv=100_000, ev=ev, ac=ev)  # CPI 1.00: only SPI falls short
    found = reading(cast, "delivery.spi")
    assert found.raw == ev / 100_000 and found.detail["band"] == band
    snap = project_snapshot(cast.project)
    assert snap.signals["delivery.spi"]["score"] == pytest.approx(score, abs=1e-6)
    spi_reasons = [text for text in snap.reasons if text.startswith("SPI")]
    assert spi_reasons == ([reason] if reason else [])


@pytest.mark.parametrize(
    "ac,band,reason",
    [
        (100_000, "green", None),
        (105_263, "green", None),  # CPI 0.950001
        (111_111, "amber", "CPI 0.90 (amber below 0.95)"),  # 0.900009
        (111_112, "red", "CPI 0.90 (red below 0.90)"),  # 0.899993: just below the amber line
        (112_000, "red", "CPI 0.89 (red below 0.90)"),
    ],
)
def test_it_bands_the_cpi(cast: Cast, ac: int, band: str, reason: str | None) -> None:
    report(cast.project, pv=100_000, ev=100_000, ac=ac)
    assert reading(cast, "delivery.cpi").detail["band"] == band
    snap = project_snapshot(cast.project)
    assert [text for text in snap.reasons if text.startswith("CPI")] == ([reason] if reason else [])


def test_it_reads_the_latest_current_report_on_or_before_the_date(cast: Cast) -> None:
    report(cast.project, on=dt.date(2026, 5, 31), pv=100_000, ev=70_000)
    latest = report(cast.project, on=dt.date(2026, 6, 30), pv=100_000, ev=92_000)
    report(cast.project, on=dt.date(2026, 7, 31), pv=100_000, ev=50_000)  # after the date
    assert reading(cast, "delivery.spi").raw == 0.92
    # A revision supersedes it: the revision is read.
    type(latest).objects.filter(pk=latest.pk).update(superseded_at=END)
    report(cast.project, on=dt.date(2026, 6, 30), pv=100_000, ev=97_000, revision=2)
    assert reading(cast, "delivery.spi").raw == 0.97


def test_it_leaves_an_index_out_when_it_is_not_defined(cast: Cast) -> None:
    report(cast.project, pv=0, ev=0, ac=0)
    found = readings().get(cast.project.pk, {})
    assert "delivery.spi" not in found and "delivery.cpi" not in found


def test_it_sums_a_client_s_projects_into_its_indices(cast: Cast) -> None:
    other = ProjectFactory(client=cast.client, manager=cast.owner, name="Ground tools")
    report(cast.project, pv=100_000, ev=66_000, ac=60_000)
    report(other, pv=100_000, ev=106_000, ac=140_000)
    spi = reading(cast, "delivery.spi", "client")
    cpi = reading(cast, "delivery.cpi", "client")
    assert spi.raw == 0.86 and spi.detail == {"band": "red", "limit": 0.90, "projects": 2}
    assert cpi.raw == 0.86  # 172 000 earned for 200 000 spent
    health_recompute(date=DAY)
    snap = HealthSnapshot.objects.get(client=cast.client, project=None, date=DAY)
    assert "SPI 0.86 over 2 projects (red below 0.90)" in snap.reasons


def test_it_leaves_out_projects_no_longer_live(cast: Cast) -> None:
    done = ProjectFactory(
        client=cast.client,
        manager=cast.owner,
        end_date=dt.date(2026, 5, 1),
        status=ProjectStatus.COMPLETED,
    )
    report(done, on=dt.date(2026, 4, 30), pv=100_000, ev=50_000)
    report(cast.project, pv=100_000, ev=100_000)
    assert reading(cast, "delivery.spi", "client").raw == 1.0


# ---------------------------------------------------------------------------------------------
# Milestones


@pytest.mark.parametrize(
    "planned,forecast,done,days,reason",
    [
        (dt.date(2026, 6, 30), None, None, 0, None),  # due today: not late yet
        (dt.date(2026, 6, 29), None, None, 1, None),  # a day late: too small to name
        (dt.date(2026, 6, 26), None, None, 4, "milestone 'Design review' 4 days late"),
        (dt.date(2026, 6, 9), None, None, 21, "milestone 'Design review' 21 days late"),
        (
            dt.date(2026, 7, 10),
            dt.date(2026, 7, 20),
            None,
            10,
            "milestone 'Design review' forecast 10 days late",
        ),
        (dt.date(2026, 6, 9), dt.date(2026, 7, 9), None, 30, None),  # forecast beyond today
        (dt.date(2026, 5, 1), None, dt.date(2026, 5, 20), 0, None),  # done, late: not open
        (dt.date(2026, 6, 20), None, dt.date(2026, 7, 5), 10, None),  # done after the date
    ],
)
def test_it_measures_the_worst_milestone_slippage(
    cast: Cast,
    planned: dt.date,
    forecast: dt.date | None,
    done: dt.date | None,
    days: int,
    reason: str | None,
) -> None:
    milestone(cast.project, "Design review", planned, forecast=forecast, done=done)
    milestone(cast.project, "Kick-off", dt.date(2026, 1, 20), done=dt.date(2026, 1, 20))
    assert reading(cast, "delivery.milestone_slippage_days").raw == days
    snap = project_snapshot(cast.project)
    named = [text for text in snap.reasons if text.startswith("milestone")]
    if reason or days < 4:
        assert named == ([reason] if reason else [])
    score = snap.signals["delivery.milestone_slippage_days"]["score"]
    assert score == pytest.approx(100 * max(0, 30 - days) / 30)


def test_it_names_the_worst_milestone_and_counts_the_others(cast: Cast) -> None:
    other = ProjectFactory(client=cast.client, manager=cast.owner, name="Ground tools")
    milestone(cast.project, "Design review", dt.date(2026, 6, 9))
    milestone(other, "Data migration", dt.date(2026, 6, 1))
    milestone(other, "Training", dt.date(2026, 6, 25))
    milestone(other, "Go-live", dt.date(2026, 9, 1))
    assert reading(cast, "delivery.milestone_slippage_days").raw == 21
    client = reading(cast, "delivery.milestone_slippage_days", "client")
    assert client.raw == 29
    assert client.detail == {
        "milestone": "Data migration",
        "project": "Ground tools",
        "forecast": False,
        "late": 3,
    }
    health_recompute(date=DAY)
    snap = HealthSnapshot.objects.get(client=cast.client, project=None, date=DAY)
    assert "milestone 'Data migration' of Ground tools 29 days late; 2 more milestones late" in (
        snap.reasons
    )


def test_it_has_no_slippage_reading_without_milestones(cast: Cast) -> None:
    assert reading(cast, "delivery.milestone_slippage_days") is None


# ---------------------------------------------------------------------------------------------
# Budget burn against progress


@pytest.mark.parametrize(
    "ac,complete,gap,reason",
    [
        (100_000, 40, 0.0, None),  # 40 % spent at 40 % complete
        (112_500, 40, 0.05, None),  # 45 % at 40 %: the policy's 5 points
        (
            150_000,
            45,
            0.15,
            "60 % of the budget spent for 45 % of the work; policy: spending at most 5 points "
            "ahead of progress",
        ),
        (50_000, 40, -0.2, None),  # behind on spending: fine
    ],
)
def test_it_compares_budget_burn_with_progress(
    cast: Cast, ac: int, complete: int, gap: float, reason: str | None
) -> None:
    report(cast.project, pv=100_000, ev=100_000, ac=ac, complete=complete)  # BAC 250 000
    assert reading(cast, "delivery.burn_vs_progress").raw == pytest.approx(gap)
    snap = project_snapshot(cast.project)
    assert [t for t in snap.reasons if "of the budget" in t] == ([reason] if reason else [])


def test_it_weighs_a_client_s_burn_by_budget(cast: Cast) -> None:
    small = ProjectFactory(client=cast.client, manager=cast.owner, budget=50_000)
    report(cast.project, ac=125_000, complete=40)  # 50 % spent of 250 000, 40 % done
    report(small, ac=10_000, complete=80)  # 20 % spent of 50 000, 80 % done
    found = reading(cast, "delivery.burn_vs_progress", "client")
    # (135 000 − (100 000 + 40 000)) / 300 000
    assert found.raw == pytest.approx(-5_000 / 300_000, abs=1e-6)


# ---------------------------------------------------------------------------------------------
# Pending change requests


@pytest.mark.parametrize(
    "age,stale",
    [
        (dt.timedelta(days=14), 0),  # exactly the limit at the end of the day: not older
        (dt.timedelta(days=14, seconds=1), 1),
        (dt.timedelta(days=30), 1),
    ],
)
def test_it_counts_change_requests_pending_past_the_limit(
    cast: Cast, age: dt.timedelta, stale: int
) -> None:
    change(cast.project, cast.contact, END - age)
    change(cast.project, cast.contact, END - dt.timedelta(days=3))  # recent
    change(cast.project, cast.contact, END - dt.timedelta(days=40), decision=Decision.BILLED)
    assert reading(cast, "delivery.pending_changes").raw == stale
    snap = project_snapshot(cast.project)
    words = [t for t in snap.reasons if "change request" in t]
    if stale:
        assert words == [
            f"1 change request pending for over 14 days, the oldest for {age.days} days"
        ]
        assert snap.signals["delivery.pending_changes"]["score"] == pytest.approx(100 * 2 / 3)


def test_it_counts_a_change_decided_after_the_date_as_pending_then(cast: Cast) -> None:
    change(
        cast.project,
        cast.contact,
        END - dt.timedelta(days=20),
        decision=Decision.ABSORBED,
        decided_at=END + dt.timedelta(days=2),
    )
    assert reading(cast, "delivery.pending_changes").raw == 1


def test_it_follows_the_policy_s_limit(cast: Cast) -> None:
    change(cast.project, cast.contact, END - dt.timedelta(days=10))
    assert reading(cast, "delivery.pending_changes").raw == 0
    policy = HealthPolicy.objects.active()
    config = copy.deepcopy(policy.config) | {"delivery": {"pending_change_days": 7}}
    HealthPolicy.objects.filter(pk=policy.pk).update(config=config)
    assert reading(cast, "delivery.pending_changes").raw == 1


# ---------------------------------------------------------------------------------------------
# The delivery dimension, and relationship health apart from it


def test_it_leaves_delivery_out_of_a_project_without_delivery_records(cast: Cast) -> None:
    snap = project_snapshot(cast.project)
    assert snap.dimensions["delivery"] is None
    assert {"delivery.spi", "delivery.cpi", "delivery.pending_changes"} <= set(snap.missing)


def test_it_scores_relationship_health_without_delivery(cast: Cast) -> None:
    report(cast.project, pv=100_000, ev=80_000, ac=100_000, complete=32)
    snap = project_snapshot(cast.project)
    policy = HealthPolicy.objects.active().rules
    assert snap.dimensions["delivery"] is not None
    others = {
        name: score
        for name, score in snap.dimensions.items()
        if name != "delivery" and score is not None
    }
    weights = {name: policy.dimensions[name].weight for name in others}
    expected = sum(others[n] * weights[n] for n in others) / sum(weights.values())
    assert snap.relationship == pytest.approx(expected, abs=1e-6)
    delivery = snap.dimensions["delivery"]
    assert snap.overall is not None and snap.overall != snap.relationship
    assert min(delivery, expected) < snap.overall < max(delivery, expected)


# ---------------------------------------------------------------------------------------------
# The policy


def before_delivery(**weights: float) -> dict[str, Any]:
    """The default policy as it was before delivery (and voice) joined it."""
    old = copy.deepcopy(DEFAULT_CONFIG)
    del old["dimensions"]["delivery"], old["dimensions"]["voice"]
    first = {"presence": 25, "coverage": 25, "responsiveness": 20, "sentiment": 20, "growth": 10}
    for name, weight in (first | weights).items():
        old["dimensions"][name]["weight"] = weight
    return old


def test_it_loads_a_policy_stored_before_delivery_with_the_defaults() -> None:
    old = before_delivery()
    policy = parse(old)
    assert policy.delivery == Delivery()
    assert policy.delivery.spi == IndexBands(green_at=0.95, amber_at=0.90)
    assert policy.delivery.pending_change_days == 14
    assert (policy.rules.divergence_red_below, policy.rules.divergence_green_at) == (50, 70)
    assert policy.rules.native_absorbed_count == 3
    assert policy.rules.native_absorbed_share == 0.05
    # The migration adds delivery to such a policy, the others keeping their proportions.
    migration = importlib.import_module("twohats.health.migrations.0004_delivery")
    added = parse(migration.with_delivery(old))
    assert {name: d.weight for name, d in added.dimensions.items()} == {
        "delivery": 20,
        "presence": 25,
        "coverage": 20,
        "responsiveness": 15,
        "sentiment": 10,
        "growth": 10,
    }
    custom = copy.deepcopy(old)
    custom["dimensions"]["presence"]["weight"] = 35
    custom["dimensions"]["growth"]["weight"] = 0
    scaled = parse(migration.with_delivery(custom))
    assert scaled.dimensions["presence"].weight == 28 and scaled.dimensions["delivery"].weight == 20


@pytest.mark.parametrize(
    "change_config,message",
    [
        ({"delivery": {"spi": {"green_at": 0.9, "amber_at": 0.95}}}, "amber threshold"),
        ({"delivery": {"pending_change_days": 0}}, "greater than 0"),
        (
            {"rules": {"divergence_red_below": 70, "divergence_green_at": 60}},
            "divergence red threshold must be below",
        ),
    ],
)
def test_it_refuses_unordered_delivery_thresholds(
    change_config: dict[str, object], message: str
) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=message):
        parse(copy.deepcopy(DEFAULT_CONFIG) | change_config)


def test_it_edits_the_delivery_keys_on_the_policy_page(client: Browser, cast: Cast) -> None:
    from twohats.health.tests.test_policy_page import current_values

    client.force_login(cast.admin)
    page = client.get(reverse("health:policy")).content.decode()
    for name in (
        "dimensions__delivery__signals__spi__good",
        "delivery__spi__green_at",
        "delivery__cpi__amber_at",
        "delivery__pending_change_days",
        "rules__divergence_red_below",
        "rules__native_absorbed_share",
    ):
        assert f'name="{name}"' in page, name
    data = current_values(client) | {
        "note": "Tighter change control",
        "delivery__pending_change_days": 10,
        "delivery__spi__green_at": 0.97,
    }
    assert client.post(reverse("health:policy"), data).status_code == 302
    rules = HealthPolicy.objects.active().rules
    assert rules.delivery.pending_change_days == 10 and rules.delivery.spi.green_at == 0.97
    bad = data | {"note": "x", "delivery__cpi__amber_at": 0.99}
    response = client.post(reverse("health:policy"), bad)
    assert response.status_code == 400
    assert "delivery → cpi: the amber threshold must be below the green one" in (
        response.content.decode()
    )


def test_it_publishes_delivery_as_a_new_version_of_a_policy_without_it(db: None) -> None:
    """What the migration does to an installation whose active policy predates delivery."""
    from django.apps import apps

    migration = importlib.import_module("twohats.health.migrations.0004_delivery")
    old = before_delivery(presence=45, coverage=20, responsiveness=15, sentiment=10)
    policy = HealthPolicy.objects.active()
    HealthPolicy.objects.filter(pk=policy.pk).update(config=old)
    migration.add_delivery(apps, None)
    active = HealthPolicy.objects.active()
    assert active.version == policy.version + 1
    assert active.rules.dimensions["delivery"].weight == 20
    assert active.rules.dimensions["presence"].weight == 36  # 45 of 100 becomes 36 of 80
    assert not HealthPolicy.objects.get(pk=policy.pk).active
    migration.add_delivery(apps, None)  # once only
    assert HealthPolicy.objects.count() == 2
