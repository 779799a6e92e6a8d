"""The daily job, the clock that enqueues it, and the worker that runs it."""

from __future__ import annotations

import datetime as dt
import logging
import signal
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django_tasks import default_task_backend
from django_tasks_db.models import DBTaskResult

from twohats.alerts.services import Evaluated, Finding, alerts_apply
from twohats.health.management.commands.worker import Worker
from twohats.health.models import HealthSnapshot, JobRun
from twohats.health.tasks import daily, daily_run, jobs_enqueue_due, parse_time_of_day
from twohats.test import Cast

NOW = dt.datetime(2026, 6, 30, 7, 0, tzinfo=dt.UTC)  # the firm's zone is UTC in the tests
TODAY = "2026-06-30"
SIX = dt.time(6, 0)
STEPS = ["recompute", "alerts", "escalate", "digest", "surveys", "prune"]
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def evaluations(monkeypatch: pytest.MonkeyPatch) -> list[dt.datetime]:
    """The rules, replaced by a stand-in that notes when it was asked."""
    calls: list[dt.datetime] = []

    def evaluate(*, now: dt.datetime) -> Evaluated:
        calls.append(now)
        return Evaluated(opened=1)

    monkeypatch.setattr("twohats.alerts.rules.alerts_evaluate", evaluate)
    return calls


@pytest.fixture
def queue() -> Iterator[Any]:
    """A task backend that keeps what is enqueued and runs nothing."""
    with override_settings(TASKS=DUMMY):
        yield default_task_backend


@pytest.fixture
def loggers() -> Iterator[None]:
    """`twohats worker` sets up its loggers; put them back afterwards."""
    names = ("twohats", "django_tasks", "django_tasks_db")
    saved = {
        name: (log.level, list(log.handlers), log.propagate)
        for name in names
        if (log := logging.getLogger(name))
    }
    yield
    for name, (level, handlers, propagate) in saved.items():
        log = logging.getLogger(name)
        log.setLevel(level)
        log.handlers[:] = handlers
        log.propagate = propagate


def high_alert(cast: Cast, opened: dt.datetime) -> None:
    alerts_apply(
        rules=["no_face_to_face"],
        findings=[
            Finding(
                rule="no_face_to_face",
                subject_key=f"client:{cast.client.pk}",
                severity=3,
                title="No face-to-face with Aerolux in 41 days",
                evidence={},
                playbook=[],
                client_id=cast.client.pk,
                pm_id=cast.owner.pk,
                owner_id=cast.owner.pk,
            )
        ],
        now=opened,
    )


# The daily job -------------------------------------------------------------------------------


def test_the_daily_job_runs_every_step_once_a_day(
    cast: Cast, evaluations: list[dt.datetime]
) -> None:
    high_alert(cast, NOW - dt.timedelta(days=3))
    done = daily_run()
    assert done["ran"] and done["ok"] and done["date"] == TODAY
    assert list(done["steps"]) == STEPS
    assert all(step["ok"] for step in done["steps"].values())
    assert HealthSnapshot.objects.filter(date=NOW.date(), client=cast.client).exists()
    assert evaluations == [NOW]
    assert done["steps"]["escalate"]["escalated"] == 1
    assert done["steps"]["digest"]["sent"] == 2  # the owner and their director
    assert len(mail.outbox) == 3
    run = JobRun.objects.get(job="daily")
    assert (run.period, run.outcome, run.started_at) == (TODAY, JobRun.Outcome.OK, NOW)
    assert run.detail["steps"]["digest"]["sent"] == 2

    # The same day again: nothing runs, nothing is sent.
    assert daily_run() == {"date": TODAY, "ran": False}
    assert evaluations == [NOW] and len(mail.outbox) == 3

    # Forced, the steps run again, yet no second digest or escalation goes out.
    again = daily_run(force=True)
    assert again["ran"] and again["ok"] and len(evaluations) == 2
    assert again["steps"]["escalate"]["escalated"] == 0
    assert (again["steps"]["digest"]["sent"], again["steps"]["digest"]["already"]) == (0, 2)
    assert len(mail.outbox) == 3


