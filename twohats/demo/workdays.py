"""Where each PM worked on each weekday of the past year, following their habits.

Most PMs split their week between the home office, client sites and remote work; a few have
"gone native" and spend most days at one client's site, with no routine returns to the office.
The plan is made first; the interactions then follow it (in person at the client's site on the
days the PM was there) and add the days a PM travelled to a client for a steering review, a
workshop or a site visit; the rows are written last, so both tell the same story.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from twohats.demo.context import HOME, REMOTE, ClientPlan, Context, Staff, weekday
from twohats.demo.people import HOME_PRACTICE
from twohats.people.models import WorkdayLocation

YEAR = 365
BATCH = 5_000
# Chances of a planned workday at a client's site, the home office and remote work, by habit.
HABITS: dict[str, tuple[int, int, int]] = {
    "native": (92, 2, 6),
    "road": (50, 30, 20),
    "hybrid": (22, 50, 28),
    "office": (10, 75, 15),
    "remote": (12, 23, 65),
}
# How readily a PM of each habit travels to a client for an interaction that calls for it.
TRAVEL: dict[str, float] = {
    "native": 0.3,
    "road": 1.3,
    "hybrid": 1.0,
    "office": 0.6,
    "remote": 0.4,
}
NATIVE_SHARE = 0.08
LEAVE_SHARE = 0.06


def site_share(habit: str) -> float:
    """How often a PM of this habit is at a client's site, for dates before the records."""
    return HABITS[habit][0] / 100


def plan_workdays(ctx: Context) -> None:
    rng = ctx.rng
    pms = ctx.pms()
    pools = _pools(ctx)
    mains = _assign_habits(ctx, pms, pools)
    first = ctx.today_ord - YEAR + 1
    days = [o for o in range(first, ctx.today_ord + 1) if weekday(o) < 5]
    for person in pms:
        plan: dict[int, int] = {}
        ctx.workdays[person.id] = plan
        pool = pools.get(person.index, [])
        main = mains.get(person.index)
        weights = HABITS[person.habit]
        for o in days:
            if rng.random() < LEAVE_SHARE:
                continue
            kind = rng.choices(("client_site", "home_office", "remote"), weights)[0]
            where = REMOTE if kind == "remote" else HOME
            if kind == "client_site":
                # To a client's site, or the office when none of the PM's clients is open.
                if main is not None and rng.random() < 0.95:
                    where = main.id
                else:
                    open_pool = [(c, w) for c, w in pool if c.start <= o <= c.end]
                    if open_pool:
                        clients, client_weights = zip(*open_pool, strict=True)
                        where = rng.choices(clients, client_weights)[0].id
            plan[o] = where


def insert_workdays(ctx: Context) -> None:
    table = ctx.writer.table(WorkdayLocation, ("user_id", "date", "kind", "client_id"))
    total = sum(len(plan) for plan in ctx.workdays.values())
    with ctx.writer.bar("people.WorkdayLocation", total) as bar:
        rows: list[tuple[int, dt.date, str, int | None]] = []
        for user_id, plan in ctx.workdays.items():
            for o in sorted(plan):
                where = plan[o]
                if where > 0:
                    rows.append((user_id, dt.date.fromordinal(o), "client_site", where))
                else:
                    kind = "home_office" if where == HOME else "remote"
                    rows.append((user_id, dt.date.fromordinal(o), kind, None))
            if len(rows) >= BATCH:
                with transaction.atomic():
                    table.insert(rows)
                bar.update(len(rows))
                rows = []
        with transaction.atomic():
            table.insert(rows)
        bar.update(len(rows))


def _pools(ctx: Context) -> dict[int, list[tuple[ClientPlan, float]]]:
    """The clients each PM could be visiting: those they lead, manage or work for."""
    recent = ctx.today_ord - YEAR
    pools: dict[int, dict[int, tuple[ClientPlan, float]]] = {}

    def add(person: Staff, client: ClientPlan, weight: float) -> None:
        pool = pools.setdefault(person.index, {})
        _, before = pool.get(client.index, (client, 0.0))
        pool[client.index] = (client, before + weight)

    for client in ctx.clients:
        if client.end < recent or client.status in ("prospect",):
            continue
        add(client.lead, client, 3.0 if client.tier != "standard" else 2.0)
        for project in client.projects:
            if project.status == "proposed" or project.end < recent:
                continue
            add(project.manager, client, 3.0)
            for member in project.team:
                add(member, client, 1.0)
    return {index: list(pool.values()) for index, pool in pools.items()}


def _assign_habits(
    ctx: Context, pms: list[Staff], pools: dict[int, list[tuple[ClientPlan, float]]]
) -> dict[int, ClientPlan]:
    """Give each PM a habit; a few go native at one active client. Returns their clients."""
    rng = ctx.rng
    fixed = (ctx.logins["pm"], ctx.logins["pm2"])

    def main_client(person: Staff) -> ClientPlan | None:
        eligible = [
            (weight, -client.index, client)
            for client, weight in pools.get(person.index, [])
            if client.status == "active" and not client.silent
        ]
        return max(eligible, key=lambda item: item[:2])[2] if eligible else None

    candidates = [p for p in pms if p not in fixed and main_client(p) is not None]
    wanted = max(2, round(NATIVE_SHARE * len(pms)))
    # At least one of them in the director's practice, so the demo director sees the signs.
    natives = [p for p in candidates if p.practice == HOME_PRACTICE][:1]
    rest = [p for p in candidates if p not in natives]
    natives += rng.sample(rest, min(len(rest), wanted - len(natives)))
    mains: dict[int, ClientPlan] = {}
    for person in pms:
        if person in natives:
            person.habit = "native"
            client = main_client(person)
            assert client is not None
            mains[person.index] = client
        elif person in fixed:
            person.habit = "hybrid"
        else:
            person.habit = rng.choices(("road", "hybrid", "office", "remote"), (12, 55, 20, 13))[0]
    return mains
