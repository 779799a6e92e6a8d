"""Milestones and the change ledger of each project, following its course (`reports.Course`).

Milestones carry planned values that add up to at most the budget; on slipping projects they
finish late, and some are overdue; most completed ones are accepted by one of the client's
senior people. Clients ask for changes as projects run; what the firm decides depends on the
PM: those gone native (and a few generous others) absorb many as goodwill, the rest bill most.
A few changes wait for a decision, some of them for months.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from twohats.demo.context import ClientPlan, Context, at, between
from twohats.demo.requests import contact_at
from twohats.demo.vocab import CHANGE_SUBJECTS, DECISION_REASONS, FINAL_MILESTONE, MILESTONE_NAMES
from twohats.projects.services import CENT

if TYPE_CHECKING:
    from twohats.demo.reports import Course

MILESTONE_FIELDS = (
    "project_id",
    "name",
    "planned_date",
    "forecast_date",
    "actual_date",
    "planned_value",
    "percent_complete",
    "accepted_by_id",
    "accepted_at",
    "created_at",
    "updated_at",
)
CHANGE_FIELDS = (
    "project_id",
    "asked_by_id",
    "asked_at",
    "description",
    "effort_hours",
    "value",
    "decision",
    "decided_by_id",
    "decided_at",
    "reason",
    "created_at",
    "updated_at",
)
DECISIONS = ("absorbed", "billed", "declined")
CHANGES_PER_MONTH = 0.3
# Changes asked in the last three weeks are mostly undecided; older ones rarely.
RECENT_DAYS = 21
RECENT_PENDING = 0.6
OLD_PENDING = 0.03
GENEROUS_SHARE = 0.06


@dataclass(frozen=True)
class Propensity:
    """How a PM decides on changes."""

    name: str
    weights: tuple[int, int, int]  # absorbed, billed, declined
    asked: float  # clients ask a PM who says yes for more


GOODWILL = Propensity("goodwill", (62, 26, 12), 1.6)
GENEROUS = Propensity("generous", (40, 45, 15), 1.2)
FIRM = Propensity("firm", (8, 72, 20), 1.0)


def propensities(ctx: Context, rng: random.Random) -> dict[int, Propensity]:
    """By staff index: the PMs gone native give scope away; so do a few others. pm and pm2,
    the demo logins, bill."""
    leanings = {}
    for person in ctx.staff:
        if person.habit == "native":
            leanings[person.index] = GOODWILL
        elif person.username in ("pm", "pm2") or person.role != "pm":
            leanings[person.index] = FIRM
        else:
            leanings[person.index] = GENEROUS if rng.random() < GENEROUS_SHARE else FIRM
    return leanings


def milestone_rows(
    ctx: Context, rng: random.Random, course: Course, rows: list[tuple[object, ...]]
) -> None:
    project, client = course.project, course.client
    today, status = ctx.today_ord, project.status
    n = between(rng, 4, 8)
    picked = sorted(rng.sample(range(len(MILESTONE_NAMES)), n - 1))
    names = [MILESTONE_NAMES[i] for i in picked] + [FINAL_MILESTONE]
    duration = project.end - project.start
    weights = [rng.uniform(1.0, 3.0) for _ in range(n)]
    # Part of the budget (management, contingency) is tied to no milestone.
    tied = Decimal(project.budget) * Decimal(rng.uniform(0.8, 1.0) / sum(weights))
    slip_end = rng.uniform(*course.profile.slip) * duration
    created = at(min(project.start, today) - between(rng, 5, 25), 11, 0, client.time_zone)
    stop = min(today, course.hold)
    previous = project.start
    open_seen = False
    for j, name in enumerate(names):
        if j < n - 1:
            planned = project.start + round(duration * ((j + 1) / n + rng.uniform(-0.03, 0.03)))
            planned = min(max(planned, previous), project.end)
        else:
            planned = project.end
        previous = planned
        slip = round(slip_end * (j + 1) / n + rng.uniform(-3, 3))
        expected = max(project.start, planned + slip)
        actual = forecast = None
        percent = 0.0
        if status == "completed":
            actual = min(expected, project.end)
        elif status == "cancelled":
            actual = expected if expected <= project.end else None
        elif status in ("active", "on_hold"):
            if expected <= stop:
                actual = expected
            else:
                if status == "active" and (slip > 2 or planned <= today):
                    forecast = max(expected, today + 1)
                if status == "active" and not open_seen and planned - today < 60:
                    percent = rng.uniform(10, 80)
                open_seen = True
        accepted_by = accepted_at = None
        if actual is not None and rng.random() < (0.85 if status == "completed" else 0.65):
            day = actual + between(rng, 1, 10)
            if day < today:
                accepted_by = _acceptor(rng, client, day)
                if accepted_by is not None:
                    accepted_at = at(day, between(rng, 9, 16), 0, client.time_zone)
        updated = accepted_at or (
            at(actual, 17, 0, client.time_zone) if actual is not None else created
        )
        rows.append(
            (
                project.id,
                name,
                dt.date.fromordinal(planned),
                dt.date.fromordinal(forecast) if forecast is not None else None,
                dt.date.fromordinal(actual) if actual is not None else None,
                (tied * Decimal(weights[j])).quantize(CENT, rounding=ROUND_DOWN),
                Decimal(f"{percent:.2f}"),
                accepted_by,
                accepted_at,
                created,
                max(created, updated),
            )
        )


def _acceptor(rng: random.Random, client: ClientPlan, ordinal: int) -> int | None:
    """One of the client's senior people still there, or anyone still there."""
    seniors = [k for k in client.senior_contacts if client.contact_left[k] > ordinal]
    if seniors:
        return client.contact_ids[rng.choice(seniors)]
    return contact_at(rng, client, ordinal)


