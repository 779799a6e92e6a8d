"""Staffing reads and writes: target contacts, the ranking with its reasons, the plan's
constraints, and the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from twohats.matching.models import PersonalityProfile, StaffingConflict, StaffingNeed
from twohats.matching.staffing import (
    active_policy,
    needs_for,
    plan,
    rank_candidates,
    target_contacts,
)
from twohats.matching.staffing_services import (
    staffing_assign,
    staffing_conflict_record,
    staffing_need_open,
)
from twohats.people.models import User
from twohats.projects.models import Project
from twohats.test import Cast, ContactFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

TRAITS = ("extraversion", "agreeableness", "conscientiousness", "emotional_stability", "intellect")


def profile(*, user: User | None = None, contact: object = None, level: float = 60) -> None:
    PersonalityProfile.objects.create(
        user=user,
        contact=contact,  # type: ignore[misc]
        source="observer",
        instrument="mini_ipip_obs",
        rated_on=dt.date(2026, 3, 1),
        is_latest=True,
        **dict.fromkeys(TRAITS, level),
    )


def pm(cast: Cast, name: str, *, capacity: int = 40, practice: object = "same") -> User:
    return UserFactory.create(
        username=name,
        first_name=name.capitalize(),
        last_name="Pm",
        practice=cast.practice if practice == "same" else practice,
        capacity_hours=Decimal(capacity),
    )


def open_need(
    cast: Cast, project: Project, hours: int = 10, practice: object = None
) -> StaffingNeed:
    return staffing_need_open(
        project=project,
        by=cast.director,
        hours=hours,
        practice=practice,  # type: ignore[arg-type]
    )


def test_target_is_the_active_primary_representative(cast: Cast) -> None:
    boss = ContactFactory.create(client=cast.client, power=5)
    cast.client.primary_contact = cast.contact
    cast.client.save()
    project = Project.objects.select_related("client").get(pk=cast.project.pk)
    targets = target_contacts([project])[project.pk]
    assert [(t.contact.pk, t.weight) for t in targets] == [(cast.contact.pk, 1.0)]
    several = target_contacts([project], several=True)[project.pk]
    assert {(t.contact.pk, t.weight) for t in several} == {(cast.contact.pk, 4.0), (boss.pk, 5.0)}


def test_without_an_active_primary_it_weights_powerful_contacts_by_power(cast: Cast) -> None:
    cast.contact.left_on = dt.date(2026, 1, 1)
    cast.contact.save()
    cast.client.primary_contact = cast.contact
    cast.client.save()
    strong = ContactFactory.create(client=cast.client, power=5)
    medium = ContactFactory.create(client=cast.client, power=4)
    ContactFactory.create(client=cast.client, power=2)
    project = Project.objects.select_related("client").get(pk=cast.project.pk)
    targets = target_contacts([project])[project.pk]
    assert {(t.contact.pk, t.weight) for t in targets} == {(strong.pk, 5.0), (medium.pk, 4.0)}


def test_ranking_excludes_constrained_pms_with_reasons(cast: Cast) -> None:
    cast.client.primary_contact = cast.contact
    cast.client.save()
    good = pm(cast, "good")
    busy = pm(cast, "busy", capacity=20)
    ProjectFactory.create(manager=busy, client=cast.other_client, pm_hours_per_week=20)
    conflicted = pm(cast, "conflicted")
    staffing_conflict_record(
        user=conflicted, client=cast.client, by=cast.director, reason="ex-employee"
    )
    foreign = pm(cast, "foreign", practice=cast.other_practice)
    open_need(cast, cast.project, hours=10, practice=cast.practice)
    ranking = rank_candidates(Project.objects.get(pk=cast.project.pk), active_policy())
    ranked = [c.pm for c in ranking.candidates]
    assert good in ranked
    reasons = {c.pm.username: c.reasons for c in ranking.excluded}
    assert reasons["busy"][0].startswith("at 100 % of capacity")
    assert reasons["conflicted"] == ["conflict: ex-employee"]
    assert reasons["foreign"][0].startswith("other practice")
    assert foreign not in ranked and busy not in ranked and conflicted not in ranked
    scores = [c.score for c in ranking.candidates]
    assert scores == sorted(scores, reverse=True)


def test_a_missing_profile_still_ranks_and_says_so(cast: Cast) -> None:
    cast.client.primary_contact = cast.contact
    cast.client.save()
    profile(contact=cast.contact)
    experienced = pm(cast, "experienced")
    ProjectFactory.create(client=cast.client, manager=experienced, status="completed")
    ProjectFactory.create(client=cast.client, manager=experienced, status="completed")
    novice = pm(cast, "novice")
    ranking = rank_candidates(Project.objects.get(pk=cast.project.pk), active_policy())
    order = [c.pm for c in ranking.candidates]
    assert order.index(experienced) < order.index(novice)
    first = next(c for c in ranking.candidates if c.pm == experienced)
    assert first.fit is not None
    assert any("No personality profile for the PM" in m for m in first.fit.missing)
    assert "has run 2 projects for Aerolux" in first.fit.summary


def test_the_plan_respects_every_hard_constraint(cast: Cast) -> None:
    a = pm(cast, "alpha", capacity=20)
    b = pm(cast, "bravo", capacity=10)
    c = pm(cast, "charlie", practice=cast.other_practice)
    staffing_conflict_record(user=a, client=cast.client, by=cast.admin, reason="dispute")
    projects = [ProjectFactory.create(client=cast.client, manager=cast.owner) for _ in range(3)]
    other = ProjectFactory.create(client=cast.other_client, manager=cast.owner)
    needs = [open_need(cast, p, hours=10, practice=cast.practice) for p in projects]
    needs.append(open_need(cast, other, hours=10))
    result = plan(open_needs_list(), active_policy())
    taken: dict[int, float] = {}
    for row in result.rows:
        for choice in (row.optimal, row.greedy):
            if choice is None:
                continue
            assert choice.pm.role == "pm"
            if row.need.practice_id:
                assert choice.pm.practice_id == row.need.practice_id
            assert not StaffingConflict.objects.filter(
                user=choice.pm, client_id=row.need.project.client_id
            ).exists()
        if row.optimal:
            taken[row.optimal.pm.pk] = taken.get(row.optimal.pm.pk, 0) + 10
    for user in (a, b, c):
        assert taken.get(user.pk, 0) <= float(user.capacity_hours)
    assert result.greedy.total <= result.optimal.total + 1e-9
    assert c.pk not in {r.optimal.pm.pk for r in result.rows[:3] if r.optimal}
    assert len(needs) == 4


def open_needs_list() -> list[StaffingNeed]:
    return list(
        StaffingNeed.objects.filter(filled_at__isnull=True).select_related(
            "project__client", "project__manager", "practice"
        )
    )


def test_directors_plan_their_practices_needs(cast: Cast) -> None:
    mine = open_need(cast, cast.project, practice=cast.practice)
    theirs = staffing_need_open(
        project=ProjectFactory.create(client=cast.other_client, manager=cast.outsider),
        by=cast.other_director,
        hours=10,
        practice=cast.other_practice,
    )
    assert list(needs_for(cast.director)) == [mine]
    assert set(needs_for(cast.admin)) == {mine, theirs}
    assert set(needs_for(cast.executive)) == {mine, theirs}
    assert list(needs_for(cast.owner)) == []


def test_assign_sets_the_manager_with_history_and_fills_the_need(cast: Cast) -> None:
    newcomer = pm(cast, "newcomer")
    need = open_need(cast, cast.project, hours=12, practice=cast.practice)
    staffing_assign(need=need, pm=newcomer, by=cast.director)
    project = Project.objects.get(pk=cast.project.pk)
    assert project.manager == newcomer
    assert project.pm_hours_per_week == Decimal("12.0")
    need.refresh_from_db()
    assert need.filled_at is not None and need.assigned == newcomer
    assert need.filled_by == cast.director
    entry = LogEntry.objects.get_for_object(project).filter(actor=cast.director).first()
    assert entry is not None and "manager" in entry.changes_dict


def test_assign_refuses_an_infeasible_pm_and_changes_nothing(cast: Cast) -> None:
    full = pm(cast, "full", capacity=10)
    ProjectFactory.create(manager=full, client=cast.other_client, pm_hours_per_week=10)
    need = open_need(cast, cast.project, hours=10)
    with pytest.raises(ValidationError, match="at 100 % of capacity"):
        staffing_assign(need=need, pm=full, by=cast.director)
    with pytest.raises(ValidationError, match="not an active PM"):
        staffing_assign(need=need, pm=cast.executive, by=cast.director)
    assert Project.objects.get(pk=cast.project.pk).manager == cast.owner
    need.refresh_from_db()
    assert need.filled_at is None


def test_only_the_practice_director_or_an_admin_assigns(cast: Cast) -> None:
    newcomer = pm(cast, "newcomer")
    need = open_need(cast, cast.project, practice=cast.practice)
    for who in (cast.owner, cast.other_director, cast.executive):
        with pytest.raises(PermissionDenied):
            staffing_assign(need=need, pm=newcomer, by=who)
    staffing_assign(need=need, pm=newcomer, by=cast.admin)


def test_one_open_need_per_project(cast: Cast) -> None:
    open_need(cast, cast.project)
    with pytest.raises(ValidationError, match="already has an open staffing need"):
        open_need(cast, cast.project)
    with pytest.raises(PermissionDenied):
        staffing_need_open(project=cast.project, by=cast.executive, hours=10, practice=None)


def test_the_current_manager_is_not_counted_twice(cast: Cast) -> None:
    # The owner runs the project at 10 h of 40: judged for it, they are at 25 %, not 50 %.
    cast.project.pm_hours_per_week = Decimal(10)
    cast.project.save()
    ranking = rank_candidates(Project.objects.get(pk=cast.project.pk), active_policy())
    owner = next(c for c in ranking.candidates if c.current)
    assert owner.utilisation == pytest.approx(0.25)
    assert timezone.now()  # time is aware
