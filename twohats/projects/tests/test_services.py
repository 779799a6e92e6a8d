"""The delivery hat's writes: baselines and their plan, status reports and their revisions,
milestone completion and acceptance, change-request decisions. Bad input gets a clear error and
writes nothing; the tests count rows before and after."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal as D
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from twohats.health.models import HealthPolicy
from twohats.health.services import window_for
from twohats.health.signals import measure
from twohats.projects import services
from twohats.projects.delivery_schemas import MilestoneOut
from twohats.projects.models import (
    Baseline,
    ChangeRequest,
    Decision,
    EvSource,
    Milestone,
    PlannedValue,
    Project,
    StatusReport,
)
from twohats.projects.selectors import (
    DeliveryPolicy,
    change_request_stats,
    date_at,
    delivery_detail,
    delivery_policy,
    milestone_stats,
    status_report_indices,
)
from twohats.test import Cast, ContactFactory, ProjectFactory, count_queries
from twohats.writes import StaleRecordError, record_create, record_update

# Monday 23 November 2026, mid-afternoon in Paris.
NOW = dt.datetime(2026, 11, 23, 15, 30, tzinfo=dt.UTC)
BAC = D("250000.00")  # the cast's project: 5 January to 18 December 2026, reported monthly


@pytest.fixture(autouse=True)
def frozen() -> Iterator[object]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def submit(cast: Cast, **values: Any) -> StatusReport:
    fields: dict[str, Any] = {
        "project": cast.project,
        "actor": cast.owner,
        "period_end": dt.date(2026, 3, 31),
        "earned_value": D("50000"),
        "actual_cost": D("60000"),
        "percent_complete": D("20"),
        "rag": "amber",
    }
    return services.status_report_submit(**(fields | values))


def counts() -> tuple[int, ...]:
    return (
        Baseline.objects.count(),
        PlannedValue.objects.count(),
        StatusReport.objects.count(),
        Milestone.objects.count(),
        ChangeRequest.objects.filter(decision=Decision.PENDING).count(),
    )


def refused(call: Any, field: str, words: str) -> None:
    """The call raises a ValidationError naming `field` with `words`, and writes nothing."""
    before = counts()
    with pytest.raises(ValidationError) as error:
        call()
    messages = error.value.message_dict.get(field, [])
    assert any(words in message for message in messages), error.value.message_dict
    assert counts() == before


# ---------------------------------------------------------------------------------------------
# The plan


def test_it_spreads_a_straight_line_plan_over_month_ends(cast: Cast) -> None:
    plan = services.plan_linear(cast.project, BAC)
    assert [day for day, _ in plan][:3] == [
        dt.date(2026, 1, 31),
        dt.date(2026, 2, 28),
        dt.date(2026, 3, 31),
    ]
    assert plan[-2][0] == dt.date(2026, 11, 30) and plan[-1] == (dt.date(2026, 12, 18), BAC)
    assert len(plan) == 12
    # 27 of the project's 348 calendar days have passed on 31 January.
    assert plan[0][1] == (BAC * 27 / 348).quantize(D("0.01")) == D("19396.55")
    values = [value for _, value in plan]
    assert values == sorted(values)


def test_it_plans_weekly_projects_by_sundays(cast: Cast) -> None:
    project = ProjectFactory(
        client=cast.client, reporting_period="weekly", end_date=dt.date(2026, 2, 4)
    )
    ends = [day for day, _ in services.plan_linear(project, D("1000"))]
    assert ends == [dt.date(2026, 1, d) for d in (11, 18, 25)] + [
        dt.date(2026, 2, 1),
        dt.date(2026, 2, 4),
    ]
    assert all(day.weekday() == 6 for day in ends[:-1])


def test_it_reads_planned_value_and_actual_time_off_the_plan() -> None:
    start = dt.date(2026, 1, 1)
    curve = [(dt.date(2026, 1, 10), D("100")), (dt.date(2026, 1, 20), D("300"))]
    assert services.planned_value_at(curve, dt.date(2026, 1, 9)) == 0
    assert services.planned_value_at(curve, dt.date(2026, 1, 10)) == D("100")
    assert services.planned_value_at(curve, dt.date(2026, 1, 15)) == D("100")
    assert services.planned_value_at(curve, dt.date(2026, 3, 1)) == D("300")
    assert services.actual_time(curve, start, dt.date(2026, 1, 10)) == 1.0
    assert services.actual_time(curve, start, dt.date(2026, 1, 5)) == 0.5
    assert services.actual_time(curve, start, dt.date(2026, 1, 15)) == 1.5
    assert services.actual_time(curve, start, dt.date(2026, 1, 20)) == 2.0
    # Past the plan, periods as long as the last one (10 days) keep counting.
    assert services.actual_time(curve, start, dt.date(2026, 1, 25)) == 2.5
    # date_at is its inverse, on whole days.
    for day in (dt.date(2026, 1, 5), dt.date(2026, 1, 15), dt.date(2026, 1, 25)):
        assert date_at(curve, start, services.actual_time(curve, start, day)) == day


def test_it_gives_a_project_its_first_baseline_with_the_plan_when_first_needed(
    cast: Cast,
) -> None:
    assert not cast.project.baselines.exists()
    baseline = services.baseline_current(cast.project)
    assert (baseline.number, baseline.budget) == (1, BAC)
    assert baseline.plan.count() == 12
    assert services.baseline_current(cast.project) == baseline
    assert Baseline.objects.count() == 1


def test_it_fills_in_the_plan_of_a_baseline_the_migration_left_without_one(cast: Cast) -> None:
    bare = Baseline.objects.create(project=cast.project, number=1, budget=BAC)
    assert services.baseline_current(cast.project) == bare
    assert services.planned_curve(bare)[-1] == (dt.date(2026, 12, 18), BAC)


# ---------------------------------------------------------------------------------------------
# Status reports


def test_it_submits_a_report_with_pv_from_the_plan_and_stored_indices(cast: Cast) -> None:
    report = submit(cast)
    plan = dict(services.plan_linear(cast.project, BAC))
    assert report.planned_value == plan[dt.date(2026, 3, 31)]
    assert report.baseline.number == 1 and report.revision == 1
    assert report.spi == pytest.approx(50000 / float(report.planned_value))
    assert report.cpi == pytest.approx(50000 / 60000)
    assert report.spi_t is not None and report.spi_t < 1
    assert report.created_by == cast.owner


def test_it_keeps_one_report_per_period(cast: Cast) -> None:
    submit(cast)
    refused(lambda: submit(cast, actual_cost=D("1")), "period_end", "revise it instead")


def test_it_takes_reports_only_at_period_ends_that_have_started(cast: Cast) -> None:
    refused(lambda: submit(cast, period_end=dt.date(2026, 3, 15)), "period_end", "last day")
    refused(lambda: submit(cast, period_end=dt.date(2026, 12, 18)), "period_end", "not started")
    # The current period (November) may be reported before it ends; the project's end date and
    # the month ends of a late project past it are period ends too.
    assert submit(cast, period_end=dt.date(2026, 11, 30)).pk
    late = ProjectFactory(
        client=cast.client, start_date=dt.date(2025, 1, 6), end_date=dt.date(2025, 12, 19)
    )
    for day in (dt.date(2025, 12, 19), dt.date(2026, 1, 31)):
        assert submit(cast, project=late, period_end=day, earned_value=D("1")).pk


def test_it_refuses_a_period_before_the_project_starts(cast: Cast) -> None:
    refused(lambda: submit(cast, period_end=dt.date(2025, 12, 31)), "period_end", "before the")


def test_it_refuses_negative_costs_and_values(cast: Cast) -> None:
    refused(lambda: submit(cast, actual_cost=D("-1")), "actual_cost", "negative")
    refused(lambda: submit(cast, earned_value=D("-5")), "earned_value", "negative")
    refused(lambda: submit(cast, planned_value=D("-5")), "planned_value", "negative")
    assert not Baseline.objects.exists()  # the baseline the report would have made: rolled back


def test_it_refuses_ev_above_bac_until_the_project_is_re_baselined(cast: Cast) -> None:
    refused(lambda: submit(cast, earned_value=D("250000.01")), "earned_value", "re-baseline")
    services.baseline_create(
        project=cast.project, actor=cast.owner, budget=D("300000"), reason="Phase 2 added."
    )
    report = submit(cast, earned_value=D("260000"))
    assert report.baseline.number == 2 and report.baseline.budget == D("300000")


def test_it_refuses_a_bad_rag_or_percentage_and_writes_nothing(cast: Cast) -> None:
    refused(lambda: submit(cast, rag="purple"), "rag", "not a valid choice")
    refused(lambda: submit(cast, percent_complete=D("101")), "percent_complete", "100")


def test_it_revises_a_report_keeping_the_one_it_corrects(cast: Cast) -> None:
    first = submit(cast)
    revised = services.status_report_revise(
        report=first,
        actor=cast.teammate,
        reason="AC missed the subcontractor's invoice.",
        changes={"actual_cost": D("75000"), "rag": "red"},
    )
    first.refresh_from_db()
    assert first.superseded_at == NOW and first.actual_cost == D("60000")
    assert (revised.revision, revised.actual_cost, revised.rag) == (2, D("75000"), "red")
    assert revised.earned_value == first.earned_value  # what was not changed carries over
    assert revised.narrative == first.narrative
    assert revised.revision_reason == "AC missed the subcontractor's invoice."
    assert revised.cpi == pytest.approx(50000 / 75000)
    assert list(StatusReport.objects.current()) == [revised]
    assert StatusReport.objects.count() == 2


def test_it_refuses_a_revision_without_reason_or_of_a_superseded_report(cast: Cast) -> None:
    first = submit(cast)
    refused(
        lambda: services.status_report_revise(
            report=first, actor=cast.owner, reason=" ", changes={"rag": "red"}
        ),
        "revision_reason",
        "Say why",
    )
    services.status_report_revise(report=first, actor=cast.owner, reason="Typo.", changes={})
    refused(
        lambda: services.status_report_revise(
            report=first, actor=cast.owner, reason="Again.", changes={}
        ),
        "revision",
        "revise the latest one",
    )
    refused(
        lambda: services.status_report_revise(
            report=StatusReport.objects.current().get(),
            actor=cast.owner,
            reason="Negative cost.",
            changes={"actual_cost": D("-3")},
        ),
        "actual_cost",
        "negative",
    )
    assert StatusReport.objects.filter(superseded_at__isnull=True).count() == 1


def test_it_derives_earned_value_from_milestones(cast: Cast) -> None:
    def milestone(name: str, value: str, **fields: Any) -> Milestone:
        return Milestone.objects.create(
            project=cast.project,
            name=name,
            planned_date=dt.date(2026, 3, 1),
            planned_value=D(value),
            **fields,
        )

    milestone("Design", "50000", actual_date=dt.date(2026, 3, 20))
    milestone("Build", "100000", percent_complete=D("40"))
    milestone("Later", "30000", actual_date=dt.date(2026, 4, 10))  # done after the period
    milestone("Test", "20000")
    as_of = dt.date(2026, 3, 31)
    assert services.earned_value_from_milestones(cast.project, as_of=as_of) == D("90000.00")
    report = submit(cast, earned_value=None, ev_source=EvSource.MILESTONES)
    assert (report.earned_value, report.ev_source) == (D("90000.00"), "milestones")
    # By April the later milestone counts too.
    april = submit(
        cast, period_end=dt.date(2026, 4, 30), earned_value=D("1"), ev_source="milestones"
    )
    assert april.earned_value == D("120000.00")


def test_it_needs_earned_value_when_it_is_entered(cast: Cast) -> None:
    refused(lambda: submit(cast, earned_value=None), "earned_value", "required")


# ---------------------------------------------------------------------------------------------
# Re-baselining


def test_it_re_baselines_with_a_reason_and_the_budget_follows(cast: Cast) -> None:
    version = cast.project.version
    old = submit(cast)
    baseline = services.baseline_create(
        project=cast.project,
        actor=cast.owner,
        budget=D("320000"),
        reason="Client added the maintenance module (CR-7).",
    )
    project = Project.objects.get(pk=cast.project.pk)
    assert (baseline.number, baseline.created_by) == (2, cast.owner)
    assert project.budget == D("320000") and project.version == version + 1
    assert services.planned_curve(baseline)[-1] == (dt.date(2026, 12, 18), D("320000"))
    old.refresh_from_db()
    assert old.baseline.number == 1  # earlier reports keep the baseline they were measured with
    # A correction of the earlier report restates its numbers against its own baseline: a
    # re-baseline applies to later periods. Its PV, BAC and indices stay as they were.
    revised = services.status_report_revise(
        report=old, actor=cast.owner, reason="Typo in the narrative.", changes={"narrative": "x"}
    )
    assert revised.baseline == old.baseline != baseline
    assert (revised.planned_value, revised.spi, revised.cpi, revised.spi_t) == (
        old.planned_value,
        old.spi,
        old.cpi,
        old.spi_t,
    )
    # PV left out is taken from that baseline's plan, not the new one.
    again = services.status_report_revise(
        report=revised,
        actor=cast.owner,
        reason="PV from the plan.",
        changes={"planned_value": None},
    )
    assert again.baseline == old.baseline
    assert again.planned_value == services.planned_value_at(
        services.planned_curve(old.baseline), old.period_end
    )
    # A later period is measured against the new baseline.
    later = submit(cast, period_end=dt.date(2026, 4, 30), planned_value=None)
    assert later.baseline == baseline


def test_it_takes_a_custom_plan(cast: Cast) -> None:
    plan = [(dt.date(2026, 6, 30), D("100000")), (dt.date(2026, 12, 18), D("300000"))]
    baseline = services.baseline_create(
        project=cast.project, actor=cast.owner, budget=D("300000"), reason="Two phases.", plan=plan
    )
    assert services.planned_curve(baseline) == plan


@pytest.mark.parametrize(
    "budget,reason,plan,field,words",
    [
        ("0", "Why", None, "budget", "above zero"),
        ("-10", "Why", None, "budget", "above zero"),
        ("300000", "  ", None, "reason", "Say why"),
        ("300", "Why", [("2026-06-30", "200"), ("2026-03-31", "300")], "plan", "must increase"),
        ("300", "Why", [("2026-03-31", "200"), ("2026-06-30", "100")], "plan", "cannot fall"),
        ("300", "Why", [("2026-03-31", "200"), ("2026-06-30", "250")], "plan", "reach the budget"),
        ("300", "Why", [("2026-03-31", "400")], "plan", "exceeds the budget"),
        ("300", "Why", [("2025-12-31", "300")], "plan", "before the project"),
        ("300", "Why", [("2026-03-31", "-1"), ("2026-04-30", "300")], "plan", "negative"),
    ],
)
def test_it_refuses_a_bad_baseline(
    cast: Cast, budget: str, reason: str, plan: Any, field: str, words: str
) -> None:
    parsed = [(dt.date.fromisoformat(d), D(v)) for d, v in plan] if plan else None
    refused(
        lambda: services.baseline_create(
            project=cast.project, actor=cast.owner, budget=D(budget), reason=reason, plan=parsed
        ),
        field,
        words,
    )
    assert Project.objects.get(pk=cast.project.pk).budget == BAC


def test_it_refuses_a_budget_below_what_was_earned(cast: Cast) -> None:
    submit(cast, earned_value=D("150000"))
    refused(
        lambda: services.baseline_create(
            project=cast.project, actor=cast.owner, budget=D("100000"), reason="Cut."
        ),
        "budget",
        "earned 150000",
    )


# ---------------------------------------------------------------------------------------------
# Milestones


@pytest.fixture
def milestone(cast: Cast) -> Milestone:
    return Milestone.objects.create(
        project=cast.project,
        name="Design review",
        planned_date=dt.date(2026, 6, 30),
        planned_value=D("40000"),
    )


def test_it_completes_a_milestone_with_the_client_acceptance(
    cast: Cast, milestone: Milestone
) -> None:
    at = dt.datetime(2026, 7, 6, 9, 0, tzinfo=dt.UTC)
    done = services.milestone_complete(
        milestone=milestone,
        actor=cast.owner,
        actual_date=dt.date(2026, 7, 3),
        contact=cast.contact,
        accepted_at=at,
        expected_version=milestone.version,
    )
    assert (done.actual_date, done.accepted_by, done.accepted_at) == (
        dt.date(2026, 7, 3),
        cast.contact,
        at,
    )
    assert done.slippage_days(NOW.date()) == 3 and done.version == milestone.version + 1


def test_it_refuses_moving_a_completion_after_the_acceptance_on_record(
    cast: Cast, milestone: Milestone
) -> None:
    done = services.milestone_complete(
        milestone=milestone,
        actor=cast.owner,
        actual_date=dt.date(2026, 7, 3),
        contact=cast.contact,
        accepted_at=dt.datetime(2026, 7, 6, 9, 0, tzinfo=dt.UTC),
    )
    # Corrected to a day after the client signed it off, keeping that acceptance: refused.
    with pytest.raises(ValidationError) as refused:
        services.milestone_complete(
            milestone=done, actor=cast.owner, actual_date=dt.date(2026, 7, 10)
        )
    assert list(refused.value.message_dict) == ["accepted_at"]
    done.refresh_from_db()
    assert (done.actual_date, done.version) == (dt.date(2026, 7, 3), milestone.version + 1)
    # Up to the day of the acceptance is fine.
    moved = services.milestone_complete(
        milestone=done, actor=cast.owner, actual_date=dt.date(2026, 7, 6)
    )
    assert moved.accepted_by == cast.contact


def test_it_measures_slippage_the_same_on_the_page_the_api_the_counts_and_health(
    cast: Cast,
) -> None:
    """One rule: a done milestone counts its actual date; an open one its forecast (else its
    planned date), never before today. Today is 23 November."""
    expected = {
        "done late": (dt.date(2026, 6, 30), None, dt.date(2026, 7, 3), 3),
        "done early": (dt.date(2026, 6, 30), None, dt.date(2026, 6, 29), -1),
        "overdue": (dt.date(2026, 11, 13), None, None, 10),
        "overdue, forecast passed": (dt.date(2026, 11, 13), dt.date(2026, 11, 20), None, 10),
        "forecast late": (dt.date(2026, 12, 1), dt.date(2026, 12, 11), None, 10),
        # Forecast for a day now gone: it is not done, so it is no longer 24 days early.
        "stale early forecast": (dt.date(2026, 12, 10), dt.date(2026, 11, 16), None, -17),
        "ahead": (dt.date(2026, 12, 15), None, None, 0),
    }
    for name, (planned, forecast, actual, _) in expected.items():
        Milestone.objects.create(
            project=cast.project,
            name=name,
            planned_date=planned,
            forecast_date=forecast,
            actual_date=actual,
        )
    days = {name: values[3] for name, values in expected.items()}
    today = NOW.date()
    model = {m.name: m.slippage_days(today) for m in cast.project.milestones.all()}
    page = {
        row.milestone.name: row.slippage_days for row in delivery_detail(cast.project).milestones
    }
    api = {
        m.name: MilestoneOut.from_orm(m).slippage_days
        for m in Milestone.objects.filter(project=cast.project).select_related("accepted_by")
    }
    assert model == page == api == days
    stats = milestone_stats(cast.project, today=today)
    assert (stats["max_slippage_days"], stats["slipped"], stats["overdue"]) == (10, 4, 2)
    assert stats["mean_slippage_days"] == pytest.approx(33 / 7)
    health = measure("project", window_for(today), HealthPolicy.objects.active().rules)
    # Health reads the worst open milestone.
    assert health[cast.project.pk]["delivery.milestone_slippage_days"].raw == 10


def test_it_refuses_milestone_dates_before_the_project_on_every_write_path(
    cast: Cast, milestone: Milestone
) -> None:
    """The model says so, not only the form and the API: any `record_create` or
    `record_update` is refused, and nothing is written."""
    before = dt.date(2026, 1, 4)  # the project starts on 5 January
    count = Milestone.objects.count()
    with pytest.raises(ValidationError) as refused:
        record_create(
            Milestone,
            actor=cast.owner,
            fields={
                "project": cast.project,
                "name": "Early",
                "planned_date": dt.date(2026, 3, 1),
                "forecast_date": before,
            },
        )
    assert refused.value.message_dict == {
        "forecast_date": ["The forecast is before the project starts (2026-01-05)."]
    }
    assert Milestone.objects.count() == count
    for name in ("forecast_date", "actual_date"):
        with pytest.raises(ValidationError) as refused:
            record_update(milestone, actor=cast.owner, fields={name: before})
        assert list(refused.value.message_dict) == [name]
    milestone.refresh_from_db()
    assert (milestone.forecast_date, milestone.actual_date, milestone.version) == (None, None, 1)


def test_it_refuses_a_change_asked_in_the_future_on_every_write_path(cast: Cast) -> None:
    count = ChangeRequest.objects.count()
    fields = {
        "project": cast.project,
        "asked_by": cast.contact,
        "description": "Add a dashboard",
        "asked_at": NOW + dt.timedelta(minutes=1),
    }
    with pytest.raises(ValidationError) as refused:
        record_create(ChangeRequest, actor=cast.owner, fields=fields)
    assert refused.value.message_dict == {"asked_at": ["A change cannot be asked in the future."]}
    assert ChangeRequest.objects.count() == count
    made = record_create(ChangeRequest, actor=cast.owner, fields=fields | {"asked_at": NOW})
    assert made.asked_at == NOW


def test_it_completes_first_and_records_acceptance_later(cast: Cast, milestone: Milestone) -> None:
    done = services.milestone_complete(
        milestone=milestone, actor=cast.owner, actual_date=dt.date(2026, 6, 29)
    )
    assert done.accepted_by is None and done.slippage_days(NOW.date()) == -1
    accepted = services.milestone_accept(
        milestone=done, actor=cast.owner, contact=cast.contact, at=NOW
    )
    assert accepted.accepted_by == cast.contact
    refused(
        lambda: services.milestone_accept(
            milestone=done, actor=cast.owner, contact=cast.contact, at=NOW
        ),
        "accepted_by",
        "accepted already",
    )


@pytest.mark.parametrize(
    "actual,contact,accepted_at,field,words",
    [
        ("2026-11-24", None, None, "actual_date", "has come"),
        ("2025-12-31", None, None, "actual_date", "before the project starts"),
        ("2026-07-03", "own", "2026-07-01T09:00", "accepted_at", "before the milestone"),
        ("2026-07-03", "own", "2026-11-30T09:00", "accepted_at", "future"),
        ("2026-07-03", "other", "2026-07-06T09:00", "accepted_by", "project's client"),
        ("2026-07-03", "own", None, "accepted_by", "both"),
    ],
)
def test_it_refuses_completion_dates_out_of_order(
    cast: Cast,
    milestone: Milestone,
    actual: str,
    contact: str | None,
    accepted_at: str | None,
    field: str,
    words: str,
) -> None:
    who = {"own": cast.contact, "other": ContactFactory(client=cast.other_client), None: None}
    when = dt.datetime.fromisoformat(accepted_at).replace(tzinfo=dt.UTC) if accepted_at else None
    refused(
        lambda: services.milestone_complete(
            milestone=milestone,
            actor=cast.owner,
            actual_date=dt.date.fromisoformat(actual),
            contact=who[contact],
            accepted_at=when,
        ),
        field,
        words,
    )
    milestone.refresh_from_db()
    assert milestone.actual_date is None and milestone.accepted_by is None


def test_it_refuses_to_complete_a_stale_copy(cast: Cast, milestone: Milestone) -> None:
    Milestone.objects.filter(pk=milestone.pk).update(version=milestone.version + 1)
    with pytest.raises(StaleRecordError):
        services.milestone_complete(
            milestone=milestone,
            actor=cast.owner,
            actual_date=dt.date(2026, 7, 1),
            expected_version=milestone.version,
        )
    milestone.refresh_from_db()
    assert milestone.actual_date is None


# ---------------------------------------------------------------------------------------------
# Change requests


@pytest.fixture
def change(cast: Cast) -> ChangeRequest:
    return ChangeRequest.objects.create(
        project=cast.project,
        asked_by=cast.contact,
        asked_at=dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC),
        description="Add a French translation of the operator manual.",
        value=D("12000"),
    )


def test_it_decides_a_change_with_the_actor_as_decider(cast: Cast, change: ChangeRequest) -> None:
    decided = services.change_request_decide(
        change=change,
        actor=cast.owner,
        decision=Decision.ABSORBED,
        at=NOW,
        reason="Goodwill before the renewal.",
        expected_version=change.version,
    )
    assert (decided.decision, decided.decided_by, decided.decided_at) == (
        "absorbed",
        cast.owner,
        NOW,
    )
    assert decided.reason == "Goodwill before the renewal."
    refused(
        lambda: services.change_request_decide(
            change=change, actor=cast.owner, decision="billed", at=NOW, reason="x"
        ),
        "decision",
        "decided already",
    )


@pytest.mark.parametrize(
    "decision,at,reason,field,words",
    [
        ("pending", NOW, "x", "decision", "Choose"),
        ("maybe", NOW, "x", "decision", "Choose"),
        ("absorbed", NOW, "", "reason", "Say why"),
        ("declined", NOW, " ", "reason", "Say why"),
        ("billed", NOW + dt.timedelta(hours=1), "", "decided_at", "future"),
        ("billed", dt.datetime(2026, 11, 1, tzinfo=dt.UTC), "", "decided_at", "before the request"),
    ],
)
def test_it_refuses_a_bad_decision(
    cast: Cast, change: ChangeRequest, decision: str, at: dt.datetime, reason: str, field: str,
    words: str,
) -> None:  # fmt: skip
    refused(
        lambda: services.change_request_decide(
            change=change, actor=cast.owner, decision=decision, at=at, reason=reason
        ),
        field,
        words,
    )
    change.refresh_from_db()
    assert change.decision == "pending" and change.decided_by is None


def test_it_refuses_a_decision_from_a_stale_copy(cast: Cast, change: ChangeRequest) -> None:
    ChangeRequest.objects.filter(pk=change.pk).update(version=5)
    with pytest.raises(StaleRecordError):
        services.change_request_decide(
            change=change, actor=cast.owner, decision="billed", at=NOW, expected_version=1
        )
    assert ChangeRequest.objects.get(pk=change.pk).decision == "pending"


def test_the_model_refuses_a_decision_without_a_decider(cast: Cast, change: ChangeRequest) -> None:
    change.decision = Decision.BILLED
    change.decided_at = NOW
    with pytest.raises(ValidationError) as error:
        change.full_clean()
    assert "Say who decided." in error.value.message_dict["decided_by"]
    # And the database holds the line for writes that skip validation.
    with pytest.raises(IntegrityError), transaction.atomic():
        change.save()
    assert ChangeRequest.objects.get(pk=change.pk).decision == "pending"


# ---------------------------------------------------------------------------------------------
# Reads (selectors)


def test_it_reads_the_policy_defaults_when_the_policy_says_nothing(db: None) -> None:
    settings = delivery_policy()
    assert settings == DeliveryPolicy()
    assert (settings.spi_band(0.95), settings.spi_band(0.9), settings.cpi_band(0.89)) == (
        "green",
        "amber",
        "red",
    )
    assert settings.pending_change_days == 14


def test_it_summarises_a_project_for_the_api(
    cast: Cast, milestone: Milestone, change: ChangeRequest
) -> None:
    report = submit(cast)
    indices = status_report_indices(report)
    assert indices["bac"] == BAC and indices["cpi"] == pytest.approx(50000 / 60000)
    assert indices["cpi_band"] == "red" and indices["tcpi_bac_hard"] is False
    stats = milestone_stats(cast.project, today=NOW.date())
    # Open and past its planned date (30 June): slipped at least to today.
    assert (stats["count"], stats["overdue"], stats["max_slippage_days"]) == (1, 1, 146)
    ledger = change_request_stats(cast.project, bac=BAC)
    assert ledger["pending"] == {"count": 1, "value": D("12000")}
    assert ledger["absorbed_share_of_bac"] == 0


def test_it_reads_the_delivery_of_a_project_in_a_fixed_number_of_queries(cast: Cast) -> None:
    def read() -> None:
        detail = delivery_detail(Project.objects.get(pk=cast.project.pk))
        assert detail.baseline.budget > 0

    submit(cast)
    few = count_queries(read)
    for month in range(4, 11):
        report = submit(
            cast, period_end=services.period_end_of(cast.project, dt.date(2026, month, 1))
        )
        services.status_report_revise(report=report, actor=cast.owner, reason="x", changes={})
        Milestone.objects.create(
            project=cast.project, name=f"M{month}", planned_date=dt.date(2026, month, 1)
        )
        ChangeRequest.objects.create(
            project=cast.project,
            asked_by=cast.contact,
            asked_at=NOW - dt.timedelta(days=month),
            description="x",
        )
    services.baseline_create(project=cast.project, actor=cast.owner, budget=BAC * 2, reason="x")
    assert count_queries(read) == few <= 8