def test_a_failing_step_does_not_skip_the_others(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("the rules broke")

    monkeypatch.setattr("twohats.alerts.rules.alerts_evaluate", broken)
    monkeypatch.setattr("twohats.health.tasks.health_recompute", broken)
    high_alert(cast, NOW - dt.timedelta(days=3))
    with caplog.at_level(logging.INFO, logger="twohats"):
        done = daily_run()
    steps = done["steps"]
    assert done["ran"] and not done["ok"]
    assert not steps["recompute"]["ok"] and not steps["alerts"]["ok"]
    assert steps["alerts"]["error"] == "RuntimeError: the rules broke"
    assert steps["escalate"]["ok"] and steps["digest"]["ok"] and steps["prune"]["ok"]
    assert steps["escalate"]["escalated"] == 1 and steps["digest"]["sent"] == 2
    assert JobRun.objects.get(job="daily").outcome == JobRun.Outcome.FAILED
    failures = [r for r in caplog.records if "failed after" in r.getMessage()]
    assert [r.getMessage().split(":")[1].split()[0] for r in failures] == ["recompute", "alerts"]
    assert all(r.exc_info for r in failures)
    assert any("daily 2026-06-30: digest: sent 2" in r.getMessage() for r in caplog.records)
    # A failed day is not run again by itself; `--force` does it.
    assert daily_run()["ran"] is False


def test_the_health_daily_command(cast: Cast, evaluations: list[dt.datetime]) -> None:
    out = StringIO()
    call_command("health", "daily", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == [f"{TODAY} {step}" for step in STEPS]
    assert "2026-06-30 recompute: ok, clients 2, projects 1" in lines[0]
    out = StringIO()
    call_command("health", "daily", stdout=out)
    assert "has run already" in out.getvalue()
    # A past day catches up on health only: alerts and their emails concern the present.
    out = StringIO()
    call_command("health", "daily", "--date", "2026-06-28", stdout=out)
    assert "2026-06-28 recompute: ok" in out.getvalue()
    assert "2026-06-28 alerts: ok, skipped past date" in out.getvalue()
    assert "2026-06-28 digest: ok, skipped past date" in out.getvalue()
    assert evaluations == [NOW]
    with pytest.raises(CommandError, match="not the future"):
        call_command("health", "daily", "--date", "2026-07-01")


def test_the_command_fails_when_a_step_fails(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("twohats.alerts.rules.alerts_evaluate", None)
    out = StringIO()
    with pytest.raises(CommandError, match="failed steps"):
        call_command("health", "daily", "--no-email", stdout=out)
    assert "alerts: FAILED, TypeError" in out.getvalue()
    assert "digest: ok, skipped email off" in out.getvalue()


def test_a_day_under_way_in_another_worker_is_left_alone(
    cast: Cast, evaluations: list[dt.datetime], clock: time_machine.Traveller
) -> None:
    JobRun.objects.create(job="daily", period=TODAY, outcome=JobRun.Outcome.RUNNING, started_at=NOW)
    assert daily_run(force=True)["ran"] is False
    # Three hours without an end: its worker died; the run is taken over.
    clock.move_to(NOW + dt.timedelta(hours=3))
    assert daily_run()["ran"] is True
    assert JobRun.objects.get(job="daily").outcome == JobRun.Outcome.OK


# The clock -----------------------------------------------------------------------------------


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 6, 30, hour, minute, tzinfo=dt.UTC)


def test_the_clock_enqueues_the_daily_job_once_a_day_from_its_time(db: None, queue: Any) -> None:
    assert jobs_enqueue_due(now=at(5, 59), at=SIX) == []
    assert jobs_enqueue_due(now=at(6, 0), at=SIX) == ["daily 2026-06-30"]
    [task] = queue.results
    assert task.task.name == "daily" and task.kwargs == {"date": TODAY}
    assert JobRun.objects.get().outcome == JobRun.Outcome.QUEUED
    assert jobs_enqueue_due(now=at(6, 1), at=SIX) == []
    JobRun.objects.update(outcome=JobRun.Outcome.OK)  # as a worker would
    assert jobs_enqueue_due(now=at(23, 59), at=SIX) == []
    next_day = dt.datetime(2026, 7, 1, 6, tzinfo=dt.UTC)
    assert jobs_enqueue_due(now=next_day - dt.timedelta(minutes=1), at=SIX) == []
    assert jobs_enqueue_due(now=next_day, at=SIX) == ["daily 2026-07-01"]
    assert len(queue.results) == 2


@override_settings(TIME_ZONE="America/New_York", DAILY_JOB_AT="06:30")
def test_the_clock_keeps_the_firms_time_zone(db: None, queue: Any) -> None:
    # 06:30 in New York is 10:30 UTC in summer.
    assert jobs_enqueue_due(now=at(10, 29)) == []
    assert jobs_enqueue_due(now=at(10, 30)) == ["daily 2026-06-30"]
    JobRun.objects.update(outcome=JobRun.Outcome.OK)
    # 23:00 in New York is already the next day in UTC, but not the firm's next day.
    assert jobs_enqueue_due(now=dt.datetime(2026, 7, 1, 3, tzinfo=dt.UTC)) == []


def test_a_worker_started_late_catches_up_on_the_day(db: None, queue: Any) -> None:
    assert jobs_enqueue_due(now=at(15, 0), at=SIX) == ["daily 2026-06-30"]
    JobRun.objects.filter(job="daily").update(outcome=JobRun.Outcome.OK)
    assert jobs_enqueue_due(now=at(16, 0), at=SIX) == []


def test_a_lost_run_is_queued_again(db: None, queue: Any) -> None:
    run = JobRun.objects.create(
        job="daily", period=TODAY, outcome=JobRun.Outcome.RUNNING, started_at=at(6)
    )
    assert jobs_enqueue_due(now=at(8, 59), at=SIX) == []
    assert jobs_enqueue_due(now=at(9, 0), at=SIX) == ["daily 2026-06-30"]
    run.refresh_from_db()
    assert (run.outcome, run.enqueued_at) == (JobRun.Outcome.QUEUED, at(9))


def test_the_clock_with_the_immediate_backend_runs_the_job_at_once(
    cast: Cast, evaluations: list[dt.datetime]
) -> None:
    assert jobs_enqueue_due(now=NOW, at=SIX) == ["daily 2026-06-30"]
    assert JobRun.objects.get(job="daily").outcome == JobRun.Outcome.OK
    assert evaluations == [NOW]


def test_the_time_of_day_is_checked() -> None:
    assert parse_time_of_day(" 06:15 ") == dt.time(6, 15)
    with pytest.raises(ValueError, match="not a time of day"):
        parse_time_of_day("6am")
    with pytest.raises(ValueError, match="without a zone"):
        parse_time_of_day("06:00+02:00")


# The worker, on the database backend ---------------------------------------------------------
# Outside a test transaction: the worker closes and reopens its connection, as in production.


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE)
def test_the_worker_enqueues_the_day_and_runs_it_from_the_database(
    cast: Cast, evaluations: list[dt.datetime]
) -> None:
    worker = Worker(interval=0, daily_at=SIX, worker_id="test-worker")
    worker.tick()
    [row] = DBTaskResult.objects.all()
    assert row.task_path == "twohats.health.tasks.daily"
    assert row.status == "SUCCESSFUL" and row.worker_ids == ["test-worker"]
    assert row.return_value["ok"] is True and set(row.return_value["steps"]) == set(STEPS)
    assert JobRun.objects.get(job="daily").outcome == JobRun.Outcome.OK
    assert evaluations == [NOW]
    worker.next_schedule = 0  # look again at once: the day is done
    worker.tick()
    assert DBTaskResult.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE)
