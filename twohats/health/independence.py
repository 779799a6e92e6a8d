"""Independence (avoiding "going native"): where each PM worked, from their workday locations.

Over a window of N weeks ending on a date (included): the workdays recorded, the share of them
at each client's site, the recorded workdays since the PM was last at the home office, and the
longest run of consecutive recorded workdays at one client's site. Days are counted as recorded:
an unrecorded day (a weekend, leave) neither breaks a run nor adds to one. Everything is a few
GROUP BY queries for all PMs at once; the run is a gaps-and-islands query with ROW_NUMBER.

Scope given away is the other sign: the change requests absorbed (as goodwill) on the projects
a PM manages, decided in the window, by count and by value against those projects' budgets.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone

from twohats.people.models import WorkdayLocation
from twohats.projects.models import ChangeRequest, Decision, Project, ProjectStatus

Kind = WorkdayLocation.Kind


@dataclass(frozen=True)
class Independence:
    user_id: int
    since: dt.date  # the window's first day
    until: dt.date  # its last day
    workdays: int
    client_site_days: int
    home_office_days: int
    remote_days: int
    site_days: dict[int, int] = field(default_factory=dict)  # client id -> days at its site
    top_client_id: int | None = None
    top_client_days: int = 0
    last_home_office: dt.date | None = None  # ever, up to `until`
    workdays_since_home_office: int = 0  # recorded after that day (all of them if never)
    longest_streak: int = 0  # consecutive recorded workdays at one client's site
    longest_streak_client_id: int | None = None
    longest_streak_end: dt.date | None = None

    @property
    def top_client_share(self) -> float | None:
        return round(self.top_client_days / self.workdays, 6) if self.workdays else None

    def site_share(self, client_id: int) -> float:
        return round(self.site_days.get(client_id, 0) / self.workdays, 6) if self.workdays else 0


@dataclass(frozen=True)
class Week:
    start: dt.date
    end: dt.date
    client_site: int
    home_office: int
    remote: int

    @property
    def recorded(self) -> int:
        return self.client_site + self.home_office + self.remote


def window_start(until: dt.date, weeks: int) -> dt.date:
    return until - dt.timedelta(weeks=weeks) + dt.timedelta(days=1)


def independence(
    *, until: dt.date, weeks: int = 8, user_ids: Iterable[int] | None = None
) -> dict[int, Independence]:
    """Each PM's independence over the `weeks` weeks ending on `until`; a PM without a workday
    recorded in the window is absent."""
    if weeks < 1:
        raise ValueError("the window is at least one week")
    since = window_start(until, weeks)
    ids = None if user_ids is None else list(user_ids)
    days = WorkdayLocation.objects.all()
    if ids is not None:
        days = days.filter(user_id__in=ids)

    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(Kind.values, 0))
    sites: dict[int, dict[int, int]] = defaultdict(dict)
    for row in (
        days.filter(date__gte=since, date__lte=until)
        .values("user_id", "kind", "client_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[row["user_id"]][row["kind"]] += row["n"]
        if row["client_id"] is not None:
            sites[row["user_id"]][row["client_id"]] = row["n"]

    since_home = _since_home_office(until=until, user_ids=list(counts))
    streaks = longest_site_streaks(since=since, until=until, user_ids=ids)

    out: dict[int, Independence] = {}
    for user_id, kinds in counts.items():
        at_sites = sites.get(user_id, {})
        # The client with the most days; on a tie, the lowest id, so that the answer is stable.
        top = min(at_sites, key=lambda c: (-at_sites[c], c)) if at_sites else None
        streak = streaks.get(user_id)
        out[user_id] = Independence(
            user_id=user_id,
            since=since,
            until=until,
            workdays=sum(kinds.values()),
            client_site_days=kinds[Kind.CLIENT_SITE],
            home_office_days=kinds[Kind.HOME_OFFICE],
            remote_days=kinds[Kind.REMOTE],
            site_days=at_sites,
            top_client_id=top,
            top_client_days=at_sites[top] if top is not None else 0,
            last_home_office=since_home[user_id][0] if user_id in since_home else None,
            workdays_since_home_office=since_home[user_id][1] if user_id in since_home else 0,
            longest_streak=streak[1] if streak else 0,
            longest_streak_client_id=streak[0] if streak else None,
            longest_streak_end=streak[2] if streak else None,
        )
    return out


# Each PM's last day at the home office (ever, up to the date), and their recorded days after it
# (all of them when never there): one pass over their days, joined to one grouped lookup.
SINCE_HOME_SQL = """
WITH last_home AS (
    SELECT user_id, MAX("date") AS last
    FROM {table}
    WHERE kind = %s AND "date" <= %s AND user_id IN ({users})
    GROUP BY user_id
)
SELECT w.user_id, MAX(h.last),
       SUM(CASE WHEN h.last IS NULL OR w."date" > h.last THEN 1 ELSE 0 END)
