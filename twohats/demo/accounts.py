"""Clients and their contacts: who the accounts are, who leads them, their stakeholder trees."""

from __future__ import annotations

import datetime as dt
import itertools

from django.db import transaction

from twohats.clients.models import Client, Contact
from twohats.demo.context import NEVER, ClientPlan, Context, Staff, ascii_slug, at
from twohats.demo.people import HOME_PRACTICE
from twohats.demo.scale import BIG_ACCOUNTS
from twohats.demo.vocab import (
    INDUSTRY_SUFFIXES,
    INDUSTRY_WEIGHTS,
    LEFT_NOTES,
    PLACES,
    PRACTICES,
    TITLES_BY_DEPTH,
)

HISTORY_DAYS = 730
CLIENT_BATCH = 500
# Share of active accounts that have gone quiet: no interaction for 60 to 120 days.
SILENT_SHARE = 0.06
DIAL_CODES = {"en_GB": "+44", "fr_FR": "+33", "de_DE": "+49", "en_US": "+1", "nl_NL": "+31"}
STANCES = ("champion", "supporter", "neutral", "skeptic", "blocker")
STANCE_WEIGHTS = (10, 30, 35, 17, 8)
POWER_BY_DEPTH = ((5,), (4, 4, 5, 3), (3, 3, 4, 2), (1, 2, 2, 3))
PRACTICE_OF_INDUSTRY = {
    industry: index for index, spec in enumerate(PRACTICES) for industry in spec.industries
}
# Relative interaction volume by tier and by status.
TIER_VOLUME = {"strategic": 2.5, "key": 1.3, "standard": 0.7}
STATUS_VOLUME = {"active": 1.0, "prospect": 0.15, "dormant": 0.3, "former": 0.4}


def plan_clients(ctx: Context) -> None:
    rng = ctx.rng
    today = ctx.today_ord
    names: set[str] = set()
    pm, pm2 = ctx.logins["pm"], ctx.logins["pm2"]
    for big in BIG_ACCOUNTS:
        practice = PRACTICE_OF_INDUSTRY[big.industry]
        lead = pm if practice == HOME_PRACTICE else rng.choice(ctx.pms_by_practice[practice])
        names.add(big.name)
        ctx.clients.append(
            ClientPlan(
                index=len(ctx.clients),
                name=big.name,
                industry=big.industry,
                practice=practice,
                tier="strategic",
                status="active",
                lead=lead,
                locale=big.locale,
                city=big.city,
                country=next(p.country for p in PLACES if p.locale == big.locale),
                time_zone=big.time_zone,
                start=today - HISTORY_DAYS,
                end=today - 1,
                mood=0.6,
                contacts_n=big.contacts,
                projects_n=big.projects,
                interactions_n=big.interactions,
                big=True,
            )
        )
    industries = list(INDUSTRY_WEIGHTS)
    industry_weights = list(INDUSTRY_WEIGHTS.values())
    # pm leads three more accounts (one of them silent), pm2 leads two.
    fixed_leads = [pm, pm, pm, pm2, pm2]
    for n in range(ctx.scale.ordinary_clients):
        if n < len(fixed_leads):
            industry = rng.choice(PRACTICES[HOME_PRACTICE].industries)
            status = "active"
        else:
            industry = rng.choices(industries, industry_weights)[0]
            status = rng.choices(("active", "prospect", "dormant", "former"), (70, 10, 10, 10))[0]
        practice = PRACTICE_OF_INDUSTRY[industry]
        if n < len(fixed_leads):
            lead = fixed_leads[n]
        else:
            candidates = [p for p in ctx.pms_by_practice[practice] if p not in (pm, pm2)]
            lead = rng.choice(candidates)
        tier = rng.choices(("strategic", "key", "standard"), (10, 30, 60))[0]
        if status == "prospect" and tier == "strategic":
            tier = "key"
        place = rng.choices(PLACES, [p.weight for p in PLACES])[0]
        city, time_zone = rng.choice(place.cities)
        start, end = _window(ctx, status)
        ctx.clients.append(
            ClientPlan(
                index=len(ctx.clients),
                name=_company_name(ctx, place.locale, industry, names),
                industry=industry,
                practice=practice,
                tier=tier,
                status=status,
                lead=lead,
                locale=place.locale,
                city=city,
                country=place.country,
                time_zone=time_zone,
                start=start,
                end=end,
                mood=rng.choices((-1.0, -0.3, 0.4, 0.9), (8, 17, 45, 30))[0],
                contacts_n=_contacts_n(ctx, status, tier),
                projects_n=_projects_n(ctx, status, tier),
            )
        )
    _choose_silent(ctx, pm)
    _spread_interactions(ctx)


