"""Background work: the daily job and the clock that enqueues it.

The daily job, for a date of the firm's calendar, recomputes health, evaluates the alert rules,
escalates neglected high-severity alerts, emails the digests, sends the survey invitations and
reminders due (twohats.surveys.schedule) and thins old records. Every step
is logged and isolated: one failing step does not skip the others. A day's run is a `JobRun`
row with a unique key, so however many workers (or a cron line) start it, it runs once a day;
the steps are idempotent on their own as well (a digest or an escalation is sent once).

`twohats worker` runs queued tasks and calls `jobs_enqueue_due` every minute;
`twohats health daily` runs the same job in the foreground.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Collection
from dataclasses import asdict
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from twohats.health.models import JobRun
from twohats.health.services import health_prune, health_recompute

logger = logging.getLogger(__name__)

DAILY = "daily"
# A run neither finished nor touched for this long is presumed lost (its worker was killed):
# the clock enqueues it again and the next worker takes it over.
STALE_AFTER = dt.timedelta(hours=3)
# Run records, and the task queue's finished rows, are kept this long.
RUN_RETENTION_DAYS = 90
TASK_RESULT_RETENTION_DAYS = 30

Outcome = JobRun.Outcome


def firm_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def firm_date(now: dt.datetime) -> dt.date:
    """The date in the firm's zone (the worker has no user, so no zone is activated)."""
    return timezone.localtime(now, firm_zone()).date()


def daily_at() -> dt.time:
    """When the daily job starts, from `DAILY_JOB_AT` ("HH:MM", local time)."""
    return parse_time_of_day(settings.DAILY_JOB_AT)


def parse_time_of_day(value: str) -> dt.time:
    try:
        parsed = dt.time.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"“{value}” is not a time of day; use HH:MM, e.g. 06:00.") from None
    if parsed.tzinfo is not None:
        raise ValueError("The time of day is local to TIME_ZONE; give it without a zone.")
    return parsed


def _is_stale(run: JobRun, now: dt.datetime) -> bool:
    touched = run.started_at or run.enqueued_at or run.created_at
    return touched <= now - STALE_AFTER


def job_run_claim(
    *,
    job: str,
    period: str,
    now: dt.datetime,
    subject_key: str = "",
    retake: Collection[str] = (),
) -> JobRun | None:
    """Take the run of `job` for `period` (and `subject_key`), or None when it is not ours:
    finished already (unless its outcome is in `retake`) or under way in another process.

    A queued run is taken by whoever comes first; one left running for `STALE_AFTER` is taken
    over. The row is locked while deciding, and its unique key stops two processes creating
    it at once."""
    with transaction.atomic():
        run, created = JobRun.objects.select_for_update().get_or_create(
            job=job,
            period=period,
            subject_key=subject_key,
            defaults={"outcome": Outcome.RUNNING, "started_at": now},
        )
        if created:
            return run
        if run.outcome == Outcome.RUNNING and not _is_stale(run, now):
            return None
        if run.outcome in (Outcome.OK, Outcome.FAILED) and run.outcome not in retake:
            return None
        run.outcome, run.started_at, run.finished_at = Outcome.RUNNING, now, None
        run.save(update_fields=["outcome", "started_at", "finished_at"])
        return run


def job_run_finish(*, run: JobRun, ok: bool, now: dt.datetime, detail: dict[str, Any]) -> None:
    run.outcome = Outcome.OK if ok else Outcome.FAILED
    run.finished_at = now
    run.detail = detail
    run.save(update_fields=["outcome", "finished_at", "detail"])


# The daily job -------------------------------------------------------------------------------


Step = Callable[[], dict[str, Any]]


def _run_step(period: str, name: str, step: Step) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        summary = step()
    except Exception as error:
        seconds = round(time.perf_counter() - started, 3)
        logger.exception("daily %s: %s failed after %.2f s", period, name, seconds)
        return {"ok": False, "error": f"{type(error).__name__}: {error}"[:500], "seconds": seconds}
    seconds = round(time.perf_counter() - started, 3)
    # A step that did its work but could not send some emails says so with `failed`.
    ok = not summary.get("failed")
    said = ", ".join(f"{key} {value}" for key, value in summary.items()) or "done"
    (logger.info if ok else logger.warning)(
        "daily %s: %s: %s (%.2f s)", period, name, said, seconds
    )
    return {"ok": ok, **summary, "seconds": seconds}


