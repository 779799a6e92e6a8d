"""Every project's plan and its status reports: baselines, planned value per period, and the
earned value and actual cost reported at each period end up to today.

Each project follows a course: most stay near plan, some slip (SPI falling to about 0.8), some
run over cost (CPI about 0.85), a few both; PMs who have gone native run over cost more often,
since the scope they give away is paid for by the firm. A few slipping projects are re-baselined
part-way with a reason, and the report of that period is revised against the new plan; a few
other reports are corrected later. Each correction is a new revision; the old one stays,
superseded.

The plans use the services' reporting periods (`period_ends`) and straight lines
(`plan_linear`) or S-curves; the stored SPI, CPI and SPI(t) come from the functions of
`twohats.projects.evm` and `actual_time` that the services use. Milestones and change requests
follow the same course (`twohats.demo.milestones`).

Its own random stream: the data built before are the same with or without delivery data.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from django.db import connection, transaction

from twohats.demo.context import NEVER, ClientPlan, Context, ProjectPlan, at, between
from twohats.demo.ledger import (
    CHANGE_FIELDS,
    MILESTONE_FIELDS,
    Propensity,
    change_rows,
    milestone_rows,
    propensities,
)
from twohats.demo.vocab import (
    NARRATIVES,
    REBASELINE_REASONS,
    REPORT_NEXT_STEPS,
    REVISION_REASONS,
    RISKS,
)
from twohats.projects import evm
from twohats.projects.models import (
    Baseline,
    ChangeRequest,
    Milestone,
    PlannedValue,
    Project,
    StatusReport,
)
from twohats.projects.services import (
    CENT,
    actual_time,
    period_ends,
    plan_linear,
    status_reports_mark_latest,
)

CLIENT_BATCH = 1_000
# Weekly reporting for some of the shorter projects; the rest report monthly.
WEEKLY_SHARE = 0.15
WEEKLY_MAX_DAYS = 300
S_CURVE_SHARE = 0.5
REBASELINE_SHARE = 0.3
CORRECTION_SHARE = 0.015
MIN_REPORTS_TO_REBASELINE = 4
STARTED = ("active", "on_hold", "completed", "cancelled")

Curve = list[tuple[dt.date, Decimal]]


@dataclass(frozen=True)
class Profile:
    name: str
    weight: int
    spi: tuple[float, float]  # SPI reached by the last report (before any recovery)
    cpi: tuple[float, float]
    slip: tuple[float, float]  # the last milestone's slippage, as a share of the duration


PROFILES = (
    Profile("on_plan", 58, (0.96, 1.04), (0.95, 1.05), (-0.01, 0.02)),
    Profile("ahead", 7, (1.03, 1.10), (0.98, 1.06), (-0.04, 0.0)),
    Profile("slipping", 15, (0.78, 0.86), (0.93, 1.0), (0.08, 0.25)),
    Profile("over_cost", 13, (0.95, 1.02), (0.82, 0.88), (0.0, 0.04)),
    Profile("troubled", 7, (0.78, 0.86), (0.82, 0.9), (0.1, 0.3)),
)
PROFILE_NAMED = {profile.name: profile for profile in PROFILES}
WEIGHTS = tuple(profile.weight for profile in PROFILES)
# PMs gone native pay for the scope they give away: their projects run over cost more often.
NATIVE_WEIGHTS = (40, 5, 12, 30, 13)
# The largest account tells the story on pm's own projects (by index of its projects): one
# slipping, one over cost, and troubled ones that are re-baselined once they have reports enough.
LARGEST_COURSES = {1: "slipping", 2: "over_cost", 7: "troubled", 9: "troubled"}
LARGEST_REBASELINED = (7, 9)

REPORT_FIELDS = (
    "project_id",
    "baseline_id",  # a batch-local index until the baselines have their ids
    "period_end",
    "revision",
    "planned_value",
    "earned_value",
    "actual_cost",
    "percent_complete",
    "rag",
    "narrative",
    "risks",
    "next_steps",
    "revision_reason",
    "spi",
    "cpi",
    "spi_t",
    "created_by_id",
    "created_at",
    "superseded_at",
)
BASELINE_SLOT = 1


@dataclass(eq=False)
class Course:
    """How one project goes: its reporting period, profile and, when on hold, since when."""

    client: ClientPlan
    project: ProjectPlan
    profile: Profile
    period: str
    spi_end: float
    cpi_end: float
    hold: int = NEVER
    rebaseline: bool = False
    propensity: Propensity | None = None


@dataclass
class Batch:
    baselines: list[tuple[object, ...]] = field(default_factory=list)
    plans: list[tuple[int, dt.date, Decimal]] = field(default_factory=list)
    reports: list[list[object]] = field(default_factory=list)
    milestones: list[tuple[object, ...]] = field(default_factory=list)
    changes: list[tuple[object, ...]] = field(default_factory=list)
    weekly: list[tuple[str, int]] = field(default_factory=list)
    budgets: list[tuple[Decimal, int]] = field(default_factory=list)
    ends: list[tuple[str | None, int]] = field(default_factory=list)

    def baseline(self, row: tuple[object, ...], curve: Curve) -> int:
        index = len(self.baselines)
        self.baselines.append(row)
        self.plans.extend((index, day, value) for day, value in curve)
        return index


class Tables:
    def __init__(self, ctx: Context) -> None:
        writer = ctx.writer
        self.baseline = writer.table(
            Baseline, ("project_id", "number", "budget", "reason", "created_by_id", "created_at")
        )
        self.plan = writer.table(PlannedValue, ("baseline_id", "period_end", "value"))
        self.report = writer.table(StatusReport, REPORT_FIELDS)
        self.milestone = writer.table(Milestone, MILESTONE_FIELDS)
        self.change = writer.table(ChangeRequest, CHANGE_FIELDS)


def build_reports(ctx: Context) -> None:
    """Needs the PMs' habits (`plan_workdays`): the natives absorb changes."""
    rng = random.Random(f"{ctx.seed}-delivery")
    leanings = propensities(ctx, rng)
    tables = Tables(ctx)
    projects = sum(len(c.projects) for c in ctx.clients)
    with ctx.writer.bar("plans and status reports", projects) as bar:
        for offset in range(0, len(ctx.clients), CLIENT_BATCH):
            clients = ctx.clients[offset : offset + CLIENT_BATCH]
            batch = Batch()
            for client in clients:
                for k, project in enumerate(client.projects):
                    course = _course(ctx, rng, client, k, project)
                    course.propensity = leanings[project.manager.index]
                    _project_rows(ctx, rng, course, batch)
            with transaction.atomic():
                _flush(ctx, tables, batch)
            bar.update(sum(len(c.projects) for c in clients))
    with transaction.atomic():
        status_reports_mark_latest()


