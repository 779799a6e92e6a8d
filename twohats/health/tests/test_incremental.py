"""Recomputing a date after new data arrived equals computing that date from scratch."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twohats.health.models import HealthSnapshot
from twohats.health.services import health_recompute
from twohats.interactions.models import Interaction
from twohats.test import Cast, make_cast

DAY = dt.date(2026, 6, 30)
END = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)

touches = st.lists(
    st.tuples(
        st.booleans(),  # which of the two clients
        st.floats(min_value=0.01, max_value=200),  # days before the end of the day
        st.sampled_from(["in_person", "video", "phone", "written"]),
        st.integers(min_value=-2, max_value=2),  # sentiment
        st.booleans(),  # on the project
    ),
    min_size=1,
    max_size=25,
)


def snapshots() -> dict[tuple[int, int | None], tuple[object, ...]]:
    return {
        (s.client_id, s.project_id): (s.overall, s.band, s.dimensions, s.signals, s.reasons)
        for s in HealthSnapshot.objects.filter(date=DAY)
    }


def add(cast: Cast, rows: list[tuple[bool, float, str, int, bool]]) -> None:
    Interaction.objects.bulk_create(
        Interaction(
            client=cast.other_client if other else cast.client,
            project=cast.project if on_project and not other else None,
            kind="meeting",
            channel=channel,
            location="client_site" if channel == "in_person" else "home_office",
            occurred_at=END - dt.timedelta(days=days),
            sentiment=sentiment,
            summary="generated",
            logged_by=cast.owner,
        )
        for other, days, channel, sentiment, on_project in rows
    )


@pytest.mark.django_db
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=touches, after=touches)
def test_it_gives_the_same_snapshot_incrementally_as_from_scratch(
    before: list[tuple[bool, float, str, int, bool]],
    after: list[tuple[bool, float, str, int, bool]],
) -> None:
    with time_machine.travel(END - dt.timedelta(days=400), tick=False):
        cast = make_cast()
    with time_machine.travel(END, tick=False):
        Interaction.objects.all().delete()
        add(cast, before)
        health_recompute(date=DAY)
        add(cast, after)
        health_recompute(date=DAY)  # the incremental path: a recompute after new data
        incremental = snapshots()
        HealthSnapshot.objects.all().delete()
        health_recompute(date=DAY)  # from scratch
        assert snapshots() == incremental
    # Hypothesis runs many examples in one test transaction: start each from nothing.
    for model in (HealthSnapshot, Interaction):
        model.objects.all().delete()
    from twohats.clients.models import Client
    from twohats.people.models import Practice, User

    Client.objects.all().delete()
    Practice.objects.all().delete()
    User.objects.all().delete()
