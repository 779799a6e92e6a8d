"""Staffing: who should run a project, and the best assignment of many open projects at once.

A project's fit with a PM is the fit with the client's *target contacts*: the primary
representative while they are active; else the active contacts of power 4 or 5, weighted by
power (with `several=True`, the primary representative and those contacts together, weighted by
power); else every active contact, weighted by power. The fit is judged with the project's load
added to the PM's (the open need's hours, else the project's `pm_hours_per_week`) and with the
projects being staffed left out of experience and of current loads.

Hard constraints (a PM who fails one is excluded, with the reason): an active user of role PM;
free hours (capacity − current load) at least the project's load; the need's practice, if it
names one; no staffing conflict recorded for the PM and the client.

The optimiser maximises the total fit of the projects it staffs. A PM's free capacity is a
number of *slots*: ⌊free hours / slot hours⌋, where the slot hours are the median load of the
open projects being planned, but at least one for a PM whose free hours fit some project they
may take (a PM with 10 h free takes a 5 h project although the slot is 20 h); and a PM may take
only projects whose load fits their free hours.
Each PM's row is repeated once per slot and `scipy.optimize.linear_sum_assignment` solves the
slot × project problem exactly (an infeasible pair costs 0, the same as leaving the project
unassigned, and is dropped afterwards). Projects above the median load can make a PM's hours
overflow although their slots do not: that PM then loses a slot and the problem is solved again,
so the hours are always respected too; the answer is optimal for the final slots (should the
rounds run out, a PM still over keeps their best-fitting projects that fit). The greedy
assignment (each project in turn takes its best feasible PM with slots and hours left, under the
same slots) and the current assignment (each project's manager now) are shown beside it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Q, QuerySet
from numpy.typing import NDArray
from scipy import sparse
from scipy.optimize import linear_sum_assignment

from twohats.clients.models import HIGH, Contact
from twohats.matching.fit import Array, Fit
from twohats.matching.models import FitPolicy, StaffingConflict, StaffingNeed
from twohats.matching.policy import PARTS, FitConfig
from twohats.matching.privacy import fold, profiles_seen_by
from twohats.matching.selectors import explain_pair, fit_matrix, workloads
from twohats.people.models import Practice, Role, User
from twohats.projects.models import Project

Bools = NDArray[np.bool_]
Ints = NDArray[np.int64]
EPS = 1e-9
# A plan's rounds of "a PM over their hours loses a slot": each round removes at least one slot.
MAX_ROUNDS = 50


# ─── The exact solver and the greedy one, on arrays (no database) ───


@dataclass
class Solution:
    """An assignment of projects (columns) to PMs (rows): `pm_of[j]` is the PM's row, or −1."""

    pm_of: Ints
    total: float
    slots: Ints
    slot_hours: float
    rounds: int = 1
    seconds: float = 0.0

    @property
    def staffed(self) -> int:
        return int((self.pm_of >= 0).sum())


def slot_hours_of(loads: Array) -> float:
    """The hours of one slot: the median load of the projects being planned."""
    positive = loads[loads > 0]
    return float(np.median(positive)) if positive.size else 1.0


def slots_of(free: Array, slot_hours: float, feasible: Bools) -> Ints:
    """⌊free hours / slot hours⌋ for each PM, at least one for a PM who may take a project
    (`feasible` includes the project's load within the PM's free hours, so a PM with fewer free
    hours than a slot may still take a small project), never more than the projects they could
    take."""
    slots = np.floor((np.maximum(free, 0.0) + EPS) / slot_hours).astype(np.int64)
    could = feasible.sum(axis=1).astype(np.int64)
    return np.minimum(np.maximum(slots, (could > 0).astype(np.int64)), could)


def _within_hours(score: Array, free: Array, loads: Array, pm_of: Ints) -> Ints:
    """`pm_of` with each PM over their free hours keeping only their best-fitting projects that
    fit (a last resort when the rounds run out: never an assignment over a PM's hours)."""
    pm_of = pm_of.copy()
    for i in np.unique(pm_of[pm_of >= 0]):
        mine = np.flatnonzero(pm_of == i)
        if loads[mine].sum() <= free[i] + EPS:
            continue
        left = float(free[i])
        for j in mine[np.argsort(-score[i, mine], kind="stable")]:
            if loads[j] <= left + EPS:
                left -= float(loads[j])
            else:
                pm_of[j] = -1
    return pm_of


def _total(score: Array, pm_of: Ints) -> float:
    staffed = np.flatnonzero(pm_of >= 0)
    return float(score[pm_of[staffed], staffed].sum())