def _window(ctx: Context, status: str) -> tuple[int, int]:
    rng, today = ctx.rng, ctx.today_ord
    if status == "prospect":
        return today - rng.randint(30, 200), today - 1
    if status == "dormant":
        end = today - rng.randint(150, 400)
        return max(today - HISTORY_DAYS, end - 365), end
    if status == "former":
        end = today - rng.randint(200, 600)
        return max(today - HISTORY_DAYS, end - 500), end
    return today - rng.randint(365, HISTORY_DAYS), today - 1


def _company_name(ctx: Context, locale: str, industry: str, taken: set[str]) -> str:
    """A generated company name, or a family name with a word of the industry."""
    rng, fake = ctx.rng, ctx.faker(locale)
    name = ""
    for _ in range(8):
        if rng.random() < 0.55:
            name = f"{fake.last_name()} {rng.choice(INDUSTRY_SUFFIXES[industry])}"
        else:
            name = fake.company()
        if name not in taken:
            break
    base = name
    for n in itertools.count(2):
        if name not in taken:
            break
        name = f"{base} {n}"
    taken.add(name)
    return name


def _contacts_n(ctx: Context, status: str, tier: str) -> int:
    if status == "prospect":
        return ctx.rng.randint(2, 4)
    low, high = {"strategic": (6, 14), "key": (3, 11), "standard": (2, 8)}[tier]
    return ctx.rng.randint(low, high)


def _projects_n(ctx: Context, status: str, tier: str) -> int:
    rng = ctx.rng
    if status == "prospect":
        return rng.choice((0, 1))
    if status in ("former", "dormant"):
        return rng.choice((1, 1, 2))
    low, high = {"strategic": (2, 5), "key": (1, 3), "standard": (1, 2)}[tier]
    return rng.randint(low, high)


def _choose_silent(ctx: Context, pm: Staff) -> None:
    """Some active accounts went quiet 60 to 120 days ago, one of them pm's."""
    rng = ctx.rng
    active = [c for c in ctx.clients if c.status == "active" and not c.big]
    silent = [next(c for c in active if c.lead is pm)]
    others = [c for c in active if c.lead is not pm]
    silent += rng.sample(others, min(len(others), max(2, round(len(active) * SILENT_SHARE))))
    for client in silent:
        client.silent = True
        client.end = ctx.today_ord - rng.randint(60, 120)
        client.mood -= 0.5


def _spread_interactions(ctx: Context) -> None:
    """Share the ordinary clients' interactions by tier and status, with some noise."""
    rng = ctx.rng
    ordinary = [c for c in ctx.clients if not c.big]
    weights = [
        TIER_VOLUME[c.tier] * STATUS_VOLUME[c.status] * rng.uniform(0.6, 1.4) for c in ordinary
    ]
    budget = ctx.scale.ordinary_interactions
    total = sum(weights)
    for client, weight in zip(ordinary, weights, strict=True):
        client.interactions_n = max(3, round(budget * weight / total))


CONTACT_FIELDS = (
    "client_id",
    "first_name",
    "last_name",
    "title",
    "email",
    "phone",
    "power",
    "interest",
    "stance",
    "left_on",
    "notes",
    "created_at",
    "reports_to_id",  # last: filled in once the manager's row has its id
)


class PlannedContact:
    __slots__ = ("client", "index", "parent", "values")

    def __init__(self, client: ClientPlan, index: int, parent: int, values: list[object]) -> None:
        self.client, self.index, self.parent, self.values = client, index, parent, values


