"""Writes of the matching app at the same moment (PostgreSQL: row locks): two assignments to
one PM, and one person's first profile sent twice."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from twohats.matching.instruments import IPIP_50
from twohats.matching.models import PersonalityProfile
from twohats.matching.selectors import workloads
from twohats.matching.services import profile_record_self
from twohats.matching.staffing_services import staffing_assign, staffing_need_open
from twohats.test import Cast, ProjectFactory, UserFactory


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_needs_assigned_to_one_pm_at_once_never_exceed_their_hours(cast: Cast) -> None:
    """The PM's row is locked before their load is read, so the second assignment sees the
    first's hours and is refused, instead of both passing the capacity check."""
    pm = UserFactory.create(practice=cast.practice, capacity_hours=Decimal(20))
    needs = [
        staffing_need_open(
            project=ProjectFactory.create(client=cast.client, manager=cast.owner),
            by=cast.director,
            hours=12,
            practice=cast.practice,
        )
        for _ in range(2)
    ]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def assign(need: object, by: object) -> None:
        try:
            barrier.wait()
            staffing_assign(need=need, pm=pm, by=by)  # type: ignore[arg-type]
            outcomes.append("assigned")
        except ValidationError as error:
            outcomes.append("refused" if "capacity" in " ".join(error.messages) else str(error))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=assign, args=(needs[0], cast.director)),
        threading.Thread(target=assign, args=(needs[1], cast.admin)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["assigned", "refused"]
    load = workloads([pm.pk])[pm.pk]
    assert load.hours == 12 and load.hours <= load.capacity


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_first_profiles_saved_at_once_both_keep_and_one_is_latest(cast: Cast) -> None:
    """A person's first profile, sent twice at once (a double click): the person's row is locked
    first, so the second save waits, then flags the first one not latest. Both are kept, one
    is latest, and neither fails on the one-latest-profile constraint."""
    answers = {item.number: 3 + (item.number % 2) for item in IPIP_50.items}
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save() -> None:
        try:
            barrier.wait()
            profile_record_self(user=cast.owner, answers=answers, consent=True)
            outcomes.append("saved")
        except Exception as error:  # what a user would see as a server error
            outcomes.append(type(error).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == ["saved", "saved"]
    profiles = PersonalityProfile.objects.filter(user=cast.owner)
    assert profiles.count() == 2 and profiles.filter(is_latest=True).count() == 1