def _course(
    ctx: Context, rng: random.Random, client: ClientPlan, k: int, project: ProjectPlan
) -> Course:
    days = project.end - project.start
    period = "weekly" if days <= WEEKLY_MAX_DAYS and rng.random() < WEEKLY_SHARE else "monthly"
    weights = NATIVE_WEIGHTS if project.manager.habit == "native" else WEIGHTS
    profile = rng.choices(PROFILES, weights)[0]
    largest = client.index == 0
    if largest:
        profile = PROFILE_NAMED[LARGEST_COURSES.get(k, "on_plan")]
    course = Course(
        client=client,
        project=project,
        profile=profile,
        period=period if not largest else "monthly",
        spi_end=rng.uniform(*profile.spi),
        cpi_end=rng.uniform(*profile.cpi),
    )
    if project.status == "on_hold":
        course.hold = max(project.start + 30, ctx.today_ord - between(rng, 30, 150))
    if project.status in ("active", "on_hold") and profile.name in ("slipping", "troubled"):
        course.rebaseline = k in LARGEST_REBASELINED if largest else rng.random() < REBASELINE_SHARE
    return course


def _s_curve(model: Project, budget: Decimal) -> Curve:
    """An S-shaped plan: slow start, most of the work in the middle, a slow finish."""
    start, days = model.start_date, max((model.end_date - model.start_date).days + 1, 1)
    plan = []
    for end in period_ends(model):
        x = min(1.0, ((end - start).days + 1) / days)
        share = x * x * (3 - 2 * x)
        plan.append((end, (budget * Decimal(share)).quantize(CENT)))
    plan[-1] = (plan[-1][0], budget)
    return plan