def solve_optimal(
    score: Array, feasible: Bools, free: Array, loads: Array, *, slot_hours: float | None = None
) -> Solution:
    """The assignment of greatest total fit: PMs × projects `score`, `feasible` pairs (the hard
    constraints, including the project's load within the PM's free hours), each PM's `free`
    hours and each project's load. Exact for the slots it ends with; never over a PM's hours."""
    started = time.perf_counter()
    n_pm, n_proj = score.shape
    hours = slot_hours if slot_hours is not None else slot_hours_of(loads)
    feasible = feasible & (loads[None, :] <= free[:, None] + EPS)
    slots = slots_of(free, hours, feasible)
    pm_of = np.full(n_proj, -1, dtype=np.int64)
    rounds = 0
    while rounds < MAX_ROUNDS:
        rounds += 1
        rows = np.repeat(np.arange(n_pm), slots)
        pm_of = np.full(n_proj, -1, dtype=np.int64)
        if rows.size and n_proj:
            # Costs are −fit; an infeasible pair costs what leaving the project open costs.
            cost = np.where(feasible[rows], -score[rows], 0.0)
            r, c = linear_sum_assignment(cost)
            keep = feasible[rows[r], c]
            pm_of[c[keep]] = rows[r[keep]]
        staffed = pm_of >= 0
        used = np.bincount(pm_of[staffed], weights=loads[staffed], minlength=n_pm)
        counts = np.bincount(pm_of[staffed], minlength=n_pm)
        over = (used > free + EPS) & (counts > 0)
        if not over.any():
            break
        slots[over] = counts[over] - 1
    else:
        # The rounds ran out with a PM still over their hours: they keep what fits.
        pm_of = _within_hours(score, free, loads, pm_of)
    return Solution(
        pm_of, _total(score, pm_of), slots, hours, rounds, time.perf_counter() - started
    )


def solve_greedy(
    score: Array,
    feasible: Bools,
    free: Array,
    loads: Array,
    *,
    slots: Ints,
    slot_hours: float,
    order: Sequence[int] | None = None,
) -> Solution:
    """Each project in `order` (default: as given) takes its best feasible PM who still has a
    slot and the hours."""
    started = time.perf_counter()
    n_proj = score.shape[1]
    left_slots = slots.copy()
    left_hours = free.astype(float).copy()
    pm_of = np.full(n_proj, -1, dtype=np.int64)
    for j in order if order is not None else range(n_proj):
        ok = feasible[:, j] & (left_slots > 0) & (left_hours + EPS >= loads[j])
        if not ok.any():
            continue
        i = int(np.argmax(np.where(ok, score[:, j], -np.inf)))
        pm_of[j] = i
        left_slots[i] -= 1
        left_hours[i] -= loads[j]
    return Solution(
        pm_of, _total(score, pm_of), slots.copy(), slot_hours, 1, time.perf_counter() - started
    )


# ─── Reads: target contacts, the fit of PMs × projects, the hard constraints ───


def active_policy() -> FitConfig:
    return FitPolicy.objects.active().rules


def pm_pool() -> QuerySet[User]:
    """The PMs who may be staffed: active users of role PM."""
    return User.objects.filter(role=Role.PM, is_active=True).select_related("practice")


@dataclass
class Target:
    contact: Contact
    weight: float


def target_contacts(
    projects: Sequence[Project], *, several: bool = False
) -> dict[int, list[Target]]:
    """The contacts each project's fit is judged against, with their weights (one query)."""
    client_ids = {p.client_id for p in projects}
    by_client: dict[int, list[Contact]] = {}
    active = Contact.objects.filter(
        client_id__in=client_ids, archived_at__isnull=True, left_on__isnull=True
    ).only("pk", "client_id", "first_name", "last_name", "power")
    for contact in active.order_by("-power", "last_name", "pk"):
        by_client.setdefault(contact.client_id, []).append(contact)
    out: dict[int, list[Target]] = {}
    for project in projects:
        contacts = by_client.get(project.client_id, [])
        primary_id = project.client.primary_contact_id
        primary = [c for c in contacts if c.pk == primary_id]
        powerful = [c for c in contacts if c.power >= HIGH]
        if primary and not several:
            chosen = [Target(primary[0], 1.0)]
        elif primary or powerful:
            chosen = [Target(c, float(c.power)) for c in contacts if c in primary or c in powerful]
        else:
            chosen = [Target(c, float(c.power)) for c in contacts]
        out[project.pk] = chosen
    return out


