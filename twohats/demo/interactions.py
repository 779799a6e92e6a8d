"""Interactions with believable rhythms, streamed to the database in batches.

Each project has a weekly (or fortnightly) meeting on a fixed day and time and, when it is big
enough, a monthly steering review; emails, calls, workshops, site visits and the odd lunch fill
the rest. Who logs an interaction, where and how it happened, who took part, which of the six
roles it served, how it felt and what comes next all follow the account and the PM.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from twohats.demo.context import (
    HOME,
    REMOTE,
    ClientPlan,
    Context,
    ProjectPlan,
    Staff,
    at,
    between,
    weekday,
)
from twohats.demo.vocab import NEXT_STEPS, SUMMARIES, TOPICS
from twohats.demo.workdays import TRAVEL, site_share
from twohats.demo.writer import Table
from twohats.interactions.models import Interaction

BATCH = 4_000
ContactLink = Interaction.contacts.through
StaffLink = Interaction.staff.through

# (ordinal, kind, hour, minute, project)
Event = tuple[int, str, int, int, ProjectPlan | None]

SERIES_SHARE = 0.45  # of a client's interactions: the weekly project meetings
STEERING_SHARE = 0.08  # the monthly steering reviews
STEERING_BUDGET = 300_000  # projects from this budget up have a steering committee
KINDS = ("email", "call", "meeting", "site_visit", "workshop", "social", "steering")
KIND_WEIGHTS = (40, 22, 14, 8, 8, 4, 1)
PROSPECT_WEIGHTS = (35, 30, 25, 0, 2, 8, 0)
DURATIONS = {
    "email": (5, 20),
    "call": (10, 45),
    "meeting": (30, 90),
    "site_visit": (180, 480),
    "workshop": (90, 240),
    "social": (60, 150),
    "steering": (60, 120),
}
# Chance of each role: implementer, coach, entrepreneur, politician, friend, marketer.
ROLE_CHANCE = {
    "email": (0.85, 0.03, 0.04, 0.05, 0.03, 0.03),
    "call": (0.75, 0.06, 0.1, 0.12, 0.15, 0.04),
    "meeting": (0.9, 0.15, 0.1, 0.15, 0.12, 0.05),
    "site_visit": (0.8, 0.2, 0.12, 0.1, 0.3, 0.1),
    "workshop": (0.8, 0.7, 0.12, 0.08, 0.1, 0.15),
    "social": (0.1, 0.05, 0.3, 0.2, 0.9, 0.2),
    "steering": (0.95, 0.05, 0.2, 0.6, 0.05, 0.1),
}
NEXT_STEP_CHANCE = {
    "email": 0.25,
    "call": 0.35,
    "meeting": 0.55,
    "site_visit": 0.4,
    "workshop": 0.6,
    "social": 0.15,
    "steering": 0.8,
}
# Chance that a PM who is not at the client's site that day travels there for it.
TRAVEL_CHANCE = {
    "email": 0.0,
    "call": 0.0,
    "meeting": 0.1,
    "site_visit": 1.0,
    "workshop": 0.5,
    "social": 0.0,
    "steering": 0.5,
}
MOOD_OF_KIND = {"social": 0.5, "steering": -0.2}
CONTACTS_OF_KIND = {
    "email": (1, 1),
    "call": (1, 1),
    "meeting": (1, 4),
    "site_visit": (1, 3),
    "workshop": (2, 6),
    "social": (1, 2),
    "steering": (2, 4),
}
GROUP_KINDS = frozenset(("meeting", "site_visit", "workshop", "steering"))
MEETING_HOURS = (9, 10, 11, 14, 15, 16)


FIELDS = (
    "client_id",
    "project_id",
    "kind",
    "channel",
    "location",
    "occurred_at",
    "duration_minutes",
    "role_implementer",
    "role_coach",
    "role_entrepreneur",
    "role_politician",
    "role_friend",
    "role_marketer",
    "sentiment",
    "summary",
    "next_step",
    "next_step_due",
    "next_step_owner_id",
    "next_step_done_at",
    "logged_by_id",
    "created_at",
)
NextStep = tuple[str, dt.date | None, int | None, dt.datetime | None]
NO_NEXT_STEP: NextStep = ("", None, None, None)


class Batch:
    def __init__(self) -> None:
        self.rows: list[tuple[object, ...]] = []
        self.contacts: list[list[int]] = []
        self.staff: list[list[int]] = []


def build_interactions(ctx: Context) -> None:
    total = sum(client.interactions_n for client in ctx.clients)
    tables = (
        ctx.writer.table(Interaction, FIELDS),
        ctx.writer.table(ContactLink, ("interaction_id", "contact_id")),
        ctx.writer.table(StaffLink, ("interaction_id", "user_id")),
    )
    batch = Batch()
    with ctx.writer.bar("interactions", total) as bar:
        for client in ctx.clients:
            for event in _events(ctx, client):
                _add(ctx, client, event, batch)
                if len(batch.rows) >= BATCH:
                    bar.update(_flush(tables, batch))
                    batch = Batch()
        bar.update(_flush(tables, batch))


def _flush(tables: tuple[Table, Table, Table], batch: Batch) -> int:
    interactions, contact_links, staff_links = tables
    with transaction.atomic():
        ids = interactions.insert_returning_ids(batch.rows)
        contact_links.insert(
            [
                (pk, contact)
                for pk, contacts in zip(ids, batch.contacts, strict=True)
                for contact in contacts
            ]
        )
        staff_links.insert(
            [(pk, user) for pk, users in zip(ids, batch.staff, strict=True) for user in users]
        )
    return len(batch.rows)


def _events(ctx: Context, client: ClientPlan) -> list[Event]:
    """The dates and kinds of a client's interactions: project rhythms, then the rest."""
    rng = ctx.rng
    n = client.interactions_n
    events: list[Event] = []
    running = [
        (project, max(project.start, client.start), min(project.end, client.end))
        for project in client.projects
        if project.status != "proposed"
    ]
    running = [item for item in running if item[1] <= item[2]]
    if running:
        share = max(1, int(n * SERIES_SHARE) // len(running))
        for project, low, high in running:
            events += _weekly(ctx, project, low, high, share)
        steered = [item for item in running if item[0].budget >= STEERING_BUDGET or client.big]
        if steered:
            share = max(1, int(n * STEERING_SHARE) // len(steered))
            for project, low, high in steered:
                events += _monthly(ctx, project, low, high, share)
    if len(events) > n:
        events = rng.sample(events, n)
    weights = PROSPECT_WEIGHTS if client.status == "prospect" else KIND_WEIGHTS
    kinds = rng.choices(KINDS, weights, k=n - len(events))
    for kind in kinds:
        o = between(rng, client.start, client.end)
        day = weekday(o)
        if day > 4:
            o -= day - 4  # a weekend becomes the Friday before
        about = _project_at(ctx, client, o) if rng.random() < 0.8 else None
        events.append((o, kind, between(rng, 8, 17), rng.choice((0, 15, 30, 45)), about))
    events.sort(key=lambda event: (event[0], event[2], event[3]))
    return events


def _weekly(ctx: Context, project: ProjectPlan, low: int, high: int, share: int) -> list[Event]:
    """A meeting on a fixed weekday and hour, weekly, or fortnightly when the budget is tight;
    the most recent ones when even that is too many. About one in twelve is skipped."""
    rng = ctx.rng
    day = rng.choice((0, 1, 1, 2, 2, 3, 3, 4))
    hour, minute = rng.choice(MEETING_HOURS), rng.choice((0, 30))
    last = high - (weekday(high) - day) % 7
    step = 7 if (last - low) // 7 + 1 <= share else 14
    events: list[Event] = []
    for o in range(last, low - 1, -step):
        if len(events) >= share:
            break
        if rng.random() < 0.08:
            continue
        events.append((o, "meeting", hour, minute, project))
    return events


def _monthly(ctx: Context, project: ProjectPlan, low: int, high: int, share: int) -> list[Event]:
    """A steering review on the same weekday of the first or second week of each month."""
    rng = ctx.rng
    day, week = between(rng, 0, 4), between(rng, 0, 1)
    hour = rng.choice((9, 10, 14))
    month = dt.date.fromordinal(high).replace(day=1)
    events: list[Event] = []
    while len(events) < share and month.toordinal() + 13 >= low:
        first = month.toordinal()
        o = first + (day - weekday(first)) % 7 + 7 * week
        if low <= o <= high:
            events.append((o, "steering", hour, 0, project))
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return events


def _project_at(ctx: Context, client: ClientPlan, ordinal: int) -> ProjectPlan | None:
    """One of the projects under way (or about to start) on that day, if any."""
    running = [p for p in client.projects if p.start - 30 <= ordinal <= p.end + 14]
    return ctx.rng.choice(running) if running else None


def _add(ctx: Context, client: ClientPlan, event: Event, batch: Batch) -> None:
    rng = ctx.rng
    o, kind, hour, minute, project = event
    logger = _logger(ctx, client, project)
    staff = [logger]
    if project is not None and kind in GROUP_KINDS:
        pool = [project.manager, *project.team, client.lead]
        for _ in range(between(rng, 0, 2)):
            person = rng.choice(pool)
            if person not in staff:
                staff.append(person)
    # Where the PM was that day decides how the interaction happened; a PM who was not at a
    # client's site may travel there for the interactions that call for it.
    plan = ctx.workdays.get(logger.id)
    where = plan.get(o) if plan is not None else None
    if where is None:
        # Before the records (or on leave): follow the PM's habit.
        if rng.random() < site_share(logger.habit):
            where = client.id
        else:
            where = HOME if rng.random() < 0.6 else REMOTE
    elif (
        plan is not None and where <= 0 and TRAVEL_CHANCE[kind] and (logger.id, o) not in ctx.stayed
    ):
        # Whether to travel is decided once a day, at the first interaction that calls for it.
        if rng.random() < TRAVEL_CHANCE[kind] * TRAVEL[logger.habit]:
            where = plan[o] = client.id
        else:
            ctx.stayed.add((logger.id, o))
    on_site = where == client.id
    if kind == "site_visit" and not on_site:
        kind = "meeting"
    place = "client_site" if on_site else "home_office" if where == HOME else "other"
    if kind == "email":
        channel = "written"
    elif kind == "call":
        channel = "phone"
    elif kind == "social":
        channel, place = "in_person", "other"
    else:
        channel = "in_person" if on_site else "video"

    roles = _roles(ctx, client, kind, logger)
    mood = client.mood + MOOD_OF_KIND.get(kind, 0.0) + rng.uniform(-1.3, 1.3)
    if project is not None:
        mood += project.mood  # its PM's fit with the client's representative (matching.py)
    if client.silent and o > client.end - 60:
        mood -= 0.7  # the relationship soured before it went quiet
    low, high = DURATIONS[kind]
    duration = between(rng, low // 5, high // 5) * 5
    occurred = at(o, hour, minute, client.time_zone)
    summary = f"{rng.choice(SUMMARIES[kind])}: {rng.choice(TOPICS)}."
    if project is not None:
        summary = f"{project.name} — {summary}"

    next_step: NextStep
    if rng.random() < NEXT_STEP_CHANCE[kind]:
        next_step = _next_step(ctx, client, o, staff)
    else:
        next_step = NO_NEXT_STEP
    batch.rows.append(
        (
            client.id,
            project.id if project else None,
            kind,
            channel,
            place,
            occurred,
            duration,
            *roles,
            max(-2, min(2, round(mood))),
            summary,
            *next_step,
            logger.id,
            min(ctx.now, occurred + dt.timedelta(minutes=duration + between(rng, 5, 240))),
        )
    )
    batch.contacts.append(_contacts(ctx, client, kind, o))
    batch.staff.append([person.id for person in staff])


def _logger(ctx: Context, client: ClientPlan, project: ProjectPlan | None) -> Staff:
    if project is None:
        return client.lead
    pick = ctx.rng.random()
    if pick < 0.65:
        return project.manager
    if pick < 0.85 and project.team:
        return ctx.rng.choice(project.team)
    return client.lead


def _roles(ctx: Context, client: ClientPlan, kind: str, logger: Staff) -> list[bool]:
    rng = ctx.rng
    chance = ROLE_CHANCE[kind]
    style = logger.style
    roles = [rng.random() < chance[0]]
    for k in range(5):
        boost = 2.5 if client.status == "prospect" and k in (1, 4) else 1.0
        roles.append(rng.random() < chance[k + 1] * style[k] * boost)
    if not any(roles):
        roles[4 if kind == "social" else 0] = True
    return roles


def _next_step(
    ctx: Context, client: ClientPlan, o: int, staff: list[Staff]
) -> tuple[str, dt.date, int, dt.datetime | None]:
    """What comes next, by when and by whom; most past-due steps are done, a few are late."""
    rng, today = ctx.rng, ctx.today_ord
    due = o + between(rng, 2, 21)
    owner = staff[0] if len(staff) == 1 or rng.random() < 0.7 else rng.choice(staff)
    text = rng.choice(NEXT_STEPS)
    done = None
    # A few recent steps run late; old ones were closed long ago (or the page would be all red).
    if due < today and rng.random() < (0.85 if today - due <= 30 else 0.995):
        done = min(o + between(rng, 1, due - o + 3), today - 1)
    elif due >= today and o < today - 1 and rng.random() < 0.2:
        done = between(rng, o + 1, today - 1)
    done_at = None
    if done is not None:
        done_at = min(ctx.now, at(done, between(rng, 9, 17), 0, client.time_zone))
    return text, dt.date.fromordinal(due), owner.id, done_at


def _contacts(ctx: Context, client: ClientPlan, kind: str, o: int) -> list[int]:
    """Who took part: weighted to the powerful; steering reviews draw on senior people; never
    someone who had left the client by then."""
    rng = ctx.rng
    ids, left = client.contact_ids, client.contact_left
    if not ids:
        return []
    low, high = CONTACTS_OF_KIND[kind]
    k = between(rng, low, high)
    if kind == "steering" and client.senior_contacts:
        picks = [rng.choice(client.senior_contacts) for _ in range(k)]
    else:
        picks = rng.choices(range(len(ids)), cum_weights=client.contact_weights, k=k)
    chosen = [ids[i] for i in dict.fromkeys(picks) if left[i] > o]
    if not chosen:
        chosen = [ids[i] for i in range(len(ids)) if left[i] > o][:1]
    return chosen
