"""Two directors assign two needs to the same PM at the same moment: the PM's row is locked
before their load is read, so the second sees the first's hours and is refused, instead of
both passing the capacity check and together going over it (PostgreSQL: row locks)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from twohats.matching.selectors import workloads
from twohats.matching.staffing_services import staffing_assign, staffing_need_open
from twohats.test import Cast, ProjectFactory, UserFactory


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_needs_assigned_to_one_pm_at_once_never_exceed_their_hours(cast: Cast) -> None:
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
