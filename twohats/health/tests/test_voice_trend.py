"""The voice trends against hand-computed numbers: NPS (and trust) over the later half of the
policy's window less the earlier half, for a client and a project, nothing when a half has fewer
responses than the minimum n, the reasons in words, the trends in the active policy and in the
migration that adds them, a falling NPS lowering the health score, and the voice card's trends
in words with a constant number of queries."""

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
from django.utils import timezone

from twohats.clients.models import Contact
from twohats.health.models import HealthPolicy, HealthSnapshot
from twohats.health.policy import DEFAULT_CONFIG, parse
from twohats.health.scoring import Reading
from twohats.health.services import health_recompute, window_for
from twohats.health.signals import DESCRIBE, measure
from twohats.surveys.models import Response
from twohats.surveys.tests.factories import (
    csat_response,
    nps_response,
    relationship_response,
)
from twohats.surveys.trends import voice_trends
from twohats.test import Cast, ContactFactory, ProjectFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 30)
# The window of 365 days ends 2026-07-01 00:00; its later half starts 182 days before, on
# 2025-12-31: EARLY falls in the earlier half, LATE in the later.
EARLY = dt.datetime(2025, 10, 1, 10, tzinfo=dt.UTC)
LATE = dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC)

# Earlier half: 10 responses, 6 promoters and 2 detractors: +40.
EARLIER = [10, 10, 9, 9, 10, 9, 8, 7, 3, 5]
# Later half: 8 responses, 2 promoters and 4 detractors: -25.
LATER = [10, 9, 8, 7, 6, 5, 4, 0]


@pytest.fixture
def early() -> Iterator[None]:
    """People and projects made before the window, as in the voice signal tests."""
    with time_machine.travel(dt.datetime(2025, 6, 1, 9, tzinfo=dt.UTC), tick=False):
        yield


def readings(subject: str) -> dict[int, dict[str, Reading]]:
    return measure(subject, window_for(DAY), HealthPolicy.objects.active().rules)


def people(cast: Cast, n: int) -> list[Contact]:
    return [ContactFactory.create(client=cast.client) for _ in range(n)]


def answer(cast: Cast, scores: list[int], at: dt.datetime, project: Any = None) -> None:
    for person, score in zip(people(cast, len(scores)), scores, strict=True):
        nps_response(project or cast.project, person, score, at=at)


def test_it_measures_the_nps_trend_of_the_two_halves(early: None, cast: Cast) -> None:
    answer(cast, EARLIER, EARLY)
    answer(cast, LATER, LATE)
    found = readings("client")[cast.client.pk]
    trend = found["voice.nps_trend"]
    assert trend.raw == -65.0
    assert dict(trend.detail) == {"earlier": 40.0, "earlier_n": 10, "later": -25.0, "later_n": 8}
    # The latest NPS still rests on the whole window: 8 promoters, 6 detractors of 18.
    assert found["voice.nps"].raw == round(100 * 2 / 18, 1)


def test_it_reads_no_trend_when_a_half_is_below_the_minimum_n(early: None, cast: Cast) -> None:
    answer(cast, EARLIER, EARLY)
    answer(cast, LATER[:4], LATE)  # 4 of a minimum of 5
    found = readings("client")[cast.client.pk]
    assert "voice.nps" in found and "voice.nps_trend" not in found
    answer(cast, [9], LATE)
    assert readings("client")[cast.client.pk]["voice.nps_trend"].detail["later_n"] == 5
    # Nothing at all in the earlier half: no trend either.
    Response.objects.filter(submitted_at=EARLY).delete()
    assert "voice.nps_trend" not in readings("client")[cast.client.pk]


def test_it_measures_a_project_s_trend_apart(early: None, cast: Cast) -> None:
    other = ProjectFactory.create(client=cast.client)
    answer(cast, EARLIER, EARLY)
    answer(cast, LATER, LATE)
    answer(cast, [10] * 5, EARLY, project=other)
    answer(cast, [10] * 5, LATE, project=other)
    by_project = readings("project")
    assert by_project[cast.project.pk]["voice.nps_trend"].raw == -65.0
    assert by_project[other.pk]["voice.nps_trend"].raw == 0.0
    # The client's halves hold both projects: 15 responses (+60) then 13 (+23.1).
    client = readings("client")[cast.client.pk]["voice.nps_trend"]
    assert (client.detail["earlier_n"], client.detail["later_n"]) == (15, 13)
    assert client.raw == round(round(100 * 3 / 13, 1) - 60.0, 1)


