"""Voice signals against hand-computed numbers: NPS with n and standard error, CSAT, trust with
reverse keying, the PM-versus-firm gap, for a client and a project; nothing below the policy's
minimum n or outside its window; the voice dimension in the snapshot; the policy's new keys and
the migration that adds voice to a stored policy."""

from __future__ import annotations

import copy
import datetime as dt
import importlib
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse

from twohats.clients.models import Contact
from twohats.health.models import HealthPolicy, HealthSnapshot
from twohats.health.policy import DEFAULT_CONFIG, Surveys, parse
from twohats.health.scoring import Reading
from twohats.health.services import health_recompute, window_for
from twohats.health.signals import measure
from twohats.surveys.tests.factories import (
    csat_response,
    nps_response,
    ratings_response,
    relationship_response,
)
from twohats.test import Cast, ContactFactory, ProjectFactory

DAY = dt.date(2026, 6, 30)
AT = dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def made_early() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2026, 1, 2, 9, tzinfo=dt.UTC), tick=False):
        yield


def readings(subject: str) -> dict[int, dict[str, Reading]]:
    return measure(subject, window_for(DAY), HealthPolicy.objects.active().rules)


def people(cast: Cast, n: int) -> list[Contact]:
    return [ContactFactory.create(client=cast.client) for _ in range(n)]


def test_it_measures_a_client_s_nps_from_its_projects(cast: Cast) -> None:
    other = ProjectFactory.create(client=cast.client)
    for n, (person, score) in enumerate(zip(people(cast, 7), [10, 9, 8, 7, 6, 3, 10], strict=True)):
        nps_response(cast.project if n < 4 else other, person, score, at=AT)
    nps = readings("client")[cast.client.pk]["voice.nps"]
    # 3 promoters and 2 detractors of 7: 14.3, SE 100 · √(34/343) = 31.5.
    assert nps.raw == 14.3
    assert dict(nps.detail) == {"n": 7, "promoters": 3, "detractors": 2, "standard_error": 31.5}
    by_project = readings("project")
    assert "voice.nps" not in by_project.get(cast.project.pk, {})  # 4 responses: below 5


def test_it_reads_nothing_below_the_minimum_n_or_outside_the_window(cast: Cast) -> None:
    contacts = people(cast, 5)
    for person in contacts[:4]:
        nps_response(cast.project, person, 10, at=AT)
    # One too old (before the 365-day window), one after the date.
    nps_response(cast.project, contacts[4], 10, at=dt.datetime(2025, 6, 29, tzinfo=dt.UTC))
    nps_response(cast.project, contacts[4], 10, at=dt.datetime(2026, 7, 1, 1, tzinfo=dt.UTC))
    assert "voice.nps" not in readings("client").get(cast.client.pk, {})
    nps_response(cast.project, contacts[4], 0, at=AT)
    assert readings("client")[cast.client.pk]["voice.nps"].raw == 60.0  # 4 − 1 of 5


def test_it_measures_csat_trust_and_the_gap(cast: Cast) -> None:
    contacts = people(cast, 5)
    for person, score, (pm, firm) in zip(
        contacts, [5, 4, 3, 5, 2], [(9, 6), (8, 7), (10, 5), (7, 7), (9, 8)], strict=True
    ):
        csat_response(cast.project, person, score, at=AT)
        relationship_response(cast.project, person, 6, at=AT)
        ratings_response(cast.project, person, pm, firm, at=AT)
    found = readings("project")[cast.project.pk]
    assert found["voice.csat"].raw == 0.6
    assert found["voice.trust"].raw == pytest.approx(34 / 7)  # two reverse-keyed items of 7
    assert found["voice.pm_vs_firm_gap"].raw == pytest.approx(2.0)
    assert found["voice.pm_vs_firm_gap"].detail["gap"] == 2.0
    client = readings("client")[cast.client.pk]
    assert client["voice.csat"].raw == 0.6
    assert client["voice.trust"].detail["n"] == 5


def test_it_scores_the_voice_dimension_with_reasons(cast: Cast) -> None:
    for person, score in zip(people(cast, 7), [10, 9, 8, 7, 6, 3, 10], strict=True):
        nps_response(cast.project, person, score, at=AT)
    health_recompute(date=DAY)
    snap = HealthSnapshot.objects.get(client=cast.client, project=None, date=DAY)
    # NPS 14.3 between bad −20 and good 50: (14.3 + 20) / 70 = 49 %.
    assert snap.signals["voice.nps"]["score"] == pytest.approx(49.0, abs=1e-6)
    assert snap.dimensions["voice"] == pytest.approx(49.0, abs=1e-6)
    assert "NPS +14 (n = 7, ± 31.5); policy +50" in snap.reasons


def test_it_leaves_voice_out_of_a_client_without_responses(cast: Cast) -> None:
    health_recompute(date=DAY)
    snap = HealthSnapshot.objects.get(client=cast.client, project=None, date=DAY)
    assert snap.dimensions["voice"] is None
    assert "voice.nps" in snap.missing


# ---------------------------------------------------------------------------------------------
# The policy


def test_it_loads_a_policy_stored_before_voice_with_the_defaults() -> None:
    old = copy.deepcopy(DEFAULT_CONFIG)
    del old["dimensions"]["voice"]
    for dimension in old["dimensions"].values():
        dimension["weight"] = dimension["weight"] / 0.8
    policy = parse(old)
    assert policy.surveys == Surveys()
    assert (
        policy.surveys.min_n,
        policy.surveys.invitation_expiry_days,
        policy.surveys.min_days_between_invitations,
        policy.surveys.cadence_days,
    ) == (5, 30, 90, 91)
    migration = importlib.import_module("twohats.health.migrations.0005_voice")
    added = parse(migration.with_voice(old))
    assert {name: d.weight for name, d in added.dimensions.items()} == {
        name: d.weight for name, d in parse(DEFAULT_CONFIG).dimensions.items()
    }


def test_it_publishes_voice_as_a_new_version_of_a_policy_without_it(db: None) -> None:
    from django.apps import apps

    migration = importlib.import_module("twohats.health.migrations.0005_voice")
    old = copy.deepcopy(DEFAULT_CONFIG)
    del old["dimensions"]["voice"]
    old["dimensions"]["presence"]["weight"] += 20
    policy = HealthPolicy.objects.active()
    HealthPolicy.objects.filter(pk=policy.pk).update(config=old)
    migration.add_voice(apps, None)
    active = HealthPolicy.objects.active()
    assert active.version == policy.version + 1
    assert active.rules.dimensions["voice"].weight == 20
    assert active.rules.dimensions["presence"].weight == 32  # 40 of 100 becomes 32 of 80
    migration.add_voice(apps, None)  # once only
    assert HealthPolicy.objects.count() == 2


def test_it_refuses_a_minimum_n_of_zero() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="greater than 0"):
        parse(copy.deepcopy(DEFAULT_CONFIG) | {"surveys": {"min_n": 0}})


def test_it_edits_the_survey_keys_on_the_policy_page(client: Browser, cast: Cast) -> None:
    from twohats.health.tests.test_policy_page import current_values

    client.force_login(cast.admin)
    page = client.get(reverse("health:policy")).content.decode()
    for name in (
        "surveys__min_n",
        "surveys__cadence_days",
        "dimensions__voice__signals__nps__good",
    ):
        assert f'name="{name}"' in page, name
    data = current_values(client) | {"note": "Smaller minimum", "surveys__min_n": 3}
    assert client.post(reverse("health:policy"), data).status_code == 302
    assert HealthPolicy.objects.active().rules.surveys.min_n == 3