def _indices(
    curve: Curve,
    values: list[Decimal],
    start: dt.date,
    day: dt.date,
    pv: Decimal,
    ev: Decimal,
    ac: Decimal,
) -> tuple[float | None, float | None, float | None]:
    """SPI, CPI and SPI(t) as the services store them (`evm.evaluate` with the report's
    baseline curve and actual time), from the same functions, without the forecasts that
    `evaluate` also computes and nobody stores: a fifth of the time, for 150,000 reports."""
    es = evm.earned_schedule(ev, values)
    return (
        evm.schedule_performance_index(ev, pv),
        evm.cost_performance_index(ev, ac),
        evm.spi_t(es, actual_time(curve, start, day)),
    )


def _rag(rng: random.Random, spi: float | None, cpi: float | None, held: bool) -> str:
    worst = min(spi if spi is not None else 1.0, cpi if cpi is not None else 1.0)
    rag = "green" if worst >= 0.95 else "amber" if worst >= 0.9 else "red"
    if rag != "green" and rng.random() < 0.12:
        rag = "green" if rag == "amber" else "amber"  # a PM reporting optimistically
    if held and rag == "green":
        rag = "amber"
    return rag


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _project_rows(ctx: Context, rng: random.Random, course: Course, batch: Batch) -> None:
    project, client = course.project, course.client
    start = dt.date.fromordinal(project.start)
    model = Project(
        start_date=start,
        end_date=dt.date.fromordinal(project.end),
        reporting_period=course.period,
    )
    if course.period == "weekly":
        batch.weekly.append((course.period, project.id))
    bac = Decimal(project.budget)
    curve = plan_linear(model, bac) if rng.random() >= S_CURVE_SHARE else _s_curve(model, bac)
    created = at(min(project.start, ctx.today_ord) - between(rng, 10, 30), 10, 0, client.time_zone)
    manager = project.manager.id
    current = batch.baseline((project.id, 1, bac, "The original budget.", manager, created), curve)
    milestone_rows(ctx, rng, course, batch.milestones)
    if project.status not in STARTED:
        return
    change_rows(ctx, rng, course, batch.changes)

    last = min(project.end, ctx.today_ord)
    ends = [day for day, _ in curve if day.toordinal() <= last]
    m = len(ends)
    rebase_at = -1
    if course.rebaseline and m >= MIN_REPORTS_TO_REBASELINE:
        rebase_at = between(rng, max(2, m // 2), m - 2)
    values = [value for _, value in curve]
    evs: list[Decimal] = []
    ev_prev = ac_prev = 0.0
    spi_after = rng.uniform(0.93, 1.0)
    for i, day in enumerate(ends):
        o = day.toordinal()
        r = (i + 1) / m
        if i > rebase_at >= 0:
            drift = (i - rebase_at) / (m - 1 - rebase_at)
            spi = 1 + (spi_after - 1) * drift + rng.gauss(0, 0.01)
        else:
            drift = 4 * r * (1 - r) if project.status == "completed" else r
            spi = 1 + (course.spi_end - 1) * drift + rng.gauss(0, 0.012)
        cpi = 1 + (course.cpi_end - 1) * min(1.0, 1.5 * r) + rng.gauss(0, 0.015)
        pv = curve[i][1]
        budget = float(bac)
        held = o > course.hold
        if held:
            ev, ac = ev_prev, ac_prev * rng.uniform(1.002, 1.01)
        else:
            ev = max(ev_prev, min(float(pv) * spi, budget * 0.995))
            if project.status == "completed" and i == m - 1:
                ev = budget
            ac = max(ac_prev, ev / cpi)
        ev_d, ac_d = _money(ev), _money(ac)
        evs.append(ev_d)
        spi_v, cpi_v, spi_t = _indices(curve, values, start, day, pv, ev_d, ac_d)
        rag = _rag(rng, spi_v, cpi_v, held)
        done = project.status == "completed" and i == m - 1
        percent = 100.0 if done else max(0.0, min(99.0, ev / budget * 100 + rng.uniform(-3, 3)))
        if done:
            narrative = NARRATIVES["done"][0]
        elif held:
            narrative = NARRATIVES["hold"][0]
        else:
            narrative = rng.choice(NARRATIVES[rag])
        written = min(ctx.now, at(o + between(rng, 1, 4), 17, 0, client.time_zone))
        row: list[object] = [
            project.id,
            current,
            day,
            1,
            pv,
            ev_d,
            ac_d,
            _money(percent),
            rag,
            narrative,
            rng.choice(RISKS),
            rng.choice(REPORT_NEXT_STEPS),
            "",
            spi_v,
            cpi_v,
            spi_t,
            manager,
            written,
            None,
        ]
        batch.reports.append(row)
        ev_prev, ac_prev = ev, ac
        if i == rebase_at:
            # Re-plan: the new baseline keeps the value earned so far and spreads a larger
            # budget to a later end; this period's report is revised against it.
            bac = Decimal(round(float(bac) * rng.uniform(1.12, 1.3), -3))
            new_end = project.end + round((project.end - project.start) * rng.uniform(0.12, 0.25))
            model = Project(
                start_date=start,
                end_date=dt.date.fromordinal(new_end),
                reporting_period=course.period,
            )
            curve = _replan(model, bac, evs, day)
            values = [value for _, value in curve]
            replanned = min(ctx.now, written + dt.timedelta(days=between(rng, 1, 5)))
            current = batch.baseline(
                (project.id, 2, bac, rng.choice(REBASELINE_REASONS), manager, replanned), curve
            )
            batch.budgets.append((bac, project.id))
            batch.ends.append((connection.ops.adapt_datefield_value(model.end_date), project.id))
            row[-1] = replanned
            pv = curve[i][1]
            spi_v, cpi_v, spi_t = _indices(curve, values, start, day, pv, ev_d, ac_d)
            revised = [*row]
            revised[1:5] = [current, day, 2, pv]
            revised[8] = _rag(rng, spi_v, cpi_v, held)
            revised[12] = f"Measured against baseline 2, the re-plan of {replanned:%d %B %Y}."
            revised[13:16] = [spi_v, cpi_v, spi_t]
            revised[-2:] = [replanned, None]
            batch.reports.append(revised)
        elif i < m - 1 and rng.random() < CORRECTION_SHARE:
            corrected = min(ctx.now, written + dt.timedelta(days=between(rng, 3, 12)))
            ac_d = _money(ac * rng.uniform(1.01, 1.05))
            ac_prev = float(ac_d)
            spi_v, cpi_v, spi_t = _indices(curve, values, start, day, pv, ev_d, ac_d)
            row[-1] = corrected
            revised = [*row]
            revised[3] = 2
            revised[6] = ac_d
            revised[12] = rng.choice(REVISION_REASONS)
            revised[13:16] = [spi_v, cpi_v, spi_t]
            revised[-2:] = [corrected, None]
            batch.reports.append(revised)


def _replan(model: Project, budget: Decimal, earned: list[Decimal], day: dt.date) -> Curve:
    """The periods up to `day` at the value earned in them, then a straight line to the new
    budget at the new end."""
    ends = period_ends(model)
    done = len(earned)
    base = earned[-1]
    span = max((ends[-1] - day).days, 1)
    plan = list(zip(ends[:done], earned, strict=True))
    for end in ends[done:]:
        plan.append((end, (base + (budget - base) * (end - day).days / span).quantize(CENT)))
    plan[-1] = (ends[-1], budget)
    return plan


def _flush(ctx: Context, tables: Tables, batch: Batch) -> None:
    ids = tables.baseline.insert_returning_ids(batch.baselines)
    tables.plan.insert([(ids[index], day, value) for index, day, value in batch.plans])
    for row in batch.reports:
        row[BASELINE_SLOT] = ids[cast(int, row[BASELINE_SLOT])]
    tables.report.insert(batch.reports)
    tables.milestone.insert(batch.milestones)
    tables.change.insert(batch.changes)
    ctx.writer.update_column(Project, "reporting_period", batch.weekly)
    ctx.writer.update_column(Project, "budget", batch.budgets)
    ctx.writer.update_column(Project, "end_date", batch.ends)