def test_it_measures_the_trust_trend(early: None, cast: Cast) -> None:
    for person in people(cast, 5):
        relationship_response(cast.project, person, 6, at=EARLY)  # (5·6 + 2·2) / 7 = 34/7
        relationship_response(cast.project, person, 4, at=LATE)  # (5·4 + 2·4) / 7 = 4
    trend = readings("client")[cast.client.pk]["voice.trust_trend"]
    assert trend.raw == pytest.approx(4 - 34 / 7)
    assert (trend.detail["earlier_n"], trend.detail["later_n"]) == (5, 5)


def test_it_gives_the_reasons_in_words() -> None:
    nps = Reading(-18.0, {"earlier": 40.0, "earlier_n": 9, "later": 22.0, "later_n": 7})
    assert DESCRIBE["voice.nps_trend"](nps, 0) == (
        "NPS fell 18 points (from +40, n = 9, to +22, n = 7); policy 0"
    )
    risen = Reading(12.0, {"earlier": -5.0, "earlier_n": 6, "later": 7.0, "later_n": 5})
    assert DESCRIBE["voice.nps_trend"](risen, 0).startswith("NPS rose 12 points (from -5,")
    trust = Reading(-0.86, {"earlier": 4.86, "earlier_n": 5, "later": 4.0, "later_n": 5})
    assert DESCRIBE["voice.trust_trend"](trust, 0) == (
        "trust fell 0.9 points of 7 (from 4.9, n = 5, to 4.0, n = 5); policy 0.0"
    )


def test_it_names_the_fall_among_the_snapshot_s_reasons(early: None, cast: Cast) -> None:
    answer(cast, EARLIER, EARLY)
    answer(cast, LATER, LATE)
    health_recompute(date=DAY)
    snap = HealthSnapshot.objects.get(client=cast.client, project=None, date=DAY)
    assert snap.signals["voice.nps_trend"]["score"] == 0.0  # -65 is past bad -20
    assert "NPS fell 65 points (from +40, n = 10, to -25, n = 8); policy 0" in snap.reasons


def test_a_falling_nps_scores_lower_than_a_steady_one(early: None, cast: Cast) -> None:
    """The same 18 scores of the same client: split evenly over the halves, then all the good
    ones first. The latest NPS is the same; only the trend differs."""
    steady = sorted(EARLIER + LATER)
    answer(cast, steady[0::2], EARLY)  # 4 promoters and 3 detractors of 9 in each half
    answer(cast, steady[1::2], LATE)
    health_recompute(date=DAY)
    before = HealthSnapshot.objects.get(client=cast.client, project=None, date=DAY)
    assert before.signals["voice.nps_trend"]["raw"] == 0.0
    Response.objects.all().delete()
    answer(cast, EARLIER, EARLY)
    answer(cast, LATER, LATE)
    health_recompute(date=DAY)
    after = HealthSnapshot.objects.get(client=cast.client, project=None, date=DAY)
    assert after.signals["voice.nps"]["raw"] == before.signals["voice.nps"]["raw"]
    assert after.dimensions["voice"] < before.dimensions["voice"]
    assert after.overall < before.overall


# ---------------------------------------------------------------------------------------------
# The policy


def test_the_active_policy_weighs_the_trends() -> None:
    voice = HealthPolicy.objects.active().rules.dimensions["voice"]
    assert voice.signals["nps_trend"].weight == 15
    assert (voice.signals["nps_trend"].good, voice.signals["nps_trend"].bad) == (0, -20)
    assert voice.signals["trust_trend"].weight == 10
    assert sum(signal.weight for signal in voice.signals.values()) == pytest.approx(100)