FROM {table} w LEFT JOIN last_home h ON h.user_id = w.user_id
WHERE w."date" <= %s AND w.user_id IN ({users})
GROUP BY w.user_id
"""


def _since_home_office(
    *, until: dt.date, user_ids: list[int]
) -> dict[int, tuple[dt.date | None, int]]:
    if not user_ids:
        return {}
    table = connection.ops.quote_name(WorkdayLocation._meta.db_table)
    users = ", ".join(["%s"] * len(user_ids))
    sql = SINCE_HOME_SQL.format(table=table, users=users)
    params: list[Any] = [Kind.HOME_OFFICE.value, until, *user_ids, until, *user_ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    to_date = WorkdayLocation._meta.get_field("date").to_python
    return {user_id: (to_date(last), int(count or 0)) for user_id, last, count in rows}


# Islands of consecutive recorded days at the same place: within a PM's days in date order, the
# position among all their days minus the position among their days at that place is constant
# along a run and changes when another place comes between.
STREAK_SQL = """
WITH days AS (
    SELECT user_id, client_id, "date",
           ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY "date")
           - ROW_NUMBER() OVER (PARTITION BY user_id, kind, client_id ORDER BY "date") AS island
    FROM {table}
    WHERE "date" >= %s AND "date" <= %s {users}
),
runs AS (
    SELECT user_id, client_id, COUNT(*) AS length, MAX("date") AS ends
    FROM days
    WHERE client_id IS NOT NULL
    GROUP BY user_id, client_id, island
),
ranked AS (
    SELECT user_id, client_id, length, ends,
           ROW_NUMBER() OVER (
               PARTITION BY user_id ORDER BY length DESC, ends DESC, client_id
           ) AS position
    FROM runs
)
SELECT user_id, client_id, length, ends FROM ranked WHERE position = 1
"""


def longest_site_streaks(
    *, since: dt.date, until: dt.date, user_ids: list[int] | None = None
) -> dict[int, tuple[int, int, dt.date]]:
    """Per PM: (client id, length, last day) of their longest run of consecutive recorded
    workdays at one client's site between `since` and `until`; the latest run on a tie."""
    params: list[Any] = [since, until]
    users = ""
    if user_ids is not None:
        if not user_ids:
            return {}
        users = f"AND user_id IN ({', '.join(['%s'] * len(user_ids))})"
        params += user_ids
    table = connection.ops.quote_name(WorkdayLocation._meta.db_table)
    sql = STREAK_SQL.format(table=table, users=users)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    date_field = WorkdayLocation._meta.get_field("date")
    out = {}
    for user_id, client_id, length, ends in rows:
        # SQLite returns the date as text: convert it as the ORM would.
        day = date_field.to_python(ends)
        out[user_id] = (client_id, int(length), day)
    return out


def weekly_locations(user_id: int, *, until: dt.date, weeks: int = 12) -> list[Week]:
    """The PM's recorded days per calendar week (Monday to Sunday), the oldest week first, the
    last one being the week of `until`, counted up to `until`: one query, counted per date and
    place (a person has one place a day, so at most seven rows a week)."""
    if weeks < 1:
        raise ValueError("the series is at least one week")
    last_monday = until - dt.timedelta(days=until.weekday())
    first = last_monday - dt.timedelta(weeks=weeks - 1)
    counts = [dict.fromkeys(Kind.values, 0) for _ in range(weeks)]
    for date, kind, n in (
        WorkdayLocation.objects.filter(user_id=user_id, date__gte=first, date__lte=until)
        .values("date", "kind")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("date", "kind", "n")
    ):
        counts[(date - first).days // 7][kind] += n
    return [
        Week(
            start=(start := first + dt.timedelta(weeks=n)),
            end=min(start + dt.timedelta(days=6), until),
            client_site=week[Kind.CLIENT_SITE],
            home_office=week[Kind.HOME_OFFICE],
            remote=week[Kind.REMOTE],
        )
        for n, week in enumerate(counts)
    ]


@dataclass(frozen=True)
class Absorbed:
    """Change requests absorbed on a PM's projects in a window, against the budgets (BAC) of
    their projects running in it."""

    count: int
    value: Decimal
    budget: Decimal

    @property
    def share(self) -> float | None:
        return round(float(self.value / self.budget), 6) if self.budget else None

    @property
    def share_per_cent(self) -> float | None:
        share = self.share
        return None if share is None else round(share * 100, 1)


def absorbed_changes(*, until: dt.date, weeks: int, user_ids: Iterable[int]) -> dict[int, Absorbed]:
    """Per PM, the change requests absorbed on the projects they manage and decided in the
    `weeks` weeks ending on `until` (in the firm's time zone): 2 queries for all PMs at once. A
    PM with no project running in the window and nothing absorbed is absent."""
    ids = list(user_ids)
    if not ids:
        return {}
    since = window_start(until, weeks)
    zone = timezone.get_default_timezone()
    start = dt.datetime.combine(since, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    given = Q(decision=Decision.ABSORBED, decided_at__gte=start, decided_at__lt=end)
    gave = {
        row["project__manager_id"]: row
        for row in ChangeRequest.objects.filter(given, project__manager_id__in=ids)
        .values("project__manager_id")
        .annotate(n=Count("id"), value=Sum("value"))
        .order_by()
    }
    # The budgets of their projects running in the window, and of any they absorbed on.
    running = Q(start_date__lte=until, end_date__gte=since) & ~Q(status=ProjectStatus.CANCELLED)
    budgets = dict(
        Project.objects.filter(manager_id__in=ids)
        .filter(running | Q(pk__in=ChangeRequest.objects.filter(given).values("project_id")))
        .values("manager_id")
        .annotate(total=Sum("budget"))
        .order_by()
        .values_list("manager_id", "total")
    )
    return {
        user_id: Absorbed(
            count=gave[user_id]["n"] if user_id in gave else 0,
            value=(gave[user_id]["value"] if user_id in gave else None) or Decimal(0),
            budget=budgets.get(user_id) or Decimal(0),
        )
        for user_id in set(gave) | set(budgets)
    }
