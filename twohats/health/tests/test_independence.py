"""Independence from workday locations, against calendars worked out by hand, at the edges of
the window (the suite runs on SQLite and PostgreSQL, so both give these numbers)."""

from __future__ import annotations

import datetime as dt

import pytest

from twohats.clients.models import Client
from twohats.health.independence import (
    independence,
    longest_site_streaks,
    weekly_locations,
    window_start,
)
from twohats.people.models import User
from twohats.test import Cast, ClientFactory, UserFactory, WorkdayLocationFactory, count_queries

UNTIL = dt.date(2026, 6, 30)  # a Tuesday
SINCE = dt.date(2026, 5, 6)  # 8 weeks back, a Wednesday


def day(user: User, date: str, where: str | Client) -> None:
    """Record a day: "home_office", "remote" or a client (its site)."""
    if isinstance(where, Client):
        WorkdayLocationFactory(
            user=user, date=dt.date.fromisoformat(date), kind="client_site", client=where
        )
    else:
        WorkdayLocationFactory(user=user, date=dt.date.fromisoformat(date), kind=where)


@pytest.fixture
def calendar(cast: Cast) -> Cast:
    """The owner's days around the 8 weeks to Tuesday 30 June 2026 (from Wednesday 6 May)."""
    a, b, owner = cast.client, cast.other_client, cast.owner
    day(owner, "2026-05-05", a)  # the day before the window: out
    day(owner, "2026-05-06", a)  # the window's first day: in
    day(owner, "2026-05-07", a)
    day(owner, "2026-05-08", a)  # a weekend, not recorded, does not break the run
    day(owner, "2026-05-11", a)  # a run of 4 at A inside the window (5 with the day before)
    day(owner, "2026-05-12", b)  # another client's site breaks it
    day(owner, "2026-05-13", a)
    day(owner, "2026-05-14", "home_office")  # the last day at the home office
    day(owner, "2026-06-22", b)
    day(owner, "2026-06-23", b)
    day(owner, "2026-06-24", b)
    day(owner, "2026-06-25", b)  # a run of 4 at B: as long as A's, and later
    day(owner, "2026-06-26", "remote")
    day(owner, "2026-06-29", a)
    day(owner, "2026-06-30", a)  # the window's last day: in
    day(owner, "2026-07-01", "home_office")  # after it: out, even for the home office
    return cast


def test_it_starts_the_window_8_weeks_back_including_both_ends() -> None:
    assert window_start(UNTIL, 8) == SINCE
    assert (UNTIL - SINCE).days + 1 == 56


def test_it_counts_workdays_and_shares_in_the_window(calendar: Cast) -> None:
    found = independence(until=UNTIL)[calendar.owner.pk]
    a, b = calendar.client.pk, calendar.other_client.pk
    assert (found.since, found.until) == (SINCE, UNTIL)
    # A: 6, 7, 8, 11, 13 May, 29 and 30 June; B: 12 May and 22 to 25 June; one day at the
    # home office, one remote.
    assert found.workdays == 14
    assert (found.client_site_days, found.home_office_days, found.remote_days) == (12, 1, 1)
    assert found.site_days == {a: 7, b: 5}
    assert found.top_client_id == a and found.top_client_days == 7
    assert found.top_client_share == 0.5
    assert found.site_share(b) == pytest.approx(5 / 14, abs=1e-6)


def test_it_counts_recorded_workdays_since_the_home_office(calendar: Cast) -> None:
    found = independence(until=UNTIL)[calendar.owner.pk]
    # After 14 May: 22 to 26 June and 29, 30 June; the home office on 1 July is after the date.
    assert found.last_home_office == dt.date(2026, 5, 14)
    assert found.workdays_since_home_office == 7
    # Before the first day at the home office, every recorded day counts, the window or not.
    assert since_home(calendar, "2026-05-13") == 7
    # On the day at the home office itself, none since; the next recorded day, one.
    assert since_home(calendar, "2026-05-14") == 0
    assert since_home(calendar, "2026-06-22") == 1
    # Back at the home office on 1 July: the count starts again.
    assert since_home(calendar, "2026-07-01") == 0


def since_home(cast: Cast, until: str) -> int:
    found = independence(until=dt.date.fromisoformat(until))[cast.owner.pk]
    return found.workdays_since_home_office


