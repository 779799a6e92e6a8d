"""Health signals measured in SQL, checked against a hand-built account with known numbers.

The same assertions run on SQLite and PostgreSQL (the suite runs on both), so both databases
give the same scores for the same data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from twohats.health.models import HealthPolicy, HealthSnapshot
from twohats.health.services import health_backfill, health_prune, health_recompute
from twohats.interactions.models import ClientRequest
from twohats.test import (
    Cast,
    ContactFactory,
    InteractionFactory,
    OpportunityFactory,
)

DAY = dt.date(2026, 6, 30)
END = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)  # the firm's zone is UTC in the tests


def ago(days: float) -> dt.datetime:
    return END - dt.timedelta(days=days)


def request(cast: Cast, raised_days_ago: float, ratio: float | None, overdue: bool = False):  # type: ignore[no-untyped-def]
    raised = ago(raised_days_ago)
    policy = HealthPolicy.objects.active()
    answered = ratio is not None
    return ClientRequest.objects.create(
        client=cast.client,
        project=cast.project,
        channel="written",
        priority="normal",
        subject="A question",
        raised_at=raised,
        owner=cast.owner,
        logged_by=cast.owner,
        policy=policy,
        sla_minutes=960,
        due_at=raised + dt.timedelta(days=2) if not overdue else raised + dt.timedelta(hours=1),
        first_response_at=raised + dt.timedelta(hours=3) if answered else None,
        response_minutes=round(960 * ratio) if answered else None,
        breached=(ratio > 1) if answered else None,
    )


@pytest.fixture(autouse=True)
def records_made_long_before() -> object:
    """The cast and the account exist well before the dates computed."""
    with time_machine.travel(ago(300), tick=False) as traveller:
        yield traveller


@pytest.fixture
def account(cast: Cast) -> Cast:
    """Aerolux as of 30 June 2026: a known set of numbers on every signal."""
    powerful = [ContactFactory(client=cast.client, power=5, interest=3) for _ in range(4)]
    cast.contact.power = 4  # Marie Curie: the fifth powerful contact
    cast.contact.save()
    cast.client.primary_contact = cast.contact
    cast.client.save()
    cast.interaction.delete()
    # Presence: last face to face 41 days ago; three video calls in the last 30 days.
    InteractionFactory(client=cast.client, logged_by=cast.owner, occurred_at=ago(41), sentiment=1)
    for days, mood in ((5, -1), (12, 0), (20, -1)):
        meeting = InteractionFactory(
            client=cast.client,
            project=cast.project,
            logged_by=cast.owner,
            occurred_at=ago(days),
            channel="video",
            location="home_office",
            sentiment=mood,
        )
        meeting.contacts.add(powerful[0], powerful[1])
    # Two earlier interactions, between 30 and 90 days ago, both positive.
    for days in (50, 70):
        InteractionFactory(
            client=cast.client,
            logged_by=cast.owner,
            occurred_at=ago(days),
            channel="phone",
            location="home_office",
            sentiment=2,
        )
    # Responsiveness: three answered (¼, ½ and twice the SLA) and one overdue and unanswered.
    request(cast, 10, 0.25)
    request(cast, 20, 0.5)
    request(cast, 30, 2.0)
    request(cast, 3, None, overdue=True)
    request(cast, 120, 5.0)  # too old to count
    # Growth: 50,000 weighted open pipeline, 40,000 won this year, 300,000 of active budgets.
    cast.project.budget = Decimal(300_000)
    cast.project.start_date, cast.project.end_date = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    cast.project.save()
    cast.opportunity.delete()
    OpportunityFactory(
        client=cast.client,
        identified_by=cast.owner,
        identified_on=dt.date(2026, 5, 1),
        value=Decimal(100_000),
        probability=50,
        stage="proposal",
    )
    OpportunityFactory(
        client=cast.client,
        identified_by=cast.owner,
        identified_on=dt.date(2026, 1, 5),
        value=Decimal(40_000),
        probability=100,
        stage="won",
        closed_on=dt.date(2026, 2, 1),
    )
    return cast


def client_snapshot(cast: Cast) -> HealthSnapshot:
    return HealthSnapshot.objects.get(client=cast.client, project=None, date=DAY)


@time_machine.travel(END, tick=False)
def test_it_measures_every_signal_of_an_account(account: Cast) -> None:
    health_recompute(date=DAY)
    snap = client_snapshot(account)
    raw = {name: values["raw"] for name, values in snap.signals.items()}
    assert raw == {
        "presence.days_since_face_to_face": 41.0,
        "presence.interactions_30d": 3.0,
        "coverage.high_power_engaged_share": 0.4,
        "coverage.engaged_contacts_90d": 2.0,
        "coverage.representative_continuity": 0.5,
        "responsiveness.median_response_vs_sla": 0.5,
        "responsiveness.breach_share_90d": 0.5,
        "sentiment.mean_90d": pytest.approx((1 - 1 + 0 - 1 + 2 + 2) / 6, abs=1e-6),
        "sentiment.trend_30d": pytest.approx(-2 / 3 - 5 / 3, abs=1e-6),
        "growth.pipeline_vs_budget": 0.3,
    }
    # Every relationship signal has data; delivery has none (no status report), nor voice (no
    # survey response).
    assert [name for name in snap.missing if not name.startswith(("delivery.", "voice."))] == []
    assert "no face-to-face meeting in 41 days; policy 30" in snap.reasons
    assert "2 of 5 high-power contacts engaged in 90 days; policy 80 %" in snap.reasons
    assert "2 of 4 requests in 90 days breached their SLA; policy 5 %" in snap.reasons
    assert "the primary representative was not engaged in 90 days" in snap.reasons


@time_machine.travel(END, tick=False)
def test_it_scores_with_the_policy_weights(account: Cast) -> None:
    health_recompute(date=DAY)
    snap = client_snapshot(account)
    presence = 0.6 * (100 * (60 - 41) / 30) + 0.4 * (100 * (3 - 1) / 7)
    coverage = 0.5 * (100 * (0.4 - 0.2) / 0.6) + 0.3 * (100 * 1 / 4) + 0.2 * 50
    responsiveness = 0.5 * 100 + 0.5 * 0
    mean = (1 - 1 + 0 - 1 + 2 + 2) / 6
    sentiment = 0.6 * (100 * (mean + 0.5) / 1.5) + 0.4 * 0
    growth = 100.0
    assert snap.dimensions == pytest.approx(
        {
            "delivery": None,  # no status report, milestone or change request: left out
            "voice": None,  # no survey response: left out
            "presence": presence,
            "coverage": coverage,
            "responsiveness": responsiveness,
            "sentiment": sentiment,
            "growth": growth,
        },
        abs=1e-5,
    )
    overall = 25 * presence + 20 * coverage + 15 * responsiveness + 10 * sentiment + 10 * growth
    # Delivery's and voice's weights spread: the others keep the proportions of 25, 20, 15, 10, 10.
    assert snap.overall == pytest.approx(overall / 80, abs=1e-5)
    assert snap.relationship == snap.overall  # without delivery, the same
    assert snap.band == "red" if overall / 80 < 50 else "amber"


@time_machine.travel(END, tick=False)
def test_it_spreads_the_weight_of_signals_without_data(cast: Cast) -> None:
    health_recompute(date=DAY)
    snap = client_snapshot(cast)
    assert "responsiveness.breach_share_90d" in snap.missing
    assert snap.dimensions["responsiveness"] is None
    assert snap.overall is not None


@time_machine.travel(END, tick=False)
def test_it_is_idempotent_and_catches_up_with_new_data(account: Cast) -> None:
    health_recompute(date=DAY)
    first = client_snapshot(account)
    health_recompute(date=DAY)
    assert HealthSnapshot.objects.filter(date=DAY, project=None).count() == 2  # two clients
    again = client_snapshot(account)
    assert (again.overall, again.signals) == (first.overall, first.signals)
    InteractionFactory(client=account.client, logged_by=account.owner, occurred_at=ago(2))
    health_recompute(date=DAY)
    assert client_snapshot(account).signals["presence.days_since_face_to_face"]["raw"] == 2.0


@time_machine.travel(END, tick=False)
def test_it_snapshots_active_projects_too(account: Cast) -> None:
    health_recompute(date=DAY)
    snap = HealthSnapshot.objects.get(project=account.project, date=DAY)
    assert snap.signals["presence.interactions_30d"]["raw"] == 3.0
    assert snap.signals["growth.pipeline_vs_budget"]["raw"] == 0.0


@time_machine.travel(END, tick=False)
def test_it_ignores_what_happened_after_the_date(account: Cast) -> None:
    InteractionFactory(
        client=account.client, logged_by=account.owner, occurred_at=END + dt.timedelta(hours=5)
    )
    health_recompute(date=DAY)
    assert client_snapshot(account).signals["presence.days_since_face_to_face"]["raw"] == 41.0


@time_machine.travel(END, tick=False)
def test_it_backfills_weekly_and_prunes_old_dailies(account: Cast) -> None:
    results = health_backfill(until=DAY, weeks=4)
    dates = sorted({r.date for r in results})
    assert all(d.weekday() == 6 for d in dates) and len(dates) == 5
    assert dates[-1] == dt.date(2026, 6, 28)
    old_weekday = dt.date(2026, 3, 3)  # a Tuesday more than 90 days back
    health_recompute(date=old_weekday)
    health_recompute(date=dt.date(2026, 3, 1))  # a Sunday: kept
    assert health_prune(today=DAY) > 0
    assert not HealthSnapshot.objects.filter(date=old_weekday).exists()
    assert HealthSnapshot.objects.filter(date=dt.date(2026, 3, 1)).exists()


@time_machine.travel(END, tick=False)
def test_it_refuses_a_future_date_from_the_command_line(cast: Cast) -> None:
    with pytest.raises(CommandError, match="not the future"):
        call_command("health", "recompute", "--date", "2027-01-01")
    with pytest.raises(CommandError, match="is not a date"):
        call_command("health", "recompute", "--date", "30/06/2026")
    call_command("health", "recompute", "--date", "2026-06-30")
    assert HealthSnapshot.objects.filter(date=DAY).exists()
