"""`twohats worker`: run background tasks, and enqueue the periodic jobs when they are due.

One process does both, so neither a broker nor cron is needed: it runs the tasks queued in the
database (django-tasks-db's worker) and, once a minute, enqueues the daily job when its time
has come and the day's run is missing (`twohats.health.tasks.jobs_enqueue_due`). Any number of
workers may run: a task is claimed by one worker, and the day's run by one task.

SIGTERM or Ctrl-C stops the worker after the task under way; a second Ctrl-C stops it at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import sys
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands.db_worker import Worker as TaskWorker

from twohats.health.tasks import jobs_enqueue_due, parse_time_of_day

logger = logging.getLogger("twohats.worker")

# How often the clock looks for due jobs; the daily job starts within this much of its time.
SCHEDULE_EVERY = 60.0


class Worker(TaskWorker):
    """django-tasks-db's worker in batch mode (run what is ready, then return), inside a loop
    that also enqueues the periodic jobs."""

    def __init__(self, *, interval: float, daily_at: dt.time, worker_id: str) -> None:
        super().__init__(
            queue_names=[DEFAULT_TASK_QUEUE_NAME],
            interval=interval,
            batch=True,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        self.daily_at = daily_at
        self.next_schedule = 0.0

    def schedule(self) -> list[str]:
        """Enqueue the jobs that are due. A stop signal waits for this to finish."""
        self.running_task = True
        try:
            close_old_connections()
            return jobs_enqueue_due(now=timezone.now(), at=self.daily_at)
        except Exception:
            # A database hiccup must not stop the worker; the next minute tries again.
            logger.exception("Could not enqueue the periodic jobs")
            return []
        finally:
            self.running_task = False
            self.next_schedule = time.monotonic() + SCHEDULE_EVERY

    def tick(self) -> None:
        """One turn: enqueue what is due (once a minute), then run every ready task."""
        if time.monotonic() >= self.next_schedule:
            self.schedule()
        if self.running:
            super().run()

    def serve(self) -> None:
        while self.running:
            self.tick()
            if self.running:
                time.sleep(self.interval)

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        if not self.running:
            if signum != signal.SIGINT:
                # Already stopping (`make run` sends SIGTERM after the terminal's Ctrl-C).
                return
            logger.warning("Interrupted again: stopping now, abandoning the task under way.")
            self.reset_signals()
            sys.exit(1)
        super().shutdown(signum, frame)


class Command(BaseCommand):
    help = (
        "Run background tasks and enqueue the periodic jobs when due: the daily job (health, "
        "alerts, escalations, digests) at DAILY_JOB_AT, local time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="seconds between looks at the queue when it is empty (default 1)",
        )
        parser.add_argument(
            "--daily-at",
            default=None,
            help=f"HH:MM, local time in {settings.TIME_ZONE}; DAILY_JOB_AT "
            f"({settings.DAILY_JOB_AT}) by default",
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="enqueue what is due, run every ready task, then exit",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            daily_at = parse_time_of_day(options["daily_at"] or settings.DAILY_JOB_AT)
        except ValueError as error:
            raise CommandError(str(error)) from None
        if not 0 <= options["interval"] <= 3600:
            raise CommandError("--interval is between 0 and 3600 seconds.")
        self.configure_logging(options["verbosity"])
        worker = Worker(
            interval=options["interval"],
            daily_at=daily_at,
            worker_id=f"{socket.gethostname()}:{os.getpid()}"[:64],
        )
        if options["once"]:
            worker.tick()
            return
        logger.info(
            "Worker %s running: tasks from the database, the daily job at %s (%s).",
            worker.worker_id,
            daily_at.strftime("%H:%M"),
            settings.TIME_ZONE,
        )
        worker.configure_signals()
        try:
            worker.serve()
        finally:
            logger.info("Worker %s stopped.", worker.worker_id)

    def configure_logging(self, verbosity: int) -> None:
        """Our jobs' lines and each task's start and end at INFO; the queue's polling only
        at -v 2."""
        level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
        handler = logging.StreamHandler(self.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s [worker] %(message)s", "%H:%M:%S"))
        for name, at in (
            ("twohats", level),
            ("django_tasks", level),
            ("django_tasks_db", level if verbosity > 1 else logging.WARNING),
        ):
            named = logging.getLogger(name)
            named.setLevel(at)
            named.addHandler(handler)
            named.propagate = False