def change_rows(
    ctx: Context, rng: random.Random, course: Course, rows: list[tuple[object, ...]]
) -> None:
    project, client = course.project, course.client
    leaning = course.propensity or FIRM
    first, last = project.start + 10, min(project.end, ctx.today_ord - 1)
    if last < first or not client.contact_ids:
        return
    rate = CHANGES_PER_MONTH * rng.uniform(0.5, 1.5) * leaning.asked * (1.5 if client.big else 1)
    count = min(12, round((last - first) / 30.4 * rate))
    live = project.status in ("active", "on_hold")
    budget = project.budget
    for _ in range(count):
        o = between(rng, first, last)
        asked = at(o, between(rng, 9, 17), rng.choice((0, 15, 30, 45)), client.time_zone)
        if asked > ctx.now:
            continue
        contact = contact_at(rng, client, o) or client.contact_ids[0]
        value = round(budget * rng.lognormvariate(math.log(0.02), 0.8), -2)
        value = min(max(500, int(value)), budget // 4)
        hours = value / rng.uniform(90, 160)
        decision = rng.choices(DECISIONS, leaning.weights)[0]
        when = asked + dt.timedelta(days=between(rng, 1, 21), hours=between(rng, 0, 6))
        share = RECENT_PENDING if ctx.today_ord - o <= RECENT_DAYS else OLD_PENDING
        decided: dt.datetime | None = min(when, ctx.now)
        if live and (rng.random() < share or when > ctx.now):
            decision, decided = "pending", None
        decider = None
        reason = ""
        if decided is not None:
            decider = project.manager.id if rng.random() < 0.85 else client.lead.id
            reason = rng.choice(DECISION_REASONS[decision])
        rows.append(
            (
                project.id,
                contact,
                asked,
                rng.choice(CHANGE_SUBJECTS),
                Decimal(f"{hours:.1f}"),
                Decimal(value),
                decision,
                decider,
                decided,
                reason,
                asked,
                decided or asked,
            )
        )
