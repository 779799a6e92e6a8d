"""Projects (with their teams) in every status and contract type, and follow-on opportunities."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from django.db import transaction

from twohats.demo.context import ClientPlan, Context, ProjectPlan, Staff
from twohats.demo.vocab import OPPORTUNITY_TITLES, PRACTICES, PROJECT_PHASES, PROJECT_SUBJECTS
from twohats.growth.models import Opportunity
from twohats.projects.models import Project, ProjectMember

CLIENT_BATCH = 1_000
STATUSES = ("active", "completed", "on_hold", "proposed", "cancelled")
CONTRACTS = ("fixed_price", "time_materials", "cost_plus", "managed_service")
# The largest account shows every status and every contract type.
LARGEST_STATUSES = (
    "active",
    "active",
    "active",
    "completed",
    "on_hold",
    "proposed",
    "cancelled",
    "active",
    "completed",
    "active",
    "completed",
    "active",
)
BUDGET_MEDIAN = {"strategic": 1_500_000, "key": 600_000, "standard": 250_000}
STAGES = ("identified", "qualified", "proposal", "negotiation", "won", "lost")
STAGE_WEIGHTS = (20, 18, 15, 10, 22, 15)
STAGE_PROBABILITY = {"identified": 10, "qualified": 25, "proposal": 50, "negotiation": 75}


def build_delivery(ctx: Context) -> None:
    with ctx.writer.bar("projects and pipeline", len(ctx.clients)) as bar:
        for offset in range(0, len(ctx.clients), CLIENT_BATCH):
            batch = ctx.clients[offset : offset + CLIENT_BATCH]
            with transaction.atomic():
                _insert_projects(ctx, batch)
                _insert_opportunities(ctx, batch)
            bar.update(len(batch))


def _insert_projects(ctx: Context, batch: list[ClientPlan]) -> None:
    rows: list[Project] = []
    plans: list[ProjectPlan] = []
    for client in batch:
        for k, plan in enumerate(_plan_projects(ctx, client), start=1):
            client.projects.append(plan)
            plans.append(plan)
            rows.append(
                Project(
                    client_id=client.id,
                    name=plan.name,
                    code=f"{PRACTICES[client.practice].code}{client.index + 1:05d}-{k:02d}",
                    manager_id=plan.manager.id,
                    budget=Decimal(plan.budget),
                    start_date=dt.date.fromordinal(plan.start),
                    end_date=dt.date.fromordinal(plan.end),
                    contract_type=plan.contract_type,
                    status=plan.status,
                    created_at=dt.datetime.combine(
                        dt.date.fromordinal(min(plan.start, ctx.today_ord) - 30),
                        dt.time(9),
                        tzinfo=dt.UTC,
                    ),
                )
            )
    ctx.writer.insert(Project, rows)
    members: list[ProjectMember] = []
    for plan, row in zip(plans, rows, strict=True):
        plan.id = row.pk
        members.extend(ProjectMember(project_id=row.pk, user_id=person.id) for person in plan.team)
    ctx.writer.insert(ProjectMember, members)


def _plan_projects(ctx: Context, client: ClientPlan) -> list[ProjectPlan]:
    rng = ctx.rng
    largest = client.index == 0
    pm2 = ctx.logins["pm2"]
    colleagues = [p for p in ctx.pms_by_practice[client.practice] if p is not client.lead]
    subjects = PROJECT_SUBJECTS[client.industry]
    taken: set[str] = set()
    plans = []
    for k in range(client.projects_n):
        if largest:
            status = LARGEST_STATUSES[k % len(LARGEST_STATUSES)]
            contract = CONTRACTS[k % len(CONTRACTS)]
        else:
            status = _status(ctx, client, k)
            contract = rng.choices(CONTRACTS, (40, 35, 10, 15))[0]
        start, end = _dates(ctx, client, status)
        if k == 0 or (largest and k < 5) or rng.random() < 0.4 or not colleagues:
            manager = client.lead
        else:
            manager = rng.choice(colleagues)
        others = [p for p in ctx.pms_by_practice[client.practice] if p is not manager]
        size = rng.randint(3, 7) if client.big else rng.randint(1, 4)
        team = rng.sample(others, min(size, len(others)))
        if largest and k in (0, 3) and pm2 not in team and manager is not pm2:
            # pm2 works on the team of pm's projects of the largest account.
            team.append(pm2)
        subject = rng.choice(subjects)
        name = subject
        for phase in (*PROJECT_PHASES, *(f" lot {n}" for n in range(2, 100))):
            name = f"{subject}{phase}"
            if name not in taken:
                break
        taken.add(name)
        median = BUDGET_MEDIAN[client.tier]
        budget = round(rng.lognormvariate(math.log(median), 0.6), -3)
        plans.append(
            ProjectPlan(
                subject=subject,
                name=name,
                status=status,
                start=start,
                end=end,
                manager=manager,
                team=team,
                budget=max(10_000, int(budget)),
                contract_type=contract,
            )
        )
    return plans


def _status(ctx: Context, client: ClientPlan, k: int) -> str:
    rng = ctx.rng
    if client.status == "prospect":
        return "proposed"
    if client.status == "dormant":
        return rng.choices(("completed", "on_hold"), (70, 30))[0]
    if client.status == "former":
        return rng.choices(("completed", "cancelled"), (75, 25))[0]
    if k == 0:
        return "active"
    return rng.choices(STATUSES, (45, 25, 8, 12, 10))[0]


def _dates(ctx: Context, client: ClientPlan, status: str) -> tuple[int, int]:
    rng, today = ctx.rng, ctx.today_ord
    if status == "proposed":
        start = today + rng.randint(14, 120)
        return start, start + rng.randint(90, 365)
    if status in ("active", "on_hold"):
        latest = min(client.end, today - 14)
        start = latest - rng.randint(0, 500)
        return start, today + rng.randint(15, 400)
    low, high = client.start + 30, min(client.end, today - 1)
    end = rng.randint(min(low, high), high)
    length = rng.randint(90, 540) if status == "completed" else rng.randint(30, 200)
    return end - length, end


def _insert_opportunities(ctx: Context, batch: list[ClientPlan]) -> None:
    rng, today = ctx.rng, ctx.today_ord
    rows = []
    for client in batch:
        if client.big:
            count = 6 + client.projects_n
        elif client.status == "active":
            count = (
                rng.choice((0, 1, 1, 2, 2, 3))
                if client.tier != "standard"
                else rng.choice((0, 1, 1, 2))
            )
        else:
            count = rng.choice((0, 1))
        for _ in range(count):
            stage = rng.choices(STAGES, STAGE_WEIGHTS)[0]
            if client.status == "prospect" and stage in ("won", "lost"):
                stage = "qualified"
            closed = stage in ("won", "lost")
            latest = min(client.end, today - 1)
            earliest = max(client.start, latest - (600 if closed else 300))
            identified = rng.randint(earliest, latest)
            project = _project_at(client, identified)
            credited = _credited(ctx, client, project)
            closed_on = None
            if closed:
                closed_on = min(identified + rng.randint(20, 240), today - 1)
                expected = closed_on + rng.randint(-20, 20)
                probability = 100 if stage == "won" else 0
            else:
                # About one open opportunity in ten is past its expected close.
                ahead = rng.randint(-30, -1) if rng.random() < 0.1 else rng.randint(10, 270)
                expected = today + ahead
                probability = STAGE_PROBABILITY[stage] + rng.choice((-5, 0, 0, 5))
            subject = project.subject if project else PROJECT_SUBJECTS[client.industry][0]
            rows.append(
                Opportunity(
                    client_id=client.id,
                    project_id=project.id if project else None,
                    title=rng.choice(OPPORTUNITY_TITLES).format(subject=subject),
                    identified_by_id=credited.id,
                    identified_on=dt.date.fromordinal(identified),
                    value=Decimal(round(rng.lognormvariate(math.log(200_000), 0.8), -3)),
                    stage=stage,
                    probability=max(0, min(100, probability)),
                    expected_close=dt.date.fromordinal(expected),
                    closed_on=dt.date.fromordinal(closed_on) if closed_on else None,
                )
            )
    ctx.writer.insert(Opportunity, rows)


def _project_at(client: ClientPlan, ordinal: int) -> ProjectPlan | None:
    for project in client.projects:
        if project.start <= ordinal <= project.end and project.status != "proposed":
            return project
    return None


def _credited(ctx: Context, client: ClientPlan, project: ProjectPlan | None) -> Staff:
    """Whoever spotted it: the account lead, the project's manager or a team member."""
    rng = ctx.rng
    if project is None:
        return client.lead
    who = rng.random()
    if who < 0.5:
        return client.lead
    if who < 0.8 or not project.team:
        return project.manager
    return rng.choice(project.team)