def _steps(
    date: dt.date, now: dt.datetime, *, current: bool, email: bool
) -> list[tuple[str, Step]]:
    # Alerts are about the present: a past day's run (catching up on a missed snapshot) neither
    # winds their state back nor mails yesterday's news.
    past = None if current else {"skipped": "past date"}
    no_mail = past or (None if email else {"skipped": "email off"})

    def recompute() -> dict[str, Any]:
        done = health_recompute(date=date)
        return {"clients": done.clients, "projects": done.projects}

    def alerts() -> dict[str, Any]:
        from twohats.alerts.rules import alerts_evaluate

        if past:
            return past
        done = alerts_evaluate(now=now)
        return {key: value for key, value in asdict(done).items() if key != "rules"}

    def escalate() -> dict[str, Any]:
        from twohats.alerts.notify import alerts_escalate

        if no_mail:
            return no_mail
        return asdict(alerts_escalate(now=now))

    def digest() -> dict[str, Any]:
        from twohats.alerts.notify import alert_digests_send

        if no_mail:
            return no_mail
        return asdict(alert_digests_send(period=date.isoformat(), now=now))

    def surveys() -> dict[str, Any]:
        from twohats.surveys.schedule import surveys_daily

        # Invitations and reminders are mail about the present, like the digests.
        if past:
            return past
        return surveys_daily(today=date, now=now, email=email)

    def prune() -> dict[str, Any]:
        return {
            "snapshots": health_prune(today=date),
            "runs": _prune_runs(now),
            "task_results": _prune_task_results(now),
        }

    return [
        ("recompute", recompute),
        ("alerts", alerts),
        ("escalate", escalate),
        ("digest", digest),
        ("surveys", surveys),
        ("prune", prune),
    ]


def daily_run(
    *,
    date: dt.date | None = None,
    now: dt.datetime | None = None,
    force: bool = False,
    email: bool = True,
) -> dict[str, Any]:
    """Run the daily job for `date` (today in the firm's zone by default), once.

    A second run for the same date does nothing, unless `force`: then the steps run again, and
    still send no second digest or escalation. For a past date only health is recomputed and
    old records thinned: alerts, escalations and digests concern the present. Without `email`,
    escalations and digests are left out (the first start of the demo does this, so the console
    is not filled with mail)."""
    now = now or timezone.now()
    date = date or firm_date(now)
    period = date.isoformat()
    run = job_run_claim(
        job=DAILY, period=period, now=now, retake=(Outcome.OK, Outcome.FAILED) if force else ()
    )
    if run is None:
        logger.info("daily %s: done already or under way elsewhere; nothing to do", period)
        return {"date": period, "ran": False}
    logger.info("daily %s: starting", period)
    steps = {
        name: _run_step(period, name, step)
        for name, step in _steps(date, now, current=date == firm_date(now), email=email)
    }
    ok = all(step["ok"] for step in steps.values())
    job_run_finish(run=run, ok=ok, now=timezone.now(), detail={"steps": steps})
    (logger.info if ok else logger.error)(
        "daily %s: %s", period, "finished" if ok else "finished with failed steps"
    )
    return {"date": period, "ran": True, "ok": ok, "steps": steps}


@task()
def daily(date: str | None = None) -> dict[str, Any]:
    """The daily job as a task; `date` is ISO (a task's arguments are JSON)."""
    return daily_run(date=dt.date.fromisoformat(date) if date else None)


def _prune_runs(now: dt.datetime) -> int:
    deleted, _ = (
        JobRun.objects.filter(created_at__lt=now - dt.timedelta(days=RUN_RETENTION_DAYS))
        .filter(outcome__in=[Outcome.OK, Outcome.FAILED])
        .delete()
    )
    return deleted


def _prune_task_results(now: dt.datetime) -> int:
    from django_tasks_db.models import DBTaskResult

    cutoff = now - dt.timedelta(days=TASK_RESULT_RETENTION_DAYS)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted


# The clock -----------------------------------------------------------------------------------


def jobs_enqueue_due(*, now: dt.datetime, at: dt.time | None = None) -> list[str]:
    """Enqueue the periodic jobs that are due: the daily job once a day, from `at` (local
    time; `DAILY_JOB_AT` by default) onwards. A worker started after that time with the day's
    run missing enqueues it at once. Returns what was enqueued, e.g. ["daily 2026-06-30"]."""
    local = timezone.localtime(now, firm_zone())
    if local.time() < (at or daily_at()):
        return []
    period = local.date().isoformat()
    with transaction.atomic():
        run, created = JobRun.objects.select_for_update().get_or_create(
            job=DAILY,
            period=period,
            subject_key="",
            defaults={"outcome": Outcome.QUEUED, "enqueued_at": now},
        )
        if not created:
            if run.outcome in (Outcome.OK, Outcome.FAILED) or not _is_stale(run, now):
                return []
            logger.warning("daily %s: the run %s looks lost; queued again", period, run.outcome)
            run.outcome, run.enqueued_at = Outcome.QUEUED, now
            run.save(update_fields=["outcome", "enqueued_at"])
        # Enqueued inside the transaction: with the database backend the task's row and the
        # run's row are committed together, so a crash cannot leave a run queued without a task.
        daily.enqueue(date=period)
    logger.info("daily %s: queued", period)
    return [f"{DAILY} {period}"]