def open_needs() -> QuerySet[StaffingNeed]:
    return StaffingNeed.objects.filter(filled_at__isnull=True).select_related(
        "project__client", "project__manager", "practice"
    )


def load_of(project: Project, need: StaffingNeed | None) -> float:
    return float(need.hours_per_week if need is not None else project.pm_hours_per_week)


@dataclass
class ProjectFit:
    """The fit of PMs (rows) with projects (columns), and what the constraints need."""

    pms: list[User]
    projects: list[Project]
    score: Array
    points: dict[str, Array]
    load: Array  # each PM's current load, the projects being staffed left out
    capacity: Array
    targets: dict[int, list[Target]]
    missing_contacts: list[int]  # projects whose client has no active contact

    @property
    def free(self) -> Array:
        return self.capacity - self.load


def project_fit(
    pms: Sequence[User],
    projects: Sequence[Project],
    policy: FitConfig,
    *,
    hours: Sequence[float],
    several: bool = False,
) -> ProjectFit:
    """Fit of PMs × projects: for each project, the weighted mean over its target contacts of
    the PM–contact fit, judged with the project's `hours` and without the projects themselves
    in experience or loads. A constant number of queries."""
    pms, projects = list(pms), list(projects)
    targets = target_contacts(projects, several=several)
    columns: list[int] = []
    col_hours: list[float] = []
    weights: list[tuple[int, int, float]] = []  # (column, project index, weight)
    for k, project in enumerate(projects):
        chosen = targets[project.pk]
        total = sum(t.weight for t in chosen) or 1.0
        for target in chosen:
            weights.append((len(columns), k, target.weight / total))
            columns.append(target.contact.pk)
            col_hours.append(hours[k])
    matrix = fit_matrix(
        [pm.pk for pm in pms],
        columns,
        policy,
        hours=col_hours,
        exclude_projects=[p.pk for p in projects],
    )
    # Each project's column mixes only its own contacts' columns: a sparse matrix, so the mix
    # stays linear in the projects (a dense one is projects² and took seconds at 2,000 needs).
    mix = sparse.csr_array(
        (
            [w for _, _, w in weights],
            ([j for j, _, _ in weights], [k for _, k, _ in weights]),
        ),
        shape=(len(columns), len(projects)),
    )
    empty = [k for k, p in enumerate(projects) if not targets[p.pk]]
    score = matrix.score @ mix if columns else np.zeros((len(pms), len(projects)))
    points = {}
    for name in PARTS:
        values = matrix.points[name] if columns else np.zeros((len(pms), 0))
        known = (~np.isnan(values)).astype(float) @ mix
        summed = np.nan_to_num(values) @ mix
        points[name] = np.where(known > 0, summed, np.nan)
    # Without a contact the fit is unknown: neutral, so the constraints and the others decide.
    score[:, empty] = 50.0
    return ProjectFit(
        pms,
        projects,
        score,
        points,
        matrix.load if pms else np.zeros(0),
        matrix.capacity if pms else np.zeros(0),
        targets,
        [projects[k].pk for k in empty],
    )


@dataclass
class Constraints:
    """The hard constraints of PMs × projects, each a boolean matrix (True: allowed)."""

    role: Bools
    hours: Bools
    practice: Bools
    conflict: Bools
    conflict_reason: dict[tuple[int, int], str]

    @property
    def feasible(self) -> Bools:
        return self.role & self.hours & self.practice & self.conflict


def constraints(
    fit: ProjectFit, loads: Sequence[float], practices: Sequence[int | None]
) -> Constraints:
    """The hard constraints (one query, for the conflicts)."""
    n_pm, n_proj = len(fit.pms), len(fit.projects)
    role = np.array([pm.role == Role.PM and pm.is_active for pm in fit.pms], dtype=bool)
    hours_needed = np.asarray(loads, dtype=float)
    hours_ok = fit.free[:, None] + EPS >= hours_needed[None, :]
    pm_practice = [pm.practice_id for pm in fit.pms]
    practice = np.array(
        [[p is None or p == mine for p in practices] for mine in pm_practice], dtype=bool
    ).reshape(n_pm, n_proj)
    row = {pm.pk: i for i, pm in enumerate(fit.pms)}
    cols_of_client: dict[int, list[int]] = {}
    for k, project in enumerate(fit.projects):
        cols_of_client.setdefault(project.client_id, []).append(k)
    conflict = np.ones((n_pm, n_proj), dtype=bool)
    reasons: dict[tuple[int, int], str] = {}
    found = StaffingConflict.objects.filter(user_id__in=list(row), client_id__in=cols_of_client)
    for user_id, client_id, reason in found.values_list("user_id", "client_id", "reason"):
        for k in cols_of_client[client_id]:
            conflict[row[user_id], k] = False
            reasons[(row[user_id], k)] = reason
    return Constraints(
        np.broadcast_to(role[:, None], (n_pm, n_proj)).copy(),
        hours_ok,
        practice,
        conflict,
        reasons,
    )