def test_the_worker_command_runs_what_is_queued(
    cast: Cast, evaluations: list[dt.datetime], loggers: None
) -> None:
    result = daily.enqueue(date="2026-06-29")
    assert DBTaskResult.objects.get().status == "READY"
    out = StringIO()
    call_command("worker", "--once", "--daily-at", "23:00", stdout=out)
    result.refresh()
    assert result.status == "SUCCESSFUL" and result.return_value["date"] == "2026-06-29"
    assert "path=twohats.health.tasks.daily state=SUCCESSFUL" in out.getvalue()
    assert "daily 2026-06-29: finished" in out.getvalue()
    # Not yet 23:00: today's run is not enqueued.
    assert not JobRun.objects.filter(job="daily", period=TODAY).exists()


def test_the_worker_command_checks_its_options(db: None) -> None:
    with pytest.raises(CommandError, match="not a time of day"):
        call_command("worker", "--daily-at", "soon")
    with pytest.raises(CommandError, match="--interval"):
        call_command("worker", "--interval", "-1")


def test_a_stop_signal_lets_the_task_under_way_finish() -> None:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        busy = Worker(interval=0, daily_at=SIX, worker_id="busy")
        busy.running_task = True
        busy.shutdown(signal.SIGTERM, None)
        assert busy.running is False  # stops after the task
        busy.shutdown(signal.SIGTERM, None)  # `make run` sends SIGTERM after Ctrl-C: no effect
        with pytest.raises(SystemExit) as forced:
            busy.shutdown(signal.SIGINT, None)  # a second Ctrl-C stops at once
        assert forced.value.code == 1
        busy.serve()  # returns at once: the worker is stopping

        idle = Worker(interval=0, daily_at=SIX, worker_id="idle")
        with pytest.raises(SystemExit) as stopped:
            idle.shutdown(signal.SIGTERM, None)
        assert stopped.value.code == 0
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