def build_clients(ctx: Context) -> None:
    """Insert the clients, then their contacts level by level of the reporting tree (a
    contact's manager is inserted first, so its id is known), then the primary contacts."""
    contacts = ctx.writer.table(Contact, CONTACT_FIELDS)
    total = sum(1 + c.contacts_n for c in ctx.clients)
    with ctx.writer.bar("clients and contacts", total) as bar:
        for offset in range(0, len(ctx.clients), CLIENT_BATCH):
            batch = ctx.clients[offset : offset + CLIENT_BATCH]
            with transaction.atomic():
                _insert_clients(ctx, batch)
                levels: list[list[PlannedContact]] = [[] for _ in TITLES_BY_DEPTH]
                primaries = [_plan_contacts(ctx, plan, levels) for plan in batch]
                for level in levels:
                    for contact in level:
                        ids = contact.client.contact_ids
                        contact.values.append(ids[contact.parent] if contact.parent >= 0 else None)
                    ids = contacts.insert_returning_ids([contact.values for contact in level])
                    for contact, pk in zip(level, ids, strict=True):
                        contact.client.contact_ids[contact.index] = pk
                ctx.writer.update_column(
                    Client,
                    "primary_contact",
                    [
                        (plan.contact_ids[primary], plan.id)
                        for plan, primary in zip(batch, primaries, strict=True)
                        if primary >= 0
                    ],
                )
            bar.update(sum(1 + c.contacts_n for c in batch))


def _insert_clients(ctx: Context, batch: list[ClientPlan]) -> None:
    rows = []
    for plan in batch:
        slug = ascii_slug(plan.name, "-")
        since = plan.start - ctx.rng.randint(30, 900)
        archived = None
        if plan.status == "former" and plan.index % 2:
            archived = at(min(plan.end + 45, ctx.today_ord - 1), 10, 0, plan.time_zone)
        rows.append(
            Client(
                name=plan.name,
                industry=plan.industry,
                tier=plan.tier,
                status=plan.status,
                account_lead_id=plan.lead.id,
                time_zone=plan.time_zone,
                city=plan.city,
                country=plan.country,
                website=f"https://www.{slug}.example",
                created_at=at(since, 9, 0, plan.time_zone),
                archived_at=archived,
            )
        )
    ctx.writer.insert(Client, rows)
    for plan, row in zip(batch, rows, strict=True):
        plan.id = row.pk


def _plan_contacts(ctx: Context, plan: ClientPlan, levels: list[list[PlannedContact]]) -> int:
    """A reporting tree: each contact reports to an earlier one (so no loops), within the
    client. Returns the index of the primary representative (-1 if none)."""
    rng, today = ctx.rng, ctx.today_ord
    fake = ctx.faker(plan.locale)
    domain = ascii_slug(plan.name, "-") + ".example"
    dial = DIAL_CODES.get(plan.locale, "+34")
    depths: list[int] = []
    parents: list[int] = []
    candidates: list[tuple[int, int]] = []
    weights: list[float] = []
    for k in range(plan.contacts_n):
        if k == 0:
            depth, parent = 0, -1
        else:
            # Two draws and the smaller: early (senior) contacts get more reports.
            parent = min(rng.randrange(k), rng.randrange(k))
            if depths[parent] == len(TITLES_BY_DEPTH) - 1:
                parent = parents[parent]
            depth = depths[parent] + 1
        first, last = fake.first_name(), fake.last_name()
        left_on = None
        if rng.random() < 0.08 and plan.contacts_n > 2:
            left_on = dt.date.fromordinal(today - rng.randint(10, 600))
        power = rng.choice(POWER_BY_DEPTH[depth])
        interest = rng.choices((1, 2, 3, 4, 5), (5, 15, 30, 30, 20))[0]
        values: list[object] = [
            plan.id,
            first,
            last,
            rng.choice(TITLES_BY_DEPTH[depth]),
            f"{ascii_slug(f'{first} {last}')}@{domain}",
            f"{dial} {rng.randint(100, 999)} {rng.randint(100000, 999999)}",
            power,
            interest,
            rng.choices(STANCES, STANCE_WEIGHTS)[0],
            left_on,
            rng.choice(LEFT_NOTES) if left_on else "",
            at(plan.start + rng.randint(0, 60), 9, 0, plan.time_zone),
        ]
        levels[depth].append(PlannedContact(plan, k, parent, values))
        depths.append(depth)
        parents.append(parent)
        plan.contact_left.append(left_on.toordinal() if left_on else NEVER)
        weights.append(float(power * power))
        if power >= 4:
            plan.senior_contacts.append(k)
        if left_on is None and depth <= 2:
            candidates.append((power * interest, -k))
    plan.contact_ids = [0] * plan.contacts_n
    plan.contact_weights = list(itertools.accumulate(weights))
    # The primary representative: the most powerful and interested active contact near the top.
    return -max(candidates)[1] if candidates else -1
