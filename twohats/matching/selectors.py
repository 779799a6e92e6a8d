"""Reads behind the fit model: every fact of many PM–contact pairs at once, in a constant
number of queries (profiles, perceived similarity, experience, outcomes, workload), as numpy
matrices for ranking and the optimiser, or as one pair's facts with words."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.db.models import Avg, Count, Q, Sum
from numpy.typing import NDArray

from twohats.clients.models import Client, Contact
from twohats.health.models import HealthSnapshot
from twohats.matching.fit import Array, Facts, Fit, PairFacts, explain, part_values, scores
from twohats.matching.instruments import TRAITS
from twohats.matching.models import PerceivedSimilarity, PersonalityProfile
from twohats.matching.policy import FitConfig
from twohats.people.models import User
from twohats.projects.models import Project, ProjectStatus
from twohats.surveys.models import Response

# Projects that take the PM's time now.
CURRENT = [ProjectStatus.ACTIVE, ProjectStatus.ON_HOLD]


def latest_traits(
    *, users: Iterable[int] = (), contacts: Iterable[int] = ()
) -> tuple[dict[int, dict[str, float]], dict[int, dict[str, float]]]:
    fields = ("user_id", "contact_id", *TRAITS)
    rows = PersonalityProfile.objects.current().filter(
        Q(user_id__in=list(users)) | Q(contact_id__in=list(contacts))
    )
    by_user: dict[int, dict[str, float]] = {}
    by_contact: dict[int, dict[str, float]] = {}
    for row in rows.values(*fields):
        traits = {t: row[t] for t in TRAITS}
        if row["user_id"] is not None:
            by_user[row["user_id"]] = traits
        else:
            by_contact[row["contact_id"]] = traits
    return by_user, by_contact


@dataclass
class Workload:
    hours: float
    capacity: float
    projects: int

    def utilisation(self, extra: float = 0.0) -> float | None:
        if self.capacity <= 0:
            return None
        return (self.hours + extra) / self.capacity


def workloads(
    user_ids: Iterable[int], *, exclude_projects: Iterable[int] = ()
) -> dict[int, Workload]:
    """Each PM's current load: the PM hours of the projects they run now, against capacity.
    `exclude_projects` (the projects being staffed) are left out of the load: their hours are
    added back for whoever is judged for them, so their current PM is not counted twice."""
    running_now = Q(
        managed_projects__status__in=CURRENT, managed_projects__archived_at__isnull=True
    )
    excluded = list(exclude_projects)
    if excluded:
        running_now &= ~Q(managed_projects__pk__in=excluded)
    users = User.objects.filter(pk__in=list(user_ids)).annotate(
        load=Sum("managed_projects__pm_hours_per_week", filter=running_now),
        running=Count("managed_projects", filter=running_now),
    )
    return {
        u["pk"]: Workload(float(u["load"] or 0), float(u["capacity_hours"]), u["running"])
        for u in users.values("pk", "load", "capacity_hours", "running")
    }


@dataclass
class FitMatrix:
    """The fit of every PM (rows) with every contact (columns)."""

    pm_ids: list[int]
    contact_ids: list[int]
    score: Array
    points: dict[str, Array]
    feasible_load: NDArray[np.bool_]  # False where the PM has no room for the hours asked
    # Each PM's load now (hours per week, the excluded projects left out) and capacity.
    load: Array = field(default_factory=lambda: np.zeros(0))
    capacity: Array = field(default_factory=lambda: np.zeros(0))


def fit_matrix(
    pm_ids: Sequence[int],
    contact_ids: Sequence[int],
    policy: FitConfig,
    *,
    hours: Sequence[float] | None = None,
    exclude_projects: Iterable[int] = (),
) -> FitMatrix:
    """Fit of PMs × contacts, with `hours` per contact column (the load of the project being
    staffed: 0 when judging the PM who runs it now). Ten queries, whatever the size."""
    pm_ids, contact_ids = list(pm_ids), list(contact_ids)
    excluded = list(exclude_projects)
    n_pm, n_c = len(pm_ids), len(contact_ids)
    row = {pk: i for i, pk in enumerate(pm_ids)}
    # A contact may head several columns (one per project being staffed, with its own hours).
    col: dict[int, list[int]] = {}
    for j, pk in enumerate(contact_ids):
        col.setdefault(pk, []).append(j)
    pm_traits, contact_traits = latest_traits(users=pm_ids, contacts=contact_ids)

    def trait_array(ids: list[int], found: dict[int, dict[str, float]]) -> Array:
        out = np.full((len(ids), len(TRAITS)), np.nan)
        for i, pk in enumerate(ids):
            if pk in found:
                out[i] = [found[pk][t] for t in TRAITS]
        return out

    contacts = list(
        Contact.objects.filter(pk__in=contact_ids).values("pk", "client_id", "client__industry")
    )
    client_of = {c["pk"]: c["client_id"] for c in contacts}
    industry_of = {c["pk"]: c["client__industry"] for c in contacts}
    cols_of_client: dict[int, list[int]] = {}
    cols_of_industry: dict[str, list[int]] = {}
    for pk, js in col.items():
        cols_of_client.setdefault(client_of.get(pk, -1), []).extend(js)
        cols_of_industry.setdefault(industry_of.get(pk, ""), []).extend(js)

    perceived = np.full((n_pm, n_c), np.nan)
    for r in (
        PerceivedSimilarity.objects.filter(pm_id__in=pm_ids, contact_id__in=contact_ids)
        .values("pm_id", "contact_id")
        .annotate(mean=Avg("value"))
        .order_by()
    ):
        perceived[row[r["pm_id"]], col[r["contact_id"]]] = r["mean"]

    managed = Project.objects.filter(manager_id__in=pm_ids).exclude(pk__in=excluded)
    client_projects = np.zeros((n_pm, n_c))
    for r in (
        managed.filter(client_id__in=set(client_of.values()))
        .values("manager_id", "client_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        client_projects[row[r["manager_id"]], cols_of_client[r["client_id"]]] = r["n"]
    industry_projects = np.zeros((n_pm, n_c))
    for r in (
        managed.filter(client__industry__in=set(industry_of.values()))
        .values("manager_id", "client__industry")
        .annotate(n=Count("id"))
        .order_by()
    ):
        industry_projects[row[r["manager_id"]], cols_of_industry[r["client__industry"]]] = r["n"]

    prior_health = np.full((n_pm, n_c), np.nan)
    for r in (
        HealthSnapshot.objects.filter(
            project__manager_id__in=pm_ids,
            client_id__in=set(client_of.values()),
            relationship__isnull=False,
        )
        .exclude(project_id__in=excluded)
        .values("project__manager_id", "client_id")
        .annotate(mean=Avg("relationship"))
        .order_by()
    ):
        prior_health[row[r["project__manager_id"]], cols_of_client[r["client_id"]]] = r["mean"]
    prior_nps = np.full((n_pm, n_c), np.nan)
    for r in (
        Response.objects.filter(pm_id__in=pm_ids, contact_id__in=contact_ids, nps__isnull=False)
        .values("pm_id", "contact_id")
        .annotate(mean=Avg("nps"))
        .order_by()
    ):
        prior_nps[row[r["pm_id"]], col[r["contact_id"]]] = r["mean"]

    loads = workloads(pm_ids, exclude_projects=excluded)
    load = np.array([loads[pk].hours if pk in loads else np.nan for pk in pm_ids])
    capacity = np.array([loads[pk].capacity if pk in loads else np.nan for pk in pm_ids])
    extra = np.zeros(n_c) if hours is None else np.asarray(hours, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        utilisation = np.where(
            capacity[:, None] > 0, (load[:, None] + extra[None, :]) / capacity[:, None], np.inf
        )
    facts = Facts(
        pm_traits=trait_array(pm_ids, pm_traits)[:, None, :],
        contact_traits=trait_array(contact_ids, contact_traits)[None, :, :],
        perceived=perceived,
        client_projects=client_projects,
        industry_projects=industry_projects,
        prior_health=prior_health,
        prior_nps=prior_nps,
        utilisation=utilisation,
    )
    score, points = scores(part_values(facts, policy), policy)
    return FitMatrix(
        pm_ids,
        contact_ids,
        score,
        points,
        feasible_load=utilisation <= 1.0 + 1e-9,
        load=load,
        capacity=capacity,
    )


def pair_facts(
    pm: User, contact: Contact, *, hours: float = 0.0, exclude_project: int | None = None
) -> PairFacts:
    """One pair's facts, for the explanation in words."""
    client: Client = contact.client
    by_user, by_contact = latest_traits(users=[pm.pk], contacts=[contact.pk])
    managed = Project.objects.filter(manager=pm)
    if exclude_project is not None:
        managed = managed.exclude(pk=exclude_project)
    # Not named `client`: an aggregate of a field's name would shadow it in the next filter.
    counts = managed.aggregate(
        n_client=Count("id", filter=Q(client=client)),
        n_industry=Count("id", filter=Q(client__industry=client.industry)),
    )
    perceived = PerceivedSimilarity.objects.filter(pm=pm, contact=contact).aggregate(m=Avg("value"))
    health = HealthSnapshot.objects.filter(
        project__manager=pm, client=client, relationship__isnull=False
    )
    if exclude_project is not None:
        health = health.exclude(project_id=exclude_project)
    prior = health.aggregate(m=Avg("relationship"))["m"]
    nps = Response.objects.filter(pm=pm, contact=contact, nps__isnull=False).aggregate(
        m=Avg("nps")
    )["m"]
    excluded = [] if exclude_project is None else [exclude_project]
    load = workloads([pm.pk], exclude_projects=excluded).get(pm.pk)
    return PairFacts(
        pm_traits=by_user.get(pm.pk),
        contact_traits=by_contact.get(contact.pk),
        perceived=_float(perceived["m"]),
        client_projects=counts["n_client"],
        industry_projects=counts["n_industry"],
        prior_health=_float(prior),
        prior_nps=_float(nps),
        utilisation=load.utilisation(hours) if load else None,
        client_name=client.name,
        industry_name=client.get_industry_display(),
        contact_name=str(contact),
    )


def _float(value: float | Decimal | None) -> float | None:
    return None if value is None else float(value)


def explain_pair(
    pm: User,
    contact: Contact,
    policy: FitConfig,
    *,
    hours: float = 0.0,
    exclude_project: int | None = None,
) -> Fit:
    return explain(pair_facts(pm, contact, hours=hours, exclude_project=exclude_project), policy)
