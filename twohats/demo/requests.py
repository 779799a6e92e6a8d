"""Client requests of the last six months, answered fast by most PMs and slowly by a few.

A few requests a month per active account (more for the big ones), raised mostly in office
hours, by the account's people, about its projects. Deadlines and response times come from the
business-hours functions under the active health policy, as the services compute them, but for
whole batches at a time. Requests whose planned answer lies in the future are still open; some
of them are overdue, mostly those of the slow PMs.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from twohats.demo.context import ClientPlan, Context, ProjectPlan, Staff, at, between, weekday
from twohats.demo.context import zone as zone_named
from twohats.demo.writer import Table
from twohats.health.models import HealthPolicy
from twohats.interactions.models import ClientRequest
from twohats.lib.business_hours import add_business_minutes, business_minutes_between

BATCH = 4_000
HISTORY_DAYS = 183
PER_MONTH = {"strategic": 5.0, "key": 3.0, "standard": 2.0}
BIG_PER_MONTH = 12.0
# Share of PMs slow to answer: their responses often miss the target. pm2 is one of them.
SLOW_SHARE = 0.15
OFF_HOURS = (6, 7, 18, 19, 20, 21)
PRIORITIES = ("critical", "high", "normal", "low")
PRIORITY_WEIGHTS = (6, 22, 50, 22)
CHANNELS = ("written", "phone", "video", "in_person")
CHANNEL_WEIGHTS = (55, 28, 12, 5)
# Answer time as a share of the target: (chance of missing it, range when met, when missed).
PACE = {
    "prompt": (0.07, (0.05, 0.9), (1.05, 2.5)),
    "slow": (0.5, (0.3, 1.0), (1.1, 4.0)),
}
# Requests nobody got round to: left unanswered if raised in the last weeks.
FORGOTTEN = {"prompt": (10, 0.03), "slow": (21, 0.25)}

SUBJECTS = (
    "Quote for additional test environments",
    "Clarify the acceptance criteria of the next release",
    "Status of the defect backlog",
    "Access for a new team member",
    "Change to the delivery schedule",
    "Copy of the signed statement of work",
    "Estimate for an extra interface",
    "Explanation of the latest invoice",
    "Outage on the integration platform",
    "Support for the audit next week",
    "Slides for the steering committee",
    "Training for the support team",
    "Security questionnaire to complete",
    "Resourcing plan for the next quarter",
    "Update on the data migration",
    "Review of the risk register",
    "Performance issue in production",
    "Licence renewal questions",
    "Documentation of the new API",
    "Hand-over plan for the support phase",
    "Availability of the architect for a workshop",
    "Root cause of last week's incident",
    "Draft of the change request",
    "Meeting notes of the design review",
)
DETAILS = (
    "",
    "",
    "Asked for an answer before the end of the week.",
    "Their director is asking; keep it short.",
    "Follow-up on the last steering committee.",
    "Needed for their internal budget round.",
    "Raised again after the first email went unanswered.",
)
FIELDS = (
    "client_id",
    "project_id",
    "raised_by_id",
    "channel",
    "priority",
    "subject",
    "details",
    "raised_at",
    "owner_id",
    "policy_id",
    "sla_minutes",
    "due_at",
    "first_response_at",
    "response_minutes",
    "breached",
    "resolved_at",
    "logged_by_id",
    "created_at",
)


def build_requests(ctx: Context) -> None:
    # Its own random stream: the data built before are the same with or without requests.
    rng = random.Random(f"{ctx.seed}-requests")
    policy = _policy()
    pace = _paces(ctx, rng)
    clients = [c for c in ctx.clients if c.status == "active"]
    counts = [_count(ctx, rng, client) for client in clients]
    table = ctx.writer.table(ClientRequest, FIELDS)
    rows: list[tuple[object, ...]] = []
    with ctx.writer.bar("client requests", sum(counts)) as bar:
        for client, count in zip(clients, counts, strict=True):
            for _ in range(count):
                row = _request(ctx, rng, client, policy, pace)
                if row is not None:
                    rows.append(row)
            if len(rows) >= BATCH:
                bar.update(_flush(table, rows))
                rows = []
        bar.update(_flush(table, rows))


def _flush(table: Table, rows: list[tuple[object, ...]]) -> int:
    with transaction.atomic():
        table.insert(rows)
    return len(rows)


def _policy() -> HealthPolicy:
    return HealthPolicy.objects.active()


def _paces(ctx: Context, rng: random.Random) -> dict[int, str]:
    """Each PM's habit: prompt or slow. pm answers promptly, pm2 does not."""
    pace = {}
    for person in ctx.staff:
        slow = rng.random() < SLOW_SHARE
        if person.username in ("pm", "pm2"):
            slow = person.username == "pm2"
        pace[person.id] = "slow" if slow else "prompt"
    return pace