def test_it_publishes_the_trends_as_a_new_version_of_a_policy_without_them() -> None:
    from django.apps import apps

    migration = importlib.import_module("twohats.health.migrations.0006_voice_trend")
    before = copy.deepcopy(DEFAULT_CONFIG)
    # The voice dimension as migration 0005 brought it.
    before["dimensions"]["voice"]["signals"] = importlib.import_module(
        "twohats.health.migrations.0005_voice"
    ).VOICE["signals"]
    policy = HealthPolicy.objects.active()
    HealthPolicy.objects.filter(pk=policy.pk).update(config=before)
    migration.add_trends(apps, None)
    active = HealthPolicy.objects.active()
    assert active.version == policy.version + 1
    signals = active.rules.dimensions["voice"].signals
    # 35, 20, 30 and 15 keep their proportions over the 75 the trends leave them.
    assert {name: s.weight for name, s in signals.items()} == {
        "nps": 26.25,
        "csat": 15,
        "trust": 22.5,
        "pm_vs_firm_gap": 11.25,
        "nps_trend": 15,
        "trust_trend": 10,
    }
    assert active.rules == parse(DEFAULT_CONFIG)  # the defaults are what the migration makes
    migration.add_trends(apps, None)  # once only
    assert HealthPolicy.objects.count() == 2


def test_it_leaves_a_policy_without_voice_signals_alone() -> None:
    from django.apps import apps

    migration = importlib.import_module("twohats.health.migrations.0006_voice_trend")
    without = copy.deepcopy(DEFAULT_CONFIG)
    del without["dimensions"]["voice"]
    without["dimensions"]["presence"]["weight"] += 20
    HealthPolicy.objects.filter(active=True).update(config=without)
    migration.add_trends(apps, None)
    assert HealthPolicy.objects.count() == 1


# ---------------------------------------------------------------------------------------------
# The voice card


def card(browser: Browser, cast: Cast) -> str:
    browser.force_login(cast.owner)
    page = browser.get(reverse("surveys:client_voice_card", args=[cast.client.pk]))
    assert page.status_code == 200
    return page.content.decode()


def test_the_card_shows_each_trend_in_words_with_n(client: Browser, cast: Cast) -> None:
    now = timezone.now()
    before, recent = now - dt.timedelta(days=270), now - dt.timedelta(days=30)
    answer(cast, EARLIER, before)
    answer(cast, LATER, recent)
    for n, person in enumerate(people(cast, 5)):
        csat_response(cast.project, person, 5, at=before)
        csat_response(cast.project, person, 5 if n < 3 else 2, at=recent)
        relationship_response(cast.project, person, 6, at=before)
        relationship_response(cast.project, person, 4, at=recent)
    body = card(client, cast)
    assert (
        '<span aria-hidden="true">↓</span> down 65 points on the previous half-year '
        "(from +40, n = 10, to -25, n = 8)" in body
    )
    assert "down 40 percentage points on the previous half-year (from 100 %, n = 5, " in body
    assert "down 0.9 points of 7 on the previous half-year (from 4.9, n = 5, to 4.0, n = 5)" in (
        body
    )
    trends = voice_trends(
        Response.objects.filter(client=cast.client), now=now, window_days=365, min_n=5
    )
    assert (trends.nps.change, trends.csat.change, trends.trust.change) == (-65.0, -40.0, -0.9)


def test_the_card_says_why_there_is_no_trend(client: Browser, cast: Cast) -> None:
    now = timezone.now()
    answer(cast, [10, 9, 8], now - dt.timedelta(days=270))
    answer(cast, LATER, now - dt.timedelta(days=30))
    body = card(client, cast)
    assert "no trend: fewer than 5 responses in the earlier half-year (n = 3, then 8)" in body
    assert "no trend: fewer than 5 responses in either half-year (n = 0, then 0)" in body


def test_the_card_s_queries_stay_constant_in_responses(
    client: Browser, cast: Cast, django_assert_max_num_queries: Any
) -> None:
    now = timezone.now()
    client.force_login(cast.owner)
    url = reverse("surveys:client_voice_card", args=[cast.client.pk])
    nps_response(cast.project, cast.contact, 9, at=now - dt.timedelta(days=30))
    # Twelve queries, two of them for the trends, whatever the number of responses.
    with django_assert_max_num_queries(12) as first:
        client.get(url)
    for at in (now - dt.timedelta(days=270), now - dt.timedelta(days=30)):
        for person in people(cast, 6):
            nps_response(cast.project, person, 4, reason="Slow", at=at)
            relationship_response(cast.project, person, 5, at=at)
            csat_response(cast.project, person, 4, at=at)
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(url)
