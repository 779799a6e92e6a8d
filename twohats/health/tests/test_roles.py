"""Role balance, checked against mixes worked out by hand (the suite runs on SQLite and
PostgreSQL, so both give these numbers)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twohats.health.roles import ROLE_ORDER, neglected_roles, role_distance, role_mix
from twohats.interactions.models import Interaction
from twohats.people.models import User
from twohats.test import Cast, InteractionFactory, count_queries

SINCE = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
UNTIL = dt.datetime(2026, 6, 30, tzinfo=dt.UTC)
TARGET = {
    "implementer": 40,
    "coach": 12,
    "entrepreneur": 12,
    "politician": 12,
    "friend": 12,
    "marketer": 12,
}


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(UNTIL, tick=False):
        yield


def meeting(
    cast: Cast,
    *,
    minutes: int,
    roles: list[str],
    staff: list[User],
    at: dt.datetime,
    client: Any = None,
) -> Interaction:
    flags = {f"role_{name}": name in roles for name in ROLE_ORDER}
    interaction = InteractionFactory(
        client=client or cast.client,
        logged_by=cast.owner,
        occurred_at=at,
        duration_minutes=minutes,
        **flags,
    )
    interaction.staff.add(*staff)
    return interaction


@pytest.fixture
def worked(cast: Cast) -> Cast:
    """The owner's and the teammate's interactions over the window, with the minutes each role
    gets worked out by hand in the comments."""
    cast.interaction.delete()
    owner, mate = cast.owner, cast.teammate
    day = dt.timedelta(days=1)
    # 60 minutes, implementer and coach: 30 each (the first instant of the window counts).
    meeting(cast, minutes=60, roles=["implementer", "coach"], staff=[owner], at=SINCE)
    # 90 minutes, three roles, two of our people: 30 to each role, for each of them.
    meeting(
        cast,
        minutes=90,
        roles=["implementer", "entrepreneur", "marketer"],
        staff=[owner, mate],
        at=SINCE + 10 * day,
    )
    # 40 minutes as a friend, at the other client.
    meeting(
        cast,
        minutes=40,
        roles=["friend"],
        staff=[owner],
        at=SINCE + 20 * day,
        client=cast.other_client,
    )
    # Left out: no role served; before the window; at its end (the end is excluded).
    meeting(cast, minutes=30, roles=[], staff=[owner], at=SINCE + 30 * day)
    meeting(cast, minutes=120, roles=["politician"], staff=[owner], at=SINCE - dt.timedelta(1))
    meeting(cast, minutes=120, roles=["politician"], staff=[owner, mate], at=UNTIL)
    return cast


def test_it_splits_each_interaction_equally_among_its_roles_per_pm(worked: Cast) -> None:
    mixes = role_mix(by="pm", since=SINCE, until=UNTIL)
    # Owner: implementer 30 + 30, coach 30, entrepreneur 30, politician 0, friend 40,
    # marketer 30: 190 minutes in all.
    assert mixes[worked.owner.pk] == pytest.approx(
        {
            "implementer": 60 / 190,
            "coach": 30 / 190,
            "entrepreneur": 30 / 190,
            "politician": 0.0,
            "friend": 40 / 190,
            "marketer": 30 / 190,
        },
        abs=1e-6,
    )
    # Teammate: only the 90-minute meeting, a third to each of its three roles.
    assert mixes[worked.teammate.pk] == pytest.approx(
        {
            "implementer": 1 / 3,
            "coach": 0.0,
            "entrepreneur": 1 / 3,
            "politician": 0.0,
            "friend": 0.0,
            "marketer": 1 / 3,
        },
        abs=1e-6,
    )
    assert list(mixes[worked.owner.pk]) == list(ROLE_ORDER)
    assert sum(mixes[worked.owner.pk].values()) == pytest.approx(1, abs=1e-5)
    # Nobody else took part in anything.
    assert set(mixes) == {worked.owner.pk, worked.teammate.pk}


def test_it_mixes_per_client_whoever_took_part(worked: Cast) -> None:
    mixes = role_mix(by="client", since=SINCE, until=UNTIL)
    # Aerolux: the 60- and 90-minute meetings: implementer 60, coach 30, entrepreneur 30,
    # marketer 30 of 150 minutes.
    assert mixes[worked.client.pk] == pytest.approx(
        {
            "implementer": 0.4,
            "coach": 0.2,
            "entrepreneur": 0.2,
            "politician": 0.0,
            "friend": 0.0,
            "marketer": 0.2,
        },
        abs=1e-6,
    )
    assert mixes[worked.other_client.pk]["friend"] == 1.0


def test_it_limits_to_the_ids_asked_for_in_one_query(worked: Cast) -> None:
    assert set(role_mix(by="pm", since=SINCE, until=UNTIL, ids=[worked.teammate.pk])) == {
        worked.teammate.pk
    }
    assert role_mix(by="pm", since=SINCE, until=UNTIL, ids=[worked.outsider.pk]) == {}
    assert role_mix(by="client", since=SINCE, until=UNTIL, ids=[]) == {}
    queries = count_queries(lambda: role_mix(by="pm", since=SINCE, until=UNTIL))
    assert queries == 1


def test_it_measures_the_distance_from_the_target(worked: Cast) -> None:
    mix = role_mix(by="pm", since=SINCE, until=UNTIL)[worked.owner.pk]
    # In minutes out of 190, the target is 76, 22.8, 22.8, 22.8, 22.8, 22.8: the differences
    # are 16, 7.2, 7.2, 22.8, 17.2 and 7.2, which sum to 77.6; half of that, over 190.
    assert role_distance(mix, TARGET) == pytest.approx(38.8 / 190, abs=1e-6)
    teammate = role_mix(by="pm", since=SINCE, until=UNTIL)[worked.teammate.pk]
    # 1/3 against 0.4, 0.12 and 0.12; 0 against 0.12 three times.
    expected = (abs(1 / 3 - 0.4) + 2 * abs(1 / 3 - 0.12) + 3 * 0.12) / 2
    assert role_distance(teammate, TARGET) == pytest.approx(expected, abs=1e-6)


def test_it_measures_no_distance_at_the_target_and_all_of_it_away_from_it() -> None:
    exact = {name: share / 100 for name, share in TARGET.items()}
    assert role_distance(exact, TARGET) == 0
    only_friend = dict.fromkeys(ROLE_ORDER, 0.0) | {"friend": 1.0}
    assert role_distance(only_friend, TARGET) == pytest.approx(0.88)
    lopsided = {"implementer": 0, "coach": 0, "entrepreneur": 0, "politician": 0}
    assert role_distance(lopsided | {"friend": 0.5, "marketer": 0.5}, {"implementer": 100}) == 1


def test_it_names_the_roles_below_half_their_target(worked: Cast) -> None:
    mixes = role_mix(by="pm", since=SINCE, until=UNTIL)
    assert neglected_roles(mixes[worked.owner.pk], TARGET) == [
        "Politician (navigates power and interests on both sides): 0 % of the time against a "
        "target of 12 %"
    ]
    named = neglected_roles(mixes[worked.teammate.pk], TARGET)
    assert [words.split(" ")[0] for words in named] == ["Coach", "Politician", "Friend"]


def test_it_counts_a_role_at_exactly_half_its_target_as_not_neglected() -> None:
    mix = {"implementer": 0.76, "coach": 0.06, "entrepreneur": 0.059999, "politician": 0.12}
    named = neglected_roles(mix | {"friend": 0.0, "marketer": 0.001}, TARGET)
    assert [words.split(" ")[0] for words in named] == ["Friend", "Marketer", "Entrepreneur"]


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=600),
            st.sets(st.sampled_from(ROLE_ORDER), min_size=0, max_size=6),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_it_agrees_with_a_plain_sum_over_the_interactions(
    cast: Cast, meetings: list[tuple[int, set[str]]]
) -> None:
    with transaction.atomic():
        Interaction.objects.all().delete()
        minutes = dict.fromkeys(ROLE_ORDER, 0.0)
        for n, (duration, roles) in enumerate(meetings):
            at = SINCE + dt.timedelta(hours=n)
            meeting(cast, minutes=duration, roles=sorted(roles), staff=[cast.owner], at=at)
            for name in roles:
                minutes[name] += duration / len(roles)
        found = role_mix(by="pm", since=SINCE, until=UNTIL).get(cast.owner.pk)
        total = sum(minutes.values())
        if total == 0:
            assert found is None
        else:
            assert found is not None
            assert found == pytest.approx({k: v / total for k, v in minutes.items()}, abs=1e-5)
            assert sum(found.values()) == pytest.approx(1, abs=1e-5)
        transaction.set_rollback(True)
