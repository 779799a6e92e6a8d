"""Business-hours arithmetic: worked examples, then properties over generated times."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twohats.health.policy import Calendar
from twohats.lib.business_hours import (
    add_business_minutes,
    business_minutes_between,
    format_minutes,
)

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")
UTC = ZoneInfo("UTC")
DEFAULT = Calendar()  # Monday to Friday, 9:00 to 17:00, no holidays
CHRISTMAS = Calendar(holidays=[dt.date(2026, 12, 25), dt.date(2026, 12, 26), dt.date(2027, 1, 1)])


def paris(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


# 2026-03-06 is a Friday.
@pytest.mark.parametrize(
    "start,minutes,due",
    [
        # The brief's example: 1 h on Friday, 3 h on Monday.
        (paris(2026, 3, 6, 16, 0), 240, paris(2026, 3, 9, 12, 0)),
        # Within the same day, and exactly at closing time (not the next opening).
        (paris(2026, 3, 3, 10, 15), 90, paris(2026, 3, 3, 11, 45)),
        (paris(2026, 3, 3, 13, 0), 240, paris(2026, 3, 3, 17, 0)),
        # One, two and five business days: the same time of day on a later working day.
        (paris(2026, 3, 2, 10, 0), 480, paris(2026, 3, 3, 10, 0)),
        (paris(2026, 3, 5, 14, 30), 960, paris(2026, 3, 9, 14, 30)),
        (paris(2026, 3, 4, 11, 0), 2400, paris(2026, 3, 11, 11, 0)),
        # Raised before opening, after closing, at night, on a weekend: from the next opening.
        (paris(2026, 3, 3, 7, 30), 30, paris(2026, 3, 3, 9, 30)),
        (paris(2026, 3, 3, 19, 0), 30, paris(2026, 3, 4, 9, 30)),
        (paris(2026, 3, 4, 2, 0), 480, paris(2026, 3, 4, 17, 0)),
        (paris(2026, 3, 7, 10, 0), 60, paris(2026, 3, 9, 10, 0)),
        (paris(2026, 3, 8, 23, 59), 240, paris(2026, 3, 9, 13, 0)),
        (paris(2026, 3, 6, 17, 0), 1, paris(2026, 3, 9, 9, 1)),
        # Seconds are kept.
        (paris(2026, 3, 3, 16, 59, 30), 1, paris(2026, 3, 4, 9, 0, 30)),
    ],
)
def test_it_computes_deadlines_in_business_hours(
    start: dt.datetime, minutes: int, due: dt.datetime
) -> None:
    assert add_business_minutes(start, minutes, DEFAULT, PARIS) == due
    assert business_minutes_between(start, due, DEFAULT, PARIS) == minutes


def test_it_skips_holidays() -> None:
    # Thursday 24 December, 15:00: 2 h that day; Friday 25 is a holiday, Saturday 26 a holiday
    # on a weekend (no effect); 6 h on Monday 28.
    start = paris(2026, 12, 24, 15, 0)
    assert add_business_minutes(start, 480, CHRISTMAS, PARIS) == paris(2026, 12, 28, 15, 0)
    # Five business days from Wednesday 30 December: 1 January is a holiday.
    start = paris(2026, 12, 30, 10, 0)
    assert add_business_minutes(start, 2400, CHRISTMAS, PARIS) == paris(2027, 1, 7, 10, 0)
    # A request raised on a holiday counts from the next working day's opening.
    assert add_business_minutes(paris(2026, 12, 25, 11, 0), 60, CHRISTMAS, PARIS) == paris(
        2026, 12, 28, 10, 0
    )
    assert (
        business_minutes_between(paris(2026, 12, 24, 9), paris(2026, 12, 29, 9), CHRISTMAS, PARIS)
        == 960
    )


def test_it_skips_runs_of_holidays_and_weekends() -> None:
    # A whole holiday week, then the weekend.
    week = [dt.date(2026, 8, 10) + dt.timedelta(days=n) for n in range(5)]
    calendar = Calendar(holidays=week)
    start = paris(2026, 8, 7, 16, 0)  # Friday
    assert add_business_minutes(start, 120, calendar, PARIS) == paris(2026, 8, 17, 10, 0)
    assert business_minutes_between(start, paris(2026, 8, 17, 10, 0), calendar, PARIS) == 120


def test_it_follows_the_working_days_and_hours_of_the_calendar() -> None:
    # Sunday to Thursday, 8:00 to 16:30 (a Gulf working week).
    calendar = Calendar(working_days=[6, 0, 1, 2, 3], day_start=dt.time(8), day_end=dt.time(16, 30))
    dubai = ZoneInfo("Asia/Dubai")
    thursday = dt.datetime(2026, 3, 5, 15, 30, tzinfo=dubai)
    assert add_business_minutes(thursday, 120, calendar, dubai) == dt.datetime(
        2026, 3, 8, 9, 0, tzinfo=dubai
    )
    assert calendar.minutes_per_day == 510
    friday = dt.datetime(2026, 3, 6, 12, tzinfo=dubai)
    assert business_minutes_between(thursday, friday, calendar, dubai) == 60


def test_it_measures_in_the_clients_time_zone() -> None:
    # The same instant is Friday 16:00 in Paris and Friday 10:00 in New York.
    start = paris(2026, 3, 6, 16, 0)
    due = add_business_minutes(start, 240, DEFAULT, NEW_YORK)
    assert due == dt.datetime(2026, 3, 6, 14, 0, tzinfo=NEW_YORK)
    assert due.utcoffset() == dt.timedelta(hours=-5)
    # And Saturday 8:00 in Sydney: from Monday's opening there.
    assert add_business_minutes(start, 60, DEFAULT, SYDNEY) == dt.datetime(
        2026, 3, 9, 10, 0, tzinfo=SYDNEY
    )


def test_it_keeps_wall_clock_hours_across_the_spring_clock_change() -> None:
    # Paris moves from UTC+1 to UTC+2 on Sunday 29 March 2026.
    start = paris(2026, 3, 27, 16, 0)  # Friday, 15:00 UTC
    due = add_business_minutes(start, 240, DEFAULT, PARIS)
    assert due == paris(2026, 3, 30, 12, 0)
    assert due.astimezone(dt.UTC) == dt.datetime(2026, 3, 30, 10, 0, tzinfo=dt.UTC)
    assert business_minutes_between(start, due, DEFAULT, PARIS) == 240
    # A week across the change is still five days of eight hours.
    week = business_minutes_between(paris(2026, 3, 23, 9), paris(2026, 3, 30, 9), DEFAULT, PARIS)
    assert week == 2400


def test_it_keeps_wall_clock_hours_across_the_autumn_clock_change() -> None:
    # New York moves from UTC-4 to UTC-5 on Sunday 1 November 2026.
    start = dt.datetime(2026, 10, 30, 15, 0, tzinfo=NEW_YORK)
    due = add_business_minutes(start, 480, DEFAULT, NEW_YORK)
    assert due == dt.datetime(2026, 11, 2, 15, 0, tzinfo=NEW_YORK)
    assert due.astimezone(dt.UTC) == dt.datetime(2026, 11, 2, 20, 0, tzinfo=dt.UTC)
    # Given in UTC, the answer is the same.
    assert (
        business_minutes_between(
            start.astimezone(dt.UTC), due.astimezone(dt.UTC), DEFAULT, NEW_YORK
        )
        == 480
    )


def test_it_counts_wall_clock_minutes_on_a_day_the_clocks_change_in_business_hours() -> None:
    # A calendar open around the clock every day: on the spring change the night is an hour
    # short in real time, but a working day keeps its minutes on the wall clock.
    calendar = Calendar(working_days=list(range(7)), day_start=dt.time(0), day_end=dt.time(23))
    start, end = paris(2026, 3, 29, 1, 0), paris(2026, 3, 29, 4, 0)
    assert end.astimezone(dt.UTC) - start.astimezone(dt.UTC) == dt.timedelta(hours=2)
    assert business_minutes_between(start, end, calendar, PARIS) == 180


def test_it_counts_business_minutes_between_two_times() -> None:
    # Monday 10:00 to Wednesday 15:00: 7 h + 8 h + 6 h.
    assert (
        business_minutes_between(paris(2026, 3, 2, 10), paris(2026, 3, 4, 15), DEFAULT, PARIS)
        == 1260
    )
    # Both ends outside business hours.
    assert (
        business_minutes_between(paris(2026, 3, 6, 20), paris(2026, 3, 9, 8), DEFAULT, PARIS) == 0
    )
    assert (
        business_minutes_between(paris(2026, 3, 7, 12), paris(2026, 3, 8, 12), DEFAULT, PARIS) == 0
    )
    assert (
        business_minutes_between(paris(2026, 3, 6, 20), paris(2026, 3, 9, 9, 30), DEFAULT, PARIS)
        == 30
    )
    # Whole minutes only; nothing for an end that is not after the start.
    assert (
        business_minutes_between(
            paris(2026, 3, 2, 10), paris(2026, 3, 2, 10, 0, 59), DEFAULT, PARIS
        )
        == 0
    )
    assert (
        business_minutes_between(paris(2026, 3, 4, 10), paris(2026, 3, 2, 10), DEFAULT, PARIS) == 0
    )


def test_it_counts_a_decade_quickly() -> None:
    start, end = paris(2020, 1, 1, 0), paris(2030, 1, 1, 0)
    days = sum(
        1
        for n in range((end.date() - start.date()).days)
        if (start.date() + dt.timedelta(days=n)).weekday() < 5
    )
    began = time.perf_counter()
    assert business_minutes_between(start, end, DEFAULT, PARIS) == days * 480
    assert add_business_minutes(start, days * 480, DEFAULT, PARIS) == paris(2029, 12, 31, 17, 0)
    assert time.perf_counter() - began < 0.05


def test_it_refuses_naive_datetimes_and_negative_minutes() -> None:
    naive = dt.datetime(2026, 3, 2, 10)
    with pytest.raises(ValueError, match="aware"):
        add_business_minutes(naive, 60, DEFAULT, PARIS)
    with pytest.raises(ValueError, match="negative"):
        add_business_minutes(paris(2026, 3, 2, 10), -1, DEFAULT, PARIS)


def test_it_adds_nothing_for_zero_minutes() -> None:
    saturday = paris(2026, 3, 7, 10)
    assert add_business_minutes(saturday, 0, DEFAULT, PARIS) == saturday


@pytest.mark.parametrize(
    "minutes,words", [(None, ""), (0, "0 min"), (45, "45 min"), (240, "4 h"), (200, "3 h 20 min")]
)
def test_it_formats_minutes_in_words(minutes: int | None, words: str) -> None:
    assert format_minutes(minutes) == words


# ---------------------------------------------------------------------------------------------
# Properties

ZONES = [PARIS, NEW_YORK, SYDNEY, UTC, ZoneInfo("Asia/Kolkata"), ZoneInfo("America/Sao_Paulo")]


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    days = draw(st.sets(st.integers(0, 6), min_size=1))
    # Hours clear of the night, when some zones change their clocks.
    opens = draw(st.integers(5 * 60, 12 * 60))
    closes = draw(st.integers(opens + 1, 22 * 60))
    holidays = draw(st.lists(st.dates(dt.date(2025, 12, 1), dt.date(2027, 3, 1)), max_size=30))
    return Calendar(
        working_days=sorted(days),
        day_start=dt.time(opens // 60, opens % 60),
        day_end=dt.time(closes // 60, closes % 60),
        holidays=holidays,
    )


@st.composite
def starts_in_business_hours(draw: st.DrawFn, calendar: Calendar, tz: ZoneInfo) -> dt.datetime:
    day = draw(st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31)))
    for _ in range(400):  # the next working day: a calendar has at least one working weekday
        if day.weekday() in calendar.working_days and day not in calendar.holidays:
            break
        day += dt.timedelta(days=1)
    opens = calendar.day_start.hour * 60 + calendar.day_start.minute
    minute = draw(st.integers(opens, opens + calendar.minutes_per_day - 1))
    second = draw(st.integers(0, 59))
    return dt.datetime(day.year, day.month, day.day, tzinfo=tz) + dt.timedelta(
        minutes=minute, seconds=second
    )


@settings(max_examples=300, deadline=None, database=None)
@given(data=st.data(), calendar=calendars(), tz=st.sampled_from(ZONES))
def test_it_counts_back_the_minutes_it_added(
    data: st.DataObject, calendar: Calendar, tz: ZoneInfo
) -> None:
    start = data.draw(starts_in_business_hours(calendar, tz))
    minutes = data.draw(st.integers(0, 60 * 480))
    due = add_business_minutes(start, minutes, calendar, tz)
    assert due >= start
    assert business_minutes_between(start, due, calendar, tz) == minutes
    if minutes:
        # And it is the earliest such moment: a minute earlier is not enough.
        earlier = due - dt.timedelta(minutes=1)
        assert business_minutes_between(start, earlier, calendar, tz) == minutes - 1


def wall_clock_reference(
    start: dt.datetime, end: dt.datetime, calendar: Calendar, tz: ZoneInfo
) -> int:
    """Business minutes by the obvious method, one day at a time on the local wall clock."""
    a, b = start.astimezone(tz).replace(tzinfo=None), end.astimezone(tz).replace(tzinfo=None)
    total = dt.timedelta(0)
    day = a.date()
    while day <= b.date():
        if day.weekday() in calendar.working_days and day not in calendar.holidays:
            opens = dt.datetime.combine(day, calendar.day_start)
            closes = dt.datetime.combine(day, calendar.day_end)
            overlap = min(closes, b) - max(opens, a)
            total += max(overlap, dt.timedelta(0))
        day += dt.timedelta(days=1)
    return int(total.total_seconds() // 60)


@settings(max_examples=300, deadline=None, database=None)
@given(
    calendar=calendars(),
    tz=st.sampled_from(ZONES),
    start=st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2026, 12, 31)),
    span=st.timedeltas(dt.timedelta(0), dt.timedelta(days=40)),
)
def test_it_agrees_with_a_day_by_day_count_from_any_start(
    calendar: Calendar, tz: ZoneInfo, start: dt.datetime, span: dt.timedelta
) -> None:
    begin = start.replace(tzinfo=tz)
    end = begin + span
    if begin.astimezone(tz).replace(tzinfo=None) != start:
        return  # a wall-clock time the clocks skipped
    expected = wall_clock_reference(begin, end, calendar, tz)
    assert business_minutes_between(begin, end, calendar, tz) == expected