def reasons_for(
    fit: ProjectFit,
    rules: Constraints,
    i: int,
    k: int,
    *,
    load: float,
    practice: Practice | None,
) -> list[str]:
    """Why PM `i` may not take project `k`, in words (empty when they may)."""
    out: list[str] = []
    if not rules.role[i, k]:
        out.append("not an active PM")
    if not rules.conflict[i, k]:
        out.append(f"conflict: {rules.conflict_reason.get((i, k), 'recorded')}")
    if not rules.practice[i, k]:
        out.append(
            f"other practice (the need asks for {practice})" if practice else "other practice"
        )
    if not rules.hours[i, k]:
        capacity, now = float(fit.capacity[i]), float(fit.load[i])
        if capacity <= 0:
            out.append("no capacity recorded")
        else:
            out.append(
                f"at {now / capacity * 100:.0f} % of capacity: {max(capacity - now, 0):.0f} h "
                f"free of {capacity:.0f}, the project needs {load:.0f} h"
            )
    return out


# ─── Ranking the candidates of one project ───


@dataclass
class Candidate:
    pm: User
    score: float
    utilisation: float | None  # with the project
    free_hours: float
    fit: Fit | None = None  # the breakdown in words, for the first few
    reasons: list[str] = field(default_factory=list)  # for the excluded
    current: bool = False


@dataclass
class Ranking:
    project: Project
    need: StaffingNeed | None
    hours: float
    targets: list[Target]
    candidates: list[Candidate]
    excluded: list[Candidate]
    excluded_count: int
    notes: list[str]


def rank_candidates(
    project: Project,
    policy: FitConfig,
    *,
    limit: int = 10,
    explain: int = 5,
    excluded_limit: int = 50,
    several: bool = False,
    viewer: User | None = None,
) -> Ranking:
    """The feasible PMs for `project`, best fit first (the first `explain` with their score in
    words), and the excluded ones with the reasons. Queries do not grow with the number of PMs:
    the breakdowns cost a fixed number each. A breakdown names the PM's own traits only if
    `viewer` may see that PM's profile (matching.privacy); otherwise, and without a `viewer`,
    they are folded into one "personality" part."""
    need = open_needs().filter(project=project).first()
    hours = load_of(project, need)
    pms = list(pm_pool().order_by("pk"))
    if project.manager_id not in {pm.pk for pm in pms}:
        pms.append(project.manager)
    fit = project_fit(pms, [project], policy, hours=[hours], several=several)
    practice = need.practice if need is not None else None
    rules = constraints(fit, [hours], [practice.pk if practice else None])
    feasible = rules.feasible[:, 0]
    order = np.argsort(-fit.score[:, 0], kind="stable")
    candidates: list[Candidate] = []
    excluded: list[Candidate] = []
    for i in order:
        pm = fit.pms[i]
        capacity = float(fit.capacity[i])
        entry = Candidate(
            pm=pm,
            score=round(float(fit.score[i, 0]), 1),
            utilisation=(float(fit.load[i]) + hours) / capacity if capacity > 0 else None,
            free_hours=capacity - float(fit.load[i]),
            current=pm.pk == project.manager_id,
        )
        if feasible[i]:
            candidates.append(entry)
        else:
            entry.reasons = reasons_for(fit, rules, int(i), 0, load=hours, practice=practice)
            excluded.append(entry)
    targets = fit.targets[project.pk]
    notes: list[str] = []
    if not targets:
        notes.append(
            f"{project.client} has no active contact: every PM scores a neutral 50 and the "
            "constraints decide."
        )
    elif len(targets) > 1:
        names = ", ".join(f"{t.contact} (power {t.contact.power})" for t in targets)
        notes.append(f"The fit is the mean over {names}, weighted by power.")
    main = max(targets, key=lambda t: t.weight).contact if targets else None
    if main is not None:
        explained = candidates[:explain]
        seen = profiles_seen_by(viewer, [c.pm.pk for c in explained]) if viewer else set()
        for entry in explained:
            # The project is left out of the PM's load and experience, then its hours are
            # added: the current manager is judged as everyone else.
            breakdown = explain_pair(
                entry.pm, main, policy, hours=hours, exclude_project=project.pk
            )
            entry.fit = breakdown if entry.pm.pk in seen else fold(breakdown)
    return Ranking(
        project=project,
        need=need,
        hours=hours,
        targets=targets,
        candidates=candidates[:limit],
        excluded=excluded[:excluded_limit],
        excluded_count=len(excluded),
        notes=notes,
    )


