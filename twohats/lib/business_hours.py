"""Business-hours arithmetic: deadlines and elapsed working time in a client's time zone.

Only working days that are not holidays count, and on them only the hours between the start and
the end of the working day. Times are read as the wall clock in the given time zone, one day at a
time, so a working day always holds the same number of minutes, whether or not the clocks change
that night. Long spans are counted by whole weeks, never day by day or minute by minute.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

US_PER_MINUTE = 60_000_000
US_PER_SECOND = 1_000_000


class WorkCalendar(Protocol):
    """What the arithmetic needs from a calendar (the health policy's `Calendar` has it)."""

    @property
    def working_days(self) -> Sequence[int]: ...  # 0 is Monday

    @property
    def day_start(self) -> dt.time: ...

    @property
    def day_end(self) -> dt.time: ...

    @property
    def holidays(self) -> Sequence[dt.date]: ...


@dataclass(frozen=True)
class _Week:
    """A calendar prepared for counting: its times in microseconds since midnight and its
    holidays that fall on working days, sorted."""

    days: frozenset[int]
    per_week: int
    opens: int
    closes: int
    holidays: tuple[int, ...]  # ordinals

    @property
    def length(self) -> int:
        return self.closes - self.opens

    def is_working(self, ordinal: int) -> bool:
        return (ordinal - 1) % 7 in self.days and not self._is_holiday(ordinal)

    def _is_holiday(self, ordinal: int) -> bool:
        i = bisect.bisect_left(self.holidays, ordinal)
        return i < len(self.holidays) and self.holidays[i] == ordinal

    def weekdays_in(self, first: int, last: int) -> int:
        """Working weekdays from `first` to `last` inclusive, holidays not deducted."""
        if last < first:
            return 0
        span = last - first + 1
        weeks, rest = divmod(span, 7)
        count = weeks * self.per_week
        start = (first - 1 + weeks * 7) % 7
        count += sum(1 for k in range(rest) if (start + k) % 7 in self.days)
        return count

    def holidays_in(self, first: int, last: int) -> int:
        """Holidays on working weekdays from `first` to `last` inclusive."""
        if last < first:
            return 0
        return bisect.bisect_right(self.holidays, last) - bisect.bisect_left(self.holidays, first)

    def working_in(self, first: int, last: int) -> int:
        return self.weekdays_in(first, last) - self.holidays_in(first, last)

    def nth_working_after(self, ordinal: int, n: int) -> int:
        """The n-th working day after `ordinal` (n >= 1)."""
        while True:
            # Skip whole weeks, then walk the few days left, ignoring holidays...
            weeks, rest = divmod(n - 1, self.per_week)
            day = ordinal + weeks * 7
            rest += 1
            while rest:
                day += 1
                if (day - 1) % 7 in self.days:
                    rest -= 1
            # ...then as many working days again as there were holidays on the way.
            missed = self.holidays_in(ordinal + 1, day)
            if not missed:
                return day
            ordinal, n = day, missed


@lru_cache(maxsize=64)
def _week(
    days: tuple[int, ...], opens: dt.time, closes: dt.time, holidays: tuple[dt.date, ...]
) -> _Week:
    working = frozenset(days)
    if not working or not working <= set(range(7)):
        raise ValueError("working days are numbers 0 (Monday) to 6 (Sunday), at least one")
    if not _time_us(opens) < _time_us(closes):
        raise ValueError("the working day must end after it starts")
    on_working_days = sorted({d.toordinal() for d in holidays if d.weekday() in working})
    return _Week(
        days=working,
        per_week=len(working),
        opens=_time_us(opens),
        closes=_time_us(closes),
        holidays=tuple(on_working_days),
    )


def _prepare(calendar: WorkCalendar) -> _Week:
    # Times of day are read as wall-clock times: an offset on them is ignored.
    return _week(
        tuple(calendar.working_days),
        calendar.day_start,
        calendar.day_end,
        tuple(calendar.holidays),
    )


def _time_us(value: dt.time) -> int:
    seconds = (value.hour * 60 + value.minute) * 60 + value.second
    return seconds * US_PER_SECOND + value.microsecond


def _local(moment: dt.datetime, tz: ZoneInfo) -> tuple[int, int]:
    """The wall-clock day (ordinal) and time of day (microseconds) of an aware datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("business-hours arithmetic needs aware datetimes")
    local = moment.astimezone(tz)
    return local.toordinal(), _time_us(local.time())


def _into_day(week: _Week, ordinal: int, time_us: int) -> int:
    """Business time already gone on that day at that time (0 on a day off)."""
    if not week.is_working(ordinal):
        return 0
    return min(max(time_us - week.opens, 0), week.length)


def add_business_minutes(
    start: dt.datetime, minutes: int, calendar: WorkCalendar, tz: ZoneInfo
) -> dt.datetime:
    """The moment `minutes` of business time after `start`, in `tz`: a deadline.

    Time outside business hours does not count, so a request raised at night or on a weekend
    counts from the next opening. A deadline that falls at the end of a working day is that
    day's closing time, not the next opening.
    """
    if minutes < 0:
        raise ValueError("minutes of business time cannot be negative")
    if minutes == 0:
        return start.astimezone(tz)
    week = _prepare(calendar)
    day, time_us = _local(start, tz)
    need = minutes * US_PER_MINUTE
    gone = _into_day(week, day, time_us)
    left_today = week.length - gone if week.is_working(day) else 0
    if need <= left_today:
        return _at(day, week.opens + gone + need, tz)
    need -= left_today
    days, into = divmod(need, week.length)
    if into == 0:  # exactly at a closing time
        days, into = days - 1, week.length
    return _at(week.nth_working_after(day, days + 1), week.opens + into, tz)


def business_minutes_between(
    start: dt.datetime, end: dt.datetime, calendar: WorkCalendar, tz: ZoneInfo
) -> int:
    """Whole minutes of business time from `start` to `end` (0 if `end` is not after it)."""
    if end <= start:
        return 0
    week = _prepare(calendar)
    first, first_us = _local(start, tz)
    last, last_us = _local(end, tz)
    if first == last:
        elapsed = _into_day(week, last, last_us) - _into_day(week, first, first_us)
    else:
        rest_of_first = week.length - _into_day(week, first, first_us)
        if not week.is_working(first):
            rest_of_first = 0
        between = week.working_in(first + 1, last - 1) * week.length
        elapsed = rest_of_first + between + _into_day(week, last, last_us)
    return max(elapsed, 0) // US_PER_MINUTE


def _at(ordinal: int, time_us: int, tz: ZoneInfo) -> dt.datetime:
    day = dt.date.fromordinal(ordinal)
    # Adding to an aware datetime moves its wall clock, whatever the clocks do that day.
    return dt.datetime(day.year, day.month, day.day, tzinfo=tz) + dt.timedelta(microseconds=time_us)


def format_minutes(minutes: int | None) -> str:
    """Business minutes in words for people: '3 h 20 min', '45 min', '16 h'."""
    if minutes is None:
        return ""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"