def _first_day(ctx: Context, client: ClientPlan) -> int:
    return max(client.start, ctx.today_ord - HISTORY_DAYS)


def _count(ctx: Context, rng: random.Random, client: ClientPlan) -> int:
    """A few a month while the account was active in the last six months (a silent account
    stopped asking when it went quiet)."""
    months = max(0, client.end - _first_day(ctx, client)) / 30.4
    per_month = BIG_PER_MONTH if client.big else PER_MONTH[client.tier]
    return round(months * per_month * rng.uniform(0.6, 1.4))


def _request(
    ctx: Context,
    rng: random.Random,
    client: ClientPlan,
    policy: HealthPolicy,
    pace: dict[int, str],
) -> tuple[object, ...] | None:
    rules = policy.rules
    calendar, zone = rules.calendar, zone_named(client.time_zone)
    o = between(rng, _first_day(ctx, client), client.end)
    day = weekday(o)
    if day > 4 and rng.random() < 0.85:
        o -= day - 4  # most weekend requests are really Friday's
    # Mostly in office hours; some early, late or at the weekend.
    hour = between(rng, 8, 17) if rng.random() < 0.82 else rng.choice(OFF_HOURS)
    raised = at(o, hour, rng.choice((0, 5, 10, 15, 20, 30, 40, 45, 50)), client.time_zone)
    if raised > ctx.now:
        return None
    project = _project_at(rng, client, o)
    owner = project.manager if project is not None else client.lead
    priority = rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0]
    sla = rules.sla.minutes(priority)
    due = add_business_minutes(raised, sla, calendar, zone)

    habit = pace.get(owner.id, "prompt")
    miss, met, missed = PACE[habit]
    low, high = missed if rng.random() < miss else met
    planned = max(1, round(sla * rng.uniform(low, high)))
    first: dt.datetime | None = add_business_minutes(raised, planned, calendar, zone)
    window, share = FORGOTTEN[habit]
    if first is not None and (
        first > ctx.now or (ctx.today_ord - o <= window and rng.random() < share)
    ):
        first = None
    minutes = breached = resolved = None
    if first is not None:
        minutes = business_minutes_between(raised, first, calendar, zone)
        breached = minutes > sla
        resolved = first + dt.timedelta(hours=rng.uniform(0.5, 24 * 12))
        if resolved > ctx.now:
            resolved = None
    logger = owner if rng.random() < 0.8 else _colleague(rng, client, project)
    return (
        client.id,
        project.id if project is not None else None,
        contact_at(rng, client, o),
        rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0],
        priority,
        rng.choice(SUBJECTS),
        rng.choice(DETAILS),
        raised,
        owner.id,
        policy.pk,
        sla,
        due,
        first,
        minutes,
        breached,
        resolved,
        logger.id,
        min(ctx.now, raised + dt.timedelta(minutes=between(rng, 1, 90))),
    )


def _project_at(rng: random.Random, client: ClientPlan, ordinal: int) -> ProjectPlan | None:
    running = [
        p
        for p in client.projects
        if p.status != "proposed" and p.start - 14 <= ordinal <= p.end + 30
    ]
    if not running or rng.random() < 0.25:
        return None
    return rng.choice(running)


def _colleague(rng: random.Random, client: ClientPlan, project: ProjectPlan | None) -> Staff:
    if project is not None and project.team:
        return rng.choice(project.team)
    return client.lead


def contact_at(rng: random.Random, client: ClientPlan, ordinal: int) -> int | None:
    """Someone still at the client that day, the powerful more often."""
    ids, left = client.contact_ids, client.contact_left
    if not ids:
        return None
    for _ in range(4):
        i = rng.choices(range(len(ids)), cum_weights=client.contact_weights)[0]
        if left[i] > ordinal:
            return ids[i]
    return None