# ─── The plan: optimal, greedy and current assignments of open needs ───


@dataclass
class Choice:
    pm: User
    score: float
    feasible: bool = True


@dataclass
class PlanRow:
    need: StaffingNeed
    optimal: Choice | None
    greedy: Choice | None
    current: Choice | None
    why_open: str = ""  # why the optimiser left it unassigned


@dataclass
class Plan:
    rows: list[PlanRow]
    optimal: Solution
    greedy: Solution
    current_total: float
    pm_count: int
    seconds: float

    @property
    def totals(self) -> dict[str, float]:
        return {
            "optimal": round(self.optimal.total, 1),
            "greedy": round(self.greedy.total, 1),
            "current": round(self.current_total, 1),
        }


def needs_for(user: User) -> QuerySet[StaffingNeed]:
    """The open needs a user plans: admins and executives all; a director those of the
    practices they lead, and those naming no practice on projects they may see."""
    needs = open_needs()
    if user.sees_everything:
        return needs
    if user.is_director:
        return needs.filter(
            Q(practice__lead=user)
            | Q(practice__isnull=True, project__in=Project.objects.visible_to(user).values("pk"))
        )
    return needs.none()


def plan(needs: Iterable[StaffingNeed], policy: FitConfig, *, several: bool = False) -> Plan:
    """Solve the open `needs` together: the optimiser's assignment, the greedy one (needs in
    the order they were opened) and the current managers, with the totals."""
    started = time.perf_counter()
    needs = list(needs)
    projects = [n.project for n in needs]
    pms = list(pm_pool().order_by("pk"))
    known = {pm.pk for pm in pms}
    for project in projects:
        if project.manager_id not in known:
            known.add(project.manager_id)
            pms.append(project.manager)
    loads = [load_of(n.project, n) for n in needs]
    fit = project_fit(pms, projects, policy, hours=loads, several=several)
    rules = constraints(fit, loads, [n.practice_id for n in needs])
    feasible = rules.feasible
    load_array = np.asarray(loads, dtype=float)
    free = fit.free if pms else np.zeros(0)
    score = fit.score
    optimal = solve_optimal(score, feasible, free, load_array)
    greedy = solve_greedy(
        score,
        feasible,
        free,
        load_array,
        slots=optimal.slots,
        slot_hours=optimal.slot_hours,
    )
    row_of = {pm.pk: i for i, pm in enumerate(pms)}
    rows: list[PlanRow] = []
    current_total = 0.0
    for k, need in enumerate(needs):

        def choice(i: int, k: int = k) -> Choice | None:
            return None if i < 0 else Choice(pms[i], round(float(score[i, k]), 1))

        current_row = row_of[need.project.manager_id]
        current = Choice(
            pms[current_row],
            round(float(score[current_row, k]), 1),
            bool(feasible[current_row, k]),
        )
        current_total += float(score[current_row, k])
        row = PlanRow(need, choice(int(optimal.pm_of[k])), choice(int(greedy.pm_of[k])), current)
        if row.optimal is None:
            row.why_open = (
                "no PM meets the constraints (capacity, practice, conflicts)"
                if not feasible[:, k].any()
                else "the PMs who could take it are given projects where they fit better"
            )
        rows.append(row)
    return Plan(rows, optimal, greedy, current_total, len(pms), time.perf_counter() - started)


def feasibility(
    pm: User, project: Project, *, hours: float, practice: Practice | None
) -> list[str]:
    """Why `pm` may not run `project` at `hours` a week (empty when they may)."""
    fit = ProjectFit([pm], [project], np.zeros((1, 1)), {}, np.zeros(1), np.zeros(1), {}, [])
    load = workloads([pm.pk], exclude_projects=[project.pk]).get(pm.pk)
    fit.load = np.array([load.hours if load else 0.0])
    fit.capacity = np.array([load.capacity if load else float(pm.capacity_hours)])
    rules = constraints(fit, [hours], [practice.pk if practice else None])
    return reasons_for(fit, rules, 0, 0, load=hours, practice=practice)
