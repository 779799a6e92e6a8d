"""The Today page's milestones: the open milestones of the user's active projects due in the
next 14 days (by forecast, else by plan), the late ones first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse

from twohats.health.tests.reporting import milestone
from twohats.projects.models import Project
from twohats.test import Cast, ProjectFactory

NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)  # Tuesday 10 March, 11:00 in Paris
TODAY = dt.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def section(client: Browser) -> str:
    page = client.get(reverse("home")).content.decode()
    start = page.index('id="milestones-heading"')
    return page[start : page.index("</section>", start)]


def day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


def test_it_lists_the_milestones_due_in_the_next_14_days(client: Browser, cast: Cast) -> None:
    milestone(cast.project, "Design review", day(14))  # the last day shown
    milestone(cast.project, "Factory test", day(15))  # a day too far
    milestone(cast.project, "Kick-off", day(-30), done=day(-30))  # done
    milestone(cast.project, "Data load", day(-3))  # late: shown first
    milestone(cast.project, "Go-live", day(0))
    milestone(cast.project, "Training", day(30), forecast=day(5))  # forecast earlier
    milestone(cast.project, "Handover", day(2), forecast=day(20))  # forecast later
    client.force_login(cast.owner)
    shown = section(client)
    assert "Milestones due in the next 14 days" in shown
    names = ["Data load", "Go-live", "Training", "Design review"]
    assert [shown.index(name) for name in names] == sorted(shown.index(name) for name in names)
    for gone in ("Factory test", "Kick-off", "Handover"):
        assert gone not in shown
    assert "3 days late" in shown and "due today" in shown and "in 14 days" in shown
    assert "forecast 2026-03-15, planned 2026-04-09" in shown
    assert "Cabin software" in shown and "Aerolux" in shown


@pytest.mark.parametrize("who,sees", [("owner", True), ("teammate", True), ("outsider", False)])
def test_it_shows_the_milestones_of_the_user_s_own_projects(
    client: Browser, cast: Cast, who: str, sees: bool
) -> None:
    milestone(cast.project, "Design review", day(3))
    client.force_login(cast.everyone()[who])
    assert ("Design review" in section(client)) is sees


def test_it_leaves_out_projects_not_active(client: Browser, cast: Cast) -> None:
    paused = ProjectFactory(client=cast.client, manager=cast.owner, status="on_hold")
    milestone(paused, "Paused work", day(3))
    archived = ProjectFactory(client=cast.client, manager=cast.owner)
    milestone(archived, "Archived work", day(3))
    Project.objects.filter(pk=archived.pk).update(archived_at=NOW)
    client.force_login(cast.owner)
    shown = section(client)
    assert "Paused work" not in shown and "Archived work" not in shown
    assert "No open milestone of your projects is due in the next 14 days." in shown


def test_it_shows_only_the_first_ones_and_says_so(client: Browser, cast: Cast) -> None:
    for n in range(16):
        milestone(cast.project, f"Step {n:02d}", day(n % 10))
    client.force_login(cast.owner)
    shown = section(client)
    assert shown.count("list-group-item") == 15
    assert "Only the first 15 are shown" in shown
