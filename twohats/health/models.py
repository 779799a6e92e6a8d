from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from pydantic import ValidationError as SchemaError

from twohats.health.policy import PolicyConfig, parse

if TYPE_CHECKING:
    from twohats.people.models import User


class HealthPolicyQuerySet(models.QuerySet["HealthPolicy"]):
    def active(self) -> HealthPolicy:
        """The policy in force. The first comes with the schema; should the table have been
        emptied (`twohats flush`), the default policy is put back rather than failing."""
        policy = self.filter(active=True).first()
        if policy is not None:
            return policy
        if self.exists():
            raise HealthPolicy.DoesNotExist("No health policy is active: activate a version.")
        from twohats.health.policy import DEFAULT_CONFIG

        try:
            with transaction.atomic():
                return self.create(
                    version=1, active=True, config=DEFAULT_CONFIG, note="The default policy."
                )
        except IntegrityError:  # another process put it back first
            return self.get(active=True)


class HealthPolicy(models.Model):
    """A version of the health model's weights and thresholds. Versions are never edited in
    place: a change is a new version, and records remember the version that judged them."""

    version = models.PositiveIntegerField(unique=True)
    active = models.BooleanField(default=False)
    config = models.JSONField()
    note = models.CharField(max_length=300, blank=True, help_text="Why this version.")
    created_by = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = HealthPolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        verbose_name_plural = "health policies"
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="one_active_policy"
            )
        ]

    def __str__(self) -> str:
        return f"Health policy v{self.version}{' (active)' if self.active else ''}"

    def clean(self) -> None:
        try:
            parse(self.config)
        except SchemaError as error:
            raise ValidationError({"config": describe_schema_error(error)}) from None

    @cached_property
    def rules(self) -> PolicyConfig:
        return parse(self.config)


def describe_schema_error(error: SchemaError) -> list[str]:
    messages = []
    for problem in error.errors():
        where = " → ".join(str(part) for part in problem["loc"]) or "policy"
        messages.append(f"{where}: {problem['msg'].removeprefix('Value error, ')}")
    return messages


class Subject(models.TextChoices):
    CLIENT = "client", "Client"
    PROJECT = "project", "Project"


class HealthSnapshotQuerySet(models.QuerySet["HealthSnapshot"]):
    def visible_to(self, user: User) -> HealthSnapshotQuerySet:
        if user.sees_everything:
            return self.all()
        from twohats.clients.models import Client

        return self.filter(client__in=Client.objects.visible_to(user).values("pk"))

    def of_clients(self) -> HealthSnapshotQuerySet:
        return self.filter(project__isnull=True)


class HealthSnapshot(models.Model):
    """A client's (or one project's) health on a date, with its parts and why: `overall` over
    every dimension, `relationship` over all but delivery (the other hat, judged apart)."""

    date = models.DateField()
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="health_snapshots"
    )
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="health_snapshots",
    )
    policy = models.ForeignKey(HealthPolicy, on_delete=models.PROTECT, related_name="+")
    overall = models.FloatField(null=True, blank=True)
    band = models.CharField(max_length=8)
    relationship = models.FloatField(
        null=True, blank=True, help_text="The score of every dimension but delivery."
    )
    dimensions = models.JSONField(default=dict)  # name -> score (None without data)
    signals = models.JSONField(default=dict)  # name -> {"raw", "score", "weight"}
    reasons = models.JSONField(default=list)  # plain words, worst first
    missing = models.JSONField(default=list)  # signals without data; their weight spread
    computed_at = models.DateTimeField(auto_now=True)

    objects = HealthSnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "date"],
                condition=Q(project__isnull=True),
                name="one_client_snapshot_a_day",
            ),
            models.UniqueConstraint(
                fields=["project", "date"],
                condition=Q(project__isnull=False),
                name="one_project_snapshot_a_day",
            ),
        ]
        indexes = [
            models.Index(fields=["client", "-date"]),
            models.Index(fields=["date", "overall"]),
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.overall if self.overall is not None else '—'} ({self.band})"

    @property
    def subject(self) -> str:
        return Subject.PROJECT if self.project_id else Subject.CLIENT

    def dimension_rows(self) -> list[dict[str, Any]]:
        return [{"name": name, "score": score} for name, score in self.dimensions.items()]


class JobRun(models.Model):
    """One run of a periodic job for a period (the firm's date), or of one part of it, such as
    one person's digest of the day (`subject_key` "user:7").

    The unique key is what makes a job run once a period however many workers are running: the
    first to insert the row owns the run; the others see it and leave it alone."""

    class Outcome(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        OK = "ok", "Succeeded"
        FAILED = "failed", "Failed"

    job = models.CharField(max_length=32)
    period = models.CharField(max_length=32, help_text="e.g. 2026-06-30 for a daily job")
    subject_key = models.CharField(max_length=64, blank=True, default="")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "period", "subject_key"], name="one_run_per_job_and_period"
            )
        ]
        indexes = [models.Index(fields=["job", "subject_key", "outcome"])]

    def __str__(self) -> str:
        subject = f" {self.subject_key}" if self.subject_key else ""
        return f"{self.job} {self.period}{subject}: {self.get_outcome_display().lower()}"