def test_it_finds_the_longest_run_at_one_site_inside_the_window(calendar: Cast) -> None:
    found = independence(until=UNTIL)[calendar.owner.pk]
    # A's run of 6, 7, 8 and 11 May (the 5th is before the window) ties with B's 22 to 25 June;
    # the later one is reported.
    assert found.longest_streak == 4
    assert found.longest_streak_client_id == calendar.other_client.pk
    assert found.longest_streak_end == dt.date(2026, 6, 25)
    # A window one day longer takes in 5 May: A's run becomes the longest, 5 days.
    longer = longest_site_streaks(since=SINCE - dt.timedelta(days=1), until=UNTIL)
    assert longer[calendar.owner.pk] == (calendar.client.pk, 5, dt.date(2026, 5, 11))


def test_it_counts_every_recorded_day_when_never_at_the_home_office(cast: Cast) -> None:
    mate = cast.teammate
    day(mate, "2026-03-02", "remote")  # long before the window, still counted
    day(mate, "2026-06-29", cast.client)
    day(mate, "2026-06-30", "remote")
    found = independence(until=UNTIL)[mate.pk]
    assert found.last_home_office is None
    assert found.workdays_since_home_office == 3
    assert found.workdays == 2 and found.longest_streak == 1
    assert found.top_client_share == 0.5


def test_it_leaves_out_people_without_a_day_in_the_window_and_others_not_asked_for(
    calendar: Cast,
) -> None:
    day(calendar.teammate, "2026-03-02", "home_office")
    assert set(independence(until=UNTIL)) == {calendar.owner.pk}
    assert independence(until=UNTIL, user_ids=[calendar.teammate.pk]) == {}
    assert independence(until=UNTIL, user_ids=[]) == {}
    assert longest_site_streaks(since=SINCE, until=UNTIL, user_ids=[]) == {}


def test_it_breaks_a_tie_for_the_top_client_by_the_lowest_id(cast: Cast) -> None:
    first, second = sorted([cast.client.pk, cast.other_client.pk])
    day(cast.teammate, "2026-06-29", Client.objects.get(pk=second))
    day(cast.teammate, "2026-06-30", Client.objects.get(pk=first))
    assert independence(until=UNTIL)[cast.teammate.pk].top_client_id == first


def test_it_measures_everyone_in_three_queries(calendar: Cast) -> None:
    for n in range(5):
        someone = UserFactory()
        day(someone, "2026-06-29", ClientFactory(account_lead=someone))
        day(someone, "2026-06-30", "home_office")
        if n % 2:
            day(someone, "2026-06-26", "remote")
    assert count_queries(lambda: independence(until=UNTIL)) == 3
    assert len(independence(until=UNTIL)) == 6
    one = count_queries(lambda: independence(until=UNTIL, user_ids=[calendar.owner.pk]))
    assert one == 3


def test_it_counts_places_per_calendar_week(calendar: Cast) -> None:
    day(calendar.owner, "2026-04-12", "remote")  # the Sunday before the first week: out
    day(calendar.owner, "2026-04-13", "remote")  # the first week's Monday: in
    weeks = weekly_locations(calendar.owner.pk, until=UNTIL)
    assert len(weeks) == 12
    assert weeks[0].start == dt.date(2026, 4, 13) and weeks[0].remote == 1
    assert weeks[-1].start == dt.date(2026, 6, 29) and weeks[-1].end == UNTIL
    # The last week: 29 and 30 June at A; 1 July is after the date.
    assert (weeks[-1].client_site, weeks[-1].home_office, weeks[-1].remote) == (2, 0, 0)
    # The week of 22 June: four days at B and one remote.
    assert (weeks[-2].client_site, weeks[-2].home_office, weeks[-2].remote) == (4, 0, 1)
    # The week of 11 May: 11, 12 and 13 May at sites, 14 May at the home office.
    may_11 = next(week for week in weeks if week.start == dt.date(2026, 5, 11))
    assert (may_11.client_site, may_11.home_office, may_11.recorded) == (3, 1, 4)
    # 13 April, then the owner's 15 days from 5 May to 30 June.
    assert sum(week.recorded for week in weeks) == 16
    assert count_queries(lambda: weekly_locations(calendar.owner.pk, until=UNTIL)) == 1
